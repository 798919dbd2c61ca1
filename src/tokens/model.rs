//! Access tokens as stored and as shown (never with their secret, but once).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Queryable)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub secret_hash: String,
    pub is_admin: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// An access token, without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "name": "Novosibirsk international relations", "admin": false, "city_ids": [4],
    "expires_at": "2027-11-27T08:00:00Z", "revoked_at": null, "created_at": "2026-11-27T08:00:00Z"
}))]
pub struct Token {
    pub id: i64,
    pub name: String,
    /// An admin token may do everything.
    pub admin: bool,
    /// The cities a city token may edit, with their twinnings and events.
    pub city_ids: Vec<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A new token: an admin token, or one scoped to cities.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Novosibirsk international relations", "city_ids": [4], "expires_in_days": 365}))]
pub struct NewToken {
    /// Who holds it (shown in the change feed), 1–200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    pub admin: bool,
    /// The cities it may edit (required unless `admin`).
    #[serde(default)]
    pub city_ids: Vec<i64>,
    /// Days until it expires; no expiry when absent.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A token just created, with its secret: shown this once only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: Token,
    /// The bearer token to send as `Authorization: Bearer <token>`. Not shown again.
    #[schema(example = "twn_2_9vXq…")]
    pub secret: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPage {
    pub items: Vec<Token>,
    pub next_cursor: Option<String>,
}
