//! One article with everything about it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::ArticleId;
use super::json::StoredJson;
use crate::media::{Image, Media};
use crate::schema::{article_entities, articles, entities};
use crate::vocab::{EntityKind, EntityRel, PubStatus};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles, check_for_backend(diesel::pg::Pg))]
pub struct ArticleRow {
    pub id: ArticleId,
    pub slug: String,
    pub url: Option<String>,
    pub external_id: Option<String>,
    pub source: Option<String>,
    pub headline: String,
    pub lead: Option<String>,
    pub body: Option<String>,
    pub language: String,
    pub dateline: Option<String>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub pub_status: PubStatus,
    pub media: StoredJson<Vec<Media>>,
    pub image: Option<StoredJson<Image>>,
}

#[derive(Debug, Clone, Queryable)]
pub struct ArticleEntityRow {
    pub slug: String,
    pub name: String,
    pub kind: EntityKind,
    pub mentions: i32,
    pub rel: EntityRel,
    pub wikidata_id: Option<String>,
}

/// How a client names an article in a URL.
#[derive(Debug, Clone)]
pub enum ArticleRef {
    Id(ArticleId),
    Slug(String),
}

/// An article by id or slug, whatever its publication status.
pub async fn find_article(
    conn: &mut AsyncPgConnection,
    article: &ArticleRef,
) -> QueryResult<Option<ArticleRow>> {
    by_ref(article).first(conn).await.optional()
}

/// The id and publication status of an article by id or slug: what a read about the article
/// (its related articles) needs to know of it.
pub async fn find_article_status(
    conn: &mut AsyncPgConnection,
    article: &ArticleRef,
) -> QueryResult<Option<(ArticleId, PubStatus)>> {
    let query = articles::table
        .select((articles::id, articles::pub_status))
        .into_boxed();
    let row: Option<(i64, PubStatus)> = match article {
        ArticleRef::Id(id) => query.filter(articles::id.eq(id.0)),
        ArticleRef::Slug(slug) => query.filter(articles::slug.eq(slug)),
    }
    .first(conn)
    .await
    .optional()?;
    Ok(row.map(|(id, status)| (ArticleId(id), status)))
}

/// Like [`find_article`], and locks the row for the rest of the transaction: what a
/// read-modify-write (`PATCH`) reads cannot change before it writes.
pub async fn lock_article(
    conn: &mut AsyncPgConnection,
    article: &ArticleRef,
) -> QueryResult<Option<ArticleRow>> {
    let locked = articles::table.select(ArticleRow::as_select()).for_update();
    match article {
        ArticleRef::Id(id) => locked.filter(articles::id.eq(id.0)).first(conn).await,
        ArticleRef::Slug(slug) => locked.filter(articles::slug.eq(slug)).first(conn).await,
    }
    .optional()
}

fn by_ref(article: &ArticleRef) -> articles::BoxedQuery<'_, diesel::pg::Pg, ArticleRowSql> {
    let query = articles::table.select(ArticleRow::as_select()).into_boxed();
    match article {
        ArticleRef::Id(id) => query.filter(articles::id.eq(id.0)),
        ArticleRef::Slug(slug) => query.filter(articles::slug.eq(slug)),
    }
}

type ArticleRowSql = diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<ArticleRow, diesel::pg::Pg>>;

/// The article's entities, the ones it is about first, then by mentions.
pub async fn article_entities(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
) -> QueryResult<Vec<ArticleEntityRow>> {
    article_entities::table
        .inner_join(entities::table)
        .filter(article_entities::article_id.eq(id.0))
        .order((
            article_entities::rel.asc(),
            article_entities::mentions.desc(),
            entities::name.asc(),
        ))
        .select((
            entities::slug,
            entities::name,
            entities::kind,
            article_entities::mentions,
            article_entities::rel,
            entities::wikidata_id,
        ))
        .load(conn)
        .await
}

/// The IPTC Media Topic codes of an article's direct topics, by topic slug (topics without a
/// code left out): what ninjs and JSON-LD name the subjects by.
pub async fn topic_codes(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
) -> QueryResult<Vec<(String, String)>> {
    use crate::schema::{article_topics, topics};
    article_topics::table
        .inner_join(topics::table)
        .filter(article_topics::article_id.eq(id.0))
        .filter(article_topics::direct)
        .filter(topics::iptc_code.is_not_null())
        .select((topics::slug, topics::iptc_code.assume_not_null()))
        .load(conn)
        .await
}
