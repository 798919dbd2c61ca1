//! Anniversaries, derived from twinnings' start dates and never stored.

pub mod handlers;
pub mod ics;
pub mod model;
pub mod queries;

use crate::http::routes::{Policy, get, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(resource(
        "/anniversaries",
        Policy::Kept,
        [get(list_anniversaries)],
    ))
    .service(resource(
        "/anniversaries.ics",
        Policy::Kept,
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
