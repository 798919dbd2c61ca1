//! The time stamps the registry stores: UTC, to the microsecond, the precision
//! both databases keep, so a value reads back exactly as it was written.

use chrono::{NaiveDateTime, SubsecRound, Utc};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Today's date in UTC.
pub fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}
