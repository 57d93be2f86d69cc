//! Topics: a hierarchy mapped to IPTC Media Topics.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::TopicId;
use crate::schema::topics;

#[derive(Debug, Clone, Queryable)]
pub struct TopicRow {
    pub id: TopicId,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub iptc_code: Option<String>,
    pub parent_slug: Option<String>,
}

diesel::alias!(topics as parent: ParentTopic);

macro_rules! topic_columns {
    () => {
        (
            topics::id,
            topics::slug,
            topics::name,
            topics::description,
            topics::iptc_code,
            parent.field(topics::slug).nullable(),
        )
    };
}

pub async fn find_topic(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<TopicRow>> {
    topics::table
        .left_join(parent.on(topics::parent_id.eq(parent.field(topics::id).nullable())))
        .filter(topics::slug.eq(slug))
        .select(topic_columns!())
        .first(conn)
        .await
        .optional()
}

/// The direct children of a topic, by name.
pub async fn children(
    conn: &mut AsyncPgConnection,
    id: TopicId,
) -> QueryResult<Vec<(String, String)>> {
    topics::table
        .filter(topics::parent_id.eq(id.0))
        .order(topics::name.asc())
        .select((topics::slug, topics::name))
        .load(conn)
        .await
}

/// The ids of these slugs; fewer come back when some are unknown.
pub async fn topic_ids(
    conn: &mut AsyncPgConnection,
    slugs: &[String],
) -> QueryResult<Vec<(TopicId, String)>> {
    topics::table
        .filter(topics::slug.eq_any(slugs))
        .select((topics::id, topics::slug))
        .load(conn)
        .await
}

/// Where a topic list is restricted to one parent.
pub enum ParentFilter {
    Any,
    /// Only top-level topics.
    Root,
    Id(TopicId),
}

/// Topics in slug order after `after_slug`, `limit + 1` of them.
pub async fn list_topics(
    conn: &mut AsyncPgConnection,
    parent_filter: ParentFilter,
    after_slug: Option<&str>,
    limit: u32,
) -> QueryResult<Vec<TopicRow>> {
    let mut query = topics::table
        .left_join(parent.on(topics::parent_id.eq(parent.field(topics::id).nullable())))
        .select(topic_columns!())
        .order(topics::slug.asc())
        .limit(i64::from(limit) + 1)
        .into_boxed();
    match parent_filter {
        ParentFilter::Any => {}
        ParentFilter::Root => query = query.filter(topics::parent_id.is_null()),
        ParentFilter::Id(id) => query = query.filter(topics::parent_id.eq(id.0)),
    }
    if let Some(slug) = after_slug {
        query = query.filter(topics::slug.gt(slug.to_owned()));
    }
    query.load(conn).await
}

/// A topic from the IPTC vocabulary.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = topics)]
pub struct IptcTopic {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub iptc_code: String,
}

pub async fn all_slugs(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    topics::table.select(topics::slug).load(conn).await
}

pub async fn iptc_codes(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    topics::table
        .filter(topics::iptc_code.is_not_null())
        .select(topics::iptc_code.assume_not_null())
        .load(conn)
        .await
}

/// Inserts topics whose code is new; returns how many.
pub async fn insert_iptc_topics(
    conn: &mut AsyncPgConnection,
    new: &[IptcTopic],
) -> QueryResult<usize> {
    let mut added = 0;
    for chunk in new.chunks(500) {
        added += diesel::insert_into(topics::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(added)
}

/// Sets the parent of each (code, parent code) pair where the topic has none; returns how many.
pub async fn link_iptc_parents(
    conn: &mut AsyncPgConnection,
    pairs: &[(String, String)],
) -> QueryResult<usize> {
    let mut linked = 0;
    for (code, parent_code) in pairs {
        linked += diesel::sql_query(
            "UPDATE topics SET parent_id = p.id FROM topics p \
             WHERE topics.iptc_code = $1 AND p.iptc_code = $2 AND topics.parent_id IS NULL AND p.id <> topics.id",
        )
        .bind::<diesel::sql_types::Text, _>(code)
        .bind::<diesel::sql_types::Text, _>(parent_code)
        .execute(conn)
        .await?;
    }
    Ok(linked)
}
