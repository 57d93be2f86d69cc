//! Feeds: Atom, RSS 2.0 and JSON Feed of every article list, read back with the feed crates and
//! compared with the JSON list they are a view of. (CI also reads them with Python's feedparser:
//! `.ci/formats/check.py`.)

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::writes::{demo_and_writer, post, story};

fn headlines(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["headline"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn atom_rss_and_json_feeds_hold_the_lists_articles_in_order() {
    let app = TestApp::with_demo().await;
    for (feed, list) in [
        ("/v1/feeds/latest", "/v1/articles?limit=5"),
        (
            "/v1/topics/diplomacy/feed",
            "/v1/topics/diplomacy/articles?limit=5",
        ),
        (
            "/v1/authors/alex-raufoglu/feed",
            "/v1/authors/alex-raufoglu/articles?limit=5",
        ),
        (
            "/v1/entities/antony-blinken/feed",
            "/v1/entities/antony-blinken/articles?limit=5",
        ),
    ] {
        let expected = headlines(&app.get(list).await.json());
        assert!(!expected.is_empty(), "{list}");

        let atom = app.get(&format!("{feed}.atom?limit=5")).await;
        assert_eq!(atom.status, 200, "{feed}");
        assert_eq!(atom.content_type(), "application/atom+xml; charset=utf-8");
        assert!(atom.header("etag").is_some());
        let parsed = atom_syndication::Feed::read_from(&atom.body[..]).unwrap();
        let titles: Vec<String> = parsed
            .entries()
            .iter()
            .map(|e| e.title().value.clone())
            .collect();
        assert_eq!(titles, expected, "{feed}.atom");
        assert!(parsed.title().value.starts_with("dateline: "));

        let rss = app.get(&format!("{feed}.rss?limit=5")).await;
        assert_eq!(rss.content_type(), "application/rss+xml; charset=utf-8");
        let channel = rss::Channel::read_from(&rss.body[..]).unwrap();
        let titles: Vec<String> = channel
            .items()
            .iter()
            .map(|i| i.title().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(titles, expected, "{feed}.rss");

        let feed_json = app.get(&format!("{feed}.json?limit=5")).await;
        assert_eq!(
            feed_json.content_type(),
            "application/feed+json; charset=utf-8"
        );
        let feed_json = feed_json.json();
        assert_eq!(feed_json["version"], "https://jsonfeed.org/version/1.1");
        let titles: Vec<String> = feed_json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(titles, expected, "{feed}.json");
    }

    // The seed story's entry: its link, dates, byline, topics and standfirst.
    let atom = app.get("/v1/authors/alex-raufoglu/feed.atom").await;
    let parsed = atom_syndication::Feed::read_from(&atom.body[..]).unwrap();
    let entry = &parsed.entries()[0];
    assert!(
        entry
            .id()
            .ends_with("/v1/articles/us-formally-rejects-russias-top-security-demands")
    );
    assert_eq!(
        entry.published().unwrap().to_rfc3339(),
        "2022-01-26T22:00:00+00:00"
    );
    assert_eq!(entry.authors()[0].name(), "Alex Raufoglu");
    let labels: Vec<&str> = entry
        .categories()
        .iter()
        .filter_map(|c| c.label())
        .collect();
    assert!(labels.contains(&"Diplomacy"), "{labels:?}");
    assert!(
        entry
            .summary()
            .unwrap()
            .value
            .starts_with("Washington on Wednesday")
    );
}

#[actix_web::test]
async fn a_feed_pages_by_cursor_revalidates_and_carries_the_lead_picture() {
    let (app, writer) = demo_and_writer().await;
    let mut body = story(1);
    body["published_at"] = json!("2030-01-01T00:00:00Z");
    body["media"] = json!([{"renditions": [{"href": "https://images.example.com/c.jpg", "width": 1200, "content_type": "image/jpeg"}]}]);
    assert_eq!(post(&app, &writer, &body).await.status, 201);

    let atom = app.get("/v1/feeds/latest.atom?limit=2").await;
    let parsed = atom_syndication::Feed::read_from(&atom.body[..]).unwrap();
    let enclosure = parsed.entries()[0]
        .links()
        .iter()
        .find(|l| l.rel() == "enclosure")
        .expect("the lead picture");
    assert_eq!(enclosure.href(), "https://images.example.com/c.jpg");
    assert_eq!(enclosure.mime_type(), Some("image/jpeg"));
    let rss = app.get("/v1/feeds/latest.rss?limit=2").await;
    let channel = rss::Channel::read_from(&rss.body[..]).unwrap();
    assert_eq!(
        channel.items()[0].enclosure().unwrap().url(),
        "https://images.example.com/c.jpg"
    );
    let json_feed = app.get("/v1/feeds/latest.json?limit=2").await.json();
    assert_eq!(
        json_feed["items"][0]["image"],
        "https://images.example.com/c.jpg"
    );

    // The next page, as the list's cursor.
    let next = parsed
        .links()
        .iter()
        .find(|l| l.rel() == "next")
        .expect("a next link")
        .href()
        .to_owned();
    let path = &next[next.find("/v1/").unwrap()..];
    let page2 = app.get(path).await;
    assert_eq!(page2.status, 200, "{path}");
    let page2 = atom_syndication::Feed::read_from(&page2.body[..]).unwrap();
    let list = app.get("/v1/articles?limit=4").await.json();
    assert_eq!(page2.entries()[0].title().value, headlines(&list)[2]);

    // Revalidation.
    let tag = atom.header("etag").unwrap().to_owned();
    let again = app
        .call(
            TestRequest::get()
                .uri("/v1/feeds/latest.atom?limit=2")
                .insert_header(("if-none-match", tag)),
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

#[actix_web::test]
async fn unknown_formats_slugs_and_fields_are_problems() {
    let app = TestApp::with_demo().await;
    let problem = app.get("/v1/feeds/latest.xml").await.problem(404);
    assert!(
        problem["detail"].as_str().unwrap().contains(".atom"),
        "{problem}"
    );
    let problem = app
        .get("/v1/topics/no-such-topic/feed.rss")
        .await
        .problem(404);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no-such-topic")
    );
    let problem = app
        .get("/v1/feeds/latest.json?fields=headline")
        .await
        .problem(400);
    assert_eq!(problem["param"], "fields");
    let problem = app
        .get("/v1/feeds/latest.atom?limit=500")
        .await
        .problem(400);
    assert_eq!(problem["param"], "limit");
}
