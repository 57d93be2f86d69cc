//! `/v1/authors`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleListParams, ArticleSummary, ListScope, article_page};
use super::{MAX_PREFIX_CHARS, QueryParams, check_slug, text_param};
use crate::db::DbPool;
use crate::error::{ApiError, ItemErrors, ListErrors};
use crate::pagination::{
    DEFAULT_LIMIT, Page, decode_slug_cursor, encode_cursor, more_after, page_response, page_size,
};
use crate::store::authors::{self as store, AuthorRow};

/// A person with a byline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "alex-raufoglu",
    "name": "Alex Raufoglu",
    "bio": "TURAN's Washington correspondent.",
    "url": null
}))]
pub struct Author {
    /// URL handle, as in `/v1/authors/{slug}`.
    pub slug: String,
    /// The name as printed in bylines.
    pub name: String,
    /// A short biography.
    pub bio: Option<String>,
    /// The author's own page, when known.
    pub url: Option<String>,
}

impl From<AuthorRow> for Author {
    fn from(row: AuthorRow) -> Self {
        Self {
            slug: row.slug,
            name: row.name,
            bio: row.bio,
            url: row.url,
        }
    }
}

/// Filters and paging for the author list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorListParams {
    /// Case-insensitive prefix of the author's name.
    #[param(max_length = 200, pattern = "^[^\\x00]*$", example = "Alex")]
    pub q: Option<String>,
    /// Page size, 1 to 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page, with the same filters.
    pub cursor: Option<String>,
}

/// Authors in slug order.
#[utoipa::path(
    tag = "authors",
    params(AuthorListParams),
    responses(
        (status = 200, description = "A page of authors in slug order", body = Page<Author>),
        ListErrors,
    )
)]
#[get("/authors")]
pub async fn list_authors(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    params: QueryParams<AuthorListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let limit = page_size(params.limit.as_deref(), DEFAULT_LIMIT)?;
    let prefix = text_param("q", params.q.as_deref(), MAX_PREFIX_CHARS)?;
    let filters = format!("authors|q={prefix:?}");
    let after = decode_slug_cursor(&filters, params.cursor.as_deref())?;
    let mut conn = pool.get().await?;
    let mut rows = store::list_authors(&mut conn, prefix, after.as_deref(), limit).await?;
    let next = more_after(&mut rows, limit, |r| r.slug.clone());
    let page = Page {
        data: rows.into_iter().map(Author::from).collect(),
        next_cursor: next.map(|slug| encode_cursor(&filters, &slug)),
    };
    Ok(page_response(&req, &page))
}

/// One author.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "alex-raufoglu")),
    responses(
        (status = 200, description = "The author", body = Author),
        ItemErrors,
    )
)]
#[get("/authors/{slug}")]
pub async fn get_author(
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<web::Json<Author>, ApiError> {
    let slug = path.into_inner();
    check_slug("author", &slug)?;
    let mut conn = pool.get().await?;
    let row = store::find_author(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found("author", &slug))?;
    Ok(web::Json(row.into()))
}

/// The latest articles by one author; takes every article-list parameter.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "alex-raufoglu"), ArticleListParams),
    responses(
        (status = 200, description = "A page of the author's articles", body = Page<ArticleSummary>),
        ListErrors,
    )
)]
#[get("/authors/{slug}/articles")]
pub async fn list_author_articles(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    check_slug("author", &slug)?;
    article_page(&req, &pool, ListScope::Author(slug), params.0).await
}
