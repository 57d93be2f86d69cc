//! The data face: one module per resource, and `article_sql`, the one query builder every
//! article list goes through. It takes and returns plain values, and imports nothing above it:
//! nothing here knows about HTTP, validation or entity linking.

pub mod article_sql;
pub mod article_write;
pub mod articles;
pub mod authors;
pub mod bulk;
pub mod changes;
pub mod entities;
pub mod facets;
pub mod idempotency;
pub mod json;
pub mod keys;
pub mod links;
pub mod related;
pub mod search;
pub mod search_vectors;
pub mod sql;
pub mod topics;

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
pub struct ArticleId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DieselNewType)]
pub struct AuthorId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DieselNewType)]
pub struct EntityId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DieselNewType, Serialize)]
pub struct TopicId(pub i32);

/// Cuts a keyset fetch of `limit + 1` rows to `limit`, and gives the key of the last row kept
/// when the extra row says there is more: every list pages this way.
pub fn more_after<T, K>(rows: &mut Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Option<K> {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(key)
    } else {
        None
    }
}

/// Escapes LIKE wildcards so a user's prefix matches literally.
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Whether an error means the database is unavailable (a lost connection, the statement timeout)
/// rather than that the request was wrong: such a request may succeed when retried.
pub fn is_unavailable(err: &diesel::result::Error) -> bool {
    use crate::db::ConnectionLoss;
    use diesel::result::Error;
    match err {
        _ if err.connection_lost() => true,
        Error::DatabaseError(_, info) => info.message().contains("statement timeout"),
        _ => false,
    }
}
