//! An article as ninjs 3.1 and 2.2 and as schema.org JSON-LD, by `format` or `Accept`; what
//! cannot be served is a 406. (CI also validates the ninjs with the official schemas:
//! `.ci/formats/check.py`.)

use actix_web::test::TestRequest;

use crate::harness::TestApp;

const SEED: &str = "/v1/articles/us-formally-rejects-russias-top-security-demands";

async fn with_accept(app: &TestApp, uri: &str, accept: &str) -> crate::harness::Response {
    app.call(
        TestRequest::get()
            .uri(uri)
            .insert_header(("accept", accept)),
    )
    .await
}

#[actix_web::test]
async fn the_seed_article_as_ninjs_3_1_and_2_2() {
    let app = TestApp::with_demo().await;
    let v3 = app.get(&format!("{SEED}?format=ninjs")).await;
    assert_eq!(v3.status, 200);
    assert_eq!(v3.content_type(), "application/ninjs+json; version=3.1");
    assert_eq!(
        v3.header("vary").unwrap().split(", ").next(),
        Some("Accept")
    );
    let doc = v3.json();
    assert_eq!(doc["by"], "Alex Raufoglu");
    assert_eq!(doc["located"], "Washington D.C.");
    assert_eq!(doc["type"], "text");
    assert_eq!(doc["pubStatus"], "usable");
    assert_eq!(doc["firstCreated"], "2022-01-26T22:00:00Z");
    assert!(doc["uri"].as_str().unwrap().ends_with(SEED));
    let subjects = doc["subjects"].as_array().unwrap();
    assert!(
        subjects.iter().any(|s| s["literal"] == "medtop:20000639"
            && s["uri"] == "http://cv.iptc.org/newscodes/mediatopic/20000639"),
        "{subjects:?}"
    );
    let people: Vec<&str> = doc["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(people.contains(&"Antony Blinken"), "{people:?}");
    assert!(
        doc["organisations"]
            .as_array()
            .is_some_and(|o| !o.is_empty())
    );

    let v2 = with_accept(&app, SEED, "application/ninjs+json; version=2.2").await;
    assert_eq!(v2.content_type(), "application/ninjs+json; version=2.2");
    let doc2 = v2.json();
    assert_eq!(doc2["firstcreated"], "2022-01-26T22:00:00Z");
    assert_eq!(doc2["pubstatus"], "usable");
    assert!(doc2.get("firstCreated").is_none());
    assert_eq!(doc2["by"], "Alex Raufoglu");
    // `format` wins over `Accept`.
    let by_query = with_accept(
        &app,
        &format!("{SEED}?format=ninjs&ninjs_version=2.2"),
        "application/ld+json",
    )
    .await;
    assert_eq!(by_query.json(), doc2);
}

#[actix_web::test]
async fn the_seed_article_as_a_schema_org_news_article() {
    let app = TestApp::with_demo().await;
    let ld = with_accept(&app, SEED, "application/ld+json").await;
    assert_eq!(ld.status, 200);
    assert_eq!(ld.content_type(), "application/ld+json");
    let doc = ld.json();
    assert_eq!(doc["@context"], "https://schema.org");
    assert_eq!(doc["@type"], "NewsArticle");
    assert_eq!(doc["author"][0]["@type"], "Person");
    assert_eq!(doc["author"][0]["name"], "Alex Raufoglu");
    assert_eq!(doc["dateline"], "Washington D.C.");
    assert_eq!(doc["datePublished"], "2022-01-26T22:00:00Z");
    assert_eq!(doc["publisher"]["name"], "TURAN");
    assert!(
        doc["articleSection"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Diplomacy")
    );
    let about = doc["about"].as_array().unwrap();
    let nato = doc["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(about)
        .find(|t| t["name"] == "NATO")
        .expect("NATO");
    assert_eq!(nato["@type"], "Organization");
    assert_eq!(nato["sameAs"], "https://www.wikidata.org/wiki/Q7184");
}

#[actix_web::test]
async fn what_cannot_be_served_is_a_406_and_bad_formats_a_400() {
    let app = TestApp::with_demo().await;
    let json = with_accept(&app, SEED, "text/html, application/json;q=0.5").await;
    assert_eq!(json.status, 200);
    assert_eq!(json.content_type(), "application/json");
    assert_eq!(
        json.json()["slug"],
        "us-formally-rejects-russias-top-security-demands"
    );

    let problem = with_accept(&app, SEED, "application/xml")
        .await
        .problem(406);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("application/ninjs+json")
    );
    with_accept(&app, SEED, "application/ninjs+json; version=1.0")
        .await
        .problem(406);
    with_accept(&app, "/v1/articles", "application/xml")
        .await
        .problem(406);
    assert_eq!(with_accept(&app, "/v1/articles", "*/*").await.status, 200);

    for (uri, param) in [
        (format!("{SEED}?format=xml"), "format"),
        (
            format!("{SEED}?format=ninjs&ninjs_version=9"),
            "ninjs_version",
        ),
        (format!("{SEED}?format=jsonld&fields=headline"), "fields"),
        (
            format!("{SEED}?format=json&ninjs_version=2.2"),
            "ninjs_version",
        ),
    ] {
        let problem = app.get(&uri).await.problem(400);
        assert_eq!(problem["param"], param, "{uri}");
    }
}

fn ninjs_item() -> serde_json::Value {
    serde_json::json!({
        "uri": "urn:uuid:5d1c7f52-31c4-4b8e-9d0b-0e6a3b1f2c11",
        "type": "text",
        "language": "en",
        "firstCreated": "2026-01-10T09:00:00Z",
        "versionCreated": "2026-01-10T09:30:00Z",
        "headlines": [{"role": "main", "value": "Diplomats meet in Tbilisi"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "Envoys met on Saturday.\n\nTalks go on."}],
        "by": "Alex Raufoglu",
        "located": "Tbilisi",
        "subjects": [{"name": "Diplomacy", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000639"}],
        "associations": [{
            "name": "mainpic", "uri": "urn:uuid:8f0e", "type": "picture",
            "renditions": [{"name": "original", "href": "https://images.example.com/tbilisi.jpg",
                            "width": 1200, "height": 800, "contentType": "image/jpeg"}]
        }]
    })
}

#[actix_web::test]
async fn a_ninjs_item_posted_comes_back_with_its_topics_author_dateline_and_picture() {
    let (app, writer) = crate::writes::demo_and_writer().await;
    let post = |body: String| {
        TestRequest::post()
            .uri("/v1/articles")
            .insert_header(("authorization", format!("Bearer {writer}")))
            .insert_header(("content-type", "application/ninjs+json"))
            .set_payload(body)
    };
    let created = app.call(post(ninjs_item().to_string())).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let slug = created.json()["slug"].as_str().unwrap().to_owned();
    let article = app.get(&format!("/v1/articles/{slug}")).await.json();
    assert_eq!(article["topics"][0]["slug"], "diplomacy");
    assert_eq!(article["authors"][0]["name"], "Alex Raufoglu");
    assert_eq!(article["dateline"], "Tbilisi");
    assert_eq!(article["published_at"], "2026-01-10T09:00:00Z");
    assert_eq!(article["body"], "Envoys met on Saturday.\n\nTalks go on.");
    assert_eq!(article["media"][0]["lead"], true);
    assert_eq!(
        article["media"][0]["renditions"][0],
        serde_json::json!({"href": "https://images.example.com/tbilisi.jpg", "width": 1200, "height": 800, "content_type": "image/jpeg"})
    );
    assert_eq!(
        article["image"]["href"],
        "https://images.example.com/tbilisi.jpg"
    );

    let out = app
        .get(&format!("/v1/articles/{slug}?format=ninjs"))
        .await
        .json();
    assert_eq!(out["associations"][0]["name"], "mainpic");
    assert_eq!(
        out["associations"][0]["renditions"][0]["href"],
        "https://images.example.com/tbilisi.jpg"
    );
    // The same item sent again is the same article, unchanged.
    let again = app.call(post(ninjs_item().to_string())).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["version"], 1);

    // ninjs of the wrong shape names the ninjs property.
    let mut bad = ninjs_item();
    bad["headlines"] = serde_json::json!("Diplomats meet in Tbilisi");
    let problem = app.call(post(bad.to_string())).await.problem(422);
    assert_eq!(problem["errors"][0]["field"], "headlines", "{problem}");
    let problem = app
        .call(post("{\"headlines\": [".to_owned()))
        .await
        .problem(400);
    assert!(problem["detail"].as_str().unwrap().contains("JSON"));
}
