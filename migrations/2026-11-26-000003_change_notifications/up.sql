-- Every statement that changes what an article list shows notifies `dateline_changes`, whoever
-- runs it (a server, `dateline import`, psql): servers drop their cached lists when they hear it.
-- The payload names the table; notifications with the same payload in one transaction are merged.
CREATE FUNCTION notify_dateline_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dateline_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION notify_dateline_changes();
CREATE TRIGGER article_authors_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_authors
    FOR EACH STATEMENT EXECUTE FUNCTION notify_dateline_changes();
CREATE TRIGGER article_topics_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_topics
    FOR EACH STATEMENT EXECUTE FUNCTION notify_dateline_changes();
CREATE TRIGGER authors_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authors
    FOR EACH STATEMENT EXECUTE FUNCTION notify_dateline_changes();
CREATE TRIGGER topics_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION notify_dateline_changes();
