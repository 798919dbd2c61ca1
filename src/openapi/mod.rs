//! The OpenAPI document, generated from the handlers and types.

use crate::anniversaries::model as anniversary;
use crate::changes::model as change;
use crate::cities::model as city;
use crate::error::{FieldError, Problem};
use crate::events::model as event;
use crate::health;
use crate::tokens::model as token;
use crate::twinnings::model as twinning;
use utoipa::{Modify, OpenApi};

mod errors;
mod http;
mod rules;

pub use rules::{DATE_PATTERN, LONG_TEXT_PATTERN, TEXT_PATTERN};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Twinning registry",
        version = "1",
        description = "The registry of twin-city (sister-city) relationships: cities, the \
twinnings between them with their start dates and anniversaries, and the exchanges twinned \
cities make.\n\nEvery error is an RFC 9457 problem document (`application/problem+json`) with \
a stable `code`; validation errors name each offending field in `errors`. Reads are \
public; every write needs `Authorization: Bearer <token>`. Every list answers \
`{\"items\": [...], \"next_cursor\": ...}`: pass `next_cursor` back as `cursor` for the next page.\n\n\
Every GET also answers HEAD (the same status and headers, no body). Answers of 1 KB or more \
come in the coding `Accept-Encoding` prefers among zstd, br and gzip, with `Vary: Accept-Encoding`; \
each coding has its own strong `ETag` (the JSON's tag with `.zstd`, `.br` or `.gzip` before \
the closing quote), and `If-Match` takes any of them.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "The server this document is served from")),
    components(schemas(
        Problem, FieldError, health::Health,
        city::City, city::CityListItem, city::NewCity, city::CityPatch, city::CityPage,
        twinning::Twinning, twinning::NewTwinning, twinning::TwinningPatch, twinning::TwinningPage,
        twinning::CityTwinning, twinning::CityTwinningPage, twinning::CitySummary,
        twinning::StatusChange, twinning::AnniversaryDate, twinning::TwinningKind, twinning::TwinningStatus,
        event::Event, event::NewEvent, event::EventPatch, event::EventPage, event::EventRef,
        event::EventKind, event::EventMode, event::EventStatus,
        token::Token, token::NewToken, token::CreatedToken, token::TokenPage,
        change::Change, change::ChangePage, change::ChangeAuthor, change::Entity, change::Action,
        crate::transfer::ImportReport, crate::transfer::Rejected, crate::transfer::Format,
        anniversary::Anniversary, anniversary::AnniversaryPage, anniversary::AnniversaryDatePage,
    )),
    tags(
        (name = "cities", description = "Cities and their names in every language"),
        (name = "twinnings", description = "Twinnings: unordered pairs of cities, with start dates and status history"),
        (name = "events", description = "Exchange events: greetings, letters, visits and more, with replies"),
        (name = "anniversaries", description = "Anniversaries of twinnings, derived from their start dates (also as an iCalendar feed)"),
        (name = "maps", description = "GeoJSON for maps: twinnings as lines, cities as points"),
        (name = "import", description = "Bulk import from CSV or JSON Lines (admins only)"),
        (name = "export", description = "Whole exports over HTTP, streamed, in the import's columns"),
        (name = "webhooks", description = "The change feed pushed to receivers, signed as Standard Webhooks 1.0 specifies (admins only); the payload is in `webhooks`"),
        (name = "changes", description = "Every write, in commit order: a feed to sync from, and each entity's history"),
        (name = "tokens", description = "Access tokens (admins only)"),
        (name = "health", description = "Probes for operators"),
    ),
)]
pub struct ApiDoc;

/// The document as served at `/openapi.json` and committed in `openapi/openapi.json`:
/// each module's operations, in this order, then what the modifiers add.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    for part in [
        crate::cities::Paths::openapi(),
        crate::twinnings::Paths::openapi(),
        crate::events::Paths::openapi(),
        crate::changes::Paths::openapi(),
        crate::tokens::Paths::openapi(),
        crate::transfer::http::Paths::openapi(),
        crate::webhooks::Paths::openapi(),
        crate::maps::Paths::openapi(),
        crate::anniversaries::Paths::openapi(),
        crate::health::Paths::openapi(),
    ] {
        document.merge(part);
    }
    let modifiers: [&dyn Modify; 4] = [
        &http::BearerToken,
        &http::Caching,
        &errors::ErrorResponses,
        &rules::FieldRules,
    ];
    for modifier in modifiers {
        modifier.modify(&mut document);
    }
    document.webhooks = Some(webhooks());
    document
}

/// What a subscription's receiver gets (OpenAPI 3.1 `webhooks`).
fn webhooks() -> utoipa::openapi::path::Paths {
    let header = |name: &str, kind: &str, example: serde_json::Value, description: &str| {
        serde_json::json!({"name": name, "in": "header", "required": true,
            "schema": {"type": kind}, "example": example, "description": description})
    };
    let change = serde_json::json!({"change": {"post": {
        "tags": ["webhooks"],
        "operationId": "change_webhook",
        "security": [],
        "summary": "One change of the feed, POSTed to a subscription's URL",
        "description": "Each change that matches a subscription is sent to its `url` once the receiver takes it (any 2xx), in feed order, as the change feed shows it. Deliveries are signed as Standard Webhooks 1.0 specifies: `webhook-signature` is `v1,` and the base64 HMAC-SHA256, keyed with the base64-decoded part of the secret after `whsec_`, of `{webhook-id}.{webhook-timestamp}.{body}`; for a while after the secret is rotated (`POST /api/v1/webhooks/{id}/secret`) it holds two such signatures separated by a space, one by the new secret and one by the secret it replaced, and either proves the delivery. Verify it (the `standardwebhooks` libraries do), refuse a timestamp more than a few minutes old, and deduplicate by `webhook-id`: a change may come more than once (at least once). Any other answer, or none within `WEBHOOK_TIMEOUT_SECS`, is retried with exponential backoff and jitter for `WEBHOOK_GIVE_UP_SECS` (a day), after which the subscription is disabled, saying why.",
        "parameters": [
            header("webhook-id", "string", serde_json::json!("change_42"), "The change's stable id: the same on every attempt"),
            header("webhook-timestamp", "integer", serde_json::json!(1764576000), "When this attempt was signed, in seconds since 1970"),
            header("webhook-signature", "string", serde_json::json!("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), "`v1,` and the signature, base64; two of them, separated by a space, while a rotated secret still signs"),
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Change"}}}},
        "responses": {"2XX": {"description": "The receiver took the change"}}
    }}});
    serde_json::from_value(change).unwrap_or_default()
}

/// The operations of a path that the API has.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

pub fn to_pretty_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
