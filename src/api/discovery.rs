//! `GET /v1`: where everything in the API is.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::PlainErrors;

/// The API's entry point: its collections, its spec and its docs, as links.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "dateline",
    "version": "v1",
    "links": {
        "self": "/v1",
        "articles": "/v1/articles",
        "changes": "/v1/changes",
        "authors": "/v1/authors",
        "entities": "/v1/entities",
        "topics": "/v1/topics",
        "openapi": "/openapi.json",
        "docs": "/docs/"
    }
}))]
pub struct ApiIndex {
    /// The API's name.
    pub name: &'static str,
    /// The version of the API these links belong to.
    pub version: &'static str,
    /// Where to go from here, relative to the server.
    pub links: IndexLinks,
}

/// The entry point's links.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexLinks {
    /// This document.
    #[serde(rename = "self")]
    pub self_url: &'static str,
    /// The latest articles, with every filter.
    pub articles: &'static str,
    /// Every create, update and withdrawal of an article, in commit order: for mirrors.
    pub changes: &'static str,
    /// Authors, in slug order.
    pub authors: &'static str,
    /// Named people, organisations, places and events, in slug order.
    pub entities: &'static str,
    /// The topic hierarchy, mapped to IPTC Media Topics.
    pub topics: &'static str,
    /// The OpenAPI document of this API.
    pub openapi: &'static str,
    /// The API's documentation, as Swagger UI.
    pub docs: &'static str,
}

const INDEX: ApiIndex = ApiIndex {
    name: "dateline",
    version: "v1",
    links: IndexLinks {
        self_url: "/v1",
        articles: "/v1/articles",
        changes: "/v1/changes",
        authors: "/v1/authors",
        entities: "/v1/entities",
        topics: "/v1/topics",
        openapi: "/openapi.json",
        docs: "/docs/",
    },
};

/// The entry point.
///
/// Links to the collections (articles, authors, entities, topics), this spec and the docs, relative
/// to the server.
#[utoipa::path(
    tag = "docs",
    responses((status = 200, description = "The API's entry point", body = ApiIndex), PlainErrors)
)]
#[get("")]
pub async fn api_index() -> web::Json<ApiIndex> {
    web::Json(INDEX)
}
