//! `GET /api/v1/changes/stream`: the change feed as server-sent events, so an
//! integrator need not poll. Each event is one change as the feed shows it,
//! its `id` the feed cursor: a client that reconnects with `Last-Event-ID`
//! (as `EventSource` does by itself) goes on after the last change it got,
//! with none lost or repeated. A comment line every `HEARTBEAT` keeps idle
//! connections open through proxies.
//!
//! The stream asks the registry's version (kept in memory on PostgreSQL, told
//! of commits by notification; one indexed read on SQLite) every `POLL`, and
//! reads the feed only when a change came since. At most `MAX_STREAMS` are
//! open at once; one more answers 503 with `Retry-After`.

use super::model::{Change, Entity};
use super::queries::{self, ChangeFilter};
use crate::db::Db;
use crate::error::{AppError, ErrorCode};
use crate::http::response_cache::ResponseCache;
use crate::http::{Cursor, ValidQuery};
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::fmt::Write;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::IntoParams;

/// How often an open stream looks for new changes.
pub const POLL: Duration = Duration::from_millis(250);
/// How long an idle stream waits before it sends a heartbeat comment.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How many streams may be open at once.
pub const MAX_STREAMS: usize = 256;
/// The most changes one read of the feed sends.
const BATCH: i64 = 200;

static STREAMS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(MAX_STREAMS)));

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The `cursor` of the last change seen; from the start when empty or
    /// absent. A `Last-Event-ID` header, when sent, takes its place.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub after: Option<String>,
    pub entity: Option<Entity>,
    /// Only changes of this entity (with `entity`).
    pub entity_id: Option<i64>,
}

/// Where a stream stands.
struct Open {
    db: web::Data<Db>,
    entity: Option<Entity>,
    entity_id: Option<i64>,
    /// The id of the last change sent (or skipped as not matching).
    after: i64,
    /// The registry's version when the feed was last read.
    read_at: i64,
    last_sent: Instant,
    started: bool,
    _permit: OwnedSemaphorePermit,
}

/// One change as an event: its cursor as the id, its JSON on one data line.
fn event(out: &mut String, change: &Change) {
    let json = serde_json::to_string(change).unwrap_or_default();
    let _ = write!(
        out,
        "id: {}\nevent: change\ndata: {json}\n\n",
        change.cursor
    );
}

impl Open {
    /// The next piece of the stream: new changes, else a heartbeat once due.
    async fn next(&mut self) -> Option<Bytes> {
        if !self.started {
            self.started = true;
            // Sent at once, so the client knows it is connected; `retry`
            // is how long `EventSource` waits before it reconnects.
            return Some(Bytes::from_static(b"retry: 2000\n: connected\n\n"));
        }
        loop {
            let head = match ResponseCache::version(&self.db).await {
                Ok((head, _)) => head,
                Err(error) => {
                    log::warn!("change stream: {error}");
                    return None;
                }
            };
            if head > self.read_at {
                let filter = ChangeFilter {
                    entity: self.entity,
                    entity_id: self.entity_id,
                    after: Some(self.after),
                    limit: BATCH,
                };
                let rows = match self
                    .db
                    .read_quick(move |conn| queries::list(conn, &filter))
                    .await
                {
                    Ok(rows) => rows,
                    Err(error) => {
                        log::warn!("change stream: {error}");
                        return None;
                    }
                };
                if rows.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                    self.read_at = head;
                }
                if let Some(last) = rows.last() {
                    self.after = last.id;
                    let mut out = String::new();
                    for row in rows {
                        event(&mut out, &Change::from(row));
                    }
                    self.last_sent = Instant::now();
                    return Some(Bytes::from(out));
                }
            }
            if self.last_sent.elapsed() >= HEARTBEAT {
                self.last_sent = Instant::now();
                return Some(Bytes::from_static(b": heartbeat\n\n"));
            }
            actix_web::rt::time::sleep(POLL).await;
        }
    }
}

/// The change feed as it happens, as server-sent events (`text/event-stream`):
/// each event is a change as `GET /api/v1/changes` shows it (`event: change`),
/// its `id` the change's cursor. Reconnect with `Last-Event-ID` (or `after`)
/// to go on with the next change, none lost or repeated; a comment line comes
/// every 15 s when nothing happens.
#[utoipa::path(
    get, path = "/api/v1/changes/stream", tag = "changes",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: the stream goes on after it"),
    ),
    responses(
        (status = 200, description = "An endless stream of `event: change` events, each `data` a `Change`",
            content_type = "text/event-stream", body = String),
    )
)]
pub async fn stream_changes(
    db: web::Data<Db>,
    req: HttpRequest,
    query: ValidQuery<StreamQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.0;
    let resumed = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let after = match resumed {
        Some(id) => Cursor::decode::<i64>(id).map_err(|_| {
            AppError::invalid_parameter("Last-Event-ID", "is not an event id this stream sent")
        })?,
        None => match q.after.as_deref().filter(|a| !a.is_empty()) {
            Some(cursor) => Cursor::decode::<i64>(cursor).map_err(|_| {
                AppError::invalid_parameter("after", "is not a cursor that this API issued")
            })?,
            None => 0,
        },
    };
    let Ok(permit) = STREAMS.clone().try_acquire_owned() else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
            format!("{MAX_STREAMS} change streams are open already; try again shortly"),
        )
        .with_header(header::RETRY_AFTER, "5"));
    };
    let open = Open {
        db,
        entity: q.entity,
        entity_id: q.entity_id,
        after,
        read_at: -1,
        last_sent: Instant::now(),
        started: false,
        _permit: permit,
    };
    let body = futures_util::stream::unfold(open, |mut open| async move {
        open.next()
            .await
            .map(|bytes| (Ok::<_, std::io::Error>(bytes), open))
    });
    let mut response = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body);
    crate::http::caching::streamed(&mut response);
    Ok(response)
}
