//! What every answer carries (security headers, the request id), whose forwarding headers count,
//! and conflicts said in the API's terms.

use actix_web::test::TestRequest;
use dateline::api::proxies::ProxyPolicy;
use dateline::startup::HttpSettings;
use serde_json::json;

use crate::harness::TestApp;
use crate::writes::{demo_and_writer, post, story};

#[actix_web::test]
async fn every_answer_has_security_headers_and_a_request_id() {
    let app = TestApp::with_demo().await;
    for uri in [
        "/v1/articles?limit=1",
        "/v1/articles/no-such-story",
        "/v1/articles?limit=x",
    ] {
        let response = app.get(uri).await;
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            Some("no-referrer"),
            "{uri}"
        );
        assert_eq!(
            response.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{uri}"
        );
        let id = response.header("x-request-id").expect("a request id");
        assert_eq!(id.len(), 32, "{uri}: {id}");
        assert!(response.header("server").is_none(), "{uri}");
    }
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    let policy = docs.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    // A client's own id is echoed back; one that could forge a log line is replaced.
    let echoed = app
        .call(
            TestRequest::get()
                .uri("/v1/topics")
                .insert_header(("x-request-id", "trace-42")),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-42"));
    let forged = app
        .call(
            TestRequest::get()
                .uri("/v1/topics")
                .insert_header(("x-request-id", "a b\"c")),
        )
        .await;
    assert_ne!(forged.header("x-request-id"), Some("a b\"c"));
}

fn next_link(response: &crate::harness::Response) -> String {
    response.header("link").expect("a next link").to_owned()
}

#[actix_web::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let app = TestApp::with_demo().await;
    let request = |peer: &str| {
        TestRequest::get()
            .uri("/v1/articles?limit=1")
            .peer_addr(peer.parse().unwrap())
            .insert_header(("host", "dateline.internal:8080"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("x-forwarded-proto", "javascript"))
    };
    let trusting = HttpSettings {
        proxies: ProxyPolicy {
            trusted: vec!["10.0.0.0/8".parse().unwrap()],
            public_url: None,
        },
        ..Default::default()
    };
    // From anyone else, the headers are ignored: the link is on the Host the client used.
    let direct = app
        .call_with(trusting.clone(), request("198.51.100.9:4000"))
        .await;
    assert!(
        next_link(&direct)
            .starts_with("<http://dateline.internal:8080/v1/articles?limit=1&cursor="),
        "{}",
        next_link(&direct)
    );
    // From the proxy, a scheme other than http or https makes no absolute link.
    let proxied = app
        .call_with(trusting.clone(), request("10.1.2.3:4000"))
        .await;
    assert!(
        next_link(&proxied).starts_with("</v1/articles?limit=1&cursor="),
        "{}",
        next_link(&proxied)
    );
    let https = app
        .call_with(
            trusting,
            request("10.1.2.3:4000").insert_header(("x-forwarded-proto", "https")),
        )
        .await;
    assert!(
        next_link(&https).starts_with("<https://evil.example/v1/articles?limit=1&cursor="),
        "{}",
        next_link(&https)
    );
    // A public URL wins over every header.
    let fixed = HttpSettings {
        proxies: ProxyPolicy {
            trusted: vec!["10.0.0.0/8".parse().unwrap()],
            public_url: Some("https://news.example.com".parse().unwrap()),
        },
        ..Default::default()
    };
    let fixed = app.call_with(fixed, request("10.1.2.3:4000")).await;
    assert!(
        next_link(&fixed).starts_with("<https://news.example.com/v1/articles?limit=1&cursor="),
        "{}",
        next_link(&fixed)
    );
}

#[actix_web::test]
async fn a_conflict_names_the_field_and_the_article_not_the_index() {
    let (app, writer) = demo_and_writer().await;
    let first = post(&app, &writer, &story(1)).await;
    assert_eq!(first.status, 201);
    let first_id = first.json()["id"].as_i64().unwrap();
    let second = post(&app, &writer, &story(2)).await;
    assert_eq!(second.status, 201);
    let second_id = second.json()["id"].as_i64().unwrap();
    let mut taken = story(2);
    taken["url"] = story(1)["url"].clone();
    let problem = app
        .call(
            TestRequest::put()
                .uri(&format!("/v1/articles/{second_id}"))
                .insert_header(("authorization", format!("Bearer {writer}")))
                .set_json(&taken),
        )
        .await
        .problem(409);
    assert_eq!(
        problem["detail"],
        format!("`url` already belongs to article {first_id}")
    );
    // An upsert by source and id whose url another article has.
    let mut by_source = story(3);
    by_source["external_id"] = json!("wire-3");
    by_source["url"] = story(1)["url"].clone();
    let problem = post(&app, &writer, &by_source).await.problem(409);
    assert_eq!(
        problem["detail"],
        format!("`url` already belongs to article {first_id}")
    );
    assert!(!problem.to_string().contains("_key"), "{problem}");
}

#[actix_web::test]
async fn an_unknown_file_under_docs_is_a_404_problem() {
    let app = TestApp::with_demo().await;
    let response = app.get("/docs/nonexistent.js").await;
    assert_eq!(response.status, 404, "{:?}", response.headers);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(app.get("/docs/swagger-ui.css").await.status, 200);
}

#[actix_web::test]
async fn a_request_target_over_8_kib_is_a_414_problem() {
    let app = TestApp::empty().await;
    let long_slug = "a".repeat(9 * 1024);
    let problem = app
        .get(&format!("/v1/authors/{long_slug}"))
        .await
        .problem(414);
    assert!(
        problem["detail"].as_str().unwrap().contains("at most 8192"),
        "{problem}"
    );
    let long_query = format!("/v1/articles?q={}", "news+".repeat(2000));
    app.get(&long_query).await.problem(414);
    // Up to the bound, the request is served.
    let at_bound = format!("/v1/articles?q={}", "n".repeat(8 * 1024 - 15));
    assert_eq!(
        app.get(&at_bound).await.status.as_u16(),
        400,
        "q is capped at 500"
    );
}
