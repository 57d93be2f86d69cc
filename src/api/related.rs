//! `/v1/articles/{id_or_slug}/related` and `/v1/entities/{slug}/related`: what shares the most
//! with an article or an entity.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::articles::{ArticlePage, summary_view};
use super::error::{ApiError, ListErrors, RelatedArticleErrors};
use super::negotiation;
use super::pagination::{Page, page_response, page_schema};
use super::params::{Collection, Links, QueryParams};
use super::reads::ReadDb;
use crate::queries::related::{RankedListParams, RelatedArticlesQuery, RelatedEntitiesQuery};
use crate::vocab::EntityKind;

/// Related articles.
///
/// The articles that share the most entities and topics with this one, each shared entity or
/// topic weighted by how rare it is (`ln(1 + 1000 / articles with it)`, the count read up to
/// 1,000), best first, the newer first on ties; never the article itself. Candidates are the
/// newest 50 articles of each of the article's entities and direct topics. Same summary shape
/// as the lists.
#[utoipa::path(
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "The article's numeric id or its slug",
            example = "us-formally-rejects-russias-top-security-demands"), RankedListParams),
    responses(
        (status = 200, description = "A page of related articles, best first", body = ArticlePage),
        RelatedArticleErrors,
    )
)]
#[get("/articles/{id_or_slug}/related")]
pub async fn related_articles(
    req: HttpRequest,
    db: ReadDb,
    path: web::Path<String>,
    params: QueryParams<RankedListParams>,
) -> Result<HttpResponse, ApiError> {
    negotiation::require_json(&req)?;
    let query = RelatedArticlesQuery::parse(&path, params.0)?;
    let found = db
        .reads()
        .run(async |conn| Ok::<_, ApiError>(query.run(conn).await?))
        .await?;
    let page = Page {
        data: found.items.into_iter().map(summary_view).collect(),
        next_cursor: found.next_cursor,
    };
    Ok(page_response(&req, &page))
}

/// An entity named in the same articles as another.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "nato", "name": "NATO", "kind": "organisation", "count": 1,
    "links": {"self": "/v1/entities/nato"}}))]
pub struct RelatedEntity {
    /// The entity's URL handle, as in `/v1/entities/{slug}`.
    pub slug: String,
    /// The entity's canonical name.
    pub name: String,
    /// What kind of thing the entity is.
    pub kind: EntityKind,
    /// In how many of the counted articles both are named.
    pub count: i64,
    /// The entity in this API.
    pub links: Links,
}

page_schema!(
    /// A page of related entities.
    RelatedEntityPage of RelatedEntity
);

/// Related entities.
///
/// The entities most often named in the same articles as this one, with `count`: in how many of
/// the newest 500 articles naming this entity they are named too. Most first, ties to the older
/// entity.
#[utoipa::path(
    tag = "entities",
    params(("slug" = String, Path, description = "The entity's slug", example = "antony-blinken"),
        RankedListParams),
    responses(
        (status = 200, description = "A page of related entities, most often named together first",
            body = RelatedEntityPage),
        ListErrors,
    )
)]
#[get("/entities/{slug}/related")]
pub async fn related_entities(
    req: HttpRequest,
    db: ReadDb,
    path: web::Path<String>,
    params: QueryParams<RankedListParams>,
) -> Result<HttpResponse, ApiError> {
    negotiation::require_json(&req)?;
    let query = RelatedEntitiesQuery::parse(&path, params.0)?;
    let found = db
        .reads()
        .run(async |conn| Ok::<_, ApiError>(query.run(conn).await?))
        .await?;
    let page = Page {
        data: found
            .items
            .into_iter()
            .map(|e| RelatedEntity {
                links: Collection::Entities.links(&e.slug),
                slug: e.slug,
                name: e.name,
                kind: e.kind,
                count: e.count,
            })
            .collect(),
        next_cursor: found.next_cursor,
    };
    Ok(page_response(&req, &page))
}
