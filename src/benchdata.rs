//! `twinning bench-data`: synthetic twinnings and events, generated
//! deterministically from a seed, for the benchmark harness. Big cities get
//! many partners and busy twinnings many events, as in real registries.
//!
//! It writes straight into the tables in large batches, without change records:
//! it makes load for measurements, not registry history.

use crate::dates::PartialDate;
use crate::db::DbConnection;
use crate::db::schema::{cities, events, twinnings};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::HashSet;
use std::fmt::Write;

/// xorshift64*: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index below `len`, skewed towards 0 by `power` (1 = uniform).
    fn skewed(&mut self, len: usize, power: i32) -> usize {
        ((self.unit().powi(power) * len as f64) as usize).min(len.saturating_sub(1))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const KINDS: [&str; 5] = [
    "sister_city",
    "twin_town",
    "friendship_city",
    "partner_city",
    "cooperation",
];
const EVENT_KINDS: [&str; 9] = [
    "video_greeting",
    "letter",
    "delegation_visit",
    "online_meeting",
    "cultural_event",
    "student_exchange",
    "gift",
    "aid",
    "other",
];
const STAMP: &str = "'2026-01-01 00:00:00'";

fn random_date(rng: &mut Rng, from_year: u64, years: u64) -> PartialDate {
    let year = (from_year + rng.below(years)) as i32;
    match rng.below(3) {
        0 => PartialDate {
            year,
            month: None,
            day: None,
        },
        1 => PartialDate {
            year,
            month: Some(1 + rng.below(12) as u32),
            day: None,
        },
        _ => PartialDate {
            year,
            month: Some(1 + rng.below(12) as u32),
            day: Some(1 + rng.below(28) as u32),
        },
    }
}

type Result<T> = std::result::Result<T, diesel::result::Error>;

fn flush(conn: &mut DbConnection, head: &str, rows: &mut Vec<String>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!("{head} VALUES {}", rows.join(","));
    rows.clear();
    conn.batch_execute(&sql)
}

/// Adds `twinnings` twinnings and `events` events, in one transaction;
/// returns how many of each.
pub fn generate(
    conn: &mut DbConnection,
    twinnings: usize,
    events: usize,
    seed: u64,
) -> std::result::Result<(usize, usize), String> {
    let mut rng = Rng(seed.max(1));
    let by_size: Vec<i64> = cities::table
        .select(cities::id)
        .order(diesel::dsl::sql::<diesel::sql_types::Untyped>(
            "cities.population DESC NULLS LAST, cities.id",
        ))
        .load(conn)
        .map_err(|e| e.to_string())?;
    if by_size.len() < 2 {
        return Err("import cities first: twinnings need at least two".into());
    }
    let made = conn
        .transaction(|conn| {
            let made = add_twinnings(conn, &mut rng, &by_size, twinnings)?;
            let before: Option<i64> = events::table
                .select(diesel::dsl::max(events::id))
                .first(conn)?;
            add_events(conn, &mut rng, events)?;
            derive(conn, before.unwrap_or(0))?;
            Ok(made)
        })
        .map_err(|e: diesel::result::Error| e.to_string())?;
    // PostgreSQL plans from statistics that autovacuum gathers some time
    // after a bulk load; gather them now. (SQLite's planner works without.)
    if let DbConnection::Postgres(_) = conn {
        conn.batch_execute("ANALYZE").map_err(|e| e.to_string())?;
    }
    Ok((made, events))
}

/// Twinnings between cities drawn towards the biggest, each pair once.
fn add_twinnings(
    conn: &mut DbConnection,
    rng: &mut Rng,
    by_size: &[i64],
    count: usize,
) -> Result<usize> {
    let existing: Vec<(i64, i64)> = twinnings::table
        .select((twinnings::city_low_id, twinnings::city_high_id))
        .load(conn)?;
    let mut pairs: HashSet<(i64, i64)> = existing.into_iter().collect();
    let head = "INSERT INTO twinnings (city_low_id, city_high_id, kind, status, established, established_year, \
                established_md, ended, source_urls, status_history, created_at, updated_at)";
    let mut rows = Vec::with_capacity(500);
    let mut made = 0;
    let mut attempts = 0;
    while made < count && attempts < count * 20 {
        attempts += 1;
        let a = by_size[rng.skewed(by_size.len(), 3)];
        let b = by_size[rng.skewed(by_size.len(), 2)];
        let pair = (a.min(b), a.max(b));
        if a == b || !pairs.insert(pair) {
            continue;
        }
        rows.push(twinning_row(rng, pair, KINDS[made % KINDS.len()]));
        made += 1;
        if rows.len() == 500 {
            flush(conn, head, &mut rows)?;
        }
    }
    flush(conn, head, &mut rows)?;
    Ok(made)
}

/// The SQL values of one twinning: mostly active, some suspended or ended.
fn twinning_row(rng: &mut Rng, pair: (i64, i64), kind: &str) -> String {
    let start = random_date(rng, 1950, 75);
    let (status, ended) = match rng.below(100) {
        0..=84 => ("active", None),
        85..=94 => ("suspended", None),
        _ => (
            "ended",
            Some(format!(
                "{:04}",
                (start.year + 1 + rng.below(20) as i32).min(2025)
            )),
        ),
    };
    let history = format!("[{{\"status\":\"{status}\",\"since\":\"{start}\",\"reason\":null}}]");
    let mut row = String::new();
    let _ = write!(
        row,
        "({},{},'{kind}','{status}','{start}',{},{},{},'[]','{history}',{STAMP},{STAMP})",
        pair.0,
        pair.1,
        start.year,
        start.month_day(),
        ended.map_or("NULL".to_string(), |e| format!("'{e}'")),
    );
    row
}

/// Events on twinnings drawn towards the first (the big cities' ones).
fn add_events(conn: &mut DbConnection, rng: &mut Rng, count: usize) -> Result<()> {
    let all: Vec<(i64, i64, i64)> = twinnings::table
        .select((
            twinnings::id,
            twinnings::city_low_id,
            twinnings::city_high_id,
        ))
        .order(twinnings::id)
        .load(conn)?;
    let head = "INSERT INTO events (twinning_id, kind, from_city_id, to_city_id, mode, status, date, date_first, \
                date_last, title, languages, media_urls, created_at, updated_at)";
    let mut rows = Vec::with_capacity(1000);
    for i in 0..count {
        let twinning = all[rng.skewed(all.len(), 2)];
        rows.push(event_row(rng, twinning, i));
        if rows.len() == 1000 {
            flush(conn, head, &mut rows)?;
        }
    }
    flush(conn, head, &mut rows)
}

/// The SQL values of the `i`-th event, on `(twinning, low, high)`.
fn event_row(rng: &mut Rng, (twinning, low, high): (i64, i64, i64), i: usize) -> String {
    let (from, to) = if rng.below(2) == 0 {
        (low, high)
    } else {
        (high, low)
    };
    let date = random_date(rng, 1990, 36);
    let status = if rng.below(10) < 8 {
        "completed"
    } else {
        ["planned", "in_preparation", "postponed", "cancelled"][rng.below(4) as usize]
    };
    // One event in a thousand is also in Russian: a rare language.
    let languages = if i % 1000 == 7 {
        "[\"en\",\"ru\"]"
    } else {
        "[\"en\"]"
    };
    let mut row = String::new();
    let _ = write!(
        row,
        "({twinning},'{}',{from},{to},'virtual','{status}','{date}',{},{},'Exchange {i}','{languages}','[]',{STAMP},{STAMP})",
        EVENT_KINDS[i % EVENT_KINDS.len()],
        date.first_key(),
        date.last_key(),
    );
    row
}

/// What event writes keep beside the events: the language index of the
/// events after `after` and each twinning's last exchange.
fn derive(conn: &mut DbConnection, after: i64) -> Result<()> {
    let tags = match conn {
        DbConnection::Sqlite(_) => "json_each(e.languages) AS t",
        DbConnection::Postgres(_) => "json_array_elements_text(e.languages::json) AS t (value)",
    };
    conn.batch_execute(&format!(
        "INSERT INTO event_languages (language, event_id) SELECT DISTINCT lower(t.value), e.id FROM events e, {tags} WHERE e.id > {after}"
    ))?;
    conn.batch_execute(
        "UPDATE twinnings SET
            last_exchange = (SELECT e.date FROM events e WHERE e.twinning_id = twinnings.id AND e.status = 'completed'
                             ORDER BY e.date_last DESC, e.date_first DESC, e.id DESC LIMIT 1),
            last_exchange_last = (SELECT MAX(e.date_last) FROM events e WHERE e.twinning_id = twinnings.id AND e.status = 'completed');",
    )
}
