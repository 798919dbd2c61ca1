//! The one error type of the API, rendered as RFC 9457 `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One offending field of a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"field": "latitude", "message": "must be between -90 and 90"}))]
pub struct FieldError {
    /// Path of the field in the request body, or name of the query or path parameter.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The stable, machine-readable `code` of a problem document.
///
/// `invalid_parameter` (400) names a query or path parameter; `malformed_json`
/// and `malformed_body` (400) a body that cannot be read; `empty_body` (400) an
/// import without a file; `unauthorized` (401); `forbidden` (403); `not_found`
/// and `deleted` (404); `method_not_allowed` (405); `request_timeout` (408);
/// `conflict`, `city_exists`, `city_in_use`, `twinning_exists`,
/// `twinning_has_events`, `event_has_replies` and `nothing_to_review` (409); `precondition_failed`
/// (412); `payload_too_large` (413); `unsupported_media_type` (415);
/// `validation_failed` and `nothing_imported` (422); `internal_error` (500);
/// `database_unavailable`, `database_busy` and `overloaded` (503, with `Retry-After`);
/// `bad_request` for any other 4xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    InvalidParameter,
    MalformedBody,
    MalformedJson,
    EmptyBody,
    Unauthorized,
    Forbidden,
    NotFound,
    Deleted,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    CityExists,
    CityInUse,
    TwinningExists,
    TwinningHasEvents,
    EventHasReplies,
    NothingToReview,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    NothingImported,
    InternalError,
    DatabaseUnavailable,
    DatabaseBusy,
    Overloaded,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::MalformedBody => "malformed_body",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::EmptyBody => "empty_body",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Deleted => "deleted",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::Conflict => "conflict",
            ErrorCode::CityExists => "city_exists",
            ErrorCode::CityInUse => "city_in_use",
            ErrorCode::TwinningExists => "twinning_exists",
            ErrorCode::TwinningHasEvents => "twinning_has_events",
            ErrorCode::EventHasReplies => "event_has_replies",
            ErrorCode::NothingToReview => "nothing_to_review",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::NothingImported => "nothing_imported",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::DatabaseBusy => "database_busy",
            ErrorCode::Overloaded => "overloaded",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error, as every endpoint answers it (RFC 9457 problem details).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "the request has 1 invalid field",
    "code": "validation_failed",
    "errors": [{"field": "country_code", "message": "`XX` is not an ISO 3166-1 alpha-2 country code"}]
}))]
pub struct Problem {
    /// Always `about:blank`: `code` tells the kinds of problem apart.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP status phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`, `conflict`.
    pub code: ErrorCode,
    /// Every offending field, for validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Path of the existing resource a conflict is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing: Option<String>,
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub existing: Option<String>,
    /// Extra response headers (`Allow`, `WWW-Authenticate`).
    pub headers: Vec<(header::HeaderName, String)>,
}

impl AppError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            existing: None,
            headers: Vec::new(),
        }
    }

    pub fn not_found(what: &str, id: impl fmt::Display) -> AppError {
        AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("there is no {what} with id {id}"),
        )
    }

    /// 404 for what the path names but does not exist, said in `detail`.
    pub fn not_found_because(detail: String) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, detail)
    }

    /// 422 naming every bad field.
    pub fn validation(errors: Vec<FieldError>) -> AppError {
        let detail = match errors.len() {
            1 => "the request has 1 invalid field".to_string(),
            n => format!("the request has {n} invalid fields"),
        };
        AppError {
            errors,
            ..AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
                detail,
            )
        }
    }

    /// 400 for a malformed query or path parameter, naming it.
    pub fn invalid_parameter(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError {
            errors: vec![FieldError::new(field, message.clone())],
            ..AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidParameter,
                format!("invalid parameter `{field}`: {message}"),
            )
        }
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> AppError {
        self.headers.push((name, value.into()));
        self
    }

    /// 401: no usable bearer token.
    pub fn unauthorized(detail: impl Into<String>, invalid: bool) -> AppError {
        let challenge = if invalid {
            r#"Bearer realm="twinning", error="invalid_token""#
        } else {
            r#"Bearer realm="twinning""#
        };
        AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, detail)
            .with_header(header::WWW_AUTHENTICATE, challenge)
    }

    /// 403: a valid token that may not do this.
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    pub fn with_existing(mut self, path: String) -> AppError {
        self.existing = Some(path);
        self
    }

    /// 500: the cause is logged, the client learns nothing internal.
    pub fn internal(cause: impl fmt::Display) -> AppError {
        log::error!("internal error: {cause}");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "the server failed to handle the request; it has been logged",
        )
    }

    /// For a terminal: the detail, with each offending field.
    pub fn describe(&self) -> String {
        let fields: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        if fields.is_empty() {
            self.detail.clone()
        } else {
            format!("{} ({})", self.detail, fields.join("; "))
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: "about:blank".into(),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
            existing: self.existing.clone(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.as_str()));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> AppError {
        match &error {
            DieselError::NotFound => AppError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such resource",
            ),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict(ErrorCode::Conflict, "the resource already exists")
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::conflict(
                    ErrorCode::Conflict,
                    "the change would break a reference between resources",
                )
            }
            DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info) => {
                AppError::validation(vec![FieldError::new(
                    info.column_name().unwrap_or("body"),
                    "is out of the allowed range",
                )])
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if is_busy(info.message()) =>
            {
                log::warn!("database busy: {}", info.message());
                AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::DatabaseBusy,
                    "the database is busy with another write; try again shortly",
                )
                .with_header(header::RETRY_AFTER, "1")
            }
            _ => {
                // A value that does not decode names its field, its cause beneath.
                let mut cause = format!("database: {error}");
                let mut source = std::error::Error::source(&error);
                while let Some(inner) = source {
                    cause.push_str(&format!(": {inner}"));
                    source = inner.source();
                }
                AppError::internal(cause)
            }
        }
    }
}

/// SQLite's answer when another connection or process holds the write lock
/// past the busy timeout.
fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> AppError {
        log::error!("database pool: {error}");
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable,
            "the database is not available; try again shortly",
        )
        .with_header(header::RETRY_AFTER, "1")
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> AppError {
        AppError::internal(format!("blocking task: {error}"))
    }
}
