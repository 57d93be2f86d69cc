//! The integration tests: the real app against a real PostgreSQL, one database per test.

mod articles;
mod authors;
mod cache;
mod changes;
mod cursors;
mod discovery;
mod entities;
mod errors;
mod facets;
mod feeds;
mod fields;
mod formats;
mod hardening;
mod harness;
mod health;
mod http;
mod import;
mod ingest;
mod layers;
mod media;
mod openapi;
mod related;
mod search;
mod throwaway_pg;
mod topics;
mod writes;
