//! `/metrics`: Prometheus' text format, requests counted by route pattern, pools, errors.

use crate::harness::{Response, TestApp};

/// The value of the sample whose name and labels are `series`, 0 when there is none.
fn sample(metrics: &Response, series: &str) -> f64 {
    String::from_utf8_lossy(&metrics.body)
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[actix_web::test]
async fn requests_are_counted_by_route_pattern_and_status_and_timed() {
    let app = TestApp::with_demo().await;
    let missing =
        r#"dateline_http_requests_total{route="/v1/authors/{slug}",method="GET",status="404"}"#;
    let before = sample(&app.get("/metrics").await, missing);
    app.get("/v1/authors/nobody-by-this-name")
        .await
        .problem(404);
    app.get("/v1/authors/nor-this-one").await.problem(404);
    assert_eq!(
        app.get("/v1/articles/us-formally-rejects-russias-top-security-demands")
            .await
            .status,
        200
    );
    app.get("/no/such/route").await.problem(404);

    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert_eq!(metrics.content_type(), "text/plain; version=0.0.4");
    let text = String::from_utf8_lossy(&metrics.body);
    // Each slug is one series of its route, not a series of its own.
    assert!(sample(&metrics, missing) >= before + 2.0, "{text}");
    assert!(!text.contains("nobody-by-this-name"));
    assert!(
        sample(
            &metrics,
            r#"dateline_http_requests_total{route="/v1/articles/{id_or_slug}",method="GET",status="200"}"#
        ) >= 1.0
    );
    assert!(
        sample(
            &metrics,
            r#"dateline_http_requests_total{route="unmatched",method="GET",status="404"}"#
        ) >= 1.0
    );
    assert!(
        sample(
            &metrics,
            r#"dateline_http_request_duration_seconds_bucket{route="/v1/articles/{id_or_slug}",method="GET",le="12"}"#
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            &metrics,
            r#"dateline_db_pool_connections{database="primary",state="max"}"#
        ) >= 1.0,
        "{text}"
    );
    assert!(text.contains("dateline_db_pool_waiting_requests{database=\"primary\"}"));
}
