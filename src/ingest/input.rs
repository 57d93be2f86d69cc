//! What clients send to write an article, and the rules it must keep. Every entry point (HTTP,
//! `dateline import`) reads articles into [`ArticleInput`] and validates them here.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::error::IngestError;
use crate::media::Media;
use crate::store::TopicId;
use crate::store::article_write::{AboutEntity, ArticleDraft};
use crate::text::{
    FieldError, LANGUAGE_RULE, TIME_RULE, canonical_language, canonical_url, check_text,
    media_topic_code, named_slug, non_empty, parse_time,
};
use crate::vocab::{EntityKind, MediaKind};

const MAX_AUTHORS: usize = 50;
const MAX_TOPICS: usize = 20;
const MAX_ENTITIES: usize = 200;
const MAX_SHORT_TEXT: usize = 2_000;
const MAX_MEDIA: usize = 50;
const MAX_RENDITIONS: usize = 20;
/// Larger than any real picture, small enough for every client's integers.
const MAX_PIXELS: u32 = 100_000;

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
    #[serde(deserialize_with = "rfc3339")]
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
    /// Pictures, video and audio, in the order the article shows them; one may be the lead.
    #[serde(default)]
    pub media: Vec<Media>,
    /// IPTC Media Topic codes (`medtop:20000639`) or URIs of what the article is about, as ninjs
    /// `subjects` carry them: each that a topic has files the article under that topic, as
    /// `topics` would; the others are ignored.
    #[serde(default)]
    #[schema(example = json!(["medtop:20000639"]))]
    pub subjects: Vec<String>,
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
    /// The entity's canonical name, or a name or alias of an existing entity of the same kind.
    pub name: String,
    /// What kind of thing it is.
    pub kind: EntityKind,
    /// The entity's slug; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
}

/// An RFC 3339 date-time, with a message that says so when it is not one.
fn rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| parse_time(&text).ok_or(()))
        .map_err(|()| serde::de::Error::custom(TIME_RULE))
}

/// Deserialises one JSON document: not JSON is [`IngestError::Malformed`], the wrong shape
/// [`IngestError::Invalid`] naming the field at fault.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, IngestError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            IngestError::Malformed(format!("the body is not valid JSON: {inner}"))
        } else {
            let field = if path == "." { String::new() } else { path };
            IngestError::Invalid(vec![FieldError::new(
                field,
                strip_position(&inner.to_string()),
            )])
        }
    })
}

/// An [`ArticleInput`] from an IPTC ninjs 2.x or 3.x document (`application/ninjs+json`):
/// not JSON is [`IngestError::Malformed`], ninjs of the wrong shape [`IngestError::Invalid`]
/// naming the ninjs property.
pub fn from_ninjs(doc: &serde_json::Value) -> Result<ArticleInput, IngestError> {
    if !doc.is_object() {
        return Err(IngestError::Invalid(vec![FieldError::new(
            "",
            "a ninjs document is a JSON object",
        )]));
    }
    let article = super::formats::from_ninjs(doc).map_err(IngestError::Invalid)?;
    from_value(&article)
}

/// An [`ArticleInput`] from a JSON value, as [`from_json`] reads a body.
pub fn from_value(value: &serde_json::Value) -> Result<ArticleInput, IngestError> {
    from_json(&serde_json::to_vec(value).unwrap_or_default())
}

fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// NDJSON lines that are not blank.
pub fn split_ndjson(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == b'\n')
        .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
}

impl ArticleInput {
    /// Checks every rule, collecting all that are broken, and gives the draft to store (its
    /// entities' mention counts still to be filled in). `topics` maps the known topic slugs among
    /// `self.topics`, and the known codes among `self.subjects` (as [`media_topic_code`] writes
    /// them), to their ids. `identified`: whether the article is already named by its path
    /// (`PUT`, `PATCH`); a `POST` needs a `url` or `source` + `external_id` to find it again.
    pub fn validate(
        &self,
        topics: &HashMap<String, TopicId>,
        identified: bool,
    ) -> Result<ArticleDraft, Vec<FieldError>> {
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
            check_text(&mut errors, field, value.map(String::as_str), max);
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
            Some(tag) => canonical_language(tag).unwrap_or_else(|| {
                errors.push(FieldError::new("language", LANGUAGE_RULE));
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
        if self.subjects.len() > MAX_ENTITIES {
            errors.push(FieldError::new(
                "subjects",
                format!("at most {MAX_ENTITIES}"),
            ));
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
        for code in self.subjects.iter().filter_map(|s| media_topic_code(s)) {
            if let Some(id) = topics.get(&code)
                && !topic_ids.contains(id)
            {
                topic_ids.push(*id);
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
                Ok((slug, name)) => entities.push(AboutEntity {
                    slug,
                    explicit_slug: entity.slug.is_some(),
                    name,
                    kind: entity.kind,
                    mentions: 0,
                }),
                Err(message) => errors.push(FieldError::new(format!("entities[{i}]"), message)),
            }
        }
        let media = checked_media(&mut errors, &self.media);
        if !errors.is_empty() {
            return Err(errors);
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
            media,
        })
    }
}

/// The media as stored: texts trimmed, every rule checked (each broken one named by its path,
/// `media[0].renditions[1].href`), and the lead marked: the one the client marked, or else the
/// first picture.
fn checked_media(errors: &mut Vec<FieldError>, media: &[Media]) -> Vec<Media> {
    if media.len() > MAX_MEDIA {
        errors.push(FieldError::new("media", format!("at most {MAX_MEDIA}")));
    }
    let marked = media.iter().filter(|m| m.lead).count();
    if marked > 1 {
        errors.push(FieldError::new("media", "at most one item may be the lead"));
    }
    let mut checked = Vec::with_capacity(media.len());
    for (i, item) in media.iter().enumerate() {
        let at = format!("media[{i}]");
        if item.lead && item.kind != MediaKind::Picture {
            errors.push(FieldError::new(
                format!("{at}.lead"),
                "only a picture can be the lead",
            ));
        }
        for (field, value) in [
            ("uri", &item.uri),
            ("caption", &item.caption),
            ("credit", &item.credit),
            ("copyright", &item.copyright),
            ("alt_text", &item.alt_text),
        ] {
            check_text(
                errors,
                &format!("{at}.{field}"),
                value.as_deref(),
                MAX_SHORT_TEXT,
            );
        }
        if item.renditions.is_empty() || item.renditions.len() > MAX_RENDITIONS {
            errors.push(FieldError::new(
                format!("{at}.renditions"),
                format!("give 1 to {MAX_RENDITIONS} renditions"),
            ));
        }
        for (j, rendition) in item.renditions.iter().enumerate() {
            let at = format!("{at}.renditions[{j}]");
            if !is_web_url(&rendition.href) {
                errors.push(FieldError::new(
                    format!("{at}.href"),
                    "must be an absolute http or https URL",
                ));
            }
            for (field, size) in [("width", rendition.width), ("height", rendition.height)] {
                if size.is_some_and(|n| n == 0 || n > MAX_PIXELS) {
                    errors.push(FieldError::new(
                        format!("{at}.{field}"),
                        format!("must be between 1 and {MAX_PIXELS} pixels"),
                    ));
                }
            }
            if rendition
                .content_type
                .as_deref()
                .is_some_and(|t| !is_media_type(t))
            {
                errors.push(FieldError::new(
                    format!("{at}.content_type"),
                    "must be a media type such as `image/jpeg`",
                ));
            }
        }
        let mut item = item.clone();
        for value in [
            &mut item.uri,
            &mut item.caption,
            &mut item.credit,
            &mut item.copyright,
            &mut item.alt_text,
        ] {
            *value = non_empty(value);
        }
        for rendition in &mut item.renditions {
            rendition.href = rendition.href.trim().to_owned();
            rendition.content_type =
                non_empty(&rendition.content_type).map(|t| t.to_ascii_lowercase());
        }
        checked.push(item);
    }
    if marked == 0
        && let Some(first) = checked.iter_mut().find(|m| m.kind == MediaKind::Picture)
    {
        first.lead = true;
    }
    checked
}

/// An absolute http or https URL of at most 2,000 characters, as a browser can fetch it.
fn is_web_url(href: &str) -> bool {
    href.len() <= MAX_SHORT_TEXT
        && url::Url::parse(href.trim())
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// `type/subtype` (RFC 6838 names; parameters are not taken).
fn is_media_type(value: &str) -> bool {
    let name = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    matches!(value.trim().split_once('/'), Some((t, sub)) if name(t) && name(sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_date_says_what_is_expected() {
        let err = from_json::<ArticleInput>(
            br#"{"headline": "H", "url": "https://example.com/a", "published_at": "26/01/2022"}"#,
        )
        .unwrap_err();
        let IngestError::Invalid(errors) = err else {
            panic!("{err:?}")
        };
        assert_eq!(errors[0].field, "published_at");
        assert!(
            errors[0].message.contains("RFC 3339"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn media_are_checked_by_path_and_the_first_picture_is_the_lead() {
        let input: ArticleInput = from_json(
            br#"{"headline": "H", "url": "https://example.com/a", "published_at": "2022-01-26T22:00:00Z",
                 "media": [
                   {"kind": "video", "renditions": [{"href": "https://example.com/v.mp4"}]},
                   {"caption": " A caption ", "renditions": [{"href": "https://example.com/p.jpg", "width": 800, "content_type": "Image/JPEG"}]}
                 ]}"#,
        )
        .unwrap();
        let draft = input.validate(&HashMap::new(), false).unwrap();
        assert!(!draft.media[0].lead);
        assert!(draft.media[1].lead, "the first picture");
        assert_eq!(draft.media[1].caption.as_deref(), Some("A caption"));
        assert_eq!(
            draft.media[1].renditions[0].content_type.as_deref(),
            Some("image/jpeg")
        );

        let bad: ArticleInput = from_json(
            br#"{"headline": "H", "url": "https://example.com/a", "published_at": "2022-01-26T22:00:00Z",
                 "media": [
                   {"lead": true, "renditions": [{"href": "ftp://example.com/p.jpg", "width": 0, "content_type": "jpeg"}]},
                   {"lead": true, "kind": "audio", "renditions": []}
                 ]}"#,
        )
        .unwrap();
        let errors = bad.validate(&HashMap::new(), false).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "media",
                "media[0].renditions[0].href",
                "media[0].renditions[0].width",
                "media[0].renditions[0].content_type",
                "media[1].lead",
                "media[1].renditions"
            ]
        );
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        let input: ArticleInput = from_json(
            "{\"headline\": \"Headline\\u0002\", \"url\": \"https://example.com/a\", \"published_at\": \"2022-01-26T22:00:00Z\", \"body\": \"One\\n\\nTwo\\tthree\\r\\n\"}"
                .as_bytes(),
        )
        .unwrap();
        let errors = input.validate(&HashMap::new(), false).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "headline");
    }
}
