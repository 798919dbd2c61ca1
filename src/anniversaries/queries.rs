//! Anniversaries in a date window: for each calendar year of the window, the
//! active twinnings whose age that year is a multiple of `every`, in
//! calendar order.

use crate::db::DbConnection;
use crate::db::schema::twinnings;
use crate::twinnings::model::TwinningRow;
use crate::twinnings::queries::Condition;
use chrono::{Datelike, NaiveDate};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use std::collections::HashMap;

use crate::error::AppError;

/// Sort key of an anniversary: year it falls in, MMDD of the start, twinning id.
pub type AnniversaryKey = (i32, i32, i64);

pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub every: i32,
}

fn month_day(date: NaiveDate) -> i32 {
    i32::try_from(date.month() * 100 + date.day()).unwrap_or(0)
}

/// The MMDD of the last start remembered on `date`: in a common year a
/// 29 February start is remembered on 28 February, so a window ending then
/// takes 0229 in.
fn last_month_day(date: NaiveDate) -> i32 {
    let md = month_day(date);
    if md == 228 && !date.leap_year() {
        229
    } else {
        md
    }
}

/// Up to `limit` anniversaries after `after`, in date order, each with the year it falls in.
///
/// Each year of the window reads, for each start year whose age that year
/// is a multiple of `every`, the first rows of that start year from the
/// (status, start year, MMDD, id) index, and merges them: at most `limit`
/// rows per start year, however few anniversaries a year has. With a filter
/// (a city, a country, a kind) the twinnings it leaves are read once instead,
/// three numbers a twinning, and the years are walked over them in memory. (A walk of one index per year, as this was once done, read every
/// active twinning again for each year with few anniversaries: 3 s.)
pub fn list(
    conn: &mut DbConnection,
    window: &Window,
    conditions: impl Fn() -> Vec<Condition>,
    after: Option<AnniversaryKey>,
    limit: i64,
) -> Result<Vec<(i32, TwinningRow)>, AppError> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let filters = conditions();
    let picked = if filters.is_empty() {
        by_start_year(conn, window, after, limit)?
    } else {
        let mut candidates = filtered(conn, window, filters)?;
        candidates.sort_unstable_by_key(|c| (c.2, c.0));
        pick(&candidates, window, after, limit)
    };
    // A twinning may have several anniversaries in the window: read it once.
    let ids = crate::db::distinct_ids(picked.iter().map(|(_, id)| *id));
    let rows: HashMap<i64, TwinningRow> = twinnings::table
        .filter(twinnings::id.eq_any(&ids))
        .select(crate::twinnings::model::ROW)
        .load::<TwinningRow>(conn)?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    Ok(picked
        .into_iter()
        .filter_map(|(year, id)| rows.get(&id).map(|row| (year, row.clone())))
        .collect())
}

/// The active twinnings that `conditions` leave, as walk candidates. (Read
/// instead a start year at a time with the filter, a broad one cost 15 times
/// as much: SQLite evaluates a country's city list again for every start year.)
fn filtered(
    conn: &mut DbConnection,
    window: &Window,
    conditions: Vec<Condition>,
) -> Result<Vec<Candidate>, AppError> {
    let active: Condition = match conn {
        // Without statistics SQLite would walk the status index over every
        // active twinning; the unary `+` lets the filters' indexes lead.
        DbConnection::Sqlite(_) => Box::new(sql::<Bool>("+twinnings.status = 'active'")),
        DbConnection::Postgres(_) => Box::new(twinnings::status.eq("active")),
    };
    let mut query = twinnings::table
        .select((
            twinnings::id,
            twinnings::established_year.assume_not_null(),
            twinnings::established_md,
        ))
        .filter(active)
        .filter(twinnings::established_year.lt(window.to.year()))
        .into_boxed();
    for condition in conditions {
        query = query.filter(condition);
    }
    Ok(query.load(conn)?)
}

/// The anniversaries of every active twinning, a year at a time, from the
/// first rows of each start year that counts that year.
fn by_start_year(
    conn: &mut DbConnection,
    window: &Window,
    after: Option<AnniversaryKey>,
    limit: usize,
) -> Result<Vec<(i32, i64)>, AppError> {
    if let DbConnection::Postgres(pg) = conn {
        return by_start_year_on_postgres(pg, window, after, limit);
    }
    let starts = start_years(conn, window.to.year())?;
    let mut found: Vec<(i32, i64)> = Vec::new();
    let first_year = after.map_or(window.from.year(), |k| k.0.max(window.from.year()));
    for year in first_year..=window.to.year() {
        let wanted = limit.saturating_sub(found.len());
        if wanted == 0 {
            break;
        }
        let mut candidates: Vec<Candidate> = Vec::new();
        for &start in starts
            .iter()
            .filter(|&&s| s < year && (year - s) % window.every == 0)
        {
            let mut query = twinnings::table
                .filter(twinnings::status.eq("active"))
                .filter(twinnings::established_year.eq(start))
                .select((twinnings::id, twinnings::established_md))
                .into_boxed();
            for condition in year_part(window, year, after) {
                query = query.filter(condition);
            }
            let rows: Vec<(i64, i32)> = query
                .order((twinnings::established_md.asc(), twinnings::id.asc()))
                .limit(i64::try_from(wanted).unwrap_or(i64::MAX))
                .load(conn)?;
            candidates.extend(rows.into_iter().map(|(id, md)| (id, start, md)));
        }
        candidates.sort_unstable_by_key(|c| (c.2, c.0));
        found.extend(pick_year(&candidates, window, year, after, wanted));
    }
    Ok(found)
}

/// A row of [`by_start_year_on_postgres`]'s statement.
#[derive(QueryableByName)]
struct StartRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    start: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    md: i32,
}

/// A start year, as the recursive walk finds it.
#[derive(QueryableByName)]
struct StartYear {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    start: i32,
}

/// [`by_start_year`] on PostgreSQL, where every statement is a round trip
/// (one per start year per year of the window made a year's window 90 of
/// them, 40 ms): the start years come from one statement (a recursive walk
/// of the index), then each year of the window the walk reaches takes one
/// statement. When many start years count that year (`every` small), it
/// walks the (status, MMDD, id) index in calendar order and keeps the rows of
/// the right age: about `every` rows read per anniversary. When few count,
/// it reads the first rows of each of them from the (status, start year,
/// MMDD, id) index, as SQLite does, in one statement (a lateral join). A
/// year's window: two statements. Every value in them is a number the
/// server computed.
fn by_start_year_on_postgres(
    pg: &mut diesel::PgConnection,
    window: &Window,
    after: Option<AnniversaryKey>,
    limit: usize,
) -> Result<Vec<(i32, i64)>, AppError> {
    let before = window.to.year();
    let starts: Vec<StartYear> = diesel::sql_query(format!(
        "WITH RECURSIVE walk(start) AS ( \
           SELECT min(established_year) FROM twinnings \
             WHERE status = 'active' AND established_year < {before} \
           UNION ALL \
           SELECT (SELECT min(established_year) FROM twinnings \
             WHERE status = 'active' AND established_year > walk.start \
             AND established_year < {before}) \
           FROM walk WHERE walk.start IS NOT NULL) \
         SELECT start FROM walk WHERE start IS NOT NULL"
    ))
    .load(pg)?;
    let mut found: Vec<(i32, i64)> = Vec::new();
    let first_year = after.map_or(window.from.year(), |k| k.0.max(window.from.year()));
    for year in first_year..=window.to.year() {
        let wanted = limit.saturating_sub(found.len());
        if wanted == 0 {
            break;
        }
        let counting: Vec<String> = starts
            .iter()
            .map(|s| s.start)
            .filter(|&start| start < year && (year - start) % window.every == 0)
            .map(|start| start.to_string())
            .collect();
        if counting.is_empty() {
            continue;
        }
        let mut conditions = vec!["status = 'active'".to_string()];
        conditions.extend(year_part_sql(window, year, after));
        let conditions = conditions.join(" AND ");
        let statement = if counting.len() * counting.len() > starts.len() {
            format!(
                "SELECT id, established_year AS start, established_md AS md FROM twinnings \
                 WHERE {conditions} AND established_year < {year} \
                 AND ({year} - established_year) % {every} = 0 \
                 ORDER BY established_md, id LIMIT {wanted}",
                every = window.every
            )
        } else {
            format!(
                "SELECT p.id, p.start, p.md FROM unnest(ARRAY[{}]::int[]) AS starts(start), \
                 LATERAL (SELECT id, established_year AS start, established_md AS md \
                   FROM twinnings WHERE {conditions} AND established_year = starts.start \
                   ORDER BY established_md, id LIMIT {wanted}) AS p \
                 ORDER BY p.md, p.id LIMIT {wanted}",
                counting.join(",")
            )
        };
        let rows: Vec<StartRow> = diesel::sql_query(statement).load(pg)?;
        let candidates: Vec<Candidate> = rows.into_iter().map(|r| (r.id, r.start, r.md)).collect();
        // The exact checks of a year (precision, cursor) stay `pick_year`'s.
        found.extend(pick_year(&candidates, window, year, after, wanted));
    }
    Ok(found)
}

/// [`year_part`] as SQL text, of numbers only.
fn year_part_sql(window: &Window, year: i32, after: Option<AnniversaryKey>) -> Vec<String> {
    let mut part = Vec::new();
    if year == window.from.year() {
        let from_md = month_day(window.from);
        part.push(format!(
            "(established_md = 0 OR established_md = {} OR established_md >= {from_md})",
            from_md / 100 * 100
        ));
    }
    if year == window.to.year() {
        part.push(format!("established_md <= {}", last_month_day(window.to)));
    }
    if let Some((after_year, after_md, after_id)) = after
        && after_year == year
    {
        part.push(format!(
            "(established_md > {after_md} OR (established_md = {after_md} AND id > {after_id}))"
        ));
    }
    part
}

/// The start years of active twinnings before `before`, found by seeking
/// the index to the next one each time (a few dozen seeks), where DISTINCT
/// read every active twinning's entry.
fn start_years(conn: &mut DbConnection, before: i32) -> Result<Vec<i32>, AppError> {
    let mut starts = Vec::new();
    let mut after = i32::MIN;
    loop {
        let next: Option<i32> = twinnings::table
            .filter(twinnings::status.eq("active"))
            .filter(twinnings::established_year.gt(after))
            .filter(twinnings::established_year.lt(before))
            .select(diesel::dsl::min(twinnings::established_year))
            .first(conn)?;
        match next {
            Some(year) => {
                starts.push(year);
                after = year;
            }
            None => return Ok(starts),
        }
    }
}

/// The part of a start year's rows that `year` takes, exactly as
/// [`pick_year`] checks it (a looser bound would let rows it then drops use
/// up the limit): the window's first and last days, and the cursor.
fn year_part(window: &Window, year: i32, after: Option<AnniversaryKey>) -> Vec<Condition> {
    let md = twinnings::established_md;
    let mut part: Vec<Condition> = Vec::new();
    if year == window.from.year() {
        // A year-precision start (MMDD 0) counts if its year is in the
        // window, a month-precision one (MM00) if its month is.
        let from_md = month_day(window.from);
        part.push(Box::new(
            md.eq(0).or(md.eq(from_md / 100 * 100)).or(md.ge(from_md)),
        ));
    }
    if year == window.to.year() {
        part.push(Box::new(md.le(last_month_day(window.to))));
    }
    if let Some((after_year, after_md, after_id)) = after
        && after_year == year
    {
        part.push(Box::new(
            md.gt(after_md)
                .or(md.eq(after_md).and(twinnings::id.gt(after_id))),
        ));
    }
    part
}

/// A twinning as the walk needs it: id, start year, MMDD of the start.
type Candidate = (i64, i32, i32);

/// The first `limit` anniversaries of `candidates` (sorted by MMDD, id) in
/// the window after `after`, as (year, twinning id).
fn pick(
    candidates: &[Candidate],
    window: &Window,
    after: Option<AnniversaryKey>,
    limit: usize,
) -> Vec<(i32, i64)> {
    let mut found = Vec::new();
    let first_year = after.map_or(window.from.year(), |k| k.0.max(window.from.year()));
    for year in first_year..=window.to.year() {
        let wanted = limit.saturating_sub(found.len());
        if wanted == 0 {
            break;
        }
        found.extend(pick_year(candidates, window, year, after, wanted));
    }
    found
}

/// The first `limit` anniversaries in `year` of `candidates` (sorted by MMDD, id).
fn pick_year(
    candidates: &[Candidate],
    window: &Window,
    year: i32,
    after: Option<AnniversaryKey>,
    limit: usize,
) -> Vec<(i32, i64)> {
    let from_md = month_day(window.from);
    let to_md = last_month_day(window.to);
    let mut found = Vec::new();
    for &(id, start, md) in candidates {
        if found.len() >= limit {
            break;
        }
        if start >= year || (year - start) % window.every != 0 {
            continue;
        }
        // A year-precision start counts if its year is in the window, a
        // month-precision one if its month is.
        if year == window.from.year()
            && !(md == 0 || (md % 100 == 0 && md >= from_md / 100 * 100) || md >= from_md)
        {
            continue;
        }
        if year == window.to.year() && md > to_md {
            continue;
        }
        if let Some((after_year, after_md, after_id)) = after
            && after_year == year
            && (md, id) <= (after_md, after_id)
        {
            continue;
        }
        found.push((year, id));
    }
    found
}
