//! Builds the application and serves it on a listener (port 0 in tests).

use crate::config::ServeArgs;
use crate::db::Db;
use crate::error::AppError;
use crate::http::body::BodyLimit;
use crate::http::{fallback, request_id};
use crate::{anniversaries, changes, cities, events, health, openapi, tokens, twinnings};
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use utoipa_swagger_ui::SwaggerUi;

/// Serves the API on `listener` until stopped.
pub fn run(listener: TcpListener, db: Db, settings: &ServeArgs) -> std::io::Result<Server> {
    let db = web::Data::new(db);
    let limit = BodyLimit(settings.max_body_bytes);
    let document = openapi::document();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .app_data(limit)
            .app_data(web::PathConfig::default().error_handler(|_, _| {
                AppError::invalid_parameter("id", "must be a 64-bit integer").into()
            }))
            .wrap(ErrorHandlers::new().default_handler(fallback::to_problem))
            .wrap(from_fn(request_id::middleware))
            .wrap(Logger::new(r#"%a "%r" %s %b %Dms id=%{x-request-id}o"#))
            .service(
                web::scope("/api/v1")
                    .configure(cities::configure)
                    .configure(twinnings::configure)
                    .configure(anniversaries::configure)
                    .configure(events::configure)
                    .configure(tokens::configure)
                    .configure(changes::configure),
            )
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document.clone()))
            .default_service(web::to(fallback::not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
