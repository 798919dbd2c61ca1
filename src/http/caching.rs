//! HTTP that frontends can cache: a strong `ETag` on every successful GET
//! (answering `If-None-Match` with 304), `If-Match` for writes, and a default
//! `Cache-Control`.
//!
//! The tag is a hash of the JSON body as the handler produced it; a body
//! sent in a content coding (`http::encoding`, chosen here for every answer)
//! carries that tag with the coding's suffix, so each representation has its
//! own strong tag and `If-None-Match` is answered per representation. A
//! client may send any of them back in `If-Match`: they name the same JSON.

use crate::db::Db;
use crate::error::{AppError, ErrorCode};
use crate::http::encoding::{self, Coding};
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

/// `*`, or the entity tags (`"…"` or `W/"…"`, visible ASCII but `"` inside,
/// commas included) of a comma-separated list: the grammar of `If-Match`
/// (RFC 9110 §8.8.3). `None` when the value does not follow it.
fn entity_tags(value: &str) -> Option<Vec<&str>> {
    if value.trim() == "*" {
        return Some(vec!["*"]);
    }
    let bytes = value.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    loop {
        // Separators: white space and empty list elements.
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b',') {
            i += 1;
        }
        if i == bytes.len() {
            return (!tags.is_empty()).then_some(tags);
        }
        let start = i;
        if bytes[i..].starts_with(b"W/") {
            i += 2;
        }
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        while i < bytes.len() && (bytes[i] == 0x21 || (0x23..=0x7e).contains(&bytes[i])) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        tags.push(&value[start..i]);
        // After a tag: the end, or a separator.
        if i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b',') {
            return None;
        }
    }
}

type Answer = Result<ServiceResponse<BoxBody>, actix_web::Error>;

/// Every request: a successful read gets its `ETag` (unless a route's
/// policy set it) and a default `Cache-Control`, and answers 304 when
/// `If-None-Match` names the tag; a write is `no-store` unless it says
/// otherwise. Every answer of 1 KB or more goes in the coding the client
/// prefers (a kept answer arrives coded already, from its stored forms).
pub async fn middleware(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let if_none_match = header_text(&req, header::IF_NONE_MATCH);
    let coding = Coding::accepted(req.headers());
    let mut res = next.call(req).await?.map_into_boxed_body();
    if !is_read {
        default_header(res.headers_mut(), "no-store");
        return coded(res, coding).await;
    }
    if res.status() != StatusCode::OK {
        return coded(res, coding).await;
    }
    let represented = res.response().extensions().contains::<Represented>();
    if represented && !res.headers().contains_key(header::ETAG) {
        // A stream with no tag (the change stream): sent as it comes.
        return Ok(res);
    }
    let tag = match res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        Some(tag) if represented => tag.to_string(),
        given => {
            let given = given.map(str::to_string);
            let (req, response) = res.into_parts();
            let (mut response, bytes) = buffered(response).await?;
            let tag = given.unwrap_or_else(|| etag_of(&bytes));
            let coding = coding.for_body(bytes.len());
            if coding != Coding::Identity {
                response = response.set_body(BoxBody::new(coding.encode(&bytes)));
            }
            represent(response.headers_mut(), &tag, coding, bytes.len());
            res = ServiceResponse::new(req, response);
            coding.tag(&tag)
        }
    };
    default_header(res.headers_mut(), PUBLIC_READ);
    let (req, res) = res.into_parts();
    Ok(fresh_or_full(req, res, &tag, if_none_match.as_deref()))
}

/// Marks an answer whose coding and tag are set already (a kept one).
struct Represented;

/// Marks a streamed answer that carries its own tag and coding: it is
/// answered 304 on a matching `If-None-Match`, never buffered to be tagged.
pub fn streamed(response: &mut HttpResponse) {
    response.extensions_mut().insert(Represented);
}

/// The headers of a body of `len` bytes sent in `coding`: its own tag, its
/// `Content-Encoding`, and `Vary: Accept-Encoding` when its size lets it vary.
fn represent(headers: &mut header::HeaderMap, tag: &str, coding: Coding, len: usize) {
    if let Ok(value) = HeaderValue::from_str(&coding.tag(tag)) {
        headers.insert(header::ETAG, value);
    }
    if let Some(value) = coding.header() {
        headers.insert(header::CONTENT_ENCODING, value);
    }
    if len >= encoding::MIN_BYTES {
        encoding::vary(headers);
    }
}

/// An answer other than a successful read, coded when it is large enough
/// and its size is known (a stream goes as it is).
async fn coded(res: ServiceResponse<BoxBody>, coding: Coding) -> Answer {
    let size = match res.response().body().size() {
        actix_web::body::BodySize::Sized(n) => usize::try_from(n).unwrap_or(usize::MAX),
        _ => 0,
    };
    if coding.for_body(size) == Coding::Identity
        || res.headers().contains_key(header::CONTENT_ENCODING)
    {
        return Ok(res);
    }
    let (req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?;
    let mut response = head.set_body(BoxBody::new(coding.encode(&bytes)));
    if let Some(value) = coding.header() {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, value);
    }
    encoding::vary(response.headers_mut());
    if let Some(tag) = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        let tag = coding.tag(tag);
        if let Ok(value) = HeaderValue::from_str(&tag) {
            response.headers_mut().insert(header::ETAG, value);
        }
    }
    Ok(ServiceResponse::new(req, response))
}

/// What a route's successful reads may be kept as (see `http::caching`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Public reads, kept by the response cache and briefly by clients.
    Kept,
    /// Fresh on every poll: the change feed and histories.
    NoCache,
    /// Never kept: probes and tokens.
    NoStore,
    /// Writes only: nothing to keep.
    Writes,
}

/// Applies a route's policy (`http::routes`).
pub async fn policy(
    policy: Policy,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Answer {
    match policy {
        Policy::Kept => kept(req, next).await,
        Policy::NoCache => header_policy(req, next, "no-cache").await,
        Policy::NoStore => header_policy(req, next, "no-store").await,
        Policy::Writes => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

/// A route's policy for public reads that the response cache may keep: a GET answered at the registry's
/// current version is sent from memory without running the handler.
async fn kept(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    let cache = req
        .app_data::<web::Data<ResponseCache>>()
        .filter(|c| req.method() == Method::GET && c.enabled())
        .cloned();
    let (Some(cache), Some(db)) = (cache, req.app_data::<web::Data<Db>>().cloned()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Without a version (the database is unreachable) the handler answers.
    let Ok(version) = ResponseCache::version(&db).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let url = req.uri().to_string();
    // An answer that holds absolute links to the host it was asked at
    // (`BaseUrl`) is kept with that origin, and sent to that origin only.
    let origin = || super::base_url::request_origin(&req.connection_info());
    let coding = Coding::accepted(req.headers());
    let kept = cache
        .get(&url, version)
        .filter(|entry| entry.origin.as_ref().is_none_or(|o| *o == origin()));
    if let Some(entry) = kept {
        let coding = coding.for_body(entry.body.len());
        let body = cache.form(&url, &entry, coding);
        let mut res = HttpResponse::with_body(StatusCode::OK, BoxBody::new(body));
        for (name, value) in &entry.headers {
            // `append`: a header may have several values (`Vary`).
            res.headers_mut().append(name.clone(), value.clone());
        }
        represent(res.headers_mut(), &entry.tag, coding, entry.body.len());
        res.extensions_mut().insert(Represented);
        let (req, _) = req.into_parts();
        return Ok(ServiceResponse::new(req, res));
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let (req, response) = res.into_parts();
    let (mut response, bytes) = buffered(response).await?;
    let tag = etag_of(&bytes);
    default_header(response.headers_mut(), PUBLIC_READ);
    let mut entry = Entry::new(bytes.clone(), tag.clone(), response.headers());
    if super::base_url::varies_by_origin(response.headers()) {
        entry.origin = Some(super::base_url::request_origin(&req.connection_info()));
    }
    let coding = coding.for_body(bytes.len());
    let body = match coding {
        Coding::Identity => bytes.clone(),
        coding => coding.encode(&bytes),
    };
    cache.put(&url, version, entry.with_form(coding, body.clone()));
    let mut response = response.set_body(BoxBody::new(body));
    represent(response.headers_mut(), &tag, coding, bytes.len());
    response.extensions_mut().insert(Represented);
    Ok(ServiceResponse::new(req, response))
}

/// Sets `Cache-Control` on a successful read that has none.
async fn header_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    value: &'static str,
) -> Answer {
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.status() == StatusCode::OK {
        default_header(res.headers_mut(), value);
    }
    Ok(res)
}

fn header_text(req: &ServiceRequest, name: header::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn default_header(headers: &mut header::HeaderMap, value: &'static str) {
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
}

/// The whole body of a response, and the response holding it again.
async fn buffered(
    response: HttpResponse<BoxBody>,
) -> Result<(HttpResponse<BoxBody>, web::Bytes), actix_web::Error> {
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?;
    Ok((head.set_body(BoxBody::new(bytes.clone())), bytes))
}

/// 304 with the validators when `If-None-Match` names the tag, else `res`.
fn fresh_or_full(
    req: HttpRequest,
    res: HttpResponse<BoxBody>,
    tag: &str,
    if_none_match: Option<&str>,
) -> ServiceResponse<BoxBody> {
    if none_match_names(if_none_match, tag) {
        let mut not_modified = HttpResponse::NotModified().finish();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            for value in res.headers().get_all(&name) {
                not_modified
                    .headers_mut()
                    .append(name.clone(), value.clone());
            }
        }
        return ServiceResponse::new(req, not_modified);
    }
    ServiceResponse::new(req, res)
}

/// Whether an `If-None-Match` value names `tag` (or is `*`): the client's
/// copy is current.
pub fn none_match_names(if_none_match: Option<&str>, tag: &str) -> bool {
    if_none_match.is_some_and(|v| tags(v).any(|t| t == "*" || weak_eq(t, tag)))
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
        let listed = entity_tags(header).unwrap_or_default();
        if listed
            .iter()
            .any(|&t| t == "*" || (!t.starts_with("W/") && encoding::identity_tag(t) == tag))
        {
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

    /// A header that is not `*` or entity tags in visible ASCII (empty
    /// included) names no tag this API issued: 400, never a write made as if
    /// there were no precondition.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Ok(IfMatch(None)));
        };
        ready(match value.to_str() {
            Ok(text) if text.trim().is_empty() => Err(AppError::invalid_parameter(
                "If-Match",
                "is empty: send `*` or the entity tags read, or leave the header out",
            )),
            Ok(text) if entity_tags(text).is_none() => Err(AppError::invalid_parameter(
                "If-Match",
                "must be `*` or a list of entity tags such as \"abc\"",
            )),
            Ok(text) => Ok(IfMatch(Some(text.to_string()))),
            Err(_) => Err(AppError::invalid_parameter(
                "If-Match",
                "must be `*` or a list of entity tags such as \"abc\", in visible ASCII",
            )),
        })
    }
}
