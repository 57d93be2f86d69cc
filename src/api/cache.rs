//! The response cache of the hottest lists (latest, latest by topic), and how it stays fresh.
//!
//! Every entry is stamped with the cache's *generation*, read before the database was queried;
//! an entry is served only while the generation is unchanged, and a write moves it on. Writes
//! reach the generation two ways:
//! - in this process, at once: [`invalidate_after_writes`] moves it when a write request is done,
//!   before the client sees the answer;
//! - from any process (another server, `dateline import`, psql): triggers on the tables the lists
//!   read send `NOTIFY dateline_changes`, which this process `LISTEN`s to on a connection of its
//!   own ([`spawn_listener`]).
//!
//! A notification travels asynchronously, so a hit is served only after a *sync*: a round trip
//! on the listening connection that started after the request arrived. PostgreSQL delivers the
//! notifications of every transaction committed before that round trip ahead of its answer, so a
//! write acknowledged anywhere before a request arrived has always been seen by the time the hit
//! is served. One sync serves every hit that arrived while the previous one was in flight. When
//! the listening connection is down, or a sync does not come back in time, the cache is bypassed;
//! a connection whose round trips stall is replaced.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::{Notify, watch};

use super::http::{Coding, etag_of};

/// The channel the triggers of migration 000003 notify.
pub const CHANNEL: &str = "dateline_changes";
/// The listening connection's `application_name`, as `pg_stat_activity` shows it.
pub const LISTENER_NAME: &str = "dateline-cache-listener";
/// How long a hit waits for its sync before it gives up and goes to the database.
const SYNC_TIMEOUT: Duration = Duration::from_millis(500);
/// Pause between attempts to re-establish the listening connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// How often an idle listening connection is checked, so a dead one is noticed.
const HEALTH_CHECK: Duration = Duration::from_secs(5);
/// A round trip on the listening connection taking longer means the connection is stuck (a
/// half-open TCP connection is otherwise noticed only after minutes): it is dropped and replaced,
/// and the cache is bypassed meanwhile.
const ROUND_TRIP_LIMIT: Duration = Duration::from_secs(1);

/// A cached answer: the exact bytes of the body, written once.
#[derive(Debug, Clone)]
pub struct CachedPage {
    generation: u64,
    pub body: Bytes,
    /// The body's strong entity tag, computed once.
    pub etag: String,
    /// The `next_cursor` of the page, for the `Link` header (which depends on the request's host).
    pub next_cursor: Option<String>,
    /// The body compressed, by coding: each made on first use and kept, so a hit is never
    /// compressed anew.
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl CachedPage {
    /// The body in `coding`.
    pub fn encoded(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.body.clone(),
            Coding::Gzip => self
                .gzip
                .get_or_init(|| coding.compress(&self.body))
                .clone(),
            Coding::Brotli => self
                .brotli
                .get_or_init(|| coding.compress(&self.body))
                .clone(),
        }
    }
}

#[derive(Clone)]
struct BodyWeight;

impl quick_cache::Weighter<String, Arc<CachedPage>> for BodyWeight {
    fn weight(&self, key: &String, page: &Arc<CachedPage>) -> u64 {
        (key.len() + page.body.len()) as u64 + 64
    }
}

/// What a request must present to store its answer: the generation it read before querying.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

pub struct ResponseCache {
    entries: Option<quick_cache::sync::Cache<String, Arc<CachedPage>, BodyWeight>>,
    generation: AtomicU64,
    /// Whether writes of other processes are being heard; the cache is bypassed while not.
    listening: AtomicBool,
    /// The highest sync number some request waits for.
    wanted: AtomicU64,
    /// The number of the latest sync sent to PostgreSQL.
    started: AtomicU64,
    /// The number of the latest sync answered.
    done: watch::Sender<u64>,
    wake: Notify,
}

impl ResponseCache {
    /// A cache holding at most `capacity_bytes` of bodies; 0 disables it.
    pub fn new(capacity_bytes: u64) -> Self {
        let entries = (capacity_bytes > 0).then(|| {
            let estimated_items = (capacity_bytes / 8_192).clamp(16, 65_536) as usize;
            quick_cache::sync::Cache::with_weighter(estimated_items, capacity_bytes, BodyWeight)
        });
        Self {
            entries,
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            wanted: AtomicU64::new(0),
            started: AtomicU64::new(0),
            done: watch::Sender::new(0),
            wake: Notify::new(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// Makes every entry stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Taken before querying the database for an answer that may be stored.
    pub fn ticket(&self) -> Option<Ticket> {
        self.is_enabled()
            .then(|| Ticket(self.generation.load(Ordering::SeqCst)))
    }

    /// The cached answer for `key`, if it is current; waits for one sync (see the module docs).
    pub async fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let entries = self.entries.as_ref()?;
        let page = entries.get(key)?;
        let current = |page: &CachedPage| page.generation == self.generation.load(Ordering::SeqCst);
        if !current(&page) || !self.listening.load(Ordering::SeqCst) || !self.sync().await {
            return None;
        }
        current(&page).then_some(page)
    }

    /// Stores an answer computed under `ticket`, unless a write has happened since.
    /// Returns the entry as stored, or `None` when it was not.
    pub fn put(
        &self,
        key: String,
        ticket: Ticket,
        body: Bytes,
        next_cursor: Option<String>,
    ) -> Option<Arc<CachedPage>> {
        let entries = self.entries.as_ref()?;
        if ticket.0 != self.generation.load(Ordering::SeqCst) {
            return None;
        }
        let page = Arc::new(CachedPage {
            generation: ticket.0,
            etag: etag_of(&body),
            body,
            next_cursor,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        });
        entries.insert(key, page.clone());
        Some(page)
    }

    /// Waits until a sync that started after this call has come back; false if none does in time.
    async fn sync(&self) -> bool {
        let need = self.started.load(Ordering::SeqCst) + 1;
        self.wanted.fetch_max(need, Ordering::SeqCst);
        self.wake.notify_one();
        let mut done = self.done.subscribe();
        matches!(
            tokio::time::timeout(SYNC_TIMEOUT, done.wait_for(|d| *d >= need)).await,
            Ok(Ok(_))
        )
    }
}

/// Moves the generation on once a write request (anything but GET, HEAD and OPTIONS) is done,
/// before its answer leaves: the writer's next read is never served from the cache.
///
/// A 4xx answer changed nothing (a refused write writes nothing), so it leaves the cache alone:
/// a stream of bad requests cannot keep it empty. Should one ever have written, the change
/// notification still reaches the cache before its next hit.
pub async fn invalidate_after_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = !req.method().is_safe();
    let cache = req.app_data::<web::Data<ResponseCache>>().cloned();
    let response = next.call(req).await;
    let refused = matches!(&response, Ok(r) if r.status().is_client_error());
    if writes
        && !refused
        && let Some(cache) = cache
    {
        cache.invalidate();
    }
    response
}

/// Listens for other processes' writes for as long as the runtime runs, reconnecting as needed.
pub fn spawn_listener(cache: web::Data<ResponseCache>, database_url: String) {
    if !cache.is_enabled() {
        return;
    }
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&cache, &database_url).await {
                log::warn!(
                    "response cache: change notifications lost ({e}); bypassing the cache until they are back"
                );
            }
            cache.listening.store(false, Ordering::SeqCst);
            cache.invalidate();
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    });
}

/// One listening connection's life: returns when it fails.
async fn listen(cache: &ResponseCache, database_url: &str) -> Result<(), String> {
    let mut config: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e: tokio_postgres::Error| e.to_string())?;
    let (client, mut connection) = config
        .application_name(LISTENER_NAME)
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| e.to_string())?;
    // The connection is driven here; a notification moves the generation before the messages that
    // follow it on the wire (the answer to a sync among them) are handed on.
    let driver = async {
        let mut messages = futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(_)) => cache.invalidate(),
                Ok(_) => {}
                Err(e) => return e.to_string(),
            }
        }
        "the connection closed".to_owned()
    };
    tokio::select! {
        result = serve_syncs(cache, &client) => result.map(|never| match never {}),
        error = driver => Err(error),
    }
}

/// Listens, then answers sync requests on the listening connection until it fails.
async fn serve_syncs(
    cache: &ResponseCache,
    client: &tokio_postgres::Client,
) -> Result<Infallible, String> {
    round_trip(client, &format!("LISTEN {CHANNEL}")).await?;
    // Writes made while nobody listened are unknown: start from a clean slate.
    cache.invalidate();
    cache.listening.store(true, Ordering::SeqCst);
    log::info!("response cache: listening for changes on `{CHANNEL}`");
    loop {
        if cache.wanted.load(Ordering::SeqCst) <= *cache.done.borrow() {
            // Wait for a request that needs a sync, checking the connection now and then.
            if tokio::time::timeout(HEALTH_CHECK, cache.wake.notified())
                .await
                .is_err()
            {
                round_trip(client, "").await?;
            }
            continue;
        }
        let number = cache.started.fetch_add(1, Ordering::SeqCst) + 1;
        round_trip(client, "").await?;
        cache.done.send_replace(number);
    }
}

/// Runs `sql` on the listening connection, failing if it errs or takes over [`ROUND_TRIP_LIMIT`].
async fn round_trip(client: &tokio_postgres::Client, sql: &str) -> Result<(), String> {
    match tokio::time::timeout(ROUND_TRIP_LIMIT, client.batch_execute(sql)).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "no answer within {} ms",
            ROUND_TRIP_LIMIT.as_millis()
        )),
    }
}
