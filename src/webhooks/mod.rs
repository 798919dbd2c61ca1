//! Webhooks: the change feed pushed to subscribed receivers, signed as
//! Standard Webhooks 1.0 specifies, from an outbox in the database.

pub mod deliver;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod sign;
pub mod target;

use crate::http::routes::{Policy, delete, get, patch, post, resource};
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(resource(
        "/webhooks",
        Policy::NoStore,
        [get(list_webhooks), post(create_webhook)],
    ))
    .service(resource(
        "/webhooks/{id}",
        Policy::NoStore,
        [
            get(get_webhook),
            patch(update_webhook),
            delete(delete_webhook),
        ],
    ))
    .service(resource(
        "/webhooks/{id}/secret",
        Policy::NoStore,
        [post(rotate_secret)],
    ))
    .service(resource(
        "/webhooks/{id}/deliveries",
        Policy::NoStore,
        [get(list_deliveries)],
    ))
    .service(resource(
        "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        Policy::Writes,
        [post(redeliver)],
    ));
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    handlers::create_webhook,
    handlers::list_webhooks,
    handlers::get_webhook,
    handlers::update_webhook,
    handlers::delete_webhook,
    handlers::rotate_secret,
    handlers::list_deliveries,
    handlers::redeliver,
))]
pub struct Paths;
