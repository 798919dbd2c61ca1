//! Dates of reduced precision (ISO 8601 `YYYY`, `YYYY-MM`, `YYYY-MM-DD`), as
//! registries know them: many only the year, some the month, some the day.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    Year,
    Month,
    Day,
}

/// A year, a month or a day. Returned exactly as precise as it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    pub year: i32,
    /// 1–12, when known.
    pub month: Option<u32>,
    /// 1–31, when known (only with a month).
    pub day: Option<u32>,
}

impl PartialDate {
    pub fn parse(text: &str) -> Result<PartialDate, String> {
        let invalid = || format!("`{text}` is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let number = |part: &str, len: usize| -> Option<u32> {
            (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        };
        let year = parts
            .first()
            .and_then(|p| number(p, 4))
            .ok_or_else(invalid)?;
        if year == 0 {
            return Err(format!("`{text}`: there is no year 0000"));
        }
        let year = i32::try_from(year).map_err(|_| invalid())?;
        let (month, day) = match parts.len() {
            1 => (None, None),
            2 => (Some(number(parts[1], 2).ok_or_else(invalid)?), None),
            3 => (
                Some(number(parts[1], 2).ok_or_else(invalid)?),
                Some(number(parts[2], 2).ok_or_else(invalid)?),
            ),
            _ => return Err(invalid()),
        };
        if let Some(m) = month
            && !(1..=12).contains(&m)
        {
            return Err(format!("`{text}`: there is no month {m:02}"));
        }
        if let (Some(m), Some(d)) = (month, day)
            && NaiveDate::from_ymd_opt(year, m, d).is_none()
        {
            return Err(format!("`{text}` is not a day of the calendar"));
        }
        Ok(PartialDate { year, month, day })
    }

    pub fn from_date(date: NaiveDate) -> PartialDate {
        PartialDate {
            year: date.year(),
            month: Some(date.month()),
            day: Some(date.day()),
        }
    }

    pub fn precision(&self) -> Precision {
        match (self.month, self.day) {
            (None, _) => Precision::Year,
            (Some(_), None) => Precision::Month,
            (Some(_), Some(_)) => Precision::Day,
        }
    }

    /// Month and day as MMDD, 00 for what is unknown: 0 for a year, 0500 for May.
    pub fn month_day(&self) -> i32 {
        let month = self.month.unwrap_or(0);
        let day = self.day.unwrap_or(0);
        i32::try_from(month * 100 + day).unwrap_or(0)
    }

    /// Rebuilds a date from its year and MMDD (as stored).
    pub fn from_parts(year: i32, month_day: i32) -> PartialDate {
        let month = u32::try_from(month_day / 100).ok().filter(|m| *m > 0);
        let day = u32::try_from(month_day % 100).ok().filter(|d| *d > 0);
        PartialDate {
            year,
            month,
            day: month.and(day),
        }
    }

    /// The first day of the period.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
            .unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period.
    pub fn last_day(&self) -> NaiveDate {
        match (self.month, self.day) {
            (Some(m), Some(d)) => NaiveDate::from_ymd_opt(self.year, m, d),
            (Some(m), None) => NaiveDate::from_ymd_opt(self.year, m, 1)
                .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
                .and_then(|next| next.pred_opt()),
            _ => NaiveDate::from_ymd_opt(self.year, 12, 31),
        }
        .unwrap_or(NaiveDate::MAX)
    }

    /// The first day of the period as a YYYYMMDD number (for ordering in SQL).
    pub fn first_key(&self) -> i32 {
        day_key(self.first_day())
    }

    /// The last day of the period as a YYYYMMDD number.
    pub fn last_key(&self) -> i32 {
        day_key(self.last_day())
    }

    /// The same month and day (as far as known) `years` later. A 29 February
    /// falls on 28 February in years that have none.
    pub fn plus_years(&self, years: i32) -> PartialDate {
        let year = self.year + years;
        let day = match (self.month, self.day) {
            (Some(2), Some(29)) if NaiveDate::from_ymd_opt(year, 2, 29).is_none() => Some(28),
            _ => self.day,
        };
        PartialDate {
            year,
            month: self.month,
            day,
        }
    }

    /// Compares two dates at the coarser of their precisions: `1990` and
    /// `1990-05` are equal, `1990-05` is before `1990-06-01`.
    pub fn cmp_coarse(&self, other: &PartialDate) -> Ordering {
        let month = |d: &PartialDate, o: &PartialDate| d.month.filter(|_| o.month.is_some());
        let day = |d: &PartialDate, o: &PartialDate| d.day.filter(|_| o.day.is_some());
        (self.year, month(self, other), day(self, other)).cmp(&(
            other.year,
            month(other, self),
            day(other, self),
        ))
    }
}

/// A day as a YYYYMMDD number.
pub fn day_key(date: NaiveDate) -> i32 {
    date.year() * 10_000 + i32::try_from(date.month() * 100 + date.day()).unwrap_or(0)
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PartialDate, D::Error> {
        let text = String::deserialize(deserializer)?;
        PartialDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_the_precision_they_were_given() {
        for text in ["1990", "1990-05", "1990-05-17", "0836"] {
            assert_eq!(PartialDate::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for text in [
            "2021-02-30",
            "1990-13",
            "0000-00-00",
            "99999-01-01",
            "1990-5",
            "1990-05-",
            "",
            "19x0",
            "2021-02-29",
        ] {
            assert!(PartialDate::parse(text).is_err(), "{text}");
        }
        assert!(PartialDate::parse("2020-02-29").is_ok());
    }

    #[test]
    fn a_29_february_anniversary_falls_on_28_february_in_common_years() {
        let leap = PartialDate::parse("1988-02-29").unwrap();
        assert_eq!(leap.plus_years(30).to_string(), "2018-02-28");
        assert_eq!(leap.plus_years(32).to_string(), "2020-02-29");
    }

    #[test]
    fn periods_have_a_first_and_a_last_day() {
        let feb = PartialDate::parse("2020-02").unwrap();
        assert_eq!(feb.first_day().to_string(), "2020-02-01");
        assert_eq!(feb.last_day().to_string(), "2020-02-29");
        assert_eq!(
            PartialDate::parse("1990").unwrap().last_day().to_string(),
            "1990-12-31"
        );
    }

    #[test]
    fn coarse_comparison_uses_the_common_precision() {
        let d = |t| PartialDate::parse(t).unwrap();
        assert_eq!(d("1990").cmp_coarse(&d("1990-05")), Ordering::Equal);
        assert_eq!(d("1990-05").cmp_coarse(&d("1990-06-01")), Ordering::Less);
        assert_eq!(d("1991").cmp_coarse(&d("1990-12-31")), Ordering::Greater);
    }

    #[test]
    fn month_day_round_trips() {
        for text in ["1990", "1990-05", "1990-05-17"] {
            let d = PartialDate::parse(text).unwrap();
            assert_eq!(PartialDate::from_parts(d.year, d.month_day()), d);
        }
    }
}
