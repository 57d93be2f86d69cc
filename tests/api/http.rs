//! The web's HTTP: CORS, validators and conditional requests, caching headers, compression,
//! `HEAD` and `OPTIONS`, and unknown parameters, as browsers, CDNs and generated clients use them.

use std::io::Read;

use actix_web::test::TestRequest;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cache::ServerProcess;
use crate::harness::{Response, TestApp};
use crate::writes::demo_and_writer;

const SEED: &str = "/v1/articles/us-formally-rejects-russias-top-security-demands";
/// The origin the test app lets write (`tests/api/harness.rs`).
const NEWSROOM: &str = "https://newsroom.example.com";
const READER: &str = "https://reader.example.org";
/// Reads of data, each with the `Cache-Control` its kind gets.
const VALIDATED: [(&str, &str); 7] = [
    ("/v1/articles?limit=3", "public, max-age=10"),
    ("/v1/topics/diplomacy/articles", "public, max-age=10"),
    ("/v1/authors", "public, max-age=10"),
    (SEED, "public, max-age=60"),
    ("/v1/entities/antony-blinken", "public, max-age=60"),
    ("/v1/topics/diplomacy", "public, max-age=60"),
    ("/openapi.json", "public, max-age=60"),
];
/// A list, the spec and a docs asset: every kind of answer that is compressed.
const COMPRESSIBLE: [&str; 3] = [
    "/v1/articles?limit=20",
    "/openapi.json",
    "/docs/swagger-ui.css",
];

async fn get_with(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = TestRequest::get().uri(uri);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    app.call(request).await
}

fn preflight(uri: &str, origin: &str, method: &str) -> TestRequest {
    TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri(uri)
        .insert_header(("origin", origin))
        .insert_header(("access-control-request-method", method))
        .insert_header((
            "access-control-request-headers",
            "authorization, content-type, if-match",
        ))
}

#[actix_web::test]
async fn any_origin_may_read_and_only_configured_origins_may_write() {
    let app = TestApp::with_demo().await;
    let read = get_with(&app, "/v1/articles?limit=2", &[("origin", READER)]).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("access-control-allow-origin"), Some(READER));
    let exposed = read
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["link", "etag", "location", "retry-after", "ratelimit"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    let ok = app.call(preflight("/v1/articles", READER, "GET")).await;
    assert!(ok.status.is_success(), "{}", ok.status);
    assert_eq!(ok.header("access-control-allow-origin"), Some(READER));

    let refused = app.call(preflight("/v1/articles", READER, "POST")).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(refused.header("access-control-allow-origin").is_none());
    assert_eq!(refused.content_type(), "application/problem+json");

    let allowed = app.call(preflight(SEED, NEWSROOM, "PATCH")).await;
    assert!(allowed.status.is_success(), "{}", allowed.status);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(NEWSROOM)
    );
    let methods = allowed
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("PATCH"), "{methods}");
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        headers.contains("if-match") && headers.contains("authorization"),
        "{headers}"
    );
}

#[actix_web::test]
async fn every_get_of_data_has_a_strong_etag_and_a_matching_if_none_match_is_a_304() {
    let app = TestApp::with_demo().await;
    for (uri, cache_control) in VALIDATED {
        let first = app.get(uri).await;
        assert_eq!(first.status, 200, "{uri}");
        let etag = first
            .header("etag")
            .unwrap_or_else(|| panic!("ETag on {uri}"));
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        assert_eq!(first.header("cache-control"), Some(cache_control), "{uri}");
        assert_eq!(
            app.get(uri).await.header("etag"),
            Some(etag),
            "the same representation has the same tag"
        );
        let again = get_with(&app, uri, &[("if-none-match", etag)]).await;
        assert_eq!(again.status, 304, "{uri}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag));
        assert_eq!(again.header("cache-control"), Some(cache_control));
        let other = get_with(&app, uri, &[("if-none-match", "\"something-else\"")]).await;
        assert_eq!(other.status, 200);
    }
    assert_eq!(
        app.get("/healthz").await.header("cache-control"),
        Some("no-store")
    );
    let asset = app.get("/docs/swagger-ui.css").await;
    assert_eq!(asset.status, 200);
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // Errors are not validated.
    let missing = app.get("/v1/articles/no-such-article").await;
    assert_eq!(missing.status, 404);
    assert!(missing.header("etag").is_none());
}

#[actix_web::test]
async fn an_article_has_last_modified_and_if_modified_since_is_answered() {
    let app = TestApp::with_demo().await;
    let article = app.get(SEED).await;
    let modified = article
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    assert_eq!(
        get_with(&app, SEED, &[("if-modified-since", &modified)])
            .await
            .status,
        304
    );
    let earlier = "Sat, 01 Jan 2000 00:00:00 GMT";
    assert_eq!(
        get_with(&app, SEED, &[("if-modified-since", earlier)])
            .await
            .status,
        200
    );
    // If-None-Match wins over If-Modified-Since.
    let both = get_with(
        &app,
        SEED,
        &[
            ("if-modified-since", &modified),
            ("if-none-match", "\"stale\""),
        ],
    )
    .await;
    assert_eq!(both.status, 200);
}

#[actix_web::test]
async fn a_write_changes_the_tags_of_what_it_changed_and_if_match_guards_writes() {
    let (app, writer) = demo_and_writer().await;
    let list_tag = app
        .get("/v1/authors/alex-raufoglu/articles")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let article_tag = app.get(SEED).await.header("etag").unwrap().to_owned();
    let patch = |tag: &str, lead: &str| {
        TestRequest::patch()
            .uri(SEED)
            .insert_header(("authorization", format!("Bearer {writer}")))
            .insert_header(("content-type", "application/merge-patch+json"))
            .insert_header(("if-match", tag.to_owned()))
            .set_payload(json!({ "lead": lead }).to_string())
    };
    let refused = app.call(patch("\"not-the-tag\"", "First edit.")).await;
    refused.problem(412);
    let first = app.call(patch(&article_tag, "First edit.")).await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let new_tag = app.get(SEED).await.header("etag").unwrap().to_owned();
    assert_ne!(new_tag, article_tag);
    assert_eq!(
        first.header("etag"),
        None,
        "a write's answer is not a GET's"
    );
    // A second editor, holding the tag the first one started from, is refused: no lost update.
    let second = app.call(patch(&article_tag, "Second edit.")).await;
    second.problem(412);
    assert_eq!(app.get(SEED).await.json()["lead"], "First edit.");
    // The list that shows the article changed too.
    let list = get_with(
        &app,
        "/v1/authors/alex-raufoglu/articles",
        &[("if-none-match", &list_tag)],
    )
    .await;
    assert_eq!(list.status, 200);
    assert_ne!(list.header("etag"), Some(list_tag.as_str()));
    // `*` holds for any current representation; DELETE honours If-Match too.
    let delete = |tag: &str| {
        TestRequest::delete()
            .uri(SEED)
            .insert_header(("authorization", format!("Bearer {writer}")))
            .insert_header(("if-match", tag.to_owned()))
    };
    app.call(delete(&article_tag)).await.problem(412);
    assert_eq!(app.call(delete(&new_tag)).await.status, 204);
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

#[actix_web::test]
async fn answers_are_compressed_by_accept_encoding_with_their_own_tags() {
    let app = TestApp::with_demo().await;
    for uri in COMPRESSIBLE {
        let plain = app.get(uri).await;
        assert!(plain.header("content-encoding").is_none());
        assert!(
            plain
                .header("vary")
                .unwrap_or_default()
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{uri}"
        );
        let gzip = get_with(&app, uri, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gzip.header("content-encoding"), Some("gzip"), "{uri}");
        assert_eq!(gunzip(&gzip.body), plain.body, "{uri}");
        assert!(gzip.body.len() < plain.body.len() / 2, "{uri}");
        let brotli = get_with(&app, uri, &[("accept-encoding", "br, gzip")]).await;
        assert_eq!(brotli.header("content-encoding"), Some("br"), "{uri}");
        assert_eq!(unbrotli(&brotli.body), plain.body, "{uri}");
        let (plain_tag, gzip_tag) = (plain.header("etag").unwrap(), gzip.header("etag").unwrap());
        assert_ne!(
            plain_tag, gzip_tag,
            "each coding's bytes have their own tag"
        );
        assert!(gzip_tag.ends_with("-gzip\""), "{gzip_tag}");
        let revalidated = get_with(
            &app,
            uri,
            &[("accept-encoding", "gzip"), ("if-none-match", gzip_tag)],
        )
        .await;
        assert_eq!(revalidated.status, 304, "{uri}");
        assert_eq!(revalidated.header("etag"), Some(gzip_tag));
    }
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body_and_options_names_the_methods() {
    let app = TestApp::with_demo().await;
    for uri in [
        "/v1/articles?limit=2",
        SEED,
        "/v1/authors/alex-raufoglu",
        "/openapi.json",
        "/healthz",
    ] {
        let get = app.get(uri).await;
        let head = app.send(actix_web::http::Method::HEAD, uri).await;
        assert_eq!(head.status, 200, "{uri}");
        for name in ["content-type", "etag", "cache-control", "link"] {
            assert_eq!(head.header(name), get.header(name), "{name} of {uri}");
        }
    }
    let options = app.send(actix_web::http::Method::OPTIONS, SEED).await;
    assert_eq!(options.status, 204);
    assert_eq!(
        options.header("allow"),
        Some("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    );
    // On the wire, HEAD has the length of GET's body and no body.
    let server = ServerProcess::start(&app).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            format!("HEAD {SEED} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.is_empty(), "HEAD sent a body: {body}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .expect("Content-Length")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(length, app.get(SEED).await.body.len());
}

#[actix_web::test]
async fn unknown_query_parameters_are_a_400_naming_them_on_every_route() {
    let (app, writer) = demo_and_writer().await;
    for (uri, param) in [
        ("/v1/articles?topics=no-such-topic", "topics"),
        ("/v1/topics/diplomacy/articles?limit=5&foo=1", "foo"),
        ("/v1/authors?name=Alex", "name"),
        (
            "/v1/articles/us-formally-rejects-russias-top-security-demands?include=body",
            "include",
        ),
        ("/v1/entities/antony-blinken?expand=all", "expand"),
        ("/healthz?verbose", "verbose"),
        ("/openapi.json?format=yaml", "format"),
    ] {
        let problem = app.get(uri).await.problem(400);
        assert_eq!(problem["param"], param, "{uri}");
    }
    let post = app
        .call(
            TestRequest::post()
                .uri("/v1/articles?dry_run=true")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .set_json(json!({})),
        )
        .await
        .problem(400);
    assert_eq!(post["param"], "dry_run");
    // Known parameters still work, repeated ones too.
    let page: Value = app
        .get("/v1/articles?topic=diplomacy&topic=politics&limit=2")
        .await
        .json();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_cached_page_keeps_its_tag_and_its_compressed_bodies() {
    let path = "/v1/articles?limit=5";
    let (_app, server) = ServerProcess::warmed(path).await;
    let client = awc::Client::default();
    let get = |headers: Vec<(&'static str, String)>| {
        let mut request = client.get(format!("{}{path}", server.base));
        for (name, value) in headers {
            request = request.insert_header((name, value));
        }
        async move {
            let mut response = request.send().await.expect("GET answers");
            let body = response.body().await.expect("a body").to_vec();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            (
                response.status().as_u16(),
                header("x-cache"),
                header("etag"),
                header("content-encoding"),
                body,
            )
        }
    };
    let (status, cache, plain_tag, coding, plain) = get(vec![]).await;
    assert_eq!((status, cache.as_str(), coding.as_str()), (200, "hit", ""));
    for _ in 0..2 {
        let (status, cache, tag, coding, body) =
            get(vec![("accept-encoding", "gzip".to_owned())]).await;
        assert_eq!(
            (status, cache.as_str(), coding.as_str()),
            (200, "hit", "gzip")
        );
        assert_eq!(tag, format!("{}-gzip\"", plain_tag.trim_end_matches('"')));
        assert_eq!(gunzip(&body), plain);
    }
    let (status, _, tag, _, body) = get(vec![
        ("accept-encoding", "br".to_owned()),
        (
            "if-none-match",
            format!("{}-br\"", plain_tag.trim_end_matches('"')),
        ),
    ])
    .await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert!(tag.ends_with("-br\""), "{tag}");
    let (status, ..) = get(vec![("if-none-match", plain_tag.clone())]).await;
    assert_eq!(status, 304);
}

#[actix_web::test]
async fn a_write_that_is_wrong_in_itself_hears_that_before_a_stale_if_match() {
    let (app, writer) = demo_and_writer().await;
    let put = |body: Value| {
        TestRequest::put()
            .uri(SEED)
            .insert_header(("authorization", format!("Bearer {writer}")))
            .insert_header(("if-match", "\"stale\""))
            .set_json(body)
    };
    app.call(put(
        json!({"headline": "", "published_at": "2022-01-26T22:00:00Z"}),
    ))
    .await
    .problem(422);
    app.call(put(
        json!({"headline": "Fine", "published_at": "2022-01-26T22:00:00Z"}),
    ))
    .await
    .problem(412);
    assert_ne!(app.get(SEED).await.json()["headline"], "Fine");
}

#[actix_web::test]
async fn an_uncached_list_revalidated_in_brotli_is_a_304_with_the_tag_the_client_holds() {
    let app = TestApp::with_demo().await;
    let uri = "/v1/topics/diplomacy/articles?limit=5";
    let first = get_with(&app, uri, &[("accept-encoding", "br")]).await;
    assert_eq!(first.header("content-encoding"), Some("br"));
    let tag = first.header("etag").unwrap().to_owned();
    assert!(tag.ends_with("-br\""), "{tag}");
    let again = get_with(
        &app,
        uri,
        &[("accept-encoding", "br"), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
}
