//! Creating, listing, revoking and checking tokens.

use super::model::{Principal, Token, TokenRow};
use super::secret;
use crate::db::DbConnection;
use crate::db::schema::{token_cities, tokens};
use crate::error::{AppError, FieldError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use std::collections::HashMap;

pub fn to_token(row: TokenRow, city_ids: Vec<i64>) -> Token {
    Token {
        id: row.id,
        name: row.name,
        admin: row.is_admin,
        city_ids,
        expires_at: row.expires_at.map(|t| t.and_utc()),
        revoked_at: row.revoked_at.map(|t| t.and_utc()),
        created_at: row.created_at.and_utc(),
    }
}

/// The most cities one token may edit.
pub const MAX_TOKEN_CITIES: usize = 100;

/// The rules of a new token that need no database.
fn check_new(
    name: &str,
    admin: bool,
    city_ids: &[i64],
    expires_in_days: Option<i64>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    // The same rule as every name (`TEXT_PATTERN` in the document).
    let raw = name;
    let name = name.trim();
    if name.is_empty() || raw.chars().count() > 200 || raw.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "must be 1 to 200 characters without control characters",
        ));
    }
    if admin && !city_ids.is_empty() {
        errors.push(FieldError::new(
            "city_ids",
            "an admin token may edit everything; give no cities",
        ));
    }
    if !admin && city_ids.is_empty() {
        errors.push(FieldError::new(
            "city_ids",
            "a city token needs at least one city (or make it an admin token)",
        ));
    }
    if city_ids.len() > MAX_TOKEN_CITIES {
        errors.push(FieldError::new(
            "city_ids",
            format!("at most {MAX_TOKEN_CITIES} cities"),
        ));
    }
    if let Some(days) = expires_in_days
        && !(1..=3650).contains(&days)
    {
        errors.push(FieldError::new(
            "expires_in_days",
            "must be between 1 and 3650",
        ));
    }
    errors
}

/// Creates a token; returns it with its bearer string (the only time it exists).
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    admin: bool,
    city_ids: &[i64],
    expires_in_days: Option<i64>,
    now: NaiveDateTime,
) -> Result<(Token, String), AppError> {
    let mut errors = check_new(name, admin, city_ids, expires_in_days);
    let name = name.trim();
    errors.extend(crate::cities::queries::missing(conn, "city_ids", city_ids)?);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let secret = secret::generate().map_err(AppError::internal)?;
    let expires_at = expires_in_days.map(|days| now + TimeDelta::days(days));
    conn.transaction(|conn| {
        let row: TokenRow = diesel::insert_into(tokens::table)
            .values((
                tokens::name.eq(name),
                tokens::secret_hash.eq(secret::hash(&secret)),
                tokens::is_admin.eq(admin),
                tokens::expires_at.eq(expires_at),
                tokens::created_at.eq(now),
            ))
            .returning(tokens::all_columns)
            .get_result(conn)?;
        let mut scope: Vec<i64> = city_ids.to_vec();
        scope.sort_unstable();
        scope.dedup();
        for city in &scope {
            diesel::insert_into(token_cities::table)
                .values((
                    token_cities::token_id.eq(row.id),
                    token_cities::city_id.eq(city),
                ))
                .execute(conn)?;
        }
        let bearer = secret::compose(row.id, &secret);
        Ok((to_token(row, scope), bearer))
    })
}

pub fn list(
    conn: &mut DbConnection,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Token>, AppError> {
    let mut query = tokens::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(tokens::id.gt(after));
    }
    let rows: Vec<TokenRow> = query.order(tokens::id.asc()).limit(limit).load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let scopes: Vec<(i64, i64)> = token_cities::table
        .filter(token_cities::token_id.eq_any(&ids))
        .order((token_cities::token_id, token_cities::city_id))
        .load(conn)?;
    let mut by_token: HashMap<i64, Vec<i64>> = HashMap::new();
    for (token, city) in scopes {
        by_token.entry(token).or_default().push(city);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let cities = by_token.remove(&row.id).unwrap_or_default();
            to_token(row, cities)
        })
        .collect())
}

/// One token by id, without its secret.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<Token, AppError> {
    list(conn, Some(id - 1), 1)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| AppError::not_found("token", id))
}

/// Marks a token revoked; it stops working at once. Revoking twice is harmless.
pub fn revoke(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(tokens::table.find(id).filter(tokens::revoked_at.is_null()))
        .set(tokens::revoked_at.eq(now))
        .execute(conn)?;
    let exists: i64 = tokens::table.find(id).count().get_result(conn)?;
    if exists == 0 {
        return Err(AppError::not_found("token", id));
    }
    Ok(())
}

/// 401 if the token a request came with was revoked or expired since it
/// was checked (a long upload); the command line has no token to check.
pub fn recheck(
    conn: &mut DbConnection,
    principal: &Principal,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let Some(id) = principal.token_id else {
        return Ok(());
    };
    let row: Option<TokenRow> = tokens::table.find(id).first(conn).optional()?;
    match row {
        Some(row) if row.revoked_at.is_some() => Err(AppError::unauthorized(
            "the bearer token has been revoked",
            true,
        )),
        Some(row) if row.expires_at.is_some_and(|at| at <= now) => {
            Err(AppError::unauthorized("the bearer token has expired", true))
        }
        Some(_) => Ok(()),
        None => Err(AppError::unauthorized(
            "the bearer token is not valid",
            true,
        )),
    }
}

/// The holder of a presented bearer token, or 401.
pub fn authenticate(
    conn: &mut DbConnection,
    bearer: &str,
    now: NaiveDateTime,
) -> Result<Principal, AppError> {
    let invalid = || AppError::unauthorized("the bearer token is not valid", true);
    let (id, presented) = secret::parse(bearer).ok_or_else(invalid)?;
    let row: TokenRow = tokens::table
        .find(id)
        .first(conn)
        .optional()?
        .ok_or_else(invalid)?;
    if !secret::matches(presented, &row.secret_hash) {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        return Err(AppError::unauthorized(
            "the bearer token has been revoked",
            true,
        ));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::unauthorized("the bearer token has expired", true));
    }
    let cities: Vec<i64> = token_cities::table
        .filter(token_cities::token_id.eq(id))
        .select(token_cities::city_id)
        .load(conn)?;
    Ok(Principal {
        token_id: Some(row.id),
        name: row.name,
        admin: row.is_admin,
        cities,
    })
}
