//! Access tokens as stored and as shown (never with their secret, but once).

use crate::error::AppError;
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

/// The holder of the bearer token of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// `None` for writes made from the command line.
    pub token_id: Option<i64>,
    pub name: String,
    pub admin: bool,
    /// The cities a city token may edit.
    pub cities: Vec<i64>,
}

impl Principal {
    /// The command line, which holds the database itself.
    pub fn command_line(what: &str) -> Principal {
        Principal {
            token_id: None,
            name: format!("command line: {what}"),
            admin: true,
            cities: Vec::new(),
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.admin {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "token \"{}\" is scoped to cities; this needs an admin token",
                self.name
            )))
        }
    }

    /// May edit this city (and what involves it).
    pub fn may_edit_city(&self, city_id: i64) -> bool {
        self.admin || self.cities.contains(&city_id)
    }

    pub fn require_city(&self, city_id: i64) -> Result<(), AppError> {
        if self.may_edit_city(city_id) {
            Ok(())
        } else {
            Err(self.out_of_scope(&format!("city {city_id}")))
        }
    }

    /// May edit what involves at least one of the two cities.
    pub fn require_pair(&self, a: i64, b: i64, what: &str) -> Result<(), AppError> {
        if self.may_edit_city(a) || self.may_edit_city(b) {
            Ok(())
        } else {
            Err(self.out_of_scope(what))
        }
    }

    /// The city of the pair `a`–`b` this token speaks for: `None` for an
    /// admin (who speaks for the registry) or a token for neither; the lower
    /// id for a token of both.
    pub fn side_in(&self, a: i64, b: i64) -> Option<i64> {
        if self.admin {
            return None;
        }
        [a.min(b), a.max(b)]
            .into_iter()
            .find(|c| self.cities.contains(c))
    }

    pub fn out_of_scope(&self, what: &str) -> AppError {
        AppError::forbidden(format!(
            "token \"{}\" may edit only cities {:?} and what involves them, not {what}",
            self.name, self.cities
        ))
    }
}
