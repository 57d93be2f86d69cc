//! Topics: a hierarchy mapped to IPTC Media Topics.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use std::collections::{HashMap, HashSet};

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

/// The ids of the topics with these IPTC Media Topic codes; fewer come back when some are unknown.
pub async fn topic_ids_by_code(
    conn: &mut AsyncPgConnection,
    codes: &[String],
) -> QueryResult<Vec<(TopicId, String)>> {
    topics::table
        .filter(topics::iptc_code.eq_any(codes))
        .select((topics::id, topics::iptc_code.assume_not_null()))
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

/// A topic's fields as written; `parent_id` already resolved.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = topics, treat_none_as_null = true)]
pub struct TopicFields {
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i32>,
    pub iptc_code: Option<String>,
}

pub async fn create_topic(
    conn: &mut AsyncPgConnection,
    slug: &str,
    fields: &TopicFields,
) -> QueryResult<TopicId> {
    diesel::insert_into(topics::table)
        .values((topics::slug.eq(slug), fields))
        .returning(topics::id)
        .get_result(conn)
        .await
}

/// Updates a topic; when its parent changes, the topic closure of every article filed under it is
/// rebuilt in the same transaction. Returns `None` for an unknown slug.
pub async fn update_topic(
    conn: &mut AsyncPgConnection,
    slug: &str,
    fields: &TopicFields,
) -> QueryResult<Option<TopicId>> {
    use diesel_async::AsyncConnection;
    let fields = fields.clone();
    let slug = slug.to_owned();
    conn.transaction(async |conn| {
        let Some((id, old_parent)) = topics::table
            .filter(topics::slug.eq(&slug))
            .select((topics::id, topics::parent_id))
            .for_update()
            .first::<(TopicId, Option<i32>)>(conn)
            .await
            .optional()?
        else {
            return Ok(None);
        };
        diesel::update(topics::table.find(id.0))
            .set((&fields, topics::updated_at.eq(diesel::dsl::now)))
            .execute(conn)
            .await?;
        if old_parent != fields.parent_id {
            rebuild_closure_under(conn, id).await?;
        }
        Ok(Some(id))
    })
    .await
}

/// Re-derives the ancestor rows of every article filed under `topic`.
async fn rebuild_closure_under(conn: &mut AsyncPgConnection, topic: TopicId) -> QueryResult<()> {
    let affected = "SELECT article_id FROM article_topics WHERE topic_id = $1";
    diesel::sql_query(format!(
        "DELETE FROM article_topics WHERE NOT direct AND article_id IN ({affected})"
    ))
    .bind::<diesel::sql_types::Integer, _>(topic.0)
    .execute(conn)
    .await?;
    diesel::sql_query(format!(
        "INSERT INTO article_topics (article_id, topic_id, direct, published_at) \
         WITH RECURSIVE up (article_id, topic_id, published_at) AS ( \
             SELECT at.article_id, t.parent_id, at.published_at FROM article_topics at JOIN topics t ON t.id = at.topic_id \
             WHERE at.direct AND t.parent_id IS NOT NULL AND at.article_id IN ({affected}) \
             UNION \
             SELECT up.article_id, t.parent_id, up.published_at FROM up JOIN topics t ON t.id = up.topic_id \
             WHERE t.parent_id IS NOT NULL) \
         SELECT DISTINCT article_id, topic_id, false, published_at FROM up ON CONFLICT DO NOTHING"
    ))
    .bind::<diesel::sql_types::Integer, _>(topic.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `candidate` is `topic` or one of its descendants: such a parent would make a cycle.
pub async fn is_in_subtree(
    conn: &mut AsyncPgConnection,
    topic: TopicId,
    candidate: TopicId,
) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let row: Found = diesel::sql_query(
        "WITH RECURSIVE up (id) AS (SELECT $2::int4 UNION SELECT t.parent_id FROM topics t JOIN up ON t.id = up.id WHERE t.parent_id IS NOT NULL) \
         SELECT EXISTS (SELECT 1 FROM up WHERE id = $1) AS found",
    )
    .bind::<diesel::sql_types::Integer, _>(topic.0)
    .bind::<diesel::sql_types::Integer, _>(candidate.0)
    .get_result(conn)
    .await?;
    Ok(row.found)
}

/// Deletes a topic with no children and no articles (else a foreign-key violation, 409).
pub async fn delete_topic(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<usize> {
    diesel::delete(topics::table.filter(topics::slug.eq(slug)))
        .execute(conn)
        .await
}

/// Every topic's parent.
pub async fn topic_parents(
    conn: &mut AsyncPgConnection,
) -> QueryResult<HashMap<TopicId, Option<TopicId>>> {
    let rows: Vec<(TopicId, Option<i32>)> = topics::table
        .select((topics::id, topics::parent_id))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, parent_id)| (id, parent_id.map(TopicId)))
        .collect())
}

/// The direct topics (`true`) and all their ancestors (`false`), each once; direct wins.
pub fn topic_closure(
    direct: &[TopicId],
    parents: &HashMap<TopicId, Option<TopicId>>,
) -> Vec<(TopicId, bool)> {
    let mut out: Vec<(TopicId, bool)> = direct.iter().map(|t| (*t, true)).collect();
    let mut seen: HashSet<TopicId> = direct.iter().copied().collect();
    for topic in direct {
        let mut current = parents.get(topic).copied().flatten();
        // The hierarchy is a tree; the bound only guards against a cycle written by hand.
        for _ in 0..64 {
            let Some(ancestor) = current else { break };
            if seen.insert(ancestor) {
                out.push((ancestor, false));
            }
            current = parents.get(&ancestor).copied().flatten();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_adds_ancestors_once_and_keeps_direct_tags_direct() {
        // politics(1) <- international-relations(2) <- diplomacy(3); politics <- government(4)
        let parents = HashMap::from([
            (TopicId(1), None),
            (TopicId(2), Some(TopicId(1))),
            (TopicId(3), Some(TopicId(2))),
            (TopicId(4), Some(TopicId(1))),
        ]);
        let mut closure = topic_closure(&[TopicId(3), TopicId(2), TopicId(4)], &parents);
        closure.sort_by_key(|(t, _)| t.0);
        assert_eq!(
            closure,
            vec![
                (TopicId(1), false),
                (TopicId(2), true),
                (TopicId(3), true),
                (TopicId(4), true)
            ]
        );
    }
}
