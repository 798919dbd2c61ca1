//! The rules a city must meet, checked all at once.

use super::model::{CityValues, NewCity};
use super::search;
use crate::error::AppError;
use crate::validate::{Errors, MAX_NAME_CHARS};
use chrono::NaiveDateTime;
use std::collections::BTreeMap;
use std::str::FromStr;

pub const MAX_NAMES: usize = 200;
/// GeoNames' longest lists hold a few hundred names.
pub const MAX_ALTERNATE_NAMES: usize = 500;
/// Distinct search words of all of a city's names: each is a row of the search index.
pub const MAX_SEARCH_WORDS: usize = 2000;

/// A city checked and cleaned, with the words of its names for the search index.
pub struct ValidCity {
    pub values: CityValues,
    pub tokens: Vec<String>,
}

pub fn validate(mut city: NewCity, now: NaiveDateTime) -> Result<ValidCity, AppError> {
    let mut e = Errors::default();
    let name = e
        .required("name", city.name.take())
        .map(|n| e.text("name", &n, MAX_NAME_CHARS))
        .unwrap_or_default();

    let names = names(&mut e, std::mem::take(&mut city.names));
    let alternate_names = alternate_names(&mut e, &city.alternate_names);
    let country_code = e.required("country_code", city.country_code.take());
    if let Some(code) = &country_code {
        e.country_code("country_code", code);
    }
    let country_code = country_code.unwrap_or_default();

    subdivision(&mut e, &country_code, city.subdivision_code.as_deref());
    position(&mut e, city.latitude, city.longitude);
    if let Some(population) = city.population
        && population < 0
    {
        e.add("population", "must not be negative");
    }
    identifiers(&mut e, &city);
    let tokens: Vec<String> = search::tokens(
        std::iter::once(name.as_str())
            .chain(names.values().map(String::as_str))
            .chain(alternate_names.iter().map(String::as_str)),
    )
    .into_iter()
    .collect();
    if tokens.len() > MAX_SEARCH_WORDS {
        e.add(
            "alternate_names",
            format!(
                "the names hold {} distinct words; at most {MAX_SEARCH_WORDS}",
                tokens.len()
            ),
        );
    }
    if !e.is_empty() {
        return Err(AppError::validation(e.0));
    }
    Ok(ValidCity {
        values: CityValues {
            name,
            names: serde_json::to_string(&names).map_err(AppError::internal)?,
            alternate_names: serde_json::to_string(&alternate_names).map_err(AppError::internal)?,
            country_code,
            subdivision_code: city.subdivision_code,
            latitude: city.latitude,
            longitude: city.longitude,
            population: city.population,
            timezone: city.timezone,
            wikidata_id: city.wikidata_id,
            geonames_id: city.geonames_id,
            updated_at: now,
        },
        tokens,
    })
}

fn names(e: &mut Errors, given: BTreeMap<String, String>) -> BTreeMap<String, String> {
    if given.len() > MAX_NAMES {
        e.add("names", format!("must have at most {MAX_NAMES} entries"));
    }
    let mut names = BTreeMap::new();
    for (tag, value) in given {
        let field = format!("names.{tag}");
        e.language_tag(&field, &tag);
        names.insert(tag, e.text(&field, &value, MAX_NAME_CHARS));
    }
    names
}

/// The alternate names, trimmed, each once.
fn alternate_names(e: &mut Errors, given: &[String]) -> Vec<String> {
    if given.len() > MAX_ALTERNATE_NAMES {
        e.add(
            "alternate_names",
            format!("must have at most {MAX_ALTERNATE_NAMES} entries"),
        );
    }
    let mut alternate_names = Vec::with_capacity(given.len());
    for (i, value) in given.iter().enumerate() {
        let value = e.text(&format!("alternate_names[{i}]"), value, MAX_NAME_CHARS);
        if !alternate_names.contains(&value) {
            alternate_names.push(value);
        }
    }
    alternate_names
}

/// An ISO 3166-2 code of the city's own country.
fn subdivision(e: &mut Errors, country_code: &str, code: Option<&str>) {
    let Some(code) = code else { return };
    if country_code.is_empty() {
        // Reported on country_code already.
    } else if !code.starts_with(&format!("{country_code}-")) {
        e.add(
            "subdivision_code",
            format!("must start with the country code, as in `{country_code}-…`"),
        );
    } else if rust_iso3166::iso3166_2::from_code(code).is_none() {
        e.add(
            "subdivision_code",
            format!("`{code}` is not an ISO 3166-2 code"),
        );
    }
}

/// Coordinates come as a pair, within their ranges.
/// Each coordinate in its range, whether or not the other is given (a rule
/// between fields never hides a field's own), then both or neither.
fn position(e: &mut Errors, latitude: Option<f64>, longitude: Option<f64>) {
    if let Some(lat) = latitude {
        e.range("latitude", lat, -90.0, 90.0);
    }
    if let Some(lon) = longitude {
        e.range("longitude", lon, -180.0, 180.0);
    }
    match (latitude, longitude) {
        (Some(_), None) => e.add("longitude", "is required when latitude is given"),
        (None, Some(_)) => e.add("latitude", "is required when longitude is given"),
        _ => {}
    }
}

/// The time zone, the Wikidata id and the GeoNames id, when given.
fn identifiers(e: &mut Errors, city: &NewCity) {
    if let Some(tz) = &city.timezone
        && chrono_tz::Tz::from_str(tz).is_err()
    {
        e.add(
            "timezone",
            format!("`{tz}` is not an IANA time zone name (e.g. Asia/Tokyo)"),
        );
    }
    if let Some(q) = &city.wikidata_id {
        let digits = q.strip_prefix('Q').unwrap_or("");
        let valid = !digits.is_empty()
            && !digits.starts_with('0')
            && digits.len() <= 18
            && digits.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            e.add("wikidata_id", "must be `Q` followed by digits, e.g. Q883");
        }
    }
    if let Some(id) = city.geonames_id
        && id < 1
    {
        e.add("geonames_id", "must be a positive integer");
    }
}
