//! The rules a twinning must meet, checked all at once.

use super::model::{
    NewTwinning, StatusChange, TwinningKind, TwinningPatch, TwinningRow, TwinningStatus,
    TwinningValues,
};
use crate::dates::PartialDate;
use crate::error::AppError;
use crate::validate::Errors;
use chrono::{NaiveDate, NaiveDateTime};

pub const MAX_NOTES: usize = 10_000;
pub const MAX_REASON: usize = 1_000;

/// Everything a twinning is, before it is checked as a whole.
struct Draft {
    low: i64,
    high: i64,
    kind: TwinningKind,
    status: TwinningStatus,
    established: Option<PartialDate>,
    ended: Option<PartialDate>,
    notes: Option<String>,
    source_urls: Vec<String>,
    history: Vec<StatusChange>,
    /// The city whose staff write this (`None`: an admin or an import).
    by: Option<i64>,
}

/// Checks a new twinning; `by` is the city whose staff register it, recorded
/// in its first status (`None` for an admin or an import).
pub fn validate_new(
    new: NewTwinning,
    today: NaiveDate,
    now: NaiveDateTime,
    by: Option<i64>,
) -> Result<TwinningValues, AppError> {
    let mut e = Errors::default();
    let pair = match e.required("city_ids", new.city_ids) {
        Some(ids) if ids.len() != 2 => {
            e.add("city_ids", "must name exactly two cities");
            None
        }
        Some(ids) if ids[0] == ids[1] => {
            e.add("city_ids", "a city cannot be twinned with itself");
            None
        }
        Some(ids) => Some((ids[0].min(ids[1]), ids[0].max(ids[1]))),
        None => None,
    };
    let kind = e.required("kind", new.kind);
    let established = e.partial_date("established", new.established.as_deref());
    let ended = e.partial_date("ended", new.ended.as_deref());
    let since = e.partial_date("status_since", new.status_since.as_deref());
    not_in_future(&mut e, "status_since", since, today);
    let reason = e.long_text("status_reason", new.status_reason.as_deref(), MAX_REASON);
    let notes = e.long_text("notes", new.notes.as_deref(), MAX_NOTES);
    e.urls("source_urls", &new.source_urls);
    let status = match (new.status, ended) {
        (Some(status), Some(_)) if status != TwinningStatus::Ended => {
            e.add("status", "an `ended` date means the status is `ended`");
            status
        }
        (Some(status), _) => status,
        (None, Some(_)) => TwinningStatus::Ended,
        (None, None) => TwinningStatus::Active,
    };
    let since = since.or(match status {
        TwinningStatus::Active => established,
        TwinningStatus::Ended => ended,
        _ => None,
    });
    let (Some((low, high)), Some(kind)) = (pair, kind) else {
        // The dates are checked all the same: a missing field hides no other.
        dates(&mut e, status, established, ended, today);
        return Err(AppError::validation(e.0));
    };
    let draft = Draft {
        low,
        high,
        kind,
        status,
        established,
        ended,
        notes,
        source_urls: new.source_urls,
        history: vec![StatusChange {
            status,
            since,
            reason,
            by_city_id: by,
        }],
        by,
    };
    finish(draft, e, today, now)
}

/// Checks a change; a new status records `by`, the city whose staff made it.
pub fn validate_patch(
    current: &TwinningRow,
    patch: TwinningPatch,
    today: NaiveDate,
    now: NaiveDateTime,
    by: Option<i64>,
) -> Result<TwinningValues, AppError> {
    let mut e = Errors::default();
    let patch_status = StatusPatch {
        status: patch.status,
        since: patch.status_since.clone(),
        reason: patch.status_reason.clone(),
    };
    let mut draft = Draft {
        low: current.city_low_id,
        high: current.city_high_id,
        kind: current.kind,
        status: current.status,
        established: current.established,
        ended: current.ended,
        notes: current.notes.clone(),
        source_urls: current.source_urls.0.clone(),
        history: current.status_history.0.clone(),
        by,
    };
    if let Some(kind) = patch.kind {
        draft.kind = kind;
    }
    if let Some(established) = patch.established {
        let before = draft.established;
        draft.established = established.and_then(|d| e.partial_date("established", Some(&d)));
        // A first active entry dated by the start follows the start, so the
        // history never disagrees with `established`.
        if let Some(first) = draft.history.first_mut()
            && first.status == TwinningStatus::Active
            && first.since == before
        {
            first.since = draft.established;
        }
    }
    let new_ended = match patch.ended {
        Some(ended) => {
            draft.ended = ended.and_then(|d| e.partial_date("ended", Some(&d)));
            draft.ended
        }
        None => None,
    };
    if let Some(notes) = patch.notes {
        draft.notes = e.long_text("notes", notes.as_deref(), MAX_NOTES);
    }
    if let Some(urls) = patch.source_urls {
        let urls = urls.unwrap_or_default();
        e.urls("source_urls", &urls);
        draft.source_urls = urls;
    }
    change_status(&mut e, &mut draft, &patch_status, new_ended, today);
    if draft.ended.is_some() && draft.status != TwinningStatus::Ended {
        e.add("status", "an `ended` date means the status is `ended`");
    }
    finish(draft, e, today, now)
}

/// The status fields of a patch.
struct StatusPatch {
    status: Option<TwinningStatus>,
    since: Option<String>,
    reason: Option<String>,
}

/// A new status goes into the history with when and why; the same status
/// amends when and why its last entry took effect.
fn change_status(
    e: &mut Errors,
    draft: &mut Draft,
    patch: &StatusPatch,
    new_ended: Option<PartialDate>,
    today: NaiveDate,
) {
    let since = e.partial_date("status_since", patch.since.as_deref());
    not_in_future(e, "status_since", since, today);
    let reason = e.long_text("status_reason", patch.reason.as_deref(), MAX_REASON);
    let status = match (patch.status, new_ended) {
        (None, Some(_)) => Some(TwinningStatus::Ended),
        (status, _) => status,
    };
    match status {
        Some(status) if status != draft.status => {
            draft.status = status;
            let since = since.or(match status {
                TwinningStatus::Ended => draft.ended,
                _ => Some(PartialDate::from_date(today)),
            });
            draft.history.push(StatusChange {
                status,
                since,
                reason,
                by_city_id: draft.by,
            });
        }
        Some(_) if since.is_some() || reason.is_some() => {
            // The status it already has: amend when and why it took effect.
            if let Some(last) = draft.history.last_mut() {
                last.by_city_id = draft.by;
                if since.is_some() {
                    last.since = since;
                }
                if reason.is_some() {
                    last.reason = reason;
                }
            }
        }
        _ if since.is_some() || reason.is_some() => {
            e.add(
                "status",
                "`status_since` and `status_reason` describe the status: send `status` with them",
            );
        }
        _ => {}
    }
}

fn not_in_future(e: &mut Errors, field: &str, date: Option<PartialDate>, today: NaiveDate) {
    if date.is_some_and(|d| d.first_day() > today) {
        e.add(field, "must not be in the future");
    }
}

/// The dates in order and not in the future.
fn dates(
    e: &mut Errors,
    status: TwinningStatus,
    established: Option<PartialDate>,
    ended: Option<PartialDate>,
    today: NaiveDate,
) {
    if let Some(established) = established {
        if established.first_day() > today && status != TwinningStatus::Planned {
            e.add(
                "established",
                "is in the future; register the twinning with status `planned`",
            );
        }
        if let Some(ended) = ended
            && ended.cmp_coarse(&established).is_lt()
        {
            e.add("ended", "is before `established`");
        }
    }
    not_in_future(e, "ended", ended, today);
}

/// Checks of the whole, then the values to store.
fn finish(
    draft: Draft,
    mut e: Errors,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<TwinningValues, AppError> {
    dates(&mut e, draft.status, draft.established, draft.ended, today);
    if !e.is_empty() {
        return Err(AppError::validation(e.0));
    }
    Ok(TwinningValues {
        city_low_id: draft.low,
        city_high_id: draft.high,
        kind: draft.kind.as_str().to_string(),
        status: draft.status.as_str().to_string(),
        established: draft.established.map(|d| d.to_string()),
        established_year: draft.established.map(|d| d.year),
        established_md: draft.established.map_or(0, |d| d.month_day()),
        ended: draft.ended.map(|d| d.to_string()),
        notes: draft.notes,
        source_urls: serde_json::to_string(&draft.source_urls).map_err(AppError::internal)?,
        status_history: serde_json::to_string(&draft.history).map_err(AppError::internal)?,
        updated_at: now,
    })
}
