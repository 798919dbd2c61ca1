//! Cities: `/api/v1/cities`.

pub mod filter;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod search;
pub mod validate;
pub mod view;

use crate::http::caching;
use crate::http::fallback::method_not_allowed;
use actix_web::middleware::from_fn;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/cities")
            .route(web::get().to(handlers::list_cities))
            .route(web::post().to(handlers::create_city))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/cities/{id}")
            .route(web::get().to(handlers::get_city))
            .route(web::patch().to(handlers::update_city))
            .route(web::delete().to(handlers::delete_city))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET, PATCH, DELETE"))),
    );
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::list_cities,
    handlers::create_city,
    handlers::get_city,
    handlers::update_city,
    handlers::delete_city,
))]
pub struct Paths;
