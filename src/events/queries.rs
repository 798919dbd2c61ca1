//! The diesel queries of events. Every write locks its twinning's row first and
//! refreshes the twinning's `last_exchange` in the same transaction.

use super::model::{EventRef, EventRow, EventStatus, EventValues, StoredReview};
use crate::db::DbConnection;
use crate::db::schema::{cities, event_languages, events, twinnings};
use crate::error::{AppError, ErrorCode, FieldError};
use crate::twinnings::model::TwinningRow;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use std::collections::HashMap;

type Backend = <DbConnection as Connection>::Backend;
pub type Condition = Box<dyn BoxableExpression<events::table, Backend, SqlType = Bool>>;

/// Sort key of timelines, newest first: first day of the date, then id.
pub type EventKey = (i32, i64);

pub fn key(row: &EventRow) -> EventKey {
    (row.date_first, row.id)
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<EventRow, AppError> {
    events::table
        .find(id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("event", id))
}

/// Locks an event for a read-check-write: its twinning's row first (the order
/// every event write takes), then its own; returns it as it now is.
pub fn lock(conn: &mut DbConnection, id: i64) -> Result<EventRow, AppError> {
    let event = find(conn, id)?;
    lock_twinning(conn, event.twinning_id)?;
    diesel::update(events::table.find(id))
        .set(events::id.eq(events::id))
        .execute(conn)?;
    find(conn, id)
}

/// Takes the twinning's row lock (PostgreSQL) so that concurrent writes to one
/// twinning's events see each other when they refresh `last_exchange`.
fn lock_twinning(conn: &mut DbConnection, twinning_id: i64) -> Result<TwinningRow, AppError> {
    diesel::update(twinnings::table.find(twinning_id))
        .set(twinnings::last_exchange.eq(twinnings::last_exchange))
        .returning(crate::twinnings::model::ROW)
        .get_result(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("twinning", twinning_id))
}

/// Sets the twinning's `last_exchange` to the date of its latest completed event.
fn refresh_last_exchange(conn: &mut DbConnection, twinning_id: i64) -> Result<(), AppError> {
    let latest: Option<(Option<String>, i32)> = events::table
        .filter(events::twinning_id.eq(twinning_id))
        .filter(events::status.eq(EventStatus::Completed.as_str()))
        .order((
            events::date_last.desc(),
            events::date_first.desc(),
            events::id.desc(),
        ))
        .select((events::date, events::date_last))
        .first(conn)
        .optional()?;
    let (date, last) = latest.unzip();
    let date = date.flatten();
    diesel::update(twinnings::table.find(twinning_id))
        .set((
            twinnings::last_exchange.eq(date),
            twinnings::last_exchange_last.eq(last),
        ))
        .execute(conn)?;
    Ok(())
}

/// Checks what needs the twinning: the sender is one of its cities, a reply
/// answers an event of the same twinning from the other city.
fn check_against_twinning(
    conn: &mut DbConnection,
    twinning: &TwinningRow,
    values: &mut EventValues,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let pair = [twinning.city_low_id, twinning.city_high_id];
    if !pair.contains(&values.from_city_id) {
        errors.push(FieldError::new(
            "from_city_id",
            format!(
                "must be one of the twinning's cities ({} or {})",
                pair[0], pair[1]
            ),
        ));
    } else {
        values.to_city_id = if values.from_city_id == pair[0] {
            pair[1]
        } else {
            pair[0]
        };
    }
    if let Some(reporter) = values.reported_by_city_id
        && !pair.contains(&reporter)
    {
        errors.push(FieldError::new(
            "reported_by_city_id",
            format!(
                "must be one of the twinning's cities ({} or {})",
                pair[0], pair[1]
            ),
        ));
    }
    if let Some(reply_to) = values.in_reply_to {
        let target: Option<EventRow> = events::table.find(reply_to).first(conn).optional()?;
        match target {
            None => errors.push(FieldError::new(
                "in_reply_to",
                format!("there is no event with id {reply_to}"),
            )),
            Some(t) if t.twinning_id != twinning.id => errors.push(FieldError::new(
                "in_reply_to",
                format!(
                    "event {reply_to} belongs to another twinning ({})",
                    t.twinning_id
                ),
            )),
            Some(t) if t.from_city_id == values.from_city_id => errors.push(FieldError::new(
                "in_reply_to",
                format!(
                    "event {reply_to} comes from the same city; a reply answers the other city"
                ),
            )),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Inserts an event, with the given id (imports) or the next one.
pub fn insert(
    conn: &mut DbConnection,
    mut values: EventValues,
    id: Option<i64>,
) -> Result<EventRow, AppError> {
    conn.transaction(|conn| {
        let twinning = lock_twinning(conn, values.twinning_id)?;
        check_against_twinning(conn, &twinning, &mut values)?;
        let created_at = events::created_at.eq(values.updated_at);
        let insert = diesel::insert_into(events::table);
        let row: EventRow = match id {
            Some(id) => insert
                .values((&values, created_at, events::id.eq(id)))
                .returning(events::all_columns)
                .get_result(conn)?,
            None => insert
                .values((&values, created_at))
                .returning(events::all_columns)
                .get_result(conn)?,
        };
        store_languages(conn, &row)?;
        if row.status == EventStatus::Completed && is_later(&row, &twinning) {
            diesel::update(twinnings::table.find(row.twinning_id))
                .set((
                    twinnings::last_exchange.eq(row.date.map(|d| d.to_string())),
                    twinnings::last_exchange_last.eq(row.date_last),
                ))
                .execute(conn)?;
        }
        Ok(row)
    })
}

/// A new completed event is the twinning's last exchange when it ends after
/// the current one, or ends with it and starts no earlier (it has the
/// highest id): the order `refresh_last_exchange` picks by.
fn is_later(event: &EventRow, twinning: &TwinningRow) -> bool {
    match (twinning.last_exchange, twinning.last_exchange_last) {
        (Some(current), Some(last)) => {
            (event.date_last, event.date_first) >= (last, current.first_key())
        }
        _ => true,
    }
}

/// Stores the sender's review of the event.
pub fn set_review(
    conn: &mut DbConnection,
    id: i64,
    review: &StoredReview,
    now: chrono::NaiveDateTime,
) -> Result<EventRow, AppError> {
    let text = serde_json::to_string(review).map_err(AppError::internal)?;
    diesel::update(events::table.find(id))
        .set((events::review.eq(text), events::updated_at.eq(now)))
        .returning(events::all_columns)
        .get_result::<EventRow>(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("event", id))
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    values: &EventValues,
) -> Result<EventRow, AppError> {
    conn.transaction(|conn| {
        lock_twinning(conn, values.twinning_id)?;
        let row: EventRow = diesel::update(events::table.find(id))
            .set(values)
            .returning(events::all_columns)
            .get_result::<EventRow>(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("event", id))?;
        diesel::delete(event_languages::table.filter(event_languages::event_id.eq(id)))
            .execute(conn)?;
        store_languages(conn, &row)?;
        refresh_last_exchange(conn, row.twinning_id)?;
        Ok(row)
    })
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let row = find(conn, id)?;
        let replies: i64 = events::table
            .filter(events::in_reply_to.eq(id))
            .count()
            .get_result(conn)?;
        if replies > 0 {
            return Err(AppError::conflict(
                ErrorCode::EventHasReplies,
                format!(
                    "event {id} has {replies} repl{} answering it; delete those first",
                    if replies == 1 { "y" } else { "ies" }
                ),
            ));
        }
        lock_twinning(conn, row.twinning_id)?;
        diesel::delete(events::table.find(id)).execute(conn)?;
        refresh_last_exchange(conn, row.twinning_id)?;
        Ok(())
    })
}

/// Number of events of a twinning.
pub fn count_for_twinning(conn: &mut DbConnection, twinning_id: i64) -> Result<i64, AppError> {
    Ok(events::table
        .filter(events::twinning_id.eq(twinning_id))
        .count()
        .get_result(conn)?)
}

pub fn delete_for_twinning(conn: &mut DbConnection, twinning_id: i64) -> Result<usize, AppError> {
    Ok(diesel::delete(events::table.filter(events::twinning_id.eq(twinning_id))).execute(conn)?)
}

pub fn of_twinning(twinning_id: i64) -> Condition {
    Box::new(events::twinning_id.eq(twinning_id))
}

/// Sent or received by the city.
pub fn of_city(city_id: i64) -> Condition {
    Box::new(
        events::from_city_id
            .eq(city_id)
            .or(events::to_city_id.eq(city_id)),
    )
}

/// One page of a city's events, newest first, after `after`. The events it
/// sent and those it received are each read in order from their own index
/// and merged, so a city with a hundred thousand events reads one page of
/// each instead of sorting them all.
pub fn of_city_page(
    conn: &mut DbConnection,
    city_id: i64,
    after: Option<EventKey>,
    limit: i64,
) -> Result<Vec<EventRow>, AppError> {
    let (date, id) = after.unwrap_or((i32::MAX, i64::MAX));
    let before = || {
        events::date_first
            .lt(date)
            .or(events::date_first.eq(date).and(events::id.lt(id)))
    };
    let (mut rows, received): (Vec<EventRow>, Vec<EventRow>) = crate::on_backend!(conn, |c| {
        let sent = events::table
            .filter(events::from_city_id.eq(city_id))
            .filter(before())
            .order((events::date_first.desc(), events::id.desc()))
            .limit(limit + 1)
            .load(c)?;
        let received = events::table
            .filter(events::to_city_id.eq(city_id))
            .filter(before())
            .order((events::date_first.desc(), events::id.desc()))
            .limit(limit + 1)
            .load(c)?;
        (sent, received)
    });
    rows.extend(received);
    rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.date_first, r.id)));
    rows.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
    Ok(rows)
}

/// Sent or received by a city of the country.
pub fn of_country(country: &str) -> Condition {
    let in_country = || {
        cities::table
            .filter(cities::country_code.eq(country.to_string()))
            .select(cities::id)
    };
    Box::new(
        events::from_city_id
            .eq_any(in_country())
            .or(events::to_city_id.eq_any(in_country())),
    )
}

/// The ids of the twinnings with a city in `country`, from the two covering
/// indexes of the twinnings' countries; `None` when there are `cap` or more.
/// An event is between its twinning's two cities, so a country's events are
/// its twinnings' events: for a country with few twinnings those are read
/// from their timelines, where walking every event by date to find them
/// cost seconds on PostgreSQL.
pub fn country_twinning_ids(
    conn: &mut DbConnection,
    country: &str,
    cap: i64,
) -> Result<Option<Vec<i64>>, AppError> {
    let (mut ids, high): (Vec<i64>, Vec<i64>) = crate::on_backend!(conn, |c| {
        let low = twinnings::table
            .filter(twinnings::country_low.eq(country))
            .select(twinnings::id)
            .limit(cap)
            .load(c)?;
        let high = twinnings::table
            .filter(twinnings::country_high.eq(country))
            .select(twinnings::id)
            .limit(cap)
            .load(c)?;
        (low, high)
    });
    ids.extend(high);
    ids.sort_unstable();
    ids.dedup();
    Ok((i64::try_from(ids.len()).unwrap_or(i64::MAX) < cap).then_some(ids))
}

/// Adds the `event_languages` rows of an event (an update removes the old
/// ones first): its tags in lower case.
fn store_languages(conn: &mut DbConnection, row: &EventRow) -> Result<(), AppError> {
    let mut tags: Vec<String> = row.languages.iter().map(|tag| tag.to_lowercase()).collect();
    tags.sort_unstable();
    tags.dedup();
    let rows: Vec<_> = tags
        .iter()
        .map(|tag| {
            (
                event_languages::language.eq(tag),
                event_languages::event_id.eq(row.id),
            )
        })
        .collect();
    if !rows.is_empty() {
        let insert = diesel::insert_into(event_languages::table).values(&rows);
        crate::on_backend!(conn, |c| insert.execute(c)?);
    }
    Ok(())
}

/// The ids of the events in a language or a variant of it (`pt` finds
/// `pt-BR`), from the index; `None` when there are `cap` or more. A filter
/// that few events pass is fastest from this list; one that many pass, by
/// walking the events in page order (`in_language`), which soon fills a page.
pub fn language_event_ids(
    conn: &mut DbConnection,
    tag: &str,
    cap: i64,
) -> Result<Option<Vec<i64>>, AppError> {
    let tag = tag.to_lowercase();
    // The tags that extend `pt` are those between `pt-` and `pt.` ('.' follows '-').
    // Its generic plan on PostgreSQL scans the whole table.
    let ids: Vec<i64> = crate::db::with_custom_plans(conn, |conn| {
        Ok(event_languages::table
            .filter(
                event_languages::language
                    .eq(&tag)
                    .or(event_languages::language
                        .gt(format!("{tag}-"))
                        .and(event_languages::language.lt(format!("{tag}.")))),
            )
            .select(event_languages::event_id)
            .limit(cap)
            .load(conn)?)
    })?;
    Ok((i64::try_from(ids.len()).unwrap_or(i64::MAX) < cap).then_some(ids))
}

/// Uses the language, or a variant of it (`pt` finds `pt-BR`). Tags are
/// stored in their conventional case; the match ignores case.
pub fn in_language(tag: &str) -> Condition {
    let tag = tag.to_lowercase();
    Box::new(
        diesel::dsl::sql::<Bool>("(LOWER(events.languages) LIKE ")
            .bind::<diesel::sql_types::Text, _>(format!("%\"{tag}\"%"))
            .sql(" OR LOWER(events.languages) LIKE ")
            .bind::<diesel::sql_types::Text, _>(format!("%\"{tag}-%"))
            .sql(")"),
    )
}

/// A page of events, newest first.
pub fn list(
    conn: &mut DbConnection,
    conditions: Vec<Condition>,
    after: Option<EventKey>,
    limit: i64,
) -> Result<Vec<EventRow>, AppError> {
    let mut query = events::table.into_boxed();
    for condition in conditions {
        query = query.filter(condition);
    }
    if let Some((date_first, id)) = after {
        query = query.filter(
            events::date_first
                .lt(date_first)
                .or(events::date_first.eq(date_first).and(events::id.lt(id))),
        );
    }
    Ok(query
        .order((events::date_first.desc(), events::id.desc()))
        .limit(limit + 1)
        .load(conn)?)
}

/// Every event of a twinning, oldest first (for the records of a cascading delete).
pub fn of_twinning_all(
    conn: &mut DbConnection,
    twinning_id: i64,
) -> Result<Vec<EventRow>, AppError> {
    Ok(events::table
        .filter(events::twinning_id.eq(twinning_id))
        .order(events::id.asc())
        .load(conn)?)
}

/// The events the rows answer, by id, and the replies to each row, by its id.
pub struct References {
    pub answered: HashMap<i64, EventRef>,
    pub replies: HashMap<i64, Vec<EventRef>>,
}

/// The events the rows answer and the events answering them (two queries).
/// `new_rows`: the rows were just created, so nothing answers them yet.
pub fn references(
    conn: &mut DbConnection,
    rows: &[EventRow],
    new_rows: bool,
) -> Result<References, AppError> {
    let targets: Vec<i64> = rows.iter().filter_map(|r| r.in_reply_to).collect();
    let answered: Vec<EventRef> = if targets.is_empty() {
        Vec::new()
    } else {
        crate::load_by_ids!(
            conn,
            events::table.select((events::id, events::title, events::status)),
            events::id,
            &targets
        )?
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let replies: Vec<(i64, EventRef)> = if new_rows {
        Vec::new()
    } else {
        crate::load_by_ids!(
            conn,
            events::table.order(events::id.asc()).select((
                events::in_reply_to.assume_not_null(),
                (events::id, events::title, events::status),
            )),
            events::in_reply_to.assume_not_null(),
            &ids
        )?
    };
    let mut by_target: HashMap<i64, Vec<EventRef>> = HashMap::new();
    for (target, reply) in replies {
        by_target.entry(target).or_default().push(reply);
    }
    Ok(References {
        answered: answered.into_iter().map(|r| (r.id, r)).collect(),
        replies: by_target,
    })
}
