DROP TRIGGER articles_sync_published_at ON articles;
DROP FUNCTION articles_sync_published_at();
DROP TABLE article_topics;
DROP TABLE article_entities;
DROP TABLE article_authors;
DROP TABLE articles;
DROP TABLE entities;
DROP TABLE authors;
DROP TABLE topics;
