//! What the resources named by slug (authors, entities, topics) share, written once: their
//! lists in slug order (the page size, a cursor tied to the list and its filters, `limit + 1`
//! rows after the cursor's slug, the views), reading one, and deleting one.

use actix_web::{HttpRequest, HttpResponse};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde::Serialize;

use super::error::ApiError;
use super::pagination::{Page, page_response};
use super::reads::ReadDb;
use crate::db::DbPool;
use crate::queries::cursor;
use crate::queries::params::check_slug;
use crate::queries::params::page_size;
use crate::store::authors::AuthorRow;
use crate::store::entities::EntityRow;
use crate::store::more_after;
use crate::store::topics::TopicRow;

/// A row of a list in slug order.
pub trait SlugRow {
    fn slug(&self) -> &str;
}

impl SlugRow for AuthorRow {
    fn slug(&self) -> &str {
        &self.slug
    }
}

impl SlugRow for EntityRow {
    fn slug(&self) -> &str {
        &self.slug
    }
}

impl SlugRow for TopicRow {
    fn slug(&self) -> &str {
        &self.slug
    }
}

/// What one request asks of a list in slug order.
pub struct SlugListRequest<'a, F: Serialize> {
    /// The list's name, part of its cursors: a cursor of one list is refused by another.
    pub list: &'static str,
    /// The list's filters, serialised into its cursors' digest.
    pub filters: F,
    pub limit: Option<&'a str>,
    pub default_limit: u32,
    pub cursor: Option<&'a str>,
}

/// Answers one page: `read` gets a connection, the slug to start after and the page size, and
/// returns up to `limit + 1` rows in slug order.
pub async fn slug_page<F, R, V>(
    req: &HttpRequest,
    db: &ReadDb,
    request: SlugListRequest<'_, F>,
    read: impl AsyncFn(&mut AsyncPgConnection, Option<&str>, u32) -> Result<Vec<R>, ApiError>,
) -> Result<HttpResponse, ApiError>
where
    F: Serialize,
    R: SlugRow,
    V: From<R> + Serialize,
{
    let limit = page_size(request.limit, request.default_limit)?;
    let digest = cursor::digest(
        &serde_json::to_string(&(request.list, &request.filters)).unwrap_or_default(),
    );
    let after = cursor::decode_slug(&digest, request.cursor)?;
    let after = after.as_deref();
    let mut rows = db
        .reads()
        .run(async |conn| read(conn, after, limit).await)
        .await?;
    let next = more_after(&mut rows, limit, |r| r.slug().to_owned());
    let page = Page {
        data: rows.into_iter().map(V::from).collect::<Vec<V>>(),
        next_cursor: next.map(|slug| cursor::encode(&digest, &slug)),
    };
    Ok(page_response(req, &page))
}

/// The resource `slug` names, read by `find`; a 404 naming `what` when there is none.
pub async fn find_by_slug<R>(
    db: &ReadDb,
    what: &'static str,
    slug: &str,
    find: impl AsyncFn(&mut AsyncPgConnection, &str) -> QueryResult<Option<R>>,
) -> Result<R, ApiError> {
    check_slug(what, slug)?;
    db.reads()
        .run(async |conn| Ok::<_, ApiError>(find(conn, slug).await?))
        .await?
        .ok_or_else(|| ApiError::not_found(what, slug))
}

/// Deletes the resource `slug` names with `delete` (which says how many rows went): 204, or a
/// 404 naming `what` when there was none.
pub async fn delete_by_slug(
    pool: &DbPool,
    what: &'static str,
    slug: &str,
    delete: impl AsyncFnOnce(&mut AsyncPgConnection, &str) -> QueryResult<usize>,
) -> Result<HttpResponse, ApiError> {
    check_slug(what, slug)?;
    let mut conn = pool.get().await?;
    match delete(&mut conn, slug).await? {
        0 => Err(ApiError::not_found(what, slug)),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}
