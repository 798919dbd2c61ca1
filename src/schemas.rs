//! Value sets that the server checks against a list, published as named
//! schemas so that the document enumerates exactly what is accepted: a client
//! generated from it gets a union type, and a form can offer a choice.

use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// Codes outside ISO 3166-1 that registries of places use all the same:
/// `XK` (Kosovo), user-assigned, as GeoNames, Wikidata and the EU write it.
pub const USER_ASSIGNED_COUNTRY_CODES: [&str; 1] = ["XK"];

/// Every country code a city may have, sorted.
pub fn country_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = rust_iso3166::ALL_ALPHA2
        .iter()
        .copied()
        .chain(USER_ASSIGNED_COUNTRY_CODES)
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// An ISO 3166-1 alpha-2 country code (or `XK`), as the document names it.
pub struct CountryCode;

impl PartialSchema for CountryCode {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "An ISO 3166-1 alpha-2 country code in the current list, or `XK` (Kosovo, \
user-assigned, as GeoNames and Wikidata write it).",
            country_codes(),
            "RU",
        )
    }
}

impl ToSchema for CountryCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CountryCode")
    }
}

/// Every IANA time zone name the server knows, sorted.
pub fn time_zones() -> Vec<&'static str> {
    let mut zones: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    zones.sort_unstable();
    zones
}

/// An IANA time zone name, as the document names it.
pub struct TimeZone;

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "An IANA time zone name (tz database), written as the database writes it.",
            time_zones(),
            "Asia/Novosibirsk",
        )
    }
}

impl ToSchema for TimeZone {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeZone")
    }
}

/// A string schema that lists every value it takes.
fn string_enum(description: &str, values: Vec<&'static str>, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .examples([serde_json::json!(example)])
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn every_listed_country_code_is_accepted() {
        let codes = country_codes();
        assert!(codes.len() > 240, "{}", codes.len());
        for code in codes {
            assert!(crate::validate::is_country_code(code), "{code}");
        }
        assert!(!crate::validate::is_country_code("AA"));
    }

    #[test]
    fn every_listed_zone_is_accepted() {
        let zones = time_zones();
        assert!(zones.len() > 400, "{}", zones.len());
        for zone in zones {
            assert!(chrono_tz::Tz::from_str(zone).is_ok(), "{zone}");
        }
    }
}
