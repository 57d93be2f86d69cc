-- Search (issue 12): each article searched in its own language, its text read as plain text, and
-- entities found by the words of a query. See docs/search.md.

-- The text-search configuration of a BCP 47 language tag: its primary language's stemmer and
-- stop words for the eight languages PostgreSQL and dateline support, `simple` otherwise.
CREATE FUNCTION search_config(language text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE lower(split_part(language, '-', 1))
        WHEN 'en' THEN 'pg_catalog.english'::regconfig
        WHEN 'fr' THEN 'pg_catalog.french'::regconfig
        WHEN 'de' THEN 'pg_catalog.german'::regconfig
        WHEN 'es' THEN 'pg_catalog.spanish'::regconfig
        WHEN 'it' THEN 'pg_catalog.italian'::regconfig
        WHEN 'pt' THEN 'pg_catalog.portuguese'::regconfig
        WHEN 'ru' THEN 'pg_catalog.russian'::regconfig
        ELSE 'pg_catalog.simple'::regconfig
    END
    $$;

-- Text as the search parser must read it: plain text, not markup. PostgreSQL's default parser
-- takes `<HSN>` for an HTML tag and `&amp;` for an entity, and drops them; here `<`, `>` and `&`
-- become the control characters 1, 2 and 3, which it reads as spaces and which stored text never
-- holds (ingest refuses control characters). Highlights map them back.
CREATE FUNCTION search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT translate(coalesce(t, ''), '<>&', E'\x01\x02\x03') $$;

-- Headline outranks lead outranks body.
ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles ADD COLUMN search tsvector NOT NULL GENERATED ALWAYS AS (
    setweight(to_tsvector(search_config(language), search_text(headline)), 'A')
    || setweight(to_tsvector(search_config(language), search_text(lead)), 'B')
    || setweight(to_tsvector(search_config(language), search_text(body)), 'C')
) STORED;
CREATE INDEX articles_search_idx ON articles USING gin (search);

-- An entity's name and aliases in lower case: the forms a query's words are looked up among, so
-- that `q=blinken nato` knows it names Antony Blinken and NATO.
CREATE FUNCTION entity_search_forms(name text, aliases text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_agg(DISTINCT lower(f)) FROM unnest(name || aliases) AS f $$;
CREATE INDEX entities_search_forms_idx ON entities USING gin (entity_search_forms(name, aliases));
