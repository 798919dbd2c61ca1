//! Who may write: admin tokens and tokens scoped to cities.

pub mod auth;
pub mod cli;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod secret;

pub use model::Principal;

use crate::http::routes::{Policy, delete, get, post, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(resource(
        "/tokens",
        Policy::NoStore,
        [get(list_tokens), post(create_token)],
    ))
    .service(resource(
        "/tokens/current",
        Policy::NoStore,
        [get(current_token)],
    ))
    .service(resource(
        "/tokens/{id}",
        Policy::NoStore,
        [delete(revoke_token)],
    ));
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::create_token,
    handlers::list_tokens,
    handlers::current_token,
    handlers::revoke_token,
))]
pub struct Paths;
