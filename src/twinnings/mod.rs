//! Twinnings: `/api/v1/twinnings` and `/api/v1/cities/{id}/twinnings`.

pub mod filter;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod validate;
pub mod view;

use crate::http::caching;
use crate::http::fallback::method_not_allowed;
use actix_web::middleware::from_fn;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/twinnings")
            .route(web::get().to(handlers::list_twinnings))
            .route(web::post().to(handlers::create_twinning))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/twinnings/{id}")
            .route(web::get().to(handlers::get_twinning))
            .route(web::patch().to(handlers::update_twinning))
            .route(web::delete().to(handlers::delete_twinning))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET, PATCH, DELETE"))),
    )
    .service(
        web::resource("/cities/{id}/twinnings")
            .route(web::get().to(handlers::list_city_twinnings))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET"))),
    );
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_city_twinnings,
    handlers::list_twinnings,
    handlers::create_twinning,
    handlers::get_twinning,
    handlers::update_twinning,
    handlers::delete_twinning,
))]
pub struct Paths;
