use crate::harness::TestApp;

#[actix_web::test]
async fn a_topic_with_its_parent_children_and_iptc_code() {
    let app = TestApp::with_demo().await;
    let topic = app.get("/v1/topics/international-relations").await;
    assert_eq!(topic.status, 200);
    let topic = topic.json();
    assert_eq!(topic["iptc_code"], "medtop:20000638");
    assert_eq!(topic["parent"], "politics");
    let children: Vec<&str> = topic["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert!(children.contains(&"diplomacy"), "{children:?}");
    let politics = app.get("/v1/topics/politics").await.json();
    assert!(politics["parent"].is_null());
}

#[actix_web::test]
async fn topics_list_every_topic_or_one_parents_children() {
    let app = TestApp::with_demo().await;
    let all = app.get("/v1/topics").await.json();
    let total = app.count("SELECT count(*) AS n FROM topics").await;
    assert_eq!(
        all["data"].as_array().unwrap().len() as i64,
        total,
        "one page by default"
    );
    assert!(all["next_cursor"].is_null());
    let diplomacy = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "diplomacy")
        .unwrap();
    assert_eq!(diplomacy["parent"], "international-relations");

    let children = app.get("/v1/topics?parent=politics").await.json();
    let children = children["data"].as_array().unwrap();
    assert!(!children.is_empty());
    assert!(children.iter().all(|t| t["parent"] == "politics"));
    let roots = app.get("/v1/topics?parent=").await.json();
    let roots = roots["data"].as_array().unwrap();
    assert!(roots.iter().all(|t| t["parent"].is_null()));
    assert!(roots.iter().any(|t| t["slug"] == "politics"));
}
