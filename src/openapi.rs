//! The OpenAPI document, generated from the handlers and types.

use crate::anniversaries::model as anniversary;
use crate::changes::model as change;
use crate::cities::model as city;
use crate::error::{FieldError, Problem};
use crate::events::model as event;
use crate::health;
use crate::tokens::model as token;
use crate::twinnings::model as twinning;
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

/// One line of text as the server takes it: no control characters and at
/// least one character that is not white space (surrounding space is trimmed).
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$";

/// Free text: no control characters but tab and line breaks.
pub const LONG_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// YYYY, YYYY-MM or YYYY-MM-DD of a day that exists (years 0001–9999), as
/// `PartialDate::parse` takes it.
pub const DATE_PATTERN: &str = concat!(
    "^(?:",
    "(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})",
    "(?:-(?:0[1-9]|1[0-2])",
    "|-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])",
    "|-(?:0[13-9]|1[0-2])-(?:29|30)",
    "|-(?:0[13578]|1[02])-31",
    ")?",
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29",
    ")$"
);

/// What the derive cannot state about request bodies: the character rules of
/// text and dates, the sizes of lists and maps, and rules between fields (a
/// new city's position is a pair; a twinning's two cities differ).
struct FieldRules;

impl Modify for FieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use serde_json::{Value, json};
        date_parameters(openapi);
        non_empty_uploads(openapi);
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let text = |max: usize| json!({"minLength": 1, "maxLength": max, "pattern": TEXT_PATTERN});
        let long_text = |max: usize| json!({"maxLength": max, "pattern": LONG_TEXT_PATTERN});
        let names = json!({
            "maxProperties": crate::cities::validate::MAX_NAMES,
            "additionalProperties": merged(json!({"type": "string"}), text(crate::validate::MAX_NAME_CHARS)),
        });
        let list = |max: usize, item: Value| json!({"maxItems": max, "items": item});
        let name = text(crate::validate::MAX_NAME_CHARS);
        let alternate = list(
            crate::cities::validate::MAX_ALTERNATE_NAMES,
            merged(json!({"type": "string"}), name.clone()),
        );
        let urls = list(
            crate::validate::MAX_URLS,
            json!({"type": "string", "maxLength": crate::validate::MAX_URL_CHARS}),
        );
        let languages = list(crate::validate::MAX_LANGUAGES, json!({"type": "string"}));
        let rules: Vec<(&str, &str, Value)> = vec![
            ("NewCity", "name", name.clone()),
            ("NewCity", "names", names.clone()),
            ("NewCity", "alternate_names", alternate.clone()),
            ("CityPatch", "name", name.clone()),
            ("CityPatch", "names", names),
            ("CityPatch", "alternate_names", alternate),
            ("NewToken", "name", name.clone()),
            (
                "NewToken",
                "city_ids",
                json!({"maxItems": crate::tokens::queries::MAX_TOKEN_CITIES}),
            ),
            ("NewEvent", "title", name.clone()),
            (
                "NewEvent",
                "description",
                long_text(crate::events::validate::MAX_DESCRIPTION),
            ),
            ("NewEvent", "languages", languages.clone()),
            ("NewEvent", "media_urls", urls.clone()),
            ("EventPatch", "title", name),
            (
                "EventPatch",
                "description",
                long_text(crate::events::validate::MAX_DESCRIPTION),
            ),
            ("EventPatch", "languages", languages),
            ("EventPatch", "media_urls", urls.clone()),
            ("NewTwinning", "city_ids", json!({"uniqueItems": true})),
            (
                "NewTwinning",
                "notes",
                long_text(crate::twinnings::validate::MAX_NOTES),
            ),
            (
                "NewTwinning",
                "status_reason",
                long_text(crate::twinnings::validate::MAX_REASON),
            ),
            ("NewTwinning", "source_urls", urls.clone()),
            (
                "TwinningPatch",
                "notes",
                long_text(crate::twinnings::validate::MAX_NOTES),
            ),
            (
                "TwinningPatch",
                "status_reason",
                long_text(crate::twinnings::validate::MAX_REASON),
            ),
            ("TwinningPatch", "source_urls", urls),
        ];
        let date = || json!({"pattern": DATE_PATTERN});
        let dates = [
            ("NewTwinning", "established"),
            ("NewTwinning", "ended"),
            ("NewTwinning", "status_since"),
            ("TwinningPatch", "established"),
            ("TwinningPatch", "ended"),
            ("TwinningPatch", "status_since"),
            ("NewEvent", "date"),
            ("EventPatch", "date"),
        ];
        let rules = rules
            .into_iter()
            .chain(dates.map(|(schema, field)| (schema, field, date())));
        for (schema, field, rule) in rules {
            edit(components, schema, |object| {
                let Some(property) = object
                    .get_mut("properties")
                    .and_then(|properties| properties.get_mut(field))
                else {
                    panic!("{schema}.{field} is not in the document");
                };
                *property = merged(property.take(), rule);
            });
        }
        // A position is a pair: a number in either coordinate needs one in the other.
        let needs = |given: &str, other: &str| {
            json!({
                "if": {"properties": {given: {"type": "number"}}, "required": [given]},
                "then": {"properties": {other: {"type": "number"}}, "required": [other]},
            })
        };
        let all_of = |rules: Value| {
            move |object: &mut serde_json::Map<String, Value>| {
                object.insert("allOf".into(), rules);
            }
        };
        edit(
            components,
            "NewCity",
            all_of(json!([
                needs("latitude", "longitude"),
                needs("longitude", "latitude")
            ])),
        );
        // An admin token names no cities; any other names one at least.
        edit(
            components,
            "NewToken",
            all_of(json!([{
                "if": {"properties": {"admin": {"const": true}}, "required": ["admin"]},
                "then": {"properties": {"city_ids": {"maxItems": 0}}},
                "else": {"properties": {"city_ids": {"minItems": 1}}, "required": ["city_ids"]},
            }])),
        );
        // An end date means the status is `ended`.
        edit(
            components,
            "NewTwinning",
            all_of(json!([{
                "if": {"properties": {"ended": {"type": "string"}}, "required": ["ended"]},
                "then": {"properties": {"status": {"const": "ended"}}},
            }])),
        );
    }
}

/// Query parameters that take a date: `from`, `to`, `established_after`, ….
fn date_parameters(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, schema::Schema};
    const NAMES: [&str; 5] = [
        "from",
        "to",
        "established_after",
        "established_before",
        "dormant_since",
    ];
    for item in openapi.paths.paths.values_mut() {
        let Some(get) = item.get.as_mut() else {
            continue;
        };
        for parameter in get.parameters.iter_mut().flatten() {
            let RefOr::T(parameter) = parameter else {
                continue;
            };
            if let (true, Some(RefOr::T(Schema::Object(schema)))) = (
                NAMES.contains(&parameter.name.as_str()),
                parameter.schema.as_mut(),
            ) {
                schema.pattern = Some(DATE_PATTERN.into());
            }
        }
    }
}

/// An import needs a file: its body is at least one character.
fn non_empty_uploads(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, schema::Schema};
    for (path, item) in openapi.paths.paths.iter_mut() {
        let Some(RefOr::T(body)) = item
            .post
            .as_mut()
            .filter(|_| path.starts_with("/api/v1/import/"))
            .and_then(|post| post.request_body.as_mut())
        else {
            continue;
        };
        for content in body.content.values_mut() {
            let RefOr::T(content) = content else {
                continue;
            };
            if let Some(RefOr::T(Schema::Object(schema))) = content.schema.as_mut() {
                schema.min_length = Some(1);
            }
        }
    }
}

/// `base` with the keys of `extra` set on it.
fn merged(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    if let (Some(base), serde_json::Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// Edits a component schema as JSON. `allOf` beside `properties`, which the
/// schema model cannot hold, is kept as an extension, written out as it is.
fn edit(
    components: &mut utoipa::openapi::Components,
    name: &str,
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) {
    use utoipa::openapi::{RefOr, schema::Schema};
    let Some(schema) = components.schemas.get_mut(name) else {
        panic!("{name} is not in the document");
    };
    let mut value = serde_json::to_value(&*schema).unwrap_or_default();
    let Some(object) = value.as_object_mut() else {
        return;
    };
    change(object);
    let all_of = object.remove("allOf");
    let Ok(RefOr::T(Schema::Object(mut rebuilt))) = serde_json::from_value::<RefOr<Schema>>(value)
    else {
        panic!("{name} did not read back as an object schema");
    };
    if let Some(all_of) = all_of {
        rebuilt
            .extensions
            .get_or_insert_with(Default::default)
            .insert("allOf".into(), all_of);
    }
    *schema = RefOr::T(Schema::Object(rebuilt));
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
    let modifiers: [&dyn Modify; 3] = [&BearerToken, &Caching, &FieldRules];
    for modifier in modifiers {
        modifier.modify(&mut document);
    }
    document
}

pub fn to_pretty_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
