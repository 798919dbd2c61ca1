//! Webhook subscriptions and deliveries as stored and as shown.

use crate::changes::model::{Action, Entity};
use crate::db::text::JsonText;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Queryable)]
pub struct SubscriptionRow {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub entities: JsonText<Vec<Entity>>,
    pub actions: JsonText<Vec<Action>>,
    pub city_ids: JsonText<Vec<i64>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub after_change_id: i64,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
}

impl SubscriptionRow {
    /// The secrets that sign a delivery made at `now`: the current one, and
    /// the one it replaced while that still signs.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// A receiver of the change feed: each matching change is POSTed to `url`,
/// signed as Standard Webhooks 1.0 specifies, in feed order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "url": "https://directory.example.org/hooks/twinning",
    "entities": ["twinning", "event"], "actions": [], "city_ids": [],
    "enabled": true, "disabled_reason": null, "pending": 0,
    "previous_secret_until": null,
    "created_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:00:00Z"
}))]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    /// Only changes of these entities (empty: all).
    pub entities: Vec<Entity>,
    /// Only these actions (empty: all).
    pub actions: Vec<Action>,
    /// Only changes involving one of these cities (empty: all).
    pub city_ids: Vec<i64>,
    /// Deliveries are made; `false` once deliveries failed for longer than the retry horizon.
    pub enabled: bool,
    /// Why the subscription was disabled.
    pub disabled_reason: Option<String>,
    /// Deliveries not yet taken by the receiver.
    pub pending: i64,
    /// After a rotation of its secret, until when deliveries are signed with
    /// the secret it replaced as well as the new one; `null` when they are
    /// signed with the current secret alone.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A subscription just created, with its signing secret: shown this once only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The Standard Webhooks signing secret (`whsec_` and base64). Not shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A subscription with its new signing secret, after a rotation: shown this once only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The new Standard Webhooks signing secret (`whsec_` and base64). Not shown again.
    #[schema(example = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")]
    pub secret: String,
}

/// A subscription to create: where to deliver, and which changes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://directory.example.org/hooks/twinning", "entities": ["twinning", "event"]}))]
pub struct NewSubscription {
    /// An http(s) URL; loopback and private addresses are refused unless the
    /// server allows them (`WEBHOOK_ALLOW_PRIVATE`).
    #[schema(required = true, value_type = String, example = "https://directory.example.org/hooks/twinning")]
    pub url: Option<String>,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub city_ids: Vec<i64>,
}

/// Turns a subscription on or off; on again, it goes on from where it stopped.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct SubscriptionPatch {
    #[schema(required = true, value_type = bool)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionPage {
    pub items: Vec<Subscription>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not taken yet: it is (re)tried at `next_attempt_at`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up on after the retry horizon.
    Failed,
}

crate::text_enum!(DeliveryStatus {
    Pending = "pending",
    Delivered = "delivered",
    Failed = "failed",
});

#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub id: i64,
    pub subscription_id: i64,
    pub change_id: i64,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// One change for one subscription, and how its delivery went.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "change_id": 42, "webhook_id": "change_42", "status": "delivered", "attempts": 2,
    "next_attempt_at": null, "last_attempt_at": "2026-12-01T08:00:03Z", "last_status_code": 204,
    "last_error": null, "delivered_at": "2026-12-01T08:00:03Z", "created_at": "2026-12-01T08:00:00Z"
}))]
pub struct Delivery {
    pub id: i64,
    pub change_id: i64,
    /// The `webhook-id` it is sent with: the same on every attempt, for the receiver to deduplicate by.
    pub webhook_id: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When it is tried next (`null` once delivered or failed).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last answer, if it answered.
    pub last_status_code: Option<i32>,
    /// What went wrong last (a status, a refused connection, a time limit).
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Delivery {
        let pending = row.status == DeliveryStatus::Pending;
        Delivery {
            id: row.id,
            change_id: row.change_id,
            webhook_id: webhook_id(row.change_id),
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: pending.then(|| row.next_attempt_at.and_utc()),
            last_attempt_at: row.last_attempt_at.map(|t| t.and_utc()),
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            delivered_at: row.delivered_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
        }
    }
}

/// The stable id of a change's deliveries (`webhook-id`).
pub fn webhook_id(change_id: i64) -> String {
    format!("change_{change_id}")
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}
