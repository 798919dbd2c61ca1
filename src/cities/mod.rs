//! Cities: `/api/v1/cities`.

pub mod filter;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod search;
pub mod validate;
pub mod view;

use crate::http::routes::{Class, Policy, delete, get, limited, patch, post, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(limited(
        "/cities",
        Policy::Kept,
        Class::Search,
        [get(list_cities), post(create_city)],
    ))
    .service(resource(
        "/cities/{id}",
        Policy::Kept,
        [get(get_city), patch(update_city), delete(delete_city)],
    ));
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
