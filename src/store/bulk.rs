//! Bulk writes that skip what is already there: the demo loader's path into the database.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::links::LinkRows;
use super::topics::{topic_closure, topic_parents};
use super::{ArticleId, AuthorId, EntityId, TopicId};
use crate::schema::{articles, authors, entities, topics};
use crate::vocab::{EntityKind, EntityRel};

/// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = topics)]
pub struct NewTopic {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub iptc_code: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = authors)]
pub struct NewAuthor {
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = entities)]
pub struct NewEntity {
    pub slug: String,
    pub name: String,
    pub kind: EntityKind,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub wikidata_id: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = articles)]
pub struct NewArticle {
    pub slug: String,
    pub url: Option<String>,
    pub source: Option<String>,
    pub headline: String,
    pub lead: Option<String>,
    pub body: Option<String>,
    pub language: String,
    pub dateline: Option<String>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Inserts topics that do not exist yet and links each to its parent (by slug) where it has none.
/// Returns how many topics were new.
pub async fn insert_topics(
    conn: &mut AsyncPgConnection,
    new: &[(NewTopic, Option<String>)],
) -> QueryResult<usize> {
    let rows: Vec<&NewTopic> = new.iter().map(|(t, _)| t).collect();
    let inserted = diesel::insert_into(topics::table)
        .values(rows)
        .on_conflict(topics::slug)
        .do_nothing()
        .execute(conn)
        .await?;
    let ids = topic_ids_by_slug(conn).await?;
    for (topic, parent) in new {
        if let Some(parent_id) = parent.as_ref().and_then(|p| ids.get(p)) {
            diesel::update(topics::table)
                .filter(topics::slug.eq(&topic.slug))
                .filter(topics::parent_id.is_null())
                .set(topics::parent_id.eq(parent_id.0))
                .execute(conn)
                .await?;
        }
    }
    Ok(inserted)
}

async fn topic_ids_by_slug(conn: &mut AsyncPgConnection) -> QueryResult<HashMap<String, TopicId>> {
    let rows: Vec<(TopicId, String)> = topics::table
        .select((topics::id, topics::slug))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, slug)| (slug, id)).collect())
}

/// Inserts authors that do not exist yet; returns how many were new and every given slug's id.
pub async fn insert_authors(
    conn: &mut AsyncPgConnection,
    new: &[NewAuthor],
) -> QueryResult<(usize, HashMap<String, AuthorId>)> {
    let mut inserted = 0;
    for chunk in new.chunks(CHUNK) {
        inserted += diesel::insert_into(authors::table)
            .values(chunk)
            .on_conflict(authors::slug)
            .do_nothing()
            .execute(conn)
            .await?;
    }
    let slugs: Vec<&str> = new.iter().map(|a| a.slug.as_str()).collect();
    let rows: Vec<(AuthorId, String)> = authors::table
        .filter(authors::slug.eq_any(slugs))
        .select((authors::id, authors::slug))
        .load(conn)
        .await?;
    Ok((
        inserted,
        rows.into_iter().map(|(id, slug)| (slug, id)).collect(),
    ))
}

/// Inserts entities that do not exist yet; returns how many were new and every given slug's id.
pub async fn insert_entities(
    conn: &mut AsyncPgConnection,
    new: &[NewEntity],
) -> QueryResult<(usize, HashMap<String, EntityId>)> {
    let inserted = diesel::insert_into(entities::table)
        .values(new)
        .on_conflict(entities::slug)
        .do_nothing()
        .execute(conn)
        .await?;
    let slugs: Vec<&str> = new.iter().map(|e| e.slug.as_str()).collect();
    let rows: Vec<(EntityId, String)> = entities::table
        .filter(entities::slug.eq_any(slugs))
        .select((entities::id, entities::slug))
        .load(conn)
        .await?;
    Ok((
        inserted,
        rows.into_iter().map(|(id, slug)| (slug, id)).collect(),
    ))
}

/// An article to insert with what it is linked to.
#[derive(Debug, Clone)]
pub struct ArticleWithLinks {
    pub article: NewArticle,
    /// In byline order.
    pub authors: Vec<AuthorId>,
    /// Direct topics; their ancestors are added.
    pub topics: Vec<TopicId>,
    /// (entity, mentions, rel)
    pub entities: Vec<(EntityId, i32, EntityRel)>,
}

/// Inserts the articles whose slug is new, with their links; existing ones are left as they are.
/// Returns how many were new. Call it inside a transaction: an article is only skipped on a re-run
/// because it exists, so its links must not be able to fail apart from it.
pub async fn insert_articles(
    conn: &mut AsyncPgConnection,
    items: &[ArticleWithLinks],
) -> QueryResult<usize> {
    let parents = topic_parents(conn).await?;
    let mut inserted = 0;
    for chunk in items.chunks(CHUNK) {
        let rows: Vec<&NewArticle> = chunk.iter().map(|i| &i.article).collect();
        let created: Vec<(ArticleId, String)> = diesel::insert_into(articles::table)
            .values(rows)
            .on_conflict(articles::slug)
            .do_nothing()
            .returning((articles::id, articles::slug))
            .get_results(conn)
            .await?;
        inserted += created.len();
        let by_slug: HashMap<&str, &ArticleWithLinks> =
            chunk.iter().map(|i| (i.article.slug.as_str(), i)).collect();
        let mut links = LinkRows::default();
        for (id, slug) in &created {
            let Some(item) = by_slug.get(slug.as_str()) else {
                continue;
            };
            links.add(
                *id,
                item.article.published_at,
                &item.authors,
                &topic_closure(&item.topics, &parents),
                item.entities.iter().copied(),
            );
        }
        links.insert(conn).await?;
    }
    Ok(inserted)
}
