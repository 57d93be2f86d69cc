-- Fills a migrated, empty dateline database with synthetic articles for query plans and load tests.
--   psql -v articles=1000000 -f bench/generate.sql postgres://…/dbname
-- Shape: 200 topics (20 roots of 9 children), 20,000 authors, 100,000 entities linked with a
-- skewed popularity, 1 to 2 authors, 1 direct topic (plus its root) and 3 to 10 entities per
-- article, ten years of dates, five languages. Bodies are short: plans do not depend on length.
\set ON_ERROR_STOP on
\if :{?articles}
\else
  \set articles 1000000
\endif
SET synchronous_commit = off;

INSERT INTO topics (slug, name)
SELECT 'root-' || r, 'Root ' || r FROM generate_series(1, 20) r;
INSERT INTO topics (slug, name, parent_id)
SELECT 'topic-' || r || '-' || c, 'Topic ' || r || '.' || c, (SELECT id FROM topics WHERE slug = 'root-' || r)
FROM generate_series(1, 20) r, generate_series(1, 9) c;

INSERT INTO authors (slug, name) SELECT 'author-' || g, 'Author ' || g FROM generate_series(1, 20000) g;
INSERT INTO entities (slug, name, kind)
SELECT 'entity-' || g, 'Entity ' || g, (ARRAY['person', 'organisation', 'place', 'event', 'other'])[1 + g % 5]
FROM generate_series(1, 100000) g;

INSERT INTO articles (slug, headline, lead, body, language, published_at)
SELECT 'article-' || g,
       'Headline ' || g || ' ' || md5(g::text),
       'Lead of article ' || g,
       repeat('word' || (g % 1000) || ' ', 30),
       (ARRAY['en', 'en', 'en', 'fr', 'de', 'es', 'az'])[1 + g % 7],
       timestamptz '2026-01-01' - (g::double precision / :articles) * interval '3652 days'
FROM generate_series(1, :articles) g;

INSERT INTO article_authors (article_id, author_id, position, published_at)
SELECT a.id, 1 + (a.id * 7919) % 20000, 0, a.published_at FROM articles a;
INSERT INTO article_authors (article_id, author_id, position, published_at)
SELECT a.id, 1 + (a.id * 104729) % 20000, 1, a.published_at FROM articles a WHERE a.id % 4 = 0
ON CONFLICT DO NOTHING;

-- Direct topic among the 180 children, and its root as the closure row.
INSERT INTO article_topics (article_id, topic_id, direct, published_at)
SELECT a.id, t.id, true, a.published_at
FROM articles a JOIN topics t ON t.id = 21 + (a.id * 31) % 180;
INSERT INTO article_topics (article_id, topic_id, direct, published_at)
SELECT at.article_id, t.parent_id, false, at.published_at
FROM article_topics at JOIN topics t ON t.id = at.topic_id WHERE t.parent_id IS NOT NULL;

-- Skewed popularity: entity k is drawn with probability ~ 1/k (rounded power law).
INSERT INTO article_entities (article_id, entity_id, mentions, rel, published_at)
SELECT DISTINCT ON (a.id, e) a.id, e, 1 + (a.id + n) % 5, CASE WHEN n = 1 THEN 'about' ELSE 'mentions' END, a.published_at
FROM articles a
CROSS JOIN LATERAL generate_series(1, 3 + a.id % 8) n
-- `+ 0 * n` makes the draw per link, not once per article.
CROSS JOIN LATERAL (SELECT least(100000, greatest(1, floor(exp(random() * ln(100000)) + 0 * n)::int)) AS e) pick
ON CONFLICT DO NOTHING;

ANALYZE;
