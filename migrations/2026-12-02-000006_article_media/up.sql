-- Pictures (later video and audio) an article carries, as its ingest validated them: a JSON array
-- of `{kind, uri, caption, credit, copyright, alt_text, lead, renditions: [{href, width, height,
-- content_type}]}` that belongs to the article and is read with it. `image` is the lead picture's
-- widest rendition with its texts, written by ingest beside `media`, so that list pages read one
-- small value and never the whole array.
ALTER TABLE articles
    ADD COLUMN media jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(media) = 'array'),
    ADD COLUMN image jsonb CHECK (image IS NULL OR jsonb_typeof(image) = 'object');
