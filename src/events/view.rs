//! From rows to the JSON a client gets: the cities embedded, the event each
//! answers and the replies it has.

use super::model::{Event, EventRow};
use super::queries;
use crate::changes::{Audited, Entity};
use crate::db::{DbConnection, distinct_ids};
use crate::error::AppError;
use crate::tokens::Principal;
use crate::twinnings::view::summary;

/// Embeds the cities and the replies of each row (three queries for a page).
pub fn render(conn: &mut DbConnection, rows: Vec<EventRow>) -> Result<Vec<Event>, AppError> {
    render_rows(conn, rows, false)
}

/// One event, rendered.
pub fn render_one(conn: &mut DbConnection, row: EventRow) -> Result<Event, AppError> {
    only(render_rows(conn, vec![row], false)?)
}

/// An event just created: nothing replies to it yet.
pub fn render_new(conn: &mut DbConnection, row: EventRow) -> Result<Event, AppError> {
    only(render_rows(conn, vec![row], true)?)
}

impl Audited for Event {
    const ENTITY: Entity = Entity::Event;
    type Row = EventRow;

    fn lock(conn: &mut DbConnection, id: i64) -> Result<EventRow, AppError> {
        queries::lock(conn, id)
    }

    fn authorize(principal: &Principal, id: i64, row: &EventRow) -> Result<(), AppError> {
        principal.require_pair(row.from_city_id, row.to_city_id, &format!("event {id}"))
    }

    fn render(conn: &mut DbConnection, row: EventRow) -> Result<Event, AppError> {
        render_one(conn, row)
    }

    fn id(&self) -> i64 {
        self.id
    }
}

fn only(mut events: Vec<Event>) -> Result<Event, AppError> {
    events
        .pop()
        .ok_or_else(|| AppError::internal("event not rendered"))
}

fn render_rows(
    conn: &mut DbConnection,
    rows: Vec<EventRow>,
    new_rows: bool,
) -> Result<Vec<Event>, AppError> {
    let ids = distinct_ids(rows.iter().flat_map(|r| [r.from_city_id, r.to_city_id]));
    let cities = crate::twinnings::queries::summaries(conn, &ids)?;
    let queries::References {
        answered,
        mut replies,
    } = queries::references(conn, &rows, new_rows)?;
    rows.into_iter()
        .map(|row| {
            Ok(Event {
                id: row.id,
                twinning_id: row.twinning_id,
                kind: row.kind,
                mode: row.mode,
                status: row.status,
                date: row.date,
                title: row.title,
                description: row.description,
                languages: row.languages.into_inner(),
                media_urls: row.media_urls.into_inner(),
                participants: row.participants,
                from_city: summary(&cities, row.from_city_id)?,
                to_city: summary(&cities, row.to_city_id)?,
                in_reply_to: row.in_reply_to.and_then(|id| answered.get(&id).cloned()),
                replies: replies.remove(&row.id).unwrap_or_default(),
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}
