//! Twinnings in and out. A record names its cities by id, Wikidata id or
//! GeoNames id (`city_a_…`, `city_b_…`) and matches an existing twinning by
//! `id`, then by the pair.

use super::cities::CityIndex;
use super::fields::{Reasons, parse_enum};
use super::{Outcome, Record};
use crate::changes::audit;
use crate::changes::model::ChangeAuthor;
use crate::db::DbConnection;
use crate::db::schema::twinnings;
use crate::error::{AppError, ErrorCode, FieldError};
use crate::tokens::Principal;
use crate::twinnings::model::{
    Confirmed, NewTwinning, StatusChange, Twinning, TwinningKind, TwinningPatch, TwinningRow,
    TwinningStatus, TwinningValues,
};
use crate::twinnings::queries;
use crate::twinnings::validate::{validate_new, validate_patch};
use crate::twinnings::view::render_one;
use diesel::prelude::*;
use std::collections::HashMap;

pub const COLUMNS: [&str; 16] = [
    "id",
    "city_a_id",
    "city_b_id",
    "city_a_wikidata_id",
    "city_b_wikidata_id",
    "city_a_geonames_id",
    "city_b_geonames_id",
    "kind",
    "status",
    "established",
    "ended",
    "notes",
    "source_urls",
    "status_history",
    "city_a_confirmed",
    "city_b_confirmed",
];

/// The columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 12] = [
    "id",
    "city_a_id",
    "city_b_id",
    "kind",
    "status",
    "established",
    "ended",
    "notes",
    "source_urls",
    "status_history",
    "city_a_confirmed",
    "city_b_confirmed",
];

fn history(record: &Record, reasons: &mut Reasons) -> Option<Vec<StatusChange>> {
    if !record.has("status_history") {
        return None;
    }
    reasons.take(record.json::<Vec<StatusChange>>("status_history"))
}

/// The fields a record gives, as a patch of an existing twinning.
fn patch_of(record: &Record, reasons: &mut Reasons) -> TwinningPatch {
    let text = |reasons: &mut Reasons, column: &str| {
        record
            .has(column)
            .then(|| reasons.take(record.text(column)))
    };
    TwinningPatch {
        kind: record
            .has("kind")
            .then(|| parse_enum::<TwinningKind>(record, "kind", reasons))
            .flatten(),
        status: record
            .has("status")
            .then(|| parse_enum::<TwinningStatus>(record, "status", reasons))
            .flatten(),
        status_since: None,
        status_reason: None,
        established: text(reasons, "established"),
        ended: text(reasons, "ended"),
        notes: text(reasons, "notes"),
        source_urls: record
            .has("source_urls")
            .then(|| reasons.take(record.list("source_urls"))),
    }
}

/// The fields a record gives, as a new twinning of `a` and `b`.
fn new_of(record: &Record, pair: Option<(i64, i64)>, reasons: &mut Reasons) -> NewTwinning {
    NewTwinning {
        city_ids: pair.map(|(a, b)| vec![a, b]),
        kind: parse_enum::<TwinningKind>(record, "kind", reasons),
        established: reasons.take(record.text("established")),
        ended: reasons.take(record.text("ended")),
        status: parse_enum::<TwinningStatus>(record, "status", reasons),
        status_since: None,
        status_reason: None,
        notes: reasons.take(record.text("notes")),
        source_urls: reasons.take(record.list("source_urls")).unwrap_or_default(),
    }
}

/// A record's `status_history` replaces the one the rules would keep.
fn with_history(
    mut values: TwinningValues,
    history: Option<Vec<StatusChange>>,
) -> Result<TwinningValues, AppError> {
    if let Some(history) = history {
        values.status_history = serde_json::to_string(&history).map_err(AppError::internal)?;
    }
    Ok(values)
}

/// What one record names: its id, its pair, its history and which of its
/// cities confirm it (`city_a_confirmed`, `city_b_confirmed`; none given
/// keeps what is stored).
struct Named {
    id: Option<i64>,
    pair: Option<(i64, i64)>,
    history: Option<Vec<StatusChange>>,
    confirmed: [Option<bool>; 2],
}

impl Named {
    /// Each named side's wanted confirmation: city `a` of the record, or,
    /// when the record names no cities, the twinning's first city (as exported).
    fn sides(&self, stored: Option<(i64, i64)>) -> Vec<(i64, bool)> {
        let Some((a, b)) = self.pair.or(stored) else {
            return Vec::new();
        };
        [a, b]
            .into_iter()
            .zip(self.confirmed)
            .filter_map(|(city, wanted)| Some((city, wanted?)))
            .collect()
    }
}

/// Sets each side's confirmation as the record wants it, where it differs.
fn confirm_sides(
    conn: &mut DbConnection,
    mut row: TwinningRow,
    sides: &[(i64, bool)],
    author: &Principal,
    now: chrono::NaiveDateTime,
) -> Result<TwinningRow, AppError> {
    let confirmed = Confirmed {
        at: now.and_utc(),
        by: ChangeAuthor::of(author),
    };
    for &(city, wanted) in sides {
        let is = matches!(row.confirmation_of(city), Some(Some(_)));
        if is != wanted {
            row = queries::set_confirmation(conn, &row, city, wanted.then_some(&confirmed), now)?;
        }
    }
    Ok(row)
}

pub(super) fn import_one(
    conn: &mut DbConnection,
    record: &Record,
    known: &mut Pairs,
    author: &Principal,
) -> Result<Outcome, AppError> {
    let Pairs {
        cities,
        pairs,
        in_file,
    } = known;
    let mut reasons = Reasons::default();
    let id = reasons.take(record.int("id"));
    if id.is_some_and(|id| !(1..=super::MAX_ID).contains(&id)) {
        reasons.0.push(super::id_range_reason());
    }
    let by_id = match id {
        Some(id) => twinnings::table
            .find(id)
            .select(twinnings::id)
            .first::<i64>(conn)
            .optional()?,
        None => None,
    };
    // A record of an existing twinning by `id` may leave its cities out.
    let resolve = |prefix: &str, reasons: &mut Reasons| {
        if by_id.is_some() && !names_city(record, prefix) {
            None
        } else {
            cities.resolve(record, prefix, reasons)
        }
    };
    let a = resolve("city_a", &mut reasons);
    let b = resolve("city_b", &mut reasons);
    let named = Named {
        id,
        pair: a.zip(b),
        history: history(record, &mut reasons),
        confirmed: ["city_a_confirmed", "city_b_confirmed"]
            .map(|column| reasons.take(record.boolean(column))),
    };
    let ordered = named.pair.map(|(a, b)| (a.min(b), a.max(b)));
    let existing = by_id.or_else(|| ordered.and_then(|p| pairs.get(&p).copied()));
    if let Some(first) = existing.and_then(|id| in_file.get(&id)) {
        return Err(AppError::conflict(
            ErrorCode::TwinningExists,
            format!(
                "a duplicate of line {first}: the file gives the same twinning twice (in either order); only the first was imported"
            ),
        ));
    }
    let (outcome, twinning) = match existing {
        Some(existing) => (
            update(conn, record, existing, named, reasons, author)?,
            existing,
        ),
        None => create(conn, record, named, reasons, pairs, author)?,
    };
    in_file.insert(twinning, record.line);
    Ok(outcome)
}

/// Whether the record gives any column naming the city `prefix`.
fn names_city(record: &Record, prefix: &str) -> bool {
    ["_id", "_wikidata_id", "_geonames_id"]
        .iter()
        .any(|suffix| {
            record
                .fields
                .get(&format!("{prefix}{suffix}"))
                .is_some_and(|v| !v.is_null())
        })
}

fn update(
    conn: &mut DbConnection,
    record: &Record,
    existing: i64,
    named: Named,
    mut reasons: Reasons,
    author: &Principal,
) -> Result<Outcome, AppError> {
    let current = queries::find(conn, existing)?;
    let ordered = named.pair.map(|(a, b)| (a.min(b), a.max(b)));
    if ordered.is_some_and(|p| p != (current.city_low_id, current.city_high_id)) {
        reasons
            .0
            .push("the cities of an existing twinning cannot change".into());
    }
    let patch = patch_of(record, &mut reasons);
    reasons.into_result()?;
    let (today, now) = (crate::clock::today(), crate::clock::now());
    let sides = named.sides(Some((current.city_low_id, current.city_high_id)));
    let values = with_history(
        validate_patch(&current, patch, today, now, None)?,
        named.history,
    )?;
    let mut stored = current.values().map_err(AppError::internal)?;
    stored.updated_at = values.updated_at;
    let confirmations_stay = sides
        .iter()
        .all(|&(city, wanted)| matches!(current.confirmation_of(city), Some(Some(_))) == wanted);
    if values == stored && confirmations_stay {
        return Ok(Outcome::Skipped);
    }
    let before = render_one(conn, current, today)?;
    let row = queries::update(conn, existing, &values)?;
    let row = confirm_sides(conn, row, &sides, author, now)?;
    audit::replaced(conn, author, before, row)?;
    Ok(Outcome::Updated)
}

fn create(
    conn: &mut DbConnection,
    record: &Record,
    named: Named,
    mut reasons: Reasons,
    pairs: &mut HashMap<(i64, i64), i64>,
    author: &Principal,
) -> Result<(Outcome, i64), AppError> {
    let new = new_of(record, named.pair, &mut reasons);
    reasons.into_result()?;
    if new.kind.is_none() {
        return Err(AppError::validation(vec![FieldError::new(
            "kind",
            "is required",
        )]));
    }
    let ids = new.city_ids.clone().unwrap_or_default();
    let (today, now) = (crate::clock::today(), crate::clock::now());
    let sides = named.sides(None);
    let values = with_history(validate_new(new, today, now, None)?, named.history)?;
    let row = queries::insert(conn, &values, &ids, named.id)?;
    let row = confirm_sides(conn, row, &sides, author, now)?;
    let created = audit::created::<Twinning>(conn, author, row)?;
    pairs.insert((values.city_low_id, values.city_high_id), created.id);
    Ok((Outcome::Created, created.id))
}

/// The cities by their ids and the pairs already twinned, to match records by.
pub struct Pairs {
    cities: CityIndex,
    pairs: HashMap<(i64, i64), i64>,
    /// The twinnings this file has written so far, with the line that did.
    in_file: HashMap<i64, u64>,
}

impl Pairs {
    pub fn load(conn: &mut DbConnection) -> Result<Pairs, AppError> {
        let rows: Vec<(i64, i64, i64)> = twinnings::table
            .select((
                twinnings::id,
                twinnings::city_low_id,
                twinnings::city_high_id,
            ))
            .load(conn)?;
        Ok(Pairs {
            cities: CityIndex::load(conn)?,
            pairs: rows.into_iter().map(|(id, a, b)| ((a, b), id)).collect(),
            in_file: HashMap::new(),
        })
    }
}

/// One twinning as an export record, in the order of `EXPORT_COLUMNS`.
pub fn export_record(t: &Twinning) -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!(t.id),
        json!(t.cities.first().map(|c| c.id)),
        json!(t.cities.get(1).map(|c| c.id)),
        json!(t.kind),
        json!(t.status),
        json!(t.established),
        json!(t.ended),
        json!(t.notes),
        json!(t.source_urls),
        json!(t.status_history),
        json!(t.confirmations.first().map(|c| c.confirmed)),
        json!(t.confirmations.get(1).map(|c| c.confirmed)),
    ]
}
