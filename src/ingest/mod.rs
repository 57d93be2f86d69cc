//! The write side: every article write, from every entry point (the HTTP handlers, `dateline
//! import`, `dateline relink`, the demo loader), goes through here. Validation, topic
//! resolution, entity linking, upsert and replace, and idempotency by content live in this layer;
//! the store below takes plain values.

pub mod articles;
pub mod demo;
pub mod error;
pub mod formats;
pub mod import;
pub mod input;
pub mod iptc;
pub mod linking;
pub mod relink;
