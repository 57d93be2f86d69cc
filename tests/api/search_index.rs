//! The search index in the process: it finds what PostgreSQL's own search finds, in the same
//! order, with every narrowing it holds; the API answers the same with it and without it; and
//! a write is found by the next search.

use actix_web::test::TestRequest;
use chrono::{DateTime, Utc};
use dateline::search_index::{Narrowing, SearchIndex, stemming_configuration};
use dateline::store::ArticleId;
use dateline::store::article_sql::ArticleKey;
use dateline::store::search::Search;
use dateline::store::search_vectors::parse_search;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::harness::{TestApp, call_app, slugs};
use crate::writes::{demo_and_writer, post};

/// Queries of every shape `websearch_to_tsquery` makes: words, a phrase (with a stop word
/// inside), `or`, negation alone and beside words, a hyphenated word, stop words only, text in
/// angle brackets.
const QUERIES: [&str; 14] = [
    "Blinken NATO",
    "russia",
    "security demands",
    "\"security guarantees\"",
    "\"secretary of state\"",
    "biden -trump",
    "ukraine or taiwan",
    "-russia",
    "covid-19",
    "the",
    "HSN",
    "shooting",
    "\"new york\" -police",
    "election",
];

fn story(headline: &str, body: &str, language: &str, published_at: &str) -> Value {
    json!({
        "headline": headline,
        "body": body,
        "language": language,
        "source": "Index Wire",
        "url": format!("https://index.example.com/{}", serde_html_form::to_string([("h", headline)]).unwrap()),
        "published_at": published_at,
        "authors": ["Jane Doe"],
        "topics": ["politics"],
    })
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    published_at: DateTime<Utc>,
}

/// What PostgreSQL's own search answers: the `fetch` newest listed matches.
async fn postgres_newest(
    app: &TestApp,
    search: Search<'_>,
    narrowing: &Narrowing<'_>,
    fetch: u32,
) -> Vec<Hit> {
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query(
        "SELECT id, published_at FROM articles WHERE pub_status = 'usable' \
           AND search @@ websearch_to_tsquery(CASE WHEN $1 IS NULL THEN 'english'::regconfig ELSE search_config($1) END, search_text($2)) \
           AND ($1 IS NULL OR language = $1) \
           AND (cardinality($3::text[]) = 0 OR source = ANY($3)) \
           AND ($4::timestamptz IS NULL OR published_at > $4) \
           AND ($5::timestamptz IS NULL OR published_at < $5) \
           AND ($6::timestamptz IS NULL OR (published_at, id) < ($6, $7)) \
         ORDER BY published_at DESC, id DESC LIMIT $8",
    )
    .bind::<Nullable<Text>, _>(search.language)
    .bind::<Text, _>(search.query)
    .bind::<diesel::sql_types::Array<Text>, _>(narrowing.sources)
    .bind::<Nullable<Timestamptz>, _>(narrowing.published_after)
    .bind::<Nullable<Timestamptz>, _>(narrowing.published_before)
    .bind::<Nullable<Timestamptz>, _>(
        narrowing
            .older_than
            .and_then(|k| DateTime::from_timestamp_micros(k.t)),
    )
    .bind::<BigInt, _>(narrowing.older_than.map_or(0, |k| k.id))
    .bind::<BigInt, _>(i64::from(fetch))
    .load(&mut conn)
    .await
    .unwrap()
}

/// What the index answers; it must answer (it is filled and nothing is written meanwhile).
async fn index_newest(
    app: &TestApp,
    index: &SearchIndex,
    search: Search<'_>,
    narrowing: Narrowing<'_>,
    fetch: u32,
) -> Vec<i64> {
    let mut conn = app.pool.get().await.unwrap();
    let parsed = parse_search(&mut conn, search, false).await.unwrap();
    index
        .newest_matches(&parsed, narrowing, fetch)
        .await
        .unwrap_or_else(|| panic!("the index answers {:?}", search.query))
        .into_iter()
        .map(|ArticleId(id)| id)
        .collect()
}

/// The demo data, a few stories of other shapes (one written before the index is filled, the
/// rest after, so the change feed brings them), and an index.
async fn demo_with_index() -> (TestApp, String) {
    let (app, writer) = demo_and_writer().await;
    let before = story(
        "HOME SHOPPING <HSN> SETS STOCK OPTIONS",
        "Terms of the New York listing were not disclosed; the secretary of state was told.",
        "en",
        "2022-01-26T09:00:00Z",
    );
    assert_eq!(post(&app, &writer, &before).await.status, 201);
    let app = app.with_search_index().await;
    for (headline, body, language, at) in [
        (
            "Les électeurs se rendent aux urnes",
            "Les élections ont mobilisé les électeurs.",
            "fr",
            "2022-01-25T08:00:00Z",
        ),
        // The same instant as another story: ties are broken by id.
        (
            "Russia and Ukraine talks in New York",
            "Security demands and security guarantees were discussed; police kept order.",
            "en",
            "2022-01-26T09:00:00Z",
        ),
        (
            "A shooting in Taiwan",
            "Biden spoke; Trump did not. COVID-19 rules applied.",
            "en",
            "2022-01-24T12:00:00Z",
        ),
    ] {
        let created = post(&app, &writer, &story(headline, body, language, at)).await;
        assert_eq!(created.status, 201, "{}", created.json());
    }
    (app, writer)
}

#[actix_web::test]
async fn the_index_finds_the_newest_matches_postgresql_finds() {
    let (app, _) = demo_with_index().await;
    let index = app.search_index.clone().unwrap();
    let sources = ["Index Wire".to_owned()];
    let mut compared = 0;
    for query in QUERIES {
        for language in [None, Some("en"), Some("fr")] {
            let search = Search { query, language };
            let plain = Narrowing {
                language,
                ..Narrowing::default()
            };
            let all = postgres_newest(&app, search, &plain, 200).await;
            let ids: Vec<i64> = all.iter().map(|h| h.id).collect();
            assert_eq!(
                index_newest(&app, &index, search, plain.clone(), 200).await,
                ids,
                "{query} in {language:?}"
            );
            compared += ids.len();
            // A page after a cursor, dates, sources: each narrowing as the statement applies it.
            let Some(middle) = all.get(all.len() / 2) else {
                continue;
            };
            let narrowings = [
                Narrowing {
                    older_than: Some(ArticleKey {
                        t: middle.published_at.timestamp_micros(),
                        id: middle.id,
                        r: None,
                    }),
                    ..plain.clone()
                },
                Narrowing {
                    published_before: Some(middle.published_at),
                    ..plain.clone()
                },
                Narrowing {
                    published_after: Some(middle.published_at),
                    ..plain.clone()
                },
                Narrowing {
                    sources: &sources,
                    ..plain.clone()
                },
            ];
            for narrowing in narrowings {
                for fetch in [1, 3, 21] {
                    let expected: Vec<i64> = postgres_newest(&app, search, &narrowing, fetch)
                        .await
                        .into_iter()
                        .map(|h| h.id)
                        .collect();
                    assert_eq!(
                        index_newest(&app, &index, search, narrowing.clone(), fetch).await,
                        expected,
                        "{query} in {language:?}, {narrowing:?}, {fetch}"
                    );
                }
            }
        }
    }
    assert!(compared > 300, "the queries match something: {compared}");
}

#[actix_web::test]
async fn lists_answer_the_same_with_the_index_and_without_it() {
    let (app, _) = demo_with_index().await;
    let index = app.search_index.clone().unwrap();
    let before = index.answered();
    for query in QUERIES {
        let q = serde_html_form::to_string([("q", query)]).unwrap();
        for rest in [
            "",
            "&sort=relevance",
            "&limit=2",
            "&language=fr",
            "&sort=oldest",
            "&topic=politics",
            "&published_before=2022-01-26T00:00:00Z",
        ] {
            let uri = format!("/v1/articles?{q}{rest}");
            let with_index = app.get(&uri).await;
            let without = call_app(app.pool.clone(), TestRequest::get().uri(&uri)).await;
            assert_eq!(with_index.status, 200, "{uri}");
            assert_eq!(with_index.json(), without.json(), "{uri}");
            // The next page too, from the same cursor.
            if let Some(cursor) = with_index.json()["next_cursor"].as_str() {
                let next = format!("{uri}&cursor={cursor}");
                let with_index = app.get(&next).await.json();
                let without = call_app(app.pool.clone(), TestRequest::get().uri(&next))
                    .await
                    .json();
                assert_eq!(with_index, without, "{next}");
            }
        }
    }
    // Newest first (with or without `limit`, `language`, dates) and by relevance, with their
    // next pages; oldest first and by topic are PostgreSQL's.
    assert!(
        index.answered() - before >= QUERIES.len() as u64 * 5,
        "{} answers from the index",
        index.answered() - before
    );
    let feed = "/v1/articles.atom?q=russia";
    assert_eq!(
        app.get(feed).await.body,
        call_app(app.pool.clone(), TestRequest::get().uri(feed))
            .await
            .body
    );
}

#[actix_web::test]
async fn a_write_is_found_by_the_next_search() {
    let (app, writer) = demo_with_index().await;
    let index = app.search_index.clone().unwrap();
    let search = Search {
        query: "zeppelin",
        language: None,
    };
    let found = async |app: &TestApp| slugs(&app.get("/v1/articles?q=zeppelin").await.json());
    assert!(found(&app).await.is_empty());
    let created = post(
        &app,
        &writer,
        &story(
            "Zeppelin lands in Washington",
            "An airship.",
            "en",
            "2022-01-27T09:00:00Z",
        ),
    )
    .await;
    assert_eq!(created.status, 201);
    let created = created.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(found(&app).await, [created["slug"].as_str().unwrap()]);
    // And from the index itself, which caught up with the write.
    assert_eq!(
        index_newest(&app, &index, search, Narrowing::default(), 21).await,
        [id]
    );
    let auth = ("authorization", format!("Bearer {writer}"));
    let patched = app
        .call(
            TestRequest::patch()
                .uri(&format!("/v1/articles/{id}"))
                .insert_header(auth.clone())
                .insert_header(("content-type", "application/merge-patch+json"))
                .set_payload(r#"{"headline": "Airship lands in Washington"}"#),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert!(found(&app).await.is_empty(), "the old headline is gone");
    let airship = Search {
        query: "airship",
        language: None,
    };
    assert_eq!(
        index_newest(&app, &index, airship, Narrowing::default(), 21).await,
        [id]
    );
    let withdrawn = app
        .call(
            TestRequest::delete()
                .uri(&format!("/v1/articles/{id}"))
                .insert_header(auth),
        )
        .await;
    assert_eq!(withdrawn.status, 204);
    assert_eq!(
        index_newest(&app, &index, airship, Narrowing::default(), 21).await,
        Vec::<i64>::new(),
        "a withdrawn article is not found"
    );
}

#[actix_web::test]
async fn highlights_stem_each_language_with_the_configuration_postgresql_searches_it_in() {
    let app = TestApp::empty().await;
    let mut conn = app.pool.get().await.unwrap();
    #[derive(QueryableByName)]
    struct Config {
        #[diesel(sql_type = Text)]
        name: String,
    }
    for tag in [
        "en", "en-GB", "EN-us", "fr", "fr-CA", "de", "de-CH", "es", "it", "pt-BR", "ru", "nl",
        "ja", "az", "x",
    ] {
        let config: Config = diesel::sql_query("SELECT search_config($1)::text AS name")
            .bind::<Text, _>(tag)
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(stemming_configuration(tag), config.name, "{tag}");
    }
}
