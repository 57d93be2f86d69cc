//! The facets of an article list: its filters (those of every list), the histogram's interval
//! and how many of each facet to return.

use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::IntoParams;

use super::article_list::{ArticleFilterParams, ArticleFilters, ListScope};
use super::error::QueryError;
use crate::store::facets::{self, FacetRequest, Facets};
use crate::vocab::HistogramInterval;

/// The most topics, authors or entities of one kind an answer lists.
pub const MAX_TOP: u32 = 50;
const DEFAULT_TOP: u32 = 10;

/// What the facets answer holds, beside the [`ArticleFilterParams`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacetParams {
    /// The histogram's bucket width: `day`, `week` (ISO, from Monday) or `month` (default), in UTC.
    #[param(value_type = Option<HistogramInterval>)]
    pub interval: Option<String>,
    /// How many topics, authors and entities of each kind to list, 1 to 50 (default 10).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, example = 10)]
    pub top: Option<String>,
}

/// A facets request, checked.
#[derive(Debug, Clone)]
pub struct FacetQuery {
    pub filters: ArticleFilters,
    pub interval: HistogramInterval,
    pub top: u32,
}

impl FacetQuery {
    /// Checks every parameter; the first one at fault is the error.
    pub fn parse(filters: ArticleFilterParams, params: FacetParams) -> Result<Self, QueryError> {
        let filters = ArticleFilters::parse(filters)?;
        let interval = match params.interval.as_deref() {
            None => HistogramInterval::default(),
            Some(text) => text.parse().map_err(|_| {
                QueryError::bad_parameter(
                    "interval",
                    format!("must be {}", HistogramInterval::choices()),
                )
            })?,
        };
        let top = match params.top.as_deref() {
            None => DEFAULT_TOP,
            Some(text) => text
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=MAX_TOP).contains(n))
                .ok_or_else(|| {
                    QueryError::bad_parameter(
                        "top",
                        format!("must be an integer between 1 and {MAX_TOP}"),
                    )
                })?,
        };
        Ok(Self {
            filters,
            interval,
            top,
        })
    }

    /// Resolves the filter slugs (an unknown one is a 404) and counts.
    pub async fn run(&self, conn: &mut AsyncPgConnection) -> Result<Facets, QueryError> {
        let filter = self.filters.resolve(conn, &ListScope::All).await?;
        Ok(facets::facets(
            conn,
            FacetRequest {
                filter: &filter,
                interval: self.interval,
                top: self.top,
            },
        )
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<FacetQuery, QueryError> {
        FacetQuery::parse(
            serde_html_form::from_str(query).unwrap(),
            serde_html_form::from_str(query).unwrap(),
        )
    }

    #[test]
    fn interval_and_top_are_checked() {
        let q = parse("topic=a&interval=week&top=3").unwrap();
        assert_eq!((q.interval, q.top), (HistogramInterval::Week, 3));
        assert_eq!(parse("").unwrap().interval, HistogramInterval::Month);
        for bad in ["interval=year", "top=0", "top=51", "top=x"] {
            assert!(
                matches!(parse(bad), Err(QueryError::BadParameter { .. })),
                "{bad}"
            );
        }
    }
}
