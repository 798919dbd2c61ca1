//! The HTTP handlers of `/api/v1/cities`.

use super::model::{City, CityListItem, CityPage, CityPatch, NewCity};
use super::queries::{self, CityFilter, CityKey};
use super::search;
use super::validate::validate;
use crate::changes::{Action, Entity, record};
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use crate::tokens::Principal;
use crate::validate::is_country_code;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use diesel::Connection;
use serde::Deserialize;
use utoipa::IntoParams;

const MAX_QUERY_WORDS: usize = 8;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityListQuery {
    /// Words that start words of any of a city's names, in any language and
    /// script, ignoring case and diacritics: `novgorod`, `Великий`, `札幌`.
    #[param(max_length = 200, example = "novgorod")]
    pub q: Option<String>,
    /// Only cities of this country (ISO 3166-1 alpha-2).
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Checks `q` and `country` of a city list; `None` when `q` has no word
/// that a name could match (only punctuation), so the answer is empty.
pub fn city_filter(
    q: Option<&str>,
    country: Option<String>,
    after: Option<CityKey>,
    limit: i64,
) -> Result<Option<CityFilter>, AppError> {
    let words: Vec<String> = match q {
        Some(q) if q.chars().count() > 200 => {
            return Err(AppError::invalid_parameter(
                "q",
                "must be at most 200 characters",
            ));
        }
        Some(q) => search::words(q).collect(),
        None => Vec::new(),
    };
    if words.len() > MAX_QUERY_WORDS {
        return Err(AppError::invalid_parameter(
            "q",
            format!("must have at most {MAX_QUERY_WORDS} words"),
        ));
    }
    if let Some(country) = &country
        && !is_country_code(country)
    {
        return Err(AppError::invalid_parameter(
            "country",
            "must be an ISO 3166-1 alpha-2 country code such as RU",
        ));
    }
    if q.is_some() && words.is_empty() {
        return Ok(None);
    }
    Ok(Some(CityFilter {
        words,
        country,
        after,
        limit,
    }))
}

/// Find cities by name, largest population first.
#[utoipa::path(
    get, path = "/api/v1/cities", tag = "cities",
    params(CityListQuery),
    responses(
        (status = 200, description = "One page of cities, largest population first, then by id (without their alternate names)", body = CityPage),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_cities(
    db: web::Data<Db>,
    query: ValidQuery<CityListQuery>,
) -> Result<web::Json<CityPage>, AppError> {
    let query = query.0;
    let page = PageParams::<CityKey>::new(query.limit, query.cursor.as_deref())?;
    let Some(filter) = city_filter(query.q.as_deref(), query.country, page.after, page.limit)?
    else {
        return Ok(web::Json(CityPage {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let rows = db.read(move |conn| queries::list(conn, &filter)).await?;
    let (rows, next_cursor) = paginate(rows, page.limit, queries::key);
    Ok(web::Json(CityPage {
        items: rows.into_iter().map(CityListItem::from).collect(),
        next_cursor,
    }))
}

/// Register a city.
#[utoipa::path(
    post, path = "/api/v1/cities", tag = "cities",
    request_body = NewCity,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The city was created", body = City,
            headers(("Location" = String, description = "Path of the new city"))),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another city has this `wikidata_id` or `geonames_id` (code `city_exists`, with `existing`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is named in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_city(
    principal: Principal,
    db: web::Data<Db>,
    body: ValidJson<NewCity>,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let city = validate(body.0, crate::clock::now())?;
    let city = db
        .write(move |conn| {
            conn.transaction(|conn| {
                let city = City::from(queries::insert(conn, &city, None)?);
                record(
                    conn,
                    &principal,
                    Entity::City,
                    city.id,
                    Action::Create,
                    None,
                    Some(&city),
                )?;
                Ok(city)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/cities/{}", city.id)))
        .json(city))
}

/// One city.
#[utoipa::path(
    get, path = "/api/v1/cities/{id}", tag = "cities",
    params(("id" = i64, Path, description = "City id")),
    responses(
        (status = 200, description = "The city", body = City),
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such city", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_city(db: web::Data<Db>, id: web::Path<i64>) -> Result<web::Json<City>, AppError> {
    let id = id.into_inner();
    let row = db.read_quick(move |conn| queries::find(conn, id)).await?;
    Ok(web::Json(City::from(row)))
}

/// Change some fields of a city; `null` clears an optional field.
#[utoipa::path(
    patch, path = "/api/v1/cities/{id}", tag = "cities",
    params(("id" = i64, Path, description = "City id")),
    request_body = CityPatch,
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The city as changed", body = City),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id or the body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such city", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another city has this `wikidata_id` or `geonames_id`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is named in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_city(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<CityPatch>,
) -> Result<web::Json<City>, AppError> {
    let id = id.into_inner();
    principal.require_city(id)?;
    let patch = body.0;
    let city = db
        .write(move |conn| {
            conn.transaction(|conn| {
                queries::lock(conn, id)?;
                let before = City::from(queries::find(conn, id)?);
                // A body invalid in itself is refused as such, whatever its precondition.
                let city = validate(patch.apply(before.clone()), crate::clock::now())?;
                if_match.check(&before)?;
                let after = City::from(queries::update(conn, id, &city)?);
                record(
                    conn,
                    &principal,
                    Entity::City,
                    id,
                    Action::Update,
                    Some(&before),
                    Some(&after),
                )?;
                Ok(after)
            })
        })
        .await?;
    Ok(web::Json(city))
}

/// Remove a city that nothing refers to any more.
#[utoipa::path(
    delete, path = "/api/v1/cities/{id}", tag = "cities",
    params(("id" = i64, Path, description = "City id")),
    security(("bearer_token" = [])),
    responses(
        (status = 204, description = "The city was removed"),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such city", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Twinnings or events still refer to the city (code `city_in_use`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_city(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    principal.require_city(id)?;
    db.write(move |conn| {
        conn.transaction(|conn| {
            queries::lock(conn, id)?;
            let before = City::from(queries::find(conn, id)?);
            if_match.check(&before)?;
            queries::delete(conn, id)?;
            record(
                conn,
                &principal,
                Entity::City,
                id,
                Action::Delete,
                Some(&before),
                None,
            )
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
