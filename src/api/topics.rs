//! `/v1/topics`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleListParams, ArticleSummary, ListScope, article_page};
use super::{QueryParams, TopicRef, check_slug};
use crate::db::DbPool;
use crate::error::{ApiError, ItemErrors, ListErrors};
use crate::pagination::{
    MAX_LIMIT, Page, decode_slug_cursor, encode_cursor, more_after, page_response, page_size,
};
use crate::store::topics::{self as store, ParentFilter, TopicRow};

/// A subject in the topic hierarchy.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "diplomacy",
    "name": "Diplomacy",
    "description": "The use of negotiation and dialogue between nations.",
    "iptc_code": "medtop:20000639",
    "parent": "international-relations"
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
}

/// A topic with its direct children.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "international-relations",
    "name": "International relations",
    "description": "Relations between nations and international organisations.",
    "iptc_code": "medtop:20000638",
    "parent": "politics",
    "children": [{"slug": "diplomacy", "name": "Diplomacy"}]
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
            slug: row.slug,
            name: row.name,
            description: row.description,
            iptc_code: row.iptc_code,
            parent: row.parent_slug,
        }
    }
}

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

/// Every topic, in slug order, each with its parent.
#[utoipa::path(
    tag = "topics",
    params(TopicListParams),
    responses(
        (status = 200, description = "A page of topics in slug order", body = Page<Topic>),
        ListErrors,
    )
)]
#[get("/topics")]
pub async fn list_topics(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    params: QueryParams<TopicListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let limit = page_size(params.limit.as_deref(), MAX_LIMIT)?;
    let filters = format!("topics|p={:?}", params.parent);
    let after = decode_slug_cursor(&filters, params.cursor.as_deref())?;
    let mut conn = pool.get().await?;
    let parent = match params.parent.as_deref() {
        None => ParentFilter::Any,
        Some("") => ParentFilter::Root,
        Some(slug) => {
            check_slug("topic", slug)?;
            let topic = store::find_topic(&mut conn, slug)
                .await?
                .ok_or_else(|| ApiError::not_found("topic", slug))?;
            ParentFilter::Id(topic.id)
        }
    };
    let mut rows = store::list_topics(&mut conn, parent, after.as_deref(), limit).await?;
    let next = more_after(&mut rows, limit, |r| r.slug.clone());
    let page = Page {
        data: rows.into_iter().map(Topic::from).collect(),
        next_cursor: next.map(|slug| encode_cursor(&filters, &slug)),
    };
    Ok(page_response(&req, &page))
}

/// One topic with its children.
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
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<web::Json<TopicDetail>, ApiError> {
    let slug = path.into_inner();
    check_slug("topic", &slug)?;
    let mut conn = pool.get().await?;
    let row = store::find_topic(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found("topic", &slug))?;
    let children = store::children(&mut conn, row.id).await?;
    Ok(web::Json(TopicDetail {
        topic: row.into(),
        children: children.into_iter().map(TopicRef::from).collect(),
    }))
}

/// The latest articles on a topic or any of its descendants; takes every article-list parameter.
#[utoipa::path(
    tag = "topics",
    params(("slug" = String, Path, description = "The topic's slug", example = "diplomacy"), ArticleListParams),
    responses(
        (status = 200, description = "A page of the topic's articles, descendants included", body = Page<ArticleSummary>),
        ListErrors,
    )
)]
#[get("/topics/{slug}/articles")]
pub async fn list_topic_articles(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    check_slug("topic", &slug)?;
    article_page(&req, &pool, ListScope::Topic(slug), params.0).await
}
