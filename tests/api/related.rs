//! Related articles and related entities.

use serde_json::{Value, json};

use crate::facets::{stories_naming_entities, walk, walk_pages};
use crate::harness::slugs;
use crate::writes::{demo_and_writer, post};

const SEED: &str = "us-formally-rejects-russias-top-security-demands";

fn story(n: u32, topic: &str, body: &str, day: &str) -> Value {
    json!({
        "headline": format!("Related test story {n}"),
        "body": body,
        "language": "en",
        "source": "Test Wire",
        "url": format!("https://wire.example.com/related-{n}"),
        "published_at": format!("{day}T10:00:00Z"),
        "authors": ["Jane Doe"],
        "topics": [topic],
    })
}

#[actix_web::test]
async fn related_articles_rank_rare_shared_labels_first_and_never_the_article_itself() {
    let (app, writer) = demo_and_writer().await;
    // Shares the seed's rare entities; its topic is one the seed does not have.
    let rare = story(
        1,
        "economy-business-and-finance",
        "Blinken told NATO that the Kremlin must answer.",
        "2021-03-01",
    );
    // Shares only the seed's common topic.
    let common = story(2, "diplomacy", "Ministers met on Monday.", "2030-03-01");
    for s in [&rare, &common] {
        let created = post(&app, &writer, s).await;
        assert_eq!(created.status, 201, "{}", created.json());
    }
    let all: Vec<String> = walk(&app, &format!("/v1/articles/{SEED}/related"), "")
        .await
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect();
    assert!(!all.contains(&SEED.to_owned()), "never the article itself");
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "no article twice across pages");
    let place = |slug: &str| all.iter().position(|s| s.starts_with(slug));
    let (rare_at, common_at) = (place("related-test-story-1"), place("related-test-story-2"));
    assert_eq!(
        rare_at,
        Some(0),
        "the story sharing rare entities comes first: {all:?}"
    );
    assert!(common_at.is_some_and(|c| c > 0), "{all:?}");

    // The same labels: the newer first.
    let first = app
        .get(&format!("/v1/articles/{SEED}/related?limit=100"))
        .await
        .json();
    let ranked: Vec<(String, String)> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["slug"].as_str().unwrap().to_owned(),
                a["published_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        first["data"][0]["authors"].is_array() && first["data"][0]["links"]["self"].is_string()
    );

    // By id as by slug.
    let id = app.get(&format!("/v1/articles/{SEED}")).await.json()["id"].clone();
    let by_id = app
        .get(&format!("/v1/articles/{id}/related?limit=100"))
        .await
        .json();
    assert_eq!(slugs(&by_id), slugs(&first));
    assert!(ranked.len() > 2);
}

#[actix_web::test]
async fn ties_go_to_the_newer_article() {
    let (app, writer) = demo_and_writer().await;
    let body = "Blinken and NATO, again.";
    for (n, day) in [(11, "2020-01-01"), (12, "2020-06-01"), (13, "2020-03-01")] {
        let created = post(
            &app,
            &writer,
            &story(n, "economy-business-and-finance", body, day),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.json());
    }
    let page = app
        .get(&format!("/v1/articles/{SEED}/related?limit=100"))
        .await
        .json();
    let got: Vec<String> = slugs(&page)
        .into_iter()
        .filter(|s| s.starts_with("related-test-story-"))
        .map(|s| s[..21].to_owned())
        .collect();
    assert_eq!(
        got,
        [
            "related-test-story-12",
            "related-test-story-13",
            "related-test-story-11"
        ]
    );
}

#[actix_web::test]
async fn related_articles_of_unknown_or_withdrawn_articles_are_problems() {
    let (app, writer) = demo_and_writer().await;
    app.get("/v1/articles/no-such-story/related")
        .await
        .problem(404);
    let created = post(
        &app,
        &writer,
        &story(21, "diplomacy", "Blinken.", "2023-01-01"),
    )
    .await;
    let slug = created.json()["slug"].as_str().unwrap().to_owned();
    let withdrawn = app
        .call(
            actix_web::test::TestRequest::delete()
                .uri(&format!("/v1/articles/{slug}"))
                .insert_header(("authorization", format!("Bearer {writer}"))),
        )
        .await;
    assert!(
        withdrawn.status.is_success(),
        "{}",
        String::from_utf8_lossy(&withdrawn.body)
    );
    app.get(&format!("/v1/articles/{slug}/related"))
        .await
        .problem(410);
    let seed_related = app
        .get(&format!("/v1/articles/{SEED}/related?limit=100"))
        .await
        .json();
    assert!(
        !slugs(&seed_related).contains(&slug),
        "a withdrawn article is never related"
    );
    for bad in ["limit=0", "cursor=xyz", "q=x"] {
        app.get(&format!("/v1/articles/{SEED}/related?{bad}"))
            .await
            .problem(400);
    }
}

#[actix_web::test]
async fn related_entities_count_the_articles_naming_both() {
    let (app, writer) = demo_and_writer().await;
    stories_naming_entities(&app, &writer).await;
    let entities = walk_pages(&app, "/v1/entities/antony-blinken/related", "", 2).await;
    assert!(entities.len() > 4, "{entities:?}");
    let counts: Vec<i64> = entities
        .iter()
        .map(|e| e["count"].as_i64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most first: {counts:?}"
    );
    assert!(entities.iter().all(|e| e["slug"] != "antony-blinken"));
    for entity in &entities {
        let slug = entity["slug"].as_str().unwrap();
        let both = walk(
            &app,
            "/v1/articles",
            &format!("entity=antony-blinken&entity={slug}"),
        )
        .await;
        assert_eq!(entity["count"], both.len(), "{slug}");
    }
    // Russia is named with Blinken in the seed and in every story above.
    assert_eq!(entities[0]["slug"], "russia");
    assert_eq!(entities[0]["count"], 5);
    app.get("/v1/entities/no-such-entity/related")
        .await
        .problem(404);
}
