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

/// The complete document, as the server serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
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
