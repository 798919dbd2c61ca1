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
//!   version only while it was confirmed within [`TRUSTED`]: by the
//!   listener, or by a read that asked the database itself. Past that (the
//!   listener cannot reach the database, or lags behind a busy one) a read
//!   asks, as on SQLite, and what it reads is trusted for [`TRUSTED`] from
//!   when it asked: one read a second asks, not every read.
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

/// A read of the version from the database that [`Watch::known`] asked for:
/// the writes counted, and when (ms after the watch started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    writes: u64,
    at_ms: u64,
}

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
    /// what to pass to [`Watch::learned`] after asking.
    pub fn known(&self) -> Result<i64, Asked> {
        let writes = self.writes.load(Ordering::SeqCst);
        let now = self.elapsed_ms();
        let confirmed = self.confirmed_ms.load(Ordering::SeqCst);
        let fresh = confirmed > 0 && now.saturating_sub(confirmed) < TRUSTED.as_millis() as u64;
        if fresh && writes == self.seen_writes.load(Ordering::SeqCst) {
            Ok(self.head.load(Ordering::SeqCst))
        } else {
            Err(Asked { writes, at_ms: now })
        }
    }

    /// Records `head`, read from the database as [`Watch::known`] said to;
    /// the newest version known. It counts as confirmed from when the read
    /// was asked for (so never later than the database answered).
    pub fn learned(&self, head: i64, asked: Asked) -> i64 {
        self.seen_writes.fetch_max(asked.writes, Ordering::SeqCst);
        let known = self.head.fetch_max(head, Ordering::SeqCst).max(head);
        self.confirmed_ms
            .fetch_max(asked.at_ms.max(1), Ordering::SeqCst);
        known
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

    fn asks(watch: &Watch) -> Asked {
        watch.known().expect_err("asks the database")
    }

    #[test]
    fn a_version_is_trusted_only_when_confirmed_lately_and_after_local_writes_are_seen() {
        let watch = unconfirmed();
        assert_eq!(asks(&watch).writes, 0, "never confirmed: ask");
        std::thread::sleep(Duration::from_millis(2));
        watch.confirm(7);
        assert_eq!(watch.known(), Ok(7));
        watch.wrote();
        let asked = asks(&watch);
        assert_eq!(asked.writes, 1, "a local write: ask once");
        assert_eq!(watch.learned(8, asked), 8);
        assert_eq!(watch.known(), Ok(8));
        // A version learned is never older than one known.
        assert_eq!(watch.learned(5, asked), 8);
        watch
            .confirmed_ms
            .store(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(TRUSTED + Duration::from_millis(5));
        assert_eq!(asks(&watch).writes, 1, "confirmed too long ago: ask");
    }

    #[test]
    fn a_version_read_from_the_database_is_trusted_from_when_it_was_asked() {
        // The listener has confirmed nothing (it lags, or cannot connect).
        let watch = unconfirmed();
        std::thread::sleep(Duration::from_millis(2));
        let asked = asks(&watch);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(watch.learned(3, asked), 3);
        assert_eq!(watch.known(), Ok(3), "the reads after it do not ask");
        let confirmed = watch.confirmed_ms.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            confirmed, asked.at_ms,
            "from when it asked, not when it was answered"
        );
        // A read asked before another's answer does not set the time back.
        watch.learned(
            3,
            Asked {
                writes: 0,
                at_ms: 1,
            },
        );
        assert_eq!(
            watch.confirmed_ms.load(std::sync::atomic::Ordering::SeqCst),
            confirmed
        );
        std::thread::sleep(TRUSTED + Duration::from_millis(5));
        asks(&watch);
    }
}
