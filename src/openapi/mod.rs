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
    document
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
