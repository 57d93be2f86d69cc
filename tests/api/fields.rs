//! Field selection: a client fetches only the fields it shows.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::cache::ServerProcess;
use crate::harness::TestApp;

const SEED: &str = "/v1/articles/us-formally-rejects-russias-top-security-demands";

fn keys(object: &Value) -> BTreeSet<&str> {
    object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[actix_web::test]
async fn lists_and_articles_answer_only_the_fields_asked_for() {
    let app = TestApp::with_demo().await;
    let asked = "/v1/articles?limit=3&fields=headline,published_at,url";
    let page = app.get(asked).await.json();
    let wanted: BTreeSet<&str> = ["headline", "published_at", "url"].into();
    for item in page["data"].as_array().unwrap() {
        assert_eq!(keys(item), wanted);
    }
    // The fields shape the answer, not the list: the cursor goes on with other fields or none.
    let cursor = page["next_cursor"].as_str().unwrap();
    let full = app.get("/v1/articles?limit=3").await.json();
    let next_full = app
        .get(&format!("/v1/articles?limit=3&cursor={cursor}"))
        .await
        .json();
    let next_slugs = app
        .get(&format!("/v1/articles?limit=3&fields=slug&cursor={cursor}"))
        .await
        .json();
    assert_eq!(next_slugs["data"][0]["slug"], next_full["data"][0]["slug"]);
    assert_eq!(full["data"][0]["headline"], page["data"][0]["headline"]);

    let article = app
        .get(&format!("{SEED}?fields=headline,body"))
        .await
        .json();
    assert_eq!(keys(&article), ["body", "headline"].into());
    assert!(article["body"].as_str().unwrap().contains("Sullivan"));

    let problem = app
        .get("/v1/articles?fields=headline,nope")
        .await
        .problem(400);
    assert_eq!(problem["param"], "fields");
    assert!(problem["detail"].as_str().unwrap().contains("nope"));
    // A list's items have no body.
    app.get("/v1/articles?fields=body").await.problem(400);
}

#[actix_web::test]
async fn a_selected_first_page_stays_cached() {
    let path = "/v1/articles?limit=5&fields=headline";
    let (_app, server) = ServerProcess::warmed(path).await;
    let (page, cache) = server.get(path).await;
    assert_eq!(cache, "hit");
    assert_eq!(keys(&page["data"][0]), ["headline"].into());
    let (whole, _) = server.get("/v1/articles?limit=5").await;
    assert!(
        keys(&whole["data"][0]).len() > 5,
        "each selection has its own entry"
    );
}

#[test]
fn the_specs_patterns_name_exactly_the_views_fields() {
    use dateline::api::articles::{Article, ArticleSummary};
    use dateline::api::fields::FieldSet;
    let spec: Value = serde_json::from_str(&dateline::openapi::spec_json()).unwrap();
    let pattern_of = |path: &str| {
        spec["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "fields")
            .unwrap()["schema"]["pattern"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let summary = FieldSet::names_of::<ArticleSummary>();
    let article = [summary.clone(), FieldSet::names_of::<Article>()].concat();
    for (path, names) in [
        ("/v1/articles", &summary),
        ("/v1/articles/{id_or_slug}", &article),
    ] {
        let pattern = pattern_of(path);
        let listed = pattern
            .split("((")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        let listed: BTreeSet<&str> = listed.split('|').collect();
        let names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(listed, names, "{path}");
    }
}
