//! Writing articles: idempotent upserts keyed by canonical URL or (source, external id), with
//! their authors, topics (and the topics' ancestors) and entities, in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ingest::{topic_closure, topic_parents};
use super::links::LinkRows;
use super::{ArticleId, AuthorId, EntityId, TopicId};
use crate::linking::Gazetteer;
use crate::schema::{
    article_authors, article_entities, article_topics, articles, authors, entities,
};

/// A validated article as a client sent it.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleDraft {
    pub headline: String,
    pub lead: Option<String>,
    pub body: Option<String>,
    /// Canonical form.
    pub url: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub language: String,
    pub dateline: Option<String>,
    pub published_at: DateTime<Utc>,
    /// (slug, name), in byline order.
    pub authors: Vec<(String, String)>,
    /// Direct topics, checked to exist.
    pub topics: Vec<TopicId>,
    /// (slug, name, kind) of the entities the article is about.
    pub entities: Vec<(String, String, String)>,
}

impl ArticleDraft {
    /// A digest of everything the client controls: equal digests mean an identical re-send.
    fn content_hash(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(json).to_vec()
    }

    /// The slug of a new article: the headline's, made unique by a digest of its identity.
    fn new_slug(&self) -> String {
        let identity = format!("{:?}|{:?}|{:?}", self.source, self.external_id, self.url);
        let digest = Sha256::digest(identity.as_bytes());
        let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let mut base = slug::slugify(&self.headline);
        if base.len() > 80 {
            base.truncate(80);
            base = base.trim_end_matches('-').to_owned();
        }
        if base.is_empty() {
            base = "article".to_owned();
        }
        format!("{base}-{tag}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Copy)]
pub struct Upserted {
    pub id: ArticleId,
    pub outcome: Outcome,
}

/// Creates the article, or updates the one with the same identity when what was sent differs;
/// an identical re-send changes nothing. Concurrent upserts of one article make one row.
pub async fn upsert_article(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
    gazetteer: &Gazetteer,
) -> QueryResult<Upserted> {
    let draft = draft.clone();
    let mentions = mentions_in(&draft, gazetteer);
    conn.transaction(async |conn| {
        let hash = draft.content_hash();
        let inserted: Option<ArticleId> = insert_if_new(conn, &draft, &hash).await?;
        if let Some(id) = inserted {
            write_links(conn, id, &draft, &mentions).await?;
            return Ok(Upserted {
                id,
                outcome: Outcome::Created,
            });
        }
        let (id, old_hash, status) = lock_by_identity(conn, &draft).await?;
        if old_hash.as_deref() == Some(hash.as_slice()) && status == "usable" {
            return Ok(Upserted {
                id,
                outcome: Outcome::Unchanged,
            });
        }
        replace_article(conn, id, &draft, &hash, &mentions).await?;
        Ok(Upserted {
            id,
            outcome: Outcome::Updated,
        })
    })
    .await
}

/// Replaces an existing article (`PUT`) with the draft; its identity fields may change.
pub async fn replace_article_by_id(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    draft: &ArticleDraft,
    gazetteer: &Gazetteer,
) -> QueryResult<Outcome> {
    let draft = draft.clone();
    let mentions = mentions_in(&draft, gazetteer);
    conn.transaction(async |conn| {
        let hash = draft.content_hash();
        let (old_hash, status): (Option<Vec<u8>>, String) = articles::table
            .find(id.0)
            .select((articles::content_hash, articles::pub_status))
            .for_update()
            .first(conn)
            .await?;
        if old_hash.as_deref() == Some(hash.as_slice()) && status == "usable" {
            return Ok(Outcome::Unchanged);
        }
        replace_article(conn, id, &draft, &hash, &mentions).await?;
        Ok(Outcome::Updated)
    })
    .await
}

/// Withdraws an article: it is no longer listed and answers 410. Returns whether it existed.
pub async fn withdraw_article(conn: &mut AsyncPgConnection, id: ArticleId) -> QueryResult<bool> {
    let changed = diesel::update(articles::table.find(id.0))
        .set((
            articles::pub_status.eq("canceled"),
            articles::updated_at.eq(diesel::dsl::now),
            articles::version.eq(articles::version + 1),
        ))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// An article's publication status, whatever it is.
pub async fn pub_status(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
) -> QueryResult<Option<String>> {
    articles::table
        .find(id.0)
        .select(articles::pub_status)
        .first(conn)
        .await
        .optional()
}

/// The topics among these slugs that exist.
pub async fn existing_topics(
    conn: &mut AsyncPgConnection,
    slugs: &[String],
) -> QueryResult<HashMap<String, TopicId>> {
    Ok(super::topics::topic_ids(conn, slugs)
        .await?
        .into_iter()
        .map(|(id, slug)| (slug, id))
        .collect())
}

fn mentions_in(draft: &ArticleDraft, gazetteer: &Gazetteer) -> HashMap<EntityId, i32> {
    let text = [
        Some(draft.headline.as_str()),
        draft.lead.as_deref(),
        draft.body.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n\n");
    gazetteer.mentions(&text)
}

/// The article with the draft's identity, locked for the rest of the transaction.
async fn lock_by_identity(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
) -> QueryResult<(ArticleId, Option<Vec<u8>>, String)> {
    let columns = (articles::id, articles::content_hash, articles::pub_status);
    match (&draft.source, &draft.external_id) {
        (Some(source), Some(external_id)) => {
            articles::table
                .filter(articles::source.eq(source))
                .filter(articles::external_id.eq(external_id))
                .select(columns)
                .for_update()
                .first(conn)
                .await
        }
        _ => {
            articles::table
                .filter(articles::url.eq(&draft.url))
                .select(columns)
                .for_update()
                .first(conn)
                .await
        }
    }
}

/// Inserts the article unless one with its identity exists (waiting for a concurrent insert of
/// the same identity to commit or roll back).
async fn insert_if_new(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
    hash: &[u8],
) -> QueryResult<Option<ArticleId>> {
    let conflict_target = match (&draft.source, &draft.external_id) {
        (Some(_), Some(_)) => "(source, external_id)",
        _ => "(url)",
    };
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let row: Option<Id> = diesel::sql_query(format!(
        "INSERT INTO articles (slug, url, external_id, source, headline, lead, body, language, dateline, \
         published_at, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT {conflict_target} DO NOTHING RETURNING id"
    ))
    .bind::<Text, _>(draft.new_slug())
    .bind::<Nullable<Text>, _>(&draft.url)
    .bind::<Nullable<Text>, _>(&draft.external_id)
    .bind::<Nullable<Text>, _>(&draft.source)
    .bind::<Text, _>(&draft.headline)
    .bind::<Nullable<Text>, _>(&draft.lead)
    .bind::<Nullable<Text>, _>(&draft.body)
    .bind::<Text, _>(&draft.language)
    .bind::<Nullable<Text>, _>(&draft.dateline)
    .bind::<diesel::sql_types::Timestamptz, _>(draft.published_at)
    .bind::<diesel::sql_types::Bytea, _>(hash)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| ArticleId(r.id)))
}

async fn replace_article(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    draft: &ArticleDraft,
    hash: &[u8],
    mentions: &HashMap<EntityId, i32>,
) -> QueryResult<()> {
    diesel::update(articles::table.find(id.0))
        .set((
            articles::url.eq(&draft.url),
            articles::external_id.eq(&draft.external_id),
            articles::source.eq(&draft.source),
            articles::headline.eq(&draft.headline),
            articles::lead.eq(&draft.lead),
            articles::body.eq(&draft.body),
            articles::language.eq(&draft.language),
            articles::dateline.eq(&draft.dateline),
            articles::published_at.eq(draft.published_at),
            articles::content_hash.eq(hash),
            articles::pub_status.eq("usable"),
            articles::updated_at.eq(diesel::dsl::now),
            articles::version.eq(articles::version + 1),
        ))
        .execute(conn)
        .await?;
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(id.0)))
        .execute(conn)
        .await?;
    diesel::delete(article_topics::table.filter(article_topics::article_id.eq(id.0)))
        .execute(conn)
        .await?;
    diesel::delete(article_entities::table.filter(article_entities::article_id.eq(id.0)))
        .execute(conn)
        .await?;
    write_links(conn, id, draft, mentions).await
}

async fn write_links(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    draft: &ArticleDraft,
    mentions: &HashMap<EntityId, i32>,
) -> QueryResult<()> {
    let authors = ensure_authors(conn, &draft.authors).await?;
    let parents = topic_parents(conn).await?;
    let about = ensure_entities(conn, &draft.entities).await?;
    let mut entities: HashMap<EntityId, (i32, &'static str)> = mentions
        .iter()
        .map(|(e, n)| (*e, (*n, "mentions")))
        .collect();
    for entity in about {
        let count = mentions.get(&entity).copied().unwrap_or(0);
        entities.insert(entity, (count, "about"));
    }
    let mut links = LinkRows::default();
    links.add(
        id,
        draft.published_at,
        &authors,
        &topic_closure(&draft.topics, &parents),
        entities.into_iter().map(|(e, (n, rel))| (e, n, rel)),
    );
    links.insert(conn).await
}

/// The ids of these authors (slug, name), creating the unknown ones, in the given order.
async fn ensure_authors(
    conn: &mut AsyncPgConnection,
    wanted: &[(String, String)],
) -> QueryResult<Vec<AuthorId>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<_> = wanted
        .iter()
        .map(|(slug, name)| (authors::slug.eq(slug), authors::name.eq(name)))
        .collect();
    diesel::insert_into(authors::table)
        .values(rows)
        .on_conflict(authors::slug)
        .do_nothing()
        .execute(conn)
        .await?;
    let slugs: Vec<&str> = wanted.iter().map(|(s, _)| s.as_str()).collect();
    let found: HashMap<String, AuthorId> = authors::table
        .filter(authors::slug.eq_any(&slugs))
        .select((authors::slug, authors::id))
        .load::<(String, AuthorId)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut ids: Vec<AuthorId> = Vec::new();
    for (slug, _) in wanted {
        if let Some(id) = found.get(slug)
            && !ids.contains(id)
        {
            ids.push(*id);
        }
    }
    Ok(ids)
}

/// The ids of these entities (slug, name, kind), creating the unknown ones.
async fn ensure_entities(
    conn: &mut AsyncPgConnection,
    wanted: &[(String, String, String)],
) -> QueryResult<Vec<EntityId>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<_> = wanted
        .iter()
        .map(|(slug, name, kind)| {
            (
                entities::slug.eq(slug),
                entities::name.eq(name),
                entities::kind.eq(kind),
            )
        })
        .collect();
    diesel::insert_into(entities::table)
        .values(rows)
        .on_conflict(entities::slug)
        .do_nothing()
        .execute(conn)
        .await?;
    let slugs: Vec<&str> = wanted.iter().map(|(s, _, _)| s.as_str()).collect();
    entities::table
        .filter(entities::slug.eq_any(&slugs))
        .select(entities::id)
        .load(conn)
        .await
}

/// A page of articles' text, in id order after `after`, for re-linking.
pub async fn texts_after(
    conn: &mut AsyncPgConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(ArticleId, String, Option<String>, Option<String>)>> {
    articles::table
        .filter(articles::id.gt(after))
        .order(articles::id.asc())
        .limit(limit)
        .select((
            articles::id,
            articles::headline,
            articles::lead,
            articles::body,
        ))
        .load(conn)
        .await
}

pub async fn count_articles(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    articles::table.count().get_result(conn).await
}

/// Sets an article's `mentions` links to what the gazetteer finds in its text; the entities it is
/// `about` keep that relation with fresh counts. Returns whether anything changed.
pub async fn relink_article(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    text: &str,
    gazetteer: &Gazetteer,
) -> QueryResult<bool> {
    let found = gazetteer.mentions(text);
    conn.transaction(async |conn| {
        let current: Vec<(EntityId, i32, String, DateTime<Utc>)> = article_entities::table
            .filter(article_entities::article_id.eq(id.0))
            .select((
                article_entities::entity_id,
                article_entities::mentions,
                article_entities::rel,
                article_entities::published_at,
            ))
            .load(conn)
            .await?;
        let Some(at) = current.iter().map(|c| c.3).next() else {
            if found.is_empty() {
                return Ok(false);
            }
            let at: DateTime<Utc> = articles::table
                .find(id.0)
                .select(articles::published_at)
                .first(conn)
                .await?;
            insert_mentions(
                conn,
                id,
                at,
                found.iter().map(|(e, n)| (*e, *n, "mentions")),
            )
            .await?;
            return Ok(true);
        };
        let mut wanted: HashMap<EntityId, (i32, &'static str)> =
            found.iter().map(|(e, n)| (*e, (*n, "mentions"))).collect();
        for (entity, _, rel, _) in &current {
            if rel == "about" {
                let n = found.get(entity).copied().unwrap_or(0);
                wanted.insert(*entity, (n, "about"));
            }
        }
        let mut now: Vec<(EntityId, i32, &str)> = current
            .iter()
            .map(|(e, n, r, _)| (*e, *n, r.as_str()))
            .collect();
        let mut next: Vec<(EntityId, i32, &'static str)> =
            wanted.iter().map(|(e, (n, r))| (*e, *n, *r)).collect();
        now.sort_by_key(|x| x.0.0);
        next.sort_by_key(|x| x.0.0);
        if now == next {
            return Ok(false);
        }
        diesel::delete(article_entities::table.filter(article_entities::article_id.eq(id.0)))
            .execute(conn)
            .await?;
        insert_mentions(conn, id, at, next.into_iter()).await?;
        Ok(true)
    })
    .await
}

async fn insert_mentions(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    at: DateTime<Utc>,
    entities: impl Iterator<Item = (EntityId, i32, &'static str)>,
) -> QueryResult<()> {
    let mut links = LinkRows::default();
    links.add(id, at, &[], &[], entities);
    links.insert(conn).await
}
