//! The HTTP handlers of `/api/v1/twinnings` and `/api/v1/cities/{id}/twinnings`.

use super::filter::TwinningFilter;
use super::model::{
    CitySummary, CityTwinning, CityTwinningPage, Confirmed, NewTwinning, Twinning, TwinningKind,
    TwinningPage, TwinningPatch, TwinningRow, TwinningStatus,
};
use super::queries;
use super::validate::{validate_new, validate_patch};
use super::view::{render, to_twinning};
use crate::changes::audit;
use crate::changes::model::ChangeAuthor;
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
    /// Only twinnings confirmed by both cities (`true`), or those one city has
    /// not confirmed yet (`false`); both when absent (each says which in `confirmed`).
    pub confirmed: Option<bool>,
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
            confirmed: q.confirmed,
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

/// Register a twinning between two cities. A city token confirms it for its
/// own city only: the twinning is `confirmed` once the partner city confirms
/// too (`PUT /api/v1/twinnings/{id}/confirmations/{city_id}`). An admin's
/// registration confirms neither side.
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
    let by = match city_ids[..] {
        [a, b] => principal.side_in(a, b),
        _ => None,
    };
    let now = crate::clock::now();
    let values = validate_new(body.0, crate::clock::today(), now, by)?;
    principal.require_pair(
        values.city_low_id,
        values.city_high_id,
        "a twinning of two other cities",
    )?;
    let twinning = db
        .transaction(move |conn| {
            let mut row = queries::insert(conn, &values, &city_ids, None)?;
            // The sides this token speaks for are confirmed by registering.
            for side in [row.city_low_id, row.city_high_id] {
                if !principal.admin && principal.may_edit_city(side) {
                    let confirmed = Confirmed {
                        at: now.and_utc(),
                        by: ChangeAuthor::of(&principal),
                    };
                    row = queries::set_confirmation(conn, &row, side, Some(&confirmed), now)?;
                }
            }
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

/// Change a twinning; a new `status` is recorded in its history with
/// `status_since`, `status_reason` and the city whose staff set it (ending or
/// suspending keeps both cities' confirmations). A city token that changes
/// the terms both sides confirmed (`kind` or `established`) withdraws the
/// partner's confirmation: the partner confirms the new terms again.
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
    let now = crate::clock::now();
    let twinning = db
        .transaction(move |conn| {
            audit::update::<Twinning, _>(
                conn,
                &principal,
                id,
                &if_match,
                |current, _| {
                    let by = principal.side_in(current.city_low_id, current.city_high_id);
                    let values = validate_patch(current, patch, crate::clock::today(), now, by)?;
                    let terms_changed = values.kind != current.kind.as_str()
                        || values.established != current.established.map(|d| d.to_string());
                    // The partner's confirmation was of the terms as they were.
                    let withdrawn = [current.city_low_id, current.city_high_id]
                        .into_iter()
                        .filter(|&side| {
                            terms_changed
                                && !principal.admin
                                && !principal.may_edit_city(side)
                                && matches!(current.confirmation_of(side), Some(Some(_)))
                        })
                        .collect::<Vec<_>>();
                    Ok((values, withdrawn))
                },
                |conn, (values, withdrawn)| {
                    let mut row = queries::update(conn, id, &values)?;
                    for side in withdrawn {
                        row = queries::set_confirmation(conn, &row, side, None, now)?;
                    }
                    Ok(row)
                },
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

/// Remove a twinning. A city token may remove only a twinning the partner
/// has not confirmed (a proposal withdrawn); one the partner confirmed is
/// ended with `PATCH` (`status: ended`), or removed by an admin.
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
        audit::delete::<Twinning>(conn, &principal, id, &if_match, |conn, row| {
            if let Some(partner) = confirmed_by_partner(&principal, row) {
                return Err(AppError::forbidden(format!(
                    "twinning {id} is confirmed by city {partner}: end it with status `ended`, or ask an admin to remove it"
                )));
            }
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

/// A city of the pair that `principal` does not speak for and that has confirmed the twinning.
fn confirmed_by_partner(principal: &Principal, row: &TwinningRow) -> Option<i64> {
    [row.city_low_id, row.city_high_id]
        .into_iter()
        .find(|&side| {
            !principal.may_edit_city(side) && matches!(row.confirmation_of(side), Some(Some(_)))
        })
}

/// Confirm a twinning for one of its cities: that city's staff (or an admin
/// for either city, e.g. for historic data). Once both cities have confirmed,
/// the twinning is `confirmed`. Confirming again changes nothing.
#[utoipa::path(
    put, path = "/api/v1/twinnings/{id}/confirmations/{city_id}", tag = "twinnings",
    params(
        ("id" = i64, Path, description = "Twinning id"),
        ("city_id" = i64, Path, description = "The city of the pair that confirms"),
    ),
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The twinning, confirmed by the city", body = Twinning),
        (status = 404, description = "There is no such twinning, or `city_id` is not one of its two cities (code `not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_twinning(
    principal: Principal,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
    if_match: IfMatch,
) -> Result<web::Json<Twinning>, AppError> {
    let (id, city_id) = path.into_inner();
    Ok(web::Json(
        set_side(&db, principal, id, city_id, if_match, true).await?,
    ))
}

/// Withdraw a city's confirmation of a twinning (that city's staff, or an
/// admin): the twinning is no longer `confirmed`, and the other city's
/// confirmation stays. Withdrawing one not given changes nothing.
#[utoipa::path(
    delete, path = "/api/v1/twinnings/{id}/confirmations/{city_id}", tag = "twinnings",
    params(
        ("id" = i64, Path, description = "Twinning id"),
        ("city_id" = i64, Path, description = "The city of the pair whose confirmation is withdrawn"),
    ),
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The twinning, without the city's confirmation", body = Twinning),
        (status = 404, description = "There is no such twinning, or `city_id` is not one of its two cities (code `not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw_confirmation(
    principal: Principal,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
    if_match: IfMatch,
) -> Result<web::Json<Twinning>, AppError> {
    let (id, city_id) = path.into_inner();
    Ok(web::Json(
        set_side(&db, principal, id, city_id, if_match, false).await?,
    ))
}

/// Confirms (or withdraws) `city_id`'s side of twinning `id`, recorded in
/// the feed; 404 when the city is not one of the pair, 403 unless the token
/// speaks for that city.
async fn set_side(
    db: &Db,
    principal: Principal,
    id: i64,
    city_id: i64,
    if_match: IfMatch,
    confirm: bool,
) -> Result<Twinning, AppError> {
    let now = crate::clock::now();
    db.transaction(move |conn| {
        let current = <Twinning as crate::changes::Audited>::lock(conn, id)?;
        let Some(side) = current.confirmation_of(city_id) else {
            return Err(AppError::not_found_because(format!(
                "city {city_id} is not one of the two cities of twinning {id}"
            )));
        };
        principal.require_city(city_id)?;
        if side.is_some() == confirm {
            let unchanged = <Twinning as crate::changes::Audited>::render(conn, current)?;
            if_match.check(&unchanged)?;
            return Ok(unchanged);
        }
        let confirmed = Confirmed {
            at: now.and_utc(),
            by: ChangeAuthor::of(&principal),
        };
        audit::update::<Twinning, _>(
            conn,
            &principal,
            id,
            &if_match,
            |_, _| Ok(()),
            |conn, ()| {
                queries::set_confirmation(
                    conn,
                    &current,
                    city_id,
                    confirm.then_some(&confirmed),
                    now,
                )
            },
        )
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityTwinningsQuery {
    /// Only twinnings confirmed by both cities (`true`), or those one city has not confirmed yet (`false`).
    pub confirmed: Option<bool>,
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
    let confirmed = query.0.confirmed;
    let result = db
        .read_quick(move |conn| {
            let city = crate::cities::queries::find(conn, city_id)?;
            let rows = match confirmed {
                Some(both) => {
                    let rows = queries::list(
                        conn,
                        vec![queries::involves(city_id), queries::confirmed(both)],
                        after,
                        limit,
                    )?;
                    let partner = |r: &TwinningRow| r.city_low_id + r.city_high_id - city_id;
                    let ids: Vec<i64> = rows.iter().map(partner).collect();
                    let mut partners = queries::full_cities(conn, &ids)?;
                    rows.into_iter()
                        .filter_map(|row| {
                            let city = partners.remove(&partner(&row))?;
                            Some((row, city))
                        })
                        .collect()
                }
                None => queries::of_city(conn, city_id, after, limit)?,
            };
            let (rows, next_cursor) = paginate(rows, limit, |(r, _)| r.id);
            // The summaries of both cities come from rows already read.
            let summaries: HashMap<i64, CitySummary> = rows
                .iter()
                .map(|(_, partner)| partner)
                .chain(std::iter::once(&city))
                .map(|c| (c.id, CitySummary::from(c)))
                .collect();
            let items = rows
                .into_iter()
                .map(|(row, partner)| {
                    to_twinning(row, &summaries, today).map(|twinning| CityTwinning {
                        twinning,
                        partner: City::from(partner),
                    })
                })
                .collect::<Result<_, AppError>>()?;
            Ok(CityTwinningPage { items, next_cursor })
        })
        .await?;
    Ok(web::Json(result))
}
