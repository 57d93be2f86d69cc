//! Checks and canonical forms of what clients send: text fields, slugs, language tags, URLs and
//! times. Shared by the ingest and query code and by the HTTP resources, so that each rule and
//! each message is written once.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Query parameters that only track where a reader came from; dropped from canonical URLs.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src",
];
/// The longest slug that can name anything.
pub const MAX_SLUG_LEN: usize = 200;
/// The longest name of an author, entity or topic.
pub const MAX_NAME_CHARS: usize = 200;

/// One broken rule of a body or an input item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "published_at", "message": "is required"}))]
pub struct FieldError {
    /// The field at fault, as a JSON path into the body (`authors[1].name`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What is wrong with a text a client sent, if anything: NUL (which PostgreSQL text cannot hold)
/// and the other control characters are refused (tab, line feed and carriage return are text),
/// and so is a text over `max` characters.
pub fn text_problem(value: &str, max: usize) -> Option<String> {
    if value.contains('\0') {
        return Some("must not contain NUL characters".to_owned());
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Some(
            "must not contain control characters (tab, line feed and carriage return are allowed)"
                .to_owned(),
        );
    }
    if value.chars().count() > max {
        return Some(format!("at most {max} characters"));
    }
    None
}

/// Adds an error when a text field breaks [`text_problem`]'s rules.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    if let Some(problem) = value.and_then(|v| text_problem(v, max)) {
        errors.push(FieldError::new(field, problem));
    }
}

/// The trimmed value, or `None` when absent or blank.
pub fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// (slug, name) from a name and an optional explicit slug.
pub fn named_slug(name: &str, slug: Option<&String>) -> Result<(String, String), String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || text_problem(name, MAX_NAME_CHARS).is_some()
    {
        return Err(format!(
            "needs a name of 1 to {MAX_NAME_CHARS} characters without control characters"
        ));
    }
    let slug = match slug {
        Some(slug) if is_slug(slug) => slug.clone(),
        Some(_) => {
            return Err(
                "a slug is lower-case letters and digits in words joined by `-`".to_owned(),
            );
        }
        None => slug::slugify(name),
    };
    if slug.is_empty() {
        return Err("the name must contain a letter or a digit".to_owned());
    }
    Ok((slug, name.to_owned()))
}

/// Lower-case letters and digits in words joined by `-`.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SLUG_LEN
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether a slug from a path or a filter may reach a query: one PostgreSQL text cannot hold
/// (NUL), or longer than any slug, names nothing.
pub fn is_storable_slug(slug: &str) -> bool {
    !slug.contains('\0') && slug.len() <= MAX_SLUG_LEN
}

/// A BCP 47 tag in its canonical case (`pt-br` → `pt-BR`, `zh-hant` → `zh-Hant`), or `None` when
/// it is not shaped like one. Tags are case-insensitive; stored ones are canonical.
pub fn canonical_language(tag: &str) -> Option<String> {
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut canonical = primary.to_ascii_lowercase();
    for part in parts {
        if !(2..=8).contains(&part.len()) || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        canonical.push('-');
        match part.len() {
            2 => canonical.push_str(&part.to_ascii_uppercase()),
            4 => {
                canonical.push_str(&part[..1].to_ascii_uppercase());
                canonical.push_str(&part[1..].to_ascii_lowercase());
            }
            _ => canonical.push_str(&part.to_ascii_lowercase()),
        }
    }
    Some(canonical)
}

/// What a bad language tag is told.
pub const LANGUAGE_RULE: &str = "must be a BCP 47 language tag such as `en` or `pt-BR`";

/// What a bad date-time is told.
pub const TIME_RULE: &str = "must be an RFC 3339 date-time such as 2022-01-26T22:00:00Z";

/// RFC 3339; a `+` offset that arrived unescaped in a query string (decoded to a space) is
/// accepted too.
pub fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_rfc3339(&value.replace(' ', "+")))
        .map(|t| t.with_timezone(&Utc))
        .ok()
}

/// An IPTC Media Topic code as topics store it (`medtop:20000639`), from the code or its URI
/// (`http://cv.iptc.org/newscodes/mediatopic/20000639`, as ninjs `subjects` carry it).
pub fn media_topic_code(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let digits = raw
        .strip_prefix("medtop:")
        .or_else(|| {
            raw.strip_prefix("http://cv.iptc.org/newscodes/mediatopic/")
                .or_else(|| raw.strip_prefix("https://cv.iptc.org/newscodes/mediatopic/"))
        })?
        .trim_end_matches('/');
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("medtop:{digits}"))
}

/// Scheme and host lower-cased (by the URL parser), fragment and tracking parameters dropped.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_canonical() {
        assert_eq!(
            canonical_url("HTTPS://Example.COM/a/B?utm_source=x&id=3&fbclid=y#top").as_deref(),
            Some("https://example.com/a/B?id=3")
        );
        assert_eq!(
            canonical_url("https://example.com/x?utm_medium=y").as_deref(),
            Some("https://example.com/x")
        );
        assert_eq!(canonical_url("ftp://example.com/x"), None);
        assert_eq!(canonical_url("/relative"), None);
    }

    #[test]
    fn language_tags_are_put_in_canonical_case() {
        assert_eq!(canonical_language("EN").as_deref(), Some("en"));
        assert_eq!(canonical_language("pt-br").as_deref(), Some("pt-BR"));
        assert_eq!(
            canonical_language("zh-hant-tw").as_deref(),
            Some("zh-Hant-TW")
        );
        for bad in ["", "e", "english", "en-", "en_US", "e1"] {
            assert_eq!(canonical_language(bad), None, "{bad}");
        }
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_and_tabs_are_text() {
        assert_eq!(text_problem("a\tb\r\nc", 10), None);
        assert!(
            text_problem("headline\u{2}", 100)
                .unwrap()
                .contains("control")
        );
        assert!(text_problem("a\0b", 100).unwrap().contains("NUL"));
        assert_eq!(
            text_problem("abcdef", 5).as_deref(),
            Some("at most 5 characters")
        );
    }
}
