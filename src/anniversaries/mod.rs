//! Anniversaries, derived from twinnings' start dates and never stored.

pub mod handlers;
pub mod ics;
pub mod model;
pub mod queries;

use crate::http::caching;
use crate::http::fallback::method_not_allowed;
use actix_web::middleware::from_fn;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/anniversaries")
            .route(web::get().to(handlers::list_anniversaries))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/anniversaries.ics")
            .route(web::get().to(handlers::anniversary_feed))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/twinnings/{id}/anniversaries")
            .route(web::get().to(handlers::next_anniversaries))
            .wrap(from_fn(caching::kept))
            .default_service(web::to(method_not_allowed("GET"))),
    );
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::next_anniversaries,
    handlers::list_anniversaries,
    handlers::anniversary_feed,
))]
pub struct Paths;
