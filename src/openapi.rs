//! The OpenAPI document, generated from the handlers and types.

use crate::cities::{handlers as cities, model as city};
use crate::error::{FieldError, Problem};
use crate::health;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Twinning registry",
        version = "1",
        description = "The registry of twin-city (sister-city) relationships: cities, the \
twinnings between them with their start dates and anniversaries, and the exchanges twinned \
cities make.\n\nEvery error is an RFC 9457 problem document (`application/problem+json`) with \
a stable `code`; validation errors name each offending field in `errors`. Every list answers \
`{\"items\": [...], \"next_cursor\": ...}`: pass `next_cursor` back as `cursor` for the next page.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        cities::list_cities,
        cities::create_city,
        cities::get_city,
        cities::update_city,
        cities::delete_city,
        health::healthz,
        health::readyz,
    ),
    components(schemas(Problem, FieldError, city::City, city::NewCity, city::CityPatch, city::CityPage, health::Health)),
    tags(
        (name = "cities", description = "Cities and their names in every language"),
        (name = "health", description = "Probes for operators"),
    )
)]
pub struct ApiDoc;

/// The document as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub fn to_pretty_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
