//! Settings from flags and the environment, each with a default and its `--help` text.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;
use ipnet::IpNet;
use url::Url;

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// PostgreSQL URL, e.g. postgres://user@localhost/dateline. Without it dateline runs its own
    /// PostgreSQL from the machine's server binaries, in --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Data directory of the embedded PostgreSQL, used when no DATABASE_URL is given
    /// [default: ~/.local/share/dateline/postgres, or /var/lib/dateline/postgres for root].
    #[arg(long, env = "DATELINE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

impl ServerSettings {
    /// The bounds of each pool the server opens.
    pub fn pool(&self) -> crate::db::PoolSettings {
        use std::time::Duration;
        crate::db::PoolSettings {
            max_size: self.pool_size,
            wait: Duration::from_secs(self.pool_wait),
            connect: Duration::from_secs(self.connect_timeout),
            statement_timeout: Duration::from_secs(self.statement_timeout),
        }
    }

    /// The request timeout: as set, or two seconds over the statement timeout.
    pub fn request_timeout(&self) -> u64 {
        self.request_timeout
            .unwrap_or(self.statement_timeout.saturating_add(2))
    }
}

impl DatabaseSettings {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(crate::local_pg::default_data_dir)
    }
}

/// How the HTTP server runs.
#[derive(Debug, Clone, Args)]
pub struct ServerSettings {
    /// Address to listen on.
    #[arg(long, env = "DATELINE_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on; 0 picks a free one and prints it.
    #[arg(long, env = "DATELINE_PORT", default_value_t = 8080)]
    pub port: u16,

    /// HTTP worker threads [default: one per core].
    #[arg(long, env = "DATELINE_WORKERS")]
    pub workers: Option<usize>,

    /// A read replica of the database (a hot standby), e.g. postgres://user@replica/dateline:
    /// reads go there, except those of clients that send a key and those the response cache
    /// keeps; writes stay on the primary (docs/deployment.md).
    #[arg(long, env = "DATABASE_REPLICA_URL")]
    pub database_replica_url: Option<String>,

    /// Database connections in the pool, shared by all workers (and as many to the replica).
    #[arg(long, env = "DATELINE_POOL_SIZE", default_value_t = 8)]
    pub pool_size: usize,

    /// Memory for cached answers of the hottest lists, in MiB; 0 turns the cache off.
    #[arg(long, env = "DATELINE_RESPONSE_CACHE_MB", default_value_t = 16)]
    pub response_cache_mb: u64,

    /// Find every search's matches in PostgreSQL alone, without the search index in the process
    /// (which holds every listed article's lexemes in memory and takes minutes per million
    /// articles to fill at start; docs/search.md).
    #[arg(long, env = "DATELINE_NO_SEARCH_INDEX")]
    pub no_search_index: bool,

    /// Origins whose pages may write (POST, PUT, PATCH, DELETE) from a browser, comma-separated,
    /// e.g. https://newsroom.example.com. Any origin may read.
    #[arg(long, env = "DATELINE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// How long clients and caches may keep a list (`Cache-Control: max-age`), in seconds.
    #[arg(long, env = "DATELINE_LIST_MAX_AGE", default_value_t = 10)]
    pub list_max_age: u32,

    /// How long clients and caches may keep a single article, author, entity or topic, and the
    /// spec, in seconds.
    #[arg(long, env = "DATELINE_ITEM_MAX_AGE", default_value_t = 60)]
    pub item_max_age: u32,

    /// Seconds a client has to send a request's head (line and headers); then 408.
    #[arg(long, env = "DATELINE_HEADER_TIMEOUT", default_value_t = 5)]
    pub header_timeout: u64,

    /// Seconds a request body may stall (no bytes arriving); then 408 and the connection closes.
    #[arg(long, env = "DATELINE_BODY_TIMEOUT", default_value_t = 5)]
    pub body_timeout: u64,

    /// Seconds from a request's head to its answer, database included; then 503 with
    /// Retry-After [default: the statement timeout + 2].
    #[arg(long, env = "DATELINE_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,

    /// Seconds a statement may run before PostgreSQL cancels it (a 503).
    #[arg(long, env = "DATELINE_STATEMENT_TIMEOUT", default_value_t = 10)]
    pub statement_timeout: u64,

    /// Seconds a request waits for a free database connection; then 503.
    #[arg(long, env = "DATELINE_POOL_WAIT", default_value_t = 5)]
    pub pool_wait: u64,

    /// Seconds opening a database connection may take.
    #[arg(long, env = "DATELINE_CONNECT_TIMEOUT", default_value_t = 5)]
    pub connect_timeout: u64,

    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, env = "DATELINE_KEEP_ALIVE", default_value_t = 5)]
    pub keep_alive: u64,

    /// Seconds a stopping server waits for requests in flight (SIGTERM, SIGINT).
    #[arg(long, env = "DATELINE_SHUTDOWN_TIMEOUT", default_value_t = 15)]
    pub shutdown_timeout: u64,

    /// Requests a second each client address may make (0: no limit); loopback is exempt unless
    /// --rate-limit-loopback.
    #[arg(long, env = "DATELINE_RATE_LIMIT", default_value_t = 50)]
    pub rate_limit: u32,

    /// How many requests a client may make at once before --rate-limit paces it.
    #[arg(long, env = "DATELINE_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,

    /// Searches, facets and related lists a second each client address may make (0: no limit).
    #[arg(long, env = "DATELINE_EXPENSIVE_RATE_LIMIT", default_value_t = 5)]
    pub expensive_rate_limit: u32,

    /// How many expensive requests a client may make at once before they are paced.
    #[arg(long, env = "DATELINE_EXPENSIVE_BURST", default_value_t = 20)]
    pub expensive_burst: u32,

    /// Requests a second each API key may make once verified, from all its addresses together
    /// (0: no limit).
    #[arg(long, env = "DATELINE_KEY_RATE_LIMIT", default_value_t = 50)]
    pub key_rate_limit: u32,

    /// How many requests a key may make at once before --key-rate-limit paces it.
    #[arg(long, env = "DATELINE_KEY_BURST", default_value_t = 200)]
    pub key_burst: u32,

    /// Failed authentications (401s to requests with a key) an address may have in a minute;
    /// past them, its requests with a key get 429 until the minute has room (0: no limit).
    #[arg(long, env = "DATELINE_AUTH_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub auth_failures_per_minute: u32,

    /// Expensive requests running at once, all clients together; the next get 503
    /// [default: half the pool].
    #[arg(long, env = "DATELINE_EXPENSIVE_CONCURRENCY")]
    pub expensive_concurrency: Option<usize>,

    /// Milliseconds a refusal (429, or the 503 of the expensive bound) is held before it is
    /// sent, so that a client that ignores Retry-After is slowed at the cost of a timer.
    #[arg(long, env = "DATELINE_REFUSAL_DELAY_MS", default_value_t = 1000)]
    pub refusal_delay_ms: u64,

    /// Apply the rate limits to loopback clients too (they are exempt by default: benchmarks,
    /// local tools).
    #[arg(long, env = "DATELINE_RATE_LIMIT_LOOPBACK")]
    pub rate_limit_loopback: bool,

    /// Reverse proxies whose Forwarded and X-Forwarded-* headers are believed, as addresses or
    /// networks, comma-separated (e.g. 10.0.0.0/8,::1) [default: none].
    #[arg(long, env = "DATELINE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<IpNet>,

    /// The URL clients reach dateline at (scheme, host and port, e.g. https://news.example.com);
    /// links start with it [default: the request's scheme and Host].
    #[arg(long, env = "DATELINE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<Url>,
}

/// A network (`10.0.0.0/8`) or one address (`10.1.2.3`, `::1`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an address nor a network"))
}

/// An `http` or `https` URL with a host and nothing after it: links put their own path after it.
fn parse_public_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("not a URL: {e}"))?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if plain {
        Ok(url)
    } else {
        Err(
            "must be http:// or https:// with a host and an optional port, and nothing after it"
                .to_owned(),
        )
    }
}
