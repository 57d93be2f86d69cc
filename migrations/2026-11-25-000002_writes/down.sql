ALTER TABLE articles DROP COLUMN content_hash;
DROP TABLE idempotency_keys;
DROP TABLE api_keys;
