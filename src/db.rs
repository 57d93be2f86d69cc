//! The connection pool (diesel-async over tokio-postgres, no libpq) and the embedded migrations.

use std::time::Duration;

use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// A server's databases: the primary, which takes every write, and a read replica when one is
/// configured (`DATABASE_REPLICA_URL`, docs/deployment.md).
#[derive(Clone)]
pub struct Databases {
    pub primary: DbPool,
    pub replica: Option<DbPool>,
}

impl Databases {
    pub fn primary_only(primary: DbPool) -> Self {
        Self {
            primary,
            replica: None,
        }
    }

    /// Where a request's reads go: the replica, when there is one and the reader may see the
    /// database as it was a moment ago; the primary for a reader that must see every write
    /// acknowledged so far (a writer reading its own writes, a cache filling itself).
    pub fn reads(&self, must_see_every_write: bool) -> Reads {
        match &self.replica {
            Some(replica) if !must_see_every_write => Reads(replica.clone()),
            _ => Reads(self.primary.clone()),
        }
    }

    /// The primary, and the replica when there is one.
    pub fn each(&self) -> impl Iterator<Item = Reads> + use<> {
        std::iter::once(self.primary.clone())
            .chain(self.replica.clone())
            .map(Reads)
    }
}

/// A pool to read from. A read is safe to run twice, so one whose connection was lost (a
/// restarted database, a killed backend, a failover) is run once more on a new connection rather
/// than answered 503.
#[derive(Clone)]
pub struct Reads(DbPool);

impl Reads {
    pub async fn run<T, E>(
        &self,
        mut read: impl AsyncFnMut(&mut AsyncPgConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<PoolError> + ConnectionLoss,
    {
        let mut conn = self.0.get().await?;
        match read(&mut conn).await {
            Err(e) if e.connection_lost() => {
                drop(conn);
                // A database that went away took every connection with it: the idle ones are
                // dropped too, so that the second try gets a new connection, not another dead one.
                self.0.retain(|_, _| false);
                log::warn!("retrying a read whose database connection was lost");
                metrics::counter!("dateline_db_read_retries_total").increment(1);
                let mut conn = self.0.get().await?;
                read(&mut conn).await
            }
            done => done,
        }
    }
}

/// Errors that can tell when their cause was a lost database connection.
pub trait ConnectionLoss {
    fn connection_lost(&self) -> bool;
}

/// The server's messages for a connection it ends (SQLSTATE 57P01, 57P02, 57P05, 40001 on a
/// standby): diesel keeps the message but not the code.
const CONNECTION_ENDED: [&str; 4] = [
    "terminating connection due to",
    "terminating connection because of crash",
    "canceling statement due to conflict with recovery",
    "the database system is",
];

impl ConnectionLoss for diesel::result::Error {
    fn connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            // `UnableToSendCommand` is what diesel-async gives for an error without a SQLSTATE:
            // the socket closed or failed, not a statement refused.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => true,
            Error::DatabaseError(_, info) => CONNECTION_ENDED
                .iter()
                .any(|start| info.message().starts_with(start)),
            _ => false,
        }
    }
}

/// The client-side bounds of a pool, and the server-side one of its statements.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_size: usize,
    /// How long a request waits for a connection before it is answered 503.
    pub wait: Duration,
    /// How long opening a connection (and recycling one) may take.
    pub connect: Duration,
    /// A statement running longer is cancelled by PostgreSQL, so that no request holds a
    /// connection indefinitely.
    pub statement_timeout: Duration,
}

impl PoolSettings {
    pub fn of_size(max_size: usize) -> Self {
        Self {
            max_size,
            wait: Duration::from_secs(5),
            connect: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// How every connection plans its statements: generic plans (see `build_pool`).
pub const GENERIC_PLANS: &str = "SET plan_cache_mode = force_generic_plan";
/// For the statements whose best plan depends on the values bound: a full-text query may match
/// 90 % of the articles, best read newest first from the date index, or 0.01 %, best read from
/// the GIN index; a generic plan cannot tell (store::sql::with_custom_plans).
pub const CUSTOM_PLANS: &str = "SET plan_cache_mode = force_custom_plan";

/// A pool of `max_size` connections with the default bounds.
pub fn build_pool(database_url: &str, max_size: usize) -> Result<DbPool, String> {
    build_pool_with(database_url, PoolSettings::of_size(max_size))
}

pub fn build_pool_with(database_url: &str, settings: PoolSettings) -> Result<DbPool, String> {
    let statement_timeout = settings.statement_timeout.as_millis();
    let mut config = ManagerConfig::default();
    // A broken connection shows on first use anyway (and diesel-async then drops it); a `SELECT 1`
    // on every checkout would cost each request a round trip.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            // Generic plans: the hot statements are prepared once per connection and their best
            // plan (an index range scan) does not depend on the values, so planning them anew on
            // each execution, which PostgreSQL otherwise often does, only costs time
            // (docs/performance.md, docs/decisions.md).
            conn.batch_execute(&format!(
                "SET statement_timeout = {statement_timeout}; {GENERIC_PLANS}"
            ))
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(settings.wait))
        .create_timeout(Some(settings.connect))
        .recycle_timeout(Some(settings.connect))
        .build()
        .map_err(|e| format!("cannot build the connection pool: {e}"))
}

/// The advisory lock migrations run under, so that instances starting together apply them once:
/// the others wait, then find nothing pending.
const MIGRATION_LOCK: i64 = 7_335_006_122_183_434_241;

/// Applies pending migrations. Blocking: call it from a thread that is not driving an async
/// runtime (the CLI does so before the server starts).
pub fn run_migrations(database_url: &str) -> Result<usize, String> {
    use diesel::connection::SimpleConnection;
    let url = database_url.to_owned();
    std::thread::spawn(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        SimpleConnection::batch_execute(
            &mut conn,
            &format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"),
        )
        .map_err(|e| format!("cannot take the migration lock: {e}"))?;
        // The lock is the session's: it goes with the connection, whatever happens here.
        conn.run_pending_migrations(MIGRATIONS)
            .map(|applied| applied.len())
            .map_err(|e| format!("migration failed: {e}"))
    })
    .join()
    .map_err(|_| "the migration thread panicked".to_owned())?
}
