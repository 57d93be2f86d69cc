use crate::harness::TestApp;

#[actix_web::test]
async fn an_entity_by_slug() {
    let app = TestApp::with_demo().await;
    let nato = app.get("/v1/entities/nato").await;
    assert_eq!(nato.status, 200);
    let nato = nato.json();
    assert_eq!(nato["kind"], "organisation");
    assert_eq!(nato["wikidata_id"], "Q7184");
    assert!(
        nato["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "North Atlantic Treaty Organization")
    );
}

#[actix_web::test]
async fn entities_filter_by_kind_and_by_name_or_alias_prefix() {
    let app = TestApp::with_demo().await;
    let people = app.get("/v1/entities?kind=person&limit=100").await.json();
    let people = people["data"].as_array().unwrap();
    assert!(people.iter().all(|e| e["kind"] == "person"));
    assert!(people.iter().any(|e| e["slug"] == "sergey-lavrov"));

    let by_name = app.get("/v1/entities?q=blin").await.json();
    assert_eq!(by_name["data"][0]["slug"], "antony-blinken");
    // "Baltics" is an alias of "Baltic states".
    let by_alias = app.get("/v1/entities?q=baltics").await.json();
    assert_eq!(by_alias["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_alias["data"][0]["slug"], "baltic-states");
    let places = app.get("/v1/entities?kind=place&q=wash").await.json();
    assert_eq!(places["data"][0]["slug"], "washington-dc");
    assert!(
        app.get("/v1/entities?kind=event").await.json()["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
