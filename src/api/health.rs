//! Liveness and readiness probes.

use actix_web::{get, web};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, PlainErrors, ProbeErrors};
use super::reads::ReadDb;
use crate::db::ConnectionLoss;

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
pub async fn readyz(db: ReadDb) -> Result<web::Json<Health>, ApiError> {
    for reads in db.each() {
        reads
            .run(async |conn| {
                diesel::sql_query("SELECT 1")
                    .execute(conn)
                    .await
                    .map_err(|e| match e.connection_lost() {
                        true => ApiError::ConnectionLost(e.to_string()),
                        false => ApiError::Unavailable(e.to_string()),
                    })
            })
            .await?;
    }
    Ok(web::Json(Health {
        status: "ok".to_owned(),
    }))
}
