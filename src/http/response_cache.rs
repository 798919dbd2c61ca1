//! Answers to public reads kept in memory while the registry is unchanged.
//!
//! Every write records a change in the same transaction (API, imports,
//! cascades, seed), and change ids follow commit order on both databases, so
//! the id of the newest change is the registry's version. A public read first
//! asks the database for that version (one lookup at the end of an index); an
//! answer kept for the same URL (and origin, for the few that hold links to it:
//! see `http::base_url`) at the same version and on the same day (next anniversaries and default windows
//! depend on the date) is sent without running the handler. Any other version
//! empties the cache.
//!
//! Each entry keeps its body as the handler made it and, made once on first
//! asking, its coded forms (`http::encoding`): a browser's repeated read costs
//! no compression. Everything an entry holds counts against the budget (URL,
//! headers, every form, a fixed overhead), and a full cache evicts entries,
//! least recently used first among those moka's admission keeps; it never
//! empties itself but when the registry changes.
//!
//! The version is read before the handler runs, so an answer is never older
//! than the version it is kept under: a write that lands in between only
//! makes the answer newer, and the next read sees a newer version anyway.

use crate::db::Db;
use crate::error::AppError;
use crate::http::encoding::Coding;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use chrono::NaiveDate;
use moka::sync::Cache;
use std::sync::{Arc, Mutex};

/// What an entry costs beside its URL, body and headers: the map's node,
/// the `Arc`, the vectors' headers (measured order of magnitude, not exact).
const ENTRY_OVERHEAD: usize = 256;

/// One kept answer: the body as the handler produced it (before any content
/// coding), its entity tag, its own few headers and the coded forms made so far.
#[derive(Clone)]
pub struct Entry {
    pub body: Bytes,
    /// The tag of `body` (each coded form's tag derives from it).
    pub tag: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    coded: Vec<(Coding, Bytes)>,
    /// The origin it was asked at, for an answer that holds links to it
    /// (`http::base_url`): sent to that origin only.
    pub origin: Option<String>,
    /// The version it was made at: an answer put while another request
    /// moved the cache to a newer version is never served under it.
    version: Option<Version>,
}

impl Entry {
    /// An answer with its tag and headers (an `ETag` among them is dropped:
    /// each form gets its own).
    pub fn new(body: Bytes, tag: String, headers: &HeaderMap) -> Entry {
        Entry {
            body,
            tag,
            headers: headers
                .iter()
                .filter(|(name, _)| *name != actix_web::http::header::ETAG)
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            coded: Vec::new(),
            origin: None,
            version: None,
        }
    }

    /// The bytes it holds, as counted against the budget.
    fn weight(&self, url: &str) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum();
        let origin = self.origin.as_ref().map_or(0, String::len);
        let coded: usize = self.coded.iter().map(|(_, body)| body.len() + 16).sum();
        url.len() + origin + self.tag.len() + self.body.len() + coded + headers + ENTRY_OVERHEAD
    }

    /// The body in `coding`, if made already.
    fn form(&self, coding: Coding) -> Option<Bytes> {
        if coding == Coding::Identity {
            return Some(self.body.clone());
        }
        self.coded
            .iter()
            .find(|(c, _)| *c == coding)
            .map(|(_, body)| body.clone())
    }

    /// Keeps `body` as its form in `coding`.
    pub fn with_form(mut self, coding: Coding, body: Bytes) -> Entry {
        if coding != Coding::Identity {
            self.coded.push((coding, body));
        }
        self
    }
}

/// The registry's version and day that kept answers belong to.
pub type Version = (i64, NaiveDate);

/// Kept answers within a budget of bytes, everything they hold counted.
/// When full, the answers least likely to be asked again give way (moka's
/// TinyLFU admission): a client reading many distinct URLs once cannot push
/// out the answers others keep asking for.
pub struct ResponseCache {
    budget: usize,
    version: Mutex<Option<Version>>,
    entries: Cache<String, Arc<Entry>>,
}

impl ResponseCache {
    /// A cache holding at most `budget` bytes; 0 turns it off.
    pub fn new(budget: usize) -> ResponseCache {
        let entries = Cache::builder()
            .max_capacity(budget as u64)
            .weigher(|url: &String, entry: &Arc<Entry>| {
                u32::try_from(entry.weight(url)).unwrap_or(u32::MAX)
            })
            .build();
        ResponseCache {
            budget,
            version: Mutex::new(None),
            entries,
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// The registry's version now, as the database has it.
    pub async fn version(db: &Db) -> Result<Version, AppError> {
        let head = || db.read_quick(crate::changes::queries::head);
        // On PostgreSQL, kept in memory while it can be trusted (`db::watch`).
        let head = match db.watch().map(|watch| (watch.clone(), watch.known())) {
            None => head().await?,
            Some((_, Ok(known))) => known,
            Some((watch, Err(asked))) => watch.learned(head().await?, asked),
        };
        Ok((head, crate::clock::today()))
    }

    /// Whether answers made at `version` may be kept and served: it is the
    /// newest seen (a newer one empties the cache first).
    fn current(&self, version: Version) -> bool {
        let mut seen = self.version.lock().unwrap_or_else(|e| e.into_inner());
        match *seen {
            Some(v) if v == version => true,
            Some(v) if v > version => false,
            _ => {
                *seen = Some(version);
                self.entries.invalidate_all();
                true
            }
        }
    }

    /// The answer kept for `url` at `version`.
    pub fn get(&self, url: &str, version: Version) -> Option<Arc<Entry>> {
        if !self.enabled() || !self.current(version) {
            return None;
        }
        self.entries
            .get(url)
            .filter(|entry| entry.version == Some(version))
    }

    /// The body of `entry` (kept for `url`) in `coding`: made and kept
    /// beside the others the first time it is asked for.
    pub fn form(&self, url: &str, entry: &Arc<Entry>, coding: Coding) -> Bytes {
        if let Some(body) = entry.form(coding) {
            return body;
        }
        let body = coding.encode(&entry.body);
        let grown = Entry::clone(entry).with_form(coding, body.clone());
        if grown.weight(url) <= self.budget {
            // Only over the same entry: a newer answer put meanwhile stays.
            let current = self.entries.get(url);
            if current.is_some_and(|c| Arc::ptr_eq(&c, entry)) {
                self.entries.insert(url.to_string(), Arc::new(grown));
            }
        }
        body
    }

    /// Keeps the answer for `url` made at `version`, if it fits the budget.
    pub fn put(&self, url: &str, version: Version, mut entry: Entry) {
        if !self.enabled() || entry.weight(url) > self.budget || !self.current(version) {
            return;
        }
        entry.version = Some(version);
        self.entries.insert(url.to_string(), Arc::new(entry));
    }

    /// The bytes the kept answers hold, once pending evictions are done.
    pub fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &'static str) -> Entry {
        let mut headers = HeaderMap::new();
        headers.insert(
            actix_web::http::header::ETAG,
            HeaderValue::from_static("\"abcdefghijklmnopqrstuvwx\""),
        );
        Entry::new(
            Bytes::from_static(body.as_bytes()),
            "\"abcdefghijklmnopqrstuvwx\"".to_string(),
            &headers,
        )
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date")
    }

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_made_at() {
        let cache = ResponseCache::new(4096);
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
        let cache = ResponseCache::new(4096);
        cache.put("/a", (1, day()), entry("one"));
        let tomorrow = day().succ_opt().expect("a date");
        assert!(cache.get("/a", (1, tomorrow)).is_none());
    }

    #[test]
    fn an_answer_made_at_an_older_version_is_not_kept() {
        let cache = ResponseCache::new(4096);
        assert!(cache.get("/b", (5, day())).is_none());
        cache.put("/a", (4, day()), entry("old"));
        assert!(cache.get("/a", (5, day())).is_none());
    }

    #[test]
    fn what_is_kept_counts_its_headers_and_stays_within_the_budget() {
        let one = entry("x").weight("/api/v1/cities?q=a");
        assert!(
            one > ENTRY_OVERHEAD + 24,
            "headers and overhead count: {one}"
        );
        let budget = 300_000;
        let cache = ResponseCache::new(budget);
        for i in 0..2500 {
            cache.put(&format!("/api/v1/cities?q=w{i}"), (1, day()), entry("[]"));
        }
        let size = cache.weighted_size();
        assert!(size <= budget as u64, "{size} bytes kept");
        assert!(
            size > budget as u64 / 2,
            "it fills up to its budget: {size}"
        );
        assert!(
            cache
                .get("/a-body-larger-than-the-budget", (1, day()))
                .is_none()
        );
    }

    #[test]
    fn a_full_cache_keeps_the_answers_asked_for_often() {
        let cache = ResponseCache::new(20_000);
        cache.put("/hot", (1, day()), entry("hot"));
        for _ in 0..20 {
            assert!(cache.get("/hot", (1, day())).is_some());
        }
        for i in 0..2000 {
            let url = format!("/scan/{i}");
            cache.put(&url, (1, day()), entry("cold"));
        }
        cache.weighted_size();
        assert!(
            cache.get("/hot", (1, day())).is_some(),
            "a scan did not push it out"
        );
        let off = ResponseCache::new(0);
        off.put("/a", (1, day()), entry("1"));
        assert!(off.get("/a", (1, day())).is_none());
    }

    #[test]
    fn a_full_cache_evicts_the_least_recently_used_and_never_empties_itself() {
        // Room for about ten entries.
        let one = entry("x").weight("/e/00");
        let cache = ResponseCache::new(one * 10 + one / 2);
        let read = |url: &str| cache.get(url, (1, day())).is_some();
        for i in 0..10 {
            let url = format!("/e/{i:02}");
            cache.put(&url, (1, day()), entry("x"));
            // Asked for as often as each other: recency alone decides.
            for _ in 0..3 {
                assert!(read(&url), "{url} kept");
            }
        }
        cache.weighted_size();
        // /e/00 is read again: /e/01 is now the least recently used.
        assert!(read("/e/00"));
        for i in 10..13 {
            let url = format!("/e/{i:02}");
            for _ in 0..6 {
                // A new answer asked for often enough is admitted.
                cache.put(&url, (1, day()), entry("x"));
                read(&url);
            }
            cache.weighted_size();
        }
        let kept: Vec<String> = (0..13)
            .map(|i| format!("/e/{i:02}"))
            .filter(|url| cache.entries.contains_key(url))
            .collect();
        assert!(cache.weighted_size() <= (one * 10 + one / 2) as u64);
        assert!(kept.len() >= 9, "it never empties itself: {kept:?}");
        assert!(
            kept.contains(&"/e/00".to_string()),
            "read recently: {kept:?}"
        );
        assert!(kept.contains(&"/e/12".to_string()), "{kept:?}");
        assert!(
            !kept.contains(&"/e/01".to_string()),
            "least recently used: {kept:?}"
        );
    }

    #[test]
    fn coded_forms_are_made_once_and_counted() {
        let cache = ResponseCache::new(1 << 20);
        let body = "{\"name\":\"Veliky Novgorod\"}".repeat(200);
        let plain = Entry::new(
            Bytes::from(body.clone()),
            "\"t\"".to_string(),
            &HeaderMap::new(),
        );
        cache.put("/big", (1, day()), plain);
        let before = cache.weighted_size();
        let kept = cache.get("/big", (1, day())).expect("kept");
        let gzip = cache.form("/big", &kept, Coding::Gzip);
        let grown = cache.get("/big", (1, day())).expect("kept");
        assert!(
            !Arc::ptr_eq(&kept, &grown),
            "the entry now holds the gzip form"
        );
        assert_eq!(grown.form(Coding::Gzip), Some(gzip.clone()));
        assert_eq!(cache.weighted_size(), before + gzip.len() as u64 + 16);
        // Asked again, the kept form is sent, not made anew.
        let again = cache.form("/big", &grown, Coding::Gzip);
        assert_eq!(again.as_ptr(), gzip.as_ptr());
    }
}
