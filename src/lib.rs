//! dateline: a REST JSON API for news metadata.

pub mod api;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod import;
pub mod iptc;
pub mod linking;
pub mod local_pg;
pub mod openapi;
pub mod pagination;
pub mod relink;
pub mod schema;
pub mod startup;
pub mod store;
