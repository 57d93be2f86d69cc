//! Related articles and related entities: what shares the most with an article or an entity.
//!
//! Both read bounded slices of the link indexes, whatever the size of the archive:
//! - an article's related articles are scored over candidates taken from the newest
//!   [`CANDIDATES_PER_LABEL`] articles of each of its entities and direct topics; each label
//!   weighs `ln(1 + RARITY_CAP / articles with it)`, the count read up to [`RARITY_CAP`], so
//!   rare labels count for more and every common one alike;
//! - an entity's related entities are counted over the newest [`ENTITY_SAMPLE`] articles that
//!   name it.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::article_sql::{
    ArticleKey, ArticleSummary, SUMMARY_COLUMNS, fetch_size, keyset_bound, labelled_sql, load_page,
};
use super::sql::{Bind, Sql};
use super::{ArticleId, EntityId};
use crate::vocab::{EntityKind, SortOrder};

/// How many of the newest articles of each shared entity or topic are candidates.
pub const CANDIDATES_PER_LABEL: u32 = 50;
/// Labels on more articles than this all weigh the same, the least.
pub const RARITY_CAP: u32 = 1_000;
/// How many of an entity's newest articles its related entities are counted over.
pub const ENTITY_SAMPLE: u32 = 500;

/// A page of the articles related to `article`, best first, after `after`.
pub async fn related_articles(
    conn: &mut AsyncPgConnection,
    article: ArticleId,
    after: Option<ArticleKey>,
    limit: u32,
) -> diesel::QueryResult<(Vec<ArticleSummary>, Option<ArticleKey>)> {
    let statement = labelled_sql(
        related_rows_sql(article, after, fetch_size(limit) + 1),
        "p.rank DESC, p.published_at DESC, p.id DESC",
        None,
    );
    load_page(conn, statement.into_query(), limit).await
}

/// The rows of related articles: the labels of `article` with their weights, the candidates
/// each brings, scored by the sum of the weights of the labels they share, ties to the newer.
fn related_rows_sql(article: ArticleId, after: Option<ArticleKey>, fetch: u32) -> Sql {
    let mut sql = Sql::new(
        "WITH l AS (SELECT 'entity' AS kind, entity_id AS label FROM article_entities WHERE article_id = ",
    );
    sql.bind(Bind::BigInt(article.0))
        .push(
            " UNION ALL SELECT 'topic', topic_id::int8 FROM article_topics WHERE article_id = ",
        )
        .bind(Bind::BigInt(article.0))
        .push(&format!(
            " AND direct), \
             w AS (SELECT l.kind, l.label, ln(1 + {RARITY_CAP}.0 / greatest(1, CASE l.kind \
                     WHEN 'entity' THEN (SELECT count(*) FROM (SELECT 1 FROM article_entities x \
                                         WHERE x.entity_id = l.label LIMIT {RARITY_CAP}) n) \
                     ELSE (SELECT count(*) FROM (SELECT 1 FROM article_topics x \
                           WHERE x.topic_id = l.label::int4 LIMIT {RARITY_CAP}) n) END)) AS weight FROM l), \
             c AS (SELECT x.article_id, w.weight FROM w CROSS JOIN LATERAL \
                     (SELECT y.article_id FROM article_entities y WHERE w.kind = 'entity' AND y.entity_id = w.label \
                       ORDER BY y.published_at DESC, y.article_id DESC LIMIT {CANDIDATES_PER_LABEL}) x \
                   UNION ALL \
                   SELECT x.article_id, w.weight FROM w CROSS JOIN LATERAL \
                     (SELECT y.article_id FROM article_topics y WHERE w.kind = 'topic' AND y.topic_id = w.label::int4 \
                       ORDER BY y.published_at DESC, y.article_id DESC LIMIT {CANDIDATES_PER_LABEL}) x), \
             s AS (SELECT c.article_id, sum(c.weight)::real AS rank FROM c WHERE c.article_id <> "
        ))
        .bind(Bind::BigInt(article.0))
        .push(&format!(
            " GROUP BY c.article_id) \
             SELECT {SUMMARY_COLUMNS}, s.rank FROM s JOIN articles a ON a.id = s.article_id \
              WHERE a.pub_status = 'usable'"
        ));
    if let Some(key) = after {
        sql.push(" AND ").append(keyset_bound(
            SortOrder::Relevance,
            key,
            "a.published_at",
            "a.id",
            Sql::new("s.rank"),
        ));
    }
    sql.push(&format!(
        " ORDER BY s.rank DESC, a.published_at DESC, a.id DESC LIMIT {fetch}"
    ));
    sql
}

/// An entity named in the same articles as another, and in how many of them.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct RelatedEntity {
    #[diesel(sql_type = BigInt)]
    pub id: EntityId,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub kind: EntityKind,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Where a page of related entities starts: after this count and entity id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RelatedEntityKey {
    pub count: i64,
    pub id: i64,
}

/// More than `limit` entities (when there are) most often named with `entity`, most first, ties
/// to the older entity (the smaller id), after `after`.
pub async fn related_entities(
    conn: &mut AsyncPgConnection,
    entity: EntityId,
    after: Option<&RelatedEntityKey>,
    limit: u32,
) -> diesel::QueryResult<Vec<RelatedEntity>> {
    related_entities_sql(entity, after, fetch_size(limit) + 1)
        .into_query()
        .load(conn)
        .await
}

/// Counts, ranks and cuts on entity ids, then names the page's entities: the names of the
/// thousands of entities an entity's articles name are never read.
fn related_entities_sql(entity: EntityId, after: Option<&RelatedEntityKey>, fetch: u32) -> Sql {
    let mut sql = Sql::new(
        "SELECT e.id, e.slug, e.name, e.kind, c.count FROM \
           (SELECT x.entity_id, count(*) AS count FROM \
              (SELECT d.article_id FROM article_entities d JOIN articles a ON a.id = d.article_id \
                WHERE a.pub_status = 'usable' AND d.entity_id = ",
    );
    sql.bind(Bind::BigInt(entity.0)).push(&format!(
        " ORDER BY d.published_at DESC, d.article_id DESC LIMIT {ENTITY_SAMPLE}) s \
              JOIN article_entities x ON x.article_id = s.article_id AND x.entity_id <> "
    ));
    sql.bind(Bind::BigInt(entity.0))
        .push(" GROUP BY x.entity_id");
    if let Some(key) = after {
        sql.push(" HAVING (count(*), -x.entity_id) < (")
            .bind(Bind::BigInt(key.count))
            .push(", ")
            .bind(Bind::BigInt(-key.id))
            .push(")");
    }
    sql.push(&format!(
        " ORDER BY count(*) DESC, x.entity_id LIMIT {fetch}) c \
         JOIN entities e ON e.id = c.entity_id ORDER BY c.count DESC, e.id"
    ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_articles_read_bounded_slices_of_each_label_and_never_the_article_itself() {
        let text = related_rows_sql(ArticleId(7), None, 21).text();
        assert!(text.starts_with(
            "WITH l AS (SELECT 'entity' AS kind, entity_id AS label FROM article_entities WHERE article_id = $1 \
             UNION ALL SELECT 'topic', topic_id::int8 FROM article_topics WHERE article_id = $2 AND direct)"
        ), "{text}");
        assert_eq!(text.matches("LIMIT 1000) n)").count(), 2, "{text}");
        assert_eq!(text.matches("LIMIT 50) x").count(), 2, "{text}");
        assert!(text.contains("WHERE c.article_id <> $3 GROUP BY"), "{text}");
        assert!(text.ends_with(
            "WHERE a.pub_status = 'usable' ORDER BY s.rank DESC, a.published_at DESC, a.id DESC LIMIT 21"
        ), "{text}");
        let next = related_rows_sql(
            ArticleId(7),
            Some(ArticleKey {
                t: 0,
                id: 9,
                r: Some(1.5),
            }),
            21,
        )
        .text();
        assert!(
            next.contains("'usable' AND (s.rank, a.published_at, a.id) < ($4, $5, $6) ORDER BY"),
            "{next}"
        );
    }

    #[test]
    fn related_entities_count_a_bounded_sample_and_page_by_count_then_id() {
        let key = RelatedEntityKey { count: 4, id: 17 };
        let text = related_entities_sql(EntityId(3), Some(&key), 21).text();
        assert!(
            text.contains(
                "AND d.entity_id = $1 ORDER BY d.published_at DESC, d.article_id DESC LIMIT 500) s"
            ),
            "{text}"
        );
        assert!(text.contains("x.entity_id <> $2 GROUP BY"), "{text}");
        assert!(
            text.ends_with(
                "GROUP BY x.entity_id HAVING (count(*), -x.entity_id) < ($3, $4) \
                 ORDER BY count(*) DESC, x.entity_id LIMIT 21) c JOIN entities e ON e.id = c.entity_id ORDER BY c.count DESC, e.id"
            ),
            "{text}"
        );
    }
}
