//! Exchange events: what twinned cities send each other.

pub mod handlers;
pub mod model;
pub mod queries;
pub mod validate;
pub mod view;

use crate::http::routes::{Class, Policy, delete, get, limited, patch, post, put, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(limited(
        "/events",
        Policy::Kept,
        Class::Lists,
        [get(list_events)],
    ))
    .service(resource(
        "/events/{id}",
        Policy::Kept,
        [get(get_event), patch(update_event), delete(delete_event)],
    ))
    .service(resource(
        "/events/{id}/review",
        Policy::Writes,
        [put(review_event)],
    ))
    .service(resource(
        "/twinnings/{id}/events",
        Policy::Kept,
        [get(twinning_events), post(create_event)],
    ))
    .service(resource(
        "/cities/{id}/events",
        Policy::Kept,
        [get(city_events)],
    ));
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
    handlers::review_event,
))]
pub struct Paths;
