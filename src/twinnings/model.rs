//! Twinnings as stored, as sent and as returned.

use crate::changes::model::ChangeAuthor;
use crate::cities::model::City;
use crate::dates::PartialDate;
use crate::db::schema::twinnings;
use crate::db::text::JsonText;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of partnership the two cities agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TwinningKind {
    SisterCity,
    TwinTown,
    FriendshipCity,
    PartnerCity,
    Cooperation,
}

/// Where a partnership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TwinningStatus {
    Planned,
    Active,
    Suspended,
    Ended,
}

crate::text_enum!(TwinningKind {
    SisterCity = "sister_city",
    TwinTown = "twin_town",
    FriendshipCity = "friendship_city",
    PartnerCity = "partner_city",
    Cooperation = "cooperation",
});

crate::text_enum!(TwinningStatus {
    Planned = "planned",
    Active = "active",
    Suspended = "suspended",
    Ended = "ended",
});

/// Names the columns of a [`TwinningRow`] once, as a type and as a value.
macro_rules! row_columns {
    ($($column:ident),* $(,)?) => {
        /// The column types of a [`TwinningRow`], in its order: every column
        /// of `twinnings` but the countries its triggers keep for queries.
        pub type RowColumns = ($(twinnings::$column,)*);
        /// The columns of a [`TwinningRow`]. (A tuple, as `RETURNING` takes
        /// no `SelectBy` on a multi-backend connection.)
        pub const ROW: RowColumns = ($(twinnings::$column,)*);
    };
}

row_columns!(
    id,
    city_low_id,
    city_high_id,
    kind,
    status,
    established,
    established_year,
    established_md,
    ended,
    notes,
    source_urls,
    status_history,
    created_at,
    updated_at,
    last_exchange,
    last_exchange_last,
    confirmed_low,
    confirmed_high,
);

/// A row of `twinnings`, read with the columns of [`ROW`].
#[derive(Debug, Clone, Queryable)]
pub struct TwinningRow {
    pub id: i64,
    pub city_low_id: i64,
    pub city_high_id: i64,
    pub kind: TwinningKind,
    pub status: TwinningStatus,
    pub established: Option<PartialDate>,
    pub established_year: Option<i32>,
    pub established_md: i32,
    pub ended: Option<PartialDate>,
    pub notes: Option<String>,
    pub source_urls: JsonText<Vec<String>>,
    pub status_history: JsonText<Vec<StatusChange>>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_exchange: Option<PartialDate>,
    pub last_exchange_last: Option<i32>,
    pub confirmed_low: Option<JsonText<Confirmed>>,
    pub confirmed_high: Option<JsonText<Confirmed>>,
}

impl TwinningRow {
    /// The confirmation of `city_id`'s side (`None` when not one of the pair).
    pub fn confirmation_of(&self, city_id: i64) -> Option<Option<&Confirmed>> {
        if city_id == self.city_low_id {
            Some(self.confirmed_low.as_ref().map(|c| &c.0))
        } else if city_id == self.city_high_id {
            Some(self.confirmed_high.as_ref().map(|c| &c.0))
        } else {
            None
        }
    }
}

/// A city's confirmation of a twinning, as stored: when, and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmed {
    pub at: DateTime<Utc>,
    pub by: ChangeAuthor,
}

/// Where one city of the pair stands: a twinning is official once both have confirmed it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "city_id": 2, "confirmed": true, "confirmed_at": "2026-11-28T09:30:00Z",
    "confirmed_by": {"token_id": 3, "name": "Rochester international relations"}
}))]
pub struct Confirmation {
    pub city_id: i64,
    pub confirmed: bool,
    /// When the city confirmed; `null` until it has.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The token that confirmed (a city's staff, or an admin for the city).
    pub confirmed_by: Option<ChangeAuthor>,
}

/// A city as embedded in a twinning.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
#[schema(example = json!({"id": 1, "name": "Veliky Novgorod", "country_code": "RU"}))]
pub struct CitySummary {
    pub id: i64,
    pub name: String,
    pub country_code: String,
}

impl From<&crate::cities::model::CityRow> for CitySummary {
    fn from(city: &crate::cities::model::CityRow) -> CitySummary {
        CitySummary {
            id: city.id,
            name: city.name.clone(),
            country_code: city.country_code.clone(),
        }
    }
}

/// One entry of a twinning's status history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"status": "suspended", "since": "2022-03", "reason": "Exchanges paused by the city council"}))]
pub struct StatusChange {
    pub status: TwinningStatus,
    /// Since when (YYYY, YYYY-MM or YYYY-MM-DD), when known.
    #[schema(value_type = Option<String>, example = "2022-03")]
    pub since: Option<PartialDate>,
    pub reason: Option<String>,
    /// The city whose staff set this status; `null` when an admin or an import did.
    #[serde(default)]
    #[schema(example = 1)]
    pub by_city_id: Option<i64>,
}

/// The N-th anniversary of a twinning's start, at the start date's precision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"years": 40, "date": "2030"}))]
pub struct AnniversaryDate {
    pub years: i32,
    #[schema(value_type = String, example = "2030")]
    pub date: PartialDate,
}

/// A twinning: an unordered pair of cities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "cities": [
        {"id": 1, "name": "Veliky Novgorod", "country_code": "RU"},
        {"id": 2, "name": "Rochester", "country_code": "US"}
    ],
    "confirmations": [
        {"city_id": 1, "confirmed": true, "confirmed_at": "2026-11-27T08:00:00Z",
            "confirmed_by": {"token_id": 2, "name": "Veliky Novgorod international relations"}},
        {"city_id": 2, "confirmed": true, "confirmed_at": "2026-11-28T09:30:00Z",
            "confirmed_by": {"token_id": 3, "name": "Rochester international relations"}}
    ],
    "confirmed": true,
    "kind": "sister_city",
    "status": "active",
    "established": "1990",
    "ended": null,
    "status_history": [{"status": "active", "since": "1990", "reason": null, "by_city_id": 1}],
    "notes": "30th anniversary marked in 2020 with video greetings in Russian and English.",
    "source_urls": ["https://www.example.org/novgorod-rochester"],
    "next_anniversary": {"years": 37, "date": "2027"},
    "last_exchange": "2020-05",
    "created_at": "2026-11-27T08:00:00Z",
    "updated_at": "2026-11-27T08:00:00Z"
}))]
pub struct Twinning {
    pub id: i64,
    /// The two cities, by id.
    pub cities: Vec<CitySummary>,
    /// Each city's confirmation, in the order of `cities`.
    pub confirmations: Vec<Confirmation>,
    /// Both cities have confirmed: the twinning is official. Until then one side proposes it.
    pub confirmed: bool,
    pub kind: TwinningKind,
    pub status: TwinningStatus,
    /// Start: YYYY, YYYY-MM or YYYY-MM-DD, as precise as it is known.
    #[schema(value_type = Option<String>, example = "1990")]
    pub established: Option<PartialDate>,
    #[schema(value_type = Option<String>)]
    pub ended: Option<PartialDate>,
    /// Every status the twinning has had, oldest first.
    pub status_history: Vec<StatusChange>,
    pub notes: Option<String>,
    pub source_urls: Vec<String>,
    /// The next anniversary from today; `null` without a start date or once ended.
    pub next_anniversary: Option<AnniversaryDate>,
    /// Date of the latest completed exchange event, if any.
    #[schema(value_type = Option<String>, example = "2020-05")]
    pub last_exchange: Option<PartialDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A twinning to register.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "city_ids": [1, 2],
    "kind": "sister_city",
    "established": "1990",
    "notes": "Sister cities since 1990.",
    "source_urls": ["https://www.example.org/novgorod-rochester"]
}))]
pub struct NewTwinning {
    /// The two cities, in either order.
    #[schema(required = true, value_type = Vec<i64>, min_items = 2, max_items = 2)]
    pub city_ids: Option<Vec<i64>>,
    #[schema(required = true, value_type = TwinningKind)]
    pub kind: Option<TwinningKind>,
    /// Start: YYYY, YYYY-MM or YYYY-MM-DD. Not in the future unless `status` is `planned`.
    #[schema(example = "1990")]
    pub established: Option<String>,
    /// End: YYYY, YYYY-MM or YYYY-MM-DD; implies status `ended`.
    pub ended: Option<String>,
    /// Default `active` (`ended` when `ended` is given).
    pub status: Option<TwinningStatus>,
    /// When the status took effect (YYYY, YYYY-MM or YYYY-MM-DD).
    pub status_since: Option<String>,
    /// Why the status is what it is.
    pub status_reason: Option<String>,
    pub notes: Option<String>,
    /// http(s) links to sources.
    #[serde(default)]
    pub source_urls: Vec<String>,
}

/// Changes to a twinning: absent fields stay; `null` clears an optional one.
/// A new `status` is added to `status_history` with `status_since` and `status_reason`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "suspended", "status_since": "2022-03", "status_reason": "Exchanges paused by the city council"}))]
pub struct TwinningPatch {
    pub kind: Option<TwinningKind>,
    pub status: Option<TwinningStatus>,
    pub status_since: Option<String>,
    pub status_reason: Option<String>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub established: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub ended: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub source_urls: Option<Option<Vec<String>>>,
}

/// A validated twinning, ready to be written.
#[derive(Debug, Clone, PartialEq, AsChangeset, Insertable)]
#[diesel(
    table_name = crate::db::schema::twinnings,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct TwinningValues {
    pub city_low_id: i64,
    pub city_high_id: i64,
    pub kind: String,
    pub status: String,
    pub established: Option<String>,
    pub established_year: Option<i32>,
    pub established_md: i32,
    pub ended: Option<String>,
    pub notes: Option<String>,
    pub source_urls: String,
    pub status_history: String,
    pub updated_at: NaiveDateTime,
}

impl TwinningRow {
    /// The row as the values that would write it again.
    pub fn values(&self) -> Result<TwinningValues, serde_json::Error> {
        Ok(TwinningValues {
            city_low_id: self.city_low_id,
            city_high_id: self.city_high_id,
            kind: self.kind.as_str().to_string(),
            status: self.status.as_str().to_string(),
            established: self.established.map(|d| d.to_string()),
            established_year: self.established_year,
            established_md: self.established_md,
            ended: self.ended.map(|d| d.to_string()),
            notes: self.notes.clone(),
            source_urls: serde_json::to_string(&self.source_urls.0)?,
            status_history: serde_json::to_string(&self.status_history.0)?,
            updated_at: self.updated_at,
        })
    }
}

/// One page of twinnings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TwinningPage {
    pub items: Vec<Twinning>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A twinning seen from one of its cities, with the partner in full.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CityTwinning {
    #[serde(flatten)]
    pub twinning: Twinning,
    /// The other city of the pair.
    pub partner: City,
}

/// One page of a city's twinnings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CityTwinningPage {
    pub items: Vec<CityTwinning>,
    pub next_cursor: Option<String>,
}
