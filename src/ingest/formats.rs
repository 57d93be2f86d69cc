//! The article formats `dateline import` reads besides the API's own, mapped to the
//! `POST /v1/articles` body: IPTC ninjs 2.x and 3.x, and HuffPost News Category JSON Lines.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::text::{FieldError, media_topic_code};

/// The demo taxonomy's mapping of HuffPost sections to topics.
const DEMO_SET: &str = include_str!("../../data/demo/turan.json");

/// Bylines that name a wire service or a desk, not a person.
const NOT_PEOPLE: &[&str] = &[
    "AP",
    "Associated Press",
    "Reuters",
    "AFP",
    "HuffPost",
    "HuffPost Staff",
];

/// HuffPost section name → topic slug, as the demo taxonomy maps them.
pub fn huffpost_topics() -> HashMap<String, String> {
    #[derive(Deserialize)]
    struct Mapping {
        huffpost_topics: HashMap<String, String>,
    }
    serde_json::from_str::<Mapping>(DEMO_SET)
        .map(|m| m.huffpost_topics)
        .unwrap_or_default()
}

/// The people in a HuffPost byline such as `"Carla K. Johnson, AP"`.
pub fn byline_people(byline: &str) -> impl Iterator<Item = &str> {
    byline.split(',').map(str::trim).filter(|name| {
        !name.is_empty() && !NOT_PEOPLE.contains(name) && !slug::slugify(name).is_empty()
    })
}

/// Recognises the record's format by its fields and maps it to the `POST /v1/articles` body.
pub fn to_article(doc: Value, huffpost_topics: &HashMap<String, String>) -> Result<Value, String> {
    if !doc.is_object() {
        return Err("an item must be a JSON object".to_owned());
    }
    if doc.get("link").is_some() && doc.get("short_description").is_some() {
        return Ok(from_huffpost(&doc, huffpost_topics));
    }
    if doc.get("uri").is_some() && (doc.get("headlines").is_some() || doc.get("headline").is_some())
    {
        return from_ninjs(&doc).map_err(|errors| {
            let messages: Vec<String> = errors
                .iter()
                .map(|e| format!("ninjs `{}`: {}", e.field, e.message))
                .collect();
            messages.join("; ")
        });
    }
    Ok(doc)
}

fn from_huffpost(doc: &Value, huffpost_topics: &HashMap<String, String>) -> Value {
    let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default();
    let authors: Vec<&str> = byline_people(text("authors")).collect();
    let topics: Vec<&String> = huffpost_topics.get(text("category")).into_iter().collect();
    json!({
        "headline": text("headline"),
        "lead": text("short_description"),
        "url": text("link"),
        "source": "HuffPost",
        "language": "en",
        "published_at": format!("{}T00:00:00Z", text("date")),
        "authors": authors,
        "topics": topics,
    })
}

/// A ninjs document with its property names in lower case, which makes ninjs 2.x (lower-case
/// names) and 3.x (camelCase) one shape. Only what an article keeps is read; the rest is ignored.
#[derive(Debug, Deserialize)]
struct NinjsDoc {
    uri: String,
    #[serde(default)]
    headlines: Vec<NinjsText>,
    /// ninjs 1.x.
    headline: Option<String>,
    title: Option<String>,
    #[serde(default)]
    descriptions: Vec<NinjsText>,
    description_text: Option<String>,
    #[serde(default)]
    bodies: Vec<NinjsText>,
    body_text: Option<String>,
    firstcreated: Option<String>,
    versioncreated: Option<String>,
    copyrightholder: Option<String>,
    by: Option<String>,
    byline: Option<String>,
    language: Option<String>,
    located: Option<String>,
    #[serde(default)]
    subjects: Vec<NinjsConcept>,
    #[serde(default)]
    people: Vec<NinjsConcept>,
    #[serde(default)]
    organisations: Vec<NinjsConcept>,
    #[serde(default)]
    places: Vec<NinjsConcept>,
    #[serde(default)]
    events: Vec<NinjsConcept>,
    #[serde(default)]
    associations: Vec<NinjsAssociation>,
}

#[derive(Debug, Deserialize)]
struct NinjsText {
    value: String,
    role: Option<String>,
    contenttype: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NinjsConcept {
    name: Option<String>,
    rel: Option<String>,
    uri: Option<String>,
    literal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NinjsAssociation {
    uri: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    by: Option<String>,
    copyrightnotice: Option<String>,
    #[serde(default)]
    descriptions: Vec<NinjsText>,
    #[serde(default)]
    headlines: Vec<NinjsText>,
    #[serde(default)]
    renditions: Vec<NinjsRendition>,
}

#[derive(Debug, Deserialize)]
struct NinjsRendition {
    href: Option<String>,
    width: Option<f64>,
    height: Option<f64>,
    contenttype: Option<String>,
}

/// The value of the item with one of `roles`, else of the first.
fn by_role(items: &[NinjsText], roles: &[&str]) -> Option<String> {
    items
        .iter()
        .find(|i| i.role.as_deref().is_some_and(|r| roles.contains(&r)))
        .or_else(|| items.first())
        .map(|i| i.value.clone())
}

/// IPTC ninjs 2.x and 3.x as the `POST /v1/articles` body: headline, standfirst, body, byline,
/// place, times; subjects with Media Topic codes (filed under the topics that carry them);
/// people, organisations, places and events the item is about; pictures, video and audio. A
/// document of the wrong shape is refused naming the ninjs property (in lower case).
pub fn from_ninjs(doc: &Value) -> Result<Value, Vec<FieldError>> {
    let lowered = lower_names(doc.clone());
    let doc: NinjsDoc = serde_path_to_error::deserialize(&lowered).map_err(|e| {
        let path = e.path().to_string();
        vec![FieldError::new(
            if path == "." { String::new() } else { path },
            e.into_inner().to_string(),
        )]
    })?;
    let mut errors = Vec::new();
    let headline = by_role(&doc.headlines, &["main"])
        .or_else(|| doc.headline.clone())
        .or_else(|| doc.title.clone());
    if headline.is_none() {
        errors.push(FieldError::new(
            "headlines",
            "a ninjs text item needs a headline",
        ));
    }
    let published = doc
        .firstcreated
        .clone()
        .or_else(|| doc.versioncreated.clone());
    if published.is_none() {
        errors.push(FieldError::new(
            "firstcreated",
            "give `firstCreated` or `versionCreated` (RFC 3339)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let lead = by_role(
        &doc.descriptions,
        &["lead", "summary", "abstract", "description"],
    )
    .or_else(|| doc.description_text.clone());
    let body = doc.body_text.clone().or_else(|| {
        let plain = doc
            .bodies
            .iter()
            .find(|b| b.contenttype.as_deref() == Some("text/plain"));
        match plain {
            Some(b) => Some(b.value.clone()),
            None => doc.bodies.first().map(|b| markup_to_text(&b.value)),
        }
    });
    let source = doc
        .copyrightholder
        .clone()
        .or_else(|| {
            url::Url::parse(&doc.uri)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "ninjs".to_owned());
    let byline = doc.by.clone().or(doc.byline.clone()).unwrap_or_default();
    let authors: Vec<&str> = byline
        .trim_start_matches("By ")
        .trim_start_matches("Von ")
        .split([',', '&'])
        .map(str::trim)
        .filter(|a| !a.is_empty() && !matches!(*a, "dpa" | "AP" | "NTB" | "TT"))
        .collect();
    let subjects: Vec<String> = doc
        .subjects
        .iter()
        .flat_map(|s| [s.uri.as_deref(), s.literal.as_deref()])
        .flatten()
        .filter_map(media_topic_code)
        .collect();
    let mut entities = Vec::new();
    for (concepts, kind) in [
        (&doc.people, "person"),
        (&doc.organisations, "organisation"),
        (&doc.places, "place"),
        (&doc.events, "event"),
    ] {
        // Named in passing is for entity linking to find; the rest is what the item is about.
        for concept in concepts
            .iter()
            .filter(|c| c.rel.as_deref() != Some("mentions"))
        {
            if let Some(name) = concept.name.as_deref().filter(|n| !n.trim().is_empty()) {
                entities.push(json!({"name": name, "kind": kind}));
            }
        }
    }
    let media: Vec<Value> = doc
        .associations
        .iter()
        .filter_map(|a| {
            let kind = match a.kind.as_deref() {
                Some("picture" | "graphic") | None => "picture",
                Some("video") => "video",
                Some("audio") => "audio",
                Some(_) => return None,
            };
            let renditions: Vec<Value> = a
                .renditions
                .iter()
                .filter_map(|r| {
                    let href = r.href.as_deref()?;
                    let size = |n: Option<f64>| n.filter(|n| *n >= 1.0).map(|n| n.round() as u32);
                    Some(json!({
                        "href": href,
                        "width": size(r.width),
                        "height": size(r.height),
                        "content_type": r.contenttype,
                    }))
                })
                .collect();
            if renditions.is_empty() {
                return None;
            }
            Some(json!({
                "kind": kind,
                "uri": a.uri,
                "caption": by_role(&a.descriptions, &["caption"]).or_else(|| by_role(&a.headlines, &["main"])),
                "alt_text": a.descriptions.iter().find(|d| d.role.as_deref() == Some("alt")).map(|d| d.value.clone()),
                "credit": a.by,
                "copyright": a.copyrightnotice,
                "lead": a.name.as_deref() == Some("mainpic"),
                "renditions": renditions,
            }))
        })
        .collect();
    let url = doc.uri.starts_with("http").then(|| doc.uri.clone());
    Ok(json!({
        "headline": headline,
        "lead": lead,
        "body": body,
        "url": url,
        "source": source,
        "external_id": doc.uri,
        "language": doc.language.unwrap_or_else(|| "en".to_owned()),
        "dateline": doc.located,
        "published_at": published,
        "authors": authors,
        "subjects": subjects,
        "entities": entities,
        "media": media,
    }))
}

/// Property names in lower case, at every depth: ninjs 3's camelCase as ninjs 2 writes it.
pub fn lower_names(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lower_names(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(lower_names).collect()),
        other => other,
    }
}

/// Text from HTML or NITF markup: tags become spaces, paragraph ends blank lines, and the few
/// entities news markup uses are decoded.
fn markup_to_text(markup: &str) -> String {
    let mut text = String::with_capacity(markup.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in markup.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or_default();
                if tag.starts_with('/')
                    && matches!(name, "p" | "h1" | "h2" | "h3" | "li" | "section")
                {
                    text.push_str("\n\n");
                } else {
                    text.push(' ');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => text.push(c),
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bylines_keep_people_and_drop_wire_services() {
        let people: Vec<&str> = byline_people("Carla K. Johnson, AP").collect();
        assert_eq!(people, vec!["Carla K. Johnson"]);
        assert_eq!(byline_people("").count(), 0);
    }

    #[test]
    fn formats_are_recognised() {
        let topics = HashMap::from([("POLITICS".to_owned(), "politics".to_owned())]);
        let huffpost = json!({"link": "https://www.huffpost.com/entry/x_n_1", "headline": "H", "category": "POLITICS",
            "short_description": "D", "authors": "Jane Roe, AP", "date": "2022-09-23"});
        let article = to_article(huffpost, &topics).unwrap();
        assert_eq!(article["authors"], json!(["Jane Roe"]));
        assert_eq!(article["topics"], json!(["politics"]));
        assert_eq!(article["published_at"], "2022-09-23T00:00:00Z");

        let ninjs3 = json!({"uri": "urn:x:1", "headlines": [{"role": "main", "value": "Main"}],
            "descriptions": [{"role": "lead", "value": "Lead"}], "versionCreated": "2023-10-08T02:34:03+02:00",
            "bodies": [{"role": "html", "contentType": "text/html", "value": "<p>One &amp; two</p><p>Three</p>"}],
            "copyrightHolder": "AP", "language": "en"});
        let article = to_article(ninjs3, &topics).unwrap();
        assert_eq!(article["headline"], "Main");
        assert_eq!(article["body"], "One & two\n\nThree");
        assert_eq!(article["source"], "AP");
        assert_eq!(article["external_id"], "urn:x:1");
    }
}
