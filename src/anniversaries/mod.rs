//! Anniversaries, derived from twinnings' start dates and never stored.

pub mod handlers;
pub mod ics;
pub mod model;
pub mod queries;

use crate::http::routes::{Class, Policy, get, limited, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(limited(
        "/anniversaries",
        Policy::Kept,
        Class::Anniversaries,
        [get(list_anniversaries)],
    ))
    .service(limited(
        "/anniversaries.ics",
        Policy::Kept,
        Class::Anniversaries,
        [get(anniversary_feed)],
    ))
    .service(resource(
        "/twinnings/{id}/anniversaries",
        Policy::Kept,
        [get(next_anniversaries)],
    ));
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::next_anniversaries,
    handlers::list_anniversaries,
    handlers::anniversary_feed,
))]
pub struct Paths;
