//! Twinnings in and out. A record names its cities by id, Wikidata id or
//! GeoNames id (`city_a_…`, `city_b_…`) and matches an existing twinning by
//! `id`, then by the pair.

use super::cities::CityIndex;
use super::fields::{Reasons, parse_enum};
use super::{ImportReport, Outcome, Record, Rejected, run};
use crate::changes::{self, Action, Entity};
use crate::db::DbConnection;
use crate::db::schema::twinnings;
use crate::error::{AppError, FieldError};
use crate::tokens::Principal;
use crate::twinnings::handlers::render;
use crate::twinnings::model::{
    NewTwinning, StatusChange, Twinning, TwinningKind, TwinningPatch, TwinningStatus,
};
use crate::twinnings::queries;
use crate::twinnings::validate::{validate_new, validate_patch};
use diesel::prelude::*;
use std::collections::HashMap;

pub const COLUMNS: [&str; 14] = [
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
];

/// The columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 10] = [
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
];

fn history(record: &Record, reasons: &mut Reasons) -> Option<Vec<StatusChange>> {
    if !record.has("status_history") {
        return None;
    }
    reasons.take(record.json::<Vec<StatusChange>>("status_history"))
}

fn one(
    conn: &mut DbConnection,
    row: crate::twinnings::model::TwinningRow,
) -> Result<Twinning, AppError> {
    render(conn, vec![row], crate::clock::today())?
        .pop()
        .ok_or_else(|| AppError::internal("twinning not rendered"))
}

fn import_one(
    conn: &mut DbConnection,
    record: &Record,
    cities: &CityIndex,
    pairs: &mut HashMap<(i64, i64), i64>,
    author: &Principal,
) -> Result<Outcome, AppError> {
    let mut reasons = Reasons::default();
    let id = reasons.take(record.int("id"));
    let a = cities.resolve(record, "city_a", &mut reasons);
    let b = cities.resolve(record, "city_b", &mut reasons);
    let history = history(record, &mut reasons);
    let (today, now) = (crate::clock::today(), crate::clock::now());
    let pair = a.zip(b).map(|(a, b)| (a.min(b), a.max(b)));
    let by_id = match id {
        Some(id) => twinnings::table
            .find(id)
            .select(twinnings::id)
            .first::<i64>(conn)
            .optional()?,
        None => None,
    };
    let existing = by_id.or_else(|| pair.and_then(|p| pairs.get(&p).copied()));
    match existing {
        Some(existing) => {
            let current = queries::find(conn, existing)?;
            if pair.is_some_and(|p| p != (current.city_low_id, current.city_high_id)) {
                reasons
                    .0
                    .push("the cities of an existing twinning cannot change".into());
            }
            let patch = TwinningPatch {
                kind: if record.has("kind") {
                    parse_enum::<TwinningKind>(record, "kind", &mut reasons)
                } else {
                    None
                },
                status: if record.has("status") {
                    parse_enum::<TwinningStatus>(record, "status", &mut reasons)
                } else {
                    None
                },
                status_since: None,
                status_reason: None,
                established: record
                    .has("established")
                    .then(|| reasons.take(record.text("established"))),
                ended: record
                    .has("ended")
                    .then(|| reasons.take(record.text("ended"))),
                notes: record
                    .has("notes")
                    .then(|| reasons.take(record.text("notes"))),
                source_urls: record
                    .has("source_urls")
                    .then(|| reasons.take(record.list("source_urls"))),
            };
            reasons.into_result()?;
            let mut values = validate_patch(&current, patch, today, now)?;
            if let Some(history) = history {
                values.status_history =
                    serde_json::to_string(&history).map_err(AppError::internal)?;
            }
            let unchanged = values.kind == current.kind
                && values.status == current.status
                && values.established == current.established
                && values.ended == current.ended
                && values.notes == current.notes
                && values.source_urls == current.source_urls
                && values.status_history == current.status_history;
            if unchanged {
                return Ok(Outcome::Skipped);
            }
            let before = one(conn, current)?;
            let row = queries::update(conn, existing, &values)?;
            let after = one(conn, row)?;
            changes::record(
                conn,
                author,
                Entity::Twinning,
                existing,
                Action::Update,
                Some(&before),
                Some(&after),
            )?;
            Ok(Outcome::Updated)
        }
        None => {
            let new = NewTwinning {
                city_ids: a.zip(b).map(|(a, b)| vec![a, b]),
                kind: parse_enum::<TwinningKind>(record, "kind", &mut reasons),
                established: reasons.take(record.text("established")),
                ended: reasons.take(record.text("ended")),
                status: parse_enum::<TwinningStatus>(record, "status", &mut reasons),
                status_since: None,
                status_reason: None,
                notes: reasons.take(record.text("notes")),
                source_urls: reasons.take(record.list("source_urls")).unwrap_or_default(),
            };
            reasons.into_result()?;
            let ids = new.city_ids.clone().unwrap_or_default();
            if new.kind.is_none() {
                return Err(AppError::validation(vec![FieldError::new(
                    "kind",
                    "is required",
                )]));
            }
            let mut values = validate_new(new, today, now)?;
            if let Some(history) = history {
                values.status_history =
                    serde_json::to_string(&history).map_err(AppError::internal)?;
            }
            let row = queries::insert(conn, &values, &ids, id)?;
            let created = one(conn, row)?;
            changes::record(
                conn,
                author,
                Entity::Twinning,
                created.id,
                Action::Create,
                None,
                Some(&created),
            )?;
            pairs.insert((values.city_low_id, values.city_high_id), created.id);
            Ok(Outcome::Created)
        }
    }
}

pub fn import(
    conn: &mut DbConnection,
    records: impl Iterator<Item = Result<Record, Rejected>>,
    all_or_nothing: bool,
    author: &Principal,
    progress: impl FnMut(&ImportReport),
) -> Result<ImportReport, AppError> {
    let cities = CityIndex::load(conn)?;
    let rows: Vec<(i64, i64, i64)> = twinnings::table
        .select((
            twinnings::id,
            twinnings::city_low_id,
            twinnings::city_high_id,
        ))
        .load(conn)?;
    let mut pairs: HashMap<(i64, i64), i64> =
        rows.into_iter().map(|(id, a, b)| ((a, b), id)).collect();
    run(
        conn,
        records,
        &COLUMNS,
        all_or_nothing,
        |conn, r| import_one(conn, r, &cities, &mut pairs, author),
        progress,
    )
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
        if t.source_urls.is_empty() {
            json!(null)
        } else {
            json!(t.source_urls)
        },
        json!(serde_json::to_string(&t.status_history).unwrap_or_default()),
    ]
}
