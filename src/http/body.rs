//! `ValidJson<T>`: a JSON body extractor whose every failure is a problem
//! document naming the field (415, 413, 400 malformed, 422 wrong type/unknown field).

use crate::error::{AppError, ErrorCode, FieldError};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest request body accepted, in bytes (app data; 1 MiB when unset).
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(1 << 20, |limit| limit.0);
        let checked = check_headers(req, limit);
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::new(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::MalformedBody,
                        format!("the request body could not be read: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ValidJson)
        })
    }
}

fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json"
        && !(essence.starts_with("application/") && essence.ends_with("+json"))
    {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!(
                "the body must be sent as `Content-Type: application/json`, not `{content_type}`"
            ),
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn too_large(limit: usize) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
}

/// Parses a JSON document into `T`, naming the offending field on failure.
///
/// JSON Schema counts `3.0` as an integer, so when a body is refused for its
/// types and holds a number with no fraction, it is read again with each such
/// number as an integer (`"population": 1.6e6` is 1600000).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let typed = serde_path_to_error::deserialize::<_, T>(&mut deserializer);
    let error = match typed {
        Ok(value) => {
            deserializer.end().map_err(malformed)?;
            return Ok(value);
        }
        Err(error) => error,
    };
    if !error.inner().is_data() {
        return Err(malformed(error.into_inner()));
    }
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body)
        && integral_numbers_as_integers(&mut value)
    {
        return serde_path_to_error::deserialize::<_, T>(value).map_err(refused);
    }
    Err(refused(error))
}

fn malformed(error: serde_json::Error) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::MalformedJson,
        format!("the request body is not valid JSON: {error}"),
    )
}

fn refused(error: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = error.path().to_string();
    let message = strip_location(&error.into_inner().to_string());
    AppError::validation(vec![FieldError::new(field_of(&path, &message), message)])
}

/// Rewrites every float with no fractional part that an `i64` holds as that
/// integer; true when it rewrote one.
fn integral_numbers_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    // i64 holds every integral float in [-2^63, 2^63).
    const BOUND: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && (-BOUND..BOUND).contains(&f) => {
                #[allow(clippy::cast_possible_truncation)]
                let int = f as i64;
                *value = Value::from(int);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            integral_numbers_as_integers(item) | changed
        }),
        Value::Object(fields) => fields.values_mut().fold(false, |changed, item| {
            integral_numbers_as_integers(item) | changed
        }),
        _ => false,
    }
}

/// serde's path ends at an unknown field but stops at the parent object of a
/// missing one, whose name is only in the message: join the two.
pub fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (missing, parent) {
        (Some(name), "") => name.to_string(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "") => "body".to_string(),
        (None, parent) => parent.to_string(),
    }
}

fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
