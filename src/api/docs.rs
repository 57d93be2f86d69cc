//! The OpenAPI document, served byte for byte as checked in at `openapi/openapi.json`.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};

use super::error::PlainErrors;

/// The spec as served: pretty JSON with a trailing newline, computed once at start-up.
pub struct SpecJson(pub Bytes);

/// This OpenAPI document.
///
/// The OpenAPI 3.1 document of this API, as checked in at `openapi/openapi.json`, byte for byte.
#[utoipa::path(
    tag = "docs",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object), PlainErrors)
)]
#[get("/openapi.json")]
pub async fn openapi_json(spec: web::Data<SpecJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.0.clone())
}
