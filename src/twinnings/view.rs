//! From rows to the JSON a client gets: embedded cities, derived anniversaries.

use super::model::{
    AnniversaryDate, CitySummary, Twinning, TwinningKind, TwinningRow, TwinningStatus,
};
use crate::dates::PartialDate;
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

pub fn established(row: &TwinningRow) -> Option<PartialDate> {
    row.established
        .as_deref()
        .and_then(|d| PartialDate::parse(d).ok())
}

pub fn to_twinning(
    row: TwinningRow,
    cities: &HashMap<i64, CitySummary>,
    today: NaiveDate,
) -> Twinning {
    let summary = |id: i64| {
        cities.get(&id).cloned().unwrap_or(CitySummary {
            id,
            name: String::new(),
            country_code: String::new(),
        })
    };
    let status = TwinningStatus::from_text(&row.status).unwrap_or(TwinningStatus::Active);
    let established = established(&row);
    Twinning {
        id: row.id,
        cities: vec![summary(row.city_low_id), summary(row.city_high_id)],
        kind: TwinningKind::from_text(&row.kind).unwrap_or(TwinningKind::SisterCity),
        status,
        established,
        ended: row
            .ended
            .as_deref()
            .and_then(|d| PartialDate::parse(d).ok()),
        status_history: serde_json::from_str(&row.status_history).unwrap_or_default(),
        notes: row.notes,
        source_urls: serde_json::from_str(&row.source_urls).unwrap_or_default(),
        next_anniversary: established
            .filter(|_| status != TwinningStatus::Ended)
            .map(|d| next_anniversary(d, today)),
        last_exchange: row
            .last_exchange
            .as_deref()
            .and_then(|d| PartialDate::parse(d).ok()),
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

/// The city ids a set of twinnings refers to.
pub fn city_ids<'a>(rows: impl IntoIterator<Item = &'a TwinningRow>) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .into_iter()
        .flat_map(|r| [r.city_low_id, r.city_high_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
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
