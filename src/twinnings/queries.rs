//! The diesel queries of twinnings; each runs on either backend.

use super::model::{CitySummary, Confirmed, TwinningRow, TwinningValues};
use crate::cities::model::CityRow;
use crate::dates::PartialDate;
use crate::db::DbConnection;
use crate::db::schema::{cities, twinnings};
use crate::error::{AppError, ErrorCode, FieldError};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Bool;
use std::collections::HashMap;

type Backend = <DbConnection as Connection>::Backend;
pub type Condition = Box<dyn BoxableExpression<twinnings::table, Backend, SqlType = Bool>>;

/// Locks the twinning's row until the transaction ends (PostgreSQL). Writes
/// to a twinning's events lock it first too, always before any event row.
pub fn lock(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    diesel::update(twinnings::table.find(id))
        .set(twinnings::id.eq(twinnings::id))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<TwinningRow, AppError> {
    row(conn, id)?.ok_or_else(|| AppError::not_found("twinning", id))
}

/// The twinning's row, if there is one: the point lookup behind [`find`]
/// and small pages.
fn row(conn: &mut DbConnection, id: i64) -> Result<Option<TwinningRow>, AppError> {
    Ok(crate::on_backend!(conn, |c| twinnings::table
        .find(id)
        .select(crate::twinnings::model::ROW)
        .first(c)
        .optional())?)
}

/// Id, name and country of each city, for embedding.
pub fn summaries(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, CitySummary>, AppError> {
    if ids.len() <= 2 {
        // One twinning or event: point lookups whose statement is prepared
        // once, where an `IN` list is parsed and planned on every call.
        let mut found = HashMap::new();
        for &id in ids {
            let city: Option<CitySummary> = crate::on_backend!(conn, |c| cities::table
                .find(id)
                .select((cities::id, cities::name, cities::country_code))
                .first(c)
                .optional())?;
            found.extend(city.map(|c| (c.id, c)));
        }
        return Ok(found);
    }
    let found: Vec<CitySummary> = crate::load_by_ids!(
        conn,
        cities::table.select((cities::id, cities::name, cities::country_code)),
        cities::id,
        ids
    )?;
    Ok(found.into_iter().map(|c| (c.id, c)).collect())
}

pub fn full_cities(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, CityRow>, AppError> {
    if ids.len() <= POINT_LOOKUPS {
        // A page of a few: point lookups whose statement is prepared once.
        let mut found = HashMap::new();
        for &id in ids {
            let city: Option<CityRow> =
                crate::on_backend!(conn, |c| cities::table.find(id).first(c).optional())?;
            found.extend(city.map(|c| (c.id, c)));
        }
        return Ok(found);
    }
    let found: Vec<CityRow> = crate::load_by_ids!(conn, cities::table, cities::id, ids)?;
    Ok(found.into_iter().map(|c| (c.id, c)).collect())
}

/// Up to this many rows by id are read one prepared point lookup each: an
/// `IN` list is parsed and planned again on every call.
const POINT_LOOKUPS: usize = 4;

/// Inserts a twinning; `city_ids` as the client sent them, to name the unknown one.
pub fn insert(
    conn: &mut DbConnection,
    values: &TwinningValues,
    city_ids: &[i64],
    id: Option<i64>,
) -> Result<TwinningRow, AppError> {
    let known = summaries(conn, city_ids)?;
    let unknown: Vec<FieldError> = city_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !known.contains_key(id))
        .map(|(i, id)| {
            FieldError::new(
                format!("city_ids[{i}]"),
                format!("there is no city with id {id}"),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::validation(unknown));
    }
    // In a savepoint of its own: after a unique violation PostgreSQL accepts
    // the query for the existing twinning only once this is rolled back.
    let inserted = conn.transaction(|conn| {
        let created_at = twinnings::created_at.eq(values.updated_at);
        let insert = diesel::insert_into(twinnings::table);
        match id {
            Some(id) => insert
                .values((values, created_at, twinnings::id.eq(id)))
                .returning(crate::twinnings::model::ROW)
                .get_result(conn),
            None => insert
                .values((values, created_at))
                .returning(crate::twinnings::model::ROW)
                .get_result(conn),
        }
    });
    match inserted {
        Ok(row) => Ok(row),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let existing: i64 = twinnings::table
                .filter(twinnings::city_low_id.eq(values.city_low_id))
                .filter(twinnings::city_high_id.eq(values.city_high_id))
                .select(twinnings::id)
                .first(conn)?;
            Err(AppError::conflict(
                ErrorCode::TwinningExists,
                format!("these two cities are already twinned: twinning {existing}"),
            )
            .with_existing(format!("/api/v1/twinnings/{existing}")))
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            Err(AppError::validation(vec![FieldError::new(
                "city_ids",
                "one of the cities was removed meanwhile",
            )]))
        }
        Err(other) => Err(other.into()),
    }
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    values: &TwinningValues,
) -> Result<TwinningRow, AppError> {
    diesel::update(twinnings::table.find(id))
        .set(values)
        .returning(crate::twinnings::model::ROW)
        .get_result(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("twinning", id))
}

/// Sets (or, with `None`, withdraws) the confirmation of `city_id`'s side,
/// one of the row's pair. The other side's stays as it is.
pub fn set_confirmation(
    conn: &mut DbConnection,
    row: &TwinningRow,
    city_id: i64,
    confirmed: Option<&Confirmed>,
    now: chrono::NaiveDateTime,
) -> Result<TwinningRow, AppError> {
    let text = confirmed
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)?;
    let update = diesel::update(twinnings::table.find(row.id));
    let update = if city_id == row.city_low_id {
        update
            .set((
                twinnings::confirmed_low.eq(text),
                twinnings::updated_at.eq(now),
            ))
            .returning(crate::twinnings::model::ROW)
            .get_result(conn)
    } else if city_id == row.city_high_id {
        update
            .set((
                twinnings::confirmed_high.eq(text),
                twinnings::updated_at.eq(now),
            ))
            .returning(crate::twinnings::model::ROW)
            .get_result(conn)
    } else {
        return Err(AppError::internal(format!(
            "city {city_id} is not of twinning {}",
            row.id
        )));
    };
    update
        .optional()?
        .ok_or_else(|| AppError::not_found("twinning", row.id))
}

/// Confirmed by both cities (`true`), or still awaiting one (`false`).
pub fn confirmed(both: bool) -> Condition {
    if both {
        Box::new(
            twinnings::confirmed_low
                .is_not_null()
                .and(twinnings::confirmed_high.is_not_null()),
        )
    } else {
        Box::new(
            twinnings::confirmed_low
                .is_null()
                .or(twinnings::confirmed_high.is_null()),
        )
    }
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    let deleted = diesel::delete(twinnings::table.find(id)).execute(conn)?;
    if deleted == 0 {
        return Err(AppError::not_found("twinning", id));
    }
    Ok(())
}

/// One page of a city's twinnings in id order, after the id `after`, each
/// with the partner city in full. The pairs where the city is the lower id
/// and those where it is the higher are each read in id order from their
/// own index and merged, so a city with thousands of partners reads
/// `limit + 1` entries of each, not all of them.
pub fn of_city(
    conn: &mut DbConnection,
    city_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<(TwinningRow, CityRow)>, AppError> {
    let after = after.unwrap_or(0);
    let keep = usize::try_from(limit + 1).unwrap_or(usize::MAX);
    let mut rows: Vec<(TwinningRow, CityRow)> = match conn {
        // Each side's rows with their partners in one statement: two round
        // trips in all, where a lookup per row cost one each. A city with a
        // full page on both sides reads one page of partners it drops.
        DbConnection::Postgres(c) => {
            let mut rows: Vec<(TwinningRow, CityRow)> = twinnings::table
                .inner_join(cities::table.on(cities::id.eq(twinnings::city_high_id)))
                .filter(twinnings::city_low_id.eq(city_id))
                .filter(twinnings::id.gt(after))
                .order(twinnings::id.asc())
                .limit(limit + 1)
                .select((crate::twinnings::model::ROW, cities::all_columns))
                .load(c)?;
            rows.extend(
                twinnings::table
                    .inner_join(cities::table.on(cities::id.eq(twinnings::city_low_id)))
                    .filter(twinnings::city_high_id.eq(city_id))
                    .filter(twinnings::id.gt(after))
                    .order(twinnings::id.asc())
                    .limit(limit + 1)
                    .select((crate::twinnings::model::ROW, cities::all_columns))
                    .load::<(TwinningRow, CityRow)>(c)?,
            );
            rows
        }
        // Ids first, from the indexes alone; then only the page's rows and
        // their partners, in one statement (statements are cheap in
        // process; decoding a partner read for nothing is not).
        DbConnection::Sqlite(c) => {
            let mut ids: Vec<i64> = twinnings::table
                .filter(twinnings::city_low_id.eq(city_id))
                .filter(twinnings::id.gt(after))
                .order(twinnings::id.asc())
                .select(twinnings::id)
                .limit(limit + 1)
                .load(c)?;
            ids.extend(
                twinnings::table
                    .filter(twinnings::city_high_id.eq(city_id))
                    .filter(twinnings::id.gt(after))
                    .order(twinnings::id.asc())
                    .select(twinnings::id)
                    .limit(limit + 1)
                    .load::<i64>(c)?,
            );
            ids.sort_unstable();
            ids.truncate(keep);
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // The partner's id is the pair's other one: low + high - the city's.
            let partner = twinnings::city_low_id + twinnings::city_high_id - city_id;
            twinnings::table
                .inner_join(cities::table.on(cities::id.eq(partner)))
                .select((crate::twinnings::model::ROW, cities::all_columns))
                .filter(crate::db::IdIn::new(twinnings::id, &ids))
                .load(c)?
        }
    };
    rows.sort_unstable_by_key(|(row, _)| row.id);
    rows.truncate(keep);
    Ok(rows)
}

/// The twinning involves this city.
pub fn involves(city_id: i64) -> Condition {
    Box::new(
        twinnings::city_low_id
            .eq(city_id)
            .or(twinnings::city_high_id.eq(city_id)),
    )
}

/// One city of the pair is in `country`: the countries the twinning's
/// triggers keep, one index range each.
pub fn in_country(country: &str) -> Condition {
    Box::new(
        twinnings::country_low
            .eq(country.to_string())
            .or(twinnings::country_high.eq(country.to_string())),
    )
}

/// One city is in `country` and the other in `partner`.
pub fn between_countries(country: &str, partner: &str) -> Condition {
    let (low, high) = (twinnings::country_low, twinnings::country_high);
    Box::new(
        low.eq(country.to_string())
            .and(high.eq(partner.to_string()))
            .or(low
                .eq(partner.to_string())
                .and(high.eq(country.to_string()))),
    )
}

/// `city_id` is one city of the pair and the other is in `partner`.
pub fn city_with_partner_in(city_id: i64, partner: &str) -> Condition {
    Box::new(
        twinnings::city_low_id
            .eq(city_id)
            .and(twinnings::country_high.eq(partner.to_string()))
            .or(twinnings::city_high_id
                .eq(city_id)
                .and(twinnings::country_low.eq(partner.to_string()))),
    )
}

/// Started on or after the first day of `date`'s period.
pub fn established_from(date: PartialDate) -> Condition {
    Box::new(
        twinnings::established_year
            .gt(date.year)
            .or(twinnings::established_year
                .eq(date.year)
                .and(twinnings::established_md.ge(date.month_day())))
            .assume_not_null(),
    )
}

/// Started on or before the last day of `date`'s period.
pub fn established_until(date: PartialDate) -> Condition {
    let last = PartialDate::from_date(date.last_day()).month_day();
    Box::new(
        twinnings::established_year
            .lt(date.year)
            .or(twinnings::established_year
                .eq(date.year)
                .and(twinnings::established_md.le(last)))
            .assume_not_null(),
    )
}

/// Active, and no completed exchange on or after the first day of `since`.
pub fn dormant_since(since: PartialDate) -> Condition {
    Box::new(
        twinnings::status.eq("active").and(
            twinnings::last_exchange_last
                .is_null()
                .or(twinnings::last_exchange_last
                    .lt(since.first_key())
                    .assume_not_null()),
        ),
    )
}

/// A page of twinnings by id, meeting every condition.
pub fn list(
    conn: &mut DbConnection,
    conditions: Vec<Condition>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<TwinningRow>, AppError> {
    let mut query = twinnings::table.into_boxed();
    for condition in conditions {
        query = query.filter(condition);
    }
    if let Some(after) = after {
        query = query.filter(twinnings::id.gt(after));
    }
    Ok(query
        .order(twinnings::id.asc())
        .limit(limit + 1)
        .select(crate::twinnings::model::ROW)
        .load(conn)?)
}
