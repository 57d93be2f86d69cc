//! The read side: what a list or a read asks for, parsed and checked once, then answered through
//! the store. Nothing here knows about HTTP: errors are [`error::QueryError`]s, which the HTTP
//! layer answers as problem documents.

pub mod article;
pub mod article_list;
pub mod cursor;
pub mod error;
pub mod facets;
pub mod params;
pub mod related;
