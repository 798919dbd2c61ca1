//! Builds the application and serves it on a listener (port 0 in tests).

use crate::config::ServeArgs;
use crate::db::Db;
use crate::error::AppError;
use crate::http::body::BodyLimit;
use crate::http::response_cache::ResponseCache;
use crate::http::routes::{Policy, get, resource};
use crate::http::{caching, fallback, request_id};
use crate::{
    anniversaries, changes, cities, events, health, maps, openapi, tokens, transfer, twinnings,
};
use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Condition, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::time::Duration;
use utoipa_swagger_ui::SwaggerUi;

/// Serves the API on `listener` until stopped.
pub fn run(listener: TcpListener, mut db: Db, settings: &ServeArgs) -> std::io::Result<Server> {
    db.watch_changes();
    let db = web::Data::new(db);
    let cache = web::Data::new(ResponseCache::new(settings.response_cache_bytes));
    let limit = BodyLimit(settings.max_body_bytes);
    let expensive = settings
        .expensive_reads
        .unwrap_or((settings.db_pool_size as usize).div_ceil(2));
    let limits = web::Data::new(crate::http::limits::Limits::new(
        expensive,
        Duration::from_secs(2),
    ));
    let uploads = transfer::http::UploadLimits {
        max_bytes: settings.max_import_bytes,
        seconds: settings.import_upload_secs,
    };
    let document = openapi::document();
    let origins = settings.cors_allowed_origins.clone();
    let public_url = web::Data::new(settings.public_url.clone());
    let allow_private = web::Data::new(crate::webhooks::target::AllowPrivate(
        settings.webhook_allow_private,
    ));
    // Deliveries run beside the server, and end once it has stopped.
    crate::webhooks::deliver::spawn(
        std::sync::Arc::downgrade(&db.clone().into_inner()),
        crate::webhooks::deliver::Settings::of(settings),
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .app_data(cache.clone())
            .app_data(limits.clone())
            .app_data(public_url.clone())
            .app_data(allow_private.clone())
            .app_data(limit)
            .app_data(uploads)
            .app_data(web::PathConfig::default().error_handler(|_, _| {
                AppError::invalid_parameter("id", "must be a 64-bit integer").into()
            }))
            .wrap(ErrorHandlers::new().default_handler(fallback::to_problem))
            .wrap(from_fn(caching::middleware))
            .wrap(Condition::new(origins.is_some(), cors(origins.as_deref())))
            .wrap(from_fn(fallback::head_as_get))
            .wrap(from_fn(request_id::middleware))
            .wrap(Logger::new(r#"%a "%r" %s %b %Dms id=%{x-request-id}o"#))
            .service(
                web::scope("/api/v1")
                    .configure(cities::configure)
                    .configure(twinnings::configure)
                    .configure(anniversaries::configure)
                    .configure(events::configure)
                    .configure(tokens::configure)
                    .configure(changes::configure)
                    .configure(maps::configure)
                    .configure(transfer::http::configure)
                    .configure(crate::webhooks::configure),
            )
            .service(resource(
                "/healthz",
                Policy::NoStore,
                [get(health::healthz)],
            ))
            .service(resource("/readyz", Policy::NoStore, [get(health::readyz)]))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document.clone()))
            .configure(crate::web::configure)
            .default_service(web::to(fallback::not_found))
    })
    .max_connections(settings.max_connections)
    .client_request_timeout(Duration::from_secs(settings.request_timeout_secs))
    .client_disconnect_timeout(Duration::from_secs(settings.request_timeout_secs))
    .shutdown_timeout(settings.shutdown_timeout_secs);
    let server = match settings.workers {
        Some(workers) => server.workers(workers.max(1)),
        None => server,
    };
    Ok(server.listen(listener)?.run())
}

/// CORS for browser apps on other origins: reads and writes, with the headers
/// a client needs to see (ETag for caching and If-Match, Location, request id).
fn cors(origins: Option<&str>) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            request_id::HEADER,
        ])
        .expose_headers([header::ETAG, header::LOCATION, request_id::HEADER])
        .max_age(3600);
    for origin in origins
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}
