//! What real wire data found in ingest: the rules every entry point (HTTP, `dateline import`)
//! now keeps, each tested where it shows.

use serde_json::{Value, json};

use crate::writes::{demo_and_writer, post};

fn wire(n: u32, body: &str) -> Value {
    json!({
        "headline": format!("Wire story {n}"),
        "body": body,
        "source": "Wire",
        "external_id": format!("wire-{n}"),
        "published_at": "1987-03-02T10:00:00Z",
    })
}

fn entity<'a>(article: &'a Value, slug: &str) -> Option<&'a Value> {
    article["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["slug"] == slug)
}

#[actix_web::test]
async fn an_entity_the_article_creates_counts_the_times_its_own_text_names_it() {
    let (app, writer) = demo_and_writer().await;
    let mut body = wire(
        1,
        "Kaja Kallas spoke first. Later Kaja Kallas said the talks would go on.",
    );
    body["entities"] = json!([{"name": "Kaja Kallas", "kind": "person"}]);
    let created = post(&app, &writer, &body).await;
    assert_eq!(created.status, 201);
    let article = created.json();
    let kallas = entity(&article, "kaja-kallas").expect("linked");
    assert_eq!(kallas["rel"], "about");
    assert_eq!(kallas["mentions"], 2);
    // The same text sent again, with the entity now known to the gazetteer, counts alike.
    body["external_id"] = json!("wire-2");
    let again = post(&app, &writer, &body).await.json();
    assert_eq!(entity(&again, "kaja-kallas").unwrap()["mentions"], 2);
}

#[actix_web::test]
async fn an_entity_named_by_an_alias_of_an_existing_one_is_that_entity() {
    let (app, writer) = demo_and_writer().await;
    let entities_before = app.count("SELECT count(*) AS n FROM entities").await;
    let mut body = wire(1, "The USA said so. The USA will answer next week.");
    body["entities"] = json!([{"name": "USA", "kind": "place"}]);
    let article = post(&app, &writer, &body).await.json();
    let us = entity(&article, "united-states").expect("the alias names united-states");
    assert_eq!(us["rel"], "about");
    assert_eq!(us["mentions"], 2);
    assert!(entity(&article, "usa").is_none());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM entities").await,
        entities_before,
        "no duplicate entity"
    );
    app.get("/v1/entities/usa").await.problem(404);
    // Of another kind, the same name is another entity.
    body["external_id"] = json!("wire-2");
    body["entities"] = json!([{"name": "USA", "kind": "organisation"}]);
    let other = post(&app, &writer, &body).await.json();
    assert_eq!(entity(&other, "usa").unwrap()["kind"], "organisation");
}

#[actix_web::test]
async fn a_resend_that_changes_nothing_takes_no_id_from_the_sequence() {
    let (app, writer) = demo_and_writer().await;
    let first = post(&app, &writer, &wire(1, "Text.")).await;
    assert_eq!(first.status, 201);
    let id = first.json()["id"].as_i64().unwrap();
    for _ in 0..5 {
        let again = post(&app, &writer, &wire(1, "Text.")).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json()["version"], 1);
    }
    let changed = post(&app, &writer, &wire(1, "Changed text.")).await;
    assert_eq!(changed.json()["version"], 2);
    let next = post(&app, &writer, &wire(2, "Text.")).await.json();
    assert_eq!(next["id"].as_i64().unwrap(), id + 1);
}

#[actix_web::test]
async fn control_characters_are_refused_naming_the_field_but_line_breaks_are_text() {
    let (app, writer) = demo_and_writer().await;
    let mut body = wire(1, "One.\n\nTwo\tthree.\r\n");
    body["headline"] = json!("HOME SHOPPING SETS STOCK OPTIONS\u{2}");
    body["authors"] = json!(["Jane\u{7} Roe"]);
    let problem = post(&app, &writer, &body).await.problem(422);
    assert_eq!(problem["errors"][0]["field"], "headline");
    assert_eq!(problem["errors"][1]["field"], "authors[0]");
    assert!(problem["errors"].get(2).is_none(), "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("control characters"),
        "{problem}"
    );
    body["headline"] = json!("HOME SHOPPING SETS STOCK OPTIONS");
    body["authors"] = json!(["Jane Roe"]);
    let stored = post(&app, &writer, &body).await;
    assert_eq!(stored.status, 201);
    assert_eq!(stored.json()["body"], "One.\n\nTwo\tthree.");
}

#[actix_web::test]
async fn a_bad_date_says_that_rfc_3339_is_expected() {
    let (app, writer) = demo_and_writer().await;
    let mut body = wire(1, "Text.");
    body["published_at"] = json!("2-MAR-1987 10:00:00.00");
    let problem = post(&app, &writer, &body).await.problem(422);
    assert_eq!(problem["errors"][0]["field"], "published_at");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("RFC 3339"), "{message}");
}

#[actix_web::test]
async fn an_author_first_seen_in_capitals_takes_the_spelling_of_a_later_mixed_case_byline() {
    let (app, writer) = demo_and_writer().await;
    let mut body = wire(1, "Text.");
    body["authors"] = json!(["STEPHEN JUKES"]);
    post(&app, &writer, &body).await;
    assert_eq!(
        app.get("/v1/authors/stephen-jukes").await.json()["name"],
        "STEPHEN JUKES"
    );
    body["external_id"] = json!("wire-2");
    body["authors"] = json!(["Stephen Jukes"]);
    let article = post(&app, &writer, &body).await.json();
    assert_eq!(article["authors"][0]["name"], "Stephen Jukes");
    assert_eq!(
        app.get("/v1/authors/stephen-jukes").await.json()["name"],
        "Stephen Jukes"
    );
    // Once in mixed case, a byline in capitals does not undo it.
    body["external_id"] = json!("wire-3");
    body["authors"] = json!(["STEPHEN JUKES"]);
    post(&app, &writer, &body).await;
    assert_eq!(
        app.get("/v1/authors/stephen-jukes").await.json()["name"],
        "Stephen Jukes"
    );
}
