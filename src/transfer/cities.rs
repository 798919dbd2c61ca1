//! Cities in and out. A record matches an existing city by `id`, then by
//! `wikidata_id`, then by `geonames_id`, so importing again updates rather
//! than duplicates. Columns the file lacks keep their values.

use super::fields::Reasons;
use super::{Lenient, Outcome, Record};
use crate::changes::audit;
use crate::cities::model::{City, CityRow, NewCity};
use crate::cities::queries;
use crate::cities::validate::{ValidCity, validate};
use crate::db::DbConnection;
use crate::db::schema::cities;
use crate::error::{AppError, ErrorCode};
use crate::tokens::Principal;
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

pub const COLUMNS: [&str; 12] = [
    "id",
    "name",
    "names",
    "alternate_names",
    "country_code",
    "subdivision_code",
    "latitude",
    "longitude",
    "population",
    "timezone",
    "wikidata_id",
    "geonames_id",
];

/// The ids by which records find existing cities.
#[derive(Default)]
pub struct CityIndex {
    pub ids: HashSet<i64>,
    pub wikidata: HashMap<String, i64>,
    pub geonames: HashMap<i64, i64>,
}

impl CityIndex {
    pub fn load(conn: &mut DbConnection) -> Result<CityIndex, AppError> {
        let rows: Vec<(i64, Option<String>, Option<i64>)> = cities::table
            .select((cities::id, cities::wikidata_id, cities::geonames_id))
            .load(conn)?;
        let mut index = CityIndex::default();
        for (id, wikidata, geonames) in rows {
            index.add(id, wikidata, geonames);
        }
        Ok(index)
    }

    fn add(&mut self, id: i64, wikidata: Option<String>, geonames: Option<i64>) {
        self.ids.insert(id);
        if let Some(q) = wikidata {
            self.wikidata.insert(q, id);
        }
        if let Some(g) = geonames {
            self.geonames.insert(g, id);
        }
    }

    fn forget(&mut self, city: &City) {
        if let Some(q) = &city.wikidata_id {
            self.wikidata.remove(q);
        }
        if let Some(g) = city.geonames_id {
            self.geonames.remove(&g);
        }
    }

    /// The city a record names by `city_…_id`, `…_wikidata_id` or `…_geonames_id`.
    pub fn resolve(&self, record: &Record, prefix: &str, reasons: &mut Reasons) -> Option<i64> {
        let id = reasons.take(record.int(&format!("{prefix}_id")));
        let wikidata = reasons.take(record.text(&format!("{prefix}_wikidata_id")));
        let geonames = reasons.take(record.int(&format!("{prefix}_geonames_id")));
        let found = match (id, &wikidata, geonames) {
            (Some(id), _, _) => self.ids.contains(&id).then_some(id),
            (None, Some(q), _) => self.wikidata.get(q).copied(),
            (None, None, Some(g)) => self.geonames.get(&g).copied(),
            (None, None, None) => {
                reasons.0.push(format!(
                    "{prefix}: give {prefix}_id, {prefix}_wikidata_id or {prefix}_geonames_id"
                ));
                return None;
            }
        };
        if found.is_none() {
            let given = id
                .map(|i| format!("id {i}"))
                .or(wikidata.map(|q| format!("wikidata_id {q}")))
                .or(geonames.map(|g| format!("geonames_id {g}")));
            reasons.0.push(format!(
                "{prefix}: there is no city with {}",
                given.unwrap_or_default()
            ));
        }
        found
    }
}

/// Overwrites the draft with every column the record has.
fn apply(record: &Record, draft: &mut NewCity, reasons: &mut Reasons) {
    let r = record;
    if r.has("name") {
        draft.name = reasons.take(r.text("name"));
    }
    if r.has("names") {
        draft.names = reasons
            .take(r.json::<BTreeMap<String, String>>("names"))
            .unwrap_or_default();
    }
    if r.has("alternate_names") {
        draft.alternate_names = reasons.take(r.list("alternate_names")).unwrap_or_default();
    }
    if r.has("country_code") {
        draft.country_code = reasons.take(r.text("country_code"));
    }
    if r.has("subdivision_code") {
        draft.subdivision_code = reasons.take(r.text("subdivision_code"));
    }
    if r.has("latitude") {
        draft.latitude = reasons.take(r.float("latitude"));
    }
    if r.has("longitude") {
        draft.longitude = reasons.take(r.float("longitude"));
    }
    if r.has("population") {
        draft.population = reasons.take(r.int("population"));
    }
    if r.has("timezone") {
        draft.timezone = reasons.take(r.text("timezone"));
    }
    if r.has("wikidata_id") {
        draft.wikidata_id = reasons.take(r.text("wikidata_id"));
    }
    if r.has("geonames_id") {
        draft.geonames_id = reasons.take(r.int("geonames_id"));
    }
}

/// A record matched by an external id that would change both the city's
/// name and its country names another place: a conflict, not an overwrite.
fn same_place(before: &City, draft: &NewCity) -> Result<(), AppError> {
    let name = draft.name.as_deref().unwrap_or("").trim();
    let country = draft.country_code.as_deref().unwrap_or("").trim();
    if name != before.name && country != before.country_code {
        return Err(AppError::conflict(
            ErrorCode::CityExists,
            format!(
                "its external id matches city {} ({}, {}), which this record would rename to {}, {}; not overwritten (give `id` to change the city on purpose)",
                before.id, before.name, before.country_code, name, country
            ),
        ));
    }
    Ok(())
}

/// Another city already has the record's external id.
fn taken(index: &CityIndex, valid: &ValidCity, own: Option<i64>) -> Result<(), AppError> {
    let clash = |other: Option<&i64>, what: String| match other {
        Some(other) if Some(*other) != own => Err(AppError::conflict(
            ErrorCode::CityExists,
            format!("{what} belongs to city {other}"),
        )),
        _ => Ok(()),
    };
    if let Some(q) = &valid.values.wikidata_id {
        clash(index.wikidata.get(q), format!("wikidata_id {q}"))?;
    }
    if let Some(g) = valid.values.geonames_id {
        clash(index.geonames.get(&g), format!("geonames_id {g}"))?;
    }
    Ok(())
}

/// The API's check, except that unless `strict` a bad entry of
/// `alternate_names` or `names` (GeoNames holds a few, such as one of
/// Ottawa's) is dropped and noted instead of costing the whole city.
fn validate_lenient(
    mut draft: NewCity,
    now: chrono::NaiveDateTime,
    lenient: &mut Lenient,
) -> Result<ValidCity, AppError> {
    let error = match validate(draft.clone(), now) {
        Ok(valid) => return Ok(valid),
        Err(error) => error,
    };
    enum Entry {
        Alternate(usize),
        Name(String),
    }
    let entry = |field: &str| {
        if let Some(i) = field
            .strip_prefix("alternate_names[")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            i.parse().ok().map(Entry::Alternate)
        } else {
            field
                .strip_prefix("names.")
                .map(|tag| Entry::Name(tag.to_string()))
        }
    };
    let entries: Option<Vec<(Entry, &crate::error::FieldError)>> = error
        .errors
        .iter()
        .map(|e| entry(&e.field).map(|entry| (entry, e)))
        .collect();
    let Some(mut entries) = entries.filter(|e| !lenient.strict && !e.is_empty()) else {
        return Err(error);
    };
    // From the last index down, so that each removal leaves the others' places.
    entries.sort_by_key(|(entry, _)| match entry {
        Entry::Alternate(i) => std::cmp::Reverse(*i),
        Entry::Name(_) => std::cmp::Reverse(usize::MAX),
    });
    let mut seen = HashSet::new();
    for (entry, e) in entries {
        // A value may break two rules: it is dropped once.
        if !seen.insert(e.field.clone()) {
            continue;
        }
        let value = match entry {
            Entry::Alternate(i) if i < draft.alternate_names.len() => {
                Some(draft.alternate_names.remove(i))
            }
            Entry::Alternate(_) => None,
            Entry::Name(tag) => draft.names.remove(&tag).map(|v| format!("{tag}: {v}")),
        };
        if let Some(value) = value {
            let shown = value.escape_debug().to_string();
            lenient
                .dropped
                .push((e.field.clone(), shown, e.message.clone()));
        }
    }
    validate(draft, now)
}

pub(super) fn import_one(
    conn: &mut DbConnection,
    record: &Record,
    index: &mut CityIndex,
    author: &Principal,
    lenient: &mut Lenient,
) -> Result<Outcome, AppError> {
    let mut reasons = Reasons::default();
    let id = reasons.take(record.int("id"));
    let wikidata = reasons.take(record.text("wikidata_id"));
    let geonames = reasons.take(record.int("geonames_id"));
    let now = crate::clock::now();
    if id.is_some_and(|id| !(1..=super::MAX_ID).contains(&id)) {
        reasons.0.push(super::id_range_reason());
    }
    let by_id = id.filter(|id| index.ids.contains(id));
    let existing = by_id
        .or_else(|| {
            wikidata
                .as_ref()
                .and_then(|q| index.wikidata.get(q).copied())
        })
        .or_else(|| geonames.and_then(|g| index.geonames.get(&g).copied()));
    match existing {
        Some(existing) => {
            let before = City::from(queries::find(conn, existing)?);
            let mut draft = NewCity::from(before.clone());
            apply(record, &mut draft, &mut reasons);
            reasons.into_result()?;
            if by_id.is_none() {
                same_place(&before, &draft)?;
            }
            let valid = validate_lenient(draft, now, lenient)?;
            taken(index, &valid, Some(existing))?;
            let mut current = validate(NewCity::from(before.clone()), now)?.values;
            current.updated_at = valid.values.updated_at;
            if current == valid.values {
                return Ok(Outcome::Skipped);
            }
            index.forget(&before);
            let row = queries::update(conn, existing, &valid)?;
            let after = audit::replaced(conn, author, before, row)?;
            index.add(existing, after.wikidata_id.clone(), after.geonames_id);
            Ok(Outcome::Updated)
        }
        None => {
            let mut draft = NewCity::default();
            apply(record, &mut draft, &mut reasons);
            reasons.into_result()?;
            let valid = validate_lenient(draft, now, lenient)?;
            taken(index, &valid, None)?;
            let created: CityRow = queries::insert_row(conn, &valid, id)?;
            let created = audit::created::<City>(conn, author, created)?;
            index.add(created.id, created.wikidata_id.clone(), created.geonames_id);
            Ok(Outcome::Created)
        }
    }
}

/// One city as an export record, in the order of `COLUMNS`.
pub fn export_record(city: &City) -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!(city.id),
        json!(city.name),
        json!(city.names),
        json!(city.alternate_names),
        json!(city.country_code),
        json!(city.subdivision_code),
        json!(city.latitude),
        json!(city.longitude),
        json!(city.population),
        json!(city.timezone),
        json!(city.wikidata_id),
        json!(city.geonames_id),
    ]
}
