use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dateline::store::TopicId;
use dateline::store::article_sql::{ArticleFilter, PageRequest, list_articles};
use dateline::vocab::SortOrder;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::harness::{TestApp, slugs};

const SEED: &str = "us-formally-rejects-russias-top-security-demands";

#[actix_web::test]
async fn the_seed_article_is_found_by_topic_entity_and_author() {
    let app = TestApp::with_demo().await;
    for uri in [
        "/v1/topics/diplomacy/articles",
        "/v1/entities/antony-blinken/articles",
        "/v1/authors/alex-raufoglu/articles",
        "/v1/articles?topic=diplomacy",
        "/v1/articles?entity=antony-blinken",
        "/v1/articles?author=alex-raufoglu",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, 200, "{uri}");
        assert!(
            slugs(&response.json()).contains(&SEED.to_owned()),
            "{uri} lists the seed article"
        );
    }
}

#[actix_web::test]
async fn latest_ten_are_the_sidebar_headlines_newest_first() {
    let app = TestApp::with_demo().await;
    let page = app.get("/v1/articles?limit=10").await.json();
    let headlines: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["headline"].as_str().unwrap())
        .collect();
    assert_eq!(headlines.len(), 10);
    assert_eq!(
        headlines[0],
        "The Use of the “Oreshnik” Missile and a New Phase of Escalation Around Ukraine"
    );
    assert_eq!(
        headlines[9],
        "The South Caucasus in the Context of Expanding External Involvement"
    );
    let times: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["published_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    assert!(page["next_cursor"].is_string());
}

#[actix_web::test]
async fn summaries_carry_authors_and_direct_topics_only() {
    let app = TestApp::with_demo().await;
    let page = app.get("/v1/authors/alex-raufoglu/articles").await.json();
    let seed = &page["data"][0];
    assert_eq!(seed["slug"], SEED);
    assert_eq!(seed["source"], "TURAN");
    assert_eq!(seed["dateline"], "Washington D.C.");
    assert_eq!(seed["language"], "en");
    assert_eq!(seed["published_at"], "2022-01-26T22:00:00Z");
    assert_eq!(
        seed["authors"],
        serde_json::json!([{"slug": "alex-raufoglu", "name": "Alex Raufoglu",
            "links": {"self": "/v1/authors/alex-raufoglu"}}])
    );
    let topics: Vec<&str> = seed["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert!(topics.contains(&"diplomacy"));
    assert!(
        !topics.contains(&"politics"),
        "ancestors are not shown: {topics:?}"
    );
    assert!(seed.get("body").is_none(), "lists leave the body out");
    // The single-article view carries the same labels, in the same order.
    let article = app.get(&format!("/v1/articles/{SEED}")).await.json();
    assert_eq!(article["authors"], seed["authors"]);
    assert_eq!(article["topics"], seed["topics"]);
}

#[actix_web::test]
async fn an_article_by_slug_and_by_id_has_body_and_entities() {
    let app = TestApp::with_demo().await;
    let by_slug = app.get(&format!("/v1/articles/{SEED}")).await;
    assert_eq!(by_slug.status, 200);
    let article = by_slug.json();
    assert_eq!(
        article["headline"],
        "U.S. Formally Rejects Russia's Top Security Demands"
    );
    assert!(article["body"].as_str().unwrap().contains("Sergey Lavrov"));
    assert_eq!(article["version"], 1);
    assert_eq!(article["pub_status"], "usable");
    let entities = article["entities"].as_array().unwrap();
    let find = |slug: &str| {
        entities
            .iter()
            .find(|e| e["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} linked"))
    };
    for slug in [
        "antony-blinken",
        "john-sullivan",
        "sergey-lavrov",
        "joe-biden",
        "nato",
        "us-state-department",
        "kremlin",
        "russia",
        "ukraine",
        "georgia",
        "baltic-states",
        "moscow",
        "washington-dc",
    ] {
        find(slug);
    }
    assert_eq!(find("antony-blinken")["kind"], "person");
    assert_eq!(find("antony-blinken")["rel"], "about");
    assert_eq!(find("nato")["kind"], "organisation");
    assert_eq!(find("moscow")["kind"], "place");
    assert!(find("russia")["mentions"].as_i64().unwrap() >= 5);

    let id = article["id"].as_i64().unwrap();
    let by_id = app.get(&format!("/v1/articles/{id}")).await.json();
    assert_eq!(by_id, article);
    // Only the canonical spelling of an id is an id.
    app.get(&format!("/v1/articles/0{id}")).await.problem(404);
    app.get(&format!("/v1/articles/+{id}")).await.problem(404);
}

#[actix_web::test]
async fn a_topic_includes_its_descendants() {
    let app = TestApp::with_demo().await;
    // The seed article is tagged `diplomacy`, a grandchild of `politics`.
    let politics = app
        .get("/v1/topics/politics/articles?published_before=2022-02-01T00:00:00Z")
        .await
        .json();
    assert!(slugs(&politics).contains(&SEED.to_owned()));
    let direct = app
        .count("SELECT count(DISTINCT article_id) AS n FROM article_topics WHERE topic_id = (SELECT id FROM topics WHERE slug = 'politics') AND direct")
        .await;
    let all = app
        .count("SELECT count(*) AS n FROM article_topics WHERE topic_id = (SELECT id FROM topics WHERE slug = 'politics')")
        .await;
    assert!(all > direct, "descendant tags add rows to politics");
}

#[actix_web::test]
async fn any_of_topics_and_all_of_entities() {
    let app = TestApp::with_demo().await;
    let either = slugs(
        &app.get("/v1/articles?topic=arms-control&topic=peace-process")
            .await
            .json(),
    );
    assert_eq!(
        either,
        vec![
            "ukraines-allies-discuss-security-and-the-future-of-a-peace-settlement".to_owned(),
            SEED.to_owned()
        ]
    );
    // One article in two of the requested topics is listed once.
    let overlapping = slugs(
        &app.get("/v1/articles?topic=diplomacy&topic=international-relations&published_before=2022-03-01T00:00:00Z")
            .await
            .json(),
    );
    let mut unique = overlapping.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        overlapping.len(),
        "no duplicates: {overlapping:?}"
    );
    assert_eq!(overlapping.iter().filter(|s| *s == SEED).count(), 1);

    let both = slugs(
        &app.get("/v1/articles?entity=antony-blinken&entity=nato")
            .await
            .json(),
    );
    assert_eq!(both, vec![SEED.to_owned()]);
    let none = slugs(
        &app.get("/v1/articles?entity=antony-blinken&entity=iran")
            .await
            .json(),
    );
    assert!(none.is_empty());
    // Path scope and query filters combine.
    let scoped = slugs(
        &app.get("/v1/entities/ukraine/articles?topic=peace-process")
            .await
            .json(),
    );
    assert_eq!(
        scoped,
        vec!["ukraines-allies-discuss-security-and-the-future-of-a-peace-settlement".to_owned()]
    );
    let author_and_topic = slugs(
        &app.get("/v1/authors/alex-raufoglu/articles?topic=sport")
            .await
            .json(),
    );
    assert!(author_and_topic.is_empty());
    // The seed story is under politics (through diplomacy) and tagged arms-control; the Oreshnik
    // story is under politics (through defence) but not arms-control.
    let topic_in_topic = slugs(
        &app.get("/v1/topics/politics/articles?topic=arms-control")
            .await
            .json(),
    );
    assert_eq!(topic_in_topic, vec![SEED.to_owned()]);
}

#[actix_web::test]
async fn language_and_date_filters() {
    let app = TestApp::with_demo().await;
    assert!(slugs(&app.get("/v1/articles?language=fr").await.json()).is_empty());
    let en = slugs(&app.get("/v1/articles?language=en&limit=3").await.json());
    assert_eq!(
        slugs(&app.get("/v1/articles?language=EN&limit=3").await.json()),
        en,
        "tags are case-insensitive"
    );
    assert_eq!(
        slugs(&app.get("/v1/articles?language=en&limit=5").await.json()).len(),
        5
    );

    let window = app
        .get("/v1/articles?published_after=2022-01-26T00:00:00Z&published_before=2022-01-27T00:00:00Z")
        .await
        .json();
    assert_eq!(slugs(&window), vec![SEED.to_owned()]);
    // Bounds are exclusive.
    let exact = app.get("/v1/articles?published_after=2022-01-26T22:00:00Z&published_before=2022-09-01T00:00:00Z&limit=100").await.json();
    assert!(!slugs(&exact).contains(&SEED.to_owned()));
    // An offset with `+` that arrived unescaped still parses.
    let plus = app
        .get("/v1/articles?published_after=2026-01-08T00:00:00+00:00")
        .await
        .json();
    assert_eq!(slugs(&plus).len(), 2);
}

#[actix_web::test]
async fn full_text_search_uses_websearch_syntax_and_ranks() {
    let app = TestApp::with_demo().await;
    let blinken = slugs(&app.get("/v1/articles?q=Blinken").await.json());
    assert!(blinken.contains(&SEED.to_owned()), "{blinken:?}");
    let sullivan = slugs(
        &app.get("/v1/articles?q=Blinken%20Sullivan%20Lavrov")
            .await
            .json(),
    );
    assert_eq!(sullivan, vec![SEED.to_owned()], "terms are ANDed");
    let phrase = slugs(
        &app.get("/v1/articles?q=%22reciprocal%20transparency%20measures%22")
            .await
            .json(),
    );
    assert_eq!(phrase, vec![SEED.to_owned()]);
    let excluded = slugs(
        &app.get("/v1/articles?q=ukraine%20-blinken&limit=100")
            .await
            .json(),
    );
    assert!(!excluded.is_empty() && !excluded.contains(&SEED.to_owned()));
    let either = slugs(
        &app.get("/v1/articles?q=Oreshnik%20or%20Abkhazia")
            .await
            .json(),
    );
    assert_eq!(either.len(), 2);

    let ranked = app
        .get("/v1/articles?q=ukraine&sort=relevance&limit=100")
        .await
        .json();
    let ranked = slugs(&ranked);
    // The headline outranks the body: a story with Ukraine in its headline beats the seed, which
    // names Ukraine only in its text.
    let headline_hit = ranked
        .iter()
        .position(|s| s == "the-great-rotation-personnel-reshuffles-in-ukraines-leadership")
        .unwrap();
    let body_hit = ranked.iter().position(|s| s == SEED).unwrap();
    assert!(headline_hit < body_hit, "{ranked:?}");
}

#[actix_web::test]
async fn oldest_first_reverses_the_order() {
    let app = TestApp::with_demo().await;
    let page = app.get("/v1/articles?sort=oldest&limit=3").await.json();
    let times: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["published_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(
        page["data"][0]["slug"], SEED,
        "the 2022-01-26 seed story is the oldest"
    );
}

#[actix_web::test]
async fn only_usable_articles_are_listed_or_returned() {
    let app = TestApp::with_demo().await;
    app.sql(&format!(
        "UPDATE articles SET pub_status = 'withheld' WHERE slug = '{SEED}'"
    ))
    .await;
    assert!(
        !slugs(
            &app.get("/v1/topics/diplomacy/articles?limit=100")
                .await
                .json()
        )
        .contains(&SEED.to_owned())
    );
    assert!(
        !slugs(&app.get("/v1/authors/alex-raufoglu/articles").await.json())
            .contains(&SEED.to_owned())
    );
    app.get(&format!("/v1/articles/{SEED}")).await.problem(404);
    app.sql(&format!(
        "UPDATE articles SET pub_status = 'canceled' WHERE slug = '{SEED}'"
    ))
    .await;
    // Withdrawn: gone, not missing.
    app.get(&format!("/v1/articles/{SEED}")).await.problem(410);
}

#[actix_web::test]
async fn changing_published_at_keeps_the_join_tables_in_step() {
    let app = TestApp::with_demo().await;
    app.sql(&format!(
        "UPDATE articles SET published_at = '2030-01-01T00:00:00Z' WHERE slug = '{SEED}'"
    ))
    .await;
    for uri in [
        "/v1/articles?limit=1",
        "/v1/topics/diplomacy/articles?limit=1",
        "/v1/entities/russia/articles?limit=1",
        "/v1/authors/alex-raufoglu/articles?limit=1",
    ] {
        assert_eq!(
            slugs(&app.get(uri).await.json()),
            vec![SEED.to_owned()],
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn demo_load_is_idempotent() {
    let app = TestApp::with_demo().await;
    let before = app.count("SELECT count(*) AS n FROM articles").await;
    let links = app.count("SELECT (SELECT count(*) FROM article_topics) + (SELECT count(*) FROM article_entities) + (SELECT count(*) FROM article_authors) AS n").await;
    let mut conn = app.pool.get().await.unwrap();
    let again = dateline::ingest::demo::load(&mut conn).await.unwrap();
    drop(conn);
    assert_eq!(again, dateline::ingest::demo::DemoReport::default());
    assert_eq!(
        before, 1067,
        "the seed story, ten sidebar headlines and 1,056 HuffPost records"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM articles").await,
        before
    );
    let links_after = app.count("SELECT (SELECT count(*) FROM article_topics) + (SELECT count(*) FROM article_entities) + (SELECT count(*) FROM article_authors) AS n").await;
    assert_eq!(links_after, links);
}

/// Counts the statements a connection sends.
struct StatementCounter(Arc<AtomicUsize>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[actix_web::test]
async fn a_page_with_its_authors_and_topics_is_one_statement_whatever_its_size() {
    let app = TestApp::with_demo().await;
    let count = Arc::new(AtomicUsize::new(0));
    let mut conn = AsyncPgConnection::establish(&app.db_url).await.unwrap();
    conn.set_instrumentation(StatementCounter(count.clone()));
    let topic = |slug: &str| format!("SELECT id::int8 AS n FROM topics WHERE slug = '{slug}'");
    let filter = ArticleFilter {
        any_topics: vec![
            TopicId(app.count(&topic("politics")).await as i32),
            TopicId(app.count(&topic("society")).await as i32),
        ],
        ..ArticleFilter::default()
    };
    for limit in [1, 10, 100] {
        count.store(0, Ordering::SeqCst);
        let request = PageRequest {
            filter: &filter,
            sort: SortOrder::Latest,
            after: None,
            limit,
        };
        let (page, next) = list_articles(&mut conn, request).await.unwrap();
        assert_eq!(page.len(), limit as usize);
        assert!(next.is_some());
        assert!(
            page.iter().all(|a| !a.topics.is_empty()),
            "topics come with the page"
        );
        // The newest few are the TURAN sidebar stories, which have no byline.
        if limit >= 10 {
            assert!(
                page.iter().any(|a| !a.authors.is_empty()),
                "authors come with the page"
            );
        }
        // With the one that resolves the filter's slugs, a request costs two round trips.
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "keyset rows and their labels in one statement, for a page of {limit}"
        );
    }
}

/// More filter combinations than a server prepares statements for (`MAX_PREPARED_TEXTS`): the
/// ones beyond run unprepared, and every answer is still right. Wide date bounds must not change
/// a list, whichever of the two statements (with or without them) was prepared.
#[actix_web::test]
async fn every_combination_of_filters_answers_alike_prepared_or_not() {
    let app = TestApp::with_demo().await;
    let mut checked = 0;
    let mut seed_found = 0;
    for sort in ["latest", "oldest"] {
        for language in ["", "&language=en"] {
            for author in ["", "&author=alex-raufoglu"] {
                for entity in ["", "&entity=antony-blinken"] {
                    for topic in ["", "&topic=diplomacy"] {
                        for limit in [5, 15, 30, 75] {
                            let base = format!(
                                "/v1/articles?sort={sort}&limit={limit}{language}{author}{entity}{topic}"
                            );
                            let plain = app.get(&base).await;
                            assert_eq!(plain.status, 200, "{base}");
                            let plain = slugs(&plain.json());
                            assert!(plain.len() <= limit, "{base}");
                            for wide in [
                                "&published_after=1990-01-01T00:00:00Z",
                                "&published_before=2100-01-01T00:00:00Z",
                                "&published_after=1990-01-01T00:00:00Z&published_before=2100-01-01T00:00:00Z",
                            ] {
                                let bounded = app.get(&format!("{base}{wide}")).await;
                                assert_eq!(bounded.status, 200, "{base}{wide}");
                                assert_eq!(slugs(&bounded.json()), plain, "{base}{wide}");
                                checked += 1;
                            }
                            seed_found += usize::from(plain.iter().any(|s| s == SEED));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > dateline::store::sql::MAX_PREPARED_TEXTS);
    // Every list by the seed story's author holds it, whatever else is asked: it is in English,
    // mentions Antony Blinken and is about diplomacy.
    assert!(
        seed_found >= 2 * 2 * 2 * 2 * 4,
        "seed found in {seed_found} lists"
    );
}

#[actix_web::test]
async fn updated_since_lists_what_changed_after_an_instant_in_the_list_order() {
    let app = TestApp::with_demo().await;
    app.sql("UPDATE articles SET updated_at = '2020-01-01T00:00:00Z'")
        .await;
    app.sql(&format!(
        "UPDATE articles SET updated_at = '2024-06-01T12:00:00Z' WHERE slug = '{SEED}'"
    ))
    .await;
    app.sql(
        "UPDATE articles SET updated_at = '2024-06-02T12:00:00Z' WHERE id IN \
         (SELECT id FROM articles WHERE slug <> 'us-formally-rejects-russias-top-security-demands' ORDER BY published_at DESC LIMIT 3)",
    )
    .await;
    let changed = app
        .get("/v1/articles?updated_since=2024-06-01T00:00:00Z")
        .await
        .json();
    let listed = slugs(&changed);
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(listed.contains(&SEED.to_owned()));
    let dates: Vec<&str> = changed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["published_at"].as_str().unwrap())
        .collect();
    let mut newest_first = dates.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, newest_first, "the order stays newest first");
    // Exclusive: an article changed at exactly the instant is not after it.
    let after_seed = app
        .get("/v1/articles?updated_since=2024-06-01T12:00:00Z")
        .await
        .json();
    assert_eq!(slugs(&after_seed).len(), 3);
    assert!(!slugs(&after_seed).contains(&SEED.to_owned()));
    // On a nested list too, and combined with another filter.
    let by_topic = app
        .get("/v1/topics/diplomacy/articles?updated_since=2024-06-01T00:00:00Z&language=en")
        .await
        .json();
    let in_topic = slugs(&by_topic);
    assert!(in_topic.contains(&SEED.to_owned()), "{in_topic:?}");
    assert!(in_topic.iter().all(|s| listed.contains(s)), "{in_topic:?}");
    assert!(in_topic.len() < listed.len());
    app.get("/v1/articles?updated_since=yesterday")
        .await
        .problem(400)["param"]
        .as_str()
        .map(|p| assert_eq!(p, "updated_since"))
        .expect("the parameter is named");
}

#[actix_web::test]
async fn a_cursor_issued_for_one_updated_since_is_refused_for_another() {
    let app = TestApp::with_demo().await;
    let first = app
        .get("/v1/articles?updated_since=2000-01-01T00:00:00Z&limit=5")
        .await
        .json();
    let cursor = first["next_cursor"].as_str().expect("more than one page");
    let same = app
        .get(&format!(
            "/v1/articles?updated_since=2000-01-01T00:00:00Z&limit=5&cursor={cursor}"
        ))
        .await;
    assert_eq!(same.status, 200);
    let other = app
        .get(&format!(
            "/v1/articles?updated_since=2001-01-01T00:00:00Z&limit=5&cursor={cursor}"
        ))
        .await
        .problem(400);
    assert_eq!(other["param"], "cursor");
    let none = app
        .get(&format!("/v1/articles?limit=5&cursor={cursor}"))
        .await
        .problem(400);
    assert_eq!(none["param"], "cursor");
}

#[actix_web::test]
async fn source_filters_by_any_of_the_publishers_named() {
    let app = TestApp::with_demo().await;
    let turan = app.get("/v1/articles?source=TURAN&limit=100").await.json();
    let listed = slugs(&turan);
    assert!(listed.contains(&SEED.to_owned()));
    assert!(
        turan["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["source"] == "TURAN")
    );
    let turan_count = app
        .count("SELECT count(*) AS n FROM articles WHERE source = 'TURAN'")
        .await;
    assert_eq!(listed.len() as i64, turan_count);
    // Any of several, in any order, with repeats.
    let both = app
        .get("/v1/articles?source=HuffPost&source=TURAN&source=HuffPost&limit=100")
        .await
        .json();
    let sources: std::collections::HashSet<&str> = both["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["HuffPost", "TURAN"].into_iter().collect());
    // Exact: another spelling names another source.
    assert!(
        app.get("/v1/articles?source=turan").await.json()["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // On a nested list, with its cursor tied to the sources.
    let first = app
        .get("/v1/authors/alex-raufoglu/articles?source=TURAN&limit=1")
        .await
        .json();
    assert_eq!(slugs(&first), [SEED]);
    let page = app.get("/v1/articles?source=HuffPost&limit=5").await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let refused = app
        .get(&format!(
            "/v1/articles?source=TURAN&limit=5&cursor={cursor}"
        ))
        .await
        .problem(400);
    assert_eq!(refused["param"], "cursor");
    let eleven: String = (0..11).map(|i| format!("source=s{i}&")).collect();
    let too_many = app
        .get(&format!("/v1/articles?{eleven}"))
        .await
        .problem(400);
    assert_eq!(too_many["param"], "source");
}
