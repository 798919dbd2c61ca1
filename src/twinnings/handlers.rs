//! The HTTP handlers of `/api/v1/twinnings` and `/api/v1/cities/{id}/twinnings`.

use super::filter::TwinningFilter;
use super::model::{
    CitySummary, CityTwinning, CityTwinningPage, NewTwinning, Twinning, TwinningKind, TwinningPage,
    TwinningPatch, TwinningStatus,
};
use super::queries;
use super::validate::{validate_new, validate_patch};
use super::view::{render, to_twinning};
use crate::changes::audit;
use crate::cities::model::City;
use crate::db::Db;
use crate::error::{AppError, ErrorCode, Problem};
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use crate::tokens::Principal;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TwinningListQuery {
    /// Only twinnings of this city.
    pub city_id: Option<i64>,
    /// Only twinnings with a city in this country (ISO 3166-1 alpha-2).
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    /// Only twinnings whose other city (besides `city_id` or `country`) is in this country.
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "JP")]
    pub partner_country: Option<String>,
    pub kind: Option<TwinningKind>,
    pub status: Option<TwinningStatus>,
    /// Started on or after this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[param(example = "1990")]
    pub established_after: Option<String>,
    /// Started on or before this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[param(example = "1999-12")]
    pub established_before: Option<String>,
    /// Only active twinnings with no completed exchange event on or after this date.
    #[param(example = "2015")]
    pub dormant_since: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

impl From<&TwinningListQuery> for TwinningFilter {
    fn from(q: &TwinningListQuery) -> TwinningFilter {
        TwinningFilter {
            city_id: q.city_id,
            country: q.country.clone(),
            partner_country: q.partner_country.clone(),
            kind: q.kind,
            status: q.status,
            established_after: q.established_after.clone(),
            established_before: q.established_before.clone(),
            dormant_since: q.dormant_since.clone(),
        }
    }
}

/// Find twinnings, oldest registration first.
#[utoipa::path(
    get, path = "/api/v1/twinnings", tag = "twinnings",
    params(TwinningListQuery),
    responses(
        (status = 200, description = "One page of twinnings, by id", body = TwinningPage),
    )
)]
pub async fn list_twinnings(
    db: web::Data<Db>,
    query: ValidQuery<TwinningListQuery>,
) -> Result<web::Json<TwinningPage>, AppError> {
    let q = query.0;
    let page = PageParams::<i64>::new(q.limit, q.cursor.as_deref())?;
    let conditions = TwinningFilter::from(&q).conditions()?;
    let (limit, after_id) = (page.limit, page.after);
    let today = crate::clock::today();
    let (items, next_cursor) = db
        .read(move |conn| {
            let rows = queries::list(conn, conditions, after_id, limit)?;
            let (rows, next) = paginate(rows, limit, |r| r.id);
            Ok((render(conn, rows, today)?, next))
        })
        .await?;
    Ok(web::Json(TwinningPage { items, next_cursor }))
}

/// Register a twinning between two cities.
#[utoipa::path(
    post, path = "/api/v1/twinnings", tag = "twinnings",
    request_body = NewTwinning,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The twinning was registered", body = Twinning,
            headers(("Location" = String, description = "Path of the new twinning"))),
        (status = 409, description = "The two cities are already twinned (code `twinning_exists`, with `existing`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid, a city twins with itself, or a city does not exist (code `validation_failed`; each field in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_twinning(
    principal: Principal,
    db: web::Data<Db>,
    body: ValidJson<NewTwinning>,
) -> Result<HttpResponse, AppError> {
    let city_ids = body.0.city_ids.clone().unwrap_or_default();
    let values = validate_new(body.0, crate::clock::today(), crate::clock::now())?;
    principal.require_pair(
        values.city_low_id,
        values.city_high_id,
        "a twinning of two other cities",
    )?;
    let twinning = db
        .transaction(move |conn| {
            let row = queries::insert(conn, &values, &city_ids, None)?;
            audit::created::<Twinning>(conn, &principal, row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/twinnings/{}", twinning.id),
        ))
        .json(twinning))
}

/// One twinning.
#[utoipa::path(
    get, path = "/api/v1/twinnings/{id}", tag = "twinnings",
    params(("id" = i64, Path, description = "Twinning id")),
    responses(
        (status = 200, description = "The twinning", body = Twinning),
    )
)]
pub async fn get_twinning(
    db: web::Data<Db>,
    id: web::Path<i64>,
) -> Result<web::Json<Twinning>, AppError> {
    let id = id.into_inner();
    let today = crate::clock::today();
    let twinning = db
        .read_quick(move |conn| {
            let row = queries::find(conn, id)?;
            super::view::render_one(conn, row, today)
        })
        .await?;
    Ok(web::Json(twinning))
}

/// Change a twinning; a new `status` is recorded in its history with `status_since` and `status_reason`.
#[utoipa::path(
    patch, path = "/api/v1/twinnings/{id}", tag = "twinnings",
    params(("id" = i64, Path, description = "Twinning id")),
    request_body = TwinningPatch,
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The twinning as changed", body = Twinning),
    )
)]
pub async fn update_twinning(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<TwinningPatch>,
) -> Result<web::Json<Twinning>, AppError> {
    let id = id.into_inner();
    let patch = body.0;
    let twinning = db
        .transaction(move |conn| {
            audit::update::<Twinning, _>(
                conn,
                &principal,
                id,
                &if_match,
                |current, _| {
                    validate_patch(current, patch, crate::clock::today(), crate::clock::now())
                },
                |conn, values| queries::update(conn, id, &values),
            )
        })
        .await?;
    Ok(web::Json(twinning))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteTwinningQuery {
    /// Also delete the twinning's exchange events (otherwise their existence is a 409).
    #[param(default = false)]
    pub cascade: Option<bool>,
}

/// Remove a twinning.
#[utoipa::path(
    delete, path = "/api/v1/twinnings/{id}", tag = "twinnings",
    params(("id" = i64, Path, description = "Twinning id"), DeleteTwinningQuery),
    security(("bearer_token" = [])),
    responses(
        (status = 204, description = "The twinning was removed"),
        (status = 409, description = "The twinning has exchange events and `cascade` is not `true` (code `twinning_has_events`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_twinning(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
    query: ValidQuery<DeleteTwinningQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let cascade = query.0.cascade.unwrap_or(false);
    db.transaction(move |conn| {
        audit::delete::<Twinning>(conn, &principal, id, &if_match, |conn, _| {
            let events = crate::events::queries::count_for_twinning(conn, id)?;
            if events > 0 && !cascade {
                return Err(AppError::conflict(
                    ErrorCode::TwinningHasEvents,
                    format!("twinning {id} has {events} exchange event(s); delete them first or pass cascade=true"),
                ));
            }
            let rows = crate::events::queries::of_twinning_all(conn, id)?;
            for event in crate::events::view::render(conn, rows)? {
                audit::deleted(conn, &principal, &event)?;
            }
            crate::events::queries::delete_for_twinning(conn, id)?;
            queries::delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityTwinningsQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// A city's twinnings, each with the partner city in full.
#[utoipa::path(
    get, path = "/api/v1/cities/{id}/twinnings", tag = "twinnings",
    params(("id" = i64, Path, description = "City id"), CityTwinningsQuery),
    responses(
        (status = 200, description = "One page of the city's twinnings, by id", body = CityTwinningPage),
    )
)]
pub async fn list_city_twinnings(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<CityTwinningsQuery>,
) -> Result<web::Json<CityTwinningPage>, AppError> {
    let city_id = id.into_inner();
    let page = PageParams::<i64>::new(query.0.limit, query.0.cursor.as_deref())?;
    let today = crate::clock::today();
    let (limit, after) = (page.limit, page.after);
    let result = db
        .read_quick(move |conn| {
            let city = crate::cities::queries::find(conn, city_id)?;
            let rows = queries::of_city(conn, city_id, after, limit)?;
            let (rows, next_cursor) = paginate(rows, limit, |r| r.id);
            let partner_ids: Vec<i64> = rows
                .iter()
                .map(|r| {
                    if r.city_low_id == city_id {
                        r.city_high_id
                    } else {
                        r.city_low_id
                    }
                })
                .collect();
            let mut partners = queries::full_cities(conn, &partner_ids)?;
            // The summaries of both cities come from rows already read.
            let summaries: HashMap<i64, CitySummary> = partners
                .values()
                .chain(std::iter::once(&city))
                .map(|c| (c.id, CitySummary::from(c)))
                .collect();
            let items = rows
                .into_iter()
                .zip(partner_ids)
                .filter_map(|(row, partner)| {
                    let partner = partners.remove(&partner)?;
                    Some(
                        to_twinning(row, &summaries, today).map(|twinning| CityTwinning {
                            twinning,
                            partner: City::from(partner),
                        }),
                    )
                })
                .collect::<Result<_, AppError>>()?;
            Ok(CityTwinningPage { items, next_cursor })
        })
        .await?;
    Ok(web::Json(result))
}
