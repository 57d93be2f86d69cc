-- The plans of the statements dateline sends for the hot lists, as prepared statements with the
-- parameters the server binds (copied from the server's statement log). Run against a database
-- filled by bench/generate.sql:
--   psql -f bench/explain.sql postgres://…/dbname
\set ON_ERROR_STOP on
\pset pager off

PREPARE by_topic(int8, int4) AS
SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, NULL::real AS rank
FROM article_topics d JOIN articles a ON a.id = d.article_id
WHERE a.pub_status = 'usable' AND d.topic_id = $2
ORDER BY d.published_at DESC, d.article_id DESC LIMIT $1;

PREPARE by_topic_after(int8, int4, int8, timestamptz) AS
SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, NULL::real AS rank
FROM article_topics d JOIN articles a ON a.id = d.article_id
WHERE a.pub_status = 'usable' AND d.topic_id = $2 AND (d.published_at, d.article_id) < ($4, $3)
ORDER BY d.published_at DESC, d.article_id DESC LIMIT $1;

PREPARE latest(int8) AS
SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, NULL::real AS rank
FROM articles a WHERE a.pub_status = 'usable'
ORDER BY a.published_at DESC, a.id DESC LIMIT $1;

PREPARE by_entity(int8, int8) AS
SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, NULL::real AS rank
FROM article_entities d JOIN articles a ON a.id = d.article_id
WHERE a.pub_status = 'usable' AND d.entity_id = $2
ORDER BY d.published_at DESC, d.article_id DESC LIMIT $1;

PREPARE any_of_topics(int8, int4, int4) AS
SELECT * FROM (
  (SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, NULL::real AS rank
   FROM article_topics d JOIN articles a ON a.id = d.article_id
   WHERE a.pub_status = 'usable' AND d.topic_id = $2 ORDER BY d.published_at DESC, d.article_id DESC LIMIT $1)
  UNION ALL
  (SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, NULL::real AS rank
   FROM article_topics d JOIN articles a ON a.id = d.article_id
   WHERE a.pub_status = 'usable' AND d.topic_id = $3 ORDER BY d.published_at DESC, d.article_id DESC LIMIT $1)
) merged ORDER BY published_at DESC, id DESC;

PREPARE labels(int8[]) AS
SELECT aa.article_id, 'author' AS kind, au.slug, au.name, aa.position::int4 AS ord
FROM article_authors aa JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = ANY($1)
UNION ALL
SELECT at.article_id, 'topic', t.slug, t.name, 0
FROM article_topics at JOIN topics t ON t.id = at.topic_id WHERE at.article_id = ANY($1) AND at.direct
ORDER BY 1, 2, 5, 4;

\echo '## latest by topic (root-3, with its nine subtopics), page 1'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE by_topic(21, 3);

-- Page 500 at 20 a page: the cursor holds the 10,000th item's (published_at, id).
SELECT published_at AS t, article_id AS id FROM article_topics WHERE topic_id = 3
ORDER BY published_at DESC, article_id DESC OFFSET 9999 LIMIT 1 \gset
\echo '## latest by topic, page 500 (after a cursor)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE by_topic_after(21, 3, :id, :'t');

\echo '## latest articles, page 1'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE latest(21);

\echo '## latest by entity (entity-1, the most linked)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE by_entity(21, 1);

\echo '## any of two topics'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE any_of_topics(21, 3, 40);

\echo '## authors and topics of a page of 20 (the second round trip)'
SELECT array_agg(article_id) AS ids FROM (SELECT article_id FROM article_topics WHERE topic_id = 3 ORDER BY published_at DESC, article_id DESC LIMIT 20) p \gset
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE labels(:'ids');
