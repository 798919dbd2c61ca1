//! Events in and out, matched by `id`. The twinning, the sender and the event
//! replied to are fixed once an event exists.

use super::fields::{Reasons, parse_enum};
use super::{Outcome, Record};
use crate::changes::audit;
use crate::db::DbConnection;
use crate::db::schema::events;
use crate::error::AppError;
use crate::events::model::{
    Event, EventKind, EventMode, EventRow, EventStatus, EventValues, NewEvent, ReviewState,
    StoredReview, Verdict,
};
use crate::events::queries;
use crate::events::validate::MAX_REVIEW_REASON;
use crate::events::validate::validate_new;
use crate::events::view::render_one;
use crate::tokens::Principal;
use diesel::prelude::*;

pub const COLUMNS: [&str; 16] = [
    "id",
    "twinning_id",
    "kind",
    "from_city_id",
    "mode",
    "status",
    "date",
    "title",
    "description",
    "languages",
    "media_urls",
    "participants",
    "in_reply_to",
    "reported_by_city_id",
    "review_state",
    "review_reason",
];

fn draft_of(event: &Event) -> NewEvent {
    NewEvent {
        kind: Some(event.kind),
        from_city_id: Some(event.from_city.id),
        mode: event.mode,
        status: Some(event.status),
        date: event.date.map(|d| d.to_string()),
        title: Some(event.title.clone()),
        description: event.description.clone(),
        languages: event.languages.clone(),
        media_urls: event.media_urls.clone(),
        participants: event.participants,
        in_reply_to: event.in_reply_to.as_ref().map(|r| r.id),
        // The import states the reporter in a column of its own.
        reported_by_city_id: None,
    }
}

fn apply(record: &Record, draft: &mut NewEvent, reasons: &mut Reasons) {
    let r = record;
    if r.has("kind") {
        draft.kind = parse_enum::<EventKind>(r, "kind", reasons);
    }
    if r.has("mode") {
        draft.mode = parse_enum::<EventMode>(r, "mode", reasons);
    }
    if r.has("status") {
        draft.status = parse_enum::<EventStatus>(r, "status", reasons);
    }
    if r.has("date") {
        draft.date = reasons.take(r.text("date"));
    }
    if r.has("title") {
        draft.title = reasons.take(r.text("title"));
    }
    if r.has("description") {
        draft.description = reasons.take(r.text("description"));
    }
    if r.has("languages") {
        draft.languages = reasons.take(r.list("languages")).unwrap_or_default();
    }
    if r.has("media_urls") {
        draft.media_urls = reasons.take(r.list("media_urls")).unwrap_or_default();
    }
    if r.has("participants") {
        draft.participants = match reasons.take(r.int("participants")) {
            Some(p) => match i32::try_from(p) {
                Ok(p) => Some(p),
                Err(_) => {
                    reasons.0.push(format!(
                        "participants: must be between 0 and {}",
                        crate::events::validate::MAX_PARTICIPANTS
                    ));
                    None
                }
            },
            None => None,
        };
    }
}

pub(super) fn import_one(
    conn: &mut DbConnection,
    record: &Record,
    author: &Principal,
) -> Result<Outcome, AppError> {
    let mut reasons = Reasons::default();
    let id = reasons.take(record.int("id"));
    if id.is_some_and(|id| !(1..=super::MAX_ID).contains(&id)) {
        reasons.0.push(super::id_range_reason());
    }
    let twinning_id = reasons.take(record.int("twinning_id"));
    let from_city_id = reasons.take(record.int("from_city_id"));
    let in_reply_to = reasons.take(record.int("in_reply_to"));
    // The city whose staff reported the event (empty: an admin). Without the
    // column a new event is reported by its sender, as stored events are.
    let reporter = record
        .has("reported_by_city_id")
        .then(|| reasons.take(record.int("reported_by_city_id")));
    let stated = stated_review(record, &mut reasons);
    let (today, now) = (crate::clock::today(), crate::clock::now());
    let existing = match id {
        Some(id) => events::table.find(id).first::<EventRow>(conn).optional()?,
        None => None,
    };
    match existing {
        Some(current) => {
            if twinning_id.is_some_and(|t| t != current.twinning_id)
                || from_city_id.is_some_and(|c| c != current.from_city_id)
                || (record.has("in_reply_to") && in_reply_to != current.in_reply_to)
            {
                reasons.0.push(
                    "the twinning, sender and reply of an existing event cannot change".into(),
                );
            }
            let before = render_one(conn, current.clone())?;
            let mut draft = draft_of(&before);
            apply(record, &mut draft, &mut reasons);
            reasons.into_result()?;
            let mut values = validate_new(draft, today, now)?;
            values.twinning_id = current.twinning_id;
            values.to_city_id = current.to_city_id;
            let mut stored = current.values().map_err(AppError::internal)?;
            values.reported_by_city_id = reporter.unwrap_or(current.reported_by_city_id);
            values.review = stored.review.clone();
            if let Some(Some(city)) = reporter
                && city != current.from_city_id
                && city != current.to_city_id
            {
                return Err(AppError::validation(vec![crate::error::FieldError::new(
                    "reported_by_city_id",
                    format!("city {city} is not one of the event's two cities"),
                )]));
            }
            stored.updated_at = values.updated_at;
            // A report that changes awaits the sender's review again, as an
            // edit through the API does, unless the record states the review.
            if values != stored {
                values.review = None;
            }
            if let Some(stated) = stated {
                values.review =
                    review_value(stated, &values, stored.review.as_deref(), author, now)?;
            }
            if values == stored {
                return Ok(Outcome::Skipped);
            }
            let row = queries::update(conn, current.id, &values)?;
            audit::replaced(conn, author, before, row)?;
            Ok(Outcome::Updated)
        }
        None => {
            let mut draft = NewEvent {
                from_city_id,
                in_reply_to,
                ..NewEvent::default()
            };
            apply(record, &mut draft, &mut reasons);
            if twinning_id.is_none() {
                reasons.0.push("twinning_id: is required".into());
            }
            reasons.into_result()?;
            let mut values = validate_new(draft, today, now)?;
            values.twinning_id = twinning_id.unwrap_or_default();
            values.reported_by_city_id = reporter.unwrap_or(Some(values.from_city_id));
            if let Some(stated) = stated {
                values.review = review_value(stated, &values, None, author, now)?;
            }
            let row = queries::insert(conn, values, id)?;
            audit::created::<Event>(conn, author, row)?;
            Ok(Outcome::Created)
        }
    }
}

/// The sender's review a record states: `None` when it states none (no
/// `review_state`, or an empty one), `Some(None)` for `pending`.
type StatedReview = Option<Option<(Verdict, Option<String>)>>;

fn stated_review(record: &Record, reasons: &mut Reasons) -> StatedReview {
    let state = if record.has("review_state") {
        parse_enum::<ReviewState>(record, "review_state", reasons)
    } else {
        None
    };
    let reason = if record.has("review_reason") {
        reasons.take(record.text("review_reason"))
    } else {
        None
    };
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if let Some(r) = &reason {
        if r.chars().count() > MAX_REVIEW_REASON {
            reasons.0.push(format!(
                "review_reason: must be at most {MAX_REVIEW_REASON} characters"
            ));
        }
        if !matches!(state, Some(ReviewState::Confirmed | ReviewState::Disputed)) {
            reasons.0.push(
                "review_reason: is given only with review_state confirmed or disputed".into(),
            );
        }
    }
    state.map(|state| match state {
        ReviewState::Pending => None,
        ReviewState::Confirmed => Some((Verdict::Confirmed, reason)),
        ReviewState::Disputed => Some((Verdict::Disputed, reason)),
    })
}

/// The stored review for a stated one. Only a report by the recipient has a
/// review; a verdict and reason already stored stay as they were (when and
/// by whom), a new one is the importing token's, now.
fn review_value(
    stated: Option<(Verdict, Option<String>)>,
    values: &EventValues,
    current: Option<&str>,
    author: &Principal,
    now: chrono::NaiveDateTime,
) -> Result<Option<String>, AppError> {
    let received = values
        .reported_by_city_id
        .is_some_and(|city| city != values.from_city_id);
    if !received {
        return Err(AppError::validation(vec![crate::error::FieldError::new(
            "review_state",
            "the event is reported by its sender or an admin: there is no review to state",
        )]));
    }
    let Some((verdict, reason)) = stated else {
        return Ok(None);
    };
    let kept = current.and_then(|text| serde_json::from_str::<StoredReview>(text).ok());
    if kept
        .as_ref()
        .is_some_and(|k| k.verdict == verdict && k.reason == reason)
    {
        return Ok(current.map(str::to_string));
    }
    let review = StoredReview {
        verdict,
        at: now.and_utc(),
        by: crate::changes::model::ChangeAuthor::of(author),
        reason,
    };
    serde_json::to_string(&review)
        .map(Some)
        .map_err(AppError::internal)
}

/// One event as an export record, in the order of `COLUMNS`.
pub fn export_record(e: &Event) -> Vec<serde_json::Value> {
    use serde_json::json;
    let list = |items: &Vec<String>| json!(items);
    vec![
        json!(e.id),
        json!(e.twinning_id),
        json!(e.kind),
        json!(e.from_city.id),
        json!(e.mode),
        json!(e.status),
        json!(e.date),
        json!(e.title),
        json!(e.description),
        list(&e.languages),
        list(&e.media_urls),
        json!(e.participants),
        json!(e.in_reply_to.as_ref().map(|r| r.id)),
        json!(e.reported_by.city_id),
        json!(e.review.as_ref().map(|r| r.state)),
        json!(e.review.as_ref().and_then(|r| r.reason.clone())),
    ]
}
