//! Anniversaries in a date window, computed by the database: for each calendar
//! year of the window, the active twinnings whose age that year is a multiple
//! of `every`, walked in calendar order on the (status, MMDD, id) index.

use crate::db::DbConnection;
use crate::db::schema::twinnings;
use crate::twinnings::model::TwinningRow;
use crate::twinnings::queries::Condition;
use chrono::{Datelike, NaiveDate};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};

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
pub fn list(
    conn: &mut DbConnection,
    window: &Window,
    conditions: impl Fn() -> Vec<Condition>,
    after: Option<AnniversaryKey>,
    limit: i64,
) -> Result<Vec<(i32, TwinningRow)>, AppError> {
    let mut found = Vec::new();
    let first_year = after.map_or(window.from.year(), |k| k.0.max(window.from.year()));
    for year in first_year..=window.to.year() {
        let wanted = limit - i64::try_from(found.len()).unwrap_or(limit);
        if wanted <= 0 {
            break;
        }
        let mut query = twinnings::table
            .into_boxed()
            .filter(twinnings::status.eq("active"))
            .filter(twinnings::established_year.lt(year))
            .filter(
                sql::<Bool>("((")
                    .bind::<Integer, _>(year)
                    .sql(" - twinnings.established_year) % ")
                    .bind::<Integer, _>(window.every)
                    .sql(") = 0"),
            );
        if year == window.from.year() {
            // A year-precision start counts if its year is in the window, a
            // month-precision one if its month is. The unary `+` keeps SQLite
            // from reading each alternative as an index range of its own and
            // sorting the union (it did so once ANALYZE had run: 0.29 s for a
            // year instead of 6 ms); the walk in index order stays.
            let from_md = month_day(window.from);
            query = query.filter(
                sql::<Bool>("(+twinnings.established_md = 0 OR (+twinnings.established_md % 100 = 0 AND +twinnings.established_md >= ")
                    .bind::<Integer, _>(from_md / 100 * 100)
                    .sql(") OR +twinnings.established_md >= ")
                    .bind::<Integer, _>(from_md)
                    .sql(")"),
            );
        }
        if year == window.to.year() {
            query = query.filter(twinnings::established_md.le(last_month_day(window.to)));
        }
        if let Some((after_year, after_md, after_id)) = after
            && after_year == year
        {
            query = query.filter(
                twinnings::established_md
                    .gt(after_md)
                    .or(twinnings::established_md
                        .eq(after_md)
                        .and(twinnings::id.gt(after_id))),
            );
        }
        for condition in conditions() {
            query = query.filter(condition);
        }
        let rows: Vec<TwinningRow> = query
            .order((twinnings::established_md.asc(), twinnings::id.asc()))
            .limit(wanted)
            .load(conn)?;
        found.extend(rows.into_iter().map(|row| (year, row)));
    }
    Ok(found)
}
