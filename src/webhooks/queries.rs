//! The diesel queries of webhook subscriptions and their outbox.

use super::model::{DeliveryRow, DeliveryStatus, SubscriptionRow};
use crate::changes::model::{Action, ChangeRow, Entity};
use crate::db::DbConnection;
use crate::db::schema::{changes, webhook_deliveries, webhook_subscriptions};
use crate::error::AppError;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// Changes read per subscription in one round of fanning out.
const FAN_OUT_BATCH: i64 = 500;

pub struct NewRow<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub entities: &'a [Entity],
    pub actions: &'a [Action],
    pub city_ids: &'a [i64],
}

/// A new subscription, placed at the feed's head: it gets the changes from now on.
pub fn insert(
    conn: &mut DbConnection,
    new: &NewRow<'_>,
    now: NaiveDateTime,
) -> Result<SubscriptionRow, AppError> {
    let unknown = crate::cities::queries::missing(conn, "city_ids", new.city_ids)?;
    if !unknown.is_empty() {
        return Err(AppError::validation(unknown));
    }
    let head = crate::changes::queries::head(conn)?;
    Ok(diesel::insert_into(webhook_subscriptions::table)
        .values((
            webhook_subscriptions::url.eq(new.url),
            webhook_subscriptions::secret.eq(new.secret),
            webhook_subscriptions::entities.eq(json(new.entities)),
            webhook_subscriptions::actions.eq(json(new.actions)),
            webhook_subscriptions::city_ids.eq(json(new.city_ids)),
            webhook_subscriptions::enabled.eq(true),
            webhook_subscriptions::after_change_id.eq(head),
            webhook_subscriptions::created_at.eq(now),
            webhook_subscriptions::updated_at.eq(now),
        ))
        .returning(webhook_subscriptions::all_columns)
        .get_result(conn)?)
}

/// JSON text of a filter list.
fn json<T: serde::Serialize>(list: &[T]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<SubscriptionRow, AppError> {
    webhook_subscriptions::table
        .find(id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("webhook subscription", id))
}

pub fn list(
    conn: &mut DbConnection,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<SubscriptionRow>, AppError> {
    Ok(webhook_subscriptions::table
        .filter(webhook_subscriptions::id.gt(after.unwrap_or(0)))
        .order(webhook_subscriptions::id)
        .limit(limit)
        .load(conn)?)
}

/// How many deliveries of each subscription are pending.
pub fn pending(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, i64>, AppError> {
    let counts: Vec<(i64, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq_any(ids))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .group_by(webhook_deliveries::subscription_id)
        .select((
            webhook_deliveries::subscription_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// A new signing secret; the current one goes on signing until `until`.
pub fn rotate_secret(
    conn: &mut DbConnection,
    id: i64,
    secret: &str,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    use webhook_subscriptions::dsl as s;
    // The right-hand sides read the row as it was: the old secret moves over.
    diesel::update(s::webhook_subscriptions.find(id))
        .set((
            s::previous_secret.eq(s::secret.nullable()),
            s::previous_secret_until.eq(until),
            s::secret.eq(secret),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_enabled(
    conn: &mut DbConnection,
    id: i64,
    enabled: bool,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set((
            webhook_subscriptions::enabled.eq(enabled),
            webhook_subscriptions::disabled_reason.eq(reason),
            webhook_subscriptions::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::subscription_id.eq(id)))
        .execute(conn)?;
    let deleted = diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)?;
    if deleted == 0 {
        return Err(AppError::not_found("webhook subscription", id));
    }
    Ok(())
}

/// A page of a subscription's deliveries, in feed order.
pub fn deliveries(
    conn: &mut DbConnection,
    subscription: i64,
    status: Option<DeliveryStatus>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, AppError> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription))
        .filter(webhook_deliveries::id.gt(after.unwrap_or(0)))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.as_str()));
    }
    Ok(query
        .order(webhook_deliveries::id)
        .limit(limit)
        .load(conn)?)
}

/// Sends a delivery again: pending, due now, its attempts and horizon anew.
pub fn redeliver(
    conn: &mut DbConnection,
    subscription: i64,
    id: i64,
    now: NaiveDateTime,
) -> Result<DeliveryRow, AppError> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(webhook_deliveries::subscription_id.eq(subscription)),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
        webhook_deliveries::next_attempt_at.eq(now),
        webhook_deliveries::attempts.eq(0),
        webhook_deliveries::created_at.eq(now),
        webhook_deliveries::delivered_at.eq(None::<NaiveDateTime>),
    ))
    .returning(webhook_deliveries::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| AppError::not_found("delivery", id))
}

/// A subscription on again: its deliveries given up on are pending again,
/// due now, with a new horizon.
pub fn retry_failed(
    conn: &mut DbConnection,
    subscription: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(subscription))
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Failed.as_str())),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
        webhook_deliveries::next_attempt_at.eq(now),
        webhook_deliveries::created_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Whether a change is one a subscription takes.
fn matches(subscription: &SubscriptionRow, change: &ChangeRow) -> bool {
    let entities = &subscription.entities.0;
    let actions = &subscription.actions.0;
    let cities = &subscription.city_ids.0;
    if !entities.is_empty() && !entities.contains(&change.entity) {
        return false;
    }
    if !actions.is_empty() && !actions.contains(&change.action) {
        return false;
    }
    if cities.is_empty() {
        return true;
    }
    if change.entity == Entity::City {
        return cities.contains(&change.entity_id);
    }
    // A twinning's cities, or an event's sender and recipient, as recorded.
    let involved = |value: &serde_json::Value| -> Vec<i64> {
        let ids = value["cities"]
            .as_array()
            .into_iter()
            .flatten()
            .chain([&value["from_city"], &value["to_city"]])
            .filter_map(|c| c["id"].as_i64());
        ids.collect()
    };
    [&change.after, &change.before]
        .into_iter()
        .flatten()
        .flat_map(|v| involved(&v.0))
        .any(|id| cities.contains(&id))
}

/// Whether there is work: a subscription behind the feed's head, or a
/// delivery due (two indexed reads; none at all without subscriptions).
pub fn has_work(conn: &mut DbConnection, now: NaiveDateTime) -> Result<bool, AppError> {
    let subscribed: Option<i64> = webhook_subscriptions::table
        .filter(webhook_subscriptions::enabled.eq(true))
        .select(diesel::dsl::min(webhook_subscriptions::after_change_id))
        .first(conn)?;
    let Some(lowest) = subscribed else {
        return Ok(false);
    };
    if lowest < crate::changes::queries::head(conn)? {
        return Ok(true);
    }
    let due: Option<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .select(webhook_deliveries::id)
        .first(conn)
        .optional()?;
    Ok(due.is_some())
}

/// Turns the changes after each enabled subscription's place into its
/// deliveries and moves the place on. Each subscription's row is locked
/// while it is fanned out, so instances beside each other do not both.
/// Returns how many deliveries were made.
pub fn fan_out(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let head = crate::changes::queries::head(conn)?;
    let behind: Vec<i64> = webhook_subscriptions::table
        .filter(webhook_subscriptions::enabled.eq(true))
        .filter(webhook_subscriptions::after_change_id.lt(head))
        .select(webhook_subscriptions::id)
        .load(conn)?;
    let mut made = 0;
    for id in behind {
        made += conn.transaction(|conn| {
            diesel::update(webhook_subscriptions::table.find(id))
                .set(webhook_subscriptions::id.eq(webhook_subscriptions::id))
                .execute(conn)?;
            let Some(subscription) = webhook_subscriptions::table
                .find(id)
                .first::<SubscriptionRow>(conn)
                .optional()?
            else {
                return Ok::<usize, AppError>(0);
            };
            let rows: Vec<ChangeRow> = changes::table
                .filter(changes::id.gt(subscription.after_change_id))
                .order(changes::id)
                .limit(FAN_OUT_BATCH)
                .load(conn)?;
            let Some(last) = rows.last().map(|r| r.id) else {
                return Ok(0);
            };
            let wanted: Vec<_> = rows
                .iter()
                .filter(|change| matches(&subscription, change))
                .map(|change| {
                    (
                        webhook_deliveries::subscription_id.eq(id),
                        webhook_deliveries::change_id.eq(change.id),
                        webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
                        webhook_deliveries::next_attempt_at.eq(now),
                        webhook_deliveries::created_at.eq(now),
                    )
                })
                .collect();
            let count = wanted.len();
            // One statement per row: a batch insert is not portable across the backends.
            for values in wanted {
                diesel::insert_into(webhook_deliveries::table)
                    .values(values)
                    .execute(conn)?;
            }
            diesel::update(webhook_subscriptions::table.find(id))
                .set(webhook_subscriptions::after_change_id.eq(last))
                .execute(conn)?;
            Ok(count)
        })?;
    }
    Ok(made)
}

/// Enabled subscriptions whose next delivery in feed order is due, and
/// that no instance holds: at most `limit`, each now held until `until`.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<SubscriptionRow>, AppError> {
    let candidates: Vec<i64> = webhook_deliveries::table
        .inner_join(
            webhook_subscriptions::table
                .on(webhook_subscriptions::id.eq(webhook_deliveries::subscription_id)),
        )
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(webhook_subscriptions::enabled.eq(true))
        .filter(
            webhook_subscriptions::lease_until
                .is_null()
                .or(webhook_subscriptions::lease_until.lt(now)),
        )
        .select(webhook_deliveries::subscription_id)
        .distinct()
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        // Taken by one instance only: the update that finds it free wins.
        let taken = diesel::update(
            webhook_subscriptions::table.find(id).filter(
                webhook_subscriptions::lease_until
                    .is_null()
                    .or(webhook_subscriptions::lease_until.lt(now)),
            ),
        )
        .set(webhook_subscriptions::lease_until.eq(Some(until)))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(find(conn, id)?);
        }
    }
    Ok(claimed)
}

pub fn release(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set(webhook_subscriptions::lease_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// The subscription's first pending delivery in feed order, with its change.
pub fn next_pending(
    conn: &mut DbConnection,
    subscription: i64,
) -> Result<Option<(DeliveryRow, ChangeRow)>, AppError> {
    let delivery: Option<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .order(webhook_deliveries::change_id)
        .first(conn)
        .optional()?;
    let Some(delivery) = delivery else {
        return Ok(None);
    };
    let change: ChangeRow = changes::table.find(delivery.change_id).first(conn)?;
    Ok(Some((delivery, change)))
}

/// What one attempt came to.
pub struct Attempt<'a> {
    pub status: DeliveryStatus,
    pub code: Option<i32>,
    pub error: Option<&'a str>,
    pub next: NaiveDateTime,
}

pub fn record_attempt(
    conn: &mut DbConnection,
    delivery: &DeliveryRow,
    attempt: &Attempt<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let delivered = (attempt.status == DeliveryStatus::Delivered).then_some(now);
    diesel::update(webhook_deliveries::table.find(delivery.id))
        .set((
            webhook_deliveries::status.eq(attempt.status.as_str()),
            webhook_deliveries::attempts.eq(delivery.attempts + 1),
            webhook_deliveries::next_attempt_at.eq(attempt.next),
            webhook_deliveries::last_attempt_at.eq(Some(now)),
            webhook_deliveries::last_status_code.eq(attempt.code),
            webhook_deliveries::last_error.eq(attempt.error),
            webhook_deliveries::delivered_at.eq(delivered),
        ))
        .execute(conn)?;
    Ok(())
}
