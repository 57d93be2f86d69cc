//! Hand-built SQL that diesel prepares once per connection and then reuses.
//!
//! diesel's `sql_query` marks itself unsafe to cache, so diesel-async parses and plans it anew on
//! every call: one extra round trip per statement. The hot read paths build their SQL by hand (a
//! labels CTE and per-filter branches that the DSL cannot express), so this type carries such SQL
//! with its values and lets diesel cache it by its text.
//!
//! diesel's statement cache never evicts, and each connection's PostgreSQL backend keeps a plan per
//! prepared statement. The text varies with the filters a request combines, so a client could
//! otherwise make every connection keep thousands of statements. Only the first
//! [`MAX_PREPARED_TEXTS`] distinct texts of the process are prepared; later ones still work, at the
//! cost of an extra round trip. The hot lists' few texts are among the first a server sees.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Float4, Integer, Text, Timestamptz, Untyped};

/// A value for a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    BigInt(i64),
    Int(i32),
    BigInts(Vec<i64>),
    Text(String),
    Texts(Vec<String>),
    Time(DateTime<Utc>),
    Real(f32),
}

/// How many distinct statement texts a server process prepares (see the module docs).
pub const MAX_PREPARED_TEXTS: usize = 128;

static PREPARED_TEXTS: LazyLock<TextAdmission> =
    LazyLock::new(|| TextAdmission::new(MAX_PREPARED_TEXTS));

/// The statement texts allowed into the connections' statement caches: the first `capacity`
/// distinct ones asked for, for the life of the process (a statement once cached stays cached).
#[derive(Debug)]
struct TextAdmission {
    capacity: usize,
    admitted: Mutex<HashSet<String>>,
}

impl TextAdmission {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            admitted: Mutex::new(HashSet::new()),
        }
    }

    /// Whether `sql` may be prepared and kept; admits it while there is room.
    fn admit(&self, sql: &str) -> bool {
        let mut admitted = self.admitted.lock().unwrap_or_else(PoisonError::into_inner);
        if admitted.contains(sql) {
            return true;
        }
        if admitted.len() >= self.capacity {
            return false;
        }
        admitted.insert(sql.to_owned());
        true
    }
}

/// SQL with `$1`, `$2`, … placeholders and their values, in order.
#[derive(Debug, Default)]
pub struct PreparedSql {
    sql: String,
    binds: Vec<Bind>,
    /// Whether diesel may keep the prepared statement for the next execution of the same text.
    cacheable: bool,
}

impl PreparedSql {
    pub fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Self {
        let sql = sql.into();
        let cacheable = PREPARED_TEXTS.admit(&sql);
        Self {
            sql,
            binds,
            cacheable,
        }
    }
}

impl QueryId for PreparedSql {
    type QueryId = ();
    // No static id: diesel keys its statement cache on the SQL text instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for PreparedSql {
    type SqlType = Untyped;
}

impl QueryFragment<Pg> for PreparedSql {
    /// Hands diesel the text between placeholders and each placeholder's value, so diesel numbers
    /// the parameters itself (a placeholder used twice is bound twice).
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let n: Option<usize> = rest[at + 1..at + 1 + digits].parse().ok();
            let Some(bind) = n.and_then(|n| self.binds.get(n.wrapping_sub(1))) else {
                out.push_sql(&rest[..at + 1 + digits]);
                rest = &rest[at + 1 + digits..];
                continue;
            };
            out.push_sql(&rest[..at]);
            match bind {
                Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::Int(v) => out.push_bind_param::<Integer, _>(v)?,
                Bind::BigInts(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Bind::Texts(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Bind::Time(v) => out.push_bind_param::<Timestamptz, _>(v)?,
                Bind::Real(v) => out.push_bind_param::<Float4, _>(v)?,
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::TextAdmission;

    #[test]
    fn admits_the_first_distinct_texts_and_keeps_admitting_them() {
        let admission = TextAdmission::new(2);
        assert!(admission.admit("SELECT 1"));
        assert!(admission.admit("SELECT 2"));
        assert!(
            admission.admit("SELECT 1"),
            "an admitted text stays admitted"
        );
        assert!(!admission.admit("SELECT 3"), "no room for a third text");
        assert!(admission.admit("SELECT 2"));
        assert!(!admission.admit("SELECT 3"));
    }
}
