//! Authors: people with a byline.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{AuthorId, like_prefix};
use crate::schema::authors;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = authors, check_for_backend(diesel::pg::Pg))]
pub struct AuthorRow {
    pub id: AuthorId,
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub url: Option<String>,
}

pub async fn find_author(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<AuthorRow>> {
    authors::table
        .filter(authors::slug.eq(slug))
        .select(AuthorRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Authors in slug order after `after_slug`, `limit + 1` of them so the caller can tell whether
/// there is a next page.
pub async fn list_authors(
    conn: &mut AsyncPgConnection,
    name_prefix: Option<&str>,
    after_slug: Option<&str>,
    limit: u32,
) -> QueryResult<Vec<AuthorRow>> {
    let mut query = authors::table
        .select(AuthorRow::as_select())
        .order(authors::slug.asc())
        .limit(i64::from(limit) + 1)
        .into_boxed();
    if let Some(prefix) = name_prefix {
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(like_prefix(prefix)),
        );
    }
    if let Some(slug) = after_slug {
        query = query.filter(authors::slug.gt(slug.to_owned()));
    }
    query.load(conn).await
}

/// Creates an author; a taken slug is a unique violation (409).
pub async fn create_author(
    conn: &mut AsyncPgConnection,
    slug: &str,
    name: &str,
    bio: Option<&str>,
    url: Option<&str>,
) -> QueryResult<AuthorRow> {
    diesel::insert_into(authors::table)
        .values((
            authors::slug.eq(slug),
            authors::name.eq(name),
            authors::bio.eq(bio),
            authors::url.eq(url),
        ))
        .returning(AuthorRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_author(
    conn: &mut AsyncPgConnection,
    slug: &str,
    name: &str,
    bio: Option<&str>,
    url: Option<&str>,
) -> QueryResult<Option<AuthorRow>> {
    diesel::update(authors::table.filter(authors::slug.eq(slug)))
        .set((
            authors::name.eq(name),
            authors::bio.eq(bio),
            authors::url.eq(url),
            authors::updated_at.eq(diesel::dsl::now),
        ))
        .returning(AuthorRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Deletes an author without bylines (one with bylines is a foreign-key violation, 409).
pub async fn delete_author(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<usize> {
    diesel::delete(authors::table.filter(authors::slug.eq(slug)))
        .execute(conn)
        .await
}
