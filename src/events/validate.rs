//! The rules an event must meet. Those that need the database (the twinning's
//! cities, the event replied to) are checked in `queries` within the write.

use super::model::{
    EventMode, EventPatch, EventRow, EventStatus, EventValues, NewEvent, NewReview, Verdict,
};
use crate::dates::PartialDate;
use crate::error::AppError;
use crate::validate::{Errors, MAX_NAME_CHARS};
use chrono::{NaiveDate, NaiveDateTime};

pub const MAX_DESCRIPTION: usize = 10_000;
/// The sort key of an event without a date (9999-12-31): the far future, so that it
/// leads a timeline (newest first) and comes after every dated one oldest first.
pub const UNDATED: i32 = 99_991_231;

/// The longest reason a review may give.
pub const MAX_REVIEW_REASON: usize = 1_000;

/// Checks the sender's review of a report: a verdict, and a reason if any.
pub fn validate_review(review: NewReview) -> Result<(Verdict, Option<String>), AppError> {
    let mut e = Errors::default();
    let verdict = e.required("verdict", review.verdict);
    let reason = e.long_text("reason", review.reason.as_deref(), MAX_REVIEW_REASON);
    match verdict {
        Some(verdict) if e.is_empty() => Ok((verdict, reason)),
        _ => Err(AppError::validation(e.0)),
    }
}

/// As `maximum` of `participants` in the document.
pub const MAX_PARTICIPANTS: i32 = 10_000_000;

/// The fields of an event before the checks of the whole.
struct Draft {
    kind: String,
    mode: Option<EventMode>,
    status: EventStatus,
    date: Option<PartialDate>,
    title: String,
    description: Option<String>,
    languages: Vec<String>,
    media_urls: Vec<String>,
    participants: Option<i32>,
}

/// Checks a new event; `from_city_id`, `to_city_id` and `twinning_id` are set
/// by the caller once it knows the twinning.
pub fn validate_new(
    event: NewEvent,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<EventValues, AppError> {
    let mut e = Errors::default();
    let kind = e
        .required("kind", event.kind)
        .map(|k| k.as_str().to_string());
    let from_city_id = e.required("from_city_id", event.from_city_id);
    let date = e.partial_date("date", event.date.as_deref());
    let title = e
        .required("title", event.title)
        .map(|t| e.text("title", &t, MAX_NAME_CHARS))
        .unwrap_or_default();
    let draft = Draft {
        kind: kind.unwrap_or_default(),
        mode: event.mode,
        status: event.status.unwrap_or(EventStatus::Planned),
        date,
        title,
        description: e.long_text("description", event.description.as_deref(), MAX_DESCRIPTION),
        languages: e.language_list("languages", &event.languages),
        media_urls: event.media_urls,
        participants: event.participants,
    };
    let mut values = finish(draft, e, today, now)?;
    values.from_city_id = from_city_id.unwrap_or_default();
    values.in_reply_to = event.in_reply_to;
    Ok(values)
}

pub fn validate_patch(
    current: &EventRow,
    patch: EventPatch,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<EventValues, AppError> {
    let mut e = Errors::default();
    let current_status = current.status;
    let status = match patch.status {
        Some(next) if next != current_status && !current_status.next().contains(&next) => {
            let allowed: Vec<&str> = current_status.next().iter().map(|s| s.as_str()).collect();
            e.add(
                "status",
                if allowed.is_empty() {
                    format!(
                        "a {} event cannot change its status",
                        current_status.as_str()
                    )
                } else {
                    format!(
                        "cannot go from {} to {}; allowed: {}",
                        current_status.as_str(),
                        next.as_str(),
                        allowed.join(", ")
                    )
                },
            );
            current_status
        }
        Some(next) => next,
        None => current_status,
    };
    let date = match &patch.date {
        Some(text) => e.partial_date("date", Some(text)),
        None => current.date,
    };
    let draft = Draft {
        kind: patch.kind.map_or_else(
            || current.kind.as_str().to_string(),
            |k| k.as_str().to_string(),
        ),
        mode: match patch.mode {
            Some(mode) => mode,
            None => current.mode,
        },
        status,
        date,
        title: match &patch.title {
            Some(title) => e.text("title", title, MAX_NAME_CHARS),
            None => current.title.clone(),
        },
        description: match patch.description {
            Some(description) => {
                e.long_text("description", description.as_deref(), MAX_DESCRIPTION)
            }
            None => current.description.clone(),
        },
        languages: match patch.languages {
            Some(languages) => e.language_list("languages", &languages.unwrap_or_default()),
            None => current.languages.0.clone(),
        },
        media_urls: match patch.media_urls {
            Some(urls) => urls.unwrap_or_default(),
            None => current.media_urls.0.clone(),
        },
        participants: match patch.participants {
            Some(participants) => participants,
            None => current.participants,
        },
    };
    let mut values = finish(draft, e, today, now)?;
    values.twinning_id = current.twinning_id;
    values.from_city_id = current.from_city_id;
    values.to_city_id = current.to_city_id;
    values.in_reply_to = current.in_reply_to;
    values.reported_by_city_id = current.reported_by_city_id;
    values.review = current
        .review
        .as_ref()
        .map(|r| serde_json::to_string(&r.0))
        .transpose()
        .map_err(AppError::internal)?;
    Ok(values)
}

fn finish(
    draft: Draft,
    mut e: Errors,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<EventValues, AppError> {
    e.urls("media_urls", &draft.media_urls);
    if let Some(p) = draft.participants {
        e.range("participants", p, 0, MAX_PARTICIPANTS);
    }
    if let Some(date) = draft.date
        && draft.status == EventStatus::Completed
        && date.first_day() > today
    {
        e.add("date", "a completed event cannot be in the future");
    }
    if draft.date.is_none()
        && draft.status == EventStatus::Completed
        && !e.0.iter().any(|f| f.field == "date")
    {
        e.add("date", "is required for a completed event");
    }
    if !e.is_empty() {
        return Err(AppError::validation(e.0));
    }
    let date = draft.date;
    Ok(EventValues {
        twinning_id: 0,
        kind: draft.kind,
        from_city_id: 0,
        to_city_id: 0,
        mode: draft.mode.map(|m| m.as_str().to_string()),
        status: draft.status.as_str().to_string(),
        date: date.map(|d| d.to_string()),
        date_first: date.map_or(UNDATED, |d| d.first_key()),
        date_last: date.map_or(UNDATED, |d| d.last_key()),
        title: draft.title,
        description: draft.description,
        languages: serde_json::to_string(&draft.languages).map_err(AppError::internal)?,
        media_urls: serde_json::to_string(&draft.media_urls).map_err(AppError::internal)?,
        participants: draft.participants,
        in_reply_to: None,
        updated_at: now,
        reported_by_city_id: None,
        review: None,
    })
}
