//! `ValidQuery<T>`: query-string extractor that answers 400 naming the parameter.

use super::body::field_of;
use crate::error::AppError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;
use std::future::{Ready, ready};

pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        req.extensions_mut().insert(super::fallback::QueryRead);
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        ready(
            serde_path_to_error::deserialize::<_, T>(deserializer)
                .map(ValidQuery)
                .map_err(|error| {
                    let path = error.path().to_string();
                    let message = error.into_inner().to_string();
                    AppError::invalid_parameter(&field_of(&path, &message), message)
                }),
        )
    }
}
