//! `dateline import`: NDJSON of the `POST /v1/articles` body, IPTC ninjs 2.x and 3.x documents, and
//! HuffPost News Category JSON Lines, each item upserted on its own like `POST /v1/articles`.
//! Running an import twice changes nothing the second time.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel_async::AsyncPgConnection;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::articles::{UnknownTopics, upsert_all};
use super::error::IngestError;
use super::formats::{huffpost_topics, to_article};
use super::input::{ArticleInput, from_value};
use super::linking::SharedGazetteer;
use crate::store::article_write::Outcome;

/// Items written between two looks at the topics and the gazetteer.
const CHUNK: usize = 500;

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

/// Imports every file; per-item errors are printed as `file:line: message` and counted. Topics
/// the source names but this taxonomy lacks are dropped, not fatal.
pub async fn import_files(
    conn: &mut AsyncPgConnection,
    files: &[std::path::PathBuf],
) -> Result<ImportReport, String> {
    let mut report = ImportReport::default();
    let gazetteer = SharedGazetteer::default();
    let huffpost_topics = huffpost_topics();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let items = parse_items(&text, &huffpost_topics);
        let progress = Progress::new(file, items.len());
        for chunk in items.chunks(CHUNK) {
            let inputs: Vec<Result<ArticleInput, IngestError>> = chunk
                .iter()
                .map(|item| match &item.article {
                    Ok(value) => from_value(value),
                    Err(e) => Err(IngestError::Malformed(e.clone())),
                })
                .collect();
            let results = upsert_all(conn, &gazetteer, inputs, UnknownTopics::Drop)
                .await
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let stopped = results
                .iter()
                .any(|r| matches!(r, Err(e) if e.is_unavailable()));
            for (item, result) in chunk.iter().zip(results) {
                match result.map(|u| u.outcome) {
                    Ok(Outcome::Created) => report.created += 1,
                    Ok(Outcome::Updated) => report.updated += 1,
                    Ok(Outcome::Unchanged) => report.unchanged += 1,
                    Err(e) => {
                        report.failed += 1;
                        progress.println(format!("{}:{}: {e}", file.display(), item.line));
                    }
                }
                progress.inc();
            }
            if stopped {
                return Err(format!(
                    "{}: the database became unavailable; what was imported stays, and importing \
                     the file again resumes it",
                    file.display()
                ));
            }
        }
        progress.finish();
    }
    Ok(report)
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
