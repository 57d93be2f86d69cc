//! The integration tests: the real app against a real PostgreSQL, one database per test.

mod articles;
mod authors;
mod cache;
mod cursors;
mod entities;
mod errors;
mod harness;
mod health;
mod import;
mod ingest;
mod openapi;
mod topics;
mod throwaway_pg;
mod writes;
