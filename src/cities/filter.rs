//! The filter of the city list and its map: search words and a country.

use super::queries::{CityFilter, CityKey};
use super::search;
use crate::error::AppError;
use crate::http::params;

const MAX_QUERY_WORDS: usize = 8;

/// Checks `q` and `country` of a city list; `None` when `q` has no word
/// that a name could match (only punctuation), so the answer is empty.
pub fn city_filter(
    q: Option<&str>,
    country: Option<String>,
    after: Option<CityKey>,
    limit: i64,
) -> Result<Option<CityFilter>, AppError> {
    let words: Vec<String> = match q {
        Some(q) if q.chars().count() > 200 => {
            return Err(AppError::invalid_parameter(
                "q",
                "must be at most 200 characters",
            ));
        }
        Some(q) => search::words(q).collect(),
        None => Vec::new(),
    };
    if words.len() > MAX_QUERY_WORDS {
        return Err(AppError::invalid_parameter(
            "q",
            format!("must have at most {MAX_QUERY_WORDS} words"),
        ));
    }
    let country = params::country("country", country)?;
    if q.is_some() && words.is_empty() {
        return Ok(None);
    }
    Ok(Some(CityFilter {
        words,
        country,
        after,
        limit,
    }))
}
