//! The rules of request bodies and parameters that the derives cannot state.

use serde_json::{Value, json};
use utoipa::Modify;

/// One line of text as the server takes it: no control characters and at
/// least one character that is not white space (surrounding space is trimmed).
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$";

/// Free text: no control characters but tab and line breaks.
pub const LONG_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// The shape of a BCP 47 language tag (RFC 5646's langtag: language with
/// extended subtags, script, region, variants, extensions, private use).
/// Whether each subtag is in the registry is the server's check.
pub const LANGUAGE_TAG_PATTERN: &str = concat!(
    "^[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}",
    "(?:-[A-Za-z]{4})?",
    "(?:-(?:[A-Za-z]{2}|[0-9]{3}))?",
    "(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*",
    "(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*",
    "(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$"
);

/// An absolute http or https URL with a host, as the server takes it (the
/// WHATWG URL parser has the last word on the host).
pub const URL_PATTERN: &str = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\u0000-\u0020/?#\\:@][^\u0000-\u0020/?#\\]*(?:[/?#][^\u0000-\u0020]*)?$";

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
        date_parameters(openapi);
        non_empty_uploads(openapi);
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (schema, field, rule) in property_rules() {
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
        rules_between_fields(components);
        enum_names(components);
    }
}

/// A name for each time zone that generated clients can use as an enum
/// member (`x-enum-varnames`): the names themselves differ only in signs
/// (`GMT+0`, `GMT-0`, `GMT0`), which most languages' identifiers drop.
fn enum_names(components: &mut utoipa::openapi::Components) {
    let names: Vec<String> = crate::schemas::time_zones()
        .iter()
        .map(|zone| member_name(zone))
        .collect();
    edit(components, "TimeZone", |object| {
        object.insert("x-enum-varnames".into(), json!(names));
    });
}

/// `America/Port-au-Prince` → `AMERICA_PORT_AU_PRINCE`, `Etc/GMT+1` → `ETC_GMT_PLUS_1`.
fn member_name(zone: &str) -> String {
    let mut name = String::new();
    let mut chars = zone.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '+' => name.push_str("_PLUS_"),
            '-' if chars.peek().is_some_and(char::is_ascii_digit) => name.push_str("_MINUS_"),
            c if c.is_ascii_alphanumeric() => name.push(c.to_ascii_uppercase()),
            _ => name.push('_'),
        }
    }
    name
}

type Rule = (&'static str, &'static str, Value);

/// One line of text of at most `max` characters.
fn text(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": TEXT_PATTERN})
}

/// Free text of at most `max` characters.
fn long_text(max: usize) -> Value {
    json!({"maxLength": max, "pattern": LONG_TEXT_PATTERN})
}

fn list(max: usize, item: Value) -> Value {
    json!({"maxItems": max, "items": item})
}

/// The same rule on a field of a new entity's body and of its patch.
fn both(schemas: [&'static str; 2], field: &'static str, rule: Value) -> [Rule; 2] {
    [(schemas[0], field, rule.clone()), (schemas[1], field, rule)]
}

/// The rule of each property: text patterns and lengths, sizes, dates.
fn property_rules() -> Vec<Rule> {
    use crate::validate::{MAX_LANGUAGES, MAX_NAME_CHARS, MAX_URL_CHARS, MAX_URLS};
    const CITY: [&str; 2] = ["NewCity", "CityPatch"];
    const EVENT: [&str; 2] = ["NewEvent", "EventPatch"];
    const TWINNING: [&str; 2] = ["NewTwinning", "TwinningPatch"];
    let name = text(MAX_NAME_CHARS);
    let string = |rule: Value| merged(json!({"type": "string"}), rule);
    let names = json!({
        "maxProperties": crate::cities::validate::MAX_NAMES,
        "propertyNames": {"type": "string", "pattern": LANGUAGE_TAG_PATTERN},
        "additionalProperties": string(name.clone()),
    });
    let alternate = list(
        crate::cities::validate::MAX_ALTERNATE_NAMES,
        string(name.clone()),
    );
    let urls = list(
        MAX_URLS,
        json!({"type": "string", "format": "uri", "maxLength": MAX_URL_CHARS, "pattern": URL_PATTERN}),
    );
    let languages = list(
        MAX_LANGUAGES,
        json!({"type": "string", "pattern": LANGUAGE_TAG_PATTERN}),
    );
    let description = long_text(crate::events::validate::MAX_DESCRIPTION);
    let notes = long_text(crate::twinnings::validate::MAX_NOTES);
    let reason = long_text(crate::twinnings::validate::MAX_REASON);
    let date = json!({"pattern": DATE_PATTERN});
    let token_cities = json!({"maxItems": crate::tokens::queries::MAX_TOKEN_CITIES});
    let mut rules = vec![
        ("NewToken", "name", name.clone()),
        ("NewToken", "city_ids", token_cities),
        ("NewTwinning", "city_ids", json!({"uniqueItems": true})),
        (
            "NewReview",
            "reason",
            long_text(crate::events::validate::MAX_REVIEW_REASON),
        ),
        (
            "NewSubscription",
            "url",
            json!({"format": "uri", "maxLength": crate::webhooks::target::MAX_URL_CHARS, "pattern": URL_PATTERN}),
        ),
        (
            "NewSubscription",
            "city_ids",
            json!({"maxItems": 100, "items": {"type": "integer", "format": "int64", "minimum": 1}}),
        ),
    ];
    for pair in [
        both(CITY, "name", name.clone()),
        both(CITY, "names", names),
        both(CITY, "alternate_names", alternate),
        both(EVENT, "title", name),
        both(EVENT, "description", description),
        both(EVENT, "languages", languages),
        both(EVENT, "media_urls", urls.clone()),
        both(EVENT, "date", date.clone()),
        both(TWINNING, "notes", notes),
        both(TWINNING, "status_reason", reason),
        both(TWINNING, "source_urls", urls),
        both(TWINNING, "established", date.clone()),
        both(TWINNING, "ended", date.clone()),
        both(TWINNING, "status_since", date),
    ] {
        rules.extend(pair);
    }
    rules
}

/// Rules between the fields of one body, as `if`/`then`.
fn rules_between_fields(components: &mut utoipa::openapi::Components) {
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
    // A completed exchange has a date.
    edit(
        components,
        "NewEvent",
        all_of(json!([{
            "if": {"properties": {"status": {"const": "completed"}}, "required": ["status"]},
            "then": {"properties": {"date": {"type": "string"}}, "required": ["date"]},
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

/// Query parameters that take a date (`from`, `to`, `established_after`, …)
/// or a language tag (`language`).
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
            let pattern = match parameter.name.as_str() {
                name if NAMES.contains(&name) => DATE_PATTERN,
                "language" => LANGUAGE_TAG_PATTERN,
                _ => continue,
            };
            if let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() {
                schema.pattern = Some(pattern.into());
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_time_zone_has_a_member_name_of_its_own() {
        let zones = crate::schemas::time_zones();
        let mut names: Vec<String> = zones.iter().map(|z| super::member_name(z)).collect();
        assert_eq!(super::member_name("Etc/GMT+1"), "ETC_GMT_PLUS_1");
        assert_eq!(super::member_name("GMT-0"), "GMT_MINUS_0");
        assert_eq!(
            super::member_name("America/Port-au-Prince"),
            "AMERICA_PORT_AU_PRINCE"
        );
        names.sort();
        names.dedup();
        assert_eq!(names.len(), zones.len());
    }
}
