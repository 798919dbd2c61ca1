//! The HTTP handlers of events: a twinning's timeline, a city's, the registry's.

use super::model::{
    Event, EventKind, EventMode, EventPage, EventPatch, EventRow, EventStatus, NewEvent,
};
use super::queries::{self, Condition, EventKey};
use super::validate::{validate_new, validate_patch};
use crate::changes::{Action, Entity, record};
use crate::dates::PartialDate;
use crate::db::schema::events;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, Problem};
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use crate::tokens::Principal;
use crate::twinnings::handlers::{country_param, date_param};
use crate::twinnings::model::CitySummary;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use diesel::Connection;
use diesel::ExpressionMethods;
use serde::Deserialize;
use utoipa::IntoParams;

/// Embeds the cities and the replies of each row (three queries for a page).
pub fn render(conn: &mut DbConnection, rows: Vec<EventRow>) -> Result<Vec<Event>, AppError> {
    render_rows(conn, rows, false)
}

/// An event just created: nothing replies to it yet.
fn render_new(conn: &mut DbConnection, row: EventRow) -> Result<Event, AppError> {
    one(render_rows(conn, vec![row], true)?)
}

fn render_rows(
    conn: &mut DbConnection,
    rows: Vec<EventRow>,
    new_rows: bool,
) -> Result<Vec<Event>, AppError> {
    let mut ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.from_city_id, r.to_city_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let cities = crate::twinnings::queries::summaries(conn, &ids)?;
    let queries::References {
        answered,
        mut replies,
    } = queries::references(conn, &rows, new_rows)?;
    let summary = |id: i64| {
        cities.get(&id).cloned().unwrap_or(CitySummary {
            id,
            name: String::new(),
            country_code: String::new(),
        })
    };
    Ok(rows
        .into_iter()
        .map(|row| Event {
            id: row.id,
            twinning_id: row.twinning_id,
            kind: EventKind::from_text(&row.kind).unwrap_or(EventKind::Other),
            mode: row.mode.as_deref().and_then(EventMode::from_text),
            status: EventStatus::from_text(&row.status).unwrap_or(EventStatus::Planned),
            date: PartialDate::parse(&row.date).unwrap_or(PartialDate {
                year: 1,
                month: None,
                day: None,
            }),
            title: row.title,
            description: row.description,
            languages: serde_json::from_str(&row.languages).unwrap_or_default(),
            media_urls: serde_json::from_str(&row.media_urls).unwrap_or_default(),
            participants: row.participants,
            from_city: summary(row.from_city_id),
            to_city: summary(row.to_city_id),
            in_reply_to: row.in_reply_to.and_then(|id| answered.get(&id).cloned()),
            replies: replies.remove(&row.id).unwrap_or_default(),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
        .collect())
}

/// Every event of a twinning, rendered (for the records of a cascading delete).
pub fn twinning_events_for_deletion(
    conn: &mut DbConnection,
    twinning_id: i64,
) -> Result<Vec<Event>, AppError> {
    let rows: Vec<EventRow> = {
        use diesel::prelude::*;
        events::table
            .filter(events::twinning_id.eq(twinning_id))
            .order(events::id.asc())
            .load(conn)?
    };
    render(conn, rows)
}

fn one(mut events: Vec<Event>) -> Result<Event, AppError> {
    events
        .pop()
        .ok_or_else(|| AppError::internal("event not rendered"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    pub kind: Option<EventKind>,
    pub status: Option<EventStatus>,
    /// Events whose date is on or after this (YYYY, YYYY-MM or YYYY-MM-DD).
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
    /// `next_cursor` of the previous page.
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
        (status = 400, description = "The id or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such twinning", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "The id or a parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such city", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
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
    if let Some(from) = date_param("from", q.from.as_deref())? {
        conditions.push(Box::new(events::date_last.ge(from.first_key())));
    }
    if let Some(to) = date_param("to", q.to.as_deref())? {
        conditions.push(Box::new(events::date_first.le(to.last_key())));
    }
    if let Some(city) = q.city_id {
        conditions.push(queries::of_city(city));
    }
    if let Some(country) = country_param("country", q.country)? {
        conditions.push(queries::of_country(&country));
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

/// Below this many events in a language, a language filter starts from their ids.
const LANGUAGE_ID_CAP: i64 = 2_000;

/// Log an exchange between the two cities of a twinning.
#[utoipa::path(
    post, path = "/api/v1/twinnings/{id}/events", tag = "events",
    params(("id" = i64, Path, description = "Twinning id")),
    request_body = NewEvent,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The event was logged", body = Event,
            headers(("Location" = String, description = "Path of the new event"))),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id or the body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such twinning", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid, the sender is not one of the pair, or the reply does not answer the other city of this twinning", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_event(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    body: ValidJson<NewEvent>,
) -> Result<HttpResponse, AppError> {
    let twinning_id = id.into_inner();
    let mut values = validate_new(body.0, crate::clock::today(), crate::clock::now())?;
    values.twinning_id = twinning_id;
    let event = db
        .write(move |conn| {
            conn.transaction(|conn| {
                let twinning = crate::twinnings::queries::find(conn, twinning_id)?;
                principal.require_pair(
                    twinning.city_low_id,
                    twinning.city_high_id,
                    &format!("twinning {twinning_id}"),
                )?;
                let row = queries::insert(conn, values, None)?;
                let event = render_new(conn, row)?;
                record(
                    conn,
                    &principal,
                    Entity::Event,
                    event.id,
                    Action::Create,
                    None,
                    Some(&event),
                )?;
                Ok(event)
            })
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
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such event", body = Problem, content_type = "application/problem+json"),
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
            one(render(conn, vec![row])?)
        })
        .await?;
    Ok(web::Json(event))
}

/// Change an event; status changes follow the event life cycle.
#[utoipa::path(
    patch, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    request_body = EventPatch,
    security(("bearer_token" = [])),
    responses(
        (status = 200, description = "The event as changed", body = Event),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id or the body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such event", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields are invalid, or the status change is not allowed (the message lists the allowed ones)", body = Problem, content_type = "application/problem+json"),
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
        .write(move |conn| {
            conn.transaction(|conn| {
                let current = queries::lock(conn, id)?;
                principal.require_pair(
                    current.from_city_id,
                    current.to_city_id,
                    &format!("event {id}"),
                )?;
                let before = one(render(conn, vec![current.clone()])?)?;
                // A body invalid in itself is refused as such, whatever its precondition.
                let values =
                    validate_patch(&current, patch, crate::clock::today(), crate::clock::now())?;
                if_match.check(&before)?;
                let row = queries::update(conn, id, &values)?;
                let after = one(render(conn, vec![row])?)?;
                record(
                    conn,
                    &principal,
                    Entity::Event,
                    id,
                    Action::Update,
                    Some(&before),
                    Some(&after),
                )?;
                Ok(after)
            })
        })
        .await?;
    Ok(web::Json(event))
}

/// Remove an event that no other event answers.
#[utoipa::path(
    delete, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    security(("bearer_token" = [])),
    responses(
        (status = 204, description = "The event was removed"),
        (status = 401, description = "No valid bearer token (`WWW-Authenticate: Bearer`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not edit this (it is scoped to other cities)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The id is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "There is no such event", body = Problem, content_type = "application/problem+json"),
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
    db.write(move |conn| {
        conn.transaction(|conn| {
            let current = queries::lock(conn, id)?;
            principal.require_pair(
                current.from_city_id,
                current.to_city_id,
                &format!("event {id}"),
            )?;
            let before = one(render(conn, vec![current])?)?;
            if_match.check(&before)?;
            queries::delete(conn, id)?;
            record(
                conn,
                &principal,
                Entity::Event,
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
