//! Hand-built SQL: text and bind values written together, then prepared once per connection.
//!
//! [`Sql`] is a fragment: the text between placeholders and each placeholder's value, in order,
//! so that diesel numbers the parameters itself when it walks the query (`push_sql` /
//! `push_bind_param`); nothing is ever re-scanned for `$`. Fragments compose ([`Sql::append`],
//! [`Sql::join`]), and [`Sql::text`] renders the statement as PostgreSQL receives it, which the
//! unit tests pin.
//!
//! diesel's `sql_query` marks itself unsafe to cache, so diesel-async would parse and plan it
//! anew on every call: one extra round trip per statement. [`Sql`] lets diesel cache the
//! statement by its text. diesel's statement cache never evicts, and each connection's
//! PostgreSQL backend keeps a plan per prepared statement; the text varies with the filters a
//! request combines, so a client could make every connection keep thousands of statements. Only
//! the first [`MAX_PREPARED_TEXTS`] distinct texts of the process are prepared; later ones still
//! work, at the cost of an extra round trip. The hot lists' few texts are among the first a
//! server sees.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Float4, Integer, Text, Timestamptz, Untyped};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use crate::db::{CUSTOM_PLANS, GENERIC_PLANS};

/// A value for a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    BigInt(i64),
    Int(i32),
    BigInts(Vec<i64>),
    Text(String),
    Texts(Vec<String>),
    Time(DateTime<Utc>),
    Real(f32),
    Reals(Vec<f32>),
}

/// SQL text with its bind values in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    /// The text before each bind value, and after the last: always one more than `binds`.
    parts: Vec<String>,
    binds: Vec<Bind>,
}

impl Default for Sql {
    fn default() -> Self {
        Self {
            parts: vec![String::new()],
            binds: Vec::new(),
        }
    }
}

impl Sql {
    /// A fragment of plain text.
    pub fn new(text: &str) -> Self {
        let mut sql = Self::default();
        sql.push(text);
        sql
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        if let Some(last) = self.parts.last_mut() {
            last.push_str(text);
        }
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.parts.push(String::new());
        self
    }

    /// Appends another fragment, its binds after this one's.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        let mut parts = other.parts.into_iter();
        if let Some(first) = parts.next() {
            self.push(&first);
        }
        self.parts.extend(parts);
        self.binds.extend(other.binds);
        self
    }

    /// The fragments one after the other, `separator` between them.
    pub fn join(fragments: impl IntoIterator<Item = Sql>, separator: &str) -> Sql {
        let mut joined = Sql::default();
        for (i, fragment) in fragments.into_iter().enumerate() {
            if i > 0 {
                joined.push(separator);
            }
            joined.append(fragment);
        }
        joined
    }

    /// The statement as PostgreSQL receives it: placeholders numbered `$1`, `$2`, … in order.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                let _ = write!(text, "${i}");
            }
            text.push_str(part);
        }
        text
    }

    pub fn binds(&self) -> &[Bind] {
        &self.binds
    }

    /// The statement, ready to run; prepared and kept per connection while the process has
    /// room for its text (see the module docs).
    pub fn into_query(self) -> PreparedSql {
        let cacheable = PREPARED_TEXTS.admit(&self.text());
        PreparedSql {
            sql: self,
            cacheable,
        }
    }
}

/// Runs `run` with statements planned for the values bound ([`CUSTOM_PLANS`]), then puts the
/// connection back to generic plans, whatever `run` returned: two short round trips, for the
/// statements whose plan depends on their values (full-text searches).
pub async fn with_custom_plans<T>(
    conn: &mut AsyncPgConnection,
    run: impl AsyncFnOnce(&mut AsyncPgConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.batch_execute(CUSTOM_PLANS).await?;
    let result = run(conn).await;
    conn.batch_execute(GENERIC_PLANS).await?;
    result
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

/// A statement to run: [`Sql`] and whether diesel may keep it prepared.
#[derive(Debug)]
pub struct PreparedSql {
    sql: Sql,
    cacheable: bool,
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
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        let mut binds = self.sql.binds.iter();
        for (i, part) in self.sql.parts.iter().enumerate() {
            if i > 0 {
                match binds.next() {
                    Some(Bind::BigInt(v)) => out.push_bind_param::<BigInt, _>(v)?,
                    Some(Bind::Int(v)) => out.push_bind_param::<Integer, _>(v)?,
                    Some(Bind::BigInts(v)) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                    Some(Bind::Text(v)) => out.push_bind_param::<Text, _>(v)?,
                    Some(Bind::Texts(v)) => out.push_bind_param::<Array<Text>, _>(v)?,
                    Some(Bind::Time(v)) => out.push_bind_param::<Timestamptz, _>(v)?,
                    Some(Bind::Real(v)) => out.push_bind_param::<Float4, _>(v)?,
                    Some(Bind::Reals(v)) => out.push_bind_param::<Array<Float4>, _>(v)?,
                    None => {}
                }
            }
            out.push_sql(part);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn fragments_number_their_placeholders_in_order_when_joined() {
        let mut a = Sql::new("x = ");
        a.bind(Bind::Int(1));
        let mut b = Sql::new("y = ANY(");
        b.bind(Bind::Texts(vec!["t".to_owned()])).push(")");
        let mut sql = Sql::new("SELECT 1 WHERE ");
        sql.append(Sql::join([a, b, Sql::new("true")], " AND "));
        assert_eq!(sql.text(), "SELECT 1 WHERE x = $1 AND y = ANY($2) AND true");
        assert_eq!(
            sql.binds(),
            &[Bind::Int(1), Bind::Texts(vec!["t".to_owned()])]
        );
    }

    #[test]
    fn the_rendered_text_is_what_diesel_sends() {
        let mut sql = Sql::new("SELECT ");
        sql.bind(Bind::BigInt(7))
            .push("::int8 + ")
            .bind(Bind::BigInt(8));
        let query = sql.clone().into_query();
        let debug = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(debug.starts_with(&sql.text()), "{debug}");
    }
}
