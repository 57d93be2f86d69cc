//! One PostgreSQL server per test run, one database per test.
//!
//! The server is `DATABASE_URL`'s when set, otherwise a throwaway cluster started from the
//! machine's PostgreSQL binaries. A template database is migrated once (under an advisory lock,
//! named after a digest of the migrations so a changed schema gets a new one); every test clones
//! it with `CREATE DATABASE … TEMPLATE …` and drops its clone `WITH (FORCE)` when done.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use dateline::api::docs::SpecJson;
use dateline::db::{self, DbPool};
use dateline::local_pg::LocalPostgres;
use dateline::search_index::SearchIndex;
use dateline::startup;
use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use serde_json::Value;
use sha2::{Digest, Sha256};

type SyncPg = AsyncConnectionWrapper<AsyncPgConnection>;

/// Where the test databases live.
enum Target {
    /// `DATABASE_URL`'s server.
    Url(url::Url),
    /// A throwaway cluster of this run.
    Local(LocalPostgres),
}

impl Target {
    fn url_for(&self, db: &str) -> String {
        match self {
            Self::Url(base) => {
                let mut url = base.clone();
                url.set_path(db);
                url.to_string()
            }
            Self::Local(local) => local.url(db),
        }
    }
}

struct Server {
    target: Target,
    template: String,
}

impl Server {
    fn url_for(&self, db: &str) -> String {
        self.target.url_for(db)
    }
}

static SERVER: OnceLock<Server> = OnceLock::new();
static SPEC: OnceLock<String> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// Runs blocking database work off the test's async runtime.
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f)
        .join()
        .expect("harness thread panicked")
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        off_runtime(|| start_server().unwrap_or_else(|e| panic!("test database server: {e}")))
    })
}

fn start_server() -> Result<Server, String> {
    let target = match std::env::var("DATABASE_URL") {
        Ok(base) => Target::Url(url::Url::parse(&base).map_err(|e| format!("DATABASE_URL: {e}"))?),
        Err(_) => Target::Local(crate::throwaway_pg::throwaway()?),
    };
    let url_for = |db: &str| target.url_for(db);
    let template = format!("dateline_template_{}", migrations_digest());
    let mut admin = SyncPg::establish(&url_for("postgres")).map_err(|e| e.to_string())?;
    exec(&mut admin, "SELECT pg_advisory_lock(727274)")?;
    let exists: i64 = diesel::RunQueryDsl::get_result(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM pg_database WHERE datname = '{template}')"
        ))),
        &mut admin,
    )
    .map_err(|e| e.to_string())?;
    if exists == 0 {
        let building = format!("{template}_building");
        exec(
            &mut admin,
            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )?;
        exec(&mut admin, &format!("CREATE DATABASE {building}"))?;
        db::run_migrations(&url_for(&building))?;
        // A rename makes the template visible only once it is complete.
        exec(
            &mut admin,
            &format!("ALTER DATABASE {building} RENAME TO {template}"),
        )?;
    }
    exec(&mut admin, "SELECT pg_advisory_unlock(727274)")?;
    Ok(Server { target, template })
}

fn exec(conn: &mut SyncPg, sql: &str) -> Result<(), String> {
    diesel::RunQueryDsl::execute(diesel::sql_query(sql), conn)
        .map(|_| ())
        .map_err(|e| format!("{sql}: {e}"))
}

fn migrations_digest() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hasher.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A test's own database and the app on top of it.
pub struct TestApp {
    pub db_name: String,
    pub db_url: String,
    pub pool: DbPool,
    /// The search index the app's searches use, when the test started one.
    pub search_index: Option<Arc<SearchIndex>>,
}

/// A response, read whole.
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// Asserts this status, showing the body when it is another, and returns the JSON body.
    #[track_caller]
    pub fn json_of(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }

    /// Asserts an RFC 9457 problem with this status, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> Value {
        let problem = self.json_of(status);
        assert_eq!(self.content_type(), "application/problem+json");
        assert_eq!(problem["status"], status);
        assert!(problem["title"].is_string());
        assert!(problem["type"].is_string());
        problem
    }
}

impl TestApp {
    /// An empty, migrated database.
    pub async fn empty() -> Self {
        let server = server();
        let n = NEXT_DB.fetch_add(1, Ordering::SeqCst);
        let db_name = format!("dateline_test_{}_{n}", std::process::id());
        let admin_url = server.url_for("postgres");
        let (template, name) = (server.template.clone(), db_name.clone());
        off_runtime(move || {
            let mut admin = SyncPg::establish(&admin_url).expect("connect to the test server");
            exec(
                &mut admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )?;
            exec(
                &mut admin,
                &format!("CREATE DATABASE {name} TEMPLATE {template}"),
            )
        })
        .expect("create the test database");
        let db_url = server.url_for(&db_name);
        let pool = db::build_pool(&db_url, 4).expect("pool");
        Self {
            db_name,
            db_url,
            pool,
            search_index: None,
        }
    }

    /// This app with a search index, filled from its database.
    pub async fn with_search_index(mut self) -> Self {
        let index = SearchIndex::start(self.pool.clone()).expect("a search index");
        index.ready().await;
        self.search_index = Some(index);
        self
    }

    /// A database with the demo data set loaded.
    pub async fn with_demo() -> Self {
        let app = Self::empty().await;
        let mut conn = app.pool.get().await.expect("connection");
        dateline::ingest::demo::load(&mut conn)
            .await
            .expect("demo data loads");
        drop(conn);
        app
    }

    pub async fn get(&self, uri: &str) -> Response {
        self.call(TestRequest::get().uri(uri)).await
    }

    /// A request with any method and no body.
    pub async fn send(&self, method: actix_web::http::Method, uri: &str) -> Response {
        self.call(TestRequest::default().method(method).uri(uri))
            .await
    }

    pub async fn call(&self, request: TestRequest) -> Response {
        call_app_with(
            self.pool.clone(),
            test_http(),
            self.search_index.clone(),
            request,
        )
        .await
    }

    /// A request to a server with these HTTP settings.
    pub async fn call_with(&self, http: startup::HttpSettings, request: TestRequest) -> Response {
        call_app_with(self.pool.clone(), http, self.search_index.clone(), request).await
    }

    /// Runs SQL on this test's database.
    pub async fn sql(&self, sql: &str) {
        use diesel_async::RunQueryDsl;
        let mut conn = self.pool.get().await.expect("connection");
        diesel::sql_query(sql).execute(&mut conn).await.expect(sql);
    }

    pub async fn count(&self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().await.expect("connection");
        let row: Count = diesel::sql_query(sql)
            .get_result(&mut conn)
            .await
            .expect(sql);
        row.n
    }
}

/// Sends one request through the real app (every route, extractor and error handler).
pub async fn call_app(pool: DbPool, request: TestRequest) -> Response {
    call_app_with(pool, test_http(), None, request).await
}

fn test_http() -> startup::HttpSettings {
    startup::HttpSettings {
        cors_origins: vec!["https://newsroom.example.com".to_owned()],
        ..Default::default()
    }
}

/// [`call_app`] with the server's HTTP settings and search index chosen by the test.
pub async fn call_app_with(
    pool: DbPool,
    http: startup::HttpSettings,
    search_index: Option<Arc<SearchIndex>>,
    request: TestRequest,
) -> Response {
    let spec = web::Data::new(SpecJson(
        SPEC.get_or_init(dateline::openapi::spec_json)
            .clone()
            .into(),
    ));
    let gazetteer = web::Data::new(dateline::ingest::linking::SharedGazetteer::default());
    // Off here: the cache is tested against real server processes (tests/api/cache.rs).
    let cache = web::Data::new(dateline::api::cache::ResponseCache::new(0));
    let databases = db::Databases::primary_only(pool);
    let app = test::init_service(startup::app(
        databases,
        spec,
        gazetteer,
        cache,
        search_index.map(web::Data::from),
        http,
    ))
    .await;
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await.to_vec();
    Response {
        status,
        headers,
        body,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let admin_url = server().url_for("postgres");
        let name = self.db_name.clone();
        let _ = off_runtime(move || {
            let mut admin = SyncPg::establish(&admin_url).map_err(|e| e.to_string())?;
            exec(
                &mut admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
        });
    }
}

/// The slugs of a list page's items, in order.
pub fn slugs(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}
