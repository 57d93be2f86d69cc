-- An article that says it is about `{"kind": "place", "name": "USA"}` is about the entity that
-- has that name or alias: ingest looks entities up by exact name and by alias.
CREATE INDEX entities_name_idx ON entities (name);
CREATE INDEX entities_aliases_idx ON entities USING gin (aliases);
