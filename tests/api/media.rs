//! Pictures: written with an article (POST, PUT, PATCH, batch), shown in full on the article and
//! as `image` on list items, validated by path.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::writes::{demo_and_writer, post, story};

fn picture(name: &str, lead: bool) -> Value {
    json!({
        "caption": format!("The council chamber ({name})"),
        "credit": "Example News",
        "copyright": "© 2024 Example News",
        "alt_text": "Councillors seated around a table",
        "lead": lead,
        "renditions": [
            {"href": format!("https://images.example.com/{name}-400.jpg"), "width": 400, "height": 267, "content_type": "image/jpeg"},
            {"href": format!("https://images.example.com/{name}-1200.jpg"), "width": 1200, "height": 800, "content_type": "image/jpeg"}
        ]
    })
}

#[actix_web::test]
async fn an_articles_pictures_are_stored_shown_whole_and_listed_as_its_image() {
    let (app, writer) = demo_and_writer().await;
    let mut body = story(1);
    body["media"] = json!([picture("chamber", false), picture("mayor", true)]);
    let created = post(&app, &writer, &body).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let created = created.json();
    assert_eq!(created["media"].as_array().unwrap().len(), 2);
    assert_eq!(created["media"][1]["lead"], true);
    assert_eq!(created["media"][0]["lead"], false);
    assert_eq!(created["media"][0]["kind"], "picture");

    let id = created["id"].as_i64().unwrap();
    let read = app.get(&format!("/v1/articles/{id}")).await.json();
    assert_eq!(read["media"], created["media"]);
    assert_eq!(
        read["media"][1]["renditions"][1]["href"],
        "https://images.example.com/mayor-1200.jpg"
    );

    // The list shows the lead picture's widest rendition, and only that.
    let list = app
        .get("/v1/topics/politics/articles?limit=100")
        .await
        .json();
    let item = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .expect("listed");
    assert!(item.get("media").is_none());
    assert_eq!(
        item["image"],
        json!({
            "href": "https://images.example.com/mayor-1200.jpg",
            "width": 1200,
            "height": 800,
            "content_type": "image/jpeg",
            "caption": "The council chamber (mayor)",
            "credit": "Example News",
            "alt_text": "Councillors seated around a table"
        })
    );
    let seed = app
        .get("/v1/articles/us-formally-rejects-russias-top-security-demands")
        .await
        .json();
    assert!(seed["image"].is_null() && seed["media"] == json!([]));

    // A patch that replaces the media moves the image; one that removes them clears it.
    let auth = ("authorization", format!("Bearer {writer}"));
    let patch = |media: Value| {
        TestRequest::patch()
            .uri(&format!("/v1/articles/{id}"))
            .insert_header(auth.clone())
            .insert_header(("content-type", "application/merge-patch+json"))
            .set_payload(json!({ "media": media }).to_string())
    };
    let patched = app.call(patch(json!([picture("square", false)]))).await;
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    assert_eq!(
        patched.json()["media"][0]["lead"],
        true,
        "the only picture is the lead"
    );
    assert_eq!(
        patched.json()["image"]["href"],
        "https://images.example.com/square-1200.jpg"
    );
    let cleared = app.call(patch(Value::Null)).await.json();
    assert_eq!(cleared["media"], json!([]));
    assert!(cleared["image"].is_null());
}

#[actix_web::test]
async fn bad_media_are_422_naming_each_field() {
    let (app, writer) = demo_and_writer().await;
    let mut body = story(2);
    body["media"] = json!([
        {"renditions": [{"href": "/relative.jpg", "width": -1}]},
    ]);
    let problem = post(&app, &writer, &body).await.problem(422);
    assert!(
        problem["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("media[0].renditions[0]"),
        "{problem}"
    );

    body["media"] = json!([
        {"lead": true, "renditions": [{"href": "javascript:alert(1)", "width": 0, "content_type": "jpeg"}]},
        {"lead": true, "kind": "video", "renditions": []},
    ]);
    let problem = post(&app, &writer, &body).await.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "media",
            "media[0].renditions[0].href",
            "media[0].renditions[0].width",
            "media[0].renditions[0].content_type",
            "media[1].lead",
            "media[1].renditions"
        ]
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM articles WHERE media <> '[]'")
            .await,
        0,
        "nothing half-written"
    );
}

#[actix_web::test]
async fn a_batch_and_a_replacement_carry_media() {
    let (app, writer) = demo_and_writer().await;
    let mut first = story(3);
    first["media"] = json!([picture("batch", true)]);
    let batch = app
        .call(
            TestRequest::post()
                .uri("/v1/articles/batch")
                .insert_header(("authorization", format!("Bearer {writer}")))
                .set_json(json!([first, story(4)])),
        )
        .await;
    assert_eq!(
        batch.status,
        200,
        "{}",
        String::from_utf8_lossy(&batch.body)
    );
    let stored = app
        .count("SELECT count(*) AS n FROM articles WHERE image->>'href' = 'https://images.example.com/batch-1200.jpg'")
        .await;
    assert_eq!(stored, 1);

    let created = post(&app, &writer, &story(5)).await.json();
    let mut replacement = story(5);
    replacement["media"] = json!([picture("put", false)]);
    let replaced = app
        .call(
            TestRequest::put()
                .uri(&format!("/v1/articles/{}", created["id"]))
                .insert_header(("authorization", format!("Bearer {writer}")))
                .set_json(&replacement),
        )
        .await
        .json();
    assert_eq!(replaced["version"], 2);
    assert_eq!(
        replaced["image"]["href"],
        "https://images.example.com/put-1200.jpg"
    );
}
