//! The article formats `dateline import` reads besides the API's own, mapped to the
//! `POST /v1/articles` body: IPTC ninjs 2.x and 3.x, and HuffPost News Category JSON Lines.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

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
        return from_ninjs(&doc);
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

/// IPTC ninjs 2.x (lower-case keys) and 3.x (camelCase keys).
fn from_ninjs(doc: &Value) -> Result<Value, String> {
    let field = |names: &[&str]| names.iter().find_map(|n| doc.get(*n)).cloned();
    let text_of = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_owned));
    let by_role = |list: Option<Value>, roles: &[&str]| -> Option<String> {
        let list = list?;
        let items = list.as_array()?;
        let pick = items
            .iter()
            .find(|i| {
                i.get("role")
                    .and_then(Value::as_str)
                    .is_some_and(|r| roles.contains(&r))
            })
            .or_else(|| items.first())?;
        pick.get("value").and_then(Value::as_str).map(str::to_owned)
    };
    let uri = text_of(field(&["uri"])).ok_or("ninjs: no `uri`")?;
    let headline = by_role(field(&["headlines"]), &["main"])
        .or_else(|| text_of(field(&["headline", "title"])))
        .ok_or("ninjs: no headline")?;
    let lead = by_role(field(&["descriptions"]), &["lead", "summary", "abstract"])
        .or_else(|| text_of(field(&["description_text"])));
    let body = text_of(field(&["body_text"])).or_else(|| {
        let bodies = field(&["bodies"])?;
        let items = bodies.as_array()?;
        let plain = items.iter().find(|b| {
            b.get("contenttype")
                .or_else(|| b.get("contentType"))
                .and_then(Value::as_str)
                == Some("text/plain")
        });
        let chosen = plain.or_else(|| items.first())?;
        let value = chosen.get("value").and_then(Value::as_str)?;
        Some(if plain.is_some() {
            value.to_owned()
        } else {
            markup_to_text(value)
        })
    });
    let published = text_of(field(&[
        "firstcreated",
        "firstCreated",
        "versioncreated",
        "versionCreated",
    ]))
    .ok_or("ninjs: no `firstcreated` or `versioncreated`")?;
    let source = text_of(field(&["copyrightholder", "copyrightHolder"]))
        .or_else(|| {
            url::Url::parse(&uri)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "ninjs".to_owned());
    let byline = text_of(field(&["by", "byline"])).unwrap_or_default();
    let authors: Vec<&str> = byline
        .trim_start_matches("By ")
        .trim_start_matches("Von ")
        .split([',', '&'])
        .map(str::trim)
        .filter(|a| !a.is_empty() && !matches!(*a, "dpa" | "AP" | "NTB" | "TT"))
        .collect();
    let url = uri.starts_with("http").then(|| uri.clone());
    Ok(json!({
        "headline": headline,
        "lead": lead,
        "body": body,
        "url": url,
        "source": source,
        "external_id": uri,
        "language": text_of(field(&["language"])).unwrap_or_else(|| "en".to_owned()),
        "dateline": text_of(field(&["located"])),
        "published_at": published,
        "authors": authors,
    }))
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
