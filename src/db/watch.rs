//! The registry's version on PostgreSQL without a round trip per read.
//!
//! The version is the id of the newest change (`http::response_cache`). On
//! SQLite reading it is a lookup in a local index, done on every kept read.
//! On PostgreSQL that lookup is a network round trip, so an instance keeps
//! the version in memory instead, and learns of changes three ways:
//!
//! - its own writes: each counts in [`Watch::wrote`], and the next read asks
//!   the database once, so a client always reads its own writes at once;
//! - other instances' writes: the `changes` table notifies channel
//!   `registry_changes_<schema>` at each commit (migration `changes_notify`), and a
//!   listener thread, polling its connection every [`POLL`], reads the new
//!   version on each notification: within milliseconds;
//! - should a notification be lost (a dropped connection, say), the listener
//!   reads the version anyway every [`RECHECK`], and a read trusts the kept
//!   version only while the listener confirmed it within [`TRUSTED`]; past
//!   that (the listener cannot reach the database) every read asks, as on
//!   SQLite.
//!
//! So an instance shows another's write after at most [`TRUSTED`] (1 s),
//! usually within a few milliseconds, and its own at once.

use super::connection::{DatabaseUrl, DbConnection};
use super::schema::changes;
use diesel::prelude::*;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The channel the `changes` table notifies, followed by its schema's name.
pub const CHANNEL: &str = "registry_changes_";

/// How often the listener looks for notifications (a local read of its
/// socket, no round trip).
pub const POLL: Duration = Duration::from_millis(20);

/// How often the listener reads the version even without a notification.
pub const RECHECK: Duration = Duration::from_millis(500);

/// How long a version the listener confirmed is trusted: the worst-case
/// staleness of a read of another instance's write.
pub const TRUSTED: Duration = Duration::from_secs(1);

/// The version as an instance knows it.
pub struct Watch {
    /// The newest change id known.
    head: AtomicI64,
    /// When the listener last confirmed `head` (ms after `start`; 0: never).
    confirmed_ms: AtomicU64,
    start: Instant,
    /// Writes made through this instance, and how many of them a read of
    /// the version has seen.
    writes: AtomicU64,
    seen_writes: AtomicU64,
}

impl Watch {
    /// A watch on `url`'s changes, kept by a listener thread that ends when
    /// the watch is dropped.
    pub fn start(url: DatabaseUrl) -> Arc<Watch> {
        let watch = Arc::new(Watch {
            head: AtomicI64::new(0),
            confirmed_ms: AtomicU64::new(0),
            start: Instant::now(),
            writes: AtomicU64::new(0),
            seen_writes: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&watch);
        let spawned = std::thread::Builder::new()
            .name("change-listener".into())
            .spawn(move || listen(&url, &weak));
        if let Err(error) = spawned {
            // Without a listener nothing is confirmed and every read asks.
            log::warn!("change listener not started: {error}");
        }
        watch
    }

    /// Counts a write made through this instance.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    /// The version, if it can be trusted without asking the database; else
    /// the count of writes to pass to [`Watch::learned`] after asking.
    pub fn known(&self) -> Result<i64, u64> {
        let writes = self.writes.load(Ordering::SeqCst);
        let confirmed = self.confirmed_ms.load(Ordering::SeqCst);
        let fresh = confirmed > 0
            && self.elapsed_ms().saturating_sub(confirmed) < TRUSTED.as_millis() as u64;
        if fresh && writes == self.seen_writes.load(Ordering::SeqCst) {
            Ok(self.head.load(Ordering::SeqCst))
        } else {
            Err(writes)
        }
    }

    /// Records `head`, read from the database after `writes` writes had
    /// been counted; the newest version known.
    pub fn learned(&self, head: i64, writes: u64) -> i64 {
        self.seen_writes.fetch_max(writes, Ordering::SeqCst);
        self.head.fetch_max(head, Ordering::SeqCst).max(head)
    }

    fn confirm(&self, head: i64) {
        self.head.fetch_max(head, Ordering::SeqCst);
        // Never 0, which means "never confirmed".
        self.confirmed_ms
            .store(self.elapsed_ms().max(1), Ordering::SeqCst);
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The listener: connects, listens, and keeps the watch confirmed until the
/// watch is dropped; reconnects after a second when the connection fails.
fn listen(url: &DatabaseUrl, watch: &Weak<Watch>) {
    while watch.strong_count() > 0 {
        if let Err(error) = listen_once(url, watch) {
            log::warn!("change listener: {error}; reconnecting in 1 s");
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

fn listen_once(url: &DatabaseUrl, watch: &Weak<Watch>) -> Result<(), String> {
    let mut conn = url.establish()?;
    let DbConnection::Postgres(pg) = &mut conn else {
        return Err("the change listener is for PostgreSQL".into());
    };
    let schema: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "current_schema()",
    ))
    .get_result(pg)
    .map_err(|e| e.to_string())?;
    // A quoted identifier, as `pg_notify` takes the name: exactly.
    let channel = format!("{CHANNEL}{schema}").replace('"', "\"\"");
    diesel::sql_query(format!("LISTEN \"{channel}\""))
        .execute(pg)
        .map_err(|e| e.to_string())?;
    let mut checked: Option<Instant> = None;
    loop {
        let Some(watch) = watch.upgrade() else {
            return Ok(());
        };
        let mut notified = false;
        if let DbConnection::Postgres(pg) = &mut conn {
            for notification in pg.notifications_iter() {
                notification.map_err(|e| e.to_string())?;
                notified = true;
            }
        }
        if notified || checked.is_none_or(|at| at.elapsed() >= RECHECK) {
            let head = newest_change(&mut conn).map_err(|e| e.to_string())?;
            watch.confirm(head);
            checked = Some(Instant::now());
        }
        drop(watch);
        std::thread::sleep(POLL);
    }
}

/// The id of the newest change (what `changes::queries::head` reads).
fn newest_change(conn: &mut DbConnection) -> QueryResult<i64> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(0);
    };
    Ok(changes::table
        .select(diesel::dsl::max(changes::id))
        .first::<Option<i64>>(pg)?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unconfirmed() -> Watch {
        Watch {
            head: AtomicI64::new(0),
            confirmed_ms: AtomicU64::new(0),
            start: Instant::now(),
            writes: AtomicU64::new(0),
            seen_writes: AtomicU64::new(0),
        }
    }

    #[test]
    fn a_version_is_trusted_only_when_confirmed_lately_and_after_local_writes_are_seen() {
        let watch = unconfirmed();
        assert_eq!(watch.known(), Err(0), "never confirmed: ask");
        std::thread::sleep(Duration::from_millis(2));
        watch.confirm(7);
        assert_eq!(watch.known(), Ok(7));
        watch.wrote();
        assert_eq!(watch.known(), Err(1), "a local write: ask once");
        assert_eq!(watch.learned(8, 1), 8);
        assert_eq!(watch.known(), Ok(8));
        // A version learned is never older than one known.
        assert_eq!(watch.learned(5, 1), 8);
        watch
            .confirmed_ms
            .store(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(TRUSTED + Duration::from_millis(5));
        assert_eq!(watch.known(), Err(1), "confirmed too long ago: ask");
    }
}
