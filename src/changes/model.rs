//! Change records as stored and as followed by integrators.

use crate::db::text::JsonText;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    City,
    Twinning,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

crate::text_enum!(Entity {
    City = "city",
    Twinning = "twinning",
    Event = "event",
});

crate::text_enum!(Action {
    Create = "create",
    Update = "update",
    Delete = "delete",
});

#[derive(Debug, Clone, Queryable)]
pub struct ChangeRow {
    pub id: i64,
    pub token_id: Option<i64>,
    pub token_name: String,
    pub entity: Entity,
    pub entity_id: i64,
    pub action: Action,
    pub before: Option<JsonText<serde_json::Value>>,
    pub after: Option<JsonText<serde_json::Value>>,
    pub changed_at: NaiveDateTime,
}

/// Who made a change: the token's id and name (the command line has no id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"token_id": 2, "name": "Rochester international relations"}))]
pub struct ChangeAuthor {
    pub token_id: Option<i64>,
    pub name: String,
}

impl ChangeAuthor {
    /// The holder of the request's token, as the feed names it.
    pub fn of(principal: &crate::tokens::Principal) -> ChangeAuthor {
        ChangeAuthor {
            token_id: principal.token_id,
            name: principal.name.clone(),
        }
    }
}

/// One write to the registry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 17,
    "cursor": "MTc",
    "changed_at": "2026-11-27T08:00:00Z",
    "author": {"token_id": 2, "name": "Novosibirsk international relations"},
    "entity": "event",
    "entity_id": 5,
    "action": "create",
    "before": null,
    "after": {"id": 5, "title": "Reply video from Novosibirsk", "status": "in_preparation"}
}))]
pub struct Change {
    /// Increases in commit order.
    pub id: i64,
    /// Pass as `after` to get the changes that follow this one.
    pub cursor: String,
    pub changed_at: DateTime<Utc>,
    pub author: ChangeAuthor,
    pub entity: Entity,
    pub entity_id: i64,
    pub action: Action,
    /// The entity as it was (`null` for a create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entity as it became (`null` for a delete).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// One page of the change feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<Change>,
    /// Where to continue: pass it as `after` on the next poll. Never `null` in the
    /// feed (`/api/v1/changes`), so a client can keep polling; `null` on the last
    /// page of an entity's history.
    pub next_cursor: Option<String>,
}

impl From<ChangeRow> for Change {
    fn from(row: ChangeRow) -> Change {
        Change {
            id: row.id,
            cursor: crate::http::Cursor::encode(&row.id),
            changed_at: row.changed_at.and_utc(),
            author: ChangeAuthor {
                token_id: row.token_id,
                name: row.token_name,
            },
            entity: row.entity,
            entity_id: row.entity_id,
            action: row.action,
            before: row.before.map(JsonText::into_inner),
            after: row.after.map(JsonText::into_inner),
        }
    }
}
