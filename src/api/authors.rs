//! `/v1/authors`.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticlePage, article_page};
use super::auth::WriteKey;
use super::by_slug::{SlugListRequest, delete_by_slug, find_by_slug, slug_page};
use super::error::{ApiError, AuthorWriteErrors, ItemErrors, ListErrors};
use super::pagination::page_schema;
use super::params::{Collection, Links, QueryParams, parse_json};
use super::reads::ReadDb;
use crate::db::DbPool;
use crate::queries::article_list::{ArticleFilterParams, ArticleListParams, ListFields, ListScope};
use crate::queries::params::{DEFAULT_LIMIT, MAX_PREFIX_CHARS, check_slug, text_param};
use crate::store::authors::{self as store, AuthorRow};
use crate::text::{FieldError, check_text, named_slug, non_empty};

/// A person with a byline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "alex-raufoglu",
    "name": "Alex Raufoglu",
    "bio": "TURAN's Washington correspondent.",
    "url": null,
    "links": {"self": "/v1/authors/alex-raufoglu"}
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
    /// The author in this API.
    pub links: Links,
}

impl From<AuthorRow> for Author {
    fn from(row: AuthorRow) -> Self {
        Self {
            links: Collection::Authors.links(&row.slug),
            slug: row.slug,
            name: row.name,
            bio: row.bio,
            url: row.url,
        }
    }
}

page_schema!(
    /// A page of authors, in slug order.
    AuthorPage of Author
);

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

/// Authors.
///
/// Authors in slug order, optionally by name prefix; cursor-paginated.
#[utoipa::path(
    tag = "authors",
    params(AuthorListParams),
    responses(
        (status = 200, description = "A page of authors in slug order", body = AuthorPage),
        ListErrors,
    )
)]
#[get("/authors")]
pub async fn list_authors(
    req: HttpRequest,
    db: ReadDb,
    params: QueryParams<AuthorListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let prefix = text_param("q", params.q.as_deref(), MAX_PREFIX_CHARS)?;
    let request = SlugListRequest {
        list: "authors",
        filters: serde_json::json!({ "q": prefix }),
        limit: params.limit.as_deref(),
        default_limit: DEFAULT_LIMIT,
        cursor: params.cursor.as_deref(),
    };
    slug_page::<_, _, Author>(&req, &db, request, async |conn, after, limit| {
        Ok(store::list_authors(conn, prefix, after, limit).await?)
    })
    .await
}

/// One author.
///
/// One author by slug.
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
    db: ReadDb,
    path: web::Path<String>,
) -> Result<web::Json<Author>, ApiError> {
    let row = find_by_slug(&db, "author", &path, store::find_author).await?;
    Ok(web::Json(row.into()))
}

/// An author's articles.
///
/// The latest articles by one author; takes every article-list parameter.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "alex-raufoglu"), ArticleFilterParams, ArticleListParams, ListFields),
    responses(
        (status = 200, description = "A page of the author's articles", body = ArticlePage),
        ListErrors,
    )
)]
#[get("/authors/{slug}/articles")]
pub async fn list_author_articles(
    req: HttpRequest,
    db: ReadDb,
    path: web::Path<String>,
    filters: QueryParams<ArticleFilterParams>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    article_page(
        &req,
        &db,
        ListScope::Author(path.into_inner()),
        filters.0,
        params.0,
    )
    .await
}

/// An author to create or update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Alex Raufoglu", "bio": "TURAN's Washington correspondent."}))]
pub struct AuthorWrite {
    /// The name as printed in bylines.
    #[schema(min_length = 1)]
    pub name: String,
    /// The URL handle; derived from the name when absent. It cannot change later.
    #[serde(default)]
    pub slug: Option<String>,
    /// A short biography.
    #[serde(default)]
    pub bio: Option<String>,
    /// The author's own page.
    #[serde(default)]
    pub url: Option<String>,
}

impl AuthorWrite {
    fn validate(&self) -> Result<(String, String), ApiError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "bio", self.bio.as_deref(), 5_000);
        check_text(&mut errors, "url", self.url.as_deref(), 2_000);
        let named =
            named_slug(&self.name, self.slug.as_ref()).map_err(|m| FieldError::new("name", m));
        match named {
            Ok(pair) if errors.is_empty() => Ok(pair),
            Ok(_) => Err(ApiError::Validation(errors)),
            Err(e) => {
                errors.insert(0, e);
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// Create an author.
///
/// Creates an author; its slug comes from the name unless one is given, and never changes.
#[utoipa::path(
    tag = "authors",
    request_body(content = AuthorWrite, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 201, description = "Created", body = Author, headers(("Location" = String, description = "The author's URL"))), AuthorWriteErrors)
)]
#[post("/authors")]
pub async fn create_author(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: AuthorWrite = parse_json(&req, &body)?;
    let (slug, name) = input.validate()?;
    let mut conn = pool.get().await?;
    let row = store::create_author(
        &mut conn,
        &slug,
        &name,
        non_empty(&input.bio).as_deref(),
        non_empty(&input.url).as_deref(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/authors/{}", row.slug)))
        .json(Author::from(row)))
}

/// Update an author.
///
/// Changes an author's name, biography and page; the slug stays.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "alex-raufoglu")),
    request_body(content = AuthorWrite, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 200, description = "The author as stored", body = Author), AuthorWriteErrors)
)]
#[put("/authors/{slug}")]
pub async fn update_author(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    check_slug("author", &slug)?;
    let input: AuthorWrite = parse_json(&req, &body)?;
    let (_, name) = input.validate()?;
    let mut conn = pool.get().await?;
    let row = store::update_author(
        &mut conn,
        &slug,
        &name,
        non_empty(&input.bio).as_deref(),
        non_empty(&input.url).as_deref(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("author", &slug))?;
    Ok(HttpResponse::Ok().json(Author::from(row)))
}

/// Delete an author.
///
/// Deletes an author who has no bylines; one with bylines is a 409.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "alex-raufoglu")),
    security(("api_key" = ["write"])),
    responses((status = 204, description = "Deleted"), AuthorWriteErrors)
)]
#[delete("/authors/{slug}")]
pub async fn delete_author(
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    delete_by_slug(&pool, "author", &path, store::delete_author).await
}
