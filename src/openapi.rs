//! The OpenAPI document, generated from the handlers and types.

use crate::anniversaries::{handlers as anniversaries, model as anniversary};
use crate::changes::{handlers as change_handlers, model as change};
use crate::cities::{handlers as cities, model as city};
use crate::error::{FieldError, Problem};
use crate::events::{handlers as events, model as event};
use crate::health;
use crate::tokens::{handlers as tokens, model as token};
use crate::twinnings::{handlers as twinnings, model as twinning};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Declares the bearer scheme that write operations require.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "An access token from `twinning token create` or `POST /api/v1/tokens`: an admin \
token, or one scoped to cities that may edit those cities and the twinnings and events \
involving them. Reads need no token."
                .into(),
        );
        components.add_security_scheme("bearer_token", SecurityScheme::Http(scheme));
    }
}

/// What the caching middleware does to every operation: GETs answer with an
/// `ETag` and honour `If-None-Match` (304); PATCH and DELETE honour `If-Match` (412).
struct Caching;

impl Modify for Caching {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
        use utoipa::openapi::{
            ContentBuilder, Ref, RefOr, Required, ResponseBuilder, header::HeaderBuilder,
            schema::Type,
        };
        let text = || {
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(Type::String)
                .build()
        };
        let header_param = |name: &str, description: &str| {
            RefOr::T(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(description))
                    .schema(Some(text()))
                    .build(),
            )
        };
        let add_param = |operation: &mut Operation, param| {
            operation
                .parameters
                .get_or_insert_with(Vec::new)
                .push(param);
        };
        for item in openapi.paths.paths.values_mut() {
            // Reads need no token: say so explicitly on every operation without one.
            for operation in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                operation.security.get_or_insert_with(Vec::new);
            }
            if let Some(get) = item.get.as_mut() {
                add_param(
                    get,
                    header_param(
                        "If-None-Match",
                        "An `ETag` from an earlier answer: 304 while it still matches",
                    ),
                );
                if let Some(RefOr::T(ok)) = get.responses.responses.get_mut("200") {
                    ok.headers.insert(
                        "ETag".into(),
                        RefOr::T(
                            HeaderBuilder::new()
                                .schema(Some(text()))
                                .description(Some("Strong validator of this answer"))
                                .build(),
                        ),
                    );
                }
                get.responses.responses.insert(
                    "304".into(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("Not modified: the `If-None-Match` tag still matches")
                            .build(),
                    ),
                );
            }
            for write in [item.patch.as_mut(), item.delete.as_mut()]
                .into_iter()
                .flatten()
            {
                add_param(
                    write,
                    header_param(
                        "If-Match",
                        "The `ETag` the client last read: the write is refused with 412 if the resource changed since",
                    ),
                );
                write.responses.responses.insert(
                    "412".into(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("The resource changed since the `If-Match` tag was read (code `precondition_failed`)")
                            .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
                            .build(),
                    ),
                );
            }
        }
    }
}

/// Rules between fields that the derive cannot state: a new city's position
/// is a pair, so either coordinate requires the other.
struct FieldDependencies;

impl Modify for FieldDependencies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, schema::Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(city))) = components.schemas.get_mut("NewCity") {
            city.extensions.get_or_insert_with(Default::default).insert(
                "dependentRequired".into(),
                serde_json::json!({"latitude": ["longitude"], "longitude": ["latitude"]}),
            );
        }
    }
}

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
`{\"items\": [...], \"next_cursor\": ...}`: pass `next_cursor` back as `cursor` for the next page.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "The server this document is served from")),
    paths(
        cities::list_cities,
        cities::create_city,
        cities::get_city,
        cities::update_city,
        cities::delete_city,
        twinnings::list_city_twinnings,
        twinnings::list_twinnings,
        twinnings::create_twinning,
        twinnings::get_twinning,
        twinnings::update_twinning,
        twinnings::delete_twinning,
        events::twinning_events,
        events::create_event,
        events::city_events,
        events::list_events,
        events::get_event,
        events::update_event,
        events::delete_event,
        change_handlers::city_history,
        change_handlers::twinning_history,
        change_handlers::event_history,
        change_handlers::list_changes,
        tokens::create_token,
        tokens::list_tokens,
        tokens::revoke_token,
        crate::transfer::http::import_cities,
        crate::transfer::http::import_twinnings,
        crate::transfer::http::import_events,
        crate::maps::twinnings_geojson,
        crate::maps::cities_geojson,
        anniversaries::next_anniversaries,
        anniversaries::list_anniversaries,
        anniversaries::anniversary_feed,
        health::healthz,
        health::readyz,
    ),
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
    modifiers(&BearerToken, &Caching, &FieldDependencies)
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
