//! Building and running the server; shared by the binary and the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa_swagger_ui::SwaggerUi;

use crate::api::cache::{self, ResponseCache};
use crate::api::docs::SpecJson;
use crate::api::error::{ApiError, problem_for_bare_errors, unknown_route};
use crate::api::hardening;
use crate::api::http::{self, CachePolicy};
use crate::api::limits::{self, Limits};
use crate::api::proxies::ProxyPolicy;
use crate::api::rate_limit::{self, Budget, RateLimitSettings, RateLimits};
use crate::config::{DatabaseSettings, ServerSettings};
use crate::db::{self, Databases};
use crate::ingest::linking::SharedGazetteer;
use crate::local_pg::LocalPostgres;
use crate::search_index::SearchIndex;

/// The largest request body: a batch of 1,000 full articles fits.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
use crate::openapi;

/// The database the process uses: a server named by URL, or the embedded one it runs itself.
pub struct Database {
    pub url: String,
    /// Kept alive so the embedded server stops when the process is done with it.
    _local: Option<LocalPostgres>,
}

const EMBEDDED_DATABASE: &str = "dateline";

impl Database {
    /// Connects to `DATABASE_URL`, or starts the embedded PostgreSQL; then migrates.
    pub fn open(settings: &DatabaseSettings) -> Result<Self, String> {
        let db = match &settings.database_url {
            Some(url) => Self {
                url: url.clone(),
                _local: None,
            },
            None => {
                let local = LocalPostgres::start(&settings.data_dir())?;
                local.ensure_database(EMBEDDED_DATABASE)?;
                log::info!(
                    "using the embedded PostgreSQL in {}",
                    local.data_dir().display()
                );
                Self {
                    url: local.url(EMBEDDED_DATABASE),
                    _local: Some(local),
                }
            }
        };
        let applied = db::run_migrations(&db.url)?;
        if applied > 0 {
            log::info!("applied {applied} migration(s)");
        }
        Ok(db)
    }
}

/// The whole app: every route, the docs, the error handling. `spec` is what `/openapi.json` serves.
pub fn app(
    databases: Databases,
    spec: web::Data<SpecJson>,
    gazetteer: web::Data<SharedGazetteer>,
    cache: web::Data<ResponseCache>,
    search_index: Option<web::Data<SearchIndex>>,
    http: HttpSettings,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    use utoipa_actix_web::AppExt;
    crate::api::metrics::handle();
    let (app, _) = App::new()
        .into_utoipa_app()
        .configure(crate::api::configure)
        .split_for_parts();
    // Writes, and the key checks, take the primary's pool; reads take a `ReadDb`.
    let app = match search_index {
        Some(index) => app.app_data(index),
        None => app,
    };
    app.app_data(web::Data::new(databases.primary.clone()))
        .app_data(web::Data::new(databases))
        .app_data(spec)
        .app_data(gazetteer)
        .app_data(cache)
        .app_data(web::Data::new(http.cache_policy))
        .app_data(web::Data::new(http.proxies.clone()))
        .app_data(web::Data::new(http.limits))
        .app_data(web::Data::new(http.rate_limits.clone()))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::BadRequest(format!("malformed query string: {e}")).into()
        }))
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| ApiError::BadRequest(format!("malformed path: {e}")).into()),
        )
        .app_data(
            web::JsonConfig::default().error_handler(|e, _| {
                ApiError::BadRequest(format!("malformed JSON body: {e}")).into()
            }),
        )
        .service(web::redirect("/docs", "/docs/"))
        .service(
            SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json")),
        )
        .default_service(web::to(unknown_route))
        // From the inside out: the time limits (body and answer), the protocol (parameters,
        // HEAD, OPTIONS, validators, 304s), the response cache's invalidation, compression and
        // the tags of compressed variants, the per-client rate limits, CORS (also on errors, so
        // pages can read them), problem documents for whatever actix or a middleware answered
        // bare, the request id and the security headers, the access log (its request line
        // without secrets).
        .wrap(from_fn(limits::bound))
        .wrap(from_fn(http::protocol))
        .wrap(from_fn(cache::invalidate_after_writes))
        .wrap(Compress::default())
        .wrap(from_fn(http::tag_encoded_variants))
        .wrap(from_fn(rate_limit::limit))
        .wrap(http::cors(&http.cors_origins))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(from_fn(hardening::harden))
        .wrap(from_fn(crate::api::metrics::record))
        .wrap(
            Logger::new("%a \"%{request_line}xi\" %s %b %Dms %{x-request-id}o")
                .custom_request_replace("request_line", hardening::redacted_request_line),
        )
}

/// The log: `RUST_LOG` chooses what (`info` when unset); each line logged while a request is
/// served carries the request's id.
pub fn init_logging() {
    use std::io::Write as _;
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| {
            let time = out.timestamp();
            let (level, target, message) = (record.level(), record.target(), record.args());
            match hardening::current_request_id() {
                Some(id) => writeln!(out, "[{time} {level:5} {target} request={id}] {message}"),
                None => writeln!(out, "[{time} {level:5} {target}] {message}"),
            }
        })
        .init();
}

/// The HTTP behaviour the server's settings choose.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    /// Origins whose pages may write; any origin may read.
    pub cors_origins: Vec<String>,
    pub cache_policy: CachePolicy,
    /// Whose forwarding headers count, and the URL links start with.
    pub proxies: ProxyPolicy,
    /// How long a body may stall and a request may take.
    pub limits: Limits,
    /// The per-client budgets; none when `None`.
    pub rate_limits: Option<Arc<RateLimits>>,
}

impl From<&ServerSettings> for HttpSettings {
    fn from(settings: &ServerSettings) -> Self {
        Self {
            cors_origins: settings.cors_origins.clone(),
            cache_policy: CachePolicy {
                list_max_age: settings.list_max_age,
                item_max_age: settings.item_max_age,
            },
            proxies: ProxyPolicy {
                trusted: settings.trusted_proxies.clone(),
                public_url: settings.public_url.clone(),
            },
            limits: Limits {
                body_idle: Duration::from_secs(settings.body_timeout),
                request: Duration::from_secs(settings.request_timeout()),
            },
            rate_limits: Some(RateLimits::new(RateLimitSettings {
                every: Budget {
                    per_second: settings.rate_limit,
                    burst: settings.rate_burst,
                },
                expensive: Budget {
                    per_second: settings.expensive_rate_limit,
                    burst: settings.expensive_burst,
                },
                per_key: Budget {
                    per_second: settings.key_rate_limit,
                    burst: settings.key_burst,
                },
                auth_failures_per_minute: settings.auth_failures_per_minute,
                expensive_concurrency: settings
                    .expensive_concurrency
                    .unwrap_or(settings.pool_size / 2),
                limit_loopback: settings.rate_limit_loopback,
                refusal_delay: Duration::from_millis(settings.refusal_delay_ms),
            })),
        }
    }
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `host:port` (port 0 picks a free port) and prepares the server. Call it on the
    /// runtime that will run the server: the response cache's listener starts on it.
    pub fn build(
        settings: &ServerSettings,
        databases: Databases,
        database_url: &str,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let spec = web::Data::new(SpecJson(openapi::spec_json().into()));
        let gazetteer = web::Data::new(SharedGazetteer::with_background_rebuilds(
            databases.primary.clone(),
        ));
        let cache = web::Data::new(ResponseCache::new(
            settings.response_cache_mb.saturating_mul(1024 * 1024),
        ));
        cache::spawn_listener(cache.clone(), database_url.to_owned());
        let search_index = if settings.no_search_index {
            None
        } else {
            let index =
                SearchIndex::start(databases.primary.clone()).map_err(std::io::Error::other)?;
            Some(web::Data::from(index))
        };
        let http = HttpSettings::from(settings);
        let mut server = HttpServer::new(move || {
            app(
                databases.clone(),
                spec.clone(),
                gazetteer.clone(),
                cache.clone(),
                search_index.clone(),
                http.clone(),
            )
        })
        // A response whose headers and body leave in two writes (the compressed ones) must not
        // wait for the client's delayed ACK: without this, each stalled for 40 ms (Nagle).
        .tcp_nodelay(true)
        .client_request_timeout(Duration::from_secs(settings.header_timeout))
        .keep_alive(Duration::from_secs(settings.keep_alive))
        .shutdown_timeout(settings.shutdown_timeout)
        .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then drains connections.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
