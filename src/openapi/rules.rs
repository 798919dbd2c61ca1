//! The rules of request bodies and parameters that the derives cannot state.

use utoipa::Modify;

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
pub struct FieldRules;

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
