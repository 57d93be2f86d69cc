use crate::harness::TestApp;

#[actix_web::test]
async fn an_author_by_slug() {
    let app = TestApp::with_demo().await;
    let author = app.get("/v1/authors/alex-raufoglu").await;
    assert_eq!(author.status, 200);
    let author = author.json();
    assert_eq!(author["name"], "Alex Raufoglu");
    assert_eq!(author["bio"], "TURAN's Washington correspondent.");
}

#[actix_web::test]
async fn authors_are_listed_by_slug_and_filtered_by_name_prefix() {
    let app = TestApp::with_demo().await;
    let page = app.get("/v1/authors?q=alex&limit=100").await.json();
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Alex Raufoglu"));
    assert!(
        names.iter().all(|n| n.to_lowercase().starts_with("alex")),
        "{names:?}"
    );
    // Case-insensitive, and LIKE wildcards match literally.
    let upper = app.get("/v1/authors?q=ALEX%20R").await.json();
    assert_eq!(upper["data"][0]["slug"], "alex-raufoglu");
    assert!(
        app.get("/v1/authors?q=%25").await.json()["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn name_prefixes_ignore_case_beyond_ascii() {
    let app = TestApp::with_demo().await;
    app.sql("INSERT INTO authors (slug, name) VALUES ('elodie-caglar', 'Élodie Çağlar')")
        .await;
    for q in ["%C3%89LODIE", "%C3%A9lodie", "%C3%A9LoDiE%20%C3%87"] {
        let page = app.get(&format!("/v1/authors?q={q}")).await.json();
        assert_eq!(page["data"][0]["slug"], "elodie-caglar", "q={q}");
    }
}
