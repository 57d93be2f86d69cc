//! The article-list query: the parameters every list of articles takes, parsed once into an
//! [`ArticleQuery`] that knows its cursor digest, whether its answer may be cached, and the
//! store filter it runs as.
//!
//! Adding a filter means adding it here (a parameter, its parsing, a field of
//! [`ArticleFilters`] or of the store's `Conditions`) and to the SQL builder
//! (`store::article_sql`), and nothing else: the digest, the cache check and the cursor follow.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::cursor;
use super::error::QueryError;
use super::params::{DEFAULT_LIMIT, check_slug, page_size, text_param};
use crate::search_index::{Highlighter, Narrowing, SearchIndex};
use crate::store::ArticleId;
use crate::store::article_sql::{
    self, ArticleFilter, ArticleKey, ArticleSummary, Conditions, FilterSlugs, IndexMatches,
    PageRequest,
};
use crate::store::search_vectors::{self, ParsedSearch};
use crate::text::{LANGUAGE_RULE, TIME_RULE, canonical_language, parse_time};
use crate::vocab::SortOrder;

/// How many `topic` or `entity` values one request may combine.
const MAX_FILTER_VALUES: usize = 10;
const MAX_QUERY_CHARS: usize = 500;
/// The longest `source` an article can have.
const MAX_SOURCE_CHARS: usize = 200;

/// The filters every article list takes, and the facets of the articles they select, as the
/// query string carries them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleFilterParams {
    /// Topic slug; repeat for any of several topics. A topic includes its descendant topics.
    #[serde(default)]
    #[param(max_items = 10, example = json!(["diplomacy"]))]
    pub topic: Vec<String>,
    /// Author slug.
    #[param(example = "alex-raufoglu")]
    pub author: Option<String>,
    /// Entity slug; repeat to require all of several entities.
    #[serde(default)]
    #[param(max_items = 10, example = json!(["antony-blinken"]))]
    pub entity: Vec<String>,
    /// Publisher or wire service, exactly as articles carry it (e.g. `TURAN`); repeat for any of
    /// several.
    #[serde(default)]
    #[param(max_items = 10, max_length = 200, pattern = "^[^\\x00]*$", example = json!(["TURAN"]))]
    pub source: Vec<String>,
    /// BCP 47 language tag, e.g. `en`.
    #[param(pattern = "^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", example = "en")]
    pub language: Option<String>,
    /// Only articles published strictly after this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>, example = "2022-01-01T00:00:00Z")]
    pub published_after: Option<String>,
    /// Only articles published strictly before this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>, example = "2022-02-01T00:00:00Z")]
    pub published_before: Option<String>,
    /// Only articles changed (created, updated or re-published) strictly after this instant
    /// (RFC 3339); the order stays the list's. With `sort=oldest`, a mirror's way to fetch what
    /// changed since its last sync.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>, example = "2022-01-26T00:00:00Z")]
    pub updated_since: Option<String>,
    /// Full-text search in PostgreSQL `websearch_to_tsquery` syntax: `"quoted phrase"`, `or`, `-word`.
    #[param(max_length = 500, pattern = "^[^\\x00]*$", example = "Blinken NATO")]
    pub q: Option<String>,
}

/// The order and paging of an article list, beside its [`ArticleFilterParams`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListParams {
    /// `latest` (default), `oldest`, or `relevance` (only with `q`).
    #[param(value_type = Option<SortOrder>)]
    pub sort: Option<String>,
    /// Page size, 1 to 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page, with the same filters.
    pub cursor: Option<String>,
    /// `fields`, documented by [`ListFields`] on the JSON lists (feeds do not take it).
    #[param(ignore)]
    pub fields: Option<String>,
}

/// Field selection on the JSON article lists: `fields` of [`ArticleListParams`], documented
/// apart so that the feeds, which share the other parameters, do not list it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFields {
    /// Only these fields of each article, comma-separated (e.g. `headline,published_at,url`);
    /// all when absent. An unknown name is a 400. Each item then has only those properties,
    /// whatever the item schema requires. It shapes the answer, not the list: cursors and
    /// filters are the same with or without it.
    #[param(
        max_length = 500,
        pattern = "^ *((id|slug|headline|lead|url|source|language|dateline|published_at|updated_at|authors|topics|image|links|highlight) *(, *(id|slug|headline|lead|url|source|language|dateline|published_at|updated_at|authors|topics|image|links|highlight) *)*)?$"
    )]
    pub fields: Option<String>,
}

/// The resource a list is nested under, e.g. `/v1/topics/{slug}/articles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListScope {
    All,
    Topic(String),
    Author(String),
    Entity(String),
}

/// The filters of a list, as slugs and plain values: sorted and deduplicated, so that one set
/// of filters has one serialised form whatever order the query string gave them in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArticleFilters {
    /// Any of these topics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// All of these authors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// All of these entities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<String>,
    /// The filters on the article's own columns.
    #[serde(flatten)]
    pub conditions: Conditions,
}

/// One page of one article list, checked.
#[derive(Debug, Clone)]
pub struct ArticleQuery {
    pub scope: ListScope,
    pub filters: ArticleFilters,
    pub sort: SortOrder,
    pub limit: u32,
    /// Where the page starts: after this key (from the cursor).
    pub after: Option<ArticleKey>,
    /// The digest of scope, filters and order that the list's cursors carry.
    digest: String,
}

/// A page of articles and the cursor of the next one.
#[derive(Debug)]
pub struct ArticlePage {
    pub items: Vec<ArticleSummary>,
    pub next_cursor: Option<String>,
}

/// The form of a list that its cursors are tied to.
#[derive(Serialize)]
struct CursorScope<'a> {
    scope: &'a ListScope,
    #[serde(flatten)]
    filters: &'a ArticleFilters,
    sort: SortOrder,
}

impl ArticleFilters {
    /// Checks every filter; the first one at fault is the error.
    pub fn parse(params: ArticleFilterParams) -> Result<Self, QueryError> {
        let query = text_param("q", params.q.as_deref(), MAX_QUERY_CHARS)?.map(str::trim);
        let time = |param: &str, value: Option<&str>| {
            value
                .map(|v| parse_time(v).ok_or_else(|| QueryError::bad_parameter(param, TIME_RULE)))
                .transpose()
        };
        let conditions = Conditions {
            published_after: time("published_after", params.published_after.as_deref())?,
            published_before: time("published_before", params.published_before.as_deref())?,
            updated_since: time("updated_since", params.updated_since.as_deref())?,
            sources: sources(params.source)?,
            language: params
                .language
                .as_deref()
                .map(|tag| {
                    canonical_language(tag)
                        .ok_or_else(|| QueryError::bad_parameter("language", LANGUAGE_RULE))
                })
                .transpose()?,
            query: query.map(str::to_owned),
        };
        Ok(Self {
            topics: slugs("topic", params.topic)?,
            authors: slugs("author", params.author.into_iter().collect())?,
            entities: slugs("entity", params.entity)?,
            conditions,
        })
    }

    /// The store filter of these filters within `scope`: every slug as an id, in one round trip.
    pub async fn resolve(
        &self,
        conn: &mut AsyncPgConnection,
        scope: &ListScope,
    ) -> Result<ArticleFilter, QueryError> {
        let scope_topic: Vec<String> = match scope {
            ListScope::Topic(s) => vec![s.clone()],
            _ => Vec::new(),
        };
        let with_scope = |mut slugs: Vec<String>, scoped: Option<&String>| {
            slugs.extend(scoped.cloned());
            slugs.sort();
            slugs.dedup();
            slugs
        };
        let authors = with_scope(
            self.authors.clone(),
            match scope {
                ListScope::Author(s) => Some(s),
                _ => None,
            },
        );
        let entities = with_scope(
            self.entities.clone(),
            match scope {
                ListScope::Entity(s) => Some(s),
                _ => None,
            },
        );
        let all_topics = [self.topics.as_slice(), scope_topic.as_slice()].concat();
        let ids = article_sql::resolve_slugs(
            conn,
            &FilterSlugs {
                topics: &all_topics,
                authors: &authors,
                entities: &entities,
            },
        )
        .await?;
        Ok(ArticleFilter {
            any_topics: require_all("topic", &self.topics, &ids.topics)?,
            scope_topic: require_all("topic", &scope_topic, &ids.topics)?.pop(),
            authors: require_all("author", &authors, &ids.authors)?,
            entities: require_all("entity", &entities, &ids.entities)?,
            conditions: self.conditions.clone(),
            matches: None,
        })
    }
}

impl ArticleQuery {
    /// Checks every parameter; the first one at fault is the error.
    pub fn parse(
        scope: ListScope,
        filters: ArticleFilterParams,
        params: ArticleListParams,
    ) -> Result<Self, QueryError> {
        match &scope {
            ListScope::All => {}
            ListScope::Topic(s) => check_slug("topic", s)?,
            ListScope::Author(s) => check_slug("author", s)?,
            ListScope::Entity(s) => check_slug("entity", s)?,
        }
        let limit = page_size(params.limit.as_deref(), DEFAULT_LIMIT)?;
        let filters = ArticleFilters::parse(filters)?;
        let sort = match params.sort.as_deref().map(str::parse::<SortOrder>) {
            None => SortOrder::Latest,
            Some(Ok(SortOrder::Relevance)) if filters.conditions.query.is_none() => {
                return Err(QueryError::bad_parameter(
                    "sort",
                    "`relevance` needs a full-text query `q`",
                ));
            }
            Some(Ok(sort)) => sort,
            Some(Err(_)) => {
                return Err(QueryError::bad_parameter(
                    "sort",
                    format!("must be {}", SortOrder::choices()),
                ));
            }
        };
        let digest = cursor::digest(
            &serde_json::to_string(&CursorScope {
                scope: &scope,
                filters: &filters,
                sort,
            })
            .unwrap_or_default(),
        );
        let after: Option<ArticleKey> = cursor::decode(&digest, params.cursor.as_deref())?;
        if after.is_some_and(|k| !k.fits(sort)) {
            return Err(cursor::malformed());
        }
        Ok(Self {
            scope,
            filters,
            sort,
            limit,
            after,
            digest,
        })
    }

    /// Whether the answer may come from, and go to, the response cache: only the hottest lists
    /// are cached, the first page of the latest articles, overall or of a topic, with nothing but
    /// `limit` set.
    pub fn cacheable(&self) -> bool {
        matches!(self.scope, ListScope::All | ListScope::Topic(_))
            && self.filters == ArticleFilters::default()
            && self.sort == SortOrder::Latest
            && self.after.is_none()
    }

    /// The response cache's key for a [`cacheable`](Self::cacheable) query.
    pub fn cache_key(&self) -> String {
        format!("{}|{}", self.digest, self.limit)
    }

    /// Resolves the filter slugs (an unknown one is a 404) and reads the page; a search's
    /// matches come from `index` when it can find them exactly.
    pub async fn run(
        &self,
        conn: &mut AsyncPgConnection,
        index: Option<&SearchIndex>,
    ) -> Result<ArticlePage, QueryError> {
        let mut filter = self.filters.resolve(conn, &self.scope).await?;
        let parsed = match filter.conditions.search() {
            Some(search) => Some(
                search_vectors::parse_search(conn, search, self.sort == SortOrder::Relevance)
                    .await?,
            ),
            None => None,
        };
        if let (Some(index), Some(parsed)) = (index, &parsed) {
            filter.matches = self.indexed_matches(conn, index, parsed, &filter).await?;
        }
        let (mut items, next) = article_sql::list_articles(
            conn,
            PageRequest {
                filter: &filter,
                sort: self.sort,
                after: self.after,
                limit: self.limit,
            },
        )
        .await?;
        if let Some(parsed) = &parsed {
            let highlighter = Highlighter::new(&parsed.tsquery);
            for item in &mut items {
                item.highlight = Some(highlighter.highlight(
                    &item.row.language,
                    &item.row.headline,
                    item.row.lead.as_deref(),
                    item.body_window.as_deref(),
                ));
            }
        }
        Ok(ArticlePage {
            items,
            next_cursor: next.map(|key| cursor::encode(&self.digest, &key)),
        })
    }
}

impl ArticleQuery {
    /// The page the statement would read, found by the search index: newest first, the page's
    /// rows; by relevance, the page's rows with their scores, ranked in the process from the
    /// newest candidates (the entity part of the score read in one round trip). `None` when
    /// there is no search, when a filter is one the index does not hold (topics, authors,
    /// entities, `updated_since`), oldest first (the index is read newest first), or when the
    /// index is not exactly as fresh as the database.
    async fn indexed_matches(
        &self,
        conn: &mut AsyncPgConnection,
        index: &SearchIndex,
        parsed: &ParsedSearch,
        filter: &ArticleFilter,
    ) -> Result<Option<IndexMatches>, QueryError> {
        let Some(search) = filter.conditions.search() else {
            return Ok(None);
        };
        let c = &filter.conditions;
        let held = filter.any_topics.is_empty()
            && filter.scope_topic.is_none()
            && filter.authors.is_empty()
            && filter.entities.is_empty()
            && c.updated_since.is_none();
        if !held || self.sort == SortOrder::Oldest {
            return Ok(None);
        }
        let narrowing = Narrowing {
            language: c.language.as_deref(),
            sources: &c.sources,
            published_after: c.published_after,
            published_before: c.published_before,
            older_than: None,
        };
        let fetch = article_sql::fetch_size(self.limit) + 1;
        if self.sort == SortOrder::Latest {
            let narrowing = Narrowing {
                older_than: self.after,
                ..narrowing
            };
            return Ok(index
                .newest_matches(parsed, narrowing, fetch)
                .await
                .map(IndexMatches::Newest));
        }
        let Some(candidates) = index
            .ranked_candidates(parsed, narrowing, search.relevance_candidates())
            .await
        else {
            return Ok(None);
        };
        let ids: Vec<ArticleId> = candidates.iter().map(|c| c.id).collect();
        let bonuses = search_vectors::entity_bonuses(conn, &ids, &parsed.entity_ids).await?;
        // As `Search::score` computes it: `real + numeric` is summed in double precision, then
        // made `real`.
        let mut ranked: Vec<ArticleKey> = candidates
            .iter()
            .map(|c| ArticleKey {
                t: c.published_micros,
                id: c.id.0,
                r: Some(
                    (f64::from(c.text_rank) + bonuses.get(&c.id).copied().unwrap_or(0.0)) as f32,
                ),
            })
            .collect();
        let order = |k: &ArticleKey| (k.r.unwrap_or(0.0), k.t, k.id);
        ranked.sort_by(|a, b| {
            let (a, b) = (order(a), order(b));
            b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2))
        });
        let after = self.after.map(|k| order(&k));
        Ok(Some(IndexMatches::Ranked(
            ranked
                .into_iter()
                .filter(|k| {
                    after.is_none_or(|(r, t, id)| {
                        let (kr, kt, kid) = order(k);
                        kr < r || (kr == r && (kt, kid) < (t, id))
                    })
                })
                .take(fetch as usize)
                .map(|k| (ArticleId(k.id), k.r.unwrap_or(0.0)))
                .collect(),
        )))
    }
}

/// The values of a repeatable slug parameter, sorted and deduplicated; each checked.
fn slugs(param: &'static str, mut values: Vec<String>) -> Result<Vec<String>, QueryError> {
    // Counted as sent, as the spec's `maxItems` counts them.
    if values.len() > MAX_FILTER_VALUES {
        return Err(QueryError::bad_parameter(
            param,
            format!("at most {MAX_FILTER_VALUES} values"),
        ));
    }
    values.sort();
    values.dedup();
    values.iter().try_for_each(|s| check_slug(param, s))?;
    Ok(values)
}

/// The values of `source`, sorted and deduplicated; each checked like free text.
fn sources(mut values: Vec<String>) -> Result<Vec<String>, QueryError> {
    // Counted as sent, as the spec's `maxItems` counts them.
    if values.len() > MAX_FILTER_VALUES {
        return Err(QueryError::bad_parameter(
            "source",
            format!("at most {MAX_FILTER_VALUES} values"),
        ));
    }
    for value in &values {
        text_param("source", Some(value), MAX_SOURCE_CHARS)?;
    }
    values.retain(|v| !v.trim().is_empty());
    values.sort();
    values.dedup();
    Ok(values)
}

/// The ids of these slugs; the first unknown one is a 404.
fn require_all<I: Copy>(
    what: &'static str,
    slugs: &[String],
    found: &HashMap<String, I>,
) -> Result<Vec<I>, QueryError> {
    slugs
        .iter()
        .map(|slug| {
            found
                .get(slug)
                .copied()
                .ok_or_else(|| QueryError::not_found(what, slug))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(scope: ListScope, query: &str) -> Result<ArticleQuery, QueryError> {
        ArticleQuery::parse(
            scope,
            serde_html_form::from_str(query).unwrap(),
            serde_html_form::from_str(query).unwrap(),
        )
    }

    #[test]
    fn one_set_of_filters_has_one_digest_whatever_the_order() {
        let a = parse(ListScope::All, "topic=b&topic=a&language=EN").unwrap();
        let b = parse(ListScope::All, "language=en&topic=a&topic=b&topic=a").unwrap();
        assert_eq!(a.digest, b.digest);
        let c = parse(ListScope::Topic("a".into()), "topic=b&language=en").unwrap();
        assert_ne!(a.digest, c.digest, "the scope is part of the digest");
    }

    #[test]
    fn only_first_pages_of_unfiltered_latest_lists_are_cacheable() {
        assert!(parse(ListScope::All, "limit=10").unwrap().cacheable());
        assert!(parse(ListScope::Topic("t".into()), "").unwrap().cacheable());
        assert!(
            !parse(ListScope::Author("a".into()), "")
                .unwrap()
                .cacheable()
        );
        assert!(!parse(ListScope::All, "language=en").unwrap().cacheable());
        assert!(!parse(ListScope::All, "sort=oldest").unwrap().cacheable());
        assert!(!parse(ListScope::All, "q=x").unwrap().cacheable());
    }

    #[test]
    fn the_limit_is_not_part_of_the_digest() {
        let a = parse(ListScope::All, "limit=10").unwrap();
        let b = parse(ListScope::All, "limit=20").unwrap();
        assert_eq!(a.digest, b.digest);
        assert_ne!(a.cache_key(), b.cache_key());
    }
}
