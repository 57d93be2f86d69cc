//! Opaque keyset cursors: base64url of a small versioned JSON document holding the sort key of
//! the last item served and a digest of the filters it was issued for, so a cursor replayed with
//! other filters is refused, not answered with a silently wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::QueryError;

const CURSOR_VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct CursorDoc<K> {
    v: u8,
    /// Filter digest.
    f: String,
    /// Position: the sort key of the last item served.
    k: K,
}

/// A short, stable digest of a list's filters, from their canonical serialisation.
pub fn digest(canonical_filters: &str) -> String {
    let digest = Sha256::digest(canonical_filters.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The cursor of the position `key` in the list whose filters digest to `filters`.
pub fn encode<K: Serialize>(filters: &str, key: &K) -> String {
    let doc = CursorDoc {
        v: CURSOR_VERSION,
        f: filters.to_owned(),
        k: key,
    };
    let json = serde_json::to_vec(&doc).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The position a `cursor` parameter names; none (or an empty one) starts at the beginning.
pub fn decode<K: DeserializeOwned>(
    filters: &str,
    cursor: Option<&str>,
) -> Result<Option<K>, QueryError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let doc: CursorDoc<K> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    if doc.v != CURSOR_VERSION {
        return Err(malformed());
    }
    if doc.f != filters {
        return Err(QueryError::bad_parameter(
            "cursor",
            "this cursor was issued for different filters; repeat the same filters or start without a cursor",
        ));
    }
    Ok(Some(doc.k))
}

/// The position in a list in slug order. Cursors are not signed, so a forged one must not carry
/// what PostgreSQL text cannot hold.
pub fn decode_slug(filters: &str, cursor: Option<&str>) -> Result<Option<String>, QueryError> {
    let slug: Option<String> = decode(filters, cursor)?;
    if slug.as_deref().is_some_and(|s| s.contains('\0')) {
        return Err(malformed());
    }
    Ok(slug)
}

pub fn malformed() -> QueryError {
    QueryError::bad_parameter(
        "cursor",
        "malformed cursor; pass `next_cursor` from the previous page unchanged",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_for_the_same_filters() {
        let f = digest("topic=a");
        let c = encode(&f, &(17_i64, 4_i64));
        assert_eq!(decode::<(i64, i64)>(&f, Some(&c)).unwrap(), Some((17, 4)));
        assert_eq!(decode::<(i64, i64)>(&f, Some("")).unwrap(), None);
    }

    #[test]
    fn cursor_for_other_filters_is_refused() {
        let c = encode(&digest("topic=a"), &(17_i64, 4_i64));
        assert!(decode::<(i64, i64)>(&digest("topic=b"), Some(&c)).is_err());
        assert!(decode::<(i64, i64)>(&digest("topic=a"), Some("not-a-cursor!")).is_err());
    }
}
