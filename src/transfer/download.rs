//! `GET /api/v1/export/{cities|twinnings|events}`: the whole registry over
//! HTTP, in the columns of the command line's export. The rows are read in
//! batches and sent as they are written, so memory stays flat however large
//! the export; a client that reads slowly slows the reading, and one that
//! leaves stops it. The tag is the registry's version: an unchanged export
//! answers 304. At most `EXPORTS_AT_ONCE` run at once; another waits 2 s,
//! then gets 503 with `Retry-After`.

use super::{Format, Kind};
use crate::db::Db;
use crate::error::{AppError, ErrorCode};
use crate::http::ValidQuery;
use crate::http::encoding::Coding;
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::io::{self, Write};
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use utoipa::IntoParams;

/// How many exports may stream at once.
pub const EXPORTS_AT_ONCE: usize = 2;
static EXPORTS: LazyLock<std::sync::Arc<Semaphore>> =
    LazyLock::new(|| std::sync::Arc::new(Semaphore::new(EXPORTS_AT_ONCE)));

/// The size of the pieces the body is sent in.
const CHUNK: usize = 64 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` or `jsonl`; by default from `Accept` (`text/csv`, `application/jsonl`
    /// or `application/x-ndjson`), else CSV.
    pub format: Option<Format>,
}

/// The format the client asks for: `?format=`, else its `Accept`, else CSV.
fn format_of(req: &HttpRequest, given: Option<Format>) -> Format {
    if let Some(format) = given {
        return format;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let jsonl = [
        "application/jsonl",
        "application/x-ndjson",
        "application/x-jsonlines",
    ];
    if jsonl.iter().any(|t| accept.contains(t)) && !accept.contains("text/csv") {
        Format::Jsonl
    } else {
        Format::Csv
    }
}

/// Bytes written by the export, handed to the response a chunk at a time.
struct ToResponse {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl ToResponse {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        // Waits while the client reads slowly; fails once it has gone.
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client left"))
    }
}

impl Write for ToResponse {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

async fn download(
    kind: Kind,
    db: web::Data<Db>,
    req: HttpRequest,
    query: ExportQuery,
) -> Result<HttpResponse, AppError> {
    let format = format_of(&req, query.format);
    let (head, _) = crate::http::response_cache::ResponseCache::version(&db).await?;
    let coding = if Coding::Gzip.acceptable(req.headers()) {
        Coding::Gzip
    } else {
        Coding::Identity
    };
    let tag = coding.tag(&format!(
        "\"export-{}-{}-{head}\"",
        kind.as_str(),
        format.as_str()
    ));
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Jsonl => "application/jsonl",
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, tag.clone()))
        .insert_header((header::VARY, "Accept, Accept-Encoding"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}.{}\"",
                kind.as_str(),
                format.as_str()
            ),
        ));
    if let Some(value) = coding.header() {
        response.insert_header((header::CONTENT_ENCODING, value));
    }
    // An unchanged export: the tag alone answers (the caching middleware's 304).
    let if_none_match = req.headers().get(header::IF_NONE_MATCH);
    if crate::http::caching::none_match_names(if_none_match.and_then(|v| v.to_str().ok()), &tag) {
        let mut response = response.finish();
        crate::http::caching::streamed(&mut response);
        return Ok(response);
    }
    let waited =
        actix_web::rt::time::timeout(Duration::from_secs(2), EXPORTS.clone().acquire_owned()).await;
    let Ok(Ok(permit)) = waited else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
            format!("{EXPORTS_AT_ONCE} exports are streaming already; try again shortly"),
        )
        .with_header(header::RETRY_AFTER, "5"));
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    let failed = tx.clone();
    let db = db.into_inner();
    let reading = async move {
        let _ = db
            .read(move |conn| {
                let _permit = permit;
                let out = ToResponse {
                    tx,
                    buffer: Vec::with_capacity(CHUNK),
                };
                let written = match coding {
                    Coding::Gzip => {
                        let mut gzip =
                            flate2::write::GzEncoder::new(out, flate2::Compression::new(5));
                        super::export::export(conn, kind, format, &mut gzip)
                            .and_then(|_| gzip.finish().map_err(AppError::internal))
                            .and_then(|mut out| out.flush().map_err(AppError::internal))
                    }
                    _ => {
                        let mut out = out;
                        super::export::export(conn, kind, format, &mut out)
                            .and_then(|_| out.flush().map_err(AppError::internal))
                    }
                };
                if let Err(error) = written {
                    // Cut the body short: the client sees an incomplete transfer, not a valid file.
                    log::warn!("export of {} ended early: {error}", kind.as_str());
                    let _ = failed.blocking_send(Err(io::Error::other("the export ended early")));
                }
                Ok(())
            })
            .await;
    };
    actix_web::rt::spawn(reading);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = response.streaming(body);
    crate::http::caching::streamed(&mut response);
    Ok(response)
}

/// The whole registry's cities, streamed in the command line's export columns.
///
/// CSV or JSON Lines (`?format=` or `Accept`), gzip when asked. The `ETag` is
/// the registry's version: an unchanged export answers 304.
#[utoipa::path(
    get, path = "/api/v1/export/cities", tag = "export",
    params(ExportQuery),
    responses(
        (status = 200, description = "Every city, by id", content(("text/csv"), ("application/jsonl")),
            headers(("ETag" = String, description = "The registry's version, per format and coding"))),
    )
)]
pub async fn export_cities(
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    download(Kind::Cities, db, req, query.0).await
}

/// The whole registry's twinnings, streamed in the command line's export columns.
///
/// CSV or JSON Lines (`?format=` or `Accept`), gzip when asked. The `ETag` is
/// the registry's version: an unchanged export answers 304.
#[utoipa::path(
    get, path = "/api/v1/export/twinnings", tag = "export",
    params(ExportQuery),
    responses(
        (status = 200, description = "Every twinning, by id", content(("text/csv"), ("application/jsonl")),
            headers(("ETag" = String, description = "The registry's version, per format and coding"))),
    )
)]
pub async fn export_twinnings(
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    download(Kind::Twinnings, db, req, query.0).await
}

/// The whole registry's exchange events, streamed in the command line's export columns.
///
/// CSV or JSON Lines (`?format=` or `Accept`), gzip when asked. The `ETag` is
/// the registry's version: an unchanged export answers 304.
#[utoipa::path(
    get, path = "/api/v1/export/events", tag = "export",
    params(ExportQuery),
    responses(
        (status = 200, description = "Every event, by id", content(("text/csv"), ("application/jsonl")),
            headers(("ETag" = String, description = "The registry's version, per format and coding"))),
    )
)]
pub async fn export_events(
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    download(Kind::Events, db, req, query.0).await
}
