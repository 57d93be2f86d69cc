//! An article as IPTC ninjs (<https://iptc.org/standards/ninjs/>), 3.1 or 2.2: headline, standfirst
//! and body, `by`, `located`, language, times, status and version, its topics as subjects with
//! their IPTC Media Topic URIs, its entities as people, organisations, places and events, and its
//! media as associations with renditions. ninjs 2.x names the same properties in lower case
//! (`firstcreated`, `contenttype`), so the 2.2 document is the 3.1 one with its names lowered.

use std::collections::HashMap;

use actix_web::HttpRequest;
use serde_json::{Map, Value, json};

use super::articles::Article;
use super::negotiation::NinjsVersion;
use super::pagination::absolute_url;
use crate::ingest::formats::lower_names;
use crate::vocab::EntityKind;

/// The URI scheme of IPTC Media Topics (`medtop:20000639`).
const MEDIA_TOPIC_URI: &str = "http://cv.iptc.org/newscodes/mediatopic/";

/// The article as a ninjs document of `version`.
pub fn document(
    req: &HttpRequest,
    article: &Article,
    topic_codes: &HashMap<String, String>,
    version: NinjsVersion,
) -> Value {
    let doc = document_3_1(req, article, topic_codes);
    match version {
        NinjsVersion::V3_1 => doc,
        NinjsVersion::V2_2 => lower_names(doc),
    }
}

/// A media topic code (`medtop:20000639`) as its URI.
pub fn media_topic_uri(code: &str) -> String {
    format!(
        "{MEDIA_TOPIC_URI}{}",
        code.strip_prefix("medtop:").unwrap_or(code)
    )
}

fn document_3_1(
    req: &HttpRequest,
    article: &Article,
    topic_codes: &HashMap<String, String>,
) -> Value {
    let summary = &article.summary;
    let mut doc = Map::new();
    let mut put = |key: &str, value: Value| {
        doc.insert(key.to_owned(), value);
    };
    put("uri", json!(absolute_url(req, &summary.links.self_url)));
    put("type", json!("text"));
    put("version", json!(article.version.to_string()));
    put("firstCreated", json!(summary.published_at));
    put("versionCreated", json!(summary.updated_at));
    put("pubStatus", json!(article.pub_status));
    put("language", json!(summary.language));
    put(
        "headlines",
        json!([{"role": "main", "value": summary.headline}]),
    );
    if let Some(lead) = &summary.lead {
        put("descriptions", json!([{"role": "summary", "value": lead}]));
    }
    if let Some(body) = &article.body {
        put(
            "bodies",
            json!([{"role": "main", "contentType": "text/plain", "value": body}]),
        );
    }
    if !summary.authors.is_empty() {
        let names: Vec<&str> = summary.authors.iter().map(|a| a.name.as_str()).collect();
        put("by", json!(names.join(", ")));
    }
    if let Some(dateline) = &summary.dateline {
        put("located", json!(dateline));
    }
    let mut alt_ids = Vec::new();
    if let Some(url) = &summary.url {
        alt_ids.push(json!({"role": "url", "value": url}));
    }
    if let (Some(source), Some(external_id)) = (&summary.source, &article.external_id) {
        alt_ids.push(json!({"role": source, "value": external_id}));
    }
    if !alt_ids.is_empty() {
        put("altIds", Value::Array(alt_ids));
    }
    if let Some(source) = &summary.source {
        put("copyrightHolder", json!(source));
    }
    let mut subjects: Vec<Value> = summary
        .topics
        .iter()
        .map(|topic| match topic_codes.get(&topic.slug) {
            Some(code) => {
                json!({"name": topic.name, "uri": media_topic_uri(code), "literal": code})
            }
            None => json!({"name": topic.name, "uri": absolute_url(req, &topic.links.self_url)}),
        })
        .collect();
    let mut by_kind: HashMap<EntityKind, Vec<Value>> = HashMap::new();
    for entity in &article.entities {
        let uri = match &entity.wikidata_id {
            Some(q) => format!("http://www.wikidata.org/entity/{q}"),
            None => absolute_url(req, &entity.links.self_url),
        };
        let concept = json!({"name": entity.name, "rel": entity.rel, "uri": uri});
        match entity.kind {
            EntityKind::Other => subjects.push(concept),
            kind => by_kind.entry(kind).or_default().push(concept),
        }
    }
    if !subjects.is_empty() {
        put("subjects", Value::Array(subjects));
    }
    for (kind, key) in [
        (EntityKind::Person, "people"),
        (EntityKind::Organisation, "organisations"),
        (EntityKind::Place, "places"),
        (EntityKind::Event, "events"),
    ] {
        if let Some(concepts) = by_kind.remove(&kind) {
            put(key, Value::Array(concepts));
        }
    }
    let associations: Vec<Value> = article
        .media
        .iter()
        .enumerate()
        .filter_map(|(i, media)| {
            let first = media.renditions.first()?;
            let mut association = Map::new();
            let name = if media.lead {
                "mainpic".to_owned()
            } else {
                format!("{}{}", media.kind, i + 1)
            };
            association.insert("name".into(), json!(name));
            association.insert(
                "uri".into(),
                json!(media.uri.clone().unwrap_or_else(|| first.href.clone())),
            );
            association.insert("type".into(), json!(media.kind));
            let mut descriptions = Vec::new();
            if let Some(caption) = &media.caption {
                descriptions.push(json!({"role": "caption", "value": caption}));
            }
            if let Some(alt) = &media.alt_text {
                descriptions.push(json!({"role": "alt", "value": alt}));
            }
            if !descriptions.is_empty() {
                association.insert("descriptions".into(), Value::Array(descriptions));
            }
            if let Some(credit) = &media.credit {
                association.insert("by".into(), json!(credit));
            }
            if let Some(copyright) = &media.copyright {
                association.insert("copyrightNotice".into(), json!(copyright));
            }
            let renditions: Vec<Value> = media
                .renditions
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    let mut rendition = Map::new();
                    let name = r
                        .width
                        .map_or_else(|| format!("r{}", j + 1), |w| format!("w{w}"));
                    rendition.insert("name".into(), json!(name));
                    rendition.insert("href".into(), json!(r.href));
                    if let Some(width) = r.width {
                        rendition.insert("width".into(), json!(width));
                    }
                    if let Some(height) = r.height {
                        rendition.insert("height".into(), json!(height));
                    }
                    if let Some(content_type) = &r.content_type {
                        rendition.insert("contentType".into(), json!(content_type));
                    }
                    Value::Object(rendition)
                })
                .collect();
            association.insert("renditions".into(), Value::Array(renditions));
            Some(Value::Object(association))
        })
        .collect();
    if !associations.is_empty() {
        put("associations", Value::Array(associations));
    }
    Value::Object(doc)
}
