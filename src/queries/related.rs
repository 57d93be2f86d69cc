//! Related articles and related entities: ranked lists, cursor-paginated like every list.

use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::IntoParams;

use super::article::{article_ref, servable};
use super::article_list::ArticlePage;
use super::cursor;
use super::error::QueryError;
use super::params::{DEFAULT_LIMIT, check_slug, page_size};
use crate::store::article_sql::ArticleKey;
use crate::store::articles::{ArticleRef, find_article_status};
use crate::store::entities::find_entity;
use crate::store::more_after;
use crate::store::related::{self, RelatedEntity, RelatedEntityKey};
use crate::vocab::SortOrder;

/// The paging of a ranked list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankedListParams {
    /// Page size, 1 to 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The articles related to one article, a page of them.
#[derive(Debug, Clone)]
pub struct RelatedArticlesQuery {
    reference: ArticleRef,
    key: String,
    limit: u32,
    after: Option<ArticleKey>,
    digest: String,
}

impl RelatedArticlesQuery {
    pub fn parse(key: &str, params: RankedListParams) -> Result<Self, QueryError> {
        let reference = article_ref(key)?;
        let limit = page_size(params.limit.as_deref(), DEFAULT_LIMIT)?;
        let digest = cursor::digest(&format!("related articles of {key}"));
        let after: Option<ArticleKey> = cursor::decode(&digest, params.cursor.as_deref())?;
        if after.is_some_and(|k| !k.fits(SortOrder::Relevance)) {
            return Err(cursor::malformed());
        }
        Ok(Self {
            reference,
            key: key.to_owned(),
            limit,
            after,
            digest,
        })
    }

    /// The article (an unknown one is a 404, a withdrawn one 410), then the page.
    pub async fn run(&self, conn: &mut AsyncPgConnection) -> Result<ArticlePage, QueryError> {
        let (id, status) = find_article_status(conn, &self.reference)
            .await?
            .ok_or_else(|| QueryError::not_found("article", &self.key))?;
        servable(status, &self.key)?;
        let (items, next) = related::related_articles(conn, id, self.after, self.limit).await?;
        Ok(ArticlePage {
            items,
            next_cursor: next.map(|key| cursor::encode(&self.digest, &key)),
        })
    }
}

/// The entities most often named with one entity, a page of them.
#[derive(Debug, Clone)]
pub struct RelatedEntitiesQuery {
    slug: String,
    limit: u32,
    after: Option<RelatedEntityKey>,
    digest: String,
}

/// A page of related entities and the cursor of the next one.
#[derive(Debug)]
pub struct RelatedEntityPage {
    pub items: Vec<RelatedEntity>,
    pub next_cursor: Option<String>,
}

impl RelatedEntitiesQuery {
    pub fn parse(slug: &str, params: RankedListParams) -> Result<Self, QueryError> {
        check_slug("entity", slug)?;
        let limit = page_size(params.limit.as_deref(), DEFAULT_LIMIT)?;
        let digest = cursor::digest(&format!("related entities of {slug}"));
        let after = cursor::decode(&digest, params.cursor.as_deref())?;
        Ok(Self {
            slug: slug.to_owned(),
            limit,
            after,
            digest,
        })
    }

    /// The entity (an unknown one is a 404), then the page.
    pub async fn run(&self, conn: &mut AsyncPgConnection) -> Result<RelatedEntityPage, QueryError> {
        let entity = find_entity(conn, &self.slug)
            .await?
            .ok_or_else(|| QueryError::not_found("entity", &self.slug))?;
        let mut items =
            related::related_entities(conn, entity.id, self.after.as_ref(), self.limit).await?;
        let next = more_after(&mut items, self.limit, |item| RelatedEntityKey {
            count: item.count,
            id: item.id.0,
        });
        Ok(RelatedEntityPage {
            items,
            next_cursor: next.map(|key| cursor::encode(&self.digest, &key)),
        })
    }
}
