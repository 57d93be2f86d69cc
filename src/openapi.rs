//! The root OpenAPI document. Paths and schemas are collected from the handlers by
//! utoipa-actix-web; this adds what only the whole API knows.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dateline",
        description = "News metadata over HTTP: articles with their authors, the named entities they \
mention and their topics (mapped to IPTC Media Topics).\n\n\
Article lists are newest first (authors, entities and topics are in slug order), and every list is \
cursor-paginated: pass `next_cursor` back as `cursor`, or follow the `Link: <…>; rel=\"next\"` header. Errors are RFC 9457 `application/problem+json` documents.\n\n\
The worked example throughout is a TURAN wire story by Alex Raufoglu, datelined Washington D.C.: \
\"U.S. Formally Rejects Russia's Top Security Demands\".",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "This server")),
    modifiers(&BearerKeys),
    components(schemas(crate::vocab::SortOrder, crate::vocab::EntityKind)),
    tags(
        (name = "articles", description = "News articles: latest first, filtered by topic, author, entity, language, date or full text"),
        (name = "authors", description = "People with a byline"),
        (name = "entities", description = "Named people, organisations, places and events"),
        (name = "topics", description = "The topic hierarchy, mapped to IPTC Media Topics"),
        (name = "feeds", description = "Atom, RSS 2.0 and JSON Feed 1.1 of the article lists"),
        (name = "health", description = "Liveness and readiness probes"),
        (name = "docs", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Writes need `Authorization: Bearer <key>`; keys come from `dateline keys create`.
struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from `dateline keys create --scope write`"))
                    .build(),
            ),
        );
    }
}

/// What every operation shares, written once here rather than on each handler: public operations
/// say they need no key (`security: [{}]`); the answers to reads document the validators and
/// caching headers they carry (`ETag`, `Cache-Control`, `Vary`, and `Link` on lists); every
/// problem response has an example of the document it is.
struct HttpConventions;

impl Modify for HttpConventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        use utoipa::openapi::security::SecurityRequirement;
        use utoipa::openapi::{Header, ObjectBuilder, RefOr, Type};

        let header = |description: &str| {
            let mut header = Header::new(ObjectBuilder::new().schema_type(Type::String));
            header.description = Some(description.to_owned());
            RefOr::T(header)
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The probes are never stored, so they carry no validator.
            let probe = matches!(path.as_str(), "/healthz" | "/readyz");
            let get = item.get.as_mut().map(|op| (true, op));
            let others = [
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .filter_map(|op| op.as_mut().map(|op| (false, op)));
            for (is_get, operation) in get.into_iter().chain(others) {
                let operation: &mut Operation = operation;
                operation
                    .security
                    .get_or_insert_with(|| vec![SecurityRequirement::default()]);
                let is_list = operation.parameters.iter().flatten().any(|p| {
                    matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query && p.name == "cursor")
                });
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if is_get && status == "200" && probe {
                        response
                            .headers
                            .insert("Cache-Control".into(), header("`no-store`"));
                    } else if is_get && status == "200" {
                        let headers = &mut response.headers;
                        headers.insert("ETag".into(), header("A strong tag of this representation (per content coding): send it back in `If-None-Match` to get a 304 when nothing changed"));
                        headers.insert("Cache-Control".into(), header("How long the answer may be kept: `public, max-age=…` (lists 10 s, single resources 60 s by default)"));
                        headers.insert(
                            "Vary".into(),
                            header("`Accept-Encoding` (and `Origin` for cross-origin requests)"),
                        );
                        if is_list {
                            headers.insert("Link".into(), header("`<URL of the next page>; rel=\"next\"` (RFC 8288) when there is a next page"));
                        }
                    }
                    let code: u16 = status.parse().unwrap_or_default();
                    if let Some(RefOr::T(content)) =
                        response.content.get_mut(crate::api::error::PROBLEM_JSON)
                    {
                        let title = actix_web::http::StatusCode::from_u16(code)
                            .ok()
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or("Error");
                        content.example = Some(serde_json::json!({
                            "type": "about:blank",
                            "title": title,
                            "status": code,
                            "detail": response.description,
                        }));
                    }
                }
            }
        }
    }
}

/// The complete document, as the server serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
    // After the routes are in: it edits their operations.
    HttpConventions.modify(&mut api);
    api
}

/// The document as checked in at `openapi/openapi.json`: pretty JSON and a final newline.
pub fn spec_json() -> String {
    let mut json = spec()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}
