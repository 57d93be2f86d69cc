//! Writes: keys and scopes, idempotent upserts, batches, replace, patch, withdraw, linking.

use actix_web::test::TestRequest;
use dateline::store::keys;
use dateline::vocab::Scope;
use serde_json::{Value, json};

use crate::harness::{Response, TestApp};

/// A database with the demo data, and a write key for it.
pub async fn demo_and_writer() -> (TestApp, String) {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    (app, writer)
}

pub async fn key(app: &TestApp, scopes: &[Scope]) -> String {
    let mut conn = app.pool.get().await.unwrap();
    keys::create_key(&mut conn, "test", scopes).await.unwrap().0
}

pub fn story(n: u32) -> Value {
    json!({
        "headline": format!("Council approves budget number {n}"),
        "lead": "The city council approved the budget on Tuesday.",
        "url": format!("https://News.Example.com/story/{n}?utm_source=feed#comments"),
        "source": "Example News",
        "published_at": "2024-05-07T10:00:00Z",
        "authors": ["Jane Doe", {"name": "Alex Raufoglu", "slug": "alex-raufoglu"}],
        "topics": ["politics"],
        "entities": [{"name": "City Council", "kind": "organisation"}]
    })
}

pub async fn post(app: &TestApp, key: &str, body: &Value) -> Response {
    app.call(
        TestRequest::post()
            .uri("/v1/articles")
            .insert_header(("authorization", format!("Bearer {key}")))
            .set_json(body),
    )
    .await
}

#[actix_web::test]
async fn writes_need_an_active_key_with_the_write_scope() {
    let app = TestApp::with_demo().await;
    let none = app
        .call(TestRequest::post().uri("/v1/articles").set_json(story(1)))
        .await;
    none.problem(401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    post(&app, "dl_not-a-key", &story(1)).await.problem(401);

    let admin_only = key(&app, &[Scope::Admin]).await;
    post(&app, &admin_only, &story(1)).await.problem(403);

    let writer = key(&app, &[Scope::Write]).await;
    assert_eq!(post(&app, &writer, &story(1)).await.status, 201);
    let mut conn = app.pool.get().await.unwrap();
    keys::revoke_key(&mut conn, &writer[..10]).await.unwrap();
    drop(conn);
    post(&app, &writer, &story(2)).await.problem(401);
    for request in [
        TestRequest::delete().uri("/v1/articles/1"),
        TestRequest::put().uri("/v1/articles/1").set_json(story(1)),
        TestRequest::post()
            .uri("/v1/articles/batch")
            .set_json(json!([story(3)])),
    ] {
        app.call(request).await.problem(401);
    }
}

#[actix_web::test]
async fn upsert_creates_updates_and_leaves_identical_resends_alone() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let created = post(&app, &writer, &story(7)).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let article = created.json();
    let location = created.header("location").unwrap().to_owned();
    assert_eq!(location, format!("/v1/articles/{}", article["id"]));
    assert_eq!(
        article["url"], "https://news.example.com/story/7",
        "canonical URL"
    );
    assert_eq!(article["version"], 1);
    let authors: Vec<&str> = article["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert_eq!(authors, vec!["jane-doe", "alex-raufoglu"]);
    assert_eq!(app.get(&location).await.json(), article);
    // Listed under the topic and its ancestors' lists, newest first by its date.
    let listed = app.get("/v1/authors/jane-doe/articles").await.json();
    assert_eq!(listed["data"][0]["id"], article["id"]);

    // The same story with another tracking parameter is the same article, unchanged.
    let mut again = story(7);
    again["url"] = json!("https://news.example.com/story/7?utm_campaign=x");
    let unchanged = post(&app, &writer, &again).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json()["version"], 1);

    let mut changed = story(7);
    changed["lead"] = json!("The council approved an amended budget.");
    let updated = post(&app, &writer, &changed).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["version"], 2);
    assert_eq!(updated.json()["id"], article["id"]);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM articles WHERE url LIKE 'https://news.example.com/%'")
            .await,
        1
    );
}

#[actix_web::test]
async fn fifty_concurrent_posts_of_one_article_make_one_row() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let body = story(50);
    let responses =
        futures_util::future::join_all((0..50).map(|_| post(&app, &writer, &body))).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert!(responses.iter().all(|r| r.status == 201 || r.status == 200));
    assert_eq!(created, 1, "exactly one request created it");
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM articles WHERE url = 'https://news.example.com/story/50'"
        )
        .await,
        1
    );
    let ids: std::collections::HashSet<i64> = responses
        .iter()
        .map(|r| r.json()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_answer_byte_for_byte() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let send = |body: Value| {
        TestRequest::post()
            .uri("/v1/articles")
            .insert_header(("authorization", format!("Bearer {writer}")))
            .insert_header(("idempotency-key", "retry-1"))
            .set_json(body)
    };
    let first = app.call(send(story(9))).await;
    assert_eq!(first.status, 201);
    let retry = app.call(send(story(9))).await;
    assert_eq!(retry.status, 201, "the first answer, not `unchanged`");
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("location"), first.header("location"));
    app.call(send(story(10))).await.problem(422);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM articles WHERE url LIKE 'https://news.example.com/%'")
            .await,
        1
    );
}

#[actix_web::test]
async fn invalid_bodies_are_422_listing_every_broken_rule() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let mut bad = story(1);
    bad["headline"] = json!("  ");
    bad["topics"] = json!(["politics", "no-such-topic"]);
    bad["url"] = json!("not a url");
    bad["language"] = json!("english");
    let problem = post(&app, &writer, &bad).await.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["headline", "topics[1]", "url", "language"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let missing = post(
        &app,
        &writer,
        &json!({"headline": "No date", "url": "https://example.com/a"}),
    )
    .await
    .problem(422);
    assert!(
        missing["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("published_at")
    );
    let wrong_type = post(
        &app,
        &writer,
        &json!({"headline": 5, "published_at": "2024-01-01T00:00:00Z"}),
    )
    .await
    .problem(422);
    assert_eq!(wrong_type["errors"][0]["field"], "headline");
    let mut anonymous = story(1);
    anonymous.as_object_mut().unwrap().remove("url");
    post(&app, &writer, &anonymous).await.problem(422);

    let not_json = app
        .call(
            TestRequest::post()
                .uri("/v1/articles")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .insert_header(("content-type", "text/plain"))
                .set_payload("headline"),
        )
        .await;
    not_json.problem(415);
    let broken = app
        .call(
            TestRequest::post()
                .uri("/v1/articles")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"headline\":"),
        )
        .await;
    broken.problem(400);
    let huge = app
        .call(
            TestRequest::post()
                .uri("/v1/articles")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .insert_header(("content-type", "application/json"))
                .set_payload(vec![b' '; dateline::startup::MAX_BODY_BYTES + 1]),
        )
        .await;
    huge.problem(413);
}

#[actix_web::test]
async fn a_batch_stores_the_good_items_and_reports_each_bad_one() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let mut no_headline = story(2);
    no_headline.as_object_mut().unwrap().remove("headline");
    let mut unknown_topic = story(4);
    unknown_topic["topics"] = json!(["nope"]);
    let batch = json!([story(1), no_headline, story(3), unknown_topic, story(5)]);
    let response = app
        .call(
            TestRequest::post()
                .uri("/v1/articles/batch")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .set_json(&batch),
        )
        .await;
    assert_eq!(response.status, 200);
    let results = response.json()["results"].as_array().unwrap().clone();
    let statuses: Vec<i64> = results
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![201, 422, 201, 422, 201]);
    assert_eq!(results[1]["problem"]["status"], 422);
    assert!(results[1]["id"].is_null());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM articles WHERE url LIKE 'https://news.example.com/%'")
            .await,
        3
    );

    // The same as NDJSON: the stored ones are unchanged, the bad ones still reported.
    let ndjson: String = batch
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{v}\n"))
        .collect();
    let again = app
        .call(
            TestRequest::post()
                .uri("/v1/articles/batch")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .insert_header(("content-type", "application/x-ndjson"))
                .set_payload(format!("{ndjson}not json\n")),
        )
        .await
        .json();
    let outcomes: Vec<Value> = again["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].clone())
        .collect();
    assert_eq!(outcomes[0], "unchanged");
    assert_eq!(again["results"][5]["status"], 400);
}

#[actix_web::test]
async fn replace_patch_and_withdraw() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let created = post(&app, &writer, &story(1)).await.json();
    let id = created["id"].as_i64().unwrap();
    let auth = ("authorization", format!("Bearer {writer}"));

    let mut replacement = story(1);
    replacement["headline"] = json!("Council approves a smaller budget");
    let replaced = app
        .call(
            TestRequest::put()
                .uri(&format!("/v1/articles/{id}"))
                .insert_header(auth.clone())
                .set_json(&replacement),
        )
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json()["version"], 2);
    assert_eq!(
        replaced.json()["headline"],
        "Council approves a smaller budget"
    );

    let patched = app
        .call(
            TestRequest::patch()
                .uri(&format!("/v1/articles/{id}"))
                .insert_header(auth.clone())
                .insert_header(("content-type", "application/merge-patch+json"))
                .set_payload(
                    r#"{"lead": null, "dateline": "Springfield", "topics": ["diplomacy"]}"#,
                ),
        )
        .await;
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    let patched = patched.json();
    assert!(patched["lead"].is_null());
    assert_eq!(patched["dateline"], "Springfield");
    assert_eq!(patched["headline"], "Council approves a smaller budget");
    assert_eq!(patched["topics"][0]["slug"], "diplomacy");
    assert_eq!(
        patched["authors"].as_array().unwrap().len(),
        2,
        "untouched fields stay"
    );
    assert_eq!(patched["version"], 3);

    let withdrawn = app
        .call(
            TestRequest::delete()
                .uri(&format!("/v1/articles/{id}"))
                .insert_header(auth.clone()),
        )
        .await;
    assert_eq!(withdrawn.status, 204);
    app.get(&format!("/v1/articles/{id}")).await.problem(410);
    let listed = app
        .get("/v1/topics/diplomacy/articles?limit=100")
        .await
        .json();
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != id)
    );
    app.call(
        TestRequest::delete()
            .uri(&format!("/v1/articles/{id}"))
            .insert_header(auth.clone()),
    )
    .await
    .problem(410);
    app.call(
        TestRequest::delete()
            .uri("/v1/articles/999999")
            .insert_header(auth),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn the_seed_story_is_linked_to_its_entities_by_the_gazetteer_alone() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;
    let seed = app
        .get("/v1/articles/us-formally-rejects-russias-top-security-demands")
        .await
        .json();
    let body = json!({
        "headline": seed["headline"],
        "lead": seed["lead"],
        "body": seed["body"],
        "source": "TURAN",
        "external_id": "relinked-seed",
        "published_at": "2022-01-26T22:00:00Z",
    });
    let created = post(&app, &writer, &body).await;
    assert_eq!(created.status, 201);
    let linked: Vec<(String, i64)> = created.json()["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["slug"].as_str().unwrap().to_owned(),
                e["mentions"].as_i64().unwrap(),
            )
        })
        .collect();
    for expected in [
        "antony-blinken",
        "john-sullivan",
        "sergey-lavrov",
        "joe-biden",
        "nato",
        "us-state-department",
        "kremlin",
        "russia",
        "ukraine",
        "georgia",
        "baltic-states",
        "moscow",
    ] {
        assert!(
            linked.iter().any(|(slug, n)| slug == expected && *n > 0),
            "{expected} in {linked:?}"
        );
    }
    assert!(
        created.json()["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["rel"] == "mentions")
    );
}

#[actix_web::test]
async fn wrong_methods_name_the_allowed_ones() {
    let app = TestApp::empty().await;
    let response = app.call(TestRequest::delete().uri("/v1/articles")).await;
    response.problem(405);
    assert_eq!(response.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let response = app.call(TestRequest::post().uri("/v1/articles/5")).await;
    response.problem(405);
    assert_eq!(
        response.header("allow"),
        Some("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    );
}

async fn send(app: &TestApp, key: &str, request: TestRequest) -> Response {
    app.call(request.insert_header(("authorization", format!("Bearer {key}"))))
        .await
}

#[actix_web::test]
async fn authors_entities_and_topics_are_created_updated_and_deleted() {
    let app = TestApp::with_demo().await;
    let writer = key(&app, &[Scope::Write]).await;

    let author = send(
        &app,
        &writer,
        TestRequest::post()
            .uri("/v1/authors")
            .set_json(json!({"name": "Zoë Ørsted", "bio": "Desk editor"})),
    )
    .await;
    assert_eq!(author.status, 201);
    assert_eq!(author.header("location"), Some("/v1/authors/zoe-orsted"));
    let updated = send(
        &app,
        &writer,
        TestRequest::put()
            .uri("/v1/authors/zoe-orsted")
            .set_json(json!({"name": "Zoë Ørsted", "bio": "Editor"})),
    )
    .await;
    assert_eq!(updated.json()["bio"], "Editor");
    send(
        &app,
        &writer,
        TestRequest::post()
            .uri("/v1/authors")
            .set_json(json!({"name": "Zoe Orsted"})),
    )
    .await
    .problem(409);
    send(
        &app,
        &writer,
        TestRequest::delete().uri("/v1/authors/alex-raufoglu"),
    )
    .await
    .problem(409);
    assert_eq!(
        send(
            &app,
            &writer,
            TestRequest::delete().uri("/v1/authors/zoe-orsted")
        )
        .await
        .status,
        204
    );
    app.get("/v1/authors/zoe-orsted").await.problem(404);

    // A new entity is linked by the next write that names it, by name or alias.
    let entity = send(
        &app,
        &writer,
        TestRequest::post().uri("/v1/entities").set_json(json!({"name": "Springfield City Council", "kind": "organisation", "aliases": ["the Council of Springfield"]})),
    )
    .await;
    assert_eq!(entity.status, 201);
    let created = post(
        &app,
        &writer,
        &json!({"headline": "Budget passes", "body": "Members of the Council of Springfield voted 7-2.",
        "url": "https://example.com/budget", "published_at": "2024-05-07T10:00:00Z"}),
    )
    .await
    .json();
    assert!(
        created["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["slug"] == "springfield-city-council")
    );
    send(
        &app,
        &writer,
        TestRequest::delete().uri("/v1/entities/springfield-city-council"),
    )
    .await
    .problem(409);
    send(
        &app,
        &writer,
        TestRequest::post()
            .uri("/v1/entities")
            .set_json(json!({"name": "X", "kind": "planet"})),
    )
    .await
    .problem(422);

    // A new topic under politics files its articles under politics too; moving it re-files them.
    let topic = send(
        &app,
        &writer,
        TestRequest::post()
            .uri("/v1/topics")
            .set_json(json!({"name": "Local budgets", "parent": "government"})),
    )
    .await;
    assert_eq!(topic.status, 201);
    assert_eq!(topic.json()["parent"], "government");
    let mut tagged = story(77);
    tagged["topics"] = json!(["local-budgets"]);
    let id = post(&app, &writer, &tagged).await.json()["id"].clone();
    let under = |list: Value| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id)
    };
    assert!(under(
        app.get("/v1/topics/politics/articles?published_after=2024-01-01T00:00:00Z")
            .await
            .json()
    ));
    let moved = send(
        &app,
        &writer,
        TestRequest::put()
            .uri("/v1/topics/local-budgets")
            .set_json(json!({"name": "Local budgets", "parent": "economy-business-and-finance"})),
    )
    .await;
    assert_eq!(
        moved.status,
        200,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    assert!(!under(
        app.get("/v1/topics/politics/articles?published_after=2024-01-01T00:00:00Z")
            .await
            .json()
    ));
    assert!(under(
        app.get(
            "/v1/topics/economy-business-and-finance/articles?published_after=2024-01-01T00:00:00Z"
        )
        .await
        .json()
    ));
    let cycle = send(
        &app,
        &writer,
        TestRequest::put()
            .uri("/v1/topics/politics")
            .set_json(json!({"name": "Politics", "parent": "diplomacy"})),
    )
    .await
    .problem(422);
    assert_eq!(cycle["errors"][0]["field"], "parent");
    send(
        &app,
        &writer,
        TestRequest::delete().uri("/v1/topics/local-budgets"),
    )
    .await
    .problem(409);
    send(
        &app,
        &writer,
        TestRequest::delete().uri("/v1/topics/politics"),
    )
    .await
    .problem(409);
    let empty = send(
        &app,
        &writer,
        TestRequest::post()
            .uri("/v1/topics")
            .set_json(json!({"name": "Unused"})),
    )
    .await;
    assert_eq!(empty.status, 201);
    assert_eq!(
        send(
            &app,
            &writer,
            TestRequest::delete().uri("/v1/topics/unused")
        )
        .await
        .status,
        204
    );
}

#[actix_web::test]
async fn a_large_gazetteer_is_rebuilt_in_the_background_without_holding_writes() {
    use dateline::ingest::linking::{SYNC_REBUILD_MAX_FORMS, SharedGazetteer};
    let app = TestApp::empty().await;
    app.sql(&format!(
        "INSERT INTO entities (slug, name, kind) SELECT 'entity-' || g, 'Entity Number ' || g, 'other' \
         FROM generate_series(1, {}) g",
        SYNC_REBUILD_MAX_FORMS + 1
    ))
    .await;
    let shared = SharedGazetteer::with_background_rebuilds(app.pool.clone());
    let mut conn = app.pool.get().await.unwrap();
    let first = shared.get(&mut conn).await.unwrap();
    assert!(
        first.len() > SYNC_REBUILD_MAX_FORMS,
        "built before the first use"
    );
    app.sql("INSERT INTO entities (slug, name, kind) VALUES ('newcomer', 'Newcomer Org', 'organisation')").await;
    // The write that sees the change goes on with the gazetteer it has...
    let during = shared.get(&mut conn).await.unwrap();
    assert!(during.mentions("Newcomer Org said so").is_empty());
    // ...and a moment later the rebuilt one knows the newcomer.
    let mut found = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if !shared
            .get(&mut conn)
            .await
            .unwrap()
            .mentions("Newcomer Org said so")
            .is_empty()
        {
            found = true;
            break;
        }
    }
    assert!(found, "the background rebuild finished within 10 s");
}
