-- Authors, entities and topics are addressed by slug in URLs; ids stay internal join keys.

CREATE TABLE topics (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (name <> ''),
    description text,
    parent_id   integer REFERENCES topics (id) ON DELETE RESTRICT,
    iptc_code   text UNIQUE CHECK (iptc_code ~ '^medtop:[0-9]{8}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX topics_parent_id_idx ON topics (parent_id);

CREATE TABLE authors (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name       text NOT NULL CHECK (name <> ''),
    bio        text,
    url        text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Name-prefix search (`?q=`), case-insensitive.
CREATE INDEX authors_name_prefix_idx ON authors (lower(name) text_pattern_ops);

CREATE TABLE entities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('person', 'organisation', 'place', 'event', 'other')),
    aliases     text[] NOT NULL DEFAULT '{}',
    description text,
    wikidata_id text UNIQUE CHECK (wikidata_id ~ '^Q[1-9][0-9]*$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entities_name_prefix_idx ON entities (lower(name) text_pattern_ops);
CREATE INDEX entities_kind_slug_idx ON entities (kind, slug);

CREATE TABLE articles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    url          text UNIQUE,
    external_id  text,
    source       text,
    headline     text NOT NULL CHECK (headline <> ''),
    lead         text,
    body         text,
    language     text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$'),
    dateline     text,
    published_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    pub_status   text NOT NULL DEFAULT 'usable' CHECK (pub_status IN ('usable', 'withheld', 'canceled')),
    -- Headline outranks lead outranks body.
    search       tsvector NOT NULL GENERATED ALWAYS AS (
                     setweight(to_tsvector('english', headline), 'A')
                     || setweight(to_tsvector('english', coalesce(lead, '')), 'B')
                     || setweight(to_tsvector('english', coalesce(body, '')), 'C')
                 ) STORED,
    UNIQUE (source, external_id)
);
-- "Latest news": newest first, id as the keyset tie-break. Only listable rows are indexed.
CREATE INDEX articles_latest_idx ON articles (published_at DESC, id DESC) WHERE pub_status = 'usable';
CREATE INDEX articles_language_latest_idx ON articles (language, published_at DESC, id DESC)
    WHERE pub_status = 'usable';
CREATE INDEX articles_search_idx ON articles USING gin (search);

-- The join tables carry the article's published_at so that "latest of X after this cursor" is one
-- index range scan on (x_id, published_at DESC, article_id DESC); a trigger keeps it in step.

CREATE TABLE article_authors (
    article_id   bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id    bigint NOT NULL REFERENCES authors (id) ON DELETE RESTRICT,
    position     smallint NOT NULL CHECK (position >= 0),
    published_at timestamptz NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_latest_idx ON article_authors (author_id, published_at DESC, article_id DESC);

CREATE TABLE article_entities (
    article_id   bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id    bigint NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
    mentions     integer NOT NULL DEFAULT 0 CHECK (mentions >= 0),
    rel          text NOT NULL CHECK (rel IN ('about', 'mentions')),
    published_at timestamptz NOT NULL,
    PRIMARY KEY (article_id, entity_id)
);
CREATE INDEX article_entities_latest_idx ON article_entities (entity_id, published_at DESC, article_id DESC);

-- Holds the topic closure: a direct tag plus one `direct = false` row per ancestor, so
-- "topic including its descendants" is a single range scan.
CREATE TABLE article_topics (
    article_id   bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id     integer NOT NULL REFERENCES topics (id) ON DELETE RESTRICT,
    direct       boolean NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_topics_latest_idx ON article_topics (topic_id, published_at DESC, article_id DESC);

CREATE FUNCTION articles_sync_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_authors SET published_at = NEW.published_at WHERE article_id = NEW.id;
    UPDATE article_entities SET published_at = NEW.published_at WHERE article_id = NEW.id;
    UPDATE article_topics SET published_at = NEW.published_at WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_sync_published_at
    AFTER UPDATE OF published_at ON articles
    FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION articles_sync_published_at();
