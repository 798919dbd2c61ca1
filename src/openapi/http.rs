//! What every operation shares over HTTP: the bearer scheme of writes, and
//! the validators of the caching middleware.

use utoipa::Modify;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

/// Declares the bearer scheme that write operations require.
pub struct BearerToken;

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
pub struct Caching;

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
