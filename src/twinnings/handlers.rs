//! The HTTP handlers of `/api/v1/twinnings` and `/api/v1/cities/{id}/twinnings`.

use super::model::{
    CitySummary, CityTwinning, CityTwinningPage, NewTwinning, Twinning, TwinningKind, TwinningPage,
    TwinningPatch, TwinningRow, TwinningStatus,
};
use super::queries::{self, Condition};
use super::validate::{validate_new, validate_patch};
use super::view::{city_ids, to_twinning};
use crate::changes::{Action, Entity, record};
use crate::cities::model::City;
use crate::dates::PartialDate;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, Problem};
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use crate::tokens::Principal;
use crate::validate::is_country_code;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

/// Embeds the cities of each row (one query for the whole page).
pub fn render(
    conn: &mut DbConnection,
    rows: Vec<TwinningRow>,
    today: NaiveDate,
) -> Result<Vec<Twinning>, AppError> {
    let cities = queries::summaries(conn, &city_ids(&rows))?;
    Ok(rows
        .into_iter()
        .map(|r| to_twinning(r, &cities, today))
        .collect())
}

pub fn country_param(name: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    match value {
        Some(code) if !is_country_code(&code) => Err(AppError::invalid_parameter(
            name,
            "must be an ISO 3166-1 alpha-2 country code such as RU",
        )),
        other => Ok(other),
    }
}

pub fn date_param(name: &str, value: Option<&str>) -> Result<Option<PartialDate>, AppError> {
    value
        .map(|v| PartialDate::parse(v).map_err(|m| AppError::invalid_parameter(name, m)))
        .transpose()
}

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
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The filters shared by the twinnings list and its map.
pub struct TwinningFilter {
    pub city_id: Option<i64>,
    pub country: Option<String>,
    pub partner_country: Option<String>,
    pub kind: Option<TwinningKind>,
    pub status: Option<TwinningStatus>,
    pub established_after: Option<String>,
    pub established_before: Option<String>,
    pub dormant_since: Option<String>,
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

impl TwinningFilter {
    /// Checks the parameters and turns them into query conditions.
    pub fn conditions(&self) -> Result<Vec<Condition>, AppError> {
        let country = country_param("country", self.country.clone())?;
        let partner = country_param("partner_country", self.partner_country.clone())?;
        let after = date_param("established_after", self.established_after.as_deref())?;
        let before = date_param("established_before", self.established_before.as_deref())?;
        let dormant = date_param("dormant_since", self.dormant_since.as_deref())?;
        let mut conditions: Vec<Condition> = Vec::new();
        match (self.city_id, &country, &partner) {
            (Some(city), _, Some(partner)) => {
                conditions.push(queries::city_with_partner_in(city, partner))
            }
            (Some(city), _, None) => conditions.push(queries::involves(city)),
            _ => {}
        }
        match (&country, &partner, self.city_id) {
            (Some(country), Some(partner), None) => {
                conditions.push(queries::between_countries(country, partner))
            }
            (Some(country), _, _) => conditions.push(queries::in_country(country)),
            (None, Some(partner), None) => conditions.push(queries::in_country(partner)),
            _ => {}
        }
        if let Some(kind) = self.kind {
            conditions.push(Box::new(
                crate::db::schema::twinnings::kind.eq(kind.as_str()),
            ));
        }
        if let Some(status) = self.status {
            conditions.push(Box::new(
                crate::db::schema::twinnings::status.eq(status.as_str()),
            ));
        }
        if let Some(after) = after {
            conditions.push(queries::established_from(after));
        }
        if let Some(before) = before {
            conditions.push(queries::established_until(before));
        }
        if let Some(since) = dormant {
            conditions.push(queries::dormant_since(since));
        }
        Ok(conditions)
    }
}

/// Find twinnings, oldest registration first.
#[utoipa::path(
    get, path = "/api/v1/twinnings", tag = "twinnings",
    params(TwinningListQuery),
    responses(
        (status = 200, description = "One page of twinnings, by id", body = TwinningPage),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
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

use diesel::{Connection, ExpressionMethods};

/// Register a twinning between two cities.
#[utoipa::path(
    post, path = "/api/v1/twinnings", tag = "twinnings",
    request_body = NewTwinning,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The twinning was registered", body = Twinning,
            headers(("Location" = String, description = "Path of the new twinning"))),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The two cities are already twinned (code `twinning_exists`, with `existing`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid, a city twins with itself, or a city does not exist", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_twinning(
    principal: Principal,
    db: web::Data<Db>,
    body: ValidJson<NewTwinning>,
) -> Result<HttpResponse, AppError> {
    let city_ids = body.0.city_ids.clone().unwrap_or_default();
    let today = crate::clock::today();
    let values = validate_new(body.0, today, crate::clock::now())?;
    principal.require_pair(
        values.city_low_id,
        values.city_high_id,
        "a twinning of two other cities",
    )?;
    let twinning = db
        .write(move |conn| {
            conn.transaction(|conn| {
                let row = queries::insert(conn, &values, &city_ids, None)?;
                let twinning = one(render(conn, vec![row], today)?)?;
                record(
                    conn,
                    &principal,
                    Entity::Twinning,
                    twinning.id,
                    Action::Create,
                    None,
                    Some(&twinning),
                )?;
                Ok(twinning)
            })
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
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such twinning", body = Problem, content_type = "application/problem+json"),
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
            one(render(conn, vec![row], today)?)
        })
        .await?;
    Ok(web::Json(twinning))
}

fn one(mut items: Vec<Twinning>) -> Result<Twinning, AppError> {
    items
        .pop()
        .ok_or_else(|| AppError::internal("twinning not rendered"))
}

/// Change a twinning; a new `status` is recorded in its history with `status_since` and `status_reason`.
#[utoipa::path(
    patch, path = "/api/v1/twinnings/{id}", tag = "twinnings",
    params(("id" = i64, Path, description = "Twinning id")),
    request_body = TwinningPatch,
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The twinning as changed", body = Twinning),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id or the body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such twinning", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid; each is named in `errors`", body = Problem, content_type = "application/problem+json"),
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
    let today = crate::clock::today();
    let twinning = db
        .write(move |conn| {
            conn.transaction(|conn| {
                queries::lock(conn, id)?;
                let current = queries::find(conn, id)?;
                principal.require_pair(
                    current.city_low_id,
                    current.city_high_id,
                    &format!("twinning {id}"),
                )?;
                let before = one(render(conn, vec![current.clone()], today)?)?;
                // A body invalid in itself is refused as such, whatever its precondition.
                let values = validate_patch(&current, patch, today, crate::clock::now())?;
                if_match.check(&before)?;
                let row = queries::update(conn, id, &values)?;
                let after = one(render(conn, vec![row], today)?)?;
                record(
                    conn,
                    &principal,
                    Entity::Twinning,
                    id,
                    Action::Update,
                    Some(&before),
                    Some(&after),
                )?;
                Ok(after)
            })
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
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such twinning", body = Problem, content_type = "application/problem+json"),
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
    db.write(move |conn| {
        conn.transaction(|conn| {
            queries::lock(conn, id)?;
            let current = queries::find(conn, id)?;
            principal.require_pair(current.city_low_id, current.city_high_id, &format!("twinning {id}"))?;
            let today = crate::clock::today();
            let before = one(render(conn, vec![current], today)?)?;
            if_match.check(&before)?;
            let events = crate::events::queries::count_for_twinning(conn, id)?;
            if events > 0 && !cascade {
                return Err(AppError::conflict(
                    "twinning_has_events",
                    format!("twinning {id} has {events} exchange event(s); delete them first or pass cascade=true"),
                ));
            }
            for event in crate::events::handlers::twinning_events_for_deletion(conn, id)? {
                record(conn, &principal, Entity::Event, event.id, Action::Delete, Some(&event), None)?;
            }
            crate::events::queries::delete_for_twinning(conn, id)?;
            queries::delete(conn, id)?;
            record(conn, &principal, Entity::Twinning, id, Action::Delete, Some(&before), None)
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
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A city's twinnings, each with the partner city in full.
#[utoipa::path(
    get, path = "/api/v1/cities/{id}/twinnings", tag = "twinnings",
    params(("id" = i64, Path, description = "City id"), CityTwinningsQuery),
    responses(
        (status = 200, description = "One page of the city's twinnings, by id", body = CityTwinningPage),
        (status = 400, description = "The id or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such city", body = Problem, content_type = "application/problem+json"),
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
                    partners.remove(&partner).map(|p| CityTwinning {
                        twinning: to_twinning(row, &summaries, today),
                        partner: City::from(p),
                    })
                })
                .collect();
            Ok(CityTwinningPage { items, next_cursor })
        })
        .await?;
    Ok(web::Json(result))
}
