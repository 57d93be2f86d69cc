//! What the in-process search index (`search_index`) reads: each article's search vector as
//! PostgreSQL made it, and a query as PostgreSQL parses it, with the change feed's position at
//! the same instant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::ArticleId;
use super::changes::ChangeSeq;
use super::search::Search;
use super::sql::{Bind, Sql};

/// An article as the search index holds it.
#[derive(Debug, Clone, QueryableByName)]
pub struct SearchVectorRow {
    #[diesel(sql_type = BigInt)]
    pub id: ArticleId,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub language: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub source: Option<String>,
    /// Whether lists show it (`pub_status = 'usable'`).
    #[diesel(sql_type = Bool)]
    pub usable: bool,
    /// The `search` column's text form: `'lexem':1A,5 …`.
    #[diesel(sql_type = Text)]
    pub vector: String,
}

const COLUMNS: &str = "id, published_at, language, source, pub_status = 'usable' AS usable, search::text AS vector FROM articles";

/// The listed articles with an id above `after`, `limit` of them in id order: how the index is
/// first filled, a batch at a time.
pub async fn usable_vectors_after(
    conn: &mut AsyncPgConnection,
    after: ArticleId,
    limit: u32,
) -> diesel::QueryResult<Vec<SearchVectorRow>> {
    usable_vectors_sql(after, limit)
        .into_query()
        .load(conn)
        .await
}

fn usable_vectors_sql(after: ArticleId, limit: u32) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} WHERE pub_status = 'usable' AND id > "
    ));
    sql.bind(Bind::BigInt(after.0))
        .push(&format!(" ORDER BY id LIMIT {limit}"));
    sql
}

/// These articles as they are now, listed or not; an id with no row is not returned.
pub async fn vectors_of(
    conn: &mut AsyncPgConnection,
    ids: &[ArticleId],
) -> diesel::QueryResult<Vec<SearchVectorRow>> {
    vectors_of_sql(ids).into_query().load(conn).await
}

fn vectors_of_sql(ids: &[ArticleId]) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} WHERE id = ANY("));
    sql.bind(Bind::BigInts(ids.iter().map(|id| id.0).collect()))
        .push(")");
    sql
}

#[derive(QueryableByName)]
struct BonusRow {
    #[diesel(sql_type = BigInt)]
    id: ArticleId,
    #[diesel(sql_type = diesel::sql_types::Double)]
    bonus: f64,
}

/// What `entities` (a query's named ones) add to the score of each of `ids` (`Search::score`);
/// none for an article that links none of them, and no round trip when there are none.
pub async fn entity_bonuses(
    conn: &mut AsyncPgConnection,
    ids: &[ArticleId],
    entities: &[i64],
) -> diesel::QueryResult<HashMap<ArticleId, f64>> {
    if entities.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<BonusRow> = Search::entity_bonus(ids, entities)
        .into_query()
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.bonus)).collect())
}

/// A query as PostgreSQL reads it, and the change feed's newest position when it was read.
#[derive(Debug, QueryableByName)]
pub struct ParsedSearch {
    /// The newest change committed (0 for none): an index that has applied exactly this much
    /// answers as the database would.
    #[diesel(sql_type = BigInt)]
    pub seq: ChangeSeq,
    /// The `tsquery`'s text form.
    #[diesel(sql_type = Text)]
    pub tsquery: String,
    /// The entities the query names (`Search::named_entity_ids`).
    #[diesel(sql_type = diesel::sql_types::Array<BigInt>)]
    pub entity_ids: Vec<i64>,
}

/// Parses `search` as a list's statement would, in one round trip with the feed's position;
/// with the entities it names only when it is `ranked` (only relevance scores them).
pub async fn parse_search(
    conn: &mut AsyncPgConnection,
    search: Search<'_>,
    ranked: bool,
) -> diesel::QueryResult<ParsedSearch> {
    parse_search_sql(search, ranked)
        .into_query()
        .get_result(conn)
        .await
}

fn parse_search_sql(search: Search<'_>, ranked: bool) -> Sql {
    let mut sql = Sql::new("SELECT coalesce((SELECT max(seq) FROM article_changes), 0) AS seq, (");
    sql.append(search.tsquery()).push(")::text AS tsquery, ");
    if ranked {
        sql.append(search.named_entity_ids());
    } else {
        sql.push("'{}'::int8[]");
    }
    sql.push(" AS entity_ids");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_reads_vectors_by_id_and_a_query_with_the_feeds_position() {
        assert_eq!(
            usable_vectors_sql(ArticleId(7), 500).text(),
            format!(
                "SELECT {COLUMNS} WHERE pub_status = 'usable' AND id > $1 ORDER BY id LIMIT 500"
            )
        );
        assert_eq!(
            vectors_of_sql(&[ArticleId(1), ArticleId(2)]).text(),
            format!("SELECT {COLUMNS} WHERE id = ANY($1)")
        );
        let search = Search {
            query: "Blinken NATO",
            language: None,
        };
        assert_eq!(
            parse_search_sql(search, true).text(),
            "SELECT coalesce((SELECT max(seq) FROM article_changes), 0) AS seq, \
             (websearch_to_tsquery('english', search_text($1)))::text AS tsquery, \
             ARRAY(SELECT e.id FROM entities e WHERE entity_search_forms(e.name, e.aliases) && $2) \
             AS entity_ids"
        );
        let negated = Search {
            query: "-nato",
            language: None,
        };
        assert!(
            parse_search_sql(negated, true)
                .text()
                .ends_with("'{}'::int8[] AS entity_ids")
        );
        let newest = parse_search_sql(
            Search {
                query: "nato",
                language: None,
            },
            false,
        );
        assert!(
            newest
                .text()
                .ends_with("::text AS tsquery, '{}'::int8[] AS entity_ids"),
            "newest first reads no entities"
        );
    }
}
