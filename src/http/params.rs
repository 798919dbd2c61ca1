//! Parsers of query parameters that several lists share: each answers 400
//! naming the parameter.

use crate::dates::PartialDate;
use crate::error::AppError;
use crate::validate::is_country_code;

/// An ISO 3166-1 alpha-2 country code, if given.
pub fn country(name: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    match value {
        Some(code) if !is_country_code(&code) => Err(AppError::invalid_parameter(
            name,
            "must be an ISO 3166-1 alpha-2 country code such as RU",
        )),
        other => Ok(other),
    }
}

/// A date of the form YYYY, YYYY-MM or YYYY-MM-DD, if given.
pub fn date(name: &str, value: Option<&str>) -> Result<Option<PartialDate>, AppError> {
    value
        .map(|v| PartialDate::parse(v).map_err(|m| AppError::invalid_parameter(name, m)))
        .transpose()
}
