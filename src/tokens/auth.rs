//! Who is writing: the `Principal` extractor and its scope checks.

use crate::db::Db;
use crate::error::AppError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

/// The holder of the bearer token of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// `None` for writes made from the command line.
    pub token_id: Option<i64>,
    pub name: String,
    pub admin: bool,
    /// The cities a city token may edit.
    pub cities: Vec<i64>,
}

impl Principal {
    /// The command line, which holds the database itself.
    pub fn command_line(what: &str) -> Principal {
        Principal {
            token_id: None,
            name: format!("command line: {what}"),
            admin: true,
            cities: Vec::new(),
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.admin {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "token \"{}\" is scoped to cities; this needs an admin token",
                self.name
            )))
        }
    }

    /// May edit this city (and what involves it).
    pub fn may_edit_city(&self, city_id: i64) -> bool {
        self.admin || self.cities.contains(&city_id)
    }

    pub fn require_city(&self, city_id: i64) -> Result<(), AppError> {
        if self.may_edit_city(city_id) {
            Ok(())
        } else {
            Err(self.out_of_scope(&format!("city {city_id}")))
        }
    }

    /// May edit what involves at least one of the two cities.
    pub fn require_pair(&self, a: i64, b: i64, what: &str) -> Result<(), AppError> {
        if self.may_edit_city(a) || self.may_edit_city(b) {
            Ok(())
        } else {
            Err(self.out_of_scope(what))
        }
    }

    fn out_of_scope(&self, what: &str) -> AppError {
        AppError::forbidden(format!(
            "token \"{}\" may edit only cities {:?} and what involves them, not {what}",
            self.name, self.cities
        ))
    }
}

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
