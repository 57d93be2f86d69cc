//! Facets: every count is what walking the filtered list gives.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::writes::{demo_and_writer, post};

/// How many of the newest matches the label counts read (`store::facets::FACET_SAMPLE`).
const SAMPLE: usize = 1_000;

/// Every article of a list, walked page by page through its cursors.
pub async fn walk(app: &TestApp, path: &str, filters: &str) -> Vec<Value> {
    walk_pages(app, path, filters, 100).await
}

/// Every item of a list, walked `limit` at a time through its cursors.
pub async fn walk_pages(app: &TestApp, path: &str, filters: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut uri = format!("{path}?limit={limit}&{filters}");
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.status, 200, "{uri}: {}", page.json());
        let page = page.json();
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                uri = format!(
                    "{path}?limit={limit}&{filters}&{}",
                    serde_html_form::to_string([("cursor", cursor)]).unwrap()
                )
            }
            None => return items,
        }
    }
}

/// The month an article was published in, as the histogram's bucket start.
fn month(article: &Value) -> String {
    let published = article["published_at"].as_str().unwrap();
    format!("{}-01T00:00:00Z", &published[..7])
}

/// A few stories that name the seed's entities, so that entity counts go above one.
pub async fn stories_naming_entities(app: &TestApp, writer: &str) -> Vec<String> {
    let mut slugs = Vec::new();
    for (n, (author, topic, day)) in [
        ("Jane Doe", "politics", "2024-05-07"),
        ("Jane Doe", "diplomacy", "2024-05-20"),
        ("John Roe", "diplomacy", "2024-06-02"),
        ("John Roe", "economy-business-and-finance", "2024-06-03"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = if n % 2 == 0 {
            "Blinken met NATO ministers in Brussels. Russia answered from the Kremlin."
        } else {
            "Blinken spoke to reporters about Russia."
        };
        let story = json!({
            "headline": format!("Diplomatic briefing number {n}"),
            "body": body,
            "language": "en",
            "source": "Test Wire",
            "url": format!("https://wire.example.com/briefing-{n}"),
            "published_at": format!("{day}T10:00:00Z"),
            "authors": [author],
            "topics": [topic],
        });
        let created = post(app, writer, &story).await;
        assert_eq!(created.status, 201, "{}", created.json());
        slugs.push(created.json()["slug"].as_str().unwrap().to_owned());
    }
    slugs
}

#[actix_web::test]
async fn facet_counts_equal_what_walking_the_filtered_list_gives() {
    let (app, writer) = demo_and_writer().await;
    stories_naming_entities(&app, &writer).await;
    let filter_sets = [
        "",
        "topic=politics",
        "q=blinken",
        "entity=antony-blinken",
        "topic=diplomacy&topic=politics&published_after=2022-01-01T00:00:00Z",
        "language=en&source=Test%20Wire",
    ];
    let mut compared = 0;
    for filters in filter_sets {
        let facets = app
            .get(&format!("/v1/articles/facets?top=50&{filters}"))
            .await;
        assert_eq!(facets.status, 200, "{filters}: {}", facets.json());
        let facets = facets.json();
        let all = walk(&app, "/v1/articles", filters).await;
        assert_eq!(facets["total"], all.len(), "{filters}");
        let sampled = all.len() > SAMPLE;
        assert_eq!(facets["counted"], all.len().min(SAMPLE), "{filters}");

        let mut months: BTreeMap<String, usize> = BTreeMap::new();
        for article in &all {
            *months.entry(month(article)).or_default() += 1;
        }
        let buckets: BTreeMap<String, usize> = facets["histogram"]["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["start"].as_str().unwrap().to_owned(),
                    b["count"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(buckets, months, "{filters}: the histogram by month");

        if sampled {
            // The label counts read the newest SAMPLE articles: the first SAMPLE of the list.
            let mut authors: BTreeMap<String, usize> = BTreeMap::new();
            for article in &all[..SAMPLE] {
                for author in article["authors"].as_array().unwrap() {
                    *authors
                        .entry(author["slug"].as_str().unwrap().to_owned())
                        .or_default() += 1;
                }
            }
            for value in facets["authors"].as_array().unwrap() {
                assert_eq!(
                    value["count"],
                    authors[value["slug"].as_str().unwrap()],
                    "{filters}: {value}"
                );
                compared += 1;
            }
            continue;
        }
        let mut listed = vec![
            ("/v1/topics", facets["topics"].clone()),
            ("/v1/authors", facets["authors"].clone()),
        ];
        for kind in ["person", "organisation", "place", "event", "other"] {
            listed.push(("/v1/entities", facets["entities"][kind].clone()));
        }
        for (collection, values) in listed {
            let values = values.as_array().unwrap();
            let counts: Vec<u64> = values
                .iter()
                .map(|v| v["count"].as_u64().unwrap())
                .collect();
            assert!(
                counts.windows(2).all(|w| w[0] >= w[1]),
                "{filters}: {collection} most first: {counts:?}"
            );
            for value in values {
                let slug = value["slug"].as_str().unwrap();
                let scoped = walk(&app, &format!("{collection}/{slug}/articles"), filters).await;
                assert_eq!(
                    value["count"],
                    scoped.len(),
                    "{filters}: {collection}/{slug}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 40, "only {compared} facet values were compared");
    // The stories above make Blinken's count more than one under a filter.
    let blinken = app.get("/v1/articles/facets?q=blinken").await.json();
    assert_eq!(blinken["entities"]["person"][0]["slug"], "antony-blinken");
    assert_eq!(blinken["entities"]["person"][0]["count"], 5);
}

#[actix_web::test]
async fn the_histogram_buckets_by_day_week_and_month_in_utc() {
    let (app, writer) = demo_and_writer().await;
    let stories = stories_naming_entities(&app, &writer).await;
    let buckets = |interval: &'static str| {
        let app = &app;
        async move {
            let facets = app
                .get(&format!(
                    "/v1/articles/facets?source=Test%20Wire&interval={interval}"
                ))
                .await
                .json();
            assert_eq!(facets["histogram"]["interval"], interval);
            facets["histogram"]["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    (
                        b["start"].as_str().unwrap().to_owned(),
                        b["count"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let s = |t: &str, n: i64| (t.to_owned(), n);
    assert_eq!(
        buckets("day").await,
        [
            s("2024-05-07T00:00:00Z", 1),
            s("2024-05-20T00:00:00Z", 1),
            s("2024-06-02T00:00:00Z", 1),
            s("2024-06-03T00:00:00Z", 1)
        ]
    );
    // 2024-06-02 is a Sunday: its ISO week began on Monday 27 May; 3 June starts the next.
    assert_eq!(
        buckets("week").await,
        [
            s("2024-05-06T00:00:00Z", 1),
            s("2024-05-20T00:00:00Z", 1),
            s("2024-05-27T00:00:00Z", 1),
            s("2024-06-03T00:00:00Z", 1)
        ]
    );
    assert_eq!(
        buckets("month").await,
        [s("2024-05-01T00:00:00Z", 2), s("2024-06-01T00:00:00Z", 2)]
    );

    // An author alone is counted from the link index: a withdrawn article must still drop out.
    let facets = app.get("/v1/articles/facets?author=jane-doe").await.json();
    assert_eq!(facets["total"], 2);
    let withdrawn = app
        .call(
            actix_web::test::TestRequest::delete()
                .uri(&format!("/v1/articles/{}", stories[0]))
                .insert_header(("authorization", format!("Bearer {writer}"))),
        )
        .await;
    assert!(
        withdrawn.status.is_success(),
        "{}",
        String::from_utf8_lossy(&withdrawn.body)
    );
    let facets = app.get("/v1/articles/facets?author=jane-doe").await.json();
    assert_eq!(facets["total"], 1);
    assert_eq!(walk(&app, "/v1/articles", "author=jane-doe").await.len(), 1);
}

#[actix_web::test]
async fn facets_take_the_list_filters_and_refuse_paging() {
    let app = TestApp::with_demo().await;
    let top = app.get("/v1/articles/facets?top=2").await.json();
    assert_eq!(top["topics"].as_array().unwrap().len(), 2);
    assert_eq!(top["authors"].as_array().unwrap().len(), 2);
    for (query, param, status) in [
        ("interval=year", "interval", 400),
        ("top=0", "top", 400),
        ("top=51", "top", 400),
        ("cursor=abc", "cursor", 400),
        ("sort=oldest", "sort", 400),
        ("published_after=yesterday", "published_after", 400),
    ] {
        let problem = app
            .get(&format!("/v1/articles/facets?{query}"))
            .await
            .problem(status);
        assert_eq!(problem["param"], param, "{query}");
    }
    let unknown = app.get("/v1/articles/facets?topic=no-such-topic").await;
    unknown.problem(404);
    let none = app.get("/v1/articles/facets?q=zzzxqqnothing").await.json();
    assert_eq!(none["total"], 0);
    assert_eq!(none["histogram"]["buckets"], json!([]));
    assert_eq!(none["topics"], json!([]));
}
