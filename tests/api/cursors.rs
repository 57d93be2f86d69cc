//! Walking lists by their cursors: every item once, in order, whatever the page sizes, even while
//! articles are being added.

use std::collections::HashSet;

use serde_json::Value;

use crate::harness::TestApp;

/// Follows `next_cursor` from `first` with the given page sizes (cycled), returning every item and
/// checking that `Link` carries the same cursor as the body.
async fn walk(
    app: &TestApp,
    first: &str,
    sizes: &[u32],
    between_pages: impl AsyncFn(usize),
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for page_no in 0.. {
        let size = sizes[page_no % sizes.len()];
        let sep = if first.contains('?') { '&' } else { '?' };
        let uri = match &cursor {
            None => format!("{first}{sep}limit={size}"),
            Some(c) => format!("{first}{sep}limit={size}&cursor={c}"),
        };
        let response = app.get(&uri).await;
        assert_eq!(
            response.status,
            200,
            "{uri}: {}",
            String::from_utf8_lossy(&response.body)
        );
        let page = response.json();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= size as usize);
        items.extend(data.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                let link = response
                    .header("link")
                    .expect("a Link header when there is a next page");
                assert!(link.starts_with("<http://localhost:8080"), "{link}");
                assert!(link.ends_with(">; rel=\"next\""), "{link}");
                assert!(link.contains(&format!("cursor={next}")), "{link}");
                assert_eq!(data.len(), size as usize, "only the last page is short");
                cursor = Some(next.to_owned());
            }
            None => {
                assert!(response.header("link").is_none());
                break;
            }
        }
        between_pages(page_no).await;
    }
    items
}

fn key(article: &Value) -> (String, i64) {
    (
        article["published_at"].as_str().unwrap().to_owned(),
        article["id"].as_i64().unwrap(),
    )
}

fn assert_each_once(items: &[Value]) {
    let ids: Vec<i64> = items.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an item came twice");
}

#[actix_web::test]
async fn walking_all_articles_returns_each_once_in_order_across_page_sizes() {
    let app = TestApp::with_demo().await;
    let total = app
        .count("SELECT count(*) AS n FROM articles WHERE pub_status = 'usable'")
        .await;
    let items = walk(&app, "/v1/articles", &[7, 100, 1, 33], async |_| {}).await;
    assert_eq!(items.len() as i64, total);
    assert_each_once(&items);
    let keys: Vec<_> = items.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first"
    );

    let oldest = walk(&app, "/v1/articles?sort=oldest", &[50, 9], async |_| {}).await;
    let mut reversed: Vec<_> = oldest.iter().map(key).collect();
    reversed.reverse();
    assert_eq!(reversed, keys, "oldest first is the exact reverse");
}

#[actix_web::test]
async fn walking_survives_inserts_between_pages() {
    let app = TestApp::with_demo().await;
    let before: HashSet<i64> = walk(&app, "/v1/topics/politics/articles", &[100], async |_| {})
        .await
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    let politics = "(SELECT id FROM topics WHERE slug = 'politics')";
    let items = walk(&app, "/v1/topics/politics/articles", &[25, 40], async |page| {
        // A newer story lands at the head of the list, and one in the middle, while we page.
        for (n, at) in [(0, "2030-01-01T00:00:00Z"), (1, "2022-06-15T12:00:00Z")] {
            let slug = format!("breaking-{page}-{n}");
            app.sql(&format!(
                "WITH a AS (INSERT INTO articles (slug, headline, published_at) VALUES ('{slug}', 'Breaking {page} {n}', '{at}') RETURNING id, published_at) \
                 INSERT INTO article_topics (article_id, topic_id, direct, published_at) SELECT id, {politics}, true, published_at FROM a"
            ))
            .await;
        }
    })
    .await;
    assert_each_once(&items);
    let seen: HashSet<i64> = items.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert!(
        before.is_subset(&seen),
        "every article that existed when the walk began is seen"
    );
    let keys: Vec<_> = items.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first"
    );
}

#[actix_web::test]
async fn walking_any_of_topics_merges_without_duplicates() {
    let app = TestApp::with_demo().await;
    let uri = "/v1/articles?topic=politics&topic=international-relations&topic=society";
    let items = walk(&app, uri, &[13, 50], async |_| {}).await;
    assert_each_once(&items);
    let expected = app
        .count(
            "SELECT count(DISTINCT at.article_id) AS n FROM article_topics at JOIN topics t ON t.id = at.topic_id \
             WHERE t.slug IN ('politics', 'international-relations', 'society')",
        )
        .await;
    assert_eq!(items.len() as i64, expected);
    let keys: Vec<_> = items.iter().map(key).collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]));
}

#[actix_web::test]
async fn walking_by_relevance_returns_each_match_once() {
    let app = TestApp::with_demo().await;
    let expected = app
        .count("SELECT count(*) AS n FROM articles WHERE search @@ websearch_to_tsquery('english', 'trump')")
        .await;
    assert!(expected > 20, "enough matches to page through");
    let items = walk(
        &app,
        "/v1/articles?q=trump&sort=relevance",
        &[6, 11],
        async |_| {},
    )
    .await;
    assert_eq!(items.len() as i64, expected);
    assert_each_once(&items);
}

#[actix_web::test]
async fn author_and_entity_lists_walk_by_slug() {
    let app = TestApp::with_demo().await;
    let authors = walk(&app, "/v1/authors", &[30, 7], async |_| {}).await;
    assert_eq!(
        authors.len() as i64,
        app.count("SELECT count(*) AS n FROM authors").await
    );
    let slugs: Vec<&str> = authors
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.windows(2).all(|w| w[0] < w[1]));
    let entities = walk(&app, "/v1/entities", &[4], async |_| {}).await;
    assert_eq!(
        entities.len() as i64,
        app.count("SELECT count(*) AS n FROM entities").await
    );
    let topics = walk(&app, "/v1/topics", &[10], async |_| {}).await;
    assert_eq!(
        topics.len() as i64,
        app.count("SELECT count(*) AS n FROM topics").await
    );
}
