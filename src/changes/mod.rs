//! The change feed: every write, who made it, before and after.

pub mod audit;
pub mod handlers;
pub mod model;
pub mod queries;

pub use audit::Audited;
pub use model::{Action, Entity};
pub use queries::record;

use crate::http::caching;
use crate::http::fallback::method_not_allowed;
use actix_web::middleware::from_fn;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, handler) in [
        ("/cities/{id}/history", 0),
        ("/twinnings/{id}/history", 1),
        ("/events/{id}/history", 2),
    ] {
        let route = match handler {
            0 => web::get().to(handlers::city_history),
            1 => web::get().to(handlers::twinning_history),
            _ => web::get().to(handlers::event_history),
        };
        cfg.service(
            web::resource(path)
                .route(route)
                .wrap(from_fn(caching::no_cache))
                .default_service(web::to(method_not_allowed("GET"))),
        );
    }
    cfg.service(
        web::resource("/changes")
            .route(web::get().to(handlers::list_changes))
            .wrap(from_fn(caching::no_cache))
            .default_service(web::to(method_not_allowed("GET"))),
    );
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::city_history,
    handlers::twinning_history,
    handlers::event_history,
    handlers::list_changes,
))]
pub struct Paths;
