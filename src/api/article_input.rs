//! What clients send to write an article, and the rules it must keep.

use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::{DateTime, Datelike, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::entities::EntityKind;
use crate::error::{ApiError, FieldError};
use crate::store::TopicId;
use crate::store::article_write::ArticleDraft;

const MAX_AUTHORS: usize = 50;
const MAX_TOPICS: usize = 20;
const MAX_ENTITIES: usize = 200;
const MAX_SHORT_TEXT: usize = 2_000;
/// Query parameters that only track where a reader came from; dropped from canonical URLs.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src",
];

/// An article to create or replace.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "headline": "U.S. Formally Rejects Russia's Top Security Demands",
    "lead": "Washington on Wednesday delivered its responses to Russia's demands, a move the Biden administration hopes will lower the tensions with Moscow.",
    "body": "John Sullivan, the U.S. ambassador to Russia, sent the response to the Kremlin, ...",
    "source": "TURAN",
    "external_id": "turan-2022-01-26-us-rejects",
    "language": "en",
    "dateline": "Washington D.C.",
    "published_at": "2022-01-26T22:00:00Z",
    "authors": ["Alex Raufoglu"],
    "topics": ["diplomacy", "arms-control"],
    "entities": [{"name": "Antony Blinken", "kind": "person"}, {"name": "NATO", "kind": "organisation"}]
}))]
pub struct ArticleInput {
    /// The headline; required.
    #[schema(min_length = 1)]
    pub headline: String,
    /// The standfirst.
    #[serde(default)]
    pub lead: Option<String>,
    /// The full text; paragraphs separated by a blank line.
    #[serde(default)]
    pub body: Option<String>,
    /// The canonical URL; with `source` + `external_id`, what identifies the article. It is
    /// normalised: scheme and host lower-cased, fragment and tracking parameters (`utm_*`, …) dropped.
    #[serde(default)]
    pub url: Option<String>,
    /// The publisher or wire service.
    #[serde(default)]
    pub source: Option<String>,
    /// The publisher's own id for the story; identifies it together with `source`.
    #[serde(default)]
    pub external_id: Option<String>,
    /// BCP 47 language tag; `en` when absent.
    #[serde(default)]
    pub language: Option<String>,
    /// The place the story was filed from.
    #[serde(default)]
    pub dateline: Option<String>,
    /// When the story was first published (RFC 3339); required.
    pub published_at: DateTime<Utc>,
    /// Bylines in order: names, or objects with a name and an optional slug. Unknown authors are created.
    #[serde(default)]
    pub authors: Vec<AuthorInput>,
    /// Slugs of existing topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Entities the article is about; unknown ones are created. Entities the text names are
    /// linked on top of these, as `mentions`.
    #[serde(default)]
    pub entities: Vec<EntityInput>,
}

/// A byline: a name, or a name with the slug of an existing author.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AuthorInput {
    /// The author's name.
    Name(String),
    /// The author's name and slug.
    Author {
        /// The name as printed.
        name: String,
        /// The author's slug; derived from the name when absent.
        #[serde(default)]
        slug: Option<String>,
    },
}

/// An entity an article is about.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityInput {
    /// The entity's canonical name.
    pub name: String,
    /// What kind of thing it is.
    pub kind: EntityKind,
    /// The entity's slug; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
}

/// Parses a JSON body: not JSON → 415, not parseable → 400, the wrong shape → 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    require_content_type(req, &["application/json"])?;
    from_json(body)
}

/// Deserialises one JSON document, naming the field at fault.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("the body is not valid JSON: {inner}"))
        } else {
            let field = if path == "." { String::new() } else { path };
            ApiError::Validation(vec![FieldError::new(
                field,
                strip_position(&inner.to_string()),
            )])
        }
    })
}

fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// 415 unless the request's media type is one of `accepted` (or a `+json` type for JSON).
pub fn require_content_type(req: &HttpRequest, accepted: &[&str]) -> Result<String, ApiError> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
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

impl ArticleInput {
    /// Checks every rule, collecting all that are broken, and gives the draft to store. `topics`
    /// maps the known topic slugs among `self.topics` to their ids. `identified`: whether the
    /// article is already named by its path (`PUT`, `PATCH`); a `POST` needs a `url` or `source` +
    /// `external_id` to find it again.
    pub fn validate(
        &self,
        topics: &std::collections::HashMap<String, TopicId>,
        identified: bool,
    ) -> Result<ArticleDraft, ApiError> {
        let mut errors = Vec::new();
        let headline = self.headline.trim().to_owned();
        if headline.is_empty() {
            errors.push(FieldError::new("headline", "must not be empty"));
        }
        for (field, value, max) in [
            ("headline", Some(&self.headline), MAX_SHORT_TEXT),
            ("lead", self.lead.as_ref(), MAX_SHORT_TEXT * 5),
            ("body", self.body.as_ref(), 1_000_000),
            ("url", self.url.as_ref(), MAX_SHORT_TEXT),
            ("source", self.source.as_ref(), 200),
            ("external_id", self.external_id.as_ref(), 200),
            ("dateline", self.dateline.as_ref(), 200),
        ] {
            if let Some(value) = value {
                if value.contains('\0') {
                    errors.push(FieldError::new(field, "must not contain NUL characters"));
                }
                if value.chars().count() > max {
                    errors.push(FieldError::new(field, format!("at most {max} characters")));
                }
            }
        }
        let url = match self.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => match canonical_url(raw) {
                Some(url) => Some(url),
                None => {
                    errors.push(FieldError::new(
                        "url",
                        "must be an absolute http or https URL",
                    ));
                    None
                }
            },
        };
        let source = non_empty(&self.source);
        let external_id = non_empty(&self.external_id);
        if external_id.is_some() && source.is_none() {
            errors.push(FieldError::new("source", "is required with `external_id`"));
        }
        if !identified
            && url.is_none()
            && external_id.is_none()
            && self.url.as_deref().is_none_or(|u| u.trim().is_empty())
        {
            errors.push(FieldError::new(
                "url",
                "give `url`, or `source` and `external_id`: what identifies the article across retries and updates",
            ));
        }
        let language = match self.language.as_deref() {
            None => "en".to_owned(),
            Some(tag) => super::articles::canonical_language(tag).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "language",
                    "must be a BCP 47 language tag such as `en` or `pt-BR`",
                ));
                String::new()
            }),
        };
        if !(0..=9999).contains(&self.published_at.year()) {
            errors.push(FieldError::new(
                "published_at",
                "must be between years 0 and 9999",
            ));
        }
        if self.authors.len() > MAX_AUTHORS {
            errors.push(FieldError::new("authors", format!("at most {MAX_AUTHORS}")));
        }
        let mut authors = Vec::new();
        for (i, author) in self.authors.iter().enumerate() {
            let (name, slug) = match author {
                AuthorInput::Name(name) => (name, None),
                AuthorInput::Author { name, slug } => (name, slug.as_ref()),
            };
            match named_slug(name, slug) {
                Ok(pair) => authors.push(pair),
                Err(message) => errors.push(FieldError::new(format!("authors[{i}]"), message)),
            }
        }
        if self.topics.len() > MAX_TOPICS {
            errors.push(FieldError::new("topics", format!("at most {MAX_TOPICS}")));
        }
        let mut topic_ids = Vec::new();
        for (i, slug) in self.topics.iter().enumerate() {
            match topics.get(slug) {
                Some(id) if !topic_ids.contains(id) => topic_ids.push(*id),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    format!("topics[{i}]"),
                    format!("unknown topic `{}`", slug.replace('\0', "")),
                )),
            }
        }
        if self.entities.len() > MAX_ENTITIES {
            errors.push(FieldError::new(
                "entities",
                format!("at most {MAX_ENTITIES}"),
            ));
        }
        let mut entities = Vec::new();
        for (i, entity) in self.entities.iter().enumerate() {
            match named_slug(&entity.name, entity.slug.as_ref()) {
                Ok((slug, name)) => entities.push((slug, name, entity.kind.as_db().to_owned())),
                Err(message) => errors.push(FieldError::new(format!("entities[{i}]"), message)),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(ArticleDraft {
            headline,
            lead: non_empty(&self.lead),
            body: non_empty(&self.body),
            url,
            source,
            external_id,
            language,
            dateline: non_empty(&self.dateline),
            published_at: self.published_at,
            authors,
            topics: topic_ids,
            entities,
        })
    }
}

/// Adds an error when a text field holds NUL or is longer than `max` characters.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        if value.contains('\0') {
            errors.push(FieldError::new(field, "must not contain NUL characters"));
        }
        if value.chars().count() > max {
            errors.push(FieldError::new(field, format!("at most {max} characters")));
        }
    }
}

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
    if name.is_empty() || name.contains('\0') || name.chars().count() > 200 {
        return Err("needs a name of 1 to 200 characters".to_owned());
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

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
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
    use super::canonical_url;

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
}
