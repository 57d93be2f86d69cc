use actix_web::test::TestRequest;
use dateline::db;

use crate::harness::{TestApp, call_app};

#[actix_web::test]
async fn healthz_and_readyz_answer_ok_with_a_database() {
    let app = TestApp::empty().await;
    let live = app.get("/healthz").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.json()["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["status"], "ok");
}

#[actix_web::test]
async fn readyz_is_503_with_retry_after_when_the_database_is_down() {
    // Nothing listens on port 1; the pool cannot connect.
    let pool = db::build_pool("postgres://postgres@127.0.0.1:1/none", 1).unwrap();
    let response = call_app(pool.clone(), TestRequest::get().uri("/readyz")).await;
    let problem = response.problem(503);
    assert!(response.header("retry-after").is_some());
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        !detail.contains("127.0.0.1"),
        "no connection details leak: {detail}"
    );
    // Data endpoints answer the same way, never a 500.
    call_app(pool, TestRequest::get().uri("/v1/articles"))
        .await
        .problem(503);
}
