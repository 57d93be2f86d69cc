//! `dateline import`: NDJSON of the `POST /v1/articles` body, IPTC ninjs 2.x and 3.x documents, and
//! HuffPost News Category JSON Lines, each item upserted on its own like `POST /v1/articles`.
//! Running an import twice changes nothing the second time.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel_async::AsyncPgConnection;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::api::article_input::ArticleInput;
use crate::error::ApiError;
use crate::linking::SharedGazetteer;
use crate::store::article_write::{self, Outcome};

/// One item of an input file: where it is, and the article it makes (or why it makes none).
struct Item {
    line: usize,
    article: Result<Value, String>,
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} failed",
            self.created, self.updated, self.unchanged, self.failed
        )
    }
}

/// Imports every file; per-item errors are printed as `file:line: message` and counted.
pub async fn import_files(
    conn: &mut AsyncPgConnection,
    files: &[std::path::PathBuf],
) -> Result<ImportReport, String> {
    let mut report = ImportReport::default();
    let gazetteer = SharedGazetteer::default();
    let huffpost_topics = crate::demo::huffpost_topics();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let items = parse_items(&text, &huffpost_topics);
        let progress = Progress::new(file, items.len());
        for item in items {
            let outcome = match item.article {
                Ok(value) => upsert(conn, &gazetteer, value).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(Outcome::Created) => report.created += 1,
                Ok(Outcome::Updated) => report.updated += 1,
                Ok(Outcome::Unchanged) => report.unchanged += 1,
                Err(message) => {
                    report.failed += 1;
                    progress.println(format!("{}:{}: {message}", file.display(), item.line));
                }
            }
            progress.inc();
        }
        progress.finish();
    }
    Ok(report)
}

async fn upsert(
    conn: &mut AsyncPgConnection,
    gazetteer: &SharedGazetteer,
    value: Value,
) -> Result<Outcome, String> {
    let bytes = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
    let mut input: ArticleInput = crate::api::article_input::from_json(&bytes).map_err(describe)?;
    let topics = article_write::existing_topics(conn, &input.topics)
        .await
        .map_err(|e| e.to_string())?;
    // Topics the source names but this taxonomy lacks are dropped, not fatal.
    input.topics.retain(|t| topics.contains_key(t));
    let draft = input.validate(&topics, false).map_err(describe)?;
    let gazetteer = gazetteer.get(conn).await.map_err(|e| e.to_string())?;
    article_write::upsert_article(conn, &draft, &gazetteer)
        .await
        .map(|u| u.outcome)
        .map_err(|e| e.to_string())
}

fn describe(error: ApiError) -> String {
    match error {
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| {
                if e.field.is_empty() {
                    e.message.clone()
                } else {
                    format!("{}: {}", e.field, e.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// A whole-file JSON document (one ninjs item, or an array of items), or else JSON Lines.
fn parse_items(text: &str, huffpost_topics: &HashMap<String, String>) -> Vec<Item> {
    // A JSON Lines file with one line also parses whole; the records are the same either way.
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let docs = match value {
            Value::Array(docs) => docs,
            doc => vec![doc],
        };
        return docs
            .into_iter()
            .map(|doc| Item {
                line: 1,
                article: to_article(doc, huffpost_topics),
            })
            .collect();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| Item {
            line: i + 1,
            article: serde_json::from_str::<Value>(line)
                .map_err(|e| format!("not JSON: {e}"))
                .and_then(|doc| to_article(doc, huffpost_topics)),
        })
        .collect()
}

/// Recognises the record's format by its fields and maps it to the `POST /v1/articles` body.
fn to_article(doc: Value, huffpost_topics: &HashMap<String, String>) -> Result<Value, String> {
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
    let authors: Vec<&str> = crate::demo::byline_people(text("authors")).collect();
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

/// A progress bar (items, rate, ETA) on a terminal; plain lines every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    name: String,
    total: usize,
    done: std::cell::Cell<usize>,
    started: Instant,
    last_line: std::cell::Cell<Instant>,
}

impl Progress {
    fn new(file: &Path, total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} {wide_bar} {pos}/{len} items, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(file.display().to_string());
            bar
        });
        Self {
            bar,
            name: file.display().to_string(),
            total,
            done: 0.into(),
            started: Instant::now(),
            last_line: Instant::now().into(),
        }
    }

    fn inc(&self) {
        self.done.set(self.done.get() + 1);
        match &self.bar {
            Some(bar) => bar.inc(1),
            None if self.last_line.get().elapsed() >= Duration::from_secs(2) => {
                self.last_line.set(Instant::now());
                self.print_line();
            }
            None => {}
        }
    }

    fn println(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn print_line(&self) {
        let done = self.done.get();
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        eprintln!("{}: {done}/{} items, {rate:.0}/s", self.name, self.total);
    }

    fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish(),
            None => self.print_line(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
