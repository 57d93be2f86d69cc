//! The parameters every list shares: page sizes, slugs, free text.

use super::error::QueryError;
use crate::text::is_storable_slug;

/// The hard ceiling for every list's page size.
pub const MAX_LIMIT: u32 = 100;
/// The page size of a list that does not say otherwise.
pub const DEFAULT_LIMIT: u32 = 20;
/// The longest name prefix the author and entity lists take.
pub const MAX_PREFIX_CHARS: usize = 200;

/// Checks `limit` against the list's bounds.
pub fn page_size(limit: Option<&str>, default: u32) -> Result<u32, QueryError> {
    let Some(raw) = limit else {
        return Ok(default);
    };
    let bad = || {
        QueryError::bad_parameter(
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

/// Checks a slug from a path or a filter before it reaches a query: one PostgreSQL text cannot
/// hold (NUL), or longer than any slug, names nothing, so it is a 404 like any unknown slug.
pub fn check_slug(what: &'static str, slug: &str) -> Result<(), QueryError> {
    if is_storable_slug(slug) {
        Ok(())
    } else {
        Err(QueryError::not_found(what, slug))
    }
}

/// A free-text query parameter: empty means absent; NUL (which PostgreSQL text cannot hold) and
/// values over `max_chars` are refused.
pub fn text_param<'a>(
    param: &str,
    value: Option<&'a str>,
    max_chars: usize,
) -> Result<Option<&'a str>, QueryError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    if value.contains('\0') {
        return Err(QueryError::bad_parameter(
            param,
            "must not contain NUL characters",
        ));
    }
    if value.chars().count() > max_chars {
        return Err(QueryError::bad_parameter(
            param,
            format!("at most {max_chars} characters"),
        ));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(None, 20).unwrap(), 20);
        assert_eq!(page_size(Some("100"), 20).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(page_size(Some(bad), 20).is_err(), "{bad}");
        }
    }
}
