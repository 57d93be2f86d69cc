DROP TRIGGER article_changes_on_update ON articles;
DROP TRIGGER article_changes_on_insert ON articles;
DROP FUNCTION article_changes_record();
DROP TABLE article_changes;
