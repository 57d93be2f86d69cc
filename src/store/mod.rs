//! The data face: one module per resource, and `article_list`, the one query builder every
//! article list goes through. Nothing here knows about HTTP.

pub mod article_list;
pub mod article_write;
pub mod articles;
pub mod authors;
pub mod entities;
pub mod idempotency;
pub mod ingest;
pub mod keys;
pub mod links;
pub mod prepared;
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
