//! Liveness and readiness probes for operators.

use crate::db::Db;
use crate::error::{AppError, ErrorCode, Problem};
use actix_web::http::StatusCode;
use actix_web::web;
use diesel::connection::SimpleConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` for liveness, `ready` for readiness.
    pub status: String,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is alive", body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
    })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Health, example = json!({"status": "ready"})),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(db: web::Data<Db>) -> Result<web::Json<Health>, AppError> {
    db.read(|conn| {
        conn.batch_execute("SELECT 1").map_err(|e| {
            log::error!("readiness check: {e}");
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable,
                "the database does not answer",
            )
        })
    })
    .await?;
    Ok(web::Json(Health {
        status: "ready".into(),
    }))
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz,))]
pub struct Paths;
