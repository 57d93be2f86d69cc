//! Writing articles: idempotent upserts keyed by canonical URL or (source, external id), with
//! their authors, topics (and the topics' ancestors) and entities, in one transaction.
//!
//! Everything arrives as plain values: the ingest layer validates, resolves topics and counts
//! the entities the text names before anything here runs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel::sql_types::{Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::links::LinkRows;
use super::topics::{topic_closure, topic_parents};
use super::{ArticleId, AuthorId, EntityId, TopicId};
use crate::media::{Media, lead_image};
use crate::schema::{
    article_authors, article_entities, article_topics, articles, authors, entities,
};
use crate::vocab::{EntityKind, EntityRel, PubStatus};

/// A validated article, ready to store.
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
    /// The entities the article is about.
    pub entities: Vec<AboutEntity>,
    /// Its pictures, video and audio, the lead marked. Left out of the content hash when there
    /// are none, so that hashes stored before media existed stay comparable.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
}

/// An entity an article says it is about: an existing one, or one to create.
#[derive(Debug, Clone)]
pub struct AboutEntity {
    /// The slug given, or derived from the name.
    pub slug: String,
    /// Whether the client gave the slug: then it names the entity, whatever its name.
    pub explicit_slug: bool,
    pub name: String,
    pub kind: EntityKind,
    /// How many times the text names it, for an entity the gazetteer does not know yet.
    pub mentions: i32,
}

/// The hashed form is `[slug, name, kind]`, as it has been since content hashes were introduced,
/// so that stored hashes stay comparable.
impl Serialize for AboutEntity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.slug, &self.name, self.kind.as_str()).serialize(serializer)
    }
}

impl ArticleDraft {
    /// A digest of everything the client controls: equal digests mean an identical re-send.
    fn content_hash(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(json).to_vec()
    }

    /// The `media` column.
    fn media_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.media).unwrap_or_else(|_| serde_json::json!([]))
    }

    /// The `image` column: what lists show of the media.
    fn image_json(&self) -> Option<serde_json::Value> {
        lead_image(&self.media).and_then(|image| serde_json::to_value(image).ok())
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

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Upserted {
    pub id: ArticleId,
    pub outcome: Outcome,
}

/// Entity mention counts found in an article's text, by entity.
pub type Mentions = HashMap<EntityId, i32>;

/// Creates the article, or updates the one with the same identity when what was sent differs;
/// an identical re-send changes nothing (and takes no id from the sequence). Concurrent upserts
/// of one article make one row.
pub async fn upsert_article(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
    mentions: &Mentions,
) -> QueryResult<Upserted> {
    match upsert_once(conn, draft, mentions).await {
        // Two first sends of one article racing: the loser's insert can trip over the winner's
        // row on another unique index (the slug) before the identity's. Once the winner has
        // committed, a second attempt finds its row. A real conflict (a `url` that another
        // article has) fails the second attempt alike.
        Err(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            upsert_once(conn, draft, mentions).await
        }
        other => other,
    }
}

/// An identity of an article that no two articles share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Url,
    SourceAndExternalId,
}

/// Which other article already holds one of the draft's identities: what a write that broke a
/// unique index tripped over. `except` is the article being written when it is known (a
/// replacement); an upsert, which finds its article by one identity, asks about the other.
pub async fn identity_owner(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
    except: Option<ArticleId>,
) -> QueryResult<Option<(Identity, ArticleId)>> {
    let replacing = except.is_some();
    let others = || {
        articles::table
            .filter(articles::id.ne(except.map_or(0, |id| id.0)))
            .select(articles::id)
            .into_boxed()
    };
    let keyed_by_source = draft.source.is_some() && draft.external_id.is_some();
    if let Some(url) = draft.url.as_ref().filter(|_| replacing || keyed_by_source) {
        let owner: Option<i64> = others()
            .filter(articles::url.eq(url))
            .first(conn)
            .await
            .optional()?;
        if let Some(owner) = owner {
            return Ok(Some((Identity::Url, ArticleId(owner))));
        }
    }
    if let (Some(source), Some(external_id)) = (&draft.source, &draft.external_id)
        && (replacing || !keyed_by_source)
    {
        let owner: Option<i64> = others()
            .filter(articles::source.eq(source))
            .filter(articles::external_id.eq(external_id))
            .first(conn)
            .await
            .optional()?;
        if let Some(owner) = owner {
            return Ok(Some((Identity::SourceAndExternalId, ArticleId(owner))));
        }
    }
    Ok(None)
}

async fn upsert_once(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
    mentions: &Mentions,
) -> QueryResult<Upserted> {
    conn.transaction(async |conn| {
        let hash = draft.content_hash();
        let existing = match lock_by_identity(conn, draft).await? {
            Some(found) => found,
            None => match insert_if_new(conn, draft, &hash).await? {
                Some(id) => {
                    write_links(conn, id, draft, mentions).await?;
                    return Ok(Upserted {
                        id,
                        outcome: Outcome::Created,
                    });
                }
                // A concurrent upsert of the same identity committed first.
                None => lock_by_identity(conn, draft)
                    .await?
                    .ok_or(diesel::result::Error::NotFound)?,
            },
        };
        let (id, old_hash, status) = existing;
        let outcome =
            replace_if_changed(conn, id, draft, &hash, (old_hash, status), mentions).await?;
        Ok(Upserted { id, outcome })
    })
    .await
}

/// Replaces an existing article (`PUT`, `PATCH`) with the draft; its identity fields may change.
/// `None` when there is no article with this id.
pub async fn replace_article_by_id(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    draft: &ArticleDraft,
    mentions: &Mentions,
) -> QueryResult<Option<Outcome>> {
    conn.transaction(async |conn| {
        let hash = draft.content_hash();
        let Some(current) = articles::table
            .find(id.0)
            .select((articles::content_hash, articles::pub_status))
            .for_update()
            .first::<(Option<Vec<u8>>, PubStatus)>(conn)
            .await
            .optional()?
        else {
            return Ok(None);
        };
        replace_if_changed(conn, id, draft, &hash, current, mentions)
            .await
            .map(Some)
    })
    .await
}

async fn replace_if_changed(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    draft: &ArticleDraft,
    hash: &[u8],
    (old_hash, status): (Option<Vec<u8>>, PubStatus),
    mentions: &Mentions,
) -> QueryResult<Outcome> {
    if old_hash.as_deref() == Some(hash) && status == PubStatus::Usable {
        return Ok(Outcome::Unchanged);
    }
    replace_article(conn, id, draft, hash, mentions).await?;
    Ok(Outcome::Updated)
}

/// Withdraws an article: it is no longer listed and answers 410. Returns whether it existed.
pub async fn withdraw_article(conn: &mut AsyncPgConnection, id: ArticleId) -> QueryResult<bool> {
    let changed = diesel::update(articles::table.find(id.0))
        .set((
            articles::pub_status.eq(PubStatus::Canceled),
            articles::updated_at.eq(diesel::dsl::now),
            articles::version.eq(articles::version + 1),
        ))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}

/// The article with the draft's identity, locked for the rest of the transaction.
async fn lock_by_identity(
    conn: &mut AsyncPgConnection,
    draft: &ArticleDraft,
) -> QueryResult<Option<(ArticleId, Option<Vec<u8>>, PubStatus)>> {
    let columns = (articles::id, articles::content_hash, articles::pub_status);
    match (&draft.source, &draft.external_id) {
        (Some(source), Some(external_id)) => articles::table
            .filter(articles::source.eq(source))
            .filter(articles::external_id.eq(external_id))
            .select(columns)
            .for_update()
            .first(conn)
            .await
            .optional(),
        _ => articles::table
            .filter(articles::url.eq(&draft.url))
            .select(columns)
            .for_update()
            .first(conn)
            .await
            .optional(),
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
         published_at, content_hash, media, image) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
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
    .bind::<diesel::sql_types::Jsonb, _>(draft.media_json())
    .bind::<Nullable<diesel::sql_types::Jsonb>, _>(draft.image_json())
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
    mentions: &Mentions,
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
            articles::media.eq(draft.media_json()),
            articles::image.eq(draft.image_json()),
            articles::pub_status.eq(PubStatus::Usable),
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
    mentions: &Mentions,
) -> QueryResult<()> {
    let authors = ensure_authors(conn, &draft.authors).await?;
    let parents = topic_parents(conn).await?;
    let about = ensure_entities(conn, &draft.entities).await?;
    let mut entities: HashMap<EntityId, (i32, EntityRel)> = mentions
        .iter()
        .map(|(e, n)| (*e, (*n, EntityRel::Mentions)))
        .collect();
    for (entity, named) in about {
        let count = mentions.get(&entity).copied().unwrap_or(named);
        entities.insert(entity, (count, EntityRel::About));
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

/// The ids of these authors (slug, name), creating the unknown ones, in the given order. A name
/// first stored in capitals (`STEPHEN JUKES`, as wire bylines print it) takes the spelling of the
/// first byline that writes it in mixed case.
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
    let found: HashMap<String, (AuthorId, String)> = authors::table
        .filter(authors::slug.eq_any(&slugs))
        .select((authors::slug, authors::id, authors::name))
        .load::<(String, AuthorId, String)>(conn)
        .await?
        .into_iter()
        .map(|(slug, id, name)| (slug, (id, name)))
        .collect();
    let mut ids: Vec<AuthorId> = Vec::new();
    for (slug, name) in wanted {
        let Some((id, stored)) = found.get(slug) else {
            continue;
        };
        if is_capitals(stored) && !is_capitals(name) && stored.to_lowercase() == name.to_lowercase()
        {
            diesel::update(authors::table.find(id.0))
                .set((
                    authors::name.eq(name),
                    authors::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
        }
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    Ok(ids)
}

/// Whether a name is written in capitals only (and has letters).
fn is_capitals(name: &str) -> bool {
    name.chars().any(char::is_alphabetic) && !name.chars().any(char::is_lowercase)
}

/// The ids of these entities with how often the text names each, creating the unknown ones. An
/// entity named without a slug is, in this order: the one whose slug its name makes; else the
/// only entity of its kind that has the name as its name or an alias (`USA` is `united-states`);
/// else a new one.
async fn ensure_entities(
    conn: &mut AsyncPgConnection,
    wanted: &[AboutEntity],
) -> QueryResult<Vec<(EntityId, i32)>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let slugs: Vec<&str> = wanted.iter().map(|e| e.slug.as_str()).collect();
    let mut by_slug = entity_ids(conn, &slugs).await?;
    let unresolved: Vec<&str> = wanted
        .iter()
        .filter(|e| !e.explicit_slug && !by_slug.contains_key(&e.slug))
        .map(|e| e.name.as_str())
        .collect();
    let mut by_form: HashMap<usize, EntityId> = HashMap::new();
    if !unresolved.is_empty() {
        let candidates: Vec<(EntityId, EntityKind, String, Vec<Option<String>>)> = entities::table
            .filter(
                entities::name
                    .eq_any(&unresolved)
                    .or(entities::aliases.overlaps_with(&unresolved)),
            )
            .select((
                entities::id,
                entities::kind,
                entities::name,
                entities::aliases,
            ))
            .load(conn)
            .await?;
        for (i, entity) in wanted.iter().enumerate() {
            let mut matching = candidates.iter().filter(|(_, kind, name, aliases)| {
                *kind == entity.kind
                    && (*name == entity.name || aliases.iter().flatten().any(|a| *a == entity.name))
            });
            if let (Some((id, ..)), None) = (matching.next(), matching.next()) {
                by_form.insert(i, *id);
            }
        }
    }
    let new: Vec<_> = wanted
        .iter()
        .enumerate()
        .filter(|(i, e)| !by_slug.contains_key(&e.slug) && !by_form.contains_key(i))
        .map(|(_, e)| {
            (
                entities::slug.eq(&e.slug),
                entities::name.eq(&e.name),
                entities::kind.eq(e.kind),
            )
        })
        .collect();
    if !new.is_empty() {
        diesel::insert_into(entities::table)
            .values(new)
            .on_conflict(entities::slug)
            .do_nothing()
            .execute(conn)
            .await?;
        by_slug = entity_ids(conn, &slugs).await?;
    }
    let mut ids: Vec<(EntityId, i32)> = Vec::new();
    for (i, entity) in wanted.iter().enumerate() {
        let id = by_form.get(&i).or_else(|| by_slug.get(&entity.slug));
        if let Some(id) = id
            && !ids.iter().any(|(seen, _)| seen == id)
        {
            ids.push((*id, entity.mentions));
        }
    }
    Ok(ids)
}

/// The ids of the entities with these slugs, by slug.
async fn entity_ids(
    conn: &mut AsyncPgConnection,
    slugs: &[&str],
) -> QueryResult<HashMap<String, EntityId>> {
    Ok(entities::table
        .filter(entities::slug.eq_any(slugs))
        .select((entities::slug, entities::id))
        .load::<(String, EntityId)>(conn)
        .await?
        .into_iter()
        .collect())
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

/// Sets an article's `mentions` links to `found` (what the text names now); the entities it is
/// `about` keep that relation with fresh counts. Returns whether anything changed.
pub async fn relink_article(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    found: &Mentions,
) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        let current: Vec<(EntityId, i32, EntityRel, DateTime<Utc>)> = article_entities::table
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
                found.iter().map(|(e, n)| (*e, *n, EntityRel::Mentions)),
            )
            .await?;
            return Ok(true);
        };
        let mut wanted: HashMap<EntityId, (i32, EntityRel)> = found
            .iter()
            .map(|(e, n)| (*e, (*n, EntityRel::Mentions)))
            .collect();
        for (entity, _, rel, _) in &current {
            if *rel == EntityRel::About {
                let n = found.get(entity).copied().unwrap_or(0);
                wanted.insert(*entity, (n, EntityRel::About));
            }
        }
        let mut now: Vec<(EntityId, i32, EntityRel)> =
            current.iter().map(|(e, n, r, _)| (*e, *n, *r)).collect();
        let mut next: Vec<(EntityId, i32, EntityRel)> =
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
    entities: impl Iterator<Item = (EntityId, i32, EntityRel)>,
) -> QueryResult<()> {
    let mut links = LinkRows::default();
    links.add(id, at, &[], &[], entities);
    links.insert(conn).await
}
