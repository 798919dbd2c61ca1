//! `POST /api/v1/import/{cities|twinnings|events}`: the import over HTTP, for
//! admins. The body is received whole into a temporary file first, then
//! imported a chunk per write.

use super::{Format, ImportReport, Kind};
use crate::db::Db;
use crate::error::{AppError, ErrorCode, Problem};
use crate::http::ValidQuery;
use crate::tokens::Principal;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::Deserialize;
use std::io::{BufReader, Seek, SeekFrom, Write};
use std::time::Duration;
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
    /// Reject a record for one bad name in its `alternate_names` or `names`;
    /// by default that name is dropped and listed in the report's `warnings`.
    #[param(default = false)]
    pub strict: Option<bool>,
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

/// Limits of an upload, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub seconds: u64,
}

async fn import(
    kind: Kind,
    principal: Principal,
    db: web::Data<Db>,
    req: HttpRequest,
    query: ImportQuery,
    payload: web::Payload,
) -> Result<web::Json<ImportReport>, AppError> {
    principal.require_admin()?;
    let format = format_of(&req, query.format)?;
    let options = super::Options {
        all_or_nothing: query.all_or_nothing.unwrap_or(false),
        strict: query.strict.unwrap_or(false),
    };
    let limits = req
        .app_data::<UploadLimits>()
        .copied()
        .unwrap_or(UploadLimits {
            max_bytes: 256 << 20,
            seconds: 300,
        });
    // The whole file first, so that a slow or stalled client holds no
    // transaction and no connection: nothing is written until it is here.
    let (file, bytes) = spool(payload, limits).await?;
    if bytes == 0 {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::EmptyBody,
            "the request has no file: send CSV (with its header) or JSON Lines in the body",
        ));
    }
    // The token may have been revoked while the file arrived.
    let author = principal.clone();
    let mut importer = db
        .write(move |conn| {
            crate::tokens::queries::recheck(conn, &author, crate::clock::now())?;
            super::Importer::new(conn, kind, BufReader::new(file), format, options)
        })
        .await?;
    // A chunk at a time, each on the writing connection afresh, so that
    // other writes get in between.
    loop {
        let author = principal.clone();
        let (returned, more) = db
            .write_transactions(move |conn| {
                let more = importer.chunk(conn, &author, &mut |_| {})?;
                Ok((importer, more))
            })
            .await?;
        importer = returned;
        if !more {
            break;
        }
    }
    let report = importer.finish();
    if report.created + report.updated + report.skipped == 0 || report.rolled_back {
        return Err(nothing_imported(&report));
    }
    Ok(web::Json(report))
}

/// Receives the body into an unnamed temporary file, within the limits of
/// its size (413) and its time (408); a client gone mid-upload leaves nothing.
async fn spool(
    mut payload: web::Payload,
    limits: UploadLimits,
) -> Result<(std::fs::File, u64), AppError> {
    let deadline = actix_web::rt::time::Instant::now() + Duration::from_secs(limits.seconds);
    let mut file = tempfile::tempfile().map_err(AppError::internal)?;
    let mut bytes = 0u64;
    loop {
        let left = deadline.saturating_duration_since(actix_web::rt::time::Instant::now());
        let next = actix_web::rt::time::timeout(left, payload.next()).await;
        let chunk = match next {
            Err(_) => {
                return Err(AppError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    ErrorCode::RequestTimeout,
                    format!(
                        "the upload took longer than {} s; nothing was imported",
                        limits.seconds
                    ),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(AppError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::MalformedBody,
                    format!("the upload could not be read: {e}; nothing was imported"),
                ));
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        bytes += chunk.len() as u64;
        if bytes > limits.max_bytes {
            return Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!(
                    "the file is larger than the limit of {} bytes (MAX_IMPORT_BYTES)",
                    limits.max_bytes
                ),
            ));
        }
        // Local disk at page-cache speed: a few microseconds a chunk.
        file.write_all(&chunk).map_err(AppError::internal)?;
    }
    file.seek(SeekFrom::Start(0)).map_err(AppError::internal)?;
    Ok((file, bytes))
}

/// 422 for an import that stored nothing, with each rejected record as a field.
fn nothing_imported(report: &ImportReport) -> AppError {
    // Nothing was stored: an error, with each rejected record as a field.
    let mut errors: Vec<crate::error::FieldError> = report
        .rejected
        .iter()
        .take(100)
        .map(|r| crate::error::FieldError::new(format!("line {}", r.line), r.message()))
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
    use super::download::{export_cities, export_events, export_twinnings};
    use crate::http::routes::{Policy, get, post, resource};
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
    ))
    // Streamed, never kept: each carries the registry's version as its tag.
    .service(resource(
        "/export/cities",
        Policy::NoCache,
        [get(export_cities)],
    ))
    .service(resource(
        "/export/twinnings",
        Policy::NoCache,
        [get(export_twinnings)],
    ))
    .service(resource(
        "/export/events",
        Policy::NoCache,
        [get(export_events)],
    ));
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    import_cities,
    import_twinnings,
    import_events,
    super::download::export_cities,
    super::download::export_twinnings,
    super::download::export_events,
))]
pub struct Paths;
