//! Answers to public reads kept in memory while the registry is unchanged.
//!
//! Every write records a change in the same transaction (API, imports,
//! cascades, seed), and change ids follow commit order on both databases, so
//! the id of the newest change is the registry's version. A public read first
//! asks the database for that version (one lookup at the end of an index); an
//! answer kept for the same URL at the same version and on the same day (next
//! anniversaries and default windows depend on the date) is sent without
//! running the handler. Any other version empties the cache.
//!
//! The version is read before the handler runs, so an answer is never older
//! than the version it is kept under: a write that lands in between only
//! makes the answer newer, and the next read sees a newer version anyway.

use crate::db::Db;
use crate::error::AppError;
use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One kept answer: the body as the handler produced it (before any content
/// coding) and its headers, the entity tag among them.
pub struct Entry {
    pub body: Bytes,
    pub headers: HeaderMap,
}

/// The registry's version and day that kept answers belong to.
pub type Version = (i64, NaiveDate);

pub struct ResponseCache {
    budget: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    version: Option<Version>,
    bytes: usize,
    entries: HashMap<String, Arc<Entry>>,
}

impl ResponseCache {
    /// A cache holding at most `budget` bytes of URLs and bodies; 0 turns it off.
    pub fn new(budget: usize) -> ResponseCache {
        ResponseCache {
            budget,
            state: Mutex::new(State::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// The registry's version now, as the database has it.
    pub async fn version(db: &Db) -> Result<Version, AppError> {
        let head = db.read_quick(crate::changes::queries::head).await?;
        Ok((head, crate::clock::today()))
    }

    /// The answer kept for `url` at `version`.
    pub fn get(&self, url: &str, version: Version) -> Option<Arc<Entry>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.version != Some(version) {
            if state.version < Some(version) {
                state.reset(version);
            }
            return None;
        }
        state.entries.get(url).cloned()
    }

    /// Keeps the answer for `url` made at `version`, if it fits the budget;
    /// when the cache is full it is emptied first.
    pub fn put(&self, url: &str, version: Version, entry: Entry) {
        let size = url.len() + entry.body.len();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.version != Some(version) {
            // Made at an older version than the newest one seen: stale.
            if state.version > Some(version) {
                return;
            }
            state.reset(version);
        }
        if size > self.budget || state.entries.contains_key(url) {
            return;
        }
        if state.bytes + size > self.budget {
            // Full: start over, so that what is read now gets in, rather than
            // keeping whatever came first until the next write.
            state.entries.clear();
            state.bytes = 0;
        }
        state.bytes += size;
        state.entries.insert(url.to_string(), Arc::new(entry));
    }
}

impl State {
    fn reset(&mut self, version: Version) {
        self.version = Some(version);
        self.bytes = 0;
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &'static str) -> Entry {
        Entry {
            body: Bytes::from_static(body.as_bytes()),
            headers: HeaderMap::new(),
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date")
    }

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_made_at() {
        let cache = ResponseCache::new(1024);
        assert!(cache.get("/a", (1, day())).is_none());
        cache.put("/a", (1, day()), entry("one"));
        assert_eq!(&cache.get("/a", (1, day())).expect("kept").body[..], b"one");
        assert!(cache.get("/a", (2, day())).is_none());
        assert!(
            cache.get("/a", (1, day())).is_none(),
            "a newer version emptied it"
        );
    }

    #[test]
    fn a_new_day_empties_the_cache() {
        let cache = ResponseCache::new(1024);
        cache.put("/a", (1, day()), entry("one"));
        let tomorrow = day().succ_opt().expect("a date");
        assert!(cache.get("/a", (1, tomorrow)).is_none());
    }

    #[test]
    fn an_answer_made_at_an_older_version_is_not_kept() {
        let cache = ResponseCache::new(1024);
        assert!(cache.get("/b", (5, day())).is_none());
        cache.put("/a", (4, day()), entry("old"));
        assert!(cache.get("/a", (5, day())).is_none());
    }

    #[test]
    fn the_budget_bounds_what_is_kept() {
        let cache = ResponseCache::new(10);
        cache.put("/a", (1, day()), entry("12345"));
        cache.put("/b", (1, day()), entry("123456789"));
        assert!(cache.get("/a", (1, day())).is_some());
        assert!(
            cache.get("/b", (1, day())).is_none(),
            "larger than the budget"
        );
        cache.put("/c", (1, day()), entry("123"));
        assert!(
            cache.get("/c", (1, day())).is_some(),
            "a full cache starts over"
        );
        assert!(cache.get("/a", (1, day())).is_none());
        let off = ResponseCache::new(0);
        off.put("/a", (1, day()), entry("1"));
        assert!(off.get("/a", (1, day())).is_none());
    }
}
