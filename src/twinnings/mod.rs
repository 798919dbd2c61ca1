//! Twinnings: `/api/v1/twinnings` and `/api/v1/cities/{id}/twinnings`.

pub mod filter;
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
        "/twinnings",
        Policy::Kept,
        Class::Lists,
        [get(list_twinnings), post(create_twinning)],
    ))
    .service(resource(
        "/twinnings/{id}",
        Policy::Kept,
        [
            get(get_twinning),
            patch(update_twinning),
            delete(delete_twinning),
        ],
    ))
    .service(resource(
        "/twinnings/{id}/confirmations/{city_id}",
        Policy::Writes,
        [put(confirm_twinning), delete(withdraw_confirmation)],
    ))
    .service(resource(
        "/cities/{id}/twinnings",
        Policy::Kept,
        [get(list_city_twinnings)],
    ));
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
    handlers::confirm_twinning,
    handlers::withdraw_confirmation,
))]
pub struct Paths;
