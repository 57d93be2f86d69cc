use crate::harness::TestApp;

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

/// The checked-in spec is what the code generates. To refresh it after an API change:
/// `cargo run -q -- openapi > openapi/openapi.json`.
#[test]
fn checked_in_spec_matches_the_code() {
    let generated = dateline::openapi::spec_json();
    let on_disk = std::fs::read_to_string(SPEC_PATH).unwrap_or_default();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(SPEC_PATH, &generated).unwrap();
        return;
    }
    assert!(
        on_disk == generated,
        "openapi/openapi.json is stale: run `cargo run -q -- openapi > openapi/openapi.json` and commit it"
    );
}

#[actix_web::test]
async fn served_spec_is_the_checked_in_file() {
    let app = TestApp::empty().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type(), "application/json");
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        dateline::openapi::spec_json()
    );
}

#[test]
fn every_operation_documents_its_errors_and_every_field_is_described() {
    let spec: serde_json::Value = serde_json::from_str(&dateline::openapi::spec_json()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            // The entry point, the liveness probe, the metrics and the spec never reach the
            // database.
            if !["/v1", "/healthz", "/metrics", "/openapi.json"].contains(&path.as_str()) {
                assert!(
                    responses.contains_key("500"),
                    "{method} {path} documents no 500"
                );
                assert!(
                    responses.contains_key("503"),
                    "{method} {path} documents no 503"
                );
            }
            if path.contains('{') {
                assert!(
                    responses.contains_key("404"),
                    "{method} {path} documents no 404"
                );
            }
            if op["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["in"] == "query"))
            {
                assert!(
                    responses.contains_key("400"),
                    "{method} {path} documents no 400"
                );
            }
        }
    }
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        if let Some(props) = schema["properties"].as_object() {
            for (field, prop) in props {
                let described = prop.get("description").is_some()
                    || ["allOf", "oneOf"].iter().any(|k| {
                        prop[k]
                            .as_array()
                            .is_some_and(|a| a.iter().any(|s| s.get("description").is_some()))
                    });
                assert!(described, "{name}.{field} has no description");
            }
        }
    }
}

#[actix_web::test]
async fn docs_page_is_served_from_the_binary() {
    let app = TestApp::empty().await;
    let bare = app.get("/docs").await;
    assert_eq!(bare.status.as_u16(), 307);
    assert_eq!(bare.header("location"), Some("/docs/"));
    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("swagger-ui"), "{html}");
    let config = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(config.status, 200);
    assert!(String::from_utf8_lossy(&config.body).contains("/openapi.json"));
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, 200);
    assert!(
        bundle.body.len() > 100_000,
        "the Swagger UI bundle is embedded"
    );
}

#[test]
fn the_spec_serves_generated_clients() {
    let spec: serde_json::Value = serde_json::from_str(&dateline::openapi::spec_json()).unwrap();
    let operations = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, op)| (path, method, op))
        });
    for (path, method, op) in operations {
        let summary = op["summary"].as_str().unwrap_or_default();
        assert!(
            !summary.is_empty() && summary.len() <= 60 && !summary.contains('\n'),
            "{method} {path}: a short summary, not {summary:?}"
        );
        assert!(
            op["description"]
                .as_str()
                .is_some_and(|d| d.len() > summary.len()),
            "{method} {path} has no description"
        );
        let security = op["security"]
            .as_array()
            .expect("security on every operation");
        if method == "get" {
            assert_eq!(
                security,
                &[serde_json::json!({})],
                "{method} {path} is public"
            );
            let headers = &op["responses"]["200"]["headers"];
            let probe = path == "/healthz" || path == "/readyz";
            if op["responses"].get("200").is_some() && !probe {
                assert!(
                    headers["ETag"].is_object() && headers["Cache-Control"].is_object(),
                    "{method} {path}"
                );
            }
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if let Some(problem) = response["content"].get("application/problem+json") {
                assert_eq!(
                    problem["example"]["status"].as_u64(),
                    status.parse::<u64>().ok(),
                    "{method} {path} {status}"
                );
            }
        }
    }
    let list = &spec["paths"]["/v1/articles"]["get"]["responses"]["200"];
    assert!(list["headers"]["Link"].is_object());
    let page = &spec["components"]["schemas"]["ArticlePage"];
    assert_eq!(
        page["properties"]["data"]["items"]["$ref"],
        "#/components/schemas/ArticleSummary"
    );
    assert!(
        page["required"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("next_cursor"))
    );
    assert_eq!(
        page["properties"]["next_cursor"]["type"],
        serde_json::json!(["string", "null"])
    );
}
