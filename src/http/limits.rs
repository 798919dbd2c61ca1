//! Concurrency limits for classes of expensive reads. Each class may hold at
//! most a share of the database pool at once, so that no single kind of
//! request, however many clients send it, takes every connection: a request
//! beyond the limit waits a moment for a share (2 s), then
//! is answered 503 with `Retry-After` instead of queueing behind the others
//! for the pool's time. Answers from the response cache take no share.

use crate::error::{AppError, ErrorCode};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The kinds of read that may scan many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// City search by name (`/cities`, `/cities.geojson`).
    Search,
    /// Filtered lists (`/twinnings`, `/events`, `/twinnings.geojson`).
    Lists,
    /// Anniversary windows (`/anniversaries`, `/anniversaries.ics`).
    Anniversaries,
}

impl Class {
    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Class::Search => "city searches",
            Class::Lists => "filtered lists",
            Class::Anniversaries => "anniversary windows",
        }
    }
}

/// The permits of each class, shared by every worker.
pub struct Limits {
    per_class: usize,
    wait: Duration,
    classes: [Arc<Semaphore>; 3],
}

impl Limits {
    /// `per_class` reads of each class at once; one more waits up to `wait`.
    pub fn new(per_class: usize, wait: Duration) -> Limits {
        let per_class = per_class.max(1);
        Limits {
            per_class,
            wait,
            classes: std::array::from_fn(|_| Arc::new(Semaphore::new(per_class))),
        }
    }
}

/// Runs a GET of `class` holding one of its permits, or answers 503.
pub async fn gate(
    class: Option<Class>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req.app_data::<web::Data<Limits>>().cloned();
    let (Some(class), Some(limits), true) = (class, limits, req.method() == Method::GET) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let semaphore = limits.classes[class.index()].clone();
    let waited = actix_web::rt::time::timeout(limits.wait, semaphore.acquire_owned()).await;
    let Ok(Ok(permit)) = waited else {
        let error = AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
            format!(
                "{} {} are running already; try again shortly",
                limits.per_class,
                class.name()
            ),
        )
        .with_header(header::RETRY_AFTER, "1");
        return Ok(req.error_response(error).map_into_boxed_body());
    };
    let response = next.call(req).await?.map_into_boxed_body();
    drop(permit);
    Ok(response)
}
