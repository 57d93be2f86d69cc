//! The response cache never answers with a list that a write has changed: not in the process that
//! wrote, not in another server process on the same database, not after a write from outside any
//! server. Two real `dateline serve` processes are run against one test database.

use std::process::Stdio;
use std::time::{Duration, Instant};

use dateline::store::keys;
use dateline::vocab::Scope;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::TestApp;

const BIN: &str = env!("CARGO_BIN_EXE_dateline");
const LATEST: &str = "/v1/articles?limit=5";
const LATEST_DIPLOMACY: &str = "/v1/topics/diplomacy/articles?limit=5";

/// A `dateline serve` process on a free port; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub base: String,
    client: awc::Client,
}

impl ServerProcess {
    pub async fn start(app: &TestApp) -> Self {
        Self::start_with(app, &[]).await
    }

    /// A server with `args` added to the defaults.
    pub async fn start_with(app: &TestApp, args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--workers",
                "2",
            ])
            .args(args)
            .env("DATABASE_URL", &app.db_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("dateline serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(base) = line.strip_prefix("dateline is serving on ") {
                    return base.trim().to_owned();
                }
            }
            panic!("dateline serve exited before serving");
        })
        .await
        .expect("dateline serve starts within 30 s");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            base,
            client: awc::Client::default(),
        }
    }

    /// The server's resident anonymous memory (heap and stacks, not the mapped binary), in KiB.
    pub fn anonymous_memory_kib(&self) -> u64 {
        self.proc_kib("status", "RssAnon:")
    }

    /// How much of the server's memory is in transparent huge pages, in KiB.
    pub fn huge_page_memory_kib(&self) -> u64 {
        self.proc_kib("smaps_rollup", "AnonHugePages:")
    }

    /// A `/proc/PID/FILE` line's figure in kB.
    fn proc_kib(&self, file: &str, field: &str) -> u64 {
        let pid = self.child.id().expect("the server runs");
        let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).expect("/proc");
        text.lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/{pid}/{file}"))
    }

    /// GET: the body and the `x-cache` header.
    pub async fn get(&self, path: &str) -> (Value, String) {
        let mut response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET answers");
        assert_eq!(response.status(), 200, "GET {path}");
        let cache = response
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body: Value = response.json().await.expect("JSON body");
        (body, cache)
    }

    async fn post(&self, key: &str, body: &Value) -> Value {
        let mut response = self
            .client
            .post(format!("{}/v1/articles", self.base))
            .insert_header(("authorization", format!("Bearer {key}")))
            .send_json(body)
            .await
            .expect("POST answers");
        assert_eq!(response.status(), 201, "POST /v1/articles");
        response.json().await.expect("JSON body")
    }

    /// A server on a database with the demo data, with `path` in its cache.
    pub async fn warmed(path: &str) -> (TestApp, Self) {
        let app = TestApp::with_demo().await;
        let server = Self::start(&app).await;
        server.warm(path).await;
        (app, server)
    }

    /// Waits until `path` is answered from the cache: the listener is up and the entry stored.
    pub async fn warm(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.get(path).await.1 == "hit" {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} is never served from the cache"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn first_slug(page: &Value) -> String {
    page["data"][0]["slug"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn story(n: usize) -> Value {
    json!({
        "headline": format!("Cache test story number {n}"),
        "url": format!("https://news.example/cache-test/{n}"),
        // Newer than everything before it, so it heads both lists.
        "published_at": format!("2030-01-01T00:{:02}:00Z", n % 60),
        "topics": ["diplomacy"],
        "authors": ["Cache Tester"],
    })
}

#[actix_web::test]
async fn no_cached_list_is_served_after_a_write_in_either_server_process() {
    let app = TestApp::with_demo().await;
    let key = {
        let mut conn = app.pool.get().await.expect("connection");
        keys::create_key(&mut conn, "cache-test", &[Scope::Write])
            .await
            .expect("key")
            .0
    };
    let a = ServerProcess::start(&app).await;
    let b = ServerProcess::start(&app).await;
    for server in [&a, &b] {
        server.warm(LATEST).await;
        server.warm(LATEST_DIPLOMACY).await;
    }

    let mut stale = Vec::new();
    let mut hits_after_writes = 0;
    for n in 0..20 {
        // Alternate the writer, and read from both: the writer's own process and the other one.
        let writer = if n % 2 == 0 { &a } else { &b };
        let created = writer.post(&key, &story(n)).await;
        let slug = created["slug"].as_str().expect("slug").to_owned();
        for (name, server) in [
            ("writer", writer),
            ("other", if n % 2 == 0 { &b } else { &a }),
        ] {
            for path in [LATEST, LATEST_DIPLOMACY] {
                let (page, cache) = server.get(path).await;
                if first_slug(&page) != slug {
                    stale.push(format!(
                        "write {n}: {name} served {path} ({cache}) without {slug}"
                    ));
                }
                // Read again: the fresh answer is cached now, and still right.
                let (again, cache) = server.get(path).await;
                hits_after_writes += usize::from(cache == "hit");
                if first_slug(&again) != slug {
                    stale.push(format!(
                        "write {n}: {name} re-served {path} ({cache}) without {slug}"
                    ));
                }
            }
        }
    }
    assert!(stale.is_empty(), "stale answers: {stale:#?}");
    assert!(
        hits_after_writes >= 40,
        "the cache kept working between writes: {hits_after_writes} hits of 80 re-reads"
    );
}

/// Changes a headline with plain SQL, as a writer outside any server would.
async fn set_headline(app: &TestApp, id: i64, headline: &str) {
    app.sql(&format!(
        "UPDATE articles SET headline = '{headline}' WHERE id = {id}"
    ))
    .await;
}

#[actix_web::test]
async fn a_write_from_outside_any_server_empties_the_cache_too() {
    let app = TestApp::with_demo().await;
    let server = ServerProcess::start(&app).await;
    server.warm(LATEST).await;
    let (before, _) = server.get(LATEST).await;
    let id = before["data"][0]["id"].as_i64().expect("id");
    for n in 0..10 {
        let headline = format!("Headline changed outside any server, take {n}");
        set_headline(&app, id, &headline).await;
        let (after, cache) = server.get(LATEST).await;
        assert_eq!(
            after["data"][0]["headline"],
            headline.as_str(),
            "x-cache: {cache}"
        );
    }
    // And the cache fills again once nothing changes.
    server.warm(LATEST).await;
}

#[actix_web::test]
async fn only_the_first_unfiltered_page_is_cached_and_each_limit_has_its_own_entry() {
    let app = TestApp::with_demo().await;
    let server = ServerProcess::start(&app).await;
    server.warm(LATEST).await;
    let (five, _) = server.get(LATEST).await;

    let (six, cache) = server.get("/v1/articles?limit=6").await;
    assert_eq!(cache, "miss", "limit=6 is not limit=5's entry");
    assert_eq!(six["data"].as_array().map(Vec::len), Some(6));
    assert_eq!(six["data"][0], five["data"][0]);

    let cursor = five["next_cursor"].as_str().expect("a next page");
    let filtered = [
        "/v1/articles?limit=5&language=en".to_owned(),
        "/v1/articles?limit=5&sort=oldest".to_owned(),
        "/v1/articles?limit=5&published_before=2026-01-05T00:00:00Z".to_owned(),
        "/v1/articles?limit=5&topic=diplomacy".to_owned(),
        "/v1/articles?limit=5&q=security".to_owned(),
        format!("/v1/articles?limit=5&cursor={cursor}"),
        "/v1/topics/diplomacy/articles?limit=5&language=en".to_owned(),
    ];
    for path in &filtered {
        // Twice: a cached answer would show on the second request.
        for _ in 0..2 {
            let (_, cache) = server.get(path).await;
            assert_eq!(cache, "", "{path} is never cached");
        }
    }
    let (oldest, _) = server.get("/v1/articles?limit=5&sort=oldest").await;
    assert_ne!(oldest["data"], five["data"]);
}

/// How many listening connections of a server are on the test database.
async fn listeners(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
           AND application_name = '{}'",
        dateline::api::cache::LISTENER_NAME
    ))
    .await
}

#[actix_web::test]
async fn a_write_made_while_the_listener_is_down_is_not_missed() {
    let app = TestApp::with_demo().await;
    let server = ServerProcess::start(&app).await;
    server.warm(LATEST).await;
    assert_eq!(listeners(&app).await, 1);
    let (before, _) = server.get(LATEST).await;
    let id = before["data"][0]["id"].as_i64().expect("id");

    app.sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
          WHERE datname = current_database() AND application_name = '{}'",
        dateline::api::cache::LISTENER_NAME
    ))
    .await;
    // Read while nobody listens (this answer may be stored), then write: the write's notification
    // goes nowhere.
    server.get(LATEST).await;
    let headline = "Headline changed while the listener was down";
    set_headline(&app, id, headline).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    while listeners(&app).await == 0 {
        assert!(Instant::now() < deadline, "the listener never reconnects");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        let (after, cache) = server.get(LATEST).await;
        assert_eq!(after["data"][0]["headline"], headline, "x-cache: {cache}");
    }
    server.warm(LATEST).await;
}
