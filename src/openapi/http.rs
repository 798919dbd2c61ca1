//! What every operation shares over HTTP: the bearer scheme of writes, and
//! the validators of the caching middleware.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    ObjectBuilder, OpenApi, RefOr, Required, ResponseBuilder, header::HeaderBuilder, schema::Type,
};

/// Declares the bearer scheme that write operations require.
pub struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut OpenApi) {
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
/// `ETag` and honour `If-None-Match` (304); PUT, PATCH and DELETE honour `If-Match` (412).
pub struct Caching;

impl Modify for Caching {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            // Reads need no token: say so explicitly on every operation without one.
            for operation in super::operations(item) {
                operation.security.get_or_insert_with(Vec::new);
            }
            if let Some(get) = item.get.as_mut() {
                read_validators(get);
            }
            for write in [item.put.as_mut(), item.patch.as_mut(), item.delete.as_mut()]
                .into_iter()
                .flatten()
            {
                write_precondition(write);
            }
        }
    }
}

fn text() -> utoipa::openapi::schema::Object {
    ObjectBuilder::new().schema_type(Type::String).build()
}

fn add_header_param(operation: &mut Operation, name: &str, description: &str) {
    let param = ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(text()))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(param));
}

/// A GET answers with an `ETag` and honours `If-None-Match` with 304.
fn read_validators(get: &mut Operation) {
    add_header_param(
        get,
        "If-None-Match",
        "An `ETag` from an earlier answer: 304 while it still matches",
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

/// `*` or a list of entity tags (RFC 9110 §8.8.3), as `If-Match` takes them.
const ENTITY_TAGS_PATTERN: &str =
    r#"^[ \t]*(?:\*|(?:W/)?"[!#-~]*"(?:[ \t]*,[ \t]*(?:W/)?"[!#-~]*")*)[ \t]*$"#;

/// A PUT, PATCH or DELETE honours `If-Match` with 412.
fn write_precondition(write: &mut Operation) {
    add_header_param(
        write,
        "If-Match",
        "The `ETag` the client last read: the write is refused with 412 if the resource changed since",
    );
    // Its shape: `*` or entity tags (an empty or unreadable one is 400).
    if let Some(RefOr::T(param)) = write.parameters.as_mut().and_then(|p| p.last_mut())
        && let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(schema))) =
            param.schema.as_mut()
    {
        schema.pattern = Some(ENTITY_TAGS_PATTERN.into());
    }
    write.responses.responses.insert(
        "412".into(),
        super::errors::problem(
            "412",
            "The resource changed since the `If-Match` tag was read (code `precondition_failed`)",
        ),
    );
}
