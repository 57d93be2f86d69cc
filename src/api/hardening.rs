//! What every answer carries whatever route made it: the security headers, and the request's id
//! (`X-Request-Id`), taken from the client or a proxy when it sends a sane one and made up
//! otherwise, echoed back, and written in every log line logged while the request is served.

use std::fmt::Write as _;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The request id header, in and out.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client: a UUID is 36 characters, a trace parent 55.
const MAX_REQUEST_ID: usize = 128;

/// The policy of the API's own answers (JSON, feeds, problems): nothing in them is to run,
/// load or be framed.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";
/// The policy of the documentation page: its own scripts and styles only (Swagger UI sets inline
/// styles), its own data for images, and requests to this server alone.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

tokio::task_local! {
    /// The id of the request this task serves, for the log lines it writes.
    static CURRENT: String;
}

/// The id of the request being served, when there is one: what the log format prints.
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The middleware: a request id (in for the handler's log lines, out in the answer) and the
/// security headers.
pub async fn harden(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_sane_id(id))
        .map_or_else(new_request_id, str::to_owned);
    let docs = req.path().starts_with("/docs");
    let mut response = CURRENT.scope(id.clone(), next.call(req)).await?;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID.clone(), value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { DOCS_POLICY } else { API_POLICY }),
    );
    Ok(response)
}

/// A request id worth echoing: short, visible ASCII, nothing a log reader could mistake for
/// the end of the line or of the field.
fn is_sane_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
}

/// 128 random bits in hex.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    // The system's generator does not fail on Linux once booted; an id of zeros still serves.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().fold(String::with_capacity(32), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    })
}

/// The request line for the access log, with the values of `api_key`, `key` and `token` in
/// the query string replaced: a key in a URL must not end up in the log.
pub fn redacted_request_line(req: &ServiceRequest) -> String {
    let path = req.path();
    let query = req.query_string();
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret(name) => format!("{name}=REDACTED"),
                _ => pair.to_owned(),
            })
            .collect();
        format!("{path}?{}", redacted.join("&"))
    };
    format!("{} {target} {:?}", req.method(), req.version())
}

fn is_secret(name: &str) -> bool {
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    ["api_key", "key", "token", "access_token"]
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn request_ids_from_clients_are_taken_only_when_sane() {
        assert!(is_sane_id("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(is_sane_id("00-4bf92f3577b34da6-00f067aa0ba902b7-01"));
        for bad in ["", "a b", "line\nbreak", "quote\"", &"x".repeat(129)] {
            assert!(!is_sane_id(bad), "{bad:?}");
        }
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(is_sane_id(&id));
        assert_ne!(id, new_request_id());
    }

    #[tokio::test]
    async fn the_request_id_is_known_while_the_request_is_served() {
        assert_eq!(current_request_id(), None);
        let inside = CURRENT
            .scope("trace-7".to_owned(), async { current_request_id() })
            .await;
        assert_eq!(inside.as_deref(), Some("trace-7"));
    }

    #[test]
    fn secrets_in_the_query_string_are_not_logged() {
        let req = TestRequest::get()
            .uri("/v1/articles?limit=5&api_key=s3cr3t&Token=abc&q=key&%6Bey=x")
            .to_srv_request();
        assert_eq!(
            redacted_request_line(&req),
            "GET /v1/articles?limit=5&api_key=REDACTED&Token=REDACTED&q=key&%6Bey=REDACTED HTTP/1.1"
        );
    }
}
