//! The change feed: every create, update and withdrawal of an article, in commit order. The rows
//! are written by the database itself (a deferred trigger, see the migration
//! `article_changes`), so every writer is in the feed; this module only reads them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::ArticleId;
use crate::schema::article_changes;
use crate::vocab::ChangeKind;

/// The position of a change in the feed: later changes have larger ones.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    diesel_derive_newtype::DieselNewType,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct ChangeSeq(pub i64);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_changes, check_for_backend(diesel::pg::Pg))]
pub struct ChangeRow {
    pub seq: ChangeSeq,
    pub article_id: ArticleId,
    pub slug: String,
    pub change: ChangeKind,
    pub version: i32,
    pub changed_at: DateTime<Utc>,
}

/// The changes after `after`, oldest first, `limit + 1` of them so the caller can tell whether
/// there are more.
pub async fn changes_after(
    conn: &mut AsyncPgConnection,
    after: ChangeSeq,
    limit: u32,
) -> QueryResult<Vec<ChangeRow>> {
    article_changes::table
        .filter(article_changes::seq.gt(after))
        .order(article_changes::seq.asc())
        .limit(i64::from(limit) + 1)
        .select(ChangeRow::as_select())
        .load(conn)
        .await
}

/// The position of the newest change, or 0 when there is none: where a client that wants only
/// what happens from now on starts.
pub async fn latest_seq(conn: &mut AsyncPgConnection) -> QueryResult<ChangeSeq> {
    article_changes::table
        .select(diesel::dsl::max(article_changes::seq))
        .first::<Option<ChangeSeq>>(conn)
        .await
        .map(|seq| seq.unwrap_or(ChangeSeq(0)))
}
