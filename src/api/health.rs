//! Liveness and readiness probes.

use actix_web::{get, web};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, PlainErrors, ProbeErrors};
use crate::db::DbPool;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// Always `ok` when the probe succeeds.
    pub status: String,
}

/// Liveness.
///
/// The process is up and serving HTTP; it does not ask the database.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is up", body = Health), PlainErrors))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
    })
}

/// Readiness.
///
/// The database answers queries: 200, or 503 with `Retry-After` while it does not.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Health),
        ProbeErrors,
    )
)]
#[get("/readyz")]
pub async fn readyz(pool: web::Data<DbPool>) -> Result<web::Json<Health>, ApiError> {
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(web::Json(Health {
        status: "ok".to_owned(),
    }))
}
