//! From rows to the JSON a client gets: embedded cities, derived anniversaries.

use super::model::{
    AnniversaryDate, CitySummary, Confirmation, Confirmed, Twinning, TwinningRow, TwinningStatus,
};
use super::queries;
use crate::changes::{Audited, Entity};
use crate::dates::PartialDate;
use crate::db::{DbConnection, distinct_ids};
use crate::error::AppError;
use crate::tokens::Principal;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

/// The first anniversary whose date (at the start's precision) is not over by `today`.
pub fn next_anniversary(established: PartialDate, today: NaiveDate) -> AnniversaryDate {
    let mut years = (today.year() - established.year).max(1);
    loop {
        let date = established.plus_years(years);
        if date.last_day() >= today {
            return AnniversaryDate { years, date };
        }
        years += 1;
    }
}

/// Embeds the cities of each row (one query for the whole page).
pub fn render(
    conn: &mut DbConnection,
    rows: Vec<TwinningRow>,
    today: NaiveDate,
) -> Result<Vec<Twinning>, AppError> {
    let cities = queries::summaries(conn, &city_ids(&rows))?;
    rows.into_iter()
        .map(|r| to_twinning(r, &cities, today))
        .collect()
}

/// One twinning, rendered.
pub fn render_one(
    conn: &mut DbConnection,
    row: TwinningRow,
    today: NaiveDate,
) -> Result<Twinning, AppError> {
    let cities = queries::summaries(conn, &distinct_ids(pair(&row)))?;
    to_twinning(row, &cities, today)
}

impl Audited for Twinning {
    const ENTITY: Entity = Entity::Twinning;
    type Row = TwinningRow;

    fn lock(conn: &mut DbConnection, id: i64) -> Result<TwinningRow, AppError> {
        queries::lock(conn, id)?;
        queries::find(conn, id)
    }

    fn authorize(principal: &Principal, id: i64, row: &TwinningRow) -> Result<(), AppError> {
        principal.require_pair(row.city_low_id, row.city_high_id, &format!("twinning {id}"))
    }

    fn render(conn: &mut DbConnection, row: TwinningRow) -> Result<Twinning, AppError> {
        render_one(conn, row, crate::clock::today())
    }

    fn id(&self) -> i64 {
        self.id
    }
}

/// The city ids a set of twinnings refers to.
pub fn city_ids<'a>(rows: impl IntoIterator<Item = &'a TwinningRow>) -> Vec<i64> {
    distinct_ids(rows.into_iter().flat_map(pair))
}

fn pair(row: &TwinningRow) -> [i64; 2] {
    [row.city_low_id, row.city_high_id]
}

/// The embedded summary of a city that a row refers to. Foreign keys keep
/// every such city in place, so a missing one is an internal error.
pub fn summary(cities: &HashMap<i64, CitySummary>, id: i64) -> Result<CitySummary, AppError> {
    cities
        .get(&id)
        .cloned()
        .ok_or_else(|| AppError::internal(format!("city {id} of a stored row is missing")))
}

fn confirmation(city_id: i64, confirmed: Option<Confirmed>) -> Confirmation {
    Confirmation {
        city_id,
        confirmed: confirmed.is_some(),
        confirmed_at: confirmed.as_ref().map(|c| c.at),
        confirmed_by: confirmed.map(|c| c.by),
    }
}

pub fn to_twinning(
    row: TwinningRow,
    cities: &HashMap<i64, CitySummary>,
    today: NaiveDate,
) -> Result<Twinning, AppError> {
    let status = row.status;
    let confirmations = vec![
        confirmation(row.city_low_id, row.confirmed_low.map(|c| c.into_inner())),
        confirmation(row.city_high_id, row.confirmed_high.map(|c| c.into_inner())),
    ];
    Ok(Twinning {
        id: row.id,
        cities: vec![
            summary(cities, row.city_low_id)?,
            summary(cities, row.city_high_id)?,
        ],
        confirmed: confirmations.iter().all(|c| c.confirmed),
        confirmations,
        kind: row.kind,
        status,
        established: row.established,
        ended: row.ended,
        status_history: row.status_history.into_inner(),
        notes: row.notes,
        source_urls: row.source_urls.into_inner(),
        next_anniversary: row
            .established
            .filter(|_| status != TwinningStatus::Ended)
            .map(|d| next_anniversary(d, today)),
        last_exchange: row.last_exchange,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_year_precision_anniversary_is_next_until_its_year_is_over() {
        let next = next_anniversary(date("1990"), day(2020, 11, 27));
        assert_eq!(
            (next.years, next.date.to_string()),
            (30, "2020".to_string())
        );
        let next = next_anniversary(date("1990"), day(2021, 1, 1));
        assert_eq!(
            (next.years, next.date.to_string()),
            (31, "2021".to_string())
        );
    }

    #[test]
    fn a_day_precision_anniversary_moves_to_next_year_once_passed() {
        let next = next_anniversary(date("1990-05-17"), day(2020, 5, 17));
        assert_eq!(next.date.to_string(), "2020-05-17");
        let next = next_anniversary(date("1990-05-17"), day(2020, 5, 18));
        assert_eq!(
            (next.years, next.date.to_string()),
            (31, "2021-05-17".to_string())
        );
    }

    #[test]
    fn the_first_anniversary_of_a_future_start_is_one_year_after_it() {
        let next = next_anniversary(date("2030-06"), day(2026, 11, 27));
        assert_eq!(
            (next.years, next.date.to_string()),
            (1, "2031-06".to_string())
        );
    }
}
