//! What answers when no handler does: unknown routes, wrong methods, and any
//! error response not already a problem document (actix's own, for example).

use crate::error::{AppError, ErrorCode, PROBLEM_JSON};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

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
