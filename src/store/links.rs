//! The rows that file articles under their authors, topics and entities, written in one insert
//! per table however many articles they cover. Every write path goes through here.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{ArticleId, AuthorId, EntityId, TopicId};
use crate::schema::{article_authors, article_entities, article_topics};
use crate::vocab::EntityRel;

#[derive(Debug, Default)]
pub struct LinkRows {
    authors: Vec<(i64, i64, i16, DateTime<Utc>)>,
    topics: Vec<(i64, i32, bool, DateTime<Utc>)>,
    entities: Vec<(i64, i64, i32, EntityRel, DateTime<Utc>)>,
}

impl LinkRows {
    /// Adds an article's links: authors in byline order (repeats dropped), topics with whether
    /// they are direct, and entities with their mention count and `rel`. `at` is the article's
    /// `published_at`, the sort key every join table carries.
    pub fn add(
        &mut self,
        article: ArticleId,
        at: DateTime<Utc>,
        authors: &[AuthorId],
        topics: &[(TopicId, bool)],
        entities: impl IntoIterator<Item = (EntityId, i32, EntityRel)>,
    ) {
        let mut seen = HashSet::new();
        for (position, author) in authors.iter().filter(|a| seen.insert(**a)).enumerate() {
            let position = i16::try_from(position).unwrap_or(i16::MAX);
            self.authors.push((article.0, author.0, position, at));
        }
        self.topics.extend(
            topics
                .iter()
                .map(|(t, direct)| (article.0, t.0, *direct, at)),
        );
        self.entities.extend(
            entities
                .into_iter()
                .map(|(e, n, rel)| (article.0, e.0, n, rel, at)),
        );
    }

    pub async fn insert(self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        if !self.authors.is_empty() {
            let rows: Vec<_> = self
                .authors
                .into_iter()
                .map(|(article, author, position, at)| {
                    (
                        article_authors::article_id.eq(article),
                        article_authors::author_id.eq(author),
                        article_authors::position.eq(position),
                        article_authors::published_at.eq(at),
                    )
                })
                .collect();
            diesel::insert_into(article_authors::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        if !self.topics.is_empty() {
            let rows: Vec<_> = self
                .topics
                .into_iter()
                .map(|(article, topic, direct, at)| {
                    (
                        article_topics::article_id.eq(article),
                        article_topics::topic_id.eq(topic),
                        article_topics::direct.eq(direct),
                        article_topics::published_at.eq(at),
                    )
                })
                .collect();
            diesel::insert_into(article_topics::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        if !self.entities.is_empty() {
            let rows: Vec<_> = self
                .entities
                .into_iter()
                .map(|(article, entity, mentions, rel, at)| {
                    (
                        article_entities::article_id.eq(article),
                        article_entities::entity_id.eq(entity),
                        article_entities::mentions.eq(mentions),
                        article_entities::rel.eq(rel),
                        article_entities::published_at.eq(at),
                    )
                })
                .collect();
            diesel::insert_into(article_entities::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}
