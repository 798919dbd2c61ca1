//! The HTTP handlers of events: a twinning's timeline, a city's, the registry's.

use super::model::{
    Event, EventKind, EventPage, EventPatch, EventStatus, NewEvent, NewReview, ReporterSide,
    StoredReview,
};
use super::queries::{self, Condition, EventKey};
use super::validate::{validate_new, validate_patch};
use super::view::{render, render_new, render_one, reported_by};
use crate::changes::audit;
use crate::changes::model::ChangeAuthor;
use crate::db::schema::events;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, ErrorCode, FieldError, Problem};
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate, params};
use crate::tokens::Principal;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use diesel::ExpressionMethods;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    pub kind: Option<EventKind>,
    pub status: Option<EventStatus>,
    /// Events whose date is on or after this (YYYY, YYYY-MM or YYYY-MM-DD);
    /// events without a date yet are left out.
    #[param(example = "2020")]
    pub from: Option<String>,
    /// Events whose date is on or before this.
    #[param(example = "2020-12")]
    pub to: Option<String>,
    /// Sent or received by this city.
    pub city_id: Option<i64>,
    /// Sent or received by a city of this country.
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    /// In this language (BCP 47; `pt` also finds `pt-BR`).
    #[param(example = "ru")]
    pub language: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// A page of events meeting `conditions`, newest first; with `twinning`, the
/// twinning's timeline (404 when there is no such twinning).
async fn page_of(
    db: &Db,
    conditions: Vec<Condition>,
    twinning: Option<i64>,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<EventPage, AppError> {
    let page = PageParams::<EventKey>::new(limit, cursor)?;
    let (limit, after) = (page.limit, page.after);
    let read = move |conn: &mut DbConnection| {
        if let Some(id) = twinning {
            crate::twinnings::queries::find(conn, id)?;
        }
        let rows = queries::list(conn, conditions, after, limit)?;
        let (rows, next_cursor) = paginate(rows, limit, queries::key);
        Ok(EventPage {
            items: render(conn, rows)?,
            next_cursor,
        })
    };
    // A twinning's timeline is one range of its index: quick. Other lists
    // may filter (languages, countries) over many rows.
    if twinning.is_some() {
        db.read_quick(read).await
    } else {
        db.read(read).await
    }
}

/// A twinning's timeline, newest first.
#[utoipa::path(
    get, path = "/api/v1/twinnings/{id}/events", tag = "events",
    params(("id" = i64, Path, description = "Twinning id"), TimelineQuery),
    responses(
        (status = 200, description = "One page of the twinning's events, newest first", body = EventPage),
    )
)]
pub async fn twinning_events(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<TimelineQuery>,
) -> Result<web::Json<EventPage>, AppError> {
    let id = id.into_inner();
    let q = query.0;
    Ok(web::Json(
        page_of(
            &db,
            vec![queries::of_twinning(id)],
            Some(id),
            q.limit,
            q.cursor.as_deref(),
        )
        .await?,
    ))
}

/// The events a city sent or received, newest first.
#[utoipa::path(
    get, path = "/api/v1/cities/{id}/events", tag = "events",
    params(("id" = i64, Path, description = "City id"), TimelineQuery),
    responses(
        (status = 200, description = "One page of the city's events, newest first", body = EventPage),
    )
)]
pub async fn city_events(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<TimelineQuery>,
) -> Result<web::Json<EventPage>, AppError> {
    let q = query.0;
    Ok(web::Json(
        city_page(&db, id.into_inner(), true, q.limit, q.cursor.as_deref()).await?,
    ))
}

/// A page of a city's events (sent and received), newest first; 404 for an
/// unknown city when `must_exist`.
async fn city_page(
    db: &Db,
    city: i64,
    must_exist: bool,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<EventPage, AppError> {
    let page = PageParams::<EventKey>::new(limit, cursor)?;
    let (limit, after) = (page.limit, page.after);
    db.read_quick(move |conn| {
        if must_exist {
            crate::cities::queries::find(conn, city)?;
        }
        let rows = queries::of_city_page(conn, city, after, limit)?;
        let (rows, next_cursor) = paginate(rows, limit, queries::key);
        Ok(EventPage {
            items: render(conn, rows)?,
            next_cursor,
        })
    })
    .await
}

/// Events across the registry, newest first.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events",
    params(EventListQuery),
    responses(
        (status = 200, description = "One page of events, newest first", body = EventPage),
    )
)]
pub async fn list_events(
    db: web::Data<Db>,
    query: ValidQuery<EventListQuery>,
) -> Result<web::Json<EventPage>, AppError> {
    let q = query.0;
    if let Some(city) = q.city_id {
        let only_city = q.kind.is_none()
            && q.status.is_none()
            && q.from.is_none()
            && q.to.is_none()
            && q.country.is_none()
            && q.language.is_none();
        if only_city {
            let page = city_page(&db, city, false, q.limit, q.cursor.as_deref()).await?;
            return Ok(web::Json(page));
        }
    }
    let mut conditions: Vec<Condition> = Vec::new();
    if let Some(kind) = q.kind {
        conditions.push(Box::new(events::kind.eq(kind.as_str())));
    }
    if let Some(status) = q.status {
        conditions.push(Box::new(events::status.eq(status.as_str())));
    }
    if let Some(from) = params::date("from", q.from.as_deref())? {
        // A window holds dated events only.
        conditions.push(Box::new(events::date_last.ge(from.first_key())));
        conditions.push(Box::new(events::date_first.lt(super::validate::UNDATED)));
    }
    if let Some(to) = params::date("to", q.to.as_deref())? {
        conditions.push(Box::new(events::date_first.le(to.last_key())));
    }
    if let Some(city) = q.city_id {
        conditions.push(queries::of_city(city));
    }
    if let Some(country) = params::country("country", q.country)? {
        // Few twinnings in the country: their events, from their timelines.
        // Many: walk the events in page order, which soon fills a page.
        let code = country.clone();
        let few = db
            .read_quick(move |conn| queries::country_twinning_ids(conn, &code, COUNTRY_ID_CAP))
            .await?;
        conditions.push(match few {
            Some(ids) => Box::new(events::twinning_id.eq_any(ids)),
            None => queries::of_country(&country),
        });
    }
    if let Some(language) = q.language {
        let valid =
            language_tags::LanguageTag::parse(&language).is_ok_and(|t| t.validate().is_ok());
        if !valid {
            return Err(AppError::invalid_parameter(
                "language",
                "must be a BCP 47 language tag such as ru or pt-BR",
            ));
        }
        // Few events in the language: take their ids from the index. Many:
        // walk the events in page order, which soon fills a page.
        let tag = language.clone();
        let few = db
            .read_quick(move |conn| queries::language_event_ids(conn, &tag, LANGUAGE_ID_CAP))
            .await?;
        conditions.push(match few {
            Some(ids) => Box::new(events::id.eq_any(ids)),
            None => queries::in_language(&language),
        });
    }
    Ok(web::Json(
        page_of(&db, conditions, None, q.limit, q.cursor.as_deref()).await?,
    ))
}

/// Below this many twinnings in a country, a country filter starts from their ids.
const COUNTRY_ID_CAP: i64 = 100;

/// Below this many events in a language, a language filter starts from their ids.
const LANGUAGE_ID_CAP: i64 = 2_000;

/// Log an exchange between the two cities of a twinning. A city token logs
/// what its city sent, or what it received from the partner (`from_city_id`
/// is then the partner): the event is `reported_by` that city, and a
/// received one awaits the sender's review (`PUT /api/v1/events/{id}/review`).
/// Only the reporting city's staff (or an admin) edit or delete it later.
/// `reported_by_city_id` names the reporting city: an admin entering a
/// city's records names that city, and a token of both cities chooses.
#[utoipa::path(
    post, path = "/api/v1/twinnings/{id}/events", tag = "events",
    params(("id" = i64, Path, description = "Twinning id")),
    request_body = NewEvent,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The event was logged", body = Event,
            headers(("Location" = String, description = "Path of the new event"))),
        (status = 422, description = "Fields are invalid, the sender or the reporting city is not one of the pair, or the reply does not answer the other city of this twinning (code `validation_failed`; each field in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_event(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    body: ValidJson<NewEvent>,
) -> Result<HttpResponse, AppError> {
    let twinning_id = id.into_inner();
    let reporter = body.0.reported_by_city_id;
    let mut values = validate_new(body.0, crate::clock::today(), crate::clock::now())?;
    values.twinning_id = twinning_id;
    let event = db
        .transaction(move |conn| {
            let mut values = values;
            let twinning = crate::twinnings::queries::find(conn, twinning_id)?;
            principal.require_pair(
                twinning.city_low_id,
                twinning.city_high_id,
                &format!("twinning {twinning_id}"),
            )?;
            let pair = [twinning.city_low_id, twinning.city_high_id];
            let from = values.from_city_id;
            values.reported_by_city_id = match reporter {
                Some(city) if !pair.contains(&city) => {
                    return Err(AppError::validation(vec![FieldError::new(
                        "reported_by_city_id",
                        format!(
                            "city {city} is not one of the two cities of twinning {twinning_id}"
                        ),
                    )]));
                }
                Some(city) => {
                    principal.require_city(city)?;
                    Some(city)
                }
                None if principal.admin => None,
                // The sender's staff report what it sent; otherwise the
                // recipient's report what it received.
                None if principal.may_edit_city(from) => Some(from),
                None => pair
                    .into_iter()
                    .find(|&c| c != from && principal.may_edit_city(c)),
            };
            let row = queries::insert(conn, values, None)?;
            let event = render_new(conn, row)?;
            audit::recorded_new(conn, &principal, &event)?;
            Ok(event)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/events/{}", event.id)))
        .json(event))
}

/// One event.
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = Event),
    )
)]
pub async fn get_event(
    db: web::Data<Db>,
    id: web::Path<i64>,
) -> Result<web::Json<Event>, AppError> {
    let id = id.into_inner();
    let event = db
        .read_quick(move |conn| {
            let row = queries::find(conn, id)?;
            render_one(conn, row)
        })
        .await?;
    Ok(web::Json(event))
}

/// Change an event; status changes follow the event life cycle. Only the
/// reporting city's staff (`reported_by`), or an admin, change a report; a
/// change puts the sender's review back to `pending`.
#[utoipa::path(
    patch, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    request_body = EventPatch,
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The event as changed", body = Event),
        (status = 422, description = "Fields are invalid, or the status change is not allowed (code `validation_failed`; the message lists the allowed ones)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_event(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<EventPatch>,
) -> Result<web::Json<Event>, AppError> {
    let id = id.into_inner();
    let patch = body.0;
    let event = db
        .transaction(move |conn| {
            audit::update::<Event, _>(
                conn,
                &principal,
                id,
                &if_match,
                |current, _| {
                    let mut values =
                        validate_patch(current, patch, crate::clock::today(), crate::clock::now())?;
                    // A report that changes awaits the sender's review again.
                    let mut unchanged = current.values().map_err(AppError::internal)?;
                    unchanged.updated_at = values.updated_at;
                    if values != unchanged {
                        values.review = None;
                    }
                    Ok(values)
                },
                |conn, values| queries::update(conn, id, &values),
            )
        })
        .await?;
    Ok(web::Json(event))
}

/// The sender's review of an event its partner reported receiving: confirm
/// the report, or dispute it (with a reason). Only the sender's staff, or an
/// admin, review; an event reported by its sender or an admin has nothing to
/// review (409). A review may be changed; an edit of the report puts it back
/// to `pending`.
#[utoipa::path(
    put, path = "/api/v1/events/{id}/review", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    request_body = NewReview,
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The event with the sender's review", body = Event),
        (status = 409, description = "The event was reported by its sender or an admin: there is nothing to review (code `nothing_to_review`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`verdict` is missing or `reason` is invalid (code `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn review_event(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<NewReview>,
) -> Result<web::Json<Event>, AppError> {
    let id = id.into_inner();
    let (verdict, reason) = super::validate::validate_review(body.0)?;
    let now = crate::clock::now();
    let review = StoredReview {
        verdict,
        at: now.and_utc(),
        by: ChangeAuthor::of(&principal),
        reason,
    };
    let event = db
        .transaction(move |conn| {
            let current = queries::lock(conn, id)?;
            principal.require_pair(
                current.from_city_id,
                current.to_city_id,
                &format!("event {id}"),
            )?;
            if reported_by(&current).side != ReporterSide::Recipient {
                return Err(AppError::conflict(
                    ErrorCode::NothingToReview,
                    format!("event {id} was reported by its sender or an admin: there is nothing for the sender to review"),
                ));
            }
            principal.require_city(current.from_city_id)?;
            let before = render_one(conn, current)?;
            if_match.check(&before)?;
            let row = queries::set_review(conn, id, &review, now)?;
            audit::replaced(conn, &principal, before, row)
        })
        .await?;
    Ok(web::Json(event))
}

/// Remove an event that no other event answers (the reporting city's staff, or an admin).
#[utoipa::path(
    delete, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    security(("bearer_token" = [])),
    responses(
        (status = 204, description = "The event was removed"),
        (status = 409, description = "Other events answer this one (code `event_has_replies`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_event(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db.transaction(move |conn| {
        audit::delete::<Event>(conn, &principal, id, &if_match, |conn, _| {
            queries::delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
