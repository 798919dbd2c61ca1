//! HTTP that frontends can cache: a strong `ETag` on every successful GET
//! (answering `If-None-Match` with 304), `If-Match` for writes, and a default
//! `Cache-Control`.
//!
//! The tag is a hash of the JSON body as the handler produced it, before any
//! content coding, so a client that got it in gzip can send it back in
//! `If-Match` and the handler, hashing the same JSON, agrees.

use crate::db::Db;
use crate::error::{AppError, ErrorCode};
use crate::http::response_cache::{Entry, ResponseCache};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};

/// Reads that may be cached briefly by browsers and proxies.
pub const PUBLIC_READ: &str = "public, max-age=30";

/// The strong entity tag of a body.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..18]))
}

/// The tag a GET of this value answers (its JSON, as `web::Json` writes it).
pub fn etag_of_json<T: Serialize>(value: &T) -> String {
    etag_of(&serde_json::to_vec(value).unwrap_or_default())
}

fn tags(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// The `Cache-Control` of a successful read of `path`: the change feed and
/// histories must be fresh on every poll, probes are never cached, the rest
/// may be kept briefly.
pub fn read_policy(path: &str) -> &'static str {
    if path.starts_with("/api/v1/changes") || path.ends_with("/history") {
        "no-cache"
    } else if path == "/healthz" || path == "/readyz" || path.starts_with("/api/v1/tokens") {
        "no-store"
    } else {
        PUBLIC_READ
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let policy = read_policy(req.path());
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cache = req
        .app_data::<web::Data<ResponseCache>>()
        .filter(|c| req.method() == Method::GET && policy == PUBLIC_READ && c.enabled())
        .cloned();
    let url = cache
        .as_ref()
        .map(|_| req.uri().to_string())
        .unwrap_or_default();
    let mut version = None;
    if let (Some(cache), Some(db)) = (&cache, req.app_data::<web::Data<Db>>()) {
        // Without a version (the database is unreachable) the handler answers.
        if let Ok(now) = ResponseCache::version(db).await {
            if let Some(entry) = cache.get(&url, now) {
                let mut res =
                    HttpResponse::with_body(StatusCode::OK, BoxBody::new(entry.body.clone()));
                *res.headers_mut() = entry.headers.clone();
                let tag = entry
                    .headers
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let (req, _) = req.into_parts();
                return Ok(fresh_or_full(req, res, tag, if_none_match.as_deref()));
            }
            version = Some(now);
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if !is_read {
        let mut res = res;
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        return Ok(res);
    }
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?;
    let tag = etag_of(&bytes);
    let mut res = head.set_body(BoxBody::new(bytes.clone()));
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    if let (Some(cache), Some(version)) = (cache, version) {
        let entry = Entry {
            body: bytes,
            headers: res.headers().clone(),
        };
        cache.put(&url, version, entry);
    }
    Ok(fresh_or_full(req, res, &tag, if_none_match.as_deref()))
}

/// 304 with the validators when `If-None-Match` names the tag, else `res`.
fn fresh_or_full(
    req: HttpRequest,
    res: HttpResponse<BoxBody>,
    tag: &str,
    if_none_match: Option<&str>,
) -> ServiceResponse<BoxBody> {
    let fresh = if_none_match.is_some_and(|v| tags(v).any(|t| t == "*" || weak_eq(t, tag)));
    if fresh {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = res.headers().get(&name) {
                not_modified.insert_header((name.clone(), value.clone()));
            }
        }
        return ServiceResponse::new(req, not_modified.finish());
    }
    ServiceResponse::new(req, res)
}

/// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2).
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

/// The `If-Match` header of a write, if any.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// 412 unless the header is absent, `*`, or names the current tag
    /// (strong comparison, RFC 9110 §13.1.1).
    pub fn check<T: Serialize>(&self, current: &T) -> Result<(), AppError> {
        let Some(header) = &self.0 else { return Ok(()) };
        let tag = etag_of_json(current);
        if tags(header).any(|t| t == "*" || (!t.starts_with("W/") && t == tag)) {
            Ok(())
        } else {
            Err(AppError::new(
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::PreconditionFailed,
                format!("the resource has changed since it was read: its ETag is now {tag}; GET it again and retry"),
            )
            .with_header(header::ETAG, tag))
        }
    }
}

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = Ready<Result<IfMatch, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(IfMatch(
            req.headers()
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.trim().is_empty())
                .map(str::to_string),
        )))
    }
}
