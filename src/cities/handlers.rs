//! The HTTP handlers of `/api/v1/cities`.

use super::filter::city_filter;
use super::model::{City, CityListItem, CityPage, CityPatch, NewCity};
use super::queries::{self, CityKey};
use super::validate::{ValidCity, validate};
use crate::changes::audit;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use crate::tokens::Principal;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

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
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// Find cities by name, largest population first.
#[utoipa::path(
    get, path = "/api/v1/cities", tag = "cities",
    params(CityListQuery),
    responses(
        (status = 200, description = "One page of cities, largest population first, then by id (without their alternate names)", body = CityPage),
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
    // A one-word search reads one page of an index (`queries::list`): quick
    // enough to run on the worker; other lists may walk many cities.
    let rows = if filter.words.len() <= 1 && filter.country.is_none() && !filter.words.is_empty() {
        db.read_quick(move |conn| queries::list(conn, &filter))
            .await?
    } else {
        db.read(move |conn| queries::list(conn, &filter)).await?
    };
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
        (status = 409, description = "Another city has this `wikidata_id` or `geonames_id` (code `city_exists`, with `existing`)", body = Problem, content_type = "application/problem+json"),
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
        .transaction(move |conn| {
            let row = queries::insert(conn, &city, None)?;
            audit::created::<City>(conn, &principal, row)
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
        (status = 409, description = "Another city has this `wikidata_id` or `geonames_id` (code `city_exists`, with `existing`)", body = Problem, content_type = "application/problem+json"),
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
        .transaction(move |conn| {
            audit::update::<City, _>(
                conn,
                &principal,
                id,
                &if_match,
                |_, before| {
                    let city = validate(patch.apply(before.clone()), crate::clock::now())?;
                    keeps_identifiers(&principal, before, &city)?;
                    Ok(city)
                },
                |conn, city| queries::update(conn, id, &city),
            )
        })
        .await?;
    Ok(web::Json(city))
}

/// Imports match cities by their Wikidata and GeoNames ids, so only an admin
/// may set or change them: a city token could otherwise claim another
/// city's id and have the next import overwrite its own city with that one.
fn keeps_identifiers(
    principal: &Principal,
    before: &City,
    after: &ValidCity,
) -> Result<(), AppError> {
    let changed = after.values.wikidata_id != before.wikidata_id
        || after.values.geonames_id != before.geonames_id;
    if changed && !principal.admin {
        return Err(AppError::forbidden(format!(
            "token \"{}\" may not set or change `wikidata_id` or `geonames_id`: imports match cities by them, so only an admin token may",
            principal.name
        )));
    }
    Ok(())
}

/// Remove a city that nothing refers to any more.
#[utoipa::path(
    delete, path = "/api/v1/cities/{id}", tag = "cities",
    params(("id" = i64, Path, description = "City id")),
    security(("bearer_token" = [])),
    responses(
        (status = 204, description = "The city was removed"),
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
    db.transaction(move |conn| {
        audit::delete::<City>(conn, &principal, id, &if_match, |conn, _| {
            queries::delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
