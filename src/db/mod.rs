//! Storage: one connection type over SQLite and PostgreSQL, its pool and its migrations.

mod connection;
mod ids;
mod migrations;
pub mod schema;
pub mod text;
pub mod watch;

pub use connection::{Backend, DatabaseUrl, DbConnection};
pub use ids::IdIn;
pub use migrations::{revert_all_migrations, revert_migrations_from, run_migrations};
use watch::Watch;

use crate::error::AppError;
use diesel::Connection;
use diesel::r2d2::{Pool, PooledConnection};
use std::sync::Arc;
use std::time::Duration;

pub type DbPool = Pool<connection::Manager>;

/// How long a request waits for a database connection while others hold
/// them all, before it is answered 503 with `Retry-After`.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long it waits when the pool holds no connection at all: the database
/// does not answer, and a client learns so within seconds, not after 10.
pub const DOWN_TIMEOUT: Duration = Duration::from_secs(2);
pub type PooledConn = PooledConnection<connection::Manager>;

/// The pools the handlers use. On SQLite all writes go through a pool of one
/// connection, so writers queue in the process instead of fighting over the
/// database lock; reads run in parallel beside them (WAL). On PostgreSQL both
/// are the same pool.
#[derive(Clone)]
pub struct Db {
    pub backend: Backend,
    url: DatabaseUrl,
    read: DbPool,
    write: DbPool,
    /// SQLite only: connections for [`Db::read_quick`] on the async workers.
    quick: Option<DbPool>,
    /// PostgreSQL, when serving: the registry's version kept in memory
    /// (`db::watch`).
    watch: Option<Arc<Watch>>,
}

impl Db {
    /// Opens the database, applies pending migrations and builds the pools.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Db, String> {
        // One connection first: a database that does not answer fails here
        // at once (PostgreSQL gives up connecting after 2 s).
        run_migrations(&mut url.establish()?)?;
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                // Not pinged on every checkout: on PostgreSQL that was one
                // round trip more per request (one city by id went from
                // 13.7k to 20.6k requests/s without it). A PostgreSQL
                // connection that drops is found when a statement on it
                // fails, and replaced then (`repair`).
                .test_on_check_out(false)
                .connection_timeout(POOL_TIMEOUT)
                .build(connection::Manager::new(url.clone()))
                .map_err(|e| format!("cannot connect to the database: {e}"))
        };
        let read = build(pool_size.max(1))?;
        let (write, quick) = match url.backend() {
            Backend::Sqlite => (build(1)?, Some(build(pool_size.max(1))?)),
            Backend::Postgres => (read.clone(), None),
        };
        Ok(Db {
            backend: url.backend(),
            url: url.clone(),
            read,
            write,
            quick,
            watch: None,
        })
    }

    /// On PostgreSQL, starts keeping the registry's version in memory, told
    /// of changes by notification (`db::watch`); SQLite reads it from
    /// its local index on every request, which costs less than any watch.
    pub fn watch_changes(&mut self) {
        if self.backend == Backend::Postgres && self.watch.is_none() {
            self.watch = Some(Watch::start(self.url.clone()));
        }
    }

    /// The registry's version kept in memory, when serving on PostgreSQL.
    pub fn watch(&self) -> Option<&Arc<Watch>> {
        self.watch.as_ref()
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, so no
    /// database call ever blocks an async worker. On SQLite `f` runs in one
    /// transaction, so all its statements read the same snapshot.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend {
            // One read transaction for all of `f`'s statements, as in
            // [`Db::read_quick`]: one snapshot, and WAL's read lock taken once.
            Backend::Sqlite => run(self.read.clone(), None, |conn| conn.transaction(f)).await,
            // On PostgreSQL a transaction costs two round trips more.
            Backend::Postgres => run(self.read.clone(), Some(self.url.clone()), f).await,
        }
    }

    /// Runs a read bounded by an index (one row, or one page of a range
    /// scan). On SQLite it runs right here on the async worker when a
    /// connection is free at once: such a read takes a few microseconds, less
    /// than handing it to the blocking pool and waking this task again. When
    /// none is free it goes to the blocking pool, so an async worker never
    /// waits for a connection. On PostgreSQL every query is a network round
    /// trip, so it always goes to the blocking pool, as [`Db::read`] does.
    pub async fn read_quick<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.quick.as_ref().and_then(|pool| pool.try_get()) {
            // One read transaction for all of `f`'s statements: each
            // statement on its own would take and release WAL's read lock.
            Some(mut conn) => {
                let conn: &mut DbConnection = &mut conn;
                conn.transaction(f)
            }
            None => self.read(f).await,
        }
    }

    /// Like [`Db::read`], on the connection that writes. On SQLite `f` runs
    /// in one `BEGIN IMMEDIATE` transaction ([`immediate`]).
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend {
            Backend::Sqlite => self.write_transactions(|conn| immediate(conn, f)).await,
            Backend::Postgres => self.write_transactions(f).await,
        }
    }

    /// Like [`Db::write`], for an `f` that opens its own outermost
    /// transactions with [`immediate`] (an import's chunk): on SQLite it is
    /// not wrapped in one more, where its transactions would be savepoints.
    pub async fn write_transactions<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let url = (self.backend == Backend::Postgres).then(|| self.url.clone());
        let done = run(self.write.clone(), url, f).await;
        // Committed or not, the next read asks for the version (`db::watch`).
        if let Some(watch) = &self.watch {
            watch.wrote();
        }
        done
    }

    /// Like [`Db::write`], inside one transaction.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.backend {
            // Every write on SQLite is one transaction already.
            Backend::Sqlite => self.write(f).await,
            Backend::Postgres => self.write(move |conn| conn.transaction(f)).await,
        }
    }
}

/// A connection from `pool`: waiting for one while others hold them all,
/// or briefly when there is none at all (the database is down).
fn checkout(pool: &DbPool) -> Result<PooledConn, AppError> {
    let timeout = if pool.state().connections == 0 {
        DOWN_TIMEOUT
    } else {
        POOL_TIMEOUT
    };
    Ok(pool.get_timeout(timeout)?)
}

/// Runs `f` in one transaction that takes SQLite's write lock at its start
/// (`BEGIN IMMEDIATE`); on PostgreSQL in an ordinary transaction.
///
/// A deferred transaction that reads before it writes holds a read
/// snapshot when it asks for the write lock, and SQLite then answers
/// "database is locked" at once, without waiting out the busy timeout,
/// whenever the lock is held at that instant. Under load a reader holds it
/// for a moment now and then (when it meets the WAL index's header
/// mid-update it takes the lock to check it), so one create in thousands
/// failed with 503 `database_busy`. Taken at `BEGIN`, the lock is waited
/// for as the busy timeout says. Transactions inside `f` become savepoints.
pub fn immediate<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(_) => return conn.transaction(f),
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Runs `f` with PostgreSQL planning each statement for its values, where
/// connections otherwise plan each statement once (`force_generic_plan`):
/// for the few statements whose best plan depends on the values. Under its
/// generic plan the lookup of a language's event ids scanned the whole
/// table (a rare language's events: 92 against 927 requests/s). On
/// PostgreSQL this costs three short round trips (a transaction and a
/// `SET LOCAL`, undone at its end); on SQLite nothing.
pub fn with_custom_plans<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConnection::Sqlite(_) => f(conn),
        DbConnection::Postgres(_) => conn.transaction(|conn| {
            conn.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")?;
            f(conn)
        }),
    }
}

/// Ids sorted and without repeats, for one `IN` list.
pub fn distinct_ids(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Runs `f` on a connection of `pool` on the blocking thread pool. `url`,
/// on PostgreSQL, to replace a connection that turns out to have dropped.
async fn run<T, F>(pool: DbPool, url: Option<DatabaseUrl>, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(move || {
        let mut conn = checkout(&pool)?;
        let done = f(&mut conn);
        match (&done, url) {
            (Err(error), Some(url)) if error.status.is_server_error() => {
                repair(&mut conn, &url)?;
                done
            }
            _ => done,
        }
    })
    .await?
}

/// After a statement failed on a PostgreSQL connection: when the connection
/// no longer answers (the server restarted, or ended the session), it is
/// replaced in place by a new one, and the request that met it is answered
/// 503 with `Retry-After` (its statement never ran to the end).
fn repair(conn: &mut DbConnection, url: &DatabaseUrl) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    if conn.batch_execute("SELECT 1").is_ok() {
        return Ok(());
    }
    match url.establish() {
        Ok(new) => {
            log::warn!("database: a connection had dropped; replaced it");
            *conn = new;
        }
        Err(e) => log::error!("database: a connection had dropped, and reconnecting failed: {e}"),
    }
    Err(AppError::new(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        crate::error::ErrorCode::DatabaseUnavailable,
        "the connection to the database was lost; try again",
    )
    .with_header(actix_web::http::header::RETRY_AFTER, "1"))
}
