//! The demo data set, embedded in the binary: the reference TURAN story with its author, entities
//! and topics, the ten "Latest news" sidebar headlines, and 1,056 HuffPost records (CC BY 4.0,
//! Rishabh Misra; see data/demo/README.md). Loading is idempotent: what exists is left alone.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;

use super::formats::byline_people;
use crate::store::bulk::{self, ArticleWithLinks, NewArticle, NewAuthor, NewEntity, NewTopic};
use crate::vocab::{EntityKind, EntityRel};

pub const SEED_ARTICLE_SLUG: &str = "us-formally-rejects-russias-top-security-demands";

const TURAN: &str = include_str!("../../data/demo/turan.json");
const HUFFPOST: &str = include_str!("../../data/demo/huffpost.jsonl");

#[derive(Deserialize)]
struct DemoSet {
    topics: Vec<DemoTopic>,
    authors: Vec<DemoAuthor>,
    entities: Vec<DemoEntity>,
    articles: Vec<DemoArticle>,
    /// HuffPost category → topic slug.
    huffpost_topics: HashMap<String, String>,
}

#[derive(Deserialize)]
struct DemoTopic {
    slug: String,
    name: String,
    description: Option<String>,
    iptc_code: Option<String>,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct DemoAuthor {
    slug: String,
    name: String,
    bio: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct DemoEntity {
    slug: String,
    name: String,
    kind: EntityKind,
    aliases: Vec<String>,
    description: Option<String>,
    wikidata_id: Option<String>,
}

#[derive(Deserialize)]
struct DemoArticle {
    slug: String,
    headline: String,
    lead: Option<String>,
    body: Option<String>,
    url: Option<String>,
    source: Option<String>,
    language: String,
    dateline: Option<String>,
    published_at: DateTime<Utc>,
    authors: Vec<String>,
    topics: Vec<String>,
    entities: Vec<DemoLink>,
}

#[derive(Deserialize)]
struct DemoLink {
    slug: String,
    mentions: i32,
    rel: EntityRel,
}

#[derive(Deserialize)]
struct HuffPostRecord {
    link: String,
    headline: String,
    category: String,
    short_description: String,
    authors: String,
    date: NaiveDate,
}

/// What a load added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub articles: usize,
    pub authors: usize,
    pub entities: usize,
    pub topics: usize,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "added {} articles, {} authors, {} entities, {} topics",
            self.articles, self.authors, self.entities, self.topics
        )
    }
}

/// Loads the demo set in one transaction.
pub async fn load(conn: &mut AsyncPgConnection) -> QueryResult<DemoReport> {
    let set: DemoSet = serde_json::from_str(TURAN).expect("data/demo/turan.json is valid");
    let huffpost: Vec<HuffPostRecord> = HUFFPOST
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("data/demo/huffpost.jsonl is valid"))
        .collect();
    conn.transaction(async |conn| load_set(conn, set, huffpost).await)
        .await
}

async fn load_set(
    conn: &mut AsyncPgConnection,
    set: DemoSet,
    huffpost: Vec<HuffPostRecord>,
) -> QueryResult<DemoReport> {
    let mut report = DemoReport::default();
    let topics: Vec<(NewTopic, Option<String>)> = set
        .topics
        .into_iter()
        .map(|t| {
            let new = NewTopic {
                slug: t.slug,
                name: t.name,
                description: t.description,
                iptc_code: t.iptc_code,
            };
            (new, t.parent)
        })
        .collect();
    report.topics = bulk::insert_topics(conn, &topics).await?;
    let topic_ids: HashMap<String, _> = crate::store::topics::topic_ids(
        conn,
        &topics
            .iter()
            .map(|(t, _)| t.slug.clone())
            .collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|(id, slug)| (slug, id))
    .collect();

    let mut authors: Vec<NewAuthor> = set
        .authors
        .into_iter()
        .map(|a| NewAuthor {
            slug: a.slug,
            name: a.name,
            bio: a.bio,
            url: a.url,
        })
        .collect();
    for record in &huffpost {
        for name in byline_people(&record.authors) {
            authors.push(NewAuthor {
                slug: slug::slugify(name),
                name: name.to_owned(),
                bio: None,
                url: None,
            });
        }
    }
    authors.sort_by(|a, b| a.slug.cmp(&b.slug));
    authors.dedup_by(|a, b| a.slug == b.slug);
    let (new_authors, author_ids) = bulk::insert_authors(conn, &authors).await?;
    report.authors = new_authors;

    let entities: Vec<NewEntity> = set
        .entities
        .into_iter()
        .map(|e| NewEntity {
            slug: e.slug,
            name: e.name,
            kind: e.kind,
            aliases: e.aliases,
            description: e.description,
            wikidata_id: e.wikidata_id,
        })
        .collect();
    let (new_entities, entity_ids) = bulk::insert_entities(conn, &entities).await?;
    report.entities = new_entities;

    let mut items: Vec<ArticleWithLinks> = set
        .articles
        .into_iter()
        .map(|a| ArticleWithLinks {
            authors: a
                .authors
                .iter()
                .filter_map(|s| author_ids.get(s).copied())
                .collect(),
            topics: a
                .topics
                .iter()
                .filter_map(|s| topic_ids.get(s).copied())
                .collect(),
            entities: a
                .entities
                .iter()
                .filter_map(|l| entity_ids.get(&l.slug).map(|id| (*id, l.mentions, l.rel)))
                .collect(),
            article: NewArticle {
                slug: a.slug,
                url: a.url,
                source: a.source,
                headline: a.headline,
                lead: a.lead,
                body: a.body,
                language: a.language,
                dateline: a.dateline,
                published_at: a.published_at,
                updated_at: a.published_at,
            },
        })
        .collect();
    // The file is newest first; insert oldest first so that ids grow with time within a day.
    for record in huffpost.into_iter().rev() {
        let published_at = record.date.and_time(chrono::NaiveTime::MIN).and_utc();
        let topic = set
            .huffpost_topics
            .get(&record.category)
            .and_then(|s| topic_ids.get(s))
            .copied();
        items.push(ArticleWithLinks {
            authors: byline_people(&record.authors)
                .filter_map(|name| author_ids.get(&slug::slugify(name)).copied())
                .collect(),
            topics: topic.into_iter().collect(),
            entities: Vec::new(),
            article: NewArticle {
                slug: huffpost_slug(&record.link),
                url: Some(record.link),
                source: Some("HuffPost".to_owned()),
                headline: record.headline,
                lead: Some(record.short_description).filter(|d| !d.is_empty()),
                body: None,
                language: "en".to_owned(),
                dateline: None,
                published_at,
                updated_at: published_at,
            },
        });
    }
    report.articles = bulk::insert_articles(conn, &items).await?;
    Ok(report)
}

/// HuffPost URLs end in a unique handle: `…/entry/covid-boosters-uptake-us_n_632d…`.
fn huffpost_slug(link: &str) -> String {
    let handle = link
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(link);
    slug::slugify(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffpost_slugs_come_from_the_entry_handle() {
        assert_eq!(
            huffpost_slug(
                "https://www.huffpost.com/entry/covid-boosters-uptake-us_n_632d719ee4b087fae6feaac9"
            ),
            "covid-boosters-uptake-us-n-632d719ee4b087fae6feaac9"
        );
    }
}
