//! What answers when no handler does: unknown routes, wrong methods, and any
//! error response not already a problem document (actix's own, for example).

use crate::error::{AppError, ErrorCode, PROBLEM_JSON};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};

/// HEAD is GET without the body (RFC 9110 §9.3.2): a HEAD request is routed
/// as its GET, so it gets the GET's status and headers (its length, tag and
/// coding among them), and the connection, knowing the request was HEAD,
/// sends no body.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// Set on a request whose query string a handler has read (`ValidQuery`).
pub struct QueryRead;

/// A read whose handler takes no query parameters, sent some: 400 naming the
/// first, rather than an answer (and a kept entry) per made-up query.
pub async fn refuse_unread_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    if res.request().method() != Method::GET
        || !res.status().is_success()
        || res.request().extensions().contains::<QueryRead>()
    {
        return Ok(res);
    }
    let first = form_urlencoded::parse(res.request().query_string().as_bytes())
        .next()
        .map(|(name, _)| name.into_owned());
    let Some(name) = first else { return Ok(res) };
    let error = AppError::invalid_parameter(
        &name,
        format!(
            "is not a parameter of {}, which takes none",
            res.request().path()
        ),
    );
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, error.error_response()))
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("there is no route {}", req.path()),
    )
    .error_response()
}

/// 405 with the `Allow` header, for a resource that exists under other methods.
pub fn method_not_allowed(
    allow: impl Into<String>,
) -> impl Fn(HttpRequest) -> std::future::Ready<HttpResponse> + Clone + 'static {
    let allow: String = allow.into();
    move |req: HttpRequest| {
        std::future::ready(
            AppError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed on {}; allowed: {allow}",
                    req.method(),
                    req.path()
                ),
            )
            .with_header(header::ALLOW, allow.clone())
            .error_response(),
        )
    }
}

/// Turns an error response that is not `application/problem+json` into one.
pub fn to_problem<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match (res.response().error(), status.is_server_error()) {
        (Some(error), false) => error.to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        s if s.is_server_error() => ErrorCode::InternalError,
        _ => ErrorCode::BadRequest,
    };
    let (req, old) = res.into_parts();
    let mut new = AppError::new(status, code, detail).error_response();
    if let Some(allow) = old.headers().get(header::ALLOW) {
        new.headers_mut().insert(header::ALLOW, allow.clone());
    }
    let new: HttpResponse<BoxBody> = new;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
