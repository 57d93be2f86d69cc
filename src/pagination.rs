//! Opaque keyset cursors, the `{data, next_cursor}` page envelope and the RFC 8288 `Link` header.
//!
//! A cursor is base64url of a small versioned JSON document: the sort key of the last item served
//! and a fingerprint of the filters it was issued for, so a cursor replayed with other filters is a
//! 400, not a silently wrong page.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::ApiError;

const CURSOR_VERSION: u8 = 1;
/// The hard ceiling for every list's page size.
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 20;

/// A page of a list, newest first unless the list says otherwise.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = "eyJ2IjoxLCJmIjoiM2Y0YTBiMmMiLCJrIjpbMTY0MzIzNDQwMDAwMDAwMCwxXX0")]
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CursorDoc<K> {
    v: u8,
    /// Filter fingerprint.
    f: String,
    /// Position: the sort key of the last item served.
    k: K,
}

/// A short, stable digest of the filters a list was asked with.
pub fn fingerprint(canonical_filters: &str) -> String {
    let digest = Sha256::digest(canonical_filters.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

pub fn encode_cursor<K: Serialize>(filters: &str, key: &K) -> String {
    let doc = CursorDoc {
        v: CURSOR_VERSION,
        f: fingerprint(filters),
        k: key,
    };
    let json = serde_json::to_vec(&doc).expect("cursor keys serialise");
    URL_SAFE_NO_PAD.encode(json)
}

/// The position a `cursor` parameter names; none (or an empty one) starts at the beginning.
pub fn decode_cursor<K: DeserializeOwned>(
    filters: &str,
    cursor: Option<&str>,
) -> Result<Option<K>, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| malformed_cursor())?;
    let doc: CursorDoc<K> = serde_json::from_slice(&bytes).map_err(|_| malformed_cursor())?;
    if doc.v != CURSOR_VERSION {
        return Err(malformed_cursor());
    }
    if doc.f != fingerprint(filters) {
        return Err(ApiError::bad_parameter(
            "cursor",
            "this cursor was issued for different filters; repeat the same filters or start without a cursor",
        ));
    }
    Ok(Some(doc.k))
}

/// The position in a list in slug order. Cursors are not signed, so a forged one must not carry
/// what PostgreSQL text cannot hold.
pub fn decode_slug_cursor(filters: &str, cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let slug: Option<String> = decode_cursor(filters, cursor)?;
    if slug.as_deref().is_some_and(|s| s.contains('\0')) {
        return Err(malformed_cursor());
    }
    Ok(slug)
}

pub fn malformed_cursor() -> ApiError {
    ApiError::bad_parameter(
        "cursor",
        "malformed cursor; pass `next_cursor` from the previous page unchanged",
    )
}

/// Checks `limit` against the list's bounds.
pub fn page_size(limit: Option<&str>, default: u32) -> Result<u32, ApiError> {
    let Some(raw) = limit else {
        return Ok(default);
    };
    let bad = || {
        ApiError::bad_parameter(
            "limit",
            format!("must be an integer between 1 and {MAX_LIMIT}"),
        )
    };
    let n: u32 = raw.trim().parse().map_err(|_| bad())?;
    if (1..=MAX_LIMIT).contains(&n) {
        Ok(n)
    } else {
        Err(bad())
    }
}

/// Cuts a `limit + 1` fetch to `limit` and returns the key of the last item kept when there was more.
pub fn more_after<T, K>(rows: &mut Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Option<K> {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(key)
    } else {
        None
    }
}

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
fn next_url(req: &HttpRequest, cursor: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .filter(|(k, _)| k != "cursor"),
        )
        .append_pair("cursor", cursor)
        .finish();
    let relative = format!("{}?{query}", req.path());
    let info = req.connection_info();
    url::Url::parse(&format!("{}://{}", info.scheme(), info.host()))
        .and_then(|base| base.join(&relative))
        .map_or(relative, |absolute| absolute.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_for_the_same_filters() {
        let c = encode_cursor("topic=a", &(17_i64, 4_i64));
        assert_eq!(
            decode_cursor::<(i64, i64)>("topic=a", Some(&c)).unwrap(),
            Some((17, 4))
        );
        assert_eq!(
            decode_cursor::<(i64, i64)>("topic=a", Some("")).unwrap(),
            None
        );
    }

    #[test]
    fn cursor_for_other_filters_is_refused() {
        let c = encode_cursor("topic=a", &(17_i64, 4_i64));
        assert!(decode_cursor::<(i64, i64)>("topic=b", Some(&c)).is_err());
        assert!(decode_cursor::<(i64, i64)>("topic=a", Some("not-a-cursor!")).is_err());
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(None, 20).unwrap(), 20);
        assert_eq!(page_size(Some("100"), 20).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(page_size(Some(bad), 20).is_err(), "{bad}");
        }
    }
}
