//! Feeds of the article lists, for feed readers and aggregators: Atom (RFC 4287), RSS 2.0 and
//! JSON Feed 1.1 of the latest articles and of each topic, author and entity, with the lists'
//! filters and `limit`. The XML is written by the `atom_syndication` and `rss` crates, the JSON
//! Feed by serde; the entries are the list's own page, read by the same query.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, get, web};
use atom_syndication as atom;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::articles::{ArticleSummary, summary_view};
use super::error::{ApiError, ListErrors};
use super::pagination::{absolute_url, next_url};
use super::params::QueryParams;
use super::reads::ReadDb;
use crate::queries::article_list::{
    ArticleFilterParams, ArticleListParams, ArticleQuery, ListScope,
};
use crate::search_index::SearchIndex;
use crate::store::{authors, entities, topics};

/// The formats every feed comes in, named by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedFormat {
    Atom,
    Rss,
    Json,
}

impl FeedFormat {
    fn from_extension(extension: &str) -> Result<Self, ApiError> {
        match extension {
            "atom" => Ok(Self::Atom),
            "rss" => Ok(Self::Rss),
            "json" => Ok(Self::Json),
            other => Err(ApiError::NotFound(format!(
                "no feed format `{}`; feeds are `.atom`, `.rss` and `.json`",
                other.replace('\0', "")
            ))),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// A JSON Feed 1.1 document (<https://www.jsonfeed.org/version/1.1/>).
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeed {
    /// `https://jsonfeed.org/version/1.1`.
    pub version: &'static str,
    /// What the feed is of: `dateline: Diplomacy`.
    pub title: String,
    /// The JSON list this feed is a view of.
    pub home_page_url: String,
    /// This feed's own URL.
    pub feed_url: String,
    /// The next page of the feed, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_url: Option<String>,
    /// The feed's language, when it is filtered by one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The articles, newest first.
    pub items: Vec<JsonFeedItem>,
}

/// One article in a JSON Feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedItem {
    /// The article's URL in this API: unique and permanent.
    pub id: String,
    /// The publisher's page, or the article in this API when there is none.
    pub url: String,
    /// The headline.
    pub title: String,
    /// The standfirst.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The standfirst, or the headline when there is none (JSON Feed requires a content).
    pub content_text: String,
    /// The lead picture's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// When the story was first published.
    pub date_published: DateTime<Utc>,
    /// When it was last changed.
    pub date_modified: DateTime<Utc>,
    /// Bylines, in print order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<JsonFeedAuthor>,
    /// The names of its topics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Its BCP 47 language tag.
    pub language: String,
}

/// A byline in a JSON Feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedAuthor {
    /// The name as printed.
    pub name: String,
    /// The author in this API.
    pub url: String,
}

/// A feed, before it is written in one format.
struct FeedPage {
    title: String,
    /// The JSON list this feed is a view of.
    list_url: String,
    feed_url: String,
    next_url: Option<String>,
    language: Option<String>,
    articles: Vec<ArticleSummary>,
}

/// Answers a feed: the list's page, the scope's name for the title, written in `format`. (Feeds
/// do not document `fields`, so the route table refuses it before this runs.)
async fn feed(
    req: &HttpRequest,
    db: &ReadDb,
    scope: ListScope,
    extension: &str,
    filters: ArticleFilterParams,
    params: ArticleListParams,
) -> Result<HttpResponse, ApiError> {
    let format = FeedFormat::from_extension(extension)?;
    let language = filters.language.clone();
    let query = ArticleQuery::parse(scope.clone(), filters, params)?;
    let index = req.app_data::<web::Data<SearchIndex>>();
    let (found, name, list_path) = db
        .reads()
        .run(async |conn| {
            let found = query.run(conn, index.map(|i| i.get_ref())).await?;
            let (name, list_path) = match &scope {
                ListScope::All => (Some("Latest news".to_owned()), "/v1/articles".to_owned()),
                ListScope::Topic(slug) => (
                    topics::find_topic(conn, slug).await?.map(|t| t.name),
                    format!("/v1/topics/{slug}/articles"),
                ),
                ListScope::Author(slug) => (
                    authors::find_author(conn, slug).await?.map(|a| a.name),
                    format!("/v1/authors/{slug}/articles"),
                ),
                ListScope::Entity(slug) => (
                    entities::find_entity(conn, slug).await?.map(|e| e.name),
                    format!("/v1/entities/{slug}/articles"),
                ),
            };
            Ok::<_, ApiError>((found, name.unwrap_or_default(), list_path))
        })
        .await?;
    let query_string = req.query_string();
    let with_query = |path: &str| match query_string {
        "" => absolute_url(req, path),
        q => absolute_url(req, &format!("{path}?{q}")),
    };
    let next_url = found
        .next_cursor
        .as_deref()
        .map(|cursor| next_url(req, cursor));
    let page = FeedPage {
        title: format!("dateline: {name}"),
        list_url: with_query(&list_path),
        feed_url: with_query(req.path()),
        next_url,
        language,
        articles: found.items.into_iter().map(summary_view).collect(),
    };
    let body = match format {
        FeedFormat::Atom => atom_feed(req, &page).to_string(),
        FeedFormat::Rss => rss_channel(req, &page).to_string(),
        FeedFormat::Json => serde_json::to_string(&json_feed(req, page))
            .map_err(|e| ApiError::Internal(format!("cannot serialise a feed: {e}")))?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(ContentType(format.content_type().parse().map_err(
            |_| ApiError::Internal("a feed's content type does not parse".to_owned()),
        )?))
        .body(body))
}

/// Where a feed entry links: the publisher's page, else the article in this API.
fn entry_link(req: &HttpRequest, article: &ArticleSummary) -> String {
    article
        .url
        .clone()
        .unwrap_or_else(|| absolute_url(req, &article.links.self_url))
}

/// When the feed last changed: its newest change (the epoch for an empty feed, so that an
/// unchanged empty feed keeps its tag).
fn feed_updated(page: &FeedPage) -> DateTime<Utc> {
    page.articles
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn atom_link(href: String, rel: &str, mime: Option<&str>) -> atom::Link {
    atom::Link {
        href,
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    }
}

fn atom_feed(req: &HttpRequest, page: &FeedPage) -> atom::Feed {
    let mut links = vec![
        atom_link(page.feed_url.clone(), "self", Some("application/atom+xml")),
        atom_link(page.list_url.clone(), "alternate", Some("application/json")),
    ];
    links.extend(
        page.next_url
            .clone()
            .map(|next| atom_link(next, "next", Some("application/atom+xml"))),
    );
    let entries = page
        .articles
        .iter()
        .map(|article| {
            let mut links = vec![atom_link(entry_link(req, article), "alternate", None)];
            links.extend(article.image.as_ref().map(|image| {
                atom_link(
                    image.href.clone(),
                    "enclosure",
                    image.content_type.as_deref(),
                )
            }));
            atom::Entry {
                id: absolute_url(req, &article.links.self_url),
                title: atom::Text::plain(article.headline.clone()),
                updated: article.updated_at.fixed_offset(),
                published: Some(article.published_at.fixed_offset()),
                authors: article
                    .authors
                    .iter()
                    .map(|a| atom::Person {
                        name: a.name.clone(),
                        uri: Some(absolute_url(req, &a.links.self_url)),
                        ..Default::default()
                    })
                    .collect(),
                categories: article
                    .topics
                    .iter()
                    .map(|t| atom::Category {
                        term: t.slug.clone(),
                        label: Some(t.name.clone()),
                        ..Default::default()
                    })
                    .collect(),
                summary: article.lead.clone().map(atom::Text::plain),
                links,
                ..Default::default()
            }
        })
        .collect();
    atom::Feed {
        id: page.feed_url.clone(),
        title: atom::Text::plain(page.title.clone()),
        updated: feed_updated(page).fixed_offset(),
        generator: Some(atom::Generator {
            value: "dateline".to_owned(),
            ..Default::default()
        }),
        lang: page.language.clone(),
        links,
        entries,
        ..Default::default()
    }
}

fn rss_channel(req: &HttpRequest, page: &FeedPage) -> rss::Channel {
    use rss::extension::atom::AtomExtension;
    use rss::extension::dublincore::DublinCoreExtension;

    let mut feed_links = vec![atom_link(
        page.feed_url.clone(),
        "self",
        Some("application/rss+xml"),
    )];
    feed_links.extend(
        page.next_url
            .clone()
            .map(|next| atom_link(next, "next", Some("application/rss+xml"))),
    );
    let items = page
        .articles
        .iter()
        .map(|article| rss::Item {
            title: Some(article.headline.clone()),
            link: Some(entry_link(req, article)),
            description: article.lead.clone(),
            guid: Some(rss::Guid {
                value: absolute_url(req, &article.links.self_url),
                permalink: false,
            }),
            pub_date: Some(article.published_at.to_rfc2822()),
            categories: article
                .topics
                .iter()
                .map(|t| rss::Category {
                    name: t.name.clone(),
                    domain: None,
                })
                .collect(),
            // RSS's `<enclosure>` requires a length in bytes, which is not known: 0 says so.
            enclosure: article.image.as_ref().map(|image| rss::Enclosure {
                url: image.href.clone(),
                length: "0".to_owned(),
                mime_type: image
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "image/jpeg".to_owned()),
            }),
            // `<author>` is an e-mail address in RSS; names and the change time go in Dublin Core.
            dublin_core_ext: Some(DublinCoreExtension {
                creators: article.authors.iter().map(|a| a.name.clone()).collect(),
                dates: vec![article.updated_at.to_rfc3339()],
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    rss::Channel {
        title: page.title.clone(),
        link: page.list_url.clone(),
        description: format!("{}, newest first", page.title),
        language: page.language.clone(),
        last_build_date: Some(feed_updated(page).to_rfc2822()),
        generator: Some("dateline".to_owned()),
        atom_ext: Some(AtomExtension { links: feed_links }),
        items,
        ..Default::default()
    }
}

fn json_feed(req: &HttpRequest, page: FeedPage) -> JsonFeed {
    let items = page
        .articles
        .iter()
        .map(|article| JsonFeedItem {
            id: absolute_url(req, &article.links.self_url),
            url: entry_link(req, article),
            title: article.headline.clone(),
            summary: article.lead.clone(),
            content_text: article
                .lead
                .clone()
                .unwrap_or_else(|| article.headline.clone()),
            image: article.image.as_ref().map(|image| image.href.clone()),
            date_published: article.published_at,
            date_modified: article.updated_at,
            authors: article
                .authors
                .iter()
                .map(|a| JsonFeedAuthor {
                    name: a.name.clone(),
                    url: absolute_url(req, &a.links.self_url),
                })
                .collect(),
            tags: article.topics.iter().map(|t| t.name.clone()).collect(),
            language: article.language.clone(),
        })
        .collect();
    JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: page.title,
        home_page_url: page.list_url,
        feed_url: page.feed_url,
        next_url: page.next_url,
        language: page.language,
        items,
    }
}

/// Declares one feed operation: its path, the resource it is of, and its handler.
macro_rules! feed_operation {
    (
        $(#[$doc:meta])*
        $name:ident, $path:tt, $tag:tt, $description:tt,
        |$segments:ident: $segments_ty:ty| ($scope:expr, $extension:expr),
        [$(($param:tt, $example:tt, $param_doc:tt))?]
    ) => {
        $(#[$doc])*
        #[utoipa::path(
            tag = $tag,
            params(
                $(($param = String, Path, description = $param_doc, example = $example),)?
                ("format" = String, Path, description = "`atom` (RFC 4287), `rss` (RSS 2.0) or `json` (JSON Feed 1.1)",
                    pattern = "^(atom|rss|json)$", example = "atom"),
                ArticleFilterParams,
                ArticleListParams
            ),
            responses(
                (status = 200, description = $description, content(
                    (String = "application/atom+xml"),
                    (String = "application/rss+xml"),
                    (JsonFeed = "application/feed+json"),
                )),
                ListErrors,
            )
        )]
        #[get($path)]
        pub async fn $name(
            req: HttpRequest,
            db: ReadDb,
            path: web::Path<$segments_ty>,
            filters: QueryParams<ArticleFilterParams>,
            params: QueryParams<ArticleListParams>,
        ) -> Result<HttpResponse, ApiError> {
            let $segments = path.into_inner();
            let (scope, extension) = ($scope, $extension);
            feed(&req, &db, scope, &extension, filters.0, params.0).await
        }
    };
}

feed_operation!(
    /// The latest news as a feed.
    ///
    /// The latest articles as Atom, RSS 2.0 or JSON Feed 1.1, with every article-list parameter:
    /// headline, link, dates, authors, topics as categories, the standfirst and the lead picture.
    latest_feed, "/feeds/latest.{format}", "feeds", "The latest articles as a feed",
    |format: String| (ListScope::All, format), []
);

feed_operation!(
    /// A topic's feed.
    ///
    /// The latest articles on a topic or its descendants as Atom, RSS 2.0 or JSON Feed 1.1, with
    /// every article-list parameter.
    topic_feed, "/topics/{slug}/feed.{format}", "feeds", "The topic's latest articles as a feed",
    |path: (String, String)| (ListScope::Topic(path.0), path.1), [("slug", "diplomacy", "The topic's slug")]
);

feed_operation!(
    /// An author's feed.
    ///
    /// The latest articles by one author as Atom, RSS 2.0 or JSON Feed 1.1, with every article-list
    /// parameter.
    author_feed, "/authors/{slug}/feed.{format}", "feeds", "The author's latest articles as a feed",
    |path: (String, String)| (ListScope::Author(path.0), path.1), [("slug", "alex-raufoglu", "The author's slug")]
);

feed_operation!(
    /// An entity's feed.
    ///
    /// The latest articles naming one entity as Atom, RSS 2.0 or JSON Feed 1.1, with every
    /// article-list parameter.
    entity_feed, "/entities/{slug}/feed.{format}", "feeds", "The entity's latest articles as a feed",
    |path: (String, String)| (ListScope::Entity(path.0), path.1), [("slug", "antony-blinken", "The entity's slug")]
);
