//! From rows to the JSON a client gets: the cities embedded, the event each
//! answers and the replies it has.

use super::model::{Event, EventRow, ReportedBy, ReporterSide, Review, ReviewState, Verdict};
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

    /// Only the reporting city's staff, or an admin, change a report.
    fn authorize(principal: &Principal, id: i64, row: &EventRow) -> Result<(), AppError> {
        if principal.admin {
            return Ok(());
        }
        match row.reported_by_city_id {
            Some(city) if principal.may_edit_city(city) => Ok(()),
            Some(city) if principal.may_edit_city(row.from_city_id) => {
                Err(AppError::forbidden(format!(
                    "event {id} was reported by city {city}, which received it: only its staff (or an admin) may change it; as the sender, confirm or dispute it with PUT /api/v1/events/{id}/review"
                )))
            }
            Some(city) if principal.may_edit_city(row.to_city_id) => {
                Err(AppError::forbidden(format!(
                    "event {id} was reported by city {city}: only its staff (or an admin) may change it"
                )))
            }
            None if principal.may_edit_city(row.from_city_id)
                || principal.may_edit_city(row.to_city_id) =>
            {
                Err(AppError::forbidden(format!(
                    "event {id} was reported by an admin: only an admin may change it"
                )))
            }
            _ => Err(principal.out_of_scope(&format!("event {id}"))),
        }
    }

    fn render(conn: &mut DbConnection, row: EventRow) -> Result<Event, AppError> {
        render_one(conn, row)
    }

    fn id(&self) -> i64 {
        self.id
    }
}

/// Who reported the row's event, and which side that is.
pub fn reported_by(row: &EventRow) -> ReportedBy {
    let side = match row.reported_by_city_id {
        None => ReporterSide::Admin,
        Some(city) if city == row.to_city_id => ReporterSide::Recipient,
        Some(_) => ReporterSide::Sender,
    };
    ReportedBy {
        city_id: row.reported_by_city_id,
        side,
    }
}

/// The sender's review of a recipient's report (`None` for any other report).
fn review(row: &EventRow) -> Option<Review> {
    if reported_by(row).side != ReporterSide::Recipient {
        return None;
    }
    let stored = row.review.as_ref().map(|r| &r.0);
    Some(Review {
        state: match stored.map(|r| r.verdict) {
            None => ReviewState::Pending,
            Some(Verdict::Confirmed) => ReviewState::Confirmed,
            Some(Verdict::Disputed) => ReviewState::Disputed,
        },
        reviewed_at: stored.map(|r| r.at),
        reviewed_by: stored.map(|r| r.by.clone()),
        reason: stored.and_then(|r| r.reason.clone()),
    })
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
            let (reported_by, review) = (reported_by(&row), review(&row));
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
                reported_by,
                review,
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}
