//! Cities as stored, as sent and as returned.

use crate::db::schema::cities;
use crate::db::text::JsonText;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A row of `cities`.
#[derive(Debug, Clone, Queryable)]
pub struct CityRow {
    pub id: i64,
    pub name: String,
    pub names: JsonText<BTreeMap<String, String>>,
    pub alternate_names: JsonText<Vec<String>>,
    pub country_code: String,
    pub subdivision_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub population: Option<i64>,
    pub timezone: Option<String>,
    pub wikidata_id: Option<String>,
    pub geonames_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A city.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "name": "Veliky Novgorod",
    "names": {"ru": "Великий Новгород", "en": "Veliky Novgorod"},
    "alternate_names": ["Novgorod", "Velikiy Novgorod"],
    "country_code": "RU",
    "subdivision_code": "RU-NGR",
    "latitude": 58.52131,
    "longitude": 31.27104,
    "population": 222868,
    "timezone": "Europe/Moscow",
    "wikidata_id": null,
    "geonames_id": 519336,
    "created_at": "2026-11-27T08:00:00Z",
    "updated_at": "2026-11-27T08:00:00Z"
}))]
pub struct City {
    pub id: i64,
    /// The name as commonly written in English.
    pub name: String,
    /// Native and other names keyed by BCP 47 language tag.
    pub names: BTreeMap<String, String>,
    /// Other names without a language tag (as GeoNames lists them).
    pub alternate_names: Vec<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    /// ISO 3166-2, e.g. `US-NY`.
    pub subdivision_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub population: Option<i64>,
    /// IANA time zone name.
    pub timezone: Option<String>,
    /// Wikidata item id, e.g. `Q49218`.
    pub wikidata_id: Option<String>,
    /// GeoNames feature id.
    pub geonames_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CityRow> for City {
    fn from(row: CityRow) -> City {
        City {
            id: row.id,
            name: row.name,
            names: row.names.into_inner(),
            alternate_names: row.alternate_names.into_inner(),
            country_code: row.country_code,
            subdivision_code: row.subdivision_code,
            latitude: row.latitude,
            longitude: row.longitude,
            population: row.population,
            timezone: row.timezone,
            wikidata_id: row.wikidata_id,
            geonames_id: row.geonames_id,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// A city to create. Only `name` and `country_code` are required.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Novosibirsk",
    "names": {"ru": "Новосибирск"},
    "country_code": "RU",
    "subdivision_code": "RU-NVS",
    "latitude": 55.02259,
    "longitude": 82.93175,
    "population": 1612833,
    "timezone": "Asia/Novosibirsk",
    "wikidata_id": "Q883",
    "geonames_id": 1496747
}))]
pub struct NewCity {
    /// The name as commonly written in English (1–200 characters).
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Names keyed by BCP 47 language tag, e.g. `{"ja": "札幌市"}`.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    #[serde(default)]
    pub alternate_names: Vec<String>,
    #[schema(required = true, value_type = crate::schemas::CountryCode)]
    pub country_code: Option<String>,
    #[schema(pattern = "^[A-Z]{2}-[A-Z0-9]{1,3}$", example = "RU-NVS")]
    pub subdivision_code: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    #[schema(minimum = 0)]
    pub population: Option<i64>,
    #[schema(value_type = Option<crate::schemas::TimeZone>)]
    pub timezone: Option<String>,
    #[schema(pattern = "^Q[1-9][0-9]{0,17}$", example = "Q883")]
    pub wikidata_id: Option<String>,
    #[schema(minimum = 1)]
    pub geonames_id: Option<i64>,
}

/// Changes to a city: absent fields stay as they are, `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"population": 1633595, "subdivision_code": null}))]
pub struct CityPatch {
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub names: Option<Option<BTreeMap<String, String>>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub alternate_names: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = crate::schemas::CountryCode)]
    pub country_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, pattern = "^[A-Z]{2}-[A-Z0-9]{1,3}$")]
    pub subdivision_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<f64>, minimum = -90, maximum = 90)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<f64>, minimum = -180, maximum = 180)]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub population: Option<Option<i64>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<crate::schemas::TimeZone>)]
    pub timezone: Option<Option<String>>,
    /// Imports match cities by it: only an admin token may set or change it (403 otherwise).
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, pattern = "^Q[1-9][0-9]{0,17}$")]
    pub wikidata_id: Option<Option<String>>,
    /// Imports match cities by it: only an admin token may set or change it (403 otherwise).
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub geonames_id: Option<Option<i64>>,
}

fn set<T>(target: &mut Option<T>, change: Option<Option<T>>) {
    if let Some(value) = change {
        *target = value;
    }
}

impl CityPatch {
    /// The city as it would be after this patch, to be validated as a whole.
    /// A `null` for a required field stays `None` and fails validation.
    pub fn apply(self, city: City) -> NewCity {
        let mut draft = NewCity::from(city);
        set(&mut draft.name, self.name);
        set(&mut draft.country_code, self.country_code);
        if let Some(names) = self.names {
            draft.names = names.unwrap_or_default();
        }
        if let Some(alternate) = self.alternate_names {
            draft.alternate_names = alternate.unwrap_or_default();
        }
        set(&mut draft.subdivision_code, self.subdivision_code);
        set(&mut draft.latitude, self.latitude);
        set(&mut draft.longitude, self.longitude);
        set(&mut draft.population, self.population);
        set(&mut draft.timezone, self.timezone);
        set(&mut draft.wikidata_id, self.wikidata_id);
        set(&mut draft.geonames_id, self.geonames_id);
        draft
    }
}

/// A validated city, ready to be written.
#[derive(Debug, Clone, PartialEq, AsChangeset, Insertable)]
#[diesel(
    table_name = cities,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct CityValues {
    pub name: String,
    pub names: String,
    pub alternate_names: String,
    pub country_code: String,
    pub subdivision_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub population: Option<i64>,
    pub timezone: Option<String>,
    pub wikidata_id: Option<String>,
    pub geonames_id: Option<i64>,
    pub updated_at: NaiveDateTime,
}

/// A city as the body that would create it again, to change and validate whole.
impl From<City> for NewCity {
    fn from(city: City) -> NewCity {
        NewCity {
            name: Some(city.name),
            names: city.names,
            alternate_names: city.alternate_names,
            country_code: Some(city.country_code),
            subdivision_code: city.subdivision_code,
            latitude: city.latitude,
            longitude: city.longitude,
            population: city.population,
            timezone: city.timezone,
            wikidata_id: city.wikidata_id,
            geonames_id: city.geonames_id,
        }
    }
}

/// A city in a list: all of it but its alternate names, which GeoNames lists
/// by the hundred for big cities. GET the city itself for those.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "name": "Novosibirsk", "names": {"ru": "Новосибирск"}, "country_code": "RU",
    "subdivision_code": "RU-NVS", "latitude": 55.02259, "longitude": 82.93175, "population": 1612833,
    "timezone": "Asia/Novosibirsk", "wikidata_id": "Q883", "geonames_id": 1496747,
    "created_at": "2026-11-27T08:00:00Z", "updated_at": "2026-11-27T08:00:00Z"
}))]
pub struct CityListItem {
    pub id: i64,
    pub name: String,
    pub names: BTreeMap<String, String>,
    pub country_code: String,
    pub subdivision_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub population: Option<i64>,
    pub timezone: Option<String>,
    pub wikidata_id: Option<String>,
    pub geonames_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CityRow> for CityListItem {
    fn from(row: CityRow) -> CityListItem {
        CityListItem {
            id: row.id,
            name: row.name,
            names: row.names.into_inner(),
            country_code: row.country_code,
            subdivision_code: row.subdivision_code,
            latitude: row.latitude,
            longitude: row.longitude,
            population: row.population,
            timezone: row.timezone,
            wikidata_id: row.wikidata_id,
            geonames_id: row.geonames_id,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// One page of cities.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CityPage {
    pub items: Vec<CityListItem>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
