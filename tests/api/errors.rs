//! Every client mistake is an RFC 9457 problem with the right 4xx status, never a 500.

use actix_web::test::TestRequest;

use crate::harness::TestApp;

#[actix_web::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let app = TestApp::with_demo().await;
    for (uri, param) in [
        ("/v1/articles?limit=0", "limit"),
        ("/v1/articles?limit=101", "limit"),
        ("/v1/articles?limit=ten", "limit"),
        ("/v1/articles?limit=-1", "limit"),
        ("/v1/authors?limit=0", "limit"),
        ("/v1/entities?limit=101", "limit"),
        ("/v1/topics?limit=0", "limit"),
        ("/v1/topics/diplomacy/articles?limit=500", "limit"),
        ("/v1/articles?cursor=garbage", "cursor"),
        ("/v1/articles?cursor=eyJ2IjoxfQ", "cursor"),
        ("/v1/authors?cursor=%2F%2F%2F", "cursor"),
        ("/v1/articles?published_after=yesterday", "published_after"),
        (
            "/v1/articles?published_before=2022-13-01T00:00:00Z",
            "published_before",
        ),
        ("/v1/articles?published_after=2022-01-26", "published_after"),
        ("/v1/articles?sort=relevance", "sort"),
        ("/v1/articles?sort=newest", "sort"),
        ("/v1/articles?language=english!", "language"),
        ("/v1/entities?kind=city", "kind"),
    ] {
        let problem = app.get(uri).await.problem(400);
        assert_eq!(problem["param"], param, "{uri}");
        assert!(
            problem["detail"].as_str().unwrap().contains(param),
            "{uri}: {problem}"
        );
    }
}

#[actix_web::test]
async fn a_cursor_is_refused_with_other_filters() {
    let app = TestApp::with_demo().await;
    let page = app.get("/v1/articles?topic=politics&limit=2").await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = app
        .get(&format!("/v1/articles?topic=sport&limit=2&cursor={cursor}"))
        .await
        .problem(400);
    assert_eq!(problem["param"], "cursor");
    // The same filters with another page size are fine.
    let next = app
        .get(&format!(
            "/v1/articles?topic=politics&limit=5&cursor={cursor}"
        ))
        .await;
    assert_eq!(next.status, 200);
    // A list cursor does not work on another list.
    app.get(&format!("/v1/authors?cursor={cursor}"))
        .await
        .problem(400);
}

#[actix_web::test]
async fn malformed_query_strings_are_400() {
    let app = TestApp::with_demo().await;
    for uri in [
        "/v1/articles?limit=1&limit=2",
        "/v1/articles?q=%FF%FE",
        "/v1/articles?q=%00",
        "/v1/authors?q=a%00b",
        "/v1/articles?author=a&author=b",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, 400, "{uri}");
        response.problem(400);
    }
    let long = "a".repeat(501);
    app.get(&format!("/v1/articles?q={long}"))
        .await
        .problem(400);
    let many: String = (0..11).map(|i| format!("topic=t{i}&")).collect();
    app.get(&format!("/v1/articles?{many}")).await.problem(400);
}

#[actix_web::test]
async fn unknown_slugs_are_404() {
    let app = TestApp::with_demo().await;
    for uri in [
        "/v1/articles/no-such-story",
        "/v1/articles/999999999",
        "/v1/articles/99999999999999999999999",
        "/v1/authors/nobody",
        "/v1/authors/nobody/articles",
        "/v1/entities/nothing",
        "/v1/entities/nothing/articles",
        "/v1/topics/no-topic",
        "/v1/topics/no-topic/articles",
        "/v1/articles?topic=no-topic",
        "/v1/articles?author=nobody",
        "/v1/articles?entity=antony-blinken&entity=nothing",
        "/v1/authors/a%00b",
        "/v1/articles?topic=a%00b",
        "/v1/topics?parent=no-topic",
    ] {
        let problem = app.get(uri).await.problem(404);
        assert!(problem["detail"].is_string(), "{uri}");
    }
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = TestApp::empty().await;
    let problem = app.get("/v2/articles").await.problem(404);
    assert!(problem["detail"].as_str().unwrap().contains("/v2/articles"));
    app.get("/").await.problem(404);

    for request in [
        TestRequest::patch().uri("/v1/topics"),
        TestRequest::patch().uri("/v1/topics/diplomacy"),
        TestRequest::put().uri("/healthz"),
    ] {
        let response = app.call(request).await;
        response.problem(405);
        assert!(
            response.header("allow").is_some_and(|a| a.contains("GET")),
            "Allow names GET"
        );
    }
}

#[actix_web::test]
async fn errors_never_leak_database_messages() {
    let app = TestApp::with_demo().await;
    // Text PostgreSQL would choke on if it reached a query unchecked.
    for uri in [
        "/v1/articles?q=%27%3B%20DROP%20TABLE%20articles%3B--",
        "/v1/articles?q=%26%26%7C%7C!!",
        "/v1/entities?q=%25_%5C",
    ] {
        let response = app.get(uri).await;
        assert_eq!(
            response.status,
            200,
            "{uri}: {}",
            String::from_utf8_lossy(&response.body)
        );
    }
    assert!(app.count("SELECT count(*) AS n FROM articles").await > 0);
}

#[actix_web::test]
async fn a_tampered_cursor_is_400_not_500() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = TestApp::with_demo().await;
    let page = app.get("/v1/articles?limit=1").await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(cursor).unwrap()).unwrap();
    for t in [i64::MIN, i64::MAX, -300_000_000_000_000_000] {
        doc["k"]["t"] = t.into();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap());
        let problem = app
            .get(&format!("/v1/articles?limit=1&cursor={forged}"))
            .await
            .problem(400);
        assert_eq!(problem["param"], "cursor");
    }
    doc["k"]["t"] = 0.into();
    doc["k"]["id"] = "not a number".into();
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap());
    app.get(&format!("/v1/articles?limit=1&cursor={forged}"))
        .await
        .problem(400);
}

#[actix_web::test]
async fn a_forged_slug_cursor_is_400_not_500() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = TestApp::with_demo().await;
    for list in ["/v1/authors", "/v1/entities", "/v1/topics"] {
        let page = app.get(&format!("{list}?limit=1")).await.json();
        let cursor = page["next_cursor"].as_str().unwrap();
        let mut doc: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(cursor).unwrap()).unwrap();
        doc["k"] = "a\u{0}b".into();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap());
        let problem = app
            .get(&format!("{list}?limit=1&cursor={forged}"))
            .await
            .problem(400);
        assert_eq!(problem["param"], "cursor", "{list}");
    }
}

#[actix_web::test]
async fn a_bad_host_header_still_gets_a_page_with_a_relative_link() {
    let app = TestApp::with_demo().await;
    let response = app
        .call(
            TestRequest::get()
                .uri("/v1/articles?limit=1")
                .insert_header(("host", "[")),
        )
        .await;
    assert_eq!(response.status, 200);
    let link = response.header("link").unwrap();
    assert!(link.starts_with("</v1/articles?limit=1&cursor="), "{link}");
}
