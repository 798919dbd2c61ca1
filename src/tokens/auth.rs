//! Who is writing: the `Principal` of a request, from its bearer token.

use super::model::Principal;
use crate::db::Db;
use crate::error::AppError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

impl FromRequest for Principal {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Principal, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or("").trim().to_string());
        let db = req.app_data::<web::Data<Db>>().cloned();
        Box::pin(async move {
            let bearer = match bearer {
                None => {
                    return Err(AppError::unauthorized(
                        "this needs `Authorization: Bearer <token>`",
                        false,
                    ));
                }
                Some(value) => match value.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                        token.trim().to_string()
                    }
                    _ => {
                        return Err(AppError::unauthorized(
                            "the Authorization header must be `Bearer <token>`",
                            true,
                        ));
                    }
                },
            };
            let db = db.ok_or_else(|| AppError::internal("no database in the app"))?;
            db.read_quick(move |conn| {
                super::queries::authenticate(conn, &bearer, crate::clock::now())
            })
            .await
        })
    }
}
