//! `GET /v1/changes`: the change feed, for clients that mirror the articles. Every create,
//! update and withdrawal, in commit order; a client keeps the last cursor it got and polls with
//! it for what came after.

use actix_web::{HttpRequest, HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, FeedErrors};
use super::pagination::page_response_builder;
use super::params::{Collection, Links, QueryParams};
use super::reads::ReadDb;
use crate::queries::cursor;
use crate::queries::params::page_size;
use crate::store::changes::{self as store, ChangeRow, ChangeSeq};
use crate::store::more_after;
use crate::vocab::ChangeKind;

/// The feed's page size when the request does not say: larger than other lists', since a
/// mirror reads it in bulk.
const FEED_DEFAULT_LIMIT: u32 = 100;

/// One change to one article.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 1,
    "change": "created",
    "article_id": 1,
    "slug": "us-formally-rejects-russias-top-security-demands",
    "version": 1,
    "changed_at": "2022-01-26T22:00:00Z",
    "links": {"self": "/v1/articles/us-formally-rejects-russias-top-security-demands"}
}))]
pub struct Change {
    /// The change's position in the feed: later changes have larger numbers (with gaps).
    pub seq: i64,
    /// What happened to the article.
    pub change: ChangeKind,
    /// The article's id.
    pub article_id: i64,
    /// The article's slug.
    pub slug: String,
    /// The article's version after this change (1 when created, one more on each change).
    pub version: i32,
    /// When the article was changed (its `updated_at` then).
    pub changed_at: DateTime<Utc>,
    /// The article in this API: read it there for its content (a withdrawn one answers 410).
    pub links: Links,
}

impl From<ChangeRow> for Change {
    fn from(row: ChangeRow) -> Self {
        Self {
            links: Collection::Articles.links(&row.slug),
            seq: row.seq.0,
            change: row.change,
            article_id: row.article_id.0,
            slug: row.slug,
            version: row.version,
            changed_at: row.changed_at,
        }
    }
}

/// A page of the change feed, oldest change first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    /// The changes of this page, in commit order.
    pub data: Vec<Change>,
    /// Pass as `cursor` to get the next page now; `null` when this page reached the newest change.
    #[schema(
        required = true,
        example = "eyJ2IjoxLCJmIjoiNGQ0YjI5ZjMyYTk2IiwiayI6MTAwfQ"
    )]
    pub next_cursor: Option<String>,
    /// Pass as `cursor` later to get the changes made after this page: always set, also on an
    /// empty page. Keep it to poll.
    #[schema(example = "eyJ2IjoxLCJmIjoiNGQ0YjI5ZjMyYTk2IiwiayI6MTAwfQ")]
    pub poll_cursor: String,
}

/// Paging of the change feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeFeedParams {
    /// Page size, 1 to 100 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 100)]
    pub limit: Option<String>,
    /// `next_cursor` or `poll_cursor` of an earlier page; absent for the first change ever made.
    pub cursor: Option<String>,
}

/// Article changes.
///
/// Every create, update and withdrawal of an article, in the order they were committed; a change
/// is listed once its transaction has committed, and never moves. Walking the feed by its cursors
/// returns every change once, even while articles are being written; keep `poll_cursor` and ask
/// again later for what came after. Together with `updated_since` on the article lists, this is
/// how a client mirrors the data set.
#[utoipa::path(
    tag = "articles",
    params(ChangeFeedParams),
    responses(
        (status = 200, description = "A page of changes, oldest first. \
            A `Link: <…>; rel=\"next\"` header carries the next page's URL when there is one now.",
            body = ChangePage),
        FeedErrors,
    )
)]
#[get("/changes")]
pub async fn list_changes(
    req: HttpRequest,
    db: ReadDb,
    params: QueryParams<ChangeFeedParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let limit = page_size(params.limit.as_deref(), FEED_DEFAULT_LIMIT)?;
    let digest = cursor::digest("changes");
    let after =
        cursor::decode::<ChangeSeq>(&digest, params.cursor.as_deref())?.unwrap_or(ChangeSeq(0));
    let mut rows = db
        .reads()
        .run(async |conn| Ok::<_, ApiError>(store::changes_after(conn, after, limit).await?))
        .await?;
    let next = more_after(&mut rows, limit, |row| row.seq);
    let reached = rows.last().map_or(after, |row| row.seq);
    let page = ChangePage {
        data: rows.into_iter().map(Change::from).collect(),
        next_cursor: next.map(|seq| cursor::encode(&digest, &seq)),
        poll_cursor: cursor::encode(&digest, &reached),
    };
    Ok(page_response_builder(&req, page.next_cursor.as_deref()).json(page))
}
