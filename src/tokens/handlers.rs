//! `/api/v1/tokens`: tokens for admins. Never cached, never showing a secret twice.

use super::model::{CreatedToken, NewToken, Principal, Token, TokenPage};
use super::queries;
use crate::db::Db;
use crate::error::AppError;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokenListQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

fn no_store() -> CacheControl {
    CacheControl(vec![CacheDirective::NoStore])
}

/// Create a token (admins only). The response shows its secret, once.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "tokens",
    request_body = NewToken,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The token, with its secret (not shown again)", body = CreatedToken),
    )
)]
pub async fn create_token(
    principal: Principal,
    db: web::Data<Db>,
    body: ValidJson<NewToken>,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let new = body.0;
    let (token, secret) = db
        .write(move |conn| {
            let name = new.name.unwrap_or_default();
            queries::create(
                conn,
                &name,
                new.admin,
                &new.city_ids,
                new.expires_in_days,
                crate::clock::now(),
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(no_store())
        .insert_header((header::LOCATION, format!("/api/v1/tokens/{}", token.id)))
        .json(CreatedToken { token, secret }))
}

/// The tokens, without their secrets (admins only).
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "tokens",
    params(TokenListQuery),
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "One page of tokens, by id", body = TokenPage),
    )
)]
pub async fn list_tokens(
    principal: Principal,
    db: web::Data<Db>,
    query: ValidQuery<TokenListQuery>,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let page = PageParams::<i64>::new(query.0.limit, query.0.cursor.as_deref())?;
    let (limit, after) = (page.limit, page.after);
    let rows = db
        .read(move |conn| queries::list(conn, after, limit + 1))
        .await?;
    let (items, next_cursor) = paginate(rows, limit, |t| t.id);
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenPage { items, next_cursor }))
}

/// The token this request is made with: whose it is, whether it is an
/// admin's, and the cities it may edit (any token; a frontend signs in with it).
#[utoipa::path(
    get, path = "/api/v1/tokens/current", tag = "tokens",
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The request's own token, without its secret", body = Token),
    )
)]
pub async fn current_token(
    principal: Principal,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let Some(id) = principal.token_id else {
        return Err(AppError::forbidden("the command line holds no token"));
    };
    let token = db.read(move |conn| queries::find(conn, id)).await?;
    Ok(HttpResponse::Ok().insert_header(no_store()).json(token))
}

/// Revoke a token (admins only); it stops working at once.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    security(("bearer_token" = [])),
    responses(
        (status = 204, description = "The token is revoked"),
    )
)]
pub async fn revoke_token(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let id = id.into_inner();
    db.write(move |conn| queries::revoke(conn, id, crate::clock::now()))
        .await?;
    Ok(HttpResponse::NoContent().insert_header(no_store()).finish())
}
