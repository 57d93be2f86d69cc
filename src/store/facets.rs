//! Facets: what the articles a filter selects are about, counted in one statement.
//!
//! The cost is bounded by what the statement reads: the histogram (and so `total`) is one pass
//! over the ids and dates of the whole matching set, which the driving index holds; the topic,
//! entity and author counts read the links of the newest [`FACET_SAMPLE`] matches only. Below
//! that size every count is exact.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::article_sql::{ArticleFilter, matching_sql};
use super::sql::{Sql, with_custom_plans};
use crate::vocab::{EntityKind, HistogramInterval};

/// How many of the newest matching articles the topic, entity and author counts read.
pub const FACET_SAMPLE: u32 = 1_000;
/// The most histogram buckets an answer holds: the newest ones.
pub const MAX_BUCKETS: u32 = 1_000;

/// The origin of the day buckets: `date_bin` counts days from it with integer arithmetic, where
/// `date_trunc` in a time zone converts every row's time (2.5 times the cost of the histogram
/// over a topic of 167,296 articles); the few days are then truncated to the interval.
const UTC_MIDNIGHT: &str = "TIMESTAMPTZ '2000-01-01 00:00:00+00'";

/// What to count and how much of it to return.
#[derive(Debug, Clone, Copy)]
pub struct FacetRequest<'a> {
    pub filter: &'a ArticleFilter,
    pub interval: HistogramInterval,
    /// How many topics, authors and entities of each kind.
    pub top: u32,
}

/// A topic, author or entity and how many of the counted articles it labels.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetCount {
    pub slug: String,
    pub name: String,
    pub count: i64,
}

/// The facets of a set of articles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    /// How many articles the filter selects.
    pub total: i64,
    /// How many of them the topic, entity and author counts read: the newest ones.
    pub counted: i64,
    /// Most frequent first, ties by slug.
    pub topics: Vec<FacetCount>,
    pub authors: Vec<FacetCount>,
    /// Per kind, most frequent first.
    pub entities: Vec<(EntityKind, FacetCount)>,
    /// (bucket start, count), oldest first: the newest [`MAX_BUCKETS`] non-empty buckets.
    pub histogram: Vec<(DateTime<Utc>, i64)>,
}

#[derive(QueryableByName)]
struct FacetRow {
    #[diesel(sql_type = Text)]
    facet: String,
    #[diesel(sql_type = Nullable<Text>)]
    slug: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<EntityKind>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    bucket: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    total: Option<i64>,
}

/// Counts the facets of the articles `request.filter` selects, in one round trip.
pub async fn facets(
    conn: &mut AsyncPgConnection,
    request: FacetRequest<'_>,
) -> diesel::QueryResult<Facets> {
    let query = facets_sql(request).into_query();
    let rows: Vec<FacetRow> = match request.filter.conditions.search() {
        Some(_) => with_custom_plans(conn, async |conn| query.load(conn).await).await?,
        None => query.load(conn).await?,
    };
    let mut facets = Facets::default();
    for row in rows {
        let count = || FacetCount {
            slug: row.slug.clone().unwrap_or_default(),
            name: row.name.clone().unwrap_or_default(),
            count: row.n,
        };
        match (row.facet.as_str(), row.kind, row.bucket) {
            ("bucket", _, Some(bucket)) => {
                facets.total = row.total.unwrap_or_default();
                facets.histogram.push((bucket, row.n));
            }
            ("topic", ..) => facets.topics.push(count()),
            ("author", ..) => facets.authors.push(count()),
            ("entity", Some(kind), _) => facets.entities.push((kind, count())),
            _ => {}
        }
    }
    facets.counted = facets.total.min(i64::from(FACET_SAMPLE));
    let by_count = |a: &FacetCount, b: &FacetCount| b.count.cmp(&a.count).then(a.slug.cmp(&b.slug));
    facets.topics.sort_by(by_count);
    facets.authors.sort_by(by_count);
    facets.entities.sort_by(|(ka, a), (kb, b)| {
        let kind = |k: &EntityKind| EntityKind::ALL.iter().position(|x| x == k);
        kind(ka).cmp(&kind(kb)).then(by_count(a, b))
    });
    facets.histogram.sort_by_key(|(bucket, _)| *bucket);
    Ok(facets)
}

/// The facet statement: rows of the histogram (each with the total), then the top topics,
/// authors and entities per kind of the sample.
fn facets_sql(request: FacetRequest<'_>) -> Sql {
    let FacetRequest {
        filter,
        interval,
        top,
    } = request;
    let interval = interval.as_str();
    let mut sql = Sql::new("WITH s AS MATERIALIZED (");
    sql.append(matching_sql(filter, Some(FACET_SAMPLE)))
        .push("), m AS (")
        .append(matching_sql(filter, None))
        .push(&format!(
            "), days AS (SELECT date_bin('1 day', m.published_at, {UTC_MIDNIGHT}) AS day, count(*) AS n \
                           FROM m GROUP BY 1), \
             h AS (SELECT date_trunc('{interval}', days.day, 'UTC') AS bucket, sum(days.n)::int8 AS n \
                     FROM days GROUP BY 1) \
             (SELECT 'bucket' AS facet, NULL::text AS slug, NULL::text AS name, NULL::text AS kind, \
                     h.bucket, h.n, sum(h.n) OVER ()::int8 AS total \
                FROM h ORDER BY h.bucket DESC LIMIT {MAX_BUCKETS}) \
             UNION ALL \
             (SELECT 'topic', t.slug, t.name, NULL, NULL, c.n, NULL \
                FROM (SELECT x.topic_id, count(*) AS n FROM s JOIN article_topics x ON x.article_id = s.id \
                       GROUP BY x.topic_id) c JOIN topics t ON t.id = c.topic_id \
               ORDER BY c.n DESC, t.slug LIMIT {top}) \
             UNION ALL \
             (SELECT 'author', au.slug, au.name, NULL, NULL, c.n, NULL \
                FROM (SELECT x.author_id, count(*) AS n FROM s JOIN article_authors x ON x.article_id = s.id \
                       GROUP BY x.author_id) c JOIN authors au ON au.id = c.author_id \
               ORDER BY c.n DESC, au.slug LIMIT {top}) \
             UNION ALL \
             (SELECT 'entity', r.slug, r.name, r.kind, NULL, r.n, NULL \
                FROM (SELECT e.slug, e.name, e.kind, c.n, \
                             row_number() OVER (PARTITION BY e.kind ORDER BY c.n DESC, e.slug) AS place \
                        FROM (SELECT x.entity_id, count(*) AS n FROM s JOIN article_entities x ON x.article_id = s.id \
                               GROUP BY x.entity_id) c JOIN entities e ON e.id = c.entity_id) r \
               WHERE r.place <= {top})"
        ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TopicId;

    #[test]
    fn one_statement_counts_the_whole_set_and_samples_the_newest_for_the_labels() {
        let filter = ArticleFilter {
            scope_topic: Some(TopicId(3)),
            ..Default::default()
        };
        let text = facets_sql(FacetRequest {
            filter: &filter,
            interval: HistogramInterval::Week,
            top: 5,
        })
        .text();
        assert!(
            text.starts_with(
                "WITH s AS MATERIALIZED (SELECT a.id, a.published_at FROM article_topics d JOIN articles a ON a.id = d.article_id \
                 WHERE a.pub_status = 'usable' AND d.topic_id = $1 ORDER BY d.published_at DESC, d.article_id DESC LIMIT 1000), \
                 m AS (SELECT d.article_id AS id, d.published_at AS published_at FROM article_topics d WHERE d.topic_id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM articles u WHERE u.id = d.article_id AND u.pub_status <> 'usable')), \
                 days AS (SELECT date_bin('1 day', m.published_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day, count(*) AS n \
                 FROM m GROUP BY 1), h AS (SELECT date_trunc('week', days.day, 'UTC')"
            ),
            "{text}"
        );
        assert!(
            text.contains("ORDER BY h.bucket DESC LIMIT 1000)"),
            "{text}"
        );
        // With a filter on the article's own columns, the whole set is read through the articles.
        let filter = ArticleFilter {
            scope_topic: Some(TopicId(3)),
            conditions: crate::store::article_sql::Conditions {
                language: Some("en".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let text = facets_sql(FacetRequest {
            filter: &filter,
            interval: HistogramInterval::Month,
            top: 5,
        })
        .text();
        assert!(
            text.contains(
                "m AS (SELECT a.id, a.published_at FROM article_topics d JOIN articles a ON a.id = d.article_id \
                 WHERE a.pub_status = 'usable' AND d.topic_id = $3 AND a.language = $4), days AS"
            ),
            "{text}"
        );
        assert_eq!(text.matches("LIMIT 5)").count(), 2, "{text}");
        assert!(text.ends_with("WHERE r.place <= 5)"), "{text}");
    }
}
