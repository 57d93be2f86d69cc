//! Discovery: the entry point lists where everything is, and every object says where it lives.

use serde_json::Value;

use crate::harness::TestApp;

const SEED: &str = "/v1/articles/us-formally-rejects-russias-top-security-demands";

/// Follows an object's `links.self` and checks it leads back to the object.
async fn follows(app: &TestApp, object: &Value) {
    let link = object["links"]["self"]
        .as_str()
        .unwrap_or_else(|| panic!("no links.self in {object}"));
    assert!(link.starts_with("/v1/"), "{link}");
    let found = app.get(link).await;
    assert_eq!(found.status, 200, "{link}");
    assert_eq!(found.json()["slug"], object["slug"], "{link}");
}

#[actix_web::test]
async fn the_entry_point_links_the_collections_the_spec_and_the_docs() {
    let app = TestApp::with_demo().await;
    let index = app.get("/v1").await;
    assert_eq!(index.status, 200);
    let links = &index.json()["links"];
    assert_eq!(links["self"], "/v1");
    for name in [
        "articles", "changes", "authors", "entities", "topics", "openapi", "docs",
    ] {
        let href = links[name].as_str().unwrap_or_else(|| panic!("{name}"));
        let target = app.get(href).await;
        assert_eq!(target.status, 200, "{name}: {href}");
    }
}

#[actix_web::test]
async fn every_article_author_entity_and_topic_carries_its_own_url() {
    let app = TestApp::with_demo().await;
    let article = app.get(SEED).await.json();
    assert_eq!(article["links"]["self"], SEED);
    assert!(
        article["url"].is_null(),
        "the publisher's page stays in `url`"
    );
    for key in ["authors", "topics", "entities"] {
        for object in article[key].as_array().unwrap() {
            follows(&app, object).await;
        }
    }
    let page = app
        .get("/v1/topics/diplomacy/articles?limit=3")
        .await
        .json();
    for summary in page["data"].as_array().unwrap() {
        follows(&app, summary).await;
    }
    for list in [
        "/v1/authors?limit=3",
        "/v1/entities?limit=3",
        "/v1/topics?limit=3",
    ] {
        for object in app.get(list).await.json()["data"].as_array().unwrap() {
            follows(&app, object).await;
        }
    }
    let topic = app.get("/v1/topics/international-relations").await.json();
    follows(&app, &topic["children"][0]).await;
}
