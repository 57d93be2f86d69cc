//! `GET /metrics`: what an operator watches, in Prometheus' text format, by the `metrics` crate's
//! macros and its Prometheus exporter (rendered here, no listener of its own).
//!
//! Recorded where they happen, so each is counted once:
//! - requests by route pattern, method and status, and their latency ([`record`]);
//! - the pools' connections and waiting requests (read when scraped, [`get_metrics`]);
//! - pool timeouts and database errors by kind (`ApiError::problem`), reads tried again
//!   (`db::Reads`);
//! - response cache hits and misses (`articles::article_page`), rate-limit refusals
//!   (`rate_limit::limit`).

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, get, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::error::PlainErrors;
use crate::db::Databases;

const REQUESTS: &str = "dateline_http_requests_total";
const DURATION: &str = "dateline_http_request_duration_seconds";
/// From a cache hit (under a millisecond) to the request timeout (12 s).
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 12.0,
];

/// The process's recorder, installed by the first app built (the macros record nothing before).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &DURATION_BUCKETS)
                .and_then(|builder| builder.install_recorder());
            match installed {
                Ok(handle) => Some(handle),
                Err(e) => {
                    // Another recorder is installed (an embedding program's): /metrics is empty.
                    log::warn!("metrics are not recorded: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// Counts every request by the route it matched (its pattern, so the labels stay few), its
/// method and its status, and times it up to its answer's head.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method());
    let result = next.call(req).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    ::metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method,
        "status" => status.as_str().to_owned())
    .increment(1);
    ::metrics::histogram!(DURATION, "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    result
}

/// A method the API knows by name; any other is `other`, so that clients cannot mint labels.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("other")
}

/// Metrics.
///
/// The server's counters, gauges and latency histograms in Prometheus' text format: requests
/// by route, method and status, their durations, the connection pools, database errors, the
/// response cache and rate-limit refusals. Per process: scrape every instance.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The metrics, in Prometheus' text exposition format 0.0.4",
            content_type = "text/plain; version=0.0.4", body = String),
        PlainErrors,
    )
)]
#[get("/metrics")]
pub async fn get_metrics(databases: web::Data<Databases>) -> HttpResponse {
    let Some(handle) = handle() else {
        return HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .finish();
    };
    let pools = [
        ("primary", Some(&databases.primary)),
        ("replica", databases.replica.as_ref()),
    ];
    for (database, pool) in pools {
        let Some(pool) = pool else { continue };
        let status = pool.status();
        let gauge = |state: &'static str, value: usize| {
            ::metrics::gauge!("dateline_db_pool_connections", "database" => database, "state" => state)
                .set(value as f64);
        };
        gauge("open", status.size);
        gauge("idle", status.available);
        gauge("max", status.max_size);
        ::metrics::gauge!("dateline_db_pool_waiting_requests", "database" => database)
            .set(status.waiting as f64);
    }
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_api_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
