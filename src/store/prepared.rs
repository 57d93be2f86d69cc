//! Hand-built SQL that diesel prepares once per connection and then reuses.
//!
//! diesel's `sql_query` marks itself unsafe to cache, so diesel-async parses and plans it anew on
//! every call: one extra round trip per statement. The hot read paths build their SQL by hand (a
//! lateral join and per-filter branches that the DSL cannot express), and their text depends only
//! on which filters are set, so caching it by text is safe and bounded. This type carries such SQL
//! with its values, and lets diesel cache it by its text.

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

/// SQL with `$1`, `$2`, … placeholders and their values, in order.
#[derive(Debug, Default)]
pub struct PreparedSql {
    sql: String,
    binds: Vec<Bind>,
}

impl PreparedSql {
    pub fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Self {
        Self {
            sql: sql.into(),
            binds,
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
