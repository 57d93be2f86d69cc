//! One article with everything about it.

use diesel_async::AsyncPgConnection;

use super::error::QueryError;
use super::params::check_slug;
use crate::media::Media;
use crate::store::ArticleId;
use crate::store::article_sql::{ArticleSummary, ArticleSummaryRow, attach_labels};
use crate::store::articles::{self as stored, ArticleEntityRow, ArticleRef, ArticleRow};
use crate::vocab::PubStatus;

/// An article as its page shows it: the row, its labels and its entities.
#[derive(Debug)]
pub struct FullArticle {
    pub summary: ArticleSummary,
    pub body: Option<String>,
    pub external_id: Option<String>,
    pub version: i32,
    pub pub_status: PubStatus,
    pub entities: Vec<ArticleEntityRow>,
    /// Pictures, video and audio, the lead marked.
    pub media: Vec<Media>,
}

/// How a path names an article: digits written canonically are an id, anything else a slug.
pub fn article_ref(key: &str) -> Result<ArticleRef, QueryError> {
    check_slug("article", key)?;
    let canonical_id = key.bytes().all(|b| b.is_ascii_digit()) && !key.starts_with('0');
    Ok(match key.parse::<i64>() {
        Ok(id) if canonical_id => ArticleRef::Id(ArticleId(id)),
        _ => ArticleRef::Slug(key.to_owned()),
    })
}

/// The article `reference` names; withdrawn is 410, withheld or unknown 404.
pub async fn find(
    conn: &mut AsyncPgConnection,
    reference: &ArticleRef,
    key: &str,
) -> Result<FullArticle, QueryError> {
    let row = stored::find_article(conn, reference)
        .await?
        .ok_or_else(|| QueryError::not_found("article", key))?;
    servable(row.pub_status, key)?;
    let entities = stored::article_entities(conn, row.id).await?;
    let ArticleRow {
        id,
        slug,
        url,
        external_id,
        source,
        headline,
        lead,
        body,
        language,
        dateline,
        published_at,
        updated_at,
        version,
        pub_status,
        media,
        image,
    } = row;
    let summary_row = ArticleSummaryRow {
        id,
        slug,
        headline,
        lead,
        url,
        source,
        language,
        dateline,
        published_at,
        updated_at,
        image,
        rank: None,
    };
    let summary = attach_labels(conn, vec![summary_row])
        .await?
        .pop()
        .ok_or_else(|| QueryError::not_found("article", key))?;
    Ok(FullArticle {
        summary,
        body,
        external_id,
        version,
        pub_status,
        entities,
        media: media.0,
    })
}

/// Whether an article of this status is served: withdrawn is 410, withheld 404.
pub fn servable(status: PubStatus, key: &str) -> Result<(), QueryError> {
    match status {
        PubStatus::Usable => Ok(()),
        PubStatus::Canceled => Err(QueryError::Gone {
            what: "article",
            key: key.to_owned(),
        }),
        PubStatus::Withheld => Err(QueryError::not_found("article", key)),
    }
}

/// The IPTC Media Topic code of each of the article's direct topics that has one, by slug.
pub async fn topic_codes(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
) -> Result<std::collections::HashMap<String, String>, QueryError> {
    Ok(stored::topic_codes(conn, id).await?.into_iter().collect())
}
