//! dateline: a REST JSON API for news metadata.
//!
//! The layers, each importing only those below it (`docs/architecture.md`):
//! - the application: [`cli`], [`config`], [`startup`], [`openapi`];
//! - HTTP: [`api`];
//! - writes and reads: [`ingest`], [`queries`];
//! - the search index the reads find matches in: [`search_index`];
//! - the data: [`store`];
//! - the base: [`db`], [`schema`], [`vocab`], [`text`], [`local_pg`].

pub mod allocator;
pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod ingest;
pub mod local_pg;
pub mod media;
pub mod openapi;
pub mod queries;
pub mod schema;
pub mod search_index;
pub mod startup;
pub mod store;
pub mod text;
pub mod vocab;
