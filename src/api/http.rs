//! The HTTP protocol around every route, as browsers, CDNs, monitors and generated clients expect
//! it: unknown query parameters refused, `HEAD` answered like `GET`, `OPTIONS` with `Allow`,
//! validators (`ETag`, `Last-Modified`), conditional requests (`304`) and `Cache-Control`.
//!
//! Which parameters and methods a route takes comes from the route table (`api::route`), so a
//! new route needs nothing here.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use std::time::SystemTime;

use actix_web::http::header::{self, HeaderMap, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// How long clients and shared caches may keep answers, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// Lists (anything with a cursor): they change with every new article.
    pub list_max_age: u32,
    /// Single resources and the spec.
    pub item_max_age: u32,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            list_max_age: 10,
            item_max_age: 60,
        }
    }
}

/// The docs' assets are built into the binary and change only with it.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What kind of answer a route gives, for `Cache-Control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    List,
    Item,
    DocsAsset,
    /// Probes and anything outside the route table: never stored.
    NoStore,
}

impl Freshness {
    fn header(self, policy: CachePolicy) -> String {
        match self {
            Self::List => format!("public, max-age={}", policy.list_max_age),
            Self::Item => format!("public, max-age={}", policy.item_max_age),
            Self::DocsAsset => IMMUTABLE.to_owned(),
            Self::NoStore => "no-store".to_owned(),
        }
    }
}

/// Cross-origin access: any page may read; only the configured origins' pages may write. A
/// request without `Origin` (a server, a script) is not a browser's and passes as it is.
pub fn cors(write_origins: &[String]) -> actix_cors::Cors {
    let write_origins: Vec<HeaderValue> = write_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok())
        .collect();
    actix_cors::Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let reads = |method: &str| matches!(method, "GET" | "HEAD");
            let asked = if head.method == Method::OPTIONS {
                head.headers
                    .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                    .and_then(|m| m.to_str().ok())
                    .unwrap_or_default()
            } else {
                head.method.as_str()
            };
            reads(asked) || write_origins.contains(origin)
        })
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::LINK,
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::LAST_MODIFIED,
            header::HeaderName::from_static("ratelimit"),
            header::HeaderName::from_static("ratelimit-policy"),
            header::HeaderName::from_static("x-cache"),
        ])
        .max_age(3600)
}

/// A strong entity tag for a representation: a digest of its bytes.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..12]))
}

/// A content coding the server answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The client's preferred coding among those served (`Accept-Encoding`, RFC 9110 §12.5.3).
    pub fn preferred(req: &actix_web::HttpRequest) -> Self {
        use actix_web::http::header::{AcceptEncoding, Encoding, Header};
        let served = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
        match AcceptEncoding::parse(req)
            .ok()
            .and_then(|a| a.negotiate(served.iter()))
        {
            Some(e) if e == Encoding::brotli() => Self::Brotli,
            Some(e) if e == Encoding::gzip() => Self::Gzip,
            _ => Self::Identity,
        }
    }

    /// The `Content-Encoding` value, none for identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }

    /// `body` in this coding.
    pub fn compress(self, body: &[u8]) -> bytes::Bytes {
        use std::io::Write;
        match self {
            Self::Identity => bytes::Bytes::copy_from_slice(body),
            Self::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                let _ = encoder.write_all(body);
                encoder.finish().unwrap_or_default().into()
            }
            Self::Brotli => {
                let mut out = Vec::new();
                {
                    // Quality 3, as actix's own encoder: most of brotli's gain over gzip for a fraction
                    // of the CPU of higher ones (5 took ten times longer on a 20 KB page).
                    // The window is the body's size (16 KiB to 4 MiB): a larger one finds nothing
                    // more in a page and costs its memory for every encoder in flight.
                    let window = (usize::BITS - body.len().leading_zeros()).clamp(14, 22);
                    let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 3, window);
                    let _ = encoder.write_all(body);
                }
                out.into()
            }
        }
    }
}

/// Content codings whose variants get their own tags (`"…-gzip"`, see [`tag_encoded_variants`]).
const CODINGS: [&str; 4] = ["gzip", "br", "zstd", "deflate"];

/// An entity tag without the weak marker and without a content coding's suffix: what a client's
/// `If-None-Match` is compared by.
fn opaque(tag: &str) -> &str {
    let tag = tag.trim().trim_start_matches("W/");
    for coding in CODINGS {
        if let Some(base) = tag
            .strip_suffix('"')
            .and_then(|t| t.strip_suffix(coding))
            .and_then(|t| t.strip_suffix('-'))
        {
            return &tag[..base.len()];
        }
    }
    tag.trim_end_matches('"')
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, RFC 9110 §13.1.2), or is `*`.
fn none_match_hits(list: &str, etag: &str) -> Option<String> {
    list.split(',').map(str::trim).find_map(|candidate| {
        (candidate == "*" || opaque(candidate) == opaque(etag)).then(|| candidate.to_owned())
    })
}

/// Whether the request's `If-None-Match` names `etag`: then its answer is a 304, and its body
/// need not be compressed.
pub fn revalidates(req: &actix_web::HttpRequest, etag: &str) -> bool {
    header_text(req.headers(), &header::IF_NONE_MATCH)
        .is_some_and(|list| none_match_hits(&list, etag).is_some())
}

/// Whether an `If-Match` list names `etag` (strong comparison), or is `*`.
pub fn if_match_holds(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || (!candidate.starts_with("W/") && opaque(candidate) == opaque(etag))
    })
}

/// The protocol middleware; see the module docs.
/// The longest request target (path and query) served, as RFC 9110 asks servers to take at least:
/// a longer one is a 414 problem. (A head over actix's buffer, 32 KiB, is answered by actix itself,
/// a bare 431: docs/reliability.md.)
const MAX_TARGET_BYTES: usize = 8 * 1024;

pub async fn protocol(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let target = req.uri().path_and_query().map_or(0, |t| t.as_str().len());
    if target > MAX_TARGET_BYTES {
        let response = ApiError::UriTooLong(format!(
            "the request target is {target} bytes; at most {MAX_TARGET_BYTES} are served"
        ))
        .error_response();
        return Ok(req.into_response(response));
    }
    let pattern = req.match_pattern();
    let route = pattern.as_deref().and_then(super::route);
    let asked = req.method().clone();
    if asked == Method::OPTIONS
        && let Some(route) = route
    {
        let response = HttpResponse::NoContent()
            .insert_header((header::ALLOW, allow_header(&route.allow)))
            .finish();
        return Ok(req.into_response(response));
    }
    // HEAD is GET without the body: the server's codec leaves the body out and keeps its length.
    let method = if asked == Method::HEAD {
        req.head_mut().method = Method::GET;
        Method::GET
    } else {
        asked
    };
    if let Some(params) = route.and_then(|r| r.query.get(method.as_str()))
        && let Some(unknown) = url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(key, _)| key)
            .find(|key| !params.iter().any(|p| p == key))
    {
        let detail = if params.is_empty() {
            "unknown parameter; this operation takes no query parameters".to_owned()
        } else {
            format!(
                "unknown parameter; this operation takes {}",
                params.join(", ")
            )
        };
        let response = ApiError::bad_parameter(&unknown, detail).error_response();
        return Ok(req.into_response(response));
    }
    if method != Method::GET {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let freshness = match (pattern.as_deref(), route) {
        (Some(p), _) if p.starts_with("/docs/") => Freshness::DocsAsset,
        (Some("/healthz" | "/readyz"), _) | (_, None) => Freshness::NoStore,
        (_, Some(r))
            if r.query
                .get("GET")
                .is_some_and(|q| q.iter().any(|p| p == "cursor")) =>
        {
            Freshness::List
        }
        _ => Freshness::Item,
    };
    let policy = req
        .app_data::<web::Data<CachePolicy>>()
        .map(|p| *p.get_ref())
        .unwrap_or_default();
    let if_none_match = header_text(req.headers(), &header::IF_NONE_MATCH);
    let if_modified_since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok())
        .map(SystemTime::from);
    let response = next.call(req).await?;
    if response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let (req, res) = response.into_parts();
    let (mut head, body) = res.into_parts();
    let headers = head.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&freshness.header(policy))
                .unwrap_or(HeaderValue::from_static("no-store")),
        );
    }
    let body = if freshness == Freshness::NoStore || headers.contains_key(header::ETAG) {
        body.boxed()
    } else {
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|e| ApiError::Internal(format!("reading a response body: {}", e.into())))?;
        if let Ok(value) = HeaderValue::from_str(&etag_of(&bytes)) {
            headers.insert(header::ETAG, value);
        }
        bytes.boxed()
    };
    let etag = header_text(headers, &header::ETAG);
    let not_modified = match (&if_none_match, &etag) {
        (Some(list), Some(etag)) => none_match_hits(list, etag),
        (Some(_), None) => None,
        (None, _) => if_modified_since
            .zip(
                headers
                    .get(header::LAST_MODIFIED)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<HttpDate>().ok())
                    .map(SystemTime::from),
            )
            .and_then(|(since, modified)| {
                (modified <= since).then(|| etag.clone().unwrap_or_default())
            }),
    };
    if let Some(matched) = not_modified {
        let mut response = HttpResponse::NotModified();
        for name in [
            header::CACHE_CONTROL,
            header::LAST_MODIFIED,
            header::VARY,
            header::CONTENT_LOCATION,
        ] {
            if let Some(value) = headers.get(&name) {
                response.insert_header((name, value.clone()));
            }
        }
        // The tag the client holds, coding suffix and all, is the tag of what it has.
        if let Some(tag) = etag.map(|e| {
            if matched.is_empty() || matched == "*" {
                e
            } else {
                matched
            }
        }) {
            response.insert_header((header::ETAG, tag));
        }
        return Ok(ServiceResponse::new(req, response.finish()));
    }
    Ok(ServiceResponse::new(req, head.set_body(body)))
}

fn header_text(headers: &HeaderMap, name: &header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Allow` for a route: its methods, `HEAD` wherever `GET` is served, and `OPTIONS`.
pub fn allow_header(methods: &str) -> String {
    let mut allow: Vec<&str> = Vec::new();
    for method in methods.split(", ").filter(|m| !m.is_empty()) {
        allow.push(method);
        if method == "GET" {
            allow.push("HEAD");
        }
    }
    allow.push("OPTIONS");
    allow.join(", ")
}

/// Gives a compressed variant its own strong tag (`"abc-gzip"`): its bytes differ from the
/// uncompressed representation's. Every answer to a GET says it varies by `Accept-Encoding`,
/// once. Runs outside the compression middleware.
pub async fn tag_encoded_variants(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);
    let mut response = next.call(req).await?;
    if is_get {
        let mut vary: Vec<String> = Vec::new();
        for value in response.headers().get_all(header::VARY) {
            for name in value.to_str().unwrap_or_default().split(',').map(str::trim) {
                if !name.is_empty() && !vary.iter().any(|v| v.eq_ignore_ascii_case(name)) {
                    vary.push(name.to_owned());
                }
            }
        }
        if !vary
            .iter()
            .any(|v| v.eq_ignore_ascii_case("accept-encoding"))
        {
            vary.push("Accept-Encoding".to_owned());
        }
        if let Ok(value) = HeaderValue::from_str(&vary.join(", ")) {
            response.headers_mut().insert(header::VARY, value);
        }
    }
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .filter(|c| CODINGS.contains(c))
        .map(str::to_owned);
    if let Some(coding) = coding
        && let Some(etag) = header_text(response.headers(), &header::ETAG)
        && let Some(base) = etag.strip_suffix('"')
        && let Ok(value) = HeaderValue::from_str(&format!("{base}-{coding}\""))
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_compare_without_the_weak_marker_or_a_coding_suffix() {
        let etag = etag_of(b"{}");
        let base = etag.trim_end_matches('"');
        assert!(none_match_hits(&etag, &etag).is_some());
        assert!(none_match_hits(&format!("W/{etag}"), &etag).is_some());
        assert!(none_match_hits(&format!("\"x\", {base}-gzip\""), &etag).is_some());
        assert!(none_match_hits("*", &etag).is_some());
        assert!(none_match_hits("\"other\"", &etag).is_none());
        assert!(if_match_holds(&etag, &etag));
        assert!(
            !if_match_holds(&format!("W/{etag}"), &etag),
            "If-Match compares strongly"
        );
        assert!(if_match_holds("*", &etag));
        assert_ne!(etag_of(b"{}"), etag_of(b"[]"));
    }

    #[test]
    fn allow_adds_head_and_options() {
        assert_eq!(allow_header("GET, POST"), "GET, HEAD, POST, OPTIONS");
        assert_eq!(allow_header("POST"), "POST, OPTIONS");
    }
}
