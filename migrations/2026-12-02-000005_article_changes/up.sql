-- The change feed (`GET /v1/changes`): one row for every create, update and withdrawal of an
-- article, numbered in commit order, whoever writes (a server, `dateline import`, psql).
--
-- A deferred trigger numbers a transaction's changes as it commits, under one advisory lock
-- held until the commit is visible: so a transaction can only take numbers after every earlier
-- one has committed, the numbers a reader sees always form a prefix, and a reader that resumes
-- after the last number it saw never skips or repeats a change. Writers wait for each other
-- only for the few microseconds of that last step, never while they work.
CREATE TABLE article_changes (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id bigint NOT NULL,
    slug       text NOT NULL,
    change     text NOT NULL CHECK (change IN ('created', 'updated', 'withdrawn')),
    version    integer NOT NULL,
    changed_at timestamptz NOT NULL
);

CREATE FUNCTION article_changes_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The key is arbitrary; it names this lock only.
    PERFORM pg_advisory_xact_lock(7335006122183434240);
    INSERT INTO article_changes (article_id, slug, change, version, changed_at)
    VALUES (
        NEW.id,
        NEW.slug,
        CASE
            WHEN TG_OP = 'INSERT' THEN 'created'
            WHEN NEW.pub_status = 'canceled' THEN 'withdrawn'
            ELSE 'updated'
        END,
        NEW.version,
        NEW.updated_at
    );
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER article_changes_on_insert
    AFTER INSERT ON articles DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION article_changes_record();
-- Only a new version is a change: a relink or a re-sent identical article is not.
CREATE CONSTRAINT TRIGGER article_changes_on_update
    AFTER UPDATE ON articles DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION article_changes_record();

-- Articles stored before the feed existed enter it as created, in id order.
INSERT INTO article_changes (article_id, slug, change, version, changed_at)
SELECT id, slug, CASE WHEN pub_status = 'canceled' THEN 'withdrawn' ELSE 'created' END, version, updated_at
  FROM articles ORDER BY id;
