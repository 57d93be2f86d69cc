//! `/v1/articles`: the article views, the latest-articles list and one article.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::cache::{CachedPage, ResponseCache};
use super::error::{ApiError, ListErrors};
use super::fields::FieldSet;
use super::http::{Coding, etag_of, revalidates};
use super::negotiation;
use super::pagination::{Page, page_body, page_response_builder, page_schema};
use super::params::{AuthorRef, Collection, Links, QueryParams, TopicRef};
use super::reads::ReadDb;
use crate::media::{Image, Media};
use crate::queries::article::FullArticle;
use crate::queries::article_list::{
    ArticleFilterParams, ArticleListParams, ArticleQuery, ListFields, ListScope,
};
use crate::search_index::SearchIndex;
use crate::store::article_sql;
use crate::vocab::{EntityKind, EntityRel, PubStatus};

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
    "authors": [{"slug": "alex-raufoglu", "name": "Alex Raufoglu", "links": {"self": "/v1/authors/alex-raufoglu"}}],
    "topics": [{"slug": "diplomacy", "name": "Diplomacy", "links": {"self": "/v1/topics/diplomacy"}}, {"slug": "arms-control", "name": "Arms control and disarmament", "links": {"self": "/v1/topics/arms-control"}}],
    "image": null,
    "links": {"self": "/v1/articles/us-formally-rejects-russias-top-security-demands"}
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
    /// The lead picture's widest rendition, when the article has a picture.
    pub image: Option<Image>,
    /// The article in this API (`url` is the publisher's page).
    pub links: Links,
    /// Only in the hits of a full-text search (`q`), never on a single article: where the words
    /// matched, as HTML. The headline when it holds every word, else the lead when it does, else
    /// up to two fragments of the text joined by ` … `; escaped, each match in `<mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "Secretary of State Antony <mark>Blinken</mark> announced to the reporters at the State Department … <mark>Blinken</mark> said: &quot;<mark>NATO</mark>&#39;s door is open, it remains open,&quot;"
    )]
    pub highlight: Option<String>,
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
    "authors": [{"slug": "alex-raufoglu", "name": "Alex Raufoglu", "links": {"self": "/v1/authors/alex-raufoglu"}}],
    "topics": [{"slug": "diplomacy", "name": "Diplomacy", "links": {"self": "/v1/topics/diplomacy"}}],
    "image": null,
    "links": {"self": "/v1/articles/us-formally-rejects-russias-top-security-demands"},
    "body": "John Sullivan, the U.S. ambassador to Russia, sent the response to the Kremlin, ...",
    "external_id": null,
    "version": 1,
    "pub_status": "usable",
    "entities": [{"slug": "antony-blinken", "name": "Antony Blinken", "kind": "person", "mentions": 6, "rel": "about", "links": {"self": "/v1/entities/antony-blinken"}}],
    "media": []
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
    /// Its pictures, video and audio, in the order it shows them; the lead picture is marked.
    pub media: Vec<Media>,
}

/// An entity as an article names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleEntity {
    /// The entity's URL handle, as in `/v1/entities/{slug}`.
    pub slug: String,
    /// The entity's canonical name.
    pub name: String,
    /// What kind of thing the entity is.
    pub kind: EntityKind,
    /// How many times the text names the entity.
    pub mentions: i32,
    /// `about`: a subject of the article; `mentions`: named in passing.
    pub rel: EntityRel,
    /// The entity's Wikidata item, when known (`Q…`).
    pub wikidata_id: Option<String>,
    /// The entity in this API.
    pub links: Links,
}

/// Answers one page of any article list: parses the parameters into one query, answers a
/// cacheable one from the response cache when it can, runs it, and shapes the views.
pub async fn article_page(
    req: &HttpRequest,
    db: &ReadDb,
    scope: ListScope,
    filters: ArticleFilterParams,
    params: ArticleListParams,
) -> Result<HttpResponse, ApiError> {
    negotiation::require_json(req)?;
    let fields = FieldSet::parse::<ArticleSummary>(params.fields.as_deref(), Vec::new)?;
    let query = ArticleQuery::parse(scope, filters, params)?;
    let cache = req
        .app_data::<web::Data<ResponseCache>>()
        .filter(|c| c.is_enabled() && query.cacheable());
    let cache_key = match &fields {
        Some(fields) => format!("{}|fields={}", query.cache_key(), fields.key()),
        None => query.cache_key(),
    };
    if let Some(cache) = cache
        && let Some(hit) = cache.get(&cache_key).await
    {
        metrics::counter!("dateline_response_cache_total", "result" => "hit").increment(1);
        return Ok(cached_answer(req, &hit, "hit"));
    }
    if cache.is_some() {
        metrics::counter!("dateline_response_cache_total", "result" => "miss").increment(1);
    }
    let ticket = cache.and_then(|c| c.ticket());
    // An answer to be cached is kept until the next write: it is read where every write is.
    let reads = if ticket.is_some() {
        db.fresh()
    } else {
        db.reads()
    };
    let index = req.app_data::<web::Data<SearchIndex>>();
    let found = reads
        .run(async |conn| Ok::<_, ApiError>(query.run(conn, index.map(|i| i.get_ref())).await?))
        .await?;
    let views = found.items.into_iter().map(summary_view);
    let (body, next_cursor) = match &fields {
        None => {
            let page = Page {
                data: views.collect(),
                next_cursor: found.next_cursor,
            };
            (page_body(&page)?, page.next_cursor)
        }
        Some(fields) => {
            let page = Page {
                data: views
                    .map(|v| fields.project(serde_json::to_value(v).unwrap_or_default()))
                    .collect(),
                next_cursor: found.next_cursor,
            };
            (page_body(&page)?, page.next_cursor)
        }
    };
    if let (Some(cache), Some(ticket)) = (cache, ticket)
        && let Some(stored) = cache.put(cache_key, ticket, body.clone(), next_cursor.clone())
    {
        return Ok(cached_answer(req, &stored, "miss"));
    }
    // Compressed here, with a window the size of the page, rather than by the middleware, whose
    // brotli encoder holds a 4 MiB window per answer in flight.
    // A revalidation that holds becomes a 304 (in the protocol middleware): nothing to compress.
    let etag = etag_of(&body);
    let coding = if revalidates(req, &etag) {
        Coding::Identity
    } else {
        Coding::preferred(req)
    };
    let mut response = page_response_builder(req, next_cursor.as_deref());
    encoded_answer(&mut response, etag, coding);
    Ok(match coding {
        Coding::Identity => response.body(body),
        coding => response.body(coding.compress(&body)),
    })
}

/// A page the response cache holds, in the coding the client prefers, with its tag: neither the
/// tag nor the compressed body is computed again for a hit.
fn cached_answer(req: &HttpRequest, page: &CachedPage, x_cache: &'static str) -> HttpResponse {
    let coding = Coding::preferred(req);
    let mut response = page_response_builder(req, page.next_cursor.as_deref());
    response.insert_header((X_CACHE, x_cache));
    encoded_answer(&mut response, page.etag.clone(), coding);
    response.body(page.encoded(coding))
}

/// The tag of a page's identity body (the middleware derives each coding's tag from it) and the
/// `Content-Encoding` of the body that follows.
fn encoded_answer(response: &mut actix_web::HttpResponseBuilder, etag: String, coding: Coding) {
    response.insert_header((header::ETAG, etag));
    if let Some(name) = coding.header() {
        response.insert_header((header::CONTENT_ENCODING, name));
    }
}

page_schema!(
    /// A page of articles.
    ArticlePage of ArticleSummary
);

/// Says whether a cacheable list was answered from the response cache (`hit`) or not (`miss`).
pub const X_CACHE: &str = "x-cache";

pub fn summary_view(s: article_sql::ArticleSummary) -> ArticleSummary {
    let row = s.row;
    let links = Collection::Articles.links(&row.slug);
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
        image: row.image.map(|image| image.0),
        links,
        highlight: s.highlight,
    }
}

/// The whole article view.
pub fn article_view(article: FullArticle) -> Article {
    Article {
        summary: summary_view(article.summary),
        body: article.body,
        external_id: article.external_id,
        version: article.version,
        pub_status: article.pub_status,
        entities: article
            .entities
            .into_iter()
            .map(|e| ArticleEntity {
                links: Collection::Entities.links(&e.slug),
                slug: e.slug,
                name: e.name,
                kind: e.kind,
                mentions: e.mentions,
                rel: e.rel,
                wikidata_id: e.wikidata_id,
            })
            .collect(),
        media: article.media,
    }
}

/// Latest articles.
///
/// Articles newest first (or `oldest`, or by `relevance` to `q`), filtered by topic, author,
/// entity, source, language, publication and update times and full text; cursor-paginated. The
/// first page with only `limit` (and `fields`) set may come from the response cache, which a write
/// empties.
#[utoipa::path(
    tag = "articles",
    params(ArticleFilterParams, ArticleListParams, ListFields),
    responses(
        (status = 200, description = "A page of articles, newest first unless `sort` says otherwise. \
            A `Link: <…>; rel=\"next\"` header carries the next page's URL.", body = ArticlePage,
            headers(("x-cache" = String, description = "`hit` or `miss` on the first page with only `limit` set, \
                which may come from the response cache (never stale: a write empties it); absent otherwise"))),
        ListErrors,
    )
)]
#[get("/articles")]
pub async fn list_articles(
    req: HttpRequest,
    db: ReadDb,
    filters: QueryParams<ArticleFilterParams>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    article_page(&req, &db, ListScope::All, filters.0, params.0).await
}

/// An article's answer, before its body: 200 with `Last-Modified`.
pub fn article_response(article: &Article) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header(header::LastModified(
        std::time::SystemTime::from(article.summary.updated_at).into(),
    ));
    response
}
