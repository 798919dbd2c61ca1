//! The change feed: every write, who made it, before and after.

pub mod audit;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod stream;

pub use audit::Audited;
pub use model::{Action, Entity};
pub use queries::record;

use crate::http::routes::{Policy, get, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(resource(
        "/cities/{id}/history",
        Policy::NoCache,
        [get(city_history)],
    ))
    .service(resource(
        "/twinnings/{id}/history",
        Policy::NoCache,
        [get(twinning_history)],
    ))
    .service(resource(
        "/events/{id}/history",
        Policy::NoCache,
        [get(event_history)],
    ))
    // The feed is one range of the primary key: cheap, and polled often.
    .service(resource("/changes", Policy::NoCache, [get(list_changes)]))
    .service(resource(
        "/changes/stream",
        Policy::NoCache,
        [get(stream::stream_changes)],
    ));
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::city_history,
    handlers::twinning_history,
    handlers::event_history,
    handlers::list_changes,
    stream::stream_changes,
))]
pub struct Paths;
