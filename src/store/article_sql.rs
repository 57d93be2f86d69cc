//! The article-list SQL: every endpoint that lists articles runs [`list_articles`].
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

use super::json::StoredJson;
use super::search::Search;
use super::sql::{Bind, PreparedSql, Sql, with_custom_plans};
use super::{ArticleId, AuthorId, EntityId, TopicId};
use crate::media::Image;
use crate::vocab::SortOrder;

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
    /// The filters on the article's own columns.
    pub conditions: Conditions,
    /// The search's matches as the search index found them (`search_index`): the statement
    /// reads these rows by id instead of testing search vectors. Only ever the page the
    /// statement would read itself.
    pub matches: Option<IndexMatches>,
}

/// A page of a search as the search index found it.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexMatches {
    /// Newest first: the page's rows (and the one after it).
    Newest(Vec<ArticleId>),
    /// By relevance: the page's rows with their scores ([`Search::score`]), in order.
    Ranked(Vec<(ArticleId, f32)>),
}

/// The filters on an article's own columns, as plain values. Unset ones are left out of the
/// serialised form, which the query layer digests into cursors: a filter added here does not
/// change the cursors of the lists that do not use it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Conditions {
    /// This language tag, in canonical case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Published strictly after this instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_after: Option<DateTime<Utc>>,
    /// Published strictly before this instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_before: Option<DateTime<Utc>>,
    /// Any of these sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Changed strictly after this instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<DateTime<Utc>>,
    /// Full text, in `websearch_to_tsquery` syntax.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

impl Conditions {
    /// The full-text search, when there is one.
    pub fn search(&self) -> Option<Search<'_>> {
        self.query.as_deref().map(|query| Search {
            query,
            language: self.language.as_deref(),
        })
    }
}

impl ArticleFilter {
    fn search(&self) -> Option<Search<'_>> {
        self.conditions.search()
    }
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
    /// What lists show of the article's media.
    #[diesel(sql_type = Nullable<diesel::sql_types::Jsonb>)]
    pub image: Option<StoredJson<Image>>,
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

/// A row of a page: the summary, its labels and, in a search, the window of its body that its
/// highlight may show.
#[derive(QueryableByName)]
struct ArticlePageRow {
    #[diesel(embed)]
    summary: ArticleSummaryRow,
    #[diesel(embed)]
    labels: LabelColumns,
    #[diesel(sql_type = Nullable<Text>)]
    body_window: Option<String>,
}

impl ArticleSummary {
    fn new(row: ArticleSummaryRow, labels: LabelColumns) -> Self {
        Self {
            row,
            body_window: None,
            highlight: None,
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
    pub fn fits(&self, sort: SortOrder) -> bool {
        let time_ok =
            DateTime::from_timestamp_micros(self.t).is_some_and(|t| (0..=9999).contains(&t.year()));
        let rank_ok = sort != SortOrder::Relevance || self.r.is_some_and(f32::is_finite);
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
    /// In a search, the part of the body its highlight may show (`Search::body_window`).
    pub body_window: Option<String>,
    /// In a search, where the words matched: escaped HTML with each match in `<mark>`, made by
    /// the query layer from the headline, the lead and `body_window`.
    pub highlight: Option<String>,
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
    let rows: Vec<SlugRow> = slugs_sql(slugs).into_query().load(conn).await?;
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

/// The lookup of every filter slug, in one statement.
fn slugs_sql(slugs: &FilterSlugs<'_>) -> Sql {
    let mut sql =
        Sql::new("SELECT 'topic' AS kind, id::int8 AS id, slug FROM topics WHERE slug = ANY(");
    sql.bind(Bind::Texts(slugs.topics.to_vec()))
        .push(") UNION ALL SELECT 'author', id, slug FROM authors WHERE slug = ANY(")
        .bind(Bind::Texts(slugs.authors.to_vec()))
        .push(") UNION ALL SELECT 'entity', id, slug FROM entities WHERE slug = ANY(")
        .bind(Bind::Texts(slugs.entities.to_vec()))
        .push(")");
    sql
}

/// One page of a list: what it is filtered by, its order, where it starts and its size.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub filter: &'a ArticleFilter,
    pub sort: SortOrder,
    /// The key of the last article of the previous page.
    pub after: Option<ArticleKey>,
    pub limit: u32,
}

/// A page of `limit` articles after `after`, and the key to continue from when there are more.
pub async fn list_articles(
    conn: &mut AsyncPgConnection,
    page: PageRequest<'_>,
) -> diesel::QueryResult<(Vec<ArticleSummary>, Option<ArticleKey>)> {
    let query = page_sql(page).into_query();
    // A search tests search vectors, and its best plan depends on the words; rows read by id
    // (the search index's matches) plan alike for any.
    match (page.filter.search(), &page.filter.matches) {
        (Some(_), None) => {
            with_custom_plans(conn, async |conn| load_page(conn, query, page.limit).await).await
        }
        _ => load_page(conn, query, page.limit).await,
    }
}

/// Runs a page statement of [`labelled_sql`] that fetches more than `limit` rows when there are
/// more: the first `limit` summaries, and the key to continue from.
pub(crate) async fn load_page(
    conn: &mut AsyncPgConnection,
    query: PreparedSql,
    limit: u32,
) -> diesel::QueryResult<(Vec<ArticleSummary>, Option<ArticleKey>)> {
    let mut rows: Vec<ArticlePageRow> = query.load(conn).await?;
    let next = super::more_after(&mut rows, limit, |row| row.summary.key());
    let summaries = rows
        .into_iter()
        .map(|row| ArticleSummary {
            body_window: row.body_window,
            ..ArticleSummary::new(row.summary, row.labels)
        })
        .collect();
    Ok((summaries, next))
}

/// The page statement: the keyset rows, then the authors and direct topics of all of them at
/// once, and in a search the window of each row's body that its highlight shows.
fn page_sql(page: PageRequest<'_>) -> Sql {
    let order = order_by(page.sort, "p.published_at", "p.id", "p.rank");
    labelled_sql(keyset_sql(page), &order, page.filter.search())
}

/// A page's `rows` (the [`SUMMARY_COLUMNS`] and `rank`) with their labels, in `order` (over `p`),
/// and with `search`, the windows of their bodies that highlights show.
pub(crate) fn labelled_sql(rows: Sql, order: &str, search: Option<Search<'_>>) -> Sql {
    let labels = label_ctes("SELECT id FROM p");
    let mut sql = Sql::new("WITH p AS (");
    sql.append(rows)
        .push(&format!("), {labels} SELECT p.*, {LABEL_COLUMNS}, "));
    match search {
        Some(search) => {
            sql.append(search.body_window()).push(
                " AS body_window FROM p JOIN articles b ON b.id = p.id \
                 LEFT JOIN au ON au.article_id = p.id LEFT JOIN tp ON tp.article_id = p.id",
            );
        }
        None => {
            sql.push(
                "NULL::text AS body_window \
                 FROM p LEFT JOIN au ON au.article_id = p.id LEFT JOIN tp ON tp.article_id = p.id",
            );
        }
    }
    sql.push(&format!(" ORDER BY {order}"));
    sql
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
    let mut sql = Sql::new("WITH ids AS (SELECT unnest(");
    sql.bind(Bind::BigInts(ids)).push(&format!(
        "::int8[]) AS id), {labels} \
         SELECT ids.id AS article_id, {LABEL_COLUMNS} \
           FROM ids LEFT JOIN au ON au.article_id = ids.id LEFT JOIN tp ON tp.article_id = ids.id"
    ));
    let found: Vec<ArticleLabelsRow> = sql.into_query().load(conn).await?;
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

/// Where a branch's rows come from: the index it range-scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Topic(TopicId),
    Entity(EntityId),
    Author(AuthorId),
    Articles,
}

impl Driver {
    /// The index to walk for this filter: a topic's range (one per any-of topic, merged), else
    /// the first entity's, else the first author's, else the articles' own date index.
    fn choose(filter: &ArticleFilter) -> Vec<Driver> {
        if let Some(t) = filter.scope_topic {
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
        }
    }

    /// The link table whose index holds the driver's range, as `d`; none for the articles' own.
    fn link_table(self) -> Option<&'static str> {
        match self {
            Driver::Topic(_) => Some("article_topics d"),
            Driver::Entity(_) => Some("article_entities d"),
            Driver::Author(_) => Some("article_authors d"),
            Driver::Articles => None,
        }
    }

    /// The FROM clause, the condition that selects the driver's range (bound), and the columns
    /// that carry the sort key, so that ORDER BY and the keyset bound hit the driver's index.
    fn source(self) -> (&'static str, Option<Sql>, &'static str, &'static str) {
        let range = |column: &str, value: Bind| {
            let mut sql = Sql::new(&format!("{column} = "));
            sql.bind(value);
            Some(sql)
        };
        match self {
            Driver::Topic(t) => (
                "article_topics d JOIN articles a ON a.id = d.article_id",
                range("d.topic_id", Bind::Int(t.0)),
                "d.published_at",
                "d.article_id",
            ),
            Driver::Entity(e) => (
                "article_entities d JOIN articles a ON a.id = d.article_id",
                range("d.entity_id", Bind::BigInt(e.0)),
                "d.published_at",
                "d.article_id",
            ),
            Driver::Author(au) => (
                "article_authors d JOIN articles a ON a.id = d.article_id",
                range("d.author_id", Bind::BigInt(au.0)),
                "d.published_at",
                "d.article_id",
            ),
            Driver::Articles => ("articles a", None, "a.published_at", "a.id"),
        }
    }
}

pub(crate) const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, a.image";

/// The keyset rows of a page. Newest or oldest first: one branch per driver, merged by `UNION`
/// when there are several. By relevance: the newest [`Search::relevance_candidates`] matches, read that
/// way, then scored, ordered by score and cut after the cursor.
fn keyset_sql(page: PageRequest<'_>) -> Sql {
    // Written in, not bound: with `LIMIT $n` PostgreSQL's generic plan assumes a large share of
    // the rows, so it would re-plan the statement on every execution.
    let fetch = fetch_size(page.limit) + 1;
    match (page.sort, page.filter.search(), &page.filter.matches) {
        (SortOrder::Relevance, Some(_), Some(IndexMatches::Ranked(rows))) => {
            ranked_sql(rows, fetch)
        }
        (SortOrder::Relevance, Some(search), _) => relevance_sql(page, search, fetch),
        _ => ranges_sql(page, &page_columns(""), Some(fetch)),
    }
}

/// The rows of a page the search index ranked, with their scores, in relevance order.
fn ranked_sql(rows: &[(ArticleId, f32)], fetch: u32) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {SUMMARY_COLUMNS}, m.rank FROM unnest("));
    sql.bind(Bind::BigInts(rows.iter().map(|(id, _)| id.0).collect()))
        .push("::int8[], ")
        .bind(Bind::Reals(rows.iter().map(|(_, rank)| *rank).collect()))
        .push(&format!(
            "::real[]) AS m(id, rank) JOIN articles a ON a.id = m.id \
             WHERE a.pub_status = 'usable' ORDER BY {} LIMIT {fetch}",
            order_by(SortOrder::Relevance, "a.published_at", "a.id", "m.rank")
        ));
    sql
}

/// The rows of a page by relevance: candidates from [`ranges_sql`] newest first (with their
/// search vectors), scored by [`Search::score`], ties to the newer.
fn relevance_sql(page: PageRequest<'_>, search: Search<'_>, fetch: u32) -> Sql {
    let candidates = PageRequest {
        sort: SortOrder::Latest,
        after: None,
        ..page
    };
    let columns = |table: &str| SUMMARY_COLUMNS.replace("a.", &format!("{table}."));
    let mut sql = Sql::new(&format!(
        "SELECT {}, s.rank FROM (SELECT {}, ",
        columns("s"),
        columns("c")
    ));
    sql.append(search.score("c"))
        .push(" AS rank FROM (")
        .append(ranges_sql(
            candidates,
            &page_columns(", a.search"),
            Some(search.relevance_candidates()),
        ))
        .push(") c) s");
    if let Some(key) = page.after {
        sql.push(" WHERE ").append(keyset_bound(
            page.sort,
            key,
            "s.published_at",
            "s.id",
            Sql::new("s.rank"),
        ));
    }
    sql.push(&format!(
        " ORDER BY {} LIMIT {fetch}",
        order_by(page.sort, "s.published_at", "s.id", "s.rank")
    ));
    sql
}

/// A page's columns: the summary, `extra` ones, and a null rank (a relevance search ranks the
/// rows in [`relevance_sql`]).
fn page_columns(extra: &str) -> String {
    format!("{SUMMARY_COLUMNS}{extra}, NULL::real AS rank")
}

/// The `columns` of `fetch` articles in the order of `page` (of all of them, unordered, when
/// `fetch` is `None`): one branch per driver, merged by `UNION` when there are several.
fn ranges_sql(page: PageRequest<'_>, columns: &str, fetch: Option<u32>) -> Sql {
    let mut branches: Vec<Sql> = Driver::choose(page.filter)
        .into_iter()
        .map(|driver| branch_sql(page, driver, columns, fetch))
        .collect();
    if branches.len() == 1 {
        return branches.pop().unwrap_or_default();
    }
    let mut sql = Sql::new("SELECT * FROM (");
    sql.append(Sql::join(
        branches.into_iter().map(|branch| {
            let mut wrapped = Sql::new("(");
            wrapped.append(branch).push(")");
            wrapped
        }),
        " UNION ",
    ))
    .push(") merged");
    if let Some(fetch) = fetch {
        let order = order_by(page.sort, "published_at", "id", "rank");
        sql.push(&format!(" ORDER BY {order} LIMIT {fetch}"));
    }
    sql
}

/// The id and publication time (`id`, `published_at`) of every article that `filter` selects,
/// or of the newest `fetch` of them: what facets count.
pub fn matching_sql(filter: &ArticleFilter, fetch: Option<u32>) -> Sql {
    if fetch.is_none()
        && let Some(sql) = link_range_sql(filter)
    {
        return sql;
    }
    let page = PageRequest {
        filter,
        sort: SortOrder::Latest,
        after: None,
        limit: fetch.unwrap_or(1),
    };
    ranges_sql(page, "a.id, a.published_at", fetch)
}

/// The page sizes whose statements are prepared: a request's page is read with the first one that
/// holds it, then cut, so that the hundred possible limits make four statement texts, not a hundred.
const FETCH_SIZES: [u32; 4] = [10, 20, 50, 100];

pub(crate) fn fetch_size(limit: u32) -> u32 {
    FETCH_SIZES
        .into_iter()
        .find(|&size| size >= limit)
        .unwrap_or(limit)
}

fn order_by(sort: SortOrder, time: &str, id: &str, rank: &str) -> String {
    match sort {
        SortOrder::Latest => format!("{time} DESC, {id} DESC"),
        SortOrder::Oldest => format!("{time} ASC, {id} ASC"),
        SortOrder::Relevance => format!("{rank} DESC, {time} DESC, {id} DESC"),
    }
}

/// Every match of a filter that one topic's, entity's or author's range selects, with at most
/// dates besides, read from the link index alone: the articles not served are subtracted by an
/// anti-join on their partial index (`articles_unusable_idx`), so no article row is read.
fn link_range_sql(filter: &ArticleFilter) -> Option<Sql> {
    let c = &filter.conditions;
    let only_dates = c.language.is_none()
        && c.sources.is_empty()
        && c.updated_since.is_none()
        && c.query.is_none();
    let [driver] = Driver::choose(filter)[..] else {
        return None;
    };
    let table = driver.link_table()?;
    if !only_dates || !link_conditions(filter, driver).is_empty() {
        return None;
    }
    let (_, range, time, id) = driver.source();
    let mut conditions: Vec<Sql> = range.into_iter().collect();
    conditions.extend(column_conditions(c, time));
    let mut sql = Sql::new(&format!(
        "SELECT {id} AS id, {time} AS published_at FROM {table} WHERE "
    ));
    sql.append(Sql::join(conditions, " AND ")).push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM articles u WHERE u.id = {id} AND u.pub_status <> 'usable')"
    ));
    Some(sql)
}

/// One branch: the `columns` of the rows of one driver's range that pass every other filter,
/// newest or oldest first, `fetch` of them (all, unordered, when `None`).
fn branch_sql(page: PageRequest<'_>, driver: Driver, columns: &str, fetch: Option<u32>) -> Sql {
    let (from, range, time, id) = driver.source();
    let mut conditions: Vec<Sql> = vec![Sql::new("a.pub_status = 'usable'")];
    conditions.extend(range);
    conditions.extend(link_conditions(page.filter, driver));
    conditions.extend(column_conditions(&page.filter.conditions, time));
    match (&page.filter.matches, page.filter.search()) {
        (Some(matches), _) => {
            let ids = match matches {
                IndexMatches::Newest(ids) => ids.iter().map(|id| id.0).collect(),
                IndexMatches::Ranked(rows) => rows.iter().map(|(id, _)| id.0).collect(),
            };
            let mut sql = Sql::new("a.id = ANY(");
            sql.bind(Bind::BigInts(ids)).push(")");
            conditions.push(sql);
        }
        (None, Some(search)) => {
            let mut sql = Sql::new("a.search @@ ");
            sql.append(search.tsquery());
            conditions.push(sql);
        }
        (None, None) => {}
    }
    if let Some(key) = page.after {
        conditions.push(keyset_bound(page.sort, key, time, id, Sql::new("rank")));
    }
    let mut sql = Sql::new(&format!("SELECT {columns} FROM {from} WHERE "));
    sql.append(Sql::join(conditions, " AND "));
    if let Some(fetch) = fetch {
        sql.push(&format!(
            " ORDER BY {} LIMIT {fetch}",
            order_by(page.sort, time, id, "rank")
        ));
    }
    sql
}

/// The topic, author and entity filters the driver's range does not already apply.
fn link_conditions(filter: &ArticleFilter, driver: Driver) -> Vec<Sql> {
    let mut conditions = Vec::new();
    if filter.scope_topic.is_some() && !filter.any_topics.is_empty() {
        let ids = filter.any_topics.iter().map(|t| i64::from(t.0)).collect();
        let mut sql = Sql::new(
            "EXISTS (SELECT 1 FROM article_topics x WHERE x.article_id = a.id AND x.topic_id = ANY(",
        );
        sql.bind(Bind::BigInts(ids)).push("::int4[]))");
        conditions.push(sql);
    }
    for author in &filter.authors {
        if driver == Driver::Author(*author) {
            continue;
        }
        let mut sql = Sql::new(
            "EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = ",
        );
        sql.bind(Bind::BigInt(author.0)).push(")");
        conditions.push(sql);
    }
    let other_entities: Vec<i64> = filter
        .entities
        .iter()
        .filter(|e| driver != Driver::Entity(**e))
        .map(|e| e.0)
        .collect();
    if !other_entities.is_empty() {
        let n = other_entities.len() as i64;
        let mut sql = Sql::new(
            "(SELECT count(*) FROM article_entities x WHERE x.article_id = a.id AND x.entity_id = ANY(",
        );
        sql.bind(Bind::BigInts(other_entities))
            .push(")) = ")
            .bind(Bind::BigInt(n));
        conditions.push(sql);
    }
    conditions
}

/// The filters on the article's own columns; dates compare on `time`, the driver's copy of
/// `published_at`, so that they are index conditions.
fn column_conditions(c: &Conditions, time: &str) -> Vec<Sql> {
    let compare = |text: &str, value: Bind| {
        let mut sql = Sql::new(text);
        sql.bind(value);
        sql
    };
    let mut conditions = Vec::new();
    if let Some(language) = &c.language {
        conditions.push(compare("a.language = ", Bind::Text(language.clone())));
    }
    if let Some(t) = c.published_after {
        conditions.push(compare(&format!("{time} > "), Bind::Time(t)));
    }
    if let Some(t) = c.published_before {
        conditions.push(compare(&format!("{time} < "), Bind::Time(t)));
    }
    if !c.sources.is_empty() {
        let mut sql = compare("a.source = ANY(", Bind::Texts(c.sources.clone()));
        sql.push(")");
        conditions.push(sql);
    }
    if let Some(t) = c.updated_since {
        conditions.push(compare("a.updated_at > ", Bind::Time(t)));
    }
    conditions
}

/// Where the page starts: after the previous page's last key, in the list's order.
pub(crate) fn keyset_bound(
    sort: SortOrder,
    key: ArticleKey,
    time: &str,
    id: &str,
    rank: Sql,
) -> Sql {
    let mut sql = Sql::new("(");
    match sort {
        SortOrder::Latest | SortOrder::Oldest => {
            let op = if sort == SortOrder::Latest { "<" } else { ">" };
            sql.push(&format!("{time}, {id}) {op} ("))
                .bind(Bind::Time(micros_to_time(key.t)));
        }
        SortOrder::Relevance => {
            sql.append(rank)
                .push(&format!(", {time}, {id}) < ("))
                .bind(Bind::Real(key.r.unwrap_or(f32::MAX)))
                .push(", ")
                .bind(Bind::Time(micros_to_time(key.t)));
        }
    }
    sql.push(", ").bind(Bind::BigInt(key.id)).push(")");
    sql
}

/// Keys are checked with [`ArticleKey::fits`] before they get here; the fallback only keeps an
/// unchecked key from reaching PostgreSQL out of range.
fn micros_to_time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::search::RELEVANCE_CANDIDATES;

    fn time(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The first page, newest first, of the articles that pass `conditions`, within a topic or not.
    fn latest_on_columns(conditions: Conditions, scope_topic: Option<TopicId>) -> Sql {
        let filter = ArticleFilter {
            scope_topic,
            conditions,
            ..Default::default()
        };
        keyset(&filter, SortOrder::Latest, None)
    }

    fn keyset(filter: &ArticleFilter, sort: SortOrder, after: Option<ArticleKey>) -> Sql {
        keyset_sql(PageRequest {
            filter,
            sort,
            after,
            limit: 20,
        })
    }

    const SELECT: &str = "SELECT a.id, a.slug, a.headline, a.lead, a.url, a.source, a.language, a.dateline, a.published_at, a.updated_at, a.image";
    const NEWEST: &str = "ORDER BY d.published_at DESC, d.article_id DESC LIMIT 21";
    const BY_TOPIC: &str = "FROM article_topics d JOIN articles a ON a.id = d.article_id WHERE a.pub_status = 'usable' AND d.topic_id =";

    fn key(r: Option<f32>) -> Option<ArticleKey> {
        Some(ArticleKey {
            t: 1_643_234_400_000_000,
            id: 7,
            r,
        })
    }

    fn the_time() -> Bind {
        Bind::Time(time("2022-01-26T22:00:00Z"))
    }

    #[test]
    fn latest_walks_the_date_index_and_continues_after_the_cursor() {
        let sql = keyset(&ArticleFilter::default(), SortOrder::Latest, None);
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM articles a WHERE a.pub_status = 'usable' ORDER BY a.published_at DESC, a.id DESC LIMIT 21"
            )
        );
        assert!(sql.binds().is_empty());
        let sql = keyset(&ArticleFilter::default(), SortOrder::Latest, key(None));
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM articles a WHERE a.pub_status = 'usable' AND (a.published_at, a.id) < ($1, $2) ORDER BY a.published_at DESC, a.id DESC LIMIT 21"
            )
        );
        assert_eq!(sql.binds(), &[the_time(), Bind::BigInt(7)]);
        let sql = keyset(&ArticleFilter::default(), SortOrder::Oldest, key(None));
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM articles a WHERE a.pub_status = 'usable' AND (a.published_at, a.id) > ($1, $2) ORDER BY a.published_at ASC, a.id ASC LIMIT 21"
            )
        );
    }

    #[test]
    fn a_topic_drives_by_its_range_with_the_cursor_in_the_index_condition() {
        let filter = ArticleFilter {
            scope_topic: Some(TopicId(3)),
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Latest, key(None));
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank {BY_TOPIC} $1 AND (d.published_at, d.article_id) < ($2, $3) {NEWEST}"
            )
        );
        assert_eq!(sql.binds(), &[Bind::Int(3), the_time(), Bind::BigInt(7)]);
    }

    #[test]
    fn any_of_topics_is_a_union_of_ranges_or_a_check_inside_a_scope() {
        let filter = ArticleFilter {
            any_topics: vec![TopicId(4), TopicId(5)],
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Latest, None);
        let branch = |n: u8| format!("({SELECT}, NULL::real AS rank {BY_TOPIC} ${n} {NEWEST})");
        assert_eq!(
            sql.text(),
            format!(
                "SELECT * FROM ({} UNION {}) merged ORDER BY published_at DESC, id DESC LIMIT 21",
                branch(1),
                branch(2)
            )
        );
        assert_eq!(sql.binds(), &[Bind::Int(4), Bind::Int(5)]);
        let filter = ArticleFilter {
            scope_topic: Some(TopicId(3)),
            ..filter
        };
        let sql = keyset(&filter, SortOrder::Latest, None);
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank {BY_TOPIC} $1 AND EXISTS (SELECT 1 FROM article_topics x WHERE x.article_id = a.id AND x.topic_id = ANY($2::int4[])) {NEWEST}"
            )
        );
        assert_eq!(sql.binds(), &[Bind::Int(3), Bind::BigInts(vec![4, 5])]);
    }

    #[test]
    fn the_first_entity_drives_and_the_other_entities_and_authors_are_checked() {
        let filter = ArticleFilter {
            entities: vec![EntityId(8), EntityId(9)],
            authors: vec![AuthorId(2)],
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Latest, None);
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM article_entities d JOIN articles a ON a.id = d.article_id WHERE a.pub_status = 'usable' AND d.entity_id = $1 \
                AND EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = $2) \
                AND (SELECT count(*) FROM article_entities x WHERE x.article_id = a.id AND x.entity_id = ANY($3)) = $4 {NEWEST}"
            )
        );
        assert_eq!(
            sql.binds(),
            &[
                Bind::BigInt(8),
                Bind::BigInt(2),
                Bind::BigInts(vec![9]),
                Bind::BigInt(1)
            ]
        );
    }

    #[test]
    fn an_author_drives_by_its_range() {
        let filter = ArticleFilter {
            authors: vec![AuthorId(2)],
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Oldest, None);
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM article_authors d JOIN articles a ON a.id = d.article_id WHERE a.pub_status = 'usable' AND d.author_id = $1 ORDER BY d.published_at ASC, d.article_id ASC LIMIT 21"
            )
        );
        assert_eq!(sql.binds(), &[Bind::BigInt(2)]);
    }

    #[test]
    fn dates_compare_on_the_driving_range_so_they_are_index_conditions() {
        let conditions = Conditions {
            language: Some("en".into()),
            published_after: Some(time("2022-01-01T00:00:00Z")),
            published_before: Some(time("2022-02-01T00:00:00Z")),
            ..Default::default()
        };
        let sql = latest_on_columns(conditions.clone(), None);
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM articles a WHERE a.pub_status = 'usable' AND a.language = $1 AND a.published_at > $2 AND a.published_at < $3 ORDER BY a.published_at DESC, a.id DESC LIMIT 21"
            )
        );
        let window = [
            Bind::Time(time("2022-01-01T00:00:00Z")),
            Bind::Time(time("2022-02-01T00:00:00Z")),
        ];
        assert_eq!(sql.binds()[1..], window);
        let sql = latest_on_columns(conditions, Some(TopicId(3)));
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank {BY_TOPIC} $1 AND a.language = $2 AND d.published_at > $3 AND d.published_at < $4 {NEWEST}"
            )
        );
        assert_eq!(sql.binds()[2..], window);
    }

    #[test]
    fn updated_since_checks_the_article_row_and_keeps_the_order() {
        let updated_since = Some(time("2022-01-26T00:00:00Z"));
        let sql = latest_on_columns(
            Conditions {
                updated_since,
                ..Default::default()
            },
            Some(TopicId(3)),
        );
        assert_eq!(
            sql.text(),
            format!("{SELECT}, NULL::real AS rank {BY_TOPIC} $1 AND a.updated_at > $2 {NEWEST}")
        );
        assert_eq!(
            sql.binds(),
            &[Bind::Int(3), Bind::Time(time("2022-01-26T00:00:00Z"))]
        );
    }

    #[test]
    fn sources_are_any_of_on_the_article_row() {
        let sources = vec!["AP".into(), "TURAN".into()];
        let sql = latest_on_columns(
            Conditions {
                sources,
                ..Default::default()
            },
            None,
        );
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM articles a WHERE a.pub_status = 'usable' AND a.source = ANY($1) ORDER BY a.published_at DESC, a.id DESC LIMIT 21"
            )
        );
        assert_eq!(
            sql.binds(),
            &[Bind::Texts(vec!["AP".into(), "TURAN".into()])]
        );
    }

    #[test]
    fn relevance_scores_the_newest_matches_and_continues_below_the_last_score() {
        let filter = ArticleFilter {
            conditions: Conditions {
                query: Some("Blinken NATO".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Relevance, key(Some(0.5)));
        let q = "websearch_to_tsquery('english', search_text(";
        let score = Search {
            query: "Blinken NATO",
            language: None,
        }
        .score("c")
        .text();
        assert_eq!(
            sql.text(),
            format!(
                "SELECT s.id, s.slug, s.headline, s.lead, s.url, s.source, s.language, s.dateline, s.published_at, s.updated_at, s.image, s.rank \
                 FROM (SELECT c.id, c.slug, c.headline, c.lead, c.url, c.source, c.language, c.dateline, c.published_at, c.updated_at, c.image, {score} AS rank FROM ({SELECT}, a.search, NULL::real AS rank FROM articles a \
                 WHERE a.pub_status = 'usable' AND a.search @@ {q}$3)) ORDER BY a.published_at DESC, a.id DESC LIMIT {RELEVANCE_CANDIDATES}) c) s \
                 WHERE (s.rank, s.published_at, s.id) < ($4, $5, $6) ORDER BY s.rank DESC, s.published_at DESC, s.id DESC LIMIT 21"
            )
        );
        let text = Bind::Text("Blinken NATO".into());
        let forms = ["blinken", "blinken nato", "nato"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            sql.binds(),
            &[
                text.clone(),
                Bind::Texts(forms),
                text,
                Bind::Real(0.5),
                the_time(),
                Bind::BigInt(7)
            ]
        );
    }

    #[test]
    fn a_search_reads_its_language_and_the_window_of_the_body_its_highlight_shows() {
        let filter = ArticleFilter {
            conditions: Conditions {
                query: Some("élections".into()),
                language: Some("fr".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Latest, None);
        assert!(sql.text().contains(
            "a.language = $1 AND a.search @@ websearch_to_tsquery(search_config($2), search_text($3))"
        ));
        let page = page_sql(PageRequest {
            filter: &filter,
            sort: SortOrder::Latest,
            after: None,
            limit: 20,
        })
        .text();
        assert!(page.contains(", substr(b.body, greatest(1, "));
        assert!(page.contains(" AS body_window FROM p JOIN articles b ON b.id = p.id "));
        let plain = page_sql(PageRequest {
            filter: &ArticleFilter::default(),
            sort: SortOrder::Latest,
            after: None,
            limit: 20,
        })
        .text();
        assert!(plain.contains("NULL::text AS body_window FROM p LEFT JOIN au"));
    }

    #[test]
    fn the_search_index_matches_are_read_by_id_instead_of_testing_search_vectors() {
        let filter = ArticleFilter {
            conditions: Conditions {
                query: Some("ukraine".into()),
                ..Default::default()
            },
            matches: Some(IndexMatches::Newest(vec![ArticleId(9), ArticleId(4)])),
            ..Default::default()
        };
        let sql = keyset(&filter, SortOrder::Latest, None);
        assert_eq!(
            sql.text(),
            format!(
                "{SELECT}, NULL::real AS rank FROM articles a WHERE a.pub_status = 'usable' AND a.id = ANY($1) ORDER BY a.published_at DESC, a.id DESC LIMIT 21"
            )
        );
        assert_eq!(sql.binds(), [Bind::BigInts(vec![9, 4])]);
        let ranked = ArticleFilter {
            matches: Some(IndexMatches::Ranked(vec![
                (ArticleId(4), 0.5),
                (ArticleId(9), 0.25),
            ])),
            ..filter
        };
        let sql = keyset(&ranked, SortOrder::Relevance, None);
        assert_eq!(
            sql.text(),
            format!(
                "SELECT {SUMMARY_COLUMNS}, m.rank FROM unnest($1::int8[], $2::real[]) AS m(id, rank) \
                 JOIN articles a ON a.id = m.id WHERE a.pub_status = 'usable' \
                 ORDER BY m.rank DESC, a.published_at DESC, a.id DESC LIMIT 21"
            )
        );
        assert_eq!(
            sql.binds(),
            [Bind::BigInts(vec![4, 9]), Bind::Reals(vec![0.5, 0.25])]
        );
    }

    #[test]
    fn a_page_reads_the_keyset_rows_then_their_labels_and_rounds_its_fetch_size() {
        let filter = ArticleFilter::default();
        let page = |limit| {
            page_sql(PageRequest {
                filter: &filter,
                sort: SortOrder::Latest,
                after: None,
                limit,
            })
            .text()
        };
        let text = page(20);
        assert!(text.starts_with(&format!(
            "WITH p AS ({SELECT}, NULL::real AS rank FROM articles a"
        )));
        assert!(text.contains("), au AS (SELECT aa.article_id"));
        assert!(text.ends_with("ORDER BY p.published_at DESC, p.id DESC"));
        assert_eq!(
            page(11),
            page(20),
            "limits share the statement of their fetch size"
        );
        assert!(page(21).contains("LIMIT 51"));
        assert_ne!(page(20), page(21));
    }
}
