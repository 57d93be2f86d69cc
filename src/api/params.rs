//! What every resource's handlers share: the query-string extractor and the small references
//! one resource's view makes to another.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::error::ApiError;

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

/// Parses a JSON body: not JSON → 415, not parseable → 400, the wrong shape → 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    require_content_type(req, &["application/json"])?;
    Ok(crate::ingest::input::from_json(body)?)
}

/// 415 unless the request's media type is one of `accepted` (or a `+json` type for JSON).
pub fn require_content_type(req: &HttpRequest, accepted: &[&str]) -> Result<String, ApiError> {
    let media = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let json_like = media.ends_with("+json") && accepted.contains(&"application/json");
    if accepted.contains(&media.as_str()) || json_like {
        Ok(media)
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send the body as {}",
            accepted.join(" or ")
        )))
    }
}
