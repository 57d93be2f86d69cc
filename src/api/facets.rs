//! `/v1/articles/facets`: what the articles of a list are about, counted.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ListErrors};
use super::negotiation;
use super::params::{Collection, Links, QueryParams};
use super::reads::ReadDb;
use crate::queries::article_list::ArticleFilterParams;
use crate::queries::facets::{FacetParams, FacetQuery};
use crate::store::facets::{FacetCount, Facets};
use crate::vocab::{EntityKind, HistogramInterval};

/// The facets of the articles a set of filters selects (here `entity=antony-blinken&top=2`, on
/// the demo data: the reference story).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "total": 1,
    "counted": 1,
    "topics": [{"slug": "arms-control", "name": "Arms control and disarmament", "count": 1, "links": {"self": "/v1/topics/arms-control"}},
               {"slug": "conflict-war-and-peace", "name": "Conflict, war and peace", "count": 1, "links": {"self": "/v1/topics/conflict-war-and-peace"}}],
    "authors": [{"slug": "alex-raufoglu", "name": "Alex Raufoglu", "count": 1, "links": {"self": "/v1/authors/alex-raufoglu"}}],
    "entities": {
        "person": [{"slug": "antony-blinken", "name": "Antony Blinken", "count": 1, "links": {"self": "/v1/entities/antony-blinken"}},
                   {"slug": "joe-biden", "name": "Joe Biden", "count": 1, "links": {"self": "/v1/entities/joe-biden"}}],
        "organisation": [{"slug": "kremlin", "name": "Kremlin", "count": 1, "links": {"self": "/v1/entities/kremlin"}},
                         {"slug": "nato", "name": "NATO", "count": 1, "links": {"self": "/v1/entities/nato"}}],
        "place": [{"slug": "baltic-states", "name": "Baltic states", "count": 1, "links": {"self": "/v1/entities/baltic-states"}},
                  {"slug": "eastern-europe", "name": "Eastern Europe", "count": 1, "links": {"self": "/v1/entities/eastern-europe"}}],
        "event": [],
        "other": []
    },
    "histogram": {"interval": "month", "buckets": [{"start": "2022-01-01T00:00:00Z", "count": 1}]}
}))]
pub struct ArticleFacets {
    /// How many articles the filters select: exact.
    pub total: i64,
    /// How many of them `topics`, `authors` and `entities` count: the newest 1,000 (all of them
    /// when `total` is at most that, and then every count is exact).
    pub counted: i64,
    /// The topics that label the most counted articles, a topic counting the articles of its
    /// descendants too (as the `topic` filter selects them); most first, ties by slug.
    pub topics: Vec<FacetValue>,
    /// The authors of the most counted articles; most first, ties by slug.
    pub authors: Vec<FacetValue>,
    /// The entities named in the most counted articles, per kind.
    pub entities: EntityFacets,
    /// How many of all `total` articles were published in each interval.
    pub histogram: Histogram,
}

/// A topic, author or entity and how many of the counted articles it labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    /// Its slug: the value of the `topic`, `author` or `entity` filter that selects these articles.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// How many of the counted articles it labels.
    pub count: i64,
    /// It in this API.
    pub links: Links,
}

/// The top entities of each kind, most named first, ties by slug.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct EntityFacets {
    /// People.
    pub person: Vec<FacetValue>,
    /// Organisations.
    pub organisation: Vec<FacetValue>,
    /// Places.
    pub place: Vec<FacetValue>,
    /// Named events.
    pub event: Vec<FacetValue>,
    /// Anything else with a name.
    pub other: Vec<FacetValue>,
}

/// Articles per interval of publication time.
#[derive(Debug, Serialize, ToSchema)]
pub struct Histogram {
    /// The bucket width.
    pub interval: HistogramInterval,
    /// The non-empty buckets, oldest first; at most the newest 1,000.
    pub buckets: Vec<Bucket>,
}

/// One interval of a histogram.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bucket {
    /// The interval's first instant (UTC).
    pub start: DateTime<Utc>,
    /// How many articles were published in it.
    pub count: i64,
}

/// Facets of the articles.
///
/// For the articles that the filters of the article list select: their exact `total`, the top
/// topics, authors and entities (per kind) with counts, and a histogram by day, week or month.
/// One statement: the histogram reads the ids and dates of the whole set from the index that
/// drives it; the label counts read the newest 1,000 articles (`counted`).
#[utoipa::path(
    tag = "articles",
    params(ArticleFilterParams, FacetParams),
    responses(
        (status = 200, description = "The facets of the selected articles", body = ArticleFacets),
        ListErrors,
    )
)]
#[get("/articles/facets")]
pub async fn article_facets(
    req: HttpRequest,
    db: ReadDb,
    filters: QueryParams<ArticleFilterParams>,
    params: QueryParams<FacetParams>,
) -> Result<web::Json<ArticleFacets>, ApiError> {
    negotiation::require_json(&req)?;
    let query = FacetQuery::parse(filters.0, params.0)?;
    let facets = db
        .reads()
        .run(async |conn| Ok::<_, ApiError>(query.run(conn).await?))
        .await?;
    Ok(web::Json(facets_view(facets, query.interval)))
}

fn facets_view(facets: Facets, interval: HistogramInterval) -> ArticleFacets {
    let value = |collection: Collection, c: FacetCount| FacetValue {
        links: collection.links(&c.slug),
        slug: c.slug,
        name: c.name,
        count: c.count,
    };
    let mut entities = EntityFacets::default();
    for (kind, count) in facets.entities {
        let list = match kind {
            EntityKind::Person => &mut entities.person,
            EntityKind::Organisation => &mut entities.organisation,
            EntityKind::Place => &mut entities.place,
            EntityKind::Event => &mut entities.event,
            EntityKind::Other => &mut entities.other,
        };
        list.push(value(Collection::Entities, count));
    }
    ArticleFacets {
        total: facets.total,
        counted: facets.counted,
        topics: facets
            .topics
            .into_iter()
            .map(|c| value(Collection::Topics, c))
            .collect(),
        authors: facets
            .authors
            .into_iter()
            .map(|c| value(Collection::Authors, c))
            .collect(),
        entities,
        histogram: Histogram {
            interval,
            buckets: facets
                .histogram
                .into_iter()
                .map(|(start, count)| Bucket { start, count })
                .collect(),
        },
    }
}
