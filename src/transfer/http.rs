//! `POST /api/v1/import/{cities|twinnings|events}`: the import over HTTP, for
//! admins. The body streams into the importer as it arrives.

use super::{Format, ImportReport, Kind};
use crate::db::Db;
use crate::error::{AppError, ErrorCode, Problem};
use crate::http::ValidQuery;
use crate::tokens::Principal;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::Deserialize;
use std::io::Read;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `csv` or `jsonl`; by default from the Content-Type (`text/csv`,
    /// `application/jsonl` or `application/x-ndjson`).
    pub format: Option<Format>,
    /// Roll the whole import back if any record is rejected.
    #[param(default = false)]
    pub all_or_nothing: Option<bool>,
}

/// Reads the chunks the async side forwards, on the importer's thread.
struct ChannelReader {
    chunks: tokio::sync::mpsc::Receiver<Result<web::Bytes, String>>,
    current: web::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

fn format_of(req: &HttpRequest, given: Option<Format>) -> Result<Format, AppError> {
    if let Some(format) = given {
        return Ok(format);
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "text/csv" => Ok(Format::Csv),
        "application/jsonl" | "application/x-ndjson" | "application/x-jsonlines" => {
            Ok(Format::Jsonl)
        }
        other => Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!(
                "send text/csv or application/jsonl (or pass ?format=csv|jsonl), not `{other}`"
            ),
        )),
    }
}

async fn import(
    kind: Kind,
    principal: Principal,
    db: web::Data<Db>,
    req: HttpRequest,
    query: ImportQuery,
    mut payload: web::Payload,
) -> Result<web::Json<ImportReport>, AppError> {
    principal.require_admin()?;
    let format = format_of(&req, query.format)?;
    let all_or_nothing = query.all_or_nothing.unwrap_or(false);
    let (sender, chunks) = tokio::sync::mpsc::channel(16);
    let reader = ChannelReader {
        chunks,
        current: web::Bytes::new(),
    };
    let importing = db.write(move |conn| {
        super::import(
            conn,
            kind,
            reader,
            format,
            all_or_nothing,
            &principal,
            |_| {},
        )
    });
    let forwarding = async move {
        let mut bytes = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| e.to_string());
            bytes += chunk.as_ref().map_or(0, |c| c.len());
            let failed = chunk.is_err();
            if sender.send(chunk).await.is_err() || failed {
                break;
            }
        }
        bytes
    };
    let (report, bytes) = futures_util::future::join(importing, forwarding).await;
    if bytes == 0 {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::EmptyBody,
            "the request has no file: send CSV (with its header) or JSON Lines in the body",
        ));
    }
    let report = report?;
    if report.created + report.updated + report.skipped == 0 || report.rolled_back {
        return Err(nothing_imported(&report));
    }
    Ok(web::Json(report))
}

/// 422 for an import that stored nothing, with each rejected record as a field.
fn nothing_imported(report: &ImportReport) -> AppError {
    // Nothing was stored: an error, with each rejected record as a field.
    let mut errors: Vec<crate::error::FieldError> = report
        .rejected
        .iter()
        .take(100)
        .map(|r| crate::error::FieldError::new(format!("line {}", r.line), r.reasons.join("; ")))
        .collect();
    if errors.is_empty() && !report.ignored_columns.is_empty() {
        errors.push(crate::error::FieldError::new(
            "columns",
            format!("none is known: {}", report.ignored_columns.join(", ")),
        ));
    }
    let detail = if report.rolled_back {
        format!(
            "nothing was imported: {} record(s) were rejected and all_or_nothing is set",
            report.rejected_count
        )
    } else if report.rejected_count > 0 {
        format!(
            "nothing was imported: all {} record(s) were rejected",
            report.rejected_count
        )
    } else {
        "the file holds no record".to_string()
    };
    AppError {
        errors,
        ..AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NothingImported,
            detail,
        )
    }
}

/// Import cities from CSV or JSON Lines (admins only).
///
/// Answers a report of what was created, updated, skipped and rejected (each
/// rejected record with its line and reasons).
#[utoipa::path(
    post, path = "/api/v1/import/cities", tag = "import",
    params(ImportQuery),
    request_body(content = String, description = "The file, as CSV with a header or as JSON Lines (columns in the README)", content_type = "text/csv"),
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The import report (rejected records are listed with their line and reasons)", body = ImportReport),
        (status = 400, description = "A query parameter is invalid, or the body is empty (code `empty_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing was imported: the file holds no record, every record was rejected, or `all_or_nothing` rolled it back (code `nothing_imported`; each rejected line in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_cities(
    principal: Principal,
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<ImportQuery>,
    payload: web::Payload,
) -> Result<web::Json<ImportReport>, AppError> {
    import(Kind::Cities, principal, db, req, query.0, payload).await
}

/// Import twinnings from CSV or JSON Lines (admins only).
///
/// Answers a report of what was created, updated, skipped and rejected (each
/// rejected record with its line and reasons).
#[utoipa::path(
    post, path = "/api/v1/import/twinnings", tag = "import",
    params(ImportQuery),
    request_body(content = String, description = "The file, as CSV with a header or as JSON Lines (columns in the README)", content_type = "text/csv"),
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The import report (rejected records are listed with their line and reasons)", body = ImportReport),
        (status = 400, description = "A query parameter is invalid, or the body is empty (code `empty_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing was imported: the file holds no record, every record was rejected, or `all_or_nothing` rolled it back (code `nothing_imported`; each rejected line in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_twinnings(
    principal: Principal,
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<ImportQuery>,
    payload: web::Payload,
) -> Result<web::Json<ImportReport>, AppError> {
    import(Kind::Twinnings, principal, db, req, query.0, payload).await
}

/// Import events from CSV or JSON Lines (admins only).
///
/// Answers a report of what was created, updated, skipped and rejected (each
/// rejected record with its line and reasons).
#[utoipa::path(
    post, path = "/api/v1/import/events", tag = "import",
    params(ImportQuery),
    request_body(content = String, description = "The file, as CSV with a header or as JSON Lines (columns in the README)", content_type = "text/csv"),
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The import report (rejected records are listed with their line and reasons)", body = ImportReport),
        (status = 400, description = "A query parameter is invalid, or the body is empty (code `empty_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing was imported: the file holds no record, every record was rejected, or `all_or_nothing` rolled it back (code `nothing_imported`; each rejected line in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_events(
    principal: Principal,
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<ImportQuery>,
    payload: web::Payload,
) -> Result<web::Json<ImportReport>, AppError> {
    import(Kind::Events, principal, db, req, query.0, payload).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::{Policy, post, resource};
    cfg.service(resource(
        "/import/cities",
        Policy::Writes,
        [post(import_cities)],
    ))
    .service(resource(
        "/import/twinnings",
        Policy::Writes,
        [post(import_twinnings)],
    ))
    .service(resource(
        "/import/events",
        Policy::Writes,
        [post(import_events)],
    ));
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(import_cities, import_twinnings, import_events,))]
pub struct Paths;
