//! The HTTP face: one module per resource. Handlers parse, call the store, and shape views.

pub mod article_input;
pub mod article_writes;
pub mod articles;
pub mod auth;
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
            .service(article_writes::upsert_article)
            .service(article_writes::upsert_batch)
            .service(articles::get_article)
            .service(article_writes::replace_article)
            .service(article_writes::patch_article)
            .service(article_writes::withdraw_article)
            .service(authors::list_authors)
            .service(authors::create_author)
            .service(authors::update_author)
            .service(authors::delete_author)
            .service(authors::get_author)
            .service(authors::list_author_articles)
            .service(entities::list_entities)
            .service(entities::create_entity)
            .service(entities::update_entity)
            .service(entities::delete_entity)
            .service(entities::get_entity)
            .service(entities::list_entity_articles)
            .service(topics::list_topics)
            .service(topics::create_topic)
            .service(topics::update_topic)
            .service(topics::delete_topic)
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

/// Refuses invalid UTF-8, which the lenient form decoder would turn into U+FFFD.
fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::BadRequest("the query string is not valid UTF-8".to_owned()))?;
    serde_html_form::from_str(raw)
        .map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))
}

/// Checks a slug from a path or a filter before it reaches a query: one PostgreSQL text cannot
/// hold (NUL) or no slug is as long as cannot name anything, so it is a 404 like any unknown slug.
pub fn check_slug(kind: &str, slug: &str) -> Result<(), ApiError> {
    if slug.contains('\0') || slug.len() > MAX_SLUG_LEN {
        return Err(ApiError::not_found(kind, &slug.replace('\0', "\\0")));
    }
    Ok(())
}

const MAX_SLUG_LEN: usize = 200;
/// The longest name prefix the author and entity lists take.
pub const MAX_PREFIX_CHARS: usize = 200;

/// A free-text query parameter: empty means absent; NUL (which PostgreSQL text cannot hold) and
/// values over `max_chars` are a 400.
pub fn text_param<'a>(
    param: &str,
    value: Option<&'a str>,
    max_chars: usize,
) -> Result<Option<&'a str>, ApiError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    if value.contains('\0') {
        return Err(ApiError::bad_parameter(
            param,
            "must not contain NUL characters",
        ));
    }
    if value.chars().count() > max_chars {
        return Err(ApiError::bad_parameter(
            param,
            format!("at most {max_chars} characters"),
        ));
    }
    Ok(Some(value))
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
