//! The error responses every operation has by what it is, written once: a
//! token → 401 and 403; an `{id}` → 400 and 404; query parameters, or a
//! read sent parameters it does not take → 400; a
//! JSON body → 400, 413, 415 and 422; a file upload → 408, 413 and 415; the
//! database → 503 with `Retry-After`. A response an operation states itself
//! (a 409 with its code, a 422 with rules of its own) is kept as it is.
//! Responses are then listed in the order of their status.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, header::HeaderBuilder, schema::Type,
};

pub struct ErrorResponses;

/// What an operation is, as far as its errors go.
struct Facts {
    token: bool,
    id: Option<&'static str>,
    query: bool,
    /// A GET: one that takes no query parameters refuses any (400).
    read: bool,
    if_match: bool,
    json_body: bool,
    other_body: bool,
    database: bool,
}

impl Facts {
    fn of(path: &str, operation: &Operation, read: bool) -> Facts {
        let id = path.contains("{id}").then(|| resource(path));
        Facts {
            token: operation.security.as_ref().is_some_and(|s| !s.is_empty()),
            id,
            query: operation
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query)),
            read,
            if_match: operation.parameters.iter().flatten().any(
                |p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Header && p.name == "If-Match"),
            ),
            json_body: body_types(operation).is_some_and(|json| json),
            other_body: body_types(operation).is_some_and(|json| !json),
            database: path != "/healthz",
        }
    }

    /// The problems of each status this operation may answer.
    fn responses(&self) -> Vec<(&'static str, String)> {
        let mut malformed = Vec::new();
        if self.id.is_some() {
            malformed.push("the id is not an integer");
        }
        if self.query {
            malformed.push("a query parameter is invalid or unknown");
        } else if self.read {
            malformed.push("a query parameter is sent (it takes none)");
        }
        if self.if_match {
            malformed.push("`If-Match` is not visible ASCII");
        }
        if self.json_body {
            malformed.push("the body is not valid JSON");
        }
        let mut found = Vec::new();
        if !malformed.is_empty() {
            found.push(("400", sentence(&malformed)));
        }
        if self.token {
            found.push((
                "401",
                "No valid bearer token (`WWW-Authenticate: Bearer`; code `unauthorized`)".into(),
            ));
            found.push((
                "403",
                "The token may not do this: it is scoped to other cities, or this needs an admin token (code `forbidden`)".into(),
            ));
        }
        if let Some(resource) = self.id {
            found.push((
                "404",
                format!("There is no such {resource} (code `not_found`)"),
            ));
        }
        if self.json_body {
            found.push((
                "413",
                "The body is too large (code `payload_too_large`)".into(),
            ));
            found.push((
                "415",
                "The body is not `application/json` (code `unsupported_media_type`)".into(),
            ));
            found.push((
                "422",
                "Fields are invalid; each is named in `errors` (code `validation_failed`)".into(),
            ));
        }
        if self.other_body {
            found.push((
                "408",
                "The file did not arrive within `IMPORT_UPLOAD_SECS` (code `request_timeout`); nothing was imported".into(),
            ));
            found.push((
                "413",
                "The file is larger than `MAX_IMPORT_BYTES` (code `payload_too_large`)".into(),
            ));
            found.push((
                "415",
                "The body's `Content-Type` is not one this operation takes (code `unsupported_media_type`)".into(),
            ));
        }
        if self.database {
            found.push((
                "503",
                "The database is unavailable or busy, or too many expensive reads of this kind run at once (code `database_unavailable`, `database_busy` or `overloaded`): retry after `Retry-After` seconds".into(),
            ));
        }
        found
    }
}

/// Whether the operation takes a JSON body; `None` without a body.
fn body_types(operation: &Operation) -> Option<bool> {
    match operation.request_body.as_ref()? {
        RefOr::T(body) => Some(body.content.keys().any(|c| c == "application/json")),
        RefOr::Ref(_) => Some(false),
    }
}

/// `city` for `/api/v1/cities/{id}/…`: what the `{id}` names.
fn resource(path: &str) -> &'static str {
    let before = path.split("/{id}").next().unwrap_or(path);
    match before.rsplit('/').next().unwrap_or("") {
        "cities" => "city",
        "twinnings" => "twinning",
        "events" => "event",
        "tokens" => "token",
        _ => "resource",
    }
}

/// "The id is not an integer, or the body is not valid JSON".
fn sentence(parts: &[&str]) -> String {
    let text = match parts {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let get_id = item.get.as_ref().and_then(|g| g.operation_id.clone());
            for operation in super::operations(item) {
                let read = get_id.is_some() && operation.operation_id == get_id;
                let facts = Facts::of(path, operation, read);
                for (status, description) in facts.responses() {
                    let responses = &mut operation.responses.responses;
                    if !responses.contains_key(status) {
                        responses.insert(status.into(), problem(status, &description));
                    }
                }
                sort_by_status(operation);
            }
        }
    }
}

/// A problem document response (with the challenge header for a 401).
pub fn problem(status: &str, description: &str) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        crate::error::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if status == "503" {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .build(),
                ))
                .description(Some("Seconds to wait before trying again"))
                .build(),
        );
    }
    if status == "401" {
        let text = utoipa::openapi::ObjectBuilder::new()
            .schema_type(Type::String)
            .build();
        response = response.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(Some(text))
                .description(Some("`Bearer realm=\"twinning\"`, with `error=\"invalid_token\"` for a token that is not valid"))
                .build(),
        );
    }
    RefOr::T(response.build())
}

/// Lists the responses in the order of their status codes.
pub fn sort_by_status(operation: &mut Operation) {
    let responses = std::mem::take(&mut operation.responses.responses);
    let mut sorted: Vec<_> = responses.into_iter().collect();
    sorted.sort_by(|(a, _), (b, _)| a.cmp(b));
    operation.responses.responses = sorted.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_of_an_id_is_the_segment_before_it() {
        assert_eq!(resource("/api/v1/cities/{id}"), "city");
        assert_eq!(resource("/api/v1/cities/{id}/twinnings"), "city");
        assert_eq!(resource("/api/v1/twinnings/{id}/events"), "twinning");
        assert_eq!(resource("/api/v1/tokens/{id}"), "token");
    }

    #[test]
    fn malformed_parts_read_as_one_sentence() {
        assert_eq!(
            sentence(&["the id is not an integer"]),
            "The id is not an integer"
        );
        assert_eq!(sentence(&["a", "b", "c"]), "A, b, or c");
    }
}
