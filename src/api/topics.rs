//! `/v1/topics`.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticlePage, article_page};
use super::auth::WriteKey;
use super::by_slug::{SlugListRequest, delete_by_slug, slug_page};
use super::error::{ApiError, ItemErrors, ListErrors, TopicWriteErrors};
use super::pagination::page_schema;
use super::params::{Collection, Links, QueryParams, TopicRef, parse_json};
use super::reads::ReadDb;
use crate::db::DbPool;
use crate::queries::article_list::{ArticleFilterParams, ArticleListParams, ListFields, ListScope};
use crate::queries::params::{MAX_LIMIT, check_slug};
use crate::store::topics::{self as store, ParentFilter, TopicFields, TopicRow};
use crate::text::{FieldError, check_text, named_slug, non_empty};

/// A subject in the topic hierarchy.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "diplomacy",
    "name": "Diplomacy",
    "description": "The use of negotiation and dialogue between nations.",
    "iptc_code": "medtop:20000639",
    "parent": "international-relations",
    "links": {"self": "/v1/topics/diplomacy"}
}))]
pub struct Topic {
    /// URL handle, as in `/v1/topics/{slug}`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the topic covers.
    pub description: Option<String>,
    /// The IPTC Media Topic this topic maps to, e.g. `medtop:11000000` for politics.
    pub iptc_code: Option<String>,
    /// The parent topic's slug; `null` for a top-level topic.
    pub parent: Option<String>,
    /// The topic in this API.
    pub links: Links,
}

/// A topic with its direct children.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "international-relations",
    "name": "International relations",
    "description": "Relations between nations and international organisations.",
    "iptc_code": "medtop:20000638",
    "parent": "politics",
    "links": {"self": "/v1/topics/international-relations"},
    "children": [{"slug": "diplomacy", "name": "Diplomacy", "links": {"self": "/v1/topics/diplomacy"}}]
}))]
pub struct TopicDetail {
    #[serde(flatten)]
    pub topic: Topic,
    /// The direct subtopics, by name.
    pub children: Vec<TopicRef>,
}

impl From<TopicRow> for Topic {
    fn from(row: TopicRow) -> Self {
        Self {
            links: Collection::Topics.links(&row.slug),
            slug: row.slug,
            name: row.name,
            description: row.description,
            iptc_code: row.iptc_code,
            parent: row.parent_slug,
        }
    }
}

page_schema!(
    /// A page of topics, in slug order.
    TopicPage of Topic
);

/// Filters and paging for the topic list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicListParams {
    /// Only the children of this topic; the empty value (`parent=`) lists the top-level topics.
    #[param(example = "politics")]
    pub parent: Option<String>,
    /// Page size, 1 to 100; 100 by default so that most taxonomies come in one page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page, with the same filters.
    pub cursor: Option<String>,
}

/// Topics.
///
/// The topic hierarchy in slug order, each topic with its parent; `parent` lists one topic's
/// children (empty: the top level). 100 a page by default.
#[utoipa::path(
    tag = "topics",
    params(TopicListParams),
    responses(
        (status = 200, description = "A page of topics in slug order", body = TopicPage),
        ListErrors,
    )
)]
#[get("/topics")]
pub async fn list_topics(
    req: HttpRequest,
    db: ReadDb,
    params: QueryParams<TopicListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let request = SlugListRequest {
        list: "topics",
        filters: serde_json::json!({ "parent": params.parent }),
        limit: params.limit.as_deref(),
        default_limit: MAX_LIMIT,
        cursor: params.cursor.as_deref(),
    };
    let parent = params.parent.as_deref();
    slug_page::<_, _, Topic>(&req, &db, request, async |conn, after, limit| {
        let parent = match parent {
            None => ParentFilter::Any,
            Some("") => ParentFilter::Root,
            Some(slug) => {
                check_slug("topic", slug)?;
                let topic = store::find_topic(conn, slug)
                    .await?
                    .ok_or_else(|| ApiError::not_found("topic", slug))?;
                ParentFilter::Id(topic.id)
            }
        };
        Ok(store::list_topics(conn, parent, after, limit).await?)
    })
    .await
}

/// One topic.
///
/// One topic by slug, with its parent and its direct children.
#[utoipa::path(
    tag = "topics",
    params(("slug" = String, Path, description = "The topic's slug", example = "diplomacy")),
    responses(
        (status = 200, description = "The topic", body = TopicDetail),
        ItemErrors,
    )
)]
#[get("/topics/{slug}")]
pub async fn get_topic(
    db: ReadDb,
    path: web::Path<String>,
) -> Result<web::Json<TopicDetail>, ApiError> {
    check_slug("topic", &path)?;
    let view = db
        .reads()
        .run(async |conn| topic_view(conn, &path).await)
        .await?;
    Ok(web::Json(view))
}

/// A topic's articles.
///
/// The latest articles on a topic or any of its descendants; takes every article-list parameter.
#[utoipa::path(
    tag = "topics",
    params(("slug" = String, Path, description = "The topic's slug", example = "diplomacy"), ArticleFilterParams, ArticleListParams, ListFields),
    responses(
        (status = 200, description = "A page of the topic's articles, descendants included", body = ArticlePage,
            headers(("x-cache" = String, description = "`hit` or `miss` on the first page with only `limit` set, \
                which may come from the response cache (never stale: a write empties it); absent otherwise"))),
        ListErrors,
    )
)]
#[get("/topics/{slug}/articles")]
pub async fn list_topic_articles(
    req: HttpRequest,
    db: ReadDb,
    path: web::Path<String>,
    filters: QueryParams<ArticleFilterParams>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    article_page(
        &req,
        &db,
        ListScope::Topic(path.into_inner()),
        filters.0,
        params.0,
    )
    .await
}

/// A topic to create or update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Diplomacy", "parent": "international-relations", "iptc_code": "medtop:20000639"}))]
pub struct TopicWrite {
    /// Display name.
    #[schema(min_length = 1)]
    pub name: String,
    /// The URL handle; derived from the name when absent. It cannot change later.
    #[serde(default)]
    pub slug: Option<String>,
    /// What the topic covers.
    #[serde(default)]
    pub description: Option<String>,
    /// The parent topic's slug; absent for a top-level topic.
    #[serde(default)]
    pub parent: Option<String>,
    /// The IPTC Media Topic code, e.g. `medtop:20000639`.
    #[serde(default)]
    #[schema(pattern = "^medtop:[0-9]{8}$")]
    pub iptc_code: Option<String>,
}

impl TopicWrite {
    /// Checks the fields and resolves the parent; `this` is the topic being updated, whose own
    /// subtree cannot hold its parent.
    async fn validate(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        this: Option<crate::store::TopicId>,
    ) -> Result<(String, TopicFields), ApiError> {
        let mut errors = Vec::new();
        let named = named_slug(&self.name, self.slug.as_ref())
            .map_err(|m| errors.push(FieldError::new("name", m)));
        check_text(
            &mut errors,
            "description",
            self.description.as_deref(),
            5_000,
        );
        let iptc_code = self.iptc_code.clone();
        if iptc_code.as_deref().is_some_and(|c| {
            !c.strip_prefix("medtop:")
                .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
        }) {
            errors.push(FieldError::new(
                "iptc_code",
                "must be an IPTC Media Topic code such as `medtop:20000639`",
            ));
        }
        let mut parent_id = None;
        if let Some(parent) = non_empty(&self.parent) {
            let found = if parent.contains('\0') {
                None
            } else {
                store::find_topic(conn, &parent).await?
            };
            match found {
                None => errors.push(FieldError::new(
                    "parent",
                    format!("unknown topic `{}`", parent.replace('\0', "")),
                )),
                Some(p) => {
                    if let Some(this) = this
                        && store::is_in_subtree(conn, this, p.id).await?
                    {
                        errors.push(FieldError::new(
                            "parent",
                            "a topic cannot sit under itself or its own subtopics",
                        ));
                    }
                    parent_id = Some(p.id.0);
                }
            }
        }
        match named {
            Ok((slug, name)) if errors.is_empty() => Ok((
                slug,
                TopicFields {
                    name,
                    description: non_empty(&self.description),
                    parent_id,
                    iptc_code,
                },
            )),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

async fn topic_view(
    conn: &mut diesel_async::AsyncPgConnection,
    slug: &str,
) -> Result<TopicDetail, ApiError> {
    let row = store::find_topic(conn, slug)
        .await?
        .ok_or_else(|| ApiError::not_found("topic", slug))?;
    let children = store::children(conn, row.id).await?;
    Ok(TopicDetail {
        topic: row.into(),
        children: children.into_iter().map(TopicRef::from).collect(),
    })
}

/// Create a topic.
///
/// Creates a topic, under a parent or at the top level, with its IPTC Media Topic code when it has
/// one.
#[utoipa::path(
    tag = "topics",
    request_body(content = TopicWrite, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 201, description = "Created", body = TopicDetail, headers(("Location" = String, description = "The topic's URL"))), TopicWriteErrors)
)]
#[post("/topics")]
pub async fn create_topic(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: TopicWrite = parse_json(&req, &body)?;
    let mut conn = pool.get().await?;
    let (slug, fields) = input.validate(&mut conn, None).await?;
    store::create_topic(&mut conn, &slug, &fields).await?;
    let view = topic_view(&mut conn, &slug).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/topics/{slug}")))
        .json(view))
}

/// Update a topic.
///
/// Changes a topic; moving it under another parent re-files its articles under the new ancestors.
#[utoipa::path(
    tag = "topics",
    params(("slug" = String, Path, description = "The topic's slug", example = "diplomacy")),
    request_body(content = TopicWrite, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 200, description = "The topic as stored", body = TopicDetail), TopicWriteErrors)
)]
#[put("/topics/{slug}")]
pub async fn update_topic(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    check_slug("topic", &slug)?;
    let input: TopicWrite = parse_json(&req, &body)?;
    let mut conn = pool.get().await?;
    let this = store::find_topic(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found("topic", &slug))?;
    let (_, fields) = input.validate(&mut conn, Some(this.id)).await?;
    store::update_topic(&mut conn, &slug, &fields)
        .await?
        .ok_or_else(|| ApiError::not_found("topic", &slug))?;
    Ok(HttpResponse::Ok().json(topic_view(&mut conn, &slug).await?))
}

/// Delete a topic.
///
/// Deletes a topic with no subtopics and no articles; otherwise a 409.
#[utoipa::path(
    tag = "topics",
    params(("slug" = String, Path, description = "The topic's slug", example = "diplomacy")),
    security(("api_key" = ["write"])),
    responses((status = 204, description = "Deleted"), TopicWriteErrors)
)]
#[delete("/topics/{slug}")]
pub async fn delete_topic(
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    delete_by_slug(&pool, "topic", &path, store::delete_topic).await
}
