DROP INDEX entities_search_forms_idx;
DROP FUNCTION entity_search_forms(text, text[]);

ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles ADD COLUMN search tsvector NOT NULL GENERATED ALWAYS AS (
    setweight(to_tsvector('english', headline), 'A')
    || setweight(to_tsvector('english', coalesce(lead, '')), 'B')
    || setweight(to_tsvector('english', coalesce(body, '')), 'C')
) STORED;
CREATE INDEX articles_search_idx ON articles USING gin (search);

DROP FUNCTION search_text(text);
DROP FUNCTION search_config(text);
