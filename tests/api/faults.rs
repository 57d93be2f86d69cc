//! A database connection lost mid-request: a read is tried again on a new connection, a write is
//! a 503 problem, and a batch stops, reporting the items it did not attempt.
//!
//! Each test holds a lock in a transaction of its own, so that the request's statement waits on
//! it, kills the waiting backend with `pg_terminate_backend` (what a restart, a failover or an
//! operator does to it), then releases the lock.

use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};

use crate::harness::{Response, TestApp};
use crate::writes::{demo_and_writer, post, story};

const SEED: &str = "us-formally-rejects-russias-top-security-demands";

/// Waits until a backend of this test's database waits on a lock, and terminates it.
async fn kill_the_waiting_backend(conn: &mut AsyncPgConnection) {
    #[derive(diesel::QueryableByName)]
    struct Killed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for _ in 0..500 {
        let killed: Killed = diesel::sql_query(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' \
             AND pid <> pg_backend_pid()",
        )
        .get_result(conn)
        .await
        .expect("terminate");
        if killed.n > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no request came to wait on the lock");
}

/// Runs `request` while `lock` is held by another transaction; kills the request's backend once
/// it waits on the lock, then releases it.
async fn with_killed_connection(
    app: &TestApp,
    lock: &str,
    request: impl Future<Output = Response>,
) -> Response {
    let mut holder = app.pool.get().await.expect("connection");
    let mut killer = app.pool.get().await.expect("connection");
    holder
        .batch_execute(&format!("BEGIN; {lock}"))
        .await
        .expect("lock");
    let kill = async {
        kill_the_waiting_backend(&mut killer).await;
        holder.batch_execute("ROLLBACK").await.expect("unlock");
    };
    let (response, ()) = futures_util::join!(request, kill);
    response
}

#[actix_web::test]
async fn a_read_whose_connection_is_killed_is_answered_from_a_new_one() {
    let app = TestApp::with_demo().await;
    let response = with_killed_connection(
        &app,
        "LOCK TABLE articles IN ACCESS EXCLUSIVE MODE",
        app.get(&format!("/v1/articles/{SEED}")),
    )
    .await;
    assert_eq!(response.json_of(200)["slug"], SEED);
}

#[actix_web::test]
async fn a_write_whose_connection_is_killed_is_a_503_and_writes_nothing() {
    let (app, writer) = demo_and_writer().await;
    let before = app.count("SELECT count(*) AS n FROM articles").await;
    let response = with_killed_connection(
        &app,
        "LOCK TABLE articles IN ACCESS EXCLUSIVE MODE",
        post(&app, &writer, &story(1)),
    )
    .await;
    let problem = response.problem(503);
    assert_eq!(
        problem["detail"],
        "the connection to the database was lost; retry later"
    );
    assert!(response.header("retry-after").is_some());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM articles").await,
        before
    );
    // Sent again, it is stored.
    assert_eq!(post(&app, &writer, &story(1)).await.status, 201);
}

#[actix_web::test]
async fn a_batch_whose_connection_is_killed_stops_and_reports_what_it_did_not_do() {
    let (app, writer) = demo_and_writer().await;
    assert_eq!(post(&app, &writer, &story(2)).await.status, 201);
    let mut changed = story(2);
    changed["headline"] = json!("Council approves a smaller budget");
    let batch = json!([story(1), changed, story(3)]);
    let response = with_killed_connection(
        &app,
        "SELECT 1 FROM articles WHERE url = 'https://news.example.com/story/2' FOR UPDATE",
        app.call(
            actix_web::test::TestRequest::post()
                .uri("/v1/articles/batch")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .set_json(&batch),
        ),
    )
    .await;
    let results: Vec<Value> = response.json_of(200)["results"].as_array().unwrap().clone();
    let statuses: Vec<&Value> = results.iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [&json!(201), &json!(503), &json!(503)]);
    assert_eq!(
        results[1]["problem"]["detail"],
        "the connection to the database was lost; retry later"
    );
    assert_eq!(
        results[2]["problem"]["detail"],
        "not attempted: the batch stopped at item 1, where the database became unavailable; \
         send this item again"
    );
    let stored = |n: u32| {
        format!(
            "SELECT count(*) AS n FROM articles WHERE url = 'https://news.example.com/story/{n}'"
        )
    };
    assert_eq!(app.count(&stored(1)).await, 1);
    assert_eq!(app.count(&stored(3)).await, 0);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM articles WHERE headline = 'Council approves a smaller budget'"
        )
        .await,
        0
    );
}
