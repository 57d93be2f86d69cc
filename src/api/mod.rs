//! The HTTP face: one module per resource (parameters, views, thin handlers), and what they
//! share. Handlers parse, call the ingest or query layer (or the store for the simple
//! resources), and shape views; they hold no SQL.
//!
//! The route table is [`configure`]: what it registers is served, documented in the spec, and
//! named in every 405's `Allow` header.

pub mod article_read;
pub mod article_writes;
pub mod articles;
pub mod auth;
pub mod authors;
pub mod by_slug;
pub mod cache;
pub mod changes;
pub mod discovery;
pub mod docs;
pub mod entities;
pub mod error;
pub mod facets;
pub mod feeds;
pub mod fields;
pub mod hardening;
pub mod health;
pub mod http;
pub mod jsonld;
pub mod limits;
pub mod metrics;
pub mod negotiation;
pub mod ninjs;
pub mod pagination;
pub mod params;
pub mod proxies;
pub mod rate_limit;
pub mod reads;
pub mod related;
pub mod topics;

use std::collections::HashMap;
use std::sync::LazyLock;

use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route; shared by the server, the tests and `dateline openapi`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/v1")
            .service(discovery::api_index)
            .service(articles::list_articles)
            .service(article_writes::upsert_article)
            .service(article_writes::upsert_batch)
            .service(facets::article_facets)
            .service(article_read::get_article)
            .service(article_writes::replace_article)
            .service(article_writes::patch_article)
            .service(article_writes::withdraw_article)
            .service(related::related_articles)
            .service(changes::list_changes)
            .service(feeds::latest_feed)
            .service(feeds::topic_feed)
            .service(feeds::author_feed)
            .service(feeds::entity_feed)
            .service(authors::list_authors)
            .service(authors::create_author)
            .service(authors::update_author)
            .service(authors::delete_author)
            .service(authors::get_author)
            .service(authors::list_author_articles)
            .service(entities::list_entities)
            .service(entities::create_entity)
            .service(entities::update_entity)
            .service(entities::delete_entity)
            .service(entities::get_entity)
            .service(entities::list_entity_articles)
            .service(related::related_entities)
            .service(topics::list_topics)
            .service(topics::create_topic)
            .service(topics::update_topic)
            .service(topics::delete_topic)
            .service(topics::get_topic)
            .service(topics::list_topic_articles),
    )
    .service(health::healthz)
    .service(health::readyz)
    .service(metrics::get_metrics)
    .service(docs::openapi_json);
}

/// What a route serves, read from the routes [`configure`] registers (as the spec documents
/// them), so that a new route, method or parameter needs no other edit.
#[derive(Debug, Default)]
pub struct RouteInfo {
    /// The methods served, for `Allow`: `GET, POST`.
    pub allow: String,
    /// The query parameters each method takes; any other is refused.
    pub query: HashMap<&'static str, Vec<String>>,
}

/// The route table: by pattern, as actix's resource map names it (`/v1/articles/{id_or_slug}`).
pub fn route(pattern: &str) -> Option<&'static RouteInfo> {
    static ROUTES: LazyLock<HashMap<String, RouteInfo>> = LazyLock::new(|| {
        let (_, spec) = actix_web::App::new()
            .into_utoipa_app()
            .configure(configure)
            .split_for_parts();
        spec.paths
            .paths
            .iter()
            .map(|(path, item)| (path.clone(), route_info(item)))
            .collect()
    });
    ROUTES.get(pattern)
}

/// The methods a route pattern serves, for `Allow`.
pub fn allowed_methods(pattern: &str) -> Option<&'static str> {
    route(pattern).map(|r| r.allow.as_str())
}

fn route_info(item: &PathItem) -> RouteInfo {
    // In the order RFC 9110 lists the methods.
    let operations = [
        ("GET", &item.get),
        ("HEAD", &item.head),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
    ];
    let served: Vec<(&'static str, &Operation)> = operations
        .into_iter()
        .filter_map(|(name, operation)| operation.as_ref().map(|op| (name, op)))
        .collect();
    RouteInfo {
        allow: served
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", "),
        query: served
            .iter()
            .map(|(name, operation)| (*name, query_parameters(operation)))
            .collect(),
    }
}

fn query_parameters(operation: &Operation) -> Vec<String> {
    operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::allowed_methods;

    #[test]
    fn allow_lists_the_registered_methods() {
        assert_eq!(
            allowed_methods("/v1/articles/{id_or_slug}"),
            Some("GET, PUT, PATCH, DELETE")
        );
        assert_eq!(allowed_methods("/v1/articles/batch"), Some("POST"));
        assert_eq!(allowed_methods("/v1/topics"), Some("GET, POST"));
        assert_eq!(allowed_methods("/healthz"), Some("GET"));
        assert_eq!(allowed_methods("/v1/nothing"), None);
        let list = &super::route("/v1/articles").unwrap().query["GET"];
        assert!(list.contains(&"topic".to_owned()) && list.contains(&"cursor".to_owned()));
        assert_eq!(
            super::route("/v1/articles/{id_or_slug}").unwrap().query["GET"],
            ["fields", "format", "ninjs_version"]
        );
        assert!(super::route("/v1/articles/{id_or_slug}").unwrap().query["DELETE"].is_empty());
    }
}
