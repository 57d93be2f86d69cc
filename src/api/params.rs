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

/// Where an object lives in this API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"self": "/v1/authors/alex-raufoglu"}))]
pub struct Links {
    /// The object's own URL in this API, relative to the server (`/v1/articles/{slug}`).
    #[serde(rename = "self")]
    pub self_url: String,
}

/// The collections whose members are named by slug, with the path of each.
#[derive(Debug, Clone, Copy)]
pub enum Collection {
    Articles,
    Authors,
    Entities,
    Topics,
}

impl Collection {
    /// The links of the member `slug` of this collection.
    pub fn links(self, slug: &str) -> Links {
        let path = match self {
            Self::Articles => "articles",
            Self::Authors => "authors",
            Self::Entities => "entities",
            Self::Topics => "topics",
        };
        Links {
            self_url: format!("/v1/{path}/{slug}"),
        }
    }
}

/// A reference to an author from an article.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "alex-raufoglu", "name": "Alex Raufoglu", "links": {"self": "/v1/authors/alex-raufoglu"}}))]
pub struct AuthorRef {
    /// The author's URL handle, as in `/v1/authors/{slug}`.
    pub slug: String,
    /// The name as printed in the byline.
    pub name: String,
    /// The author in this API.
    pub links: Links,
}

/// A reference to a topic from an article or another topic.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "diplomacy", "name": "Diplomacy", "links": {"self": "/v1/topics/diplomacy"}}))]
pub struct TopicRef {
    /// The topic's URL handle, as in `/v1/topics/{slug}`.
    pub slug: String,
    /// The topic's display name.
    pub name: String,
    /// The topic in this API.
    pub links: Links,
}

impl From<(String, String)> for AuthorRef {
    fn from((slug, name): (String, String)) -> Self {
        let links = Collection::Authors.links(&slug);
        Self { slug, name, links }
    }
}

impl From<(String, String)> for TopicRef {
    fn from((slug, name): (String, String)) -> Self {
        let links = Collection::Topics.links(&slug);
        Self { slug, name, links }
    }
}

/// Parses a JSON body: not JSON → 415, not parseable → 400, the wrong shape → 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    require_content_type(req, &["application/json"])?;
    Ok(crate::ingest::input::from_json(body)?)
}

/// The media type of IPTC ninjs, which article writes take besides dateline's JSON.
pub const NINJS_JSON: &str = "application/ninjs+json";

/// An article to write, from dateline's JSON or from IPTC ninjs (2.x or 3.x), by `Content-Type`.
pub fn parse_article(
    req: &HttpRequest,
    body: &[u8],
) -> Result<crate::ingest::input::ArticleInput, ApiError> {
    use crate::ingest::input::{from_json, from_ninjs};
    if require_content_type(req, &["application/json", NINJS_JSON])? == NINJS_JSON {
        Ok(from_ninjs(&from_json::<serde_json::Value>(body)?)?)
    } else {
        Ok(from_json(body)?)
    }
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
    let json_like =
        media.ends_with("+json") && media != NINJS_JSON && accepted.contains(&"application/json");
    if accepted.contains(&media.as_str()) || json_like {
        Ok(media)
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send the body as {}",
            accepted.join(" or ")
        )))
    }
}
