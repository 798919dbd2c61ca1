//! Who may write: admin tokens and tokens scoped to cities.

pub mod auth;
pub mod cli;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod secret;

pub use model::Principal;

use crate::http::caching;
use crate::http::fallback::method_not_allowed;
use actix_web::middleware::from_fn;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tokens")
            .route(web::get().to(handlers::list_tokens))
            .route(web::post().to(handlers::create_token))
            .wrap(from_fn(caching::no_store))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/tokens/{id}")
            .route(web::delete().to(handlers::revoke_token))
            .wrap(from_fn(caching::no_store))
            .default_service(web::to(method_not_allowed("DELETE"))),
    );
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::create_token, handlers::list_tokens, handlers::revoke_token,))]
pub struct Paths;
