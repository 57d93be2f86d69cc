//! The change feed: every create, update and withdrawal, in commit order, walked by cursors that
//! never skip or repeat a change, even while writes happen.

use actix_web::test::TestRequest;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::writes::{key, post, story};
use dateline::vocab::Scope;

/// Reads the feed from `cursor` to its newest change, `limit` at a time; returns the changes and
/// the last `poll_cursor`.
async fn walk(app: &TestApp, mut cursor: Option<String>, limit: u32) -> (Vec<Value>, String) {
    let mut changes = Vec::new();
    loop {
        let uri = match &cursor {
            Some(c) => format!("/v1/changes?limit={limit}&cursor={c}"),
            None => format!("/v1/changes?limit={limit}"),
        };
        let page = app.get(&uri).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        changes.extend(page["data"].as_array().unwrap().iter().cloned());
        let poll = page["poll_cursor"].as_str().unwrap().to_owned();
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(next, poll, "both name the end of this page");
                cursor = Some(next.to_owned());
            }
            None => return (changes, poll),
        }
    }
}

fn seqs(changes: &[Value]) -> Vec<i64> {
    changes.iter().map(|c| c["seq"].as_i64().unwrap()).collect()
}

#[actix_web::test]
async fn the_feed_lists_creates_updates_and_withdrawals_in_order_and_polls_for_more() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let (_, start) = walk(&app, None, 100).await;
    let auth = ("authorization", format!("Bearer {writer}"));

    let first = post(&app, &writer, &story(1)).await.json();
    post(&app, &writer, &story(2)).await;
    let id = first["id"].as_i64().unwrap();
    let mut changed = story(1);
    changed["headline"] = json!("Council approves a smaller budget");
    post(&app, &writer, &changed).await;
    // An identical re-send is not a change.
    post(&app, &writer, &changed).await;
    let withdrawn = app
        .call(
            TestRequest::delete()
                .uri(&format!("/v1/articles/{id}"))
                .insert_header(auth.clone()),
        )
        .await;
    assert_eq!(withdrawn.status, 204);

    let page = app.get(&format!("/v1/changes?cursor={start}")).await;
    assert_eq!(page.status, 200);
    assert!(page.header("etag").is_some());
    assert!(page.header("link").is_none(), "no next page");
    let page = page.json();
    let data = page["data"].as_array().unwrap();
    let seen: Vec<(i64, &str, i64)> = data
        .iter()
        .map(|c| {
            (
                c["article_id"].as_i64().unwrap(),
                c["change"].as_str().unwrap(),
                c["version"].as_i64().unwrap(),
            )
        })
        .collect();
    let other = data[1]["article_id"].as_i64().unwrap();
    assert_eq!(
        seen,
        [
            (id, "created", 1),
            (other, "created", 1),
            (id, "updated", 2),
            (id, "withdrawn", 3)
        ]
    );
    let slug = first["slug"].as_str().unwrap();
    assert_eq!(data[0]["slug"], slug);
    assert_eq!(data[0]["links"]["self"], format!("/v1/articles/{slug}"));
    assert!(data[3]["changed_at"].as_str().unwrap() >= data[0]["changed_at"].as_str().unwrap());
    assert!(seqs(data).windows(2).all(|w| w[0] < w[1]));
    assert!(page["next_cursor"].is_null());

    // Caught up: polling again finds nothing, and the same place to poll from.
    let poll = page["poll_cursor"].as_str().unwrap();
    let again = app.get(&format!("/v1/changes?cursor={poll}")).await.json();
    assert_eq!(again["data"], json!([]));
    assert_eq!(again["poll_cursor"], poll);

    // A later write is what the next poll finds.
    post(&app, &writer, &story(3)).await;
    let later = app.get(&format!("/v1/changes?cursor={poll}")).await.json();
    assert_eq!(later["data"].as_array().unwrap().len(), 1);
    assert_eq!(later["data"][0]["change"], "created");

    // Paged: a full page links to the next one.
    let paged = app
        .get(&format!("/v1/changes?limit=2&cursor={start}"))
        .await;
    let next = paged.json()["next_cursor"].as_str().unwrap().to_owned();
    assert!(paged.header("link").unwrap().contains(&next));
    let (all, _) = walk(&app, Some(start), 2).await;
    assert_eq!(all.len(), 5);
}

#[actix_web::test]
async fn a_change_committed_later_is_listed_later_even_when_it_was_made_first() {
    let app = TestApp::with_demo().await;
    let (before, _) = walk(&app, None, 100).await;
    let mut slow = app.pool.get().await.unwrap();
    let mut fast = app.pool.get().await.unwrap();
    // `slow` changes the first article and holds its transaction open; `fast` changes another
    // and commits at once.
    for sql in [
        "BEGIN",
        "UPDATE articles SET version = version + 1 WHERE id = (SELECT min(id) FROM articles)",
    ] {
        diesel::sql_query(sql).execute(&mut slow).await.unwrap();
    }
    diesel::sql_query(
        "UPDATE articles SET version = version + 1 WHERE id = (SELECT max(id) FROM articles)",
    )
    .execute(&mut fast)
    .await
    .unwrap();
    let (mid, poll) = walk(&app, None, 100).await;
    assert_eq!(mid.len(), before.len() + 1, "only the committed change");
    diesel::sql_query("COMMIT")
        .execute(&mut slow)
        .await
        .unwrap();
    drop((slow, fast));

    // Resuming where the reader stopped finds the slow change: it was not numbered before the
    // fast one, so nothing was skipped.
    let (after, _) = walk(&app, Some(poll), 100).await;
    assert_eq!(after.len(), 1, "{after:?}");
    let first_id = app.count("SELECT min(id) AS n FROM articles").await;
    assert_eq!(after[0]["article_id"], first_id);
    assert_eq!(after[0]["change"], "updated");
}

#[actix_web::test]
async fn a_walk_during_concurrent_writes_sees_every_change_once_in_commit_order() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let (demo, start) = walk(&app, None, 100).await;
    let writers = (0..4u32).map(|w| {
        let (app, writer) = (&app, &writer);
        async move {
            for i in 0..10u32 {
                let n = 100 * w + i;
                post(app, writer, &story(n)).await;
                let mut changed = story(n);
                changed["lead"] = json!(format!("Revised {i}"));
                post(app, writer, &changed).await;
            }
        }
    });
    let writing = futures_util::future::join_all(writers);
    let reading = async {
        let mut seen = Vec::new();
        let mut cursor = Some(start.clone());
        for _ in 0..40 {
            let (changes, poll) = walk(&app, cursor.take(), 3).await;
            seen.extend(changes);
            cursor = Some(poll);
            actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        (seen, cursor)
    };
    let (_, (mut seen, cursor)) = futures_util::join!(writing, reading);
    seen.extend(walk(&app, cursor, 3).await.0);

    assert_eq!(seen.len(), 80, "40 creates and 40 updates");
    let stored = app.count("SELECT count(*) AS n FROM article_changes").await;
    assert_eq!(stored, 80 + demo.len() as i64);
    let order = seqs(&seen);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // Each article's versions come in order: created (1) before updated (2).
    let mut versions: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for change in &seen {
        versions
            .entry(change["article_id"].as_i64().unwrap())
            .or_default()
            .push(change["version"].as_i64().unwrap());
    }
    assert_eq!(versions.len(), 40);
    assert!(versions.values().all(|v| v == &[1, 2]), "{versions:?}");
}

#[actix_web::test]
async fn the_demo_data_is_in_the_feed_and_bad_cursors_are_refused() {
    let app = TestApp::with_demo().await;
    let (all, _) = walk(&app, None, 100).await;
    let articles = app.count("SELECT count(*) AS n FROM articles").await;
    assert_eq!(all.len() as i64, articles);
    assert!(all.iter().all(|c| c["change"] == "created"));

    for uri in [
        "/v1/changes?cursor=not-a-cursor",
        "/v1/changes?limit=0",
        "/v1/changes?limit=101",
        "/v1/changes?since=2024-01-01",
    ] {
        let problem = app.get(uri).await.problem(400);
        assert!(problem["param"].is_string(), "{uri}: {problem}");
    }
    // A cursor of another list is not a position in the feed.
    let topics = app.get("/v1/topics?limit=1").await.json();
    let foreign = topics["next_cursor"].as_str().unwrap();
    let problem = app
        .get(&format!("/v1/changes?cursor={foreign}"))
        .await
        .problem(400);
    assert_eq!(problem["param"], "cursor");
}
