//! The HTTP face: one module per resource. Handlers parse, call the store, and shape views.

pub mod articles;
pub mod authors;
pub mod docs;
pub mod entities;
pub mod health;
pub mod topics;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

/// Registers every documented route; shared by the server, the tests and `dateline openapi`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/v1")
            .service(articles::list_articles)
            .service(articles::get_article)
            .service(authors::list_authors)
            .service(authors::get_author)
            .service(authors::list_author_articles)
            .service(entities::list_entities)
            .service(entities::get_entity)
            .service(entities::list_entity_articles)
            .service(topics::list_topics)
            .service(topics::get_topic)
            .service(topics::list_topic_articles),
    )
    .service(health::healthz)
    .service(health::readyz)
    .service(docs::openapi_json);
}

/// A query string parsed with repeatable keys (`?topic=a&topic=b`); a malformed one is a 400.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(QueryParams))
    }
}

/// Refuses what the lenient form decoder would let through: invalid UTF-8 (it would become U+FFFD)
/// and NUL (PostgreSQL text cannot hold it).
fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::BadRequest("the query string is not valid UTF-8".to_owned()))?;
    if decoded.contains('\0') {
        return Err(ApiError::BadRequest(
            "the query string contains a NUL character".to_owned(),
        ));
    }
    serde_html_form::from_str(raw)
        .map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))
}

/// Checks a slug taken from a path: PostgreSQL text cannot hold NUL, and no slug is that long.
pub fn path_slug(param: &str, slug: String) -> Result<String, ApiError> {
    if slug.contains('\0') || slug.len() > 200 {
        return Err(ApiError::not_found(param, &slug.replace('\0', "\\0")));
    }
    Ok(slug)
}

/// A reference to an author from an article.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "alex-raufoglu", "name": "Alex Raufoglu"}))]
pub struct AuthorRef {
    /// The author's URL handle, as in `/v1/authors/{slug}`.
    pub slug: String,
    /// The name as printed in the byline.
    pub name: String,
}

/// A reference to a topic from an article or another topic.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "diplomacy", "name": "Diplomacy"}))]
pub struct TopicRef {
    /// The topic's URL handle, as in `/v1/topics/{slug}`.
    pub slug: String,
    /// The topic's display name.
    pub name: String,
}

impl From<(String, String)> for AuthorRef {
    fn from((slug, name): (String, String)) -> Self {
        Self { slug, name }
    }
}

impl From<(String, String)> for TopicRef {
    fn from((slug, name): (String, String)) -> Self {
        Self { slug, name }
    }
}
