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
                // A SQLite connection is a file handle and cannot drop, so it
                // is not pinged on every checkout; a PostgreSQL one can.
                .test_on_check_out(url.backend() == Backend::Postgres)
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
            Backend::Sqlite => run(self.read.clone(), |conn| conn.transaction(f)).await,
            // On PostgreSQL a transaction costs two round trips more.
            Backend::Postgres => run(self.read.clone(), f).await,
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

    /// Like [`Db::read`], on the connection that writes.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let done = run(self.write.clone(), f).await;
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
        self.write(move |conn| conn.transaction(f)).await
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

/// Ids sorted and without repeats, for one `IN` list.
pub fn distinct_ids(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn run<T, F>(pool: DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(move || {
        let mut conn = checkout(&pool)?;
        f(&mut conn)
    })
    .await?
}
