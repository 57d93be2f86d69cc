-- API keys: only a SHA-256 of the key is kept; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    -- The first characters of the key, to tell keys apart in listings.
    prefix     text NOT NULL,
    key_hash   bytea NOT NULL UNIQUE,
    scopes     text[] NOT NULL CHECK (scopes <@ ARRAY['write', 'admin']::text[] AND cardinality(scopes) > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- The first answer to a request with an Idempotency-Key, replayed byte for byte on a retry.
CREATE TABLE idempotency_keys (
    api_key_id   bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       smallint NOT NULL,
    location     text,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);

-- A digest of what a client sent for an article, so that an identical re-send changes nothing.
ALTER TABLE articles ADD COLUMN content_hash bytea;
