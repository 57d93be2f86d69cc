//! The `{data, next_cursor}` page envelope and the RFC 8288 `Link` header. Cursors themselves are
//! made and checked by the query layer (`queries::cursor`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;
use serde::Serialize;

use super::error::ApiError;
use super::proxies::ProxyPolicy;

/// A page of a list: what every list answers.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Declares the OpenAPI schema of a page of `$item`: the shape of [`Page`], with its items as a
/// reference to their named schema (which generated clients turn into one class, not one per
/// page type) and `next_cursor` required and nullable.
macro_rules! page_schema {
    ($(#[$doc:meta])* $name:ident of $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, utoipa::ToSchema)]
        #[allow(dead_code)] // The spec's picture of `Page<$item>`, which is what is sent.
        pub struct $name {
            /// The items of this page.
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            #[schema(required = true,
                example = "eyJ2IjoxLCJmIjoiM2Y0YTBiMmMiLCJrIjpbMTY0MzIzNDQwMDAwMDAwMCwxXX0")]
            pub next_cursor: Option<String>,
        }
    };
}

pub(crate) use page_schema;

/// Answers a page as JSON, with `Link: <next>; rel="next"` when there is a next page.
pub fn page_response<T: Serialize>(req: &HttpRequest, page: &Page<T>) -> HttpResponse {
    page_response_builder(req, page.next_cursor.as_deref()).json(page)
}

/// A page's JSON body, written once: the response cache keeps these very bytes.
pub fn page_body<T: Serialize>(page: &Page<T>) -> Result<Bytes, ApiError> {
    serde_json::to_vec(page)
        .map(Bytes::from)
        .map_err(|e| ApiError::Internal(format!("cannot serialise a page: {e}")))
}

/// The status and headers of a page's answer, `Link` included; the caller adds the body.
pub fn page_response_builder(req: &HttpRequest, next_cursor: Option<&str>) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header(header::ContentType::json());
    if let Some(cursor) = next_cursor {
        response.insert_header((
            header::LINK,
            format!("<{}>; rel=\"next\"", next_url(req, cursor)),
        ));
    }
    response
}

/// The request's URL with `cursor` replaced: absolute when the request's scheme and host (which
/// `Forwarded`/`X-Forwarded-*` headers set behind a proxy) make a valid URL, else relative.
pub fn next_url(req: &HttpRequest, cursor: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .filter(|(k, _)| k != "cursor"),
        )
        .append_pair("cursor", cursor)
        .finish();
    absolute_url(req, &format!("{}?{query}", req.path()))
}

/// `relative` (a path and query) as an absolute URL of the server the request came to, as
/// [`ProxyPolicy::base_url`] gives it; `relative` itself when there is no valid base.
pub fn absolute_url(req: &HttpRequest, relative: &str) -> String {
    ProxyPolicy::of(req)
        .base_url(req)
        .and_then(|base| base.join(relative).ok())
        .map_or_else(|| relative.to_owned(), |absolute| absolute.to_string())
}
