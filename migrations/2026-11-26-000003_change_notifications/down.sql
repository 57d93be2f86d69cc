DROP TRIGGER topics_notify ON topics;
DROP TRIGGER authors_notify ON authors;
DROP TRIGGER article_topics_notify ON article_topics;
DROP TRIGGER article_authors_notify ON article_authors;
DROP TRIGGER articles_notify ON articles;
DROP FUNCTION notify_dateline_changes();
