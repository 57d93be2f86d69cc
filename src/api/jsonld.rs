//! An article as a schema.org `NewsArticle` in JSON-LD, what search engines read: headline,
//! authors as `Person`s, `dateline`, dates, the entities it is `about` and `mentions` (with their
//! Wikidata items as `sameAs`), its topics as `articleSection`, its pictures and its publisher.

use actix_web::HttpRequest;
use serde_json::{Map, Value, json};

use super::articles::{Article, ArticleEntity};
use super::pagination::absolute_url;
use crate::vocab::{EntityKind, EntityRel, MediaKind};

pub fn document(req: &HttpRequest, article: &Article) -> Value {
    let summary = &article.summary;
    let self_url = absolute_url(req, &summary.links.self_url);
    let mut doc = Map::new();
    let mut put = |key: &str, value: Value| {
        doc.insert(key.to_owned(), value);
    };
    put("@context", json!("https://schema.org"));
    put("@type", json!("NewsArticle"));
    put("@id", json!(self_url));
    put("url", json!(summary.url.clone().unwrap_or(self_url)));
    put("headline", json!(summary.headline));
    if let Some(lead) = &summary.lead {
        put("description", json!(lead));
    }
    if let Some(body) = &article.body {
        put("articleBody", json!(body));
    }
    put("inLanguage", json!(summary.language));
    if let Some(dateline) = &summary.dateline {
        put("dateline", json!(dateline));
    }
    put("datePublished", json!(summary.published_at));
    put("dateModified", json!(summary.updated_at));
    put("version", json!(article.version));
    put(
        "author",
        Value::Array(
            summary
                .authors
                .iter()
                .map(|a| {
                    json!({"@type": "Person", "name": a.name, "url": absolute_url(req, &a.links.self_url)})
                })
                .collect(),
        ),
    );
    for (key, rel) in [
        ("about", EntityRel::About),
        ("mentions", EntityRel::Mentions),
    ] {
        let things: Vec<Value> = article
            .entities
            .iter()
            .filter(|e| e.rel == rel)
            .map(|e| thing(req, e))
            .collect();
        if !things.is_empty() {
            put(key, Value::Array(things));
        }
    }
    if !summary.topics.is_empty() {
        let sections: Vec<&str> = summary.topics.iter().map(|t| t.name.as_str()).collect();
        put("articleSection", json!(sections));
    }
    let images: Vec<Value> = article
        .media
        .iter()
        .filter(|m| m.kind == MediaKind::Picture)
        .filter_map(|m| {
            let widest = m.renditions.iter().max_by_key(|r| r.width.unwrap_or(0))?;
            let mut image = json!({"@type": "ImageObject", "url": widest.href});
            let fields = [
                ("width", widest.width.map(|w| json!(w))),
                ("height", widest.height.map(|h| json!(h))),
                (
                    "encodingFormat",
                    widest.content_type.as_ref().map(|t| json!(t)),
                ),
                ("caption", m.caption.as_ref().map(|c| json!(c))),
                ("creditText", m.credit.as_ref().map(|c| json!(c))),
                ("copyrightNotice", m.copyright.as_ref().map(|c| json!(c))),
                ("description", m.alt_text.as_ref().map(|a| json!(a))),
            ];
            for (key, value) in fields {
                if let Some(value) = value {
                    image[key] = value;
                }
            }
            Some(image)
        })
        .collect();
    if !images.is_empty() {
        put("image", Value::Array(images));
    }
    if let Some(source) = &summary.source {
        put(
            "publisher",
            json!({"@type": "Organization", "name": source}),
        );
    }
    Value::Object(doc)
}

fn thing(req: &HttpRequest, entity: &ArticleEntity) -> Value {
    let kind = match entity.kind {
        EntityKind::Person => "Person",
        EntityKind::Organisation => "Organization",
        EntityKind::Place => "Place",
        EntityKind::Event => "Event",
        EntityKind::Other => "Thing",
    };
    let mut thing = json!({
        "@type": kind,
        "name": entity.name,
        "url": absolute_url(req, &entity.links.self_url),
    });
    if let Some(q) = &entity.wikidata_id {
        thing["sameAs"] = json!(format!("https://www.wikidata.org/wiki/{q}"));
    }
    thing
}
