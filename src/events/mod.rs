//! Exchange events: what twinned cities send each other.

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
        web::resource("/events")
            .route(web::get().to(handlers::list_events))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/events/{id}")
            .route(web::get().to(handlers::get_event))
            .route(web::patch().to(handlers::update_event))
            .route(web::delete().to(handlers::delete_event))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET, PATCH, DELETE"))),
    )
    .service(
        web::resource("/twinnings/{id}/events")
            .route(web::get().to(handlers::twinning_events))
            .route(web::post().to(handlers::create_event))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/cities/{id}/events")
            .route(web::get().to(handlers::city_events))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET"))),
    );
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::twinning_events,
    handlers::create_event,
    handlers::city_events,
    handlers::list_events,
    handlers::get_event,
    handlers::update_event,
    handlers::delete_event,
))]
pub struct Paths;
