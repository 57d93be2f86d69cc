//! The article-list query builder: every endpoint that lists articles goes through
//! [`list_articles`].
//!
//! A page is one statement: a keyset query for the page's rows, then the authors and topics of
//! those rows gathered as arrays. The keyset query drives from the most
//! selective index: a topic's, an entity's or an author's `(x_id, published_at DESC, article_id
//! DESC)` range, or the articles' own `(published_at DESC, id DESC)`. Any-of topics become one
//! `LIMIT n+1` branch per topic, merged by `UNION` (which drops the articles two branches share).
//! The statement text depends only on which filters are set and on the page size, rounded up to
//! one of [`FETCH_SIZES`], so diesel-async prepares it once per connection and reuses it.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Float4, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use super::prepared::{Bind, PreparedSql};
use super::{ArticleId, AuthorId, EntityId, TopicId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleSort {
    Latest,
    Oldest,
    Relevance,
}

/// What a list of articles is filtered by. Every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Any of these topics, each including its descendants.
    pub any_topics: Vec<TopicId>,
    /// This topic (with its descendants) in any case: the scope of `/topics/{slug}/articles`.
    pub scope_topic: Option<TopicId>,
    /// All of these authors.
    pub authors: Vec<AuthorId>,
    /// All of these entities.
    pub entities: Vec<EntityId>,
    pub language: Option<String>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    /// `websearch_to_tsquery` syntax.
    pub query: Option<String>,
}

/// The sort key of an article in a list: where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ArticleKey {
    /// Microseconds since the epoch.
    pub t: i64,
    pub id: i64,
    /// Full-text rank, for `sort=relevance`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub r: Option<f32>,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ArticleSummaryRow {
    #[diesel(sql_type = BigInt)]
    pub id: ArticleId,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub headline: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub lead: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub source: Option<String>,
    #[diesel(sql_type = Text)]
    pub language: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub dateline: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Float4>)]
    pub rank: Option<f32>,
}

/// An article's authors and direct topics as [`LABEL_COLUMNS`] returns them: `(slug, name)`
/// pairs split into arrays.
#[derive(QueryableByName)]
struct LabelColumns {
    #[diesel(sql_type = Array<Text>)]
    author_slugs: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    author_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    topic_slugs: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    topic_names: Vec<String>,
}

/// A row of a page: the summary and its labels.
#[derive(QueryableByName)]
struct ArticlePageRow {
    #[diesel(embed)]
    summary: ArticleSummaryRow,
    #[diesel(embed)]
    labels: LabelColumns,
}

impl ArticleSummary {
    fn new(row: ArticleSummaryRow, labels: LabelColumns) -> Self {
        Self {
            row,
            authors: labels
                .author_slugs
                .into_iter()
                .zip(labels.author_names)
                .collect(),
            topics: labels
                .topic_slugs
                .into_iter()
                .zip(labels.topic_names)
                .collect(),
        }
    }
}

/// The labels of the article whose id is `article_id`.
#[derive(QueryableByName)]
struct ArticleLabelsRow {
    #[diesel(sql_type = BigInt)]
    article_id: ArticleId,
    #[diesel(embed)]
    labels: LabelColumns,
}

/// The `au` (authors in byline order) and `tp` (direct topics by name) CTEs for the articles whose
/// ids `ids` selects, one row per article, gathered as a set so each label table is visited once.
fn label_ctes(ids: &str) -> String {
    format!(
        "au AS (SELECT aa.article_id, array_agg(x.slug ORDER BY aa.position, x.name) AS slugs, \
                       array_agg(x.name ORDER BY aa.position, x.name) AS names \
                  FROM article_authors aa JOIN authors x ON x.id = aa.author_id \
                 WHERE aa.article_id IN ({ids}) GROUP BY aa.article_id), \
         tp AS (SELECT at.article_id, array_agg(t.slug ORDER BY t.name) AS slugs, \
                       array_agg(t.name ORDER BY t.name) AS names \
                  FROM article_topics at JOIN topics t ON t.id = at.topic_id \
                 WHERE at.article_id IN ({ids}) AND at.direct GROUP BY at.article_id)"
    )
}

/// The [`LabelColumns`] of a row joined to `au` and `tp` (see [`label_ctes`]).
const LABEL_COLUMNS: &str = "coalesce(au.slugs, '{}') AS author_slugs, coalesce(au.names, '{}') AS author_names, \
     coalesce(tp.slugs, '{}') AS topic_slugs, coalesce(tp.names, '{}') AS topic_names";

impl ArticleKey {
    /// Whether this key can have come from a list sorted by `sort`: a time PostgreSQL can hold
    /// (years 0 to 9999 are what RFC 3339 can express) and a rank when sorting by relevance.
    pub fn fits(&self, sort: ArticleSort) -> bool {
        let time_ok =
            DateTime::from_timestamp_micros(self.t).is_some_and(|t| (0..=9999).contains(&t.year()));
        let rank_ok = sort != ArticleSort::Relevance || self.r.is_some_and(f32::is_finite);
        time_ok && rank_ok
    }
}

impl ArticleSummaryRow {
    pub fn key(&self) -> ArticleKey {
        ArticleKey {
            t: self.published_at.timestamp_micros(),
            id: self.id.0,
            r: self.rank,
        }
    }
}

/// A summary with its authors and topics, in byline and name order.
#[derive(Debug, Clone)]
pub struct ArticleSummary {
    pub row: ArticleSummaryRow,
    /// (slug, name)
    pub authors: Vec<(String, String)>,
    /// (slug, name), direct topics only.
    pub topics: Vec<(String, String)>,
}

/// The slugs an article list is filtered by.
#[derive(Debug, Default)]
pub struct FilterSlugs<'a> {
    pub topics: &'a [String],
    pub authors: &'a [String],
    pub entities: &'a [String],
}

/// The ids of the slugs that exist, by slug.
#[derive(Debug, Default)]
pub struct FilterIds {
    pub topics: HashMap<String, TopicId>,
    pub authors: HashMap<String, AuthorId>,
    pub entities: HashMap<String, EntityId>,
}

#[derive(QueryableByName)]
struct SlugRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
}

/// Looks every filter slug up in one round trip (none when there are no slugs).
pub async fn resolve_slugs(
    conn: &mut AsyncPgConnection,
    slugs: &FilterSlugs<'_>,
) -> diesel::QueryResult<FilterIds> {
    let mut ids = FilterIds::default();
    if slugs.topics.is_empty() && slugs.authors.is_empty() && slugs.entities.is_empty() {
        return Ok(ids);
    }
    let rows: Vec<SlugRow> = PreparedSql::new(
        "SELECT 'topic' AS kind, id::int8 AS id, slug FROM topics WHERE slug = ANY($1) \
         UNION ALL SELECT 'author', id, slug FROM authors WHERE slug = ANY($2) \
         UNION ALL SELECT 'entity', id, slug FROM entities WHERE slug = ANY($3)",
        vec![
            Bind::Texts(slugs.topics.to_vec()),
            Bind::Texts(slugs.authors.to_vec()),
            Bind::Texts(slugs.entities.to_vec()),
        ],
    )
    .load(conn)
    .await?;
    for row in rows {
        match row.kind.as_str() {
            "topic" => {
                if let Ok(id) = i32::try_from(row.id) {
                    ids.topics.insert(row.slug, TopicId(id));
                }
            }
            "author" => {
                ids.authors.insert(row.slug, AuthorId(row.id));
            }
            _ => {
                ids.entities.insert(row.slug, EntityId(row.id));
            }
        }
    }
    Ok(ids)
}

/// A page of `limit` articles after `after`, and the key to continue from when there are more.
pub async fn list_articles(
    conn: &mut AsyncPgConnection,
    filter: &ArticleFilter,
    sort: ArticleSort,
    after: Option<ArticleKey>,
    limit: u32,
) -> diesel::QueryResult<(Vec<ArticleSummary>, Option<ArticleKey>)> {
    let (sql, binds) = page_sql(filter, sort, after, limit);
    let mut rows: Vec<ArticlePageRow> = PreparedSql::new(sql, binds).load(conn).await?;
    let limit = limit as usize;
    let next = (rows.len() > limit).then(|| rows[limit - 1].summary.key());
    rows.truncate(limit);
    let summaries = rows
        .into_iter()
        .map(|row| ArticleSummary::new(row.summary, row.labels))
        .collect();
    Ok((summaries, next))
}

/// The page statement: the keyset rows, then the authors and direct topics of all of them at once.
fn page_sql(
    filter: &ArticleFilter,
    sort: ArticleSort,
    after: Option<ArticleKey>,
    limit: u32,
) -> (String, Vec<Bind>) {
    let (keyset, binds) = keyset_sql(filter, sort, after, limit);
    let order = order_by(sort, "p.published_at", "p.id", "p.rank");
    let labels = label_ctes("SELECT id FROM p");
    let sql = format!(
        "WITH p AS ({keyset}), {labels} \
         SELECT p.*, {LABEL_COLUMNS} \
           FROM p LEFT JOIN au ON au.article_id = p.id LEFT JOIN tp ON tp.article_id = p.id \
          ORDER BY {order}"
    );
    (sql, binds)
}

/// Fetches the authors and topics of articles in one round trip (the single-article view's path),
/// with the same SQL as a page's labels.
pub async fn attach_labels(
    conn: &mut AsyncPgConnection,
    rows: Vec<ArticleSummaryRow>,
) -> diesel::QueryResult<Vec<ArticleSummary>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id.0).collect();
    let labels = label_ctes("SELECT id FROM ids");
    let found: Vec<ArticleLabelsRow> = PreparedSql::new(
        format!(
            "WITH ids AS (SELECT unnest($1::int8[]) AS id), {labels} \
             SELECT ids.id AS article_id, {LABEL_COLUMNS} \
               FROM ids LEFT JOIN au ON au.article_id = ids.id LEFT JOIN tp ON tp.article_id = ids.id"
        ),
        vec![Bind::BigInts(ids)],
    )
    .load(conn)
    .await?;
    let mut labels: HashMap<ArticleId, LabelColumns> = found
        .into_iter()
        .map(|row| (row.article_id, row.labels))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let labels = labels.remove(&row.id)?;
            Some(ArticleSummary::new(row, labels))
        })
        .collect())
}

struct SqlWriter {
    binds: Vec<Bind>,
}

impl SqlWriter {
    /// Registers a bind value and returns its placeholder.
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }
}

/// Where a branch's rows come from: the index it range-scans.
enum Driver {
    Topic(TopicId),
    Entity(EntityId),
    Author(AuthorId),
    Articles,
}

const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at";

fn keyset_sql(
    filter: &ArticleFilter,
    sort: ArticleSort,
    after: Option<ArticleKey>,
    limit: u32,
) -> (String, Vec<Bind>) {
    let mut w = SqlWriter { binds: Vec::new() };
    let tsquery = filter.query.as_ref().map(|q| {
        format!(
            "websearch_to_tsquery('english', {})",
            w.bind(Bind::Text(q.clone()))
        )
    });
    // Written in, not bound: with `LIMIT $n` PostgreSQL's generic plan assumes a large share of
    // the rows, so it would re-plan the statement on every execution.
    let page = (fetch_size(limit) + 1).to_string();
    let drivers: Vec<Driver> = if let Some(t) = filter.scope_topic {
        vec![Driver::Topic(t)]
    } else if !filter.any_topics.is_empty() {
        filter
            .any_topics
            .iter()
            .copied()
            .map(Driver::Topic)
            .collect()
    } else if let Some(&e) = <[EntityId]>::first(&filter.entities) {
        vec![Driver::Entity(e)]
    } else if let Some(&a) = <[AuthorId]>::first(&filter.authors) {
        vec![Driver::Author(a)]
    } else {
        vec![Driver::Articles]
    };
    let branches: Vec<String> = drivers
        .iter()
        .map(|d| branch_sql(&mut w, d, filter, sort, after, tsquery.as_deref(), &page))
        .collect();
    let order = order_by(sort, "published_at", "id", "rank");
    let sql = if branches.len() == 1 {
        branches.into_iter().next().unwrap_or_default()
    } else {
        let union = branches
            .iter()
            .map(|b| format!("({b})"))
            .collect::<Vec<_>>()
            .join(" UNION ");
        format!("SELECT * FROM ({union}) merged ORDER BY {order} LIMIT {page}")
    };
    (sql, w.binds)
}

/// The page sizes whose statements are prepared: a request's page is read with the first one that
/// holds it, then cut, so that the hundred possible limits make four statement texts, not a hundred.
const FETCH_SIZES: [u32; 4] = [10, 20, 50, 100];

fn fetch_size(limit: u32) -> u32 {
    FETCH_SIZES
        .into_iter()
        .find(|&size| size >= limit)
        .unwrap_or(limit)
}

fn order_by(sort: ArticleSort, time: &str, id: &str, rank: &str) -> String {
    match sort {
        ArticleSort::Latest => format!("{time} DESC, {id} DESC"),
        ArticleSort::Oldest => format!("{time} ASC, {id} ASC"),
        ArticleSort::Relevance => format!("{rank} DESC, {id} DESC"),
    }
}

fn branch_sql(
    w: &mut SqlWriter,
    driver: &Driver,
    filter: &ArticleFilter,
    sort: ArticleSort,
    after: Option<ArticleKey>,
    tsquery: Option<&str>,
    page: &str,
) -> String {
    let mut conditions = vec!["a.pub_status = 'usable'".to_owned()];
    // The driver's own columns carry the sort key, so ORDER BY and the keyset bound hit its index.
    let (from, time, id) = match driver {
        Driver::Topic(t) => {
            conditions.push(format!("d.topic_id = {}", w.bind(Bind::Int(t.0))));
            (
                "article_topics d JOIN articles a ON a.id = d.article_id",
                "d.published_at",
                "d.article_id",
            )
        }
        Driver::Entity(e) => {
            conditions.push(format!("d.entity_id = {}", w.bind(Bind::BigInt(e.0))));
            (
                "article_entities d JOIN articles a ON a.id = d.article_id",
                "d.published_at",
                "d.article_id",
            )
        }
        Driver::Author(au) => {
            conditions.push(format!("d.author_id = {}", w.bind(Bind::BigInt(au.0))));
            (
                "article_authors d JOIN articles a ON a.id = d.article_id",
                "d.published_at",
                "d.article_id",
            )
        }
        Driver::Articles => ("articles a", "a.published_at", "a.id"),
    };
    if filter.scope_topic.is_some() && !filter.any_topics.is_empty() {
        let ids = filter.any_topics.iter().map(|t| i64::from(t.0)).collect();
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM article_topics x WHERE x.article_id = a.id AND x.topic_id = ANY({}::int4[]))",
            w.bind(Bind::BigInts(ids))
        ));
    }
    for author in &filter.authors {
        if matches!(driver, Driver::Author(d) if d == author) {
            continue;
        }
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = {})",
            w.bind(Bind::BigInt(author.0))
        ));
    }
    let driving_entity = match driver {
        Driver::Entity(e) => Some(*e),
        _ => None,
    };
    let other_entities: Vec<i64> = filter
        .entities
        .iter()
        .filter(|e| Some(**e) != driving_entity)
        .map(|e| e.0)
        .collect();
    if !other_entities.is_empty() {
        let n = other_entities.len() as i64;
        conditions.push(format!(
            "(SELECT count(*) FROM article_entities x WHERE x.article_id = a.id AND x.entity_id = ANY({})) = {}",
            w.bind(Bind::BigInts(other_entities)),
            w.bind(Bind::BigInt(n))
        ));
    }
    if let Some(language) = &filter.language {
        conditions.push(format!(
            "a.language = {}",
            w.bind(Bind::Text(language.clone()))
        ));
    }
    if let Some(t) = filter.published_after {
        conditions.push(format!("{time} > {}", w.bind(Bind::Time(t))));
    }
    if let Some(t) = filter.published_before {
        conditions.push(format!("{time} < {}", w.bind(Bind::Time(t))));
    }
    let rank = match tsquery {
        Some(q) => {
            conditions.push(format!("a.search @@ {q}"));
            format!("ts_rank(a.search, {q})")
        }
        None => "NULL::real".to_owned(),
    };
    if let Some(key) = after {
        let after_id = w.bind(Bind::BigInt(key.id));
        let bound = match sort {
            ArticleSort::Latest => format!(
                "({time}, {id}) < ({}, {after_id})",
                w.bind(Bind::Time(micros_to_time(key.t)))
            ),
            ArticleSort::Oldest => format!(
                "({time}, {id}) > ({}, {after_id})",
                w.bind(Bind::Time(micros_to_time(key.t)))
            ),
            ArticleSort::Relevance => format!(
                "({rank}, {id}) < ({}, {after_id})",
                w.bind(Bind::Real(key.r.unwrap_or(f32::MAX)))
            ),
        };
        conditions.push(bound);
    }
    let order = order_by(sort, time, id, "rank");
    format!(
        "SELECT {SUMMARY_COLUMNS}, {rank} AS rank FROM {from} WHERE {} ORDER BY {order} LIMIT {page}",
        conditions.join(" AND ")
    )
}

/// Keys are checked with [`ArticleKey::fits`] before they get here; the fallback only keeps an
/// unchecked key from reaching PostgreSQL out of range.
fn micros_to_time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}
