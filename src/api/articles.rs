//! `/v1/articles`, and the article-list parameters every scoped list shares.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AuthorRef, QueryParams, TopicRef, check_slug, text_param};
use crate::cache::ResponseCache;
use crate::db::DbPool;
use crate::error::{ApiError, ArticleErrors, ListErrors};
use crate::pagination::{
    DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, malformed_cursor, page_body,
    page_response_builder, page_size,
};
use crate::store::ArticleId;
use crate::store::article_list::{self, ArticleFilter, ArticleKey, ArticleSort, FilterSlugs};
use crate::store::articles::{self as store, ArticleRef};

/// How many `topic` or `entity` values one request may combine.
const MAX_FILTER_VALUES: usize = 10;
const MAX_QUERY_CHARS: usize = 500;

/// An article as lists show it: everything but the body and the entities.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "us-formally-rejects-russias-top-security-demands",
    "headline": "U.S. Formally Rejects Russia's Top Security Demands",
    "lead": "Washington on Wednesday delivered its responses to Russia's demands, a move the Biden administration hopes will lower the tensions with Moscow.",
    "url": null,
    "source": "TURAN",
    "language": "en",
    "dateline": "Washington D.C.",
    "published_at": "2022-01-26T22:00:00Z",
    "updated_at": "2022-01-26T22:00:00Z",
    "authors": [{"slug": "alex-raufoglu", "name": "Alex Raufoglu"}],
    "topics": [{"slug": "diplomacy", "name": "Diplomacy"}, {"slug": "arms-control", "name": "Arms control and disarmament"}]
}))]
pub struct ArticleSummary {
    /// Stable numeric id; `/v1/articles/{id}` and `/v1/articles/{slug}` name the same article.
    pub id: i64,
    /// URL handle derived from the headline.
    pub slug: String,
    /// The headline as published.
    pub headline: String,
    /// The standfirst: one or two sentences that sum the story up.
    pub lead: Option<String>,
    /// The canonical URL of the story on its publisher's site, when known.
    pub url: Option<String>,
    /// The publisher or wire service, e.g. `TURAN`.
    pub source: Option<String>,
    /// BCP 47 language tag of the text.
    pub language: String,
    /// The place the story was filed from.
    pub dateline: Option<String>,
    /// When the story was first published (RFC 3339, UTC).
    pub published_at: DateTime<Utc>,
    /// When the story was last changed.
    pub updated_at: DateTime<Utc>,
    /// Bylines, in print order.
    pub authors: Vec<AuthorRef>,
    /// The topics the story was tagged with (not their ancestors), by name.
    pub topics: Vec<TopicRef>,
}

/// A whole article with its body and the entities it names.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "us-formally-rejects-russias-top-security-demands",
    "headline": "U.S. Formally Rejects Russia's Top Security Demands",
    "lead": "Washington on Wednesday delivered its responses to Russia's demands, a move the Biden administration hopes will lower the tensions with Moscow.",
    "url": null,
    "source": "TURAN",
    "language": "en",
    "dateline": "Washington D.C.",
    "published_at": "2022-01-26T22:00:00Z",
    "updated_at": "2022-01-26T22:00:00Z",
    "authors": [{"slug": "alex-raufoglu", "name": "Alex Raufoglu"}],
    "topics": [{"slug": "diplomacy", "name": "Diplomacy"}],
    "body": "John Sullivan, the U.S. ambassador to Russia, sent the response to the Kremlin, ...",
    "external_id": null,
    "version": 1,
    "pub_status": "usable",
    "entities": [{"slug": "antony-blinken", "name": "Antony Blinken", "kind": "person", "mentions": 6, "rel": "about"}]
}))]
pub struct Article {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// The full text, paragraphs separated by a blank line.
    pub body: Option<String>,
    /// The publisher's own id for the story, when it gave one.
    pub external_id: Option<String>,
    /// Starts at 1 and grows by one with every change to the article.
    pub version: i32,
    /// IPTC ninjs publication status; only `usable` articles are served.
    pub pub_status: PubStatus,
    /// The named entities the article is about or mentions.
    pub entities: Vec<ArticleEntity>,
}

/// IPTC ninjs publication status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PubStatus {
    /// Published and listable.
    Usable,
    /// Held back; not served.
    Withheld,
    /// Withdrawn; not served.
    Canceled,
}

/// An entity as an article names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleEntity {
    /// The entity's URL handle, as in `/v1/entities/{slug}`.
    pub slug: String,
    /// The entity's canonical name.
    pub name: String,
    /// What kind of thing the entity is.
    pub kind: super::entities::EntityKind,
    /// How many times the text names the entity.
    pub mentions: i32,
    /// `about`: a subject of the article; `mentions`: named in passing.
    pub rel: EntityRel,
}

/// How an article relates to an entity.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntityRel {
    /// The entity is a subject of the article.
    About,
    /// The article names the entity in passing.
    Mentions,
}

/// Order of an article list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Newest first.
    Latest,
    /// Oldest first.
    Oldest,
    /// Best full-text match first; needs `q`.
    Relevance,
}

/// Filters, order and paging shared by every article list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListParams {
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
    /// BCP 47 language tag, e.g. `en`.
    #[param(pattern = "^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", example = "en")]
    pub language: Option<String>,
    /// Only articles published strictly after this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>, example = "2022-01-01T00:00:00Z")]
    pub published_after: Option<String>,
    /// Only articles published strictly before this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>, example = "2022-02-01T00:00:00Z")]
    pub published_before: Option<String>,
    /// Full-text search in PostgreSQL `websearch_to_tsquery` syntax: `"quoted phrase"`, `or`, `-word`.
    #[param(max_length = 500, pattern = "^[^\\x00]*$", example = "Blinken NATO")]
    pub q: Option<String>,
    /// `latest` (default), `oldest`, or `relevance` (only with `q`).
    #[param(value_type = Option<SortOrder>)]
    pub sort: Option<String>,
    /// Page size, 1 to 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page, with the same filters.
    pub cursor: Option<String>,
}

/// The resource a list is nested under, e.g. `/v1/topics/{slug}/articles`.
pub enum ListScope {
    All,
    Topic(String),
    Author(String),
    Entity(String),
}

impl ListScope {
    fn fingerprint(&self) -> String {
        match self {
            Self::All => String::new(),
            Self::Topic(s) => format!("topic:{s}"),
            Self::Author(s) => format!("author:{s}"),
            Self::Entity(s) => format!("entity:{s}"),
        }
    }
}

/// Answers one page of any article list: parses the parameters, resolves slugs, runs the one
/// article-list query and shapes the views.
pub async fn article_page(
    req: &HttpRequest,
    pool: &DbPool,
    scope: ListScope,
    params: ArticleListParams,
) -> Result<HttpResponse, ApiError> {
    let limit = page_size(params.limit.as_deref(), DEFAULT_LIMIT)?;
    let query = text_param("q", params.q.as_deref(), MAX_QUERY_CHARS)?.map(str::trim);
    let sort = match params.sort.as_deref() {
        None | Some("latest") => ArticleSort::Latest,
        Some("oldest") => ArticleSort::Oldest,
        Some("relevance") if query.is_some() => ArticleSort::Relevance,
        Some("relevance") => {
            return Err(ApiError::bad_parameter(
                "sort",
                "`relevance` needs a full-text query `q`",
            ));
        }
        Some(_) => {
            return Err(ApiError::bad_parameter(
                "sort",
                "must be `latest`, `oldest` or `relevance`",
            ));
        }
    };
    let published_after = params
        .published_after
        .as_deref()
        .map(|v| parse_time("published_after", v))
        .transpose()?;
    let published_before = params
        .published_before
        .as_deref()
        .map(|v| parse_time("published_before", v))
        .transpose()?;
    let language = params
        .language
        .as_deref()
        .map(|tag| {
            canonical_language(tag).ok_or_else(|| {
                ApiError::bad_parameter(
                    "language",
                    "must be a BCP 47 language tag such as `en` or `pt-BR`",
                )
            })
        })
        .transpose()?;
    let mut topic_slugs = sorted_unique(params.topic, "topic")?;
    let mut entity_slugs = sorted_unique(params.entity, "entity")?;
    let mut author_slugs: Vec<String> = params.author.into_iter().collect();
    let mut scope_topic_slug = None;
    match &scope {
        ListScope::All => {}
        ListScope::Topic(s) => scope_topic_slug = Some(s.clone()),
        ListScope::Author(s) => author_slugs.push(s.clone()),
        ListScope::Entity(s) => entity_slugs.push(s.clone()),
    }
    for (kind, slugs) in [
        ("topic", &topic_slugs),
        ("entity", &entity_slugs),
        ("author", &author_slugs),
    ] {
        slugs.iter().try_for_each(|s| check_slug(kind, s))?;
    }
    author_slugs.sort();
    author_slugs.dedup();
    entity_slugs.sort();
    entity_slugs.dedup();
    topic_slugs.sort();

    let filters = format!(
        "{}|t={topic_slugs:?}|a={author_slugs:?}|e={entity_slugs:?}|l={language:?}|pa={:?}|pb={:?}|q={query:?}|s={sort:?}",
        scope.fingerprint(),
        published_after.map(|t| t.timestamp_micros()),
        published_before.map(|t| t.timestamp_micros()),
    );
    let after: Option<ArticleKey> = decode_cursor(&filters, params.cursor.as_deref())?;
    if after.is_some_and(|k| !k.fits(sort)) {
        return Err(malformed_cursor());
    }

    // Only the hottest lists are cached: the first page of the latest articles, overall or of a
    // topic, with nothing but `limit` set.
    let unfiltered = topic_slugs.is_empty()
        && author_slugs.is_empty()
        && entity_slugs.is_empty()
        && language.is_none()
        && published_after.is_none()
        && published_before.is_none()
        && query.is_none()
        && after.is_none()
        && sort == ArticleSort::Latest;
    let cache = req
        .app_data::<web::Data<ResponseCache>>()
        .filter(|c| c.is_enabled())
        .filter(|_| unfiltered && matches!(scope, ListScope::All | ListScope::Topic(_)));
    let cache_key = format!("{}|{limit}", scope.fingerprint());
    if let Some(cache) = cache
        && let Some(hit) = cache.get(&cache_key).await
    {
        return Ok(page_response_builder(req, hit.next_cursor.as_deref())
            .insert_header((X_CACHE, "hit"))
            .body(hit.body.clone()));
    }
    let ticket = cache.and_then(|c| c.ticket());

    let mut conn = pool.get().await?;
    let scope_topics: Vec<String> = scope_topic_slug.iter().cloned().collect();
    let all_topics = [topic_slugs.as_slice(), scope_topics.as_slice()].concat();
    let ids = article_list::resolve_slugs(
        &mut conn,
        &FilterSlugs {
            topics: &all_topics,
            authors: &author_slugs,
            entities: &entity_slugs,
        },
    )
    .await?;
    let any_topics = require_all("topic", &topic_slugs, &ids.topics)?;
    let scope_topic = require_all("topic", &scope_topics, &ids.topics)?.pop();
    let author_ids = require_all("author", &author_slugs, &ids.authors)?;
    let entity_ids = require_all("entity", &entity_slugs, &ids.entities)?;

    let filter = ArticleFilter {
        any_topics,
        scope_topic,
        authors: author_ids,
        entities: entity_ids,
        language,
        published_after,
        published_before,
        query: query.map(str::to_owned),
    };
    let (rows, next) = article_list::list_articles(&mut conn, &filter, sort, after, limit).await?;
    drop(conn);
    let page = Page {
        data: rows.into_iter().map(summary_view).collect(),
        next_cursor: next.map(|k| encode_cursor(&filters, &k)),
    };
    let body = page_body(&page)?;
    let mut response = page_response_builder(req, page.next_cursor.as_deref());
    if let (Some(cache), Some(ticket)) = (cache, ticket) {
        cache.put(cache_key, ticket, body.clone(), page.next_cursor);
        response.insert_header((X_CACHE, "miss"));
    }
    Ok(response.body(body))
}

/// Says whether a cacheable list was answered from the response cache (`hit`) or not (`miss`).
pub const X_CACHE: &str = "x-cache";

/// The ids of these slugs; the first unknown one is a 404.
fn require_all<I: Copy>(
    kind: &str,
    slugs: &[String],
    found: &HashMap<String, I>,
) -> Result<Vec<I>, ApiError> {
    slugs
        .iter()
        .map(|slug| {
            found
                .get(slug)
                .copied()
                .ok_or_else(|| ApiError::not_found(kind, slug))
        })
        .collect()
}

fn sorted_unique(mut values: Vec<String>, param: &str) -> Result<Vec<String>, ApiError> {
    values.sort();
    values.dedup();
    if values.len() > MAX_FILTER_VALUES {
        return Err(ApiError::bad_parameter(
            param,
            format!("at most {MAX_FILTER_VALUES} values"),
        ));
    }
    Ok(values)
}

/// RFC 3339; a `+` offset that arrived unescaped (decoded to a space) is accepted too.
fn parse_time(param: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_rfc3339(&value.replace(' ', "+")))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_parameter(
                param,
                "must be an RFC 3339 date-time such as 2022-01-26T00:00:00Z",
            )
        })
}

/// A BCP 47 tag in its canonical case (`pt-br` → `pt-BR`, `zh-hant` → `zh-Hant`), or `None` when
/// it is not shaped like one. Tags are case-insensitive; stored ones are canonical.
pub fn canonical_language(tag: &str) -> Option<String> {
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut canonical = primary.to_ascii_lowercase();
    for part in parts {
        if !(2..=8).contains(&part.len()) || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        canonical.push('-');
        match part.len() {
            2 => canonical.push_str(&part.to_ascii_uppercase()),
            4 => {
                canonical.push_str(&part[..1].to_ascii_uppercase());
                canonical.push_str(&part[1..].to_ascii_lowercase());
            }
            _ => canonical.push_str(&part.to_ascii_lowercase()),
        }
    }
    Some(canonical)
}

pub fn summary_view(s: article_list::ArticleSummary) -> ArticleSummary {
    let row = s.row;
    ArticleSummary {
        id: row.id.0,
        slug: row.slug,
        headline: row.headline,
        lead: row.lead,
        url: row.url,
        source: row.source,
        language: row.language,
        dateline: row.dateline,
        published_at: row.published_at,
        updated_at: row.updated_at,
        authors: s.authors.into_iter().map(AuthorRef::from).collect(),
        topics: s.topics.into_iter().map(TopicRef::from).collect(),
    }
}

/// The latest articles, filtered by topic, author, entity, language, date and full text.
#[utoipa::path(
    tag = "articles",
    params(ArticleListParams),
    responses(
        (status = 200, description = "A page of articles, newest first unless `sort` says otherwise. \
            A `Link: <…>; rel=\"next\"` header carries the next page's URL.", body = Page<ArticleSummary>,
            headers(("x-cache" = String, description = "`hit` or `miss` on the first page with only `limit` set, \
                which may come from the response cache (never stale: a write empties it); absent otherwise"))),
        ListErrors,
    )
)]
#[get("/articles")]
pub async fn list_articles(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    article_page(&req, &pool, ListScope::All, params.0).await
}

/// One article by numeric id or slug, with its body and entities.
#[utoipa::path(
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "The article's numeric id or its slug",
            example = "us-formally-rejects-russias-top-security-demands")),
    responses(
        (status = 200, description = "The article", body = Article),
        ArticleErrors,
    )
)]
#[get("/articles/{id_or_slug}")]
pub async fn get_article(
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<web::Json<Article>, ApiError> {
    let key = path.into_inner();
    let reference = article_ref(&key)?;
    let mut conn = pool.get().await?;
    Ok(web::Json(load_article(&mut conn, &reference, &key).await?))
}

/// How a path names an article: digits written canonically are an id, anything else a slug.
pub fn article_ref(key: &str) -> Result<ArticleRef, ApiError> {
    check_slug("article", key)?;
    let canonical_id = key.bytes().all(|b| b.is_ascii_digit()) && !key.starts_with('0');
    Ok(match key.parse::<i64>() {
        Ok(id) if canonical_id => ArticleRef::Id(ArticleId(id)),
        _ => ArticleRef::Slug(key.to_owned()),
    })
}

/// The whole article view; 410 for a withdrawn article, 404 for a withheld or unknown one.
pub async fn load_article(
    conn: &mut diesel_async::AsyncPgConnection,
    reference: &ArticleRef,
    key: &str,
) -> Result<Article, ApiError> {
    let row = store::find_article(conn, reference)
        .await?
        .ok_or_else(|| ApiError::not_found("article", key))?;
    match row.pub_status.as_str() {
        "usable" => {}
        "canceled" => return Err(ApiError::Gone(format!("article `{key}` was withdrawn"))),
        _ => return Err(ApiError::not_found("article", key)),
    }
    let entities = store::article_entities(conn, row.id).await?;
    let summary_row = article_list::ArticleSummaryRow {
        id: row.id,
        slug: row.slug,
        headline: row.headline,
        lead: row.lead,
        url: row.url,
        source: row.source,
        language: row.language,
        dateline: row.dateline,
        published_at: row.published_at,
        updated_at: row.updated_at,
        rank: None,
    };
    let summary = article_list::attach_labels(conn, vec![summary_row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("article vanished while loading".to_owned()))?;
    Ok(Article {
        summary: summary_view(summary),
        body: row.body,
        external_id: row.external_id,
        version: row.version,
        pub_status: PubStatus::Usable,
        entities: entities
            .into_iter()
            .map(|e| ArticleEntity {
                slug: e.slug,
                name: e.name,
                kind: super::entities::EntityKind::from_db(&e.kind),
                mentions: e.mentions,
                rel: if e.rel == "about" {
                    EntityRel::About
                } else {
                    EntityRel::Mentions
                },
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::canonical_language;

    #[test]
    fn language_tags_are_put_in_canonical_case() {
        assert_eq!(canonical_language("EN").as_deref(), Some("en"));
        assert_eq!(canonical_language("pt-br").as_deref(), Some("pt-BR"));
        assert_eq!(
            canonical_language("zh-hant-tw").as_deref(),
            Some("zh-Hant-TW")
        );
        for bad in ["", "e", "english", "en-", "en_US", "e1"] {
            assert_eq!(canonical_language(bad), None, "{bad}");
        }
    }
}
