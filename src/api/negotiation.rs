//! Which representation of an article a request asks for: by `format` (and `ninjs_version`) in
//! the query, else by `Accept` (RFC 9110 §12.5.1, by quality), JSON when neither says. An
//! `Accept` that no representation satisfies is a 406 naming them all.

use actix_web::HttpRequest;
use actix_web::http::header::{self, Header};

use super::error::ApiError;

/// The media type of dateline's own JSON.
pub const JSON: &str = "application/json";
/// IPTC ninjs; its `version` parameter names the ninjs version.
pub const NINJS: &str = "application/ninjs+json";
/// schema.org as JSON-LD.
pub const JSON_LD: &str = "application/ld+json";

/// The ninjs versions dateline writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NinjsVersion {
    V2_2,
    V3_1,
}

impl NinjsVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2_2 => "2.2",
            Self::V3_1 => "3.1",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.trim().trim_matches('"') {
            "2" | "2.2" => Some(Self::V2_2),
            "3" | "3.1" => Some(Self::V3_1),
            _ => None,
        }
    }
}

/// A representation of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Json,
    Ninjs(NinjsVersion),
    JsonLd,
}

impl Representation {
    /// The `Content-Type` of the answer.
    pub fn content_type(self) -> String {
        match self {
            Self::Json => JSON.to_owned(),
            Self::Ninjs(version) => format!("{NINJS}; version={}", version.as_str()),
            Self::JsonLd => JSON_LD.to_owned(),
        }
    }
}

const OFFERED: &str = "`application/json`, `application/ninjs+json` (with `version=2.2` or `3.1`) \
    or `application/ld+json`";

/// What the request asks for: the query's `format` and `ninjs_version` first (a version alone
/// means ninjs), then `Accept`.
pub fn choose(
    req: &HttpRequest,
    format: Option<&str>,
    ninjs_version: Option<&str>,
) -> Result<Representation, ApiError> {
    let version =
        match ninjs_version {
            None => None,
            Some(text) => Some(NinjsVersion::parse(text).ok_or_else(|| {
                ApiError::bad_parameter("ninjs_version", "must be `2.2` or `3.1`")
            })?),
        };
    if let Some(format) = format.or(version.map(|_| "ninjs")) {
        return match format {
            "json" if version.is_none() => Ok(Representation::Json),
            "ninjs" => Ok(Representation::Ninjs(version.unwrap_or(NinjsVersion::V3_1))),
            "jsonld" if version.is_none() => Ok(Representation::JsonLd),
            "json" | "jsonld" => Err(ApiError::bad_parameter(
                "ninjs_version",
                "goes with `format=ninjs` only",
            )),
            _ => Err(ApiError::bad_parameter(
                "format",
                "must be `json`, `ninjs` or `jsonld`",
            )),
        };
    }
    // A header that does not parse asks for nothing in particular.
    let Ok(accept) = header::Accept::parse(req) else {
        return Ok(Representation::Json);
    };
    if accept.0.is_empty() {
        return Ok(Representation::Json);
    }
    let mut ranked = accept.0.clone();
    // Highest quality first; a stable sort keeps the client's order among equals.
    ranked.sort_by_key(|item| std::cmp::Reverse(item.quality));
    for item in ranked
        .iter()
        .filter(|item| item.quality > header::Quality::ZERO)
    {
        let mime = &item.item;
        let essence = mime.essence_str();
        let chosen = match essence {
            JSON | "application/*" | "*/*" => Some(Representation::Json),
            JSON_LD => Some(Representation::JsonLd),
            NINJS => match mime.get_param("version") {
                None => Some(Representation::Ninjs(NinjsVersion::V3_1)),
                Some(v) => NinjsVersion::parse(v.as_str()).map(Representation::Ninjs),
            },
            _ => None,
        };
        if let Some(chosen) = chosen {
            return Ok(chosen);
        }
    }
    Err(ApiError::NotAcceptable(format!(
        "this article comes as {OFFERED}; `Accept` names none of them"
    )))
}

/// Refuses an `Accept` that JSON does not satisfy, for resources that come only as JSON.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let Ok(accept) = header::Accept::parse(req) else {
        return Ok(());
    };
    let json = accept.0.is_empty()
        || accept.0.iter().any(|item| {
            item.quality > header::Quality::ZERO
                && matches!(item.item.essence_str(), JSON | "application/*" | "*/*")
        });
    if json {
        Ok(())
    } else {
        Err(ApiError::NotAcceptable(
            "this resource comes as `application/json` only; `Accept` does not take it".to_owned(),
        ))
    }
}
