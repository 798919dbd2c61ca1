//! `/api/v1/webhooks`: webhook subscriptions and their delivery logs, for admins.

use super::model::{
    CreatedSubscription, Delivery, DeliveryPage, DeliveryStatus, NewSubscription, RotatedSecret,
    Subscription, SubscriptionPage, SubscriptionPatch, SubscriptionRow,
};
use super::queries;
use super::target::{AllowPrivate, MAX_URL_CHARS};
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::http::caching::IfMatch;
use crate::http::{PageParams, ValidJson, ValidQuery, paginate};
use crate::tokens::Principal;
use crate::validate::Errors;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

fn render(
    conn: &mut DbConnection,
    rows: Vec<SubscriptionRow>,
) -> Result<Vec<Subscription>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let pending = queries::pending(conn, &ids)?;
    let now = crate::clock::now();
    Ok(rows
        .into_iter()
        .map(|row| Subscription {
            id: row.id,
            url: row.url,
            entities: row.entities.into_inner(),
            actions: row.actions.into_inner(),
            city_ids: row.city_ids.into_inner(),
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            pending: pending.get(&row.id).copied().unwrap_or(0),
            previous_secret_until: row
                .previous_secret_until
                .filter(|until| *until > now)
                .map(|until| until.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
        .collect())
}

fn one(conn: &mut DbConnection, id: i64) -> Result<Subscription, AppError> {
    let row = queries::find(conn, id)?;
    render(conn, vec![row])?
        .pop()
        .ok_or_else(|| AppError::internal("subscription not rendered"))
}

/// Subscribe a receiver to the change feed (admins only). Each matching
/// change is POSTed to `url` as the feed shows it, signed as Standard
/// Webhooks 1.0 specifies (see the document's `webhooks`); the response
/// shows the signing secret, once.
#[utoipa::path(
    post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = NewSubscription,
    security(("bearer_token" = [])),
    responses(
        (status = 201, description = "The subscription, with its secret (not shown again); it gets the changes from now on", body = CreatedSubscription,
            headers(("Location" = String, description = "Path of the new subscription"))),
    )
)]
pub async fn create_webhook(
    principal: Principal,
    db: web::Data<Db>,
    allow: web::Data<AllowPrivate>,
    body: ValidJson<NewSubscription>,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let new = body.0;
    let mut e = Errors::default();
    // The URL as sent: its length, then what it names.
    let url = e.required("url", new.url).and_then(|url| {
        let checked = if url.chars().count() > MAX_URL_CHARS {
            Err(format!("must be at most {MAX_URL_CHARS} characters"))
        } else {
            super::target::check(&url, allow.0)
        };
        match checked {
            Ok(url) => Some(url.to_string()),
            Err(message) => {
                e.add("url", message);
                None
            }
        }
    });
    if new.city_ids.len() > 100 {
        e.add("city_ids", "may name at most 100 cities");
    }
    let Some(url) = url.filter(|_| e.is_empty()) else {
        return Err(AppError::validation(e.0));
    };
    let secret = super::sign::new_secret().map_err(AppError::internal)?;
    let kept = secret.clone();
    let subscription = db
        .write(move |conn| {
            let row = queries::insert(
                conn,
                &queries::NewRow {
                    url: &url,
                    secret: &kept,
                    entities: &new.entities,
                    actions: &new.actions,
                    city_ids: &new.city_ids,
                },
                crate::clock::now(),
            )?;
            one(conn, row.id)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/{}", subscription.id),
        ))
        .json(CreatedSubscription {
            subscription,
            secret,
        }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookListQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// The webhook subscriptions, without their secrets (admins only).
#[utoipa::path(
    get, path = "/api/v1/webhooks", tag = "webhooks",
    params(WebhookListQuery),
    security(("bearer_token" = [])),
    responses((status = 200, description = "One page of subscriptions, by id", body = SubscriptionPage))
)]
pub async fn list_webhooks(
    principal: Principal,
    db: web::Data<Db>,
    query: ValidQuery<WebhookListQuery>,
) -> Result<web::Json<SubscriptionPage>, AppError> {
    principal.require_admin()?;
    let page = PageParams::<i64>::new(query.0.limit, query.0.cursor.as_deref())?;
    let (limit, after) = (page.limit, page.after);
    let items = db
        .read(move |conn| {
            let rows = queries::list(conn, after, limit + 1)?;
            render(conn, rows)
        })
        .await?;
    let (items, next_cursor) = paginate(items, limit, |s| s.id);
    Ok(web::Json(SubscriptionPage { items, next_cursor }))
}

/// One webhook subscription, with how many deliveries are pending (admins only).
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id")),
    security(("bearer_token" = [])),
    responses((status = 200, description = "The subscription", body = Subscription))
)]
pub async fn get_webhook(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
) -> Result<web::Json<Subscription>, AppError> {
    principal.require_admin()?;
    let id = id.into_inner();
    Ok(web::Json(db.read(move |conn| one(conn, id)).await?))
}

/// Turn a subscription off, or on again (admins only): on again, it goes
/// on from the change where it stopped, its failed delivery retried.
#[utoipa::path(
    patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id")),
    request_body = SubscriptionPatch,
    security(("bearer_token" = [])),
    responses((status = 200, description = "The subscription as changed", body = Subscription))
)]
pub async fn update_webhook(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: ValidJson<SubscriptionPatch>,
) -> Result<web::Json<Subscription>, AppError> {
    principal.require_admin()?;
    let id = id.into_inner();
    let mut e = Errors::default();
    let Some(enabled) = e.required("enabled", body.0.enabled) else {
        return Err(AppError::validation(e.0));
    };
    let subscription = db
        .write(move |conn| {
            if_match.check(&one(conn, id)?)?;
            let now = crate::clock::now();
            queries::set_enabled(
                conn,
                id,
                enabled,
                (!enabled).then_some("turned off by an admin"),
                now,
            )?;
            if enabled {
                queries::retry_failed(conn, id, now)?;
            }
            one(conn, id)
        })
        .await?;
    Ok(web::Json(subscription))
}

/// Remove a subscription and its delivery log (admins only).
#[utoipa::path(
    delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id")),
    security(("bearer_token" = [])),
    responses((status = 204, description = "The subscription is removed"))
)]
pub async fn delete_webhook(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let id = id.into_inner();
    db.write(move |conn| {
        if_match.check(&one(conn, id)?)?;
        queries::delete(conn, id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How long the secret a rotation replaces goes on signing, unless the
/// request says otherwise.
pub const KEEP_PREVIOUS_HOURS: i64 = 24;

/// The longest a replaced secret may go on signing.
pub const MAX_KEEP_PREVIOUS_HOURS: i64 = 168;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RotateQuery {
    /// For how many hours the secret being replaced goes on signing beside the
    /// new one (0: it stops at once, as after a leak).
    #[param(minimum = 0, maximum = 168, default = 24, example = 24)]
    pub keep_previous_hours: Option<i64>,
}

/// Give a subscription a new signing secret (admins only). The new secret
/// is shown in the response, once. For `keep_previous_hours` (24 unless
/// said) each delivery carries two signatures in `webhook-signature`, one
/// by each secret, so the receiver can switch to the new secret at any
/// moment in between; a Standard Webhooks verifier accepts either. A second
/// rotation in that time replaces the older secret.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/secret", tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id"), RotateQuery),
    security(("bearer_token" = [])),
    responses((status = 200, description = "The subscription, with its new secret (not shown again)", body = RotatedSecret))
)]
pub async fn rotate_secret(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<RotateQuery>,
) -> Result<HttpResponse, AppError> {
    principal.require_admin()?;
    let id = id.into_inner();
    let hours = query.0.keep_previous_hours.unwrap_or(KEEP_PREVIOUS_HOURS);
    if !(0..=MAX_KEEP_PREVIOUS_HOURS).contains(&hours) {
        return Err(AppError::invalid_parameter(
            "keep_previous_hours",
            format!("must be between 0 and {MAX_KEEP_PREVIOUS_HOURS}"),
        ));
    }
    let secret = super::sign::new_secret().map_err(AppError::internal)?;
    let kept = secret.clone();
    let subscription = db
        .write(move |conn| {
            queries::find(conn, id)?;
            let now = crate::clock::now();
            let until = now + chrono::TimeDelta::hours(hours);
            queries::rotate_secret(conn, id, &kept, until, now)?;
            one(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RotatedSecret {
        subscription,
        secret,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// A subscription's delivery log, in feed order (admins only).
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id"), DeliveryListQuery),
    security(("bearer_token" = [])),
    responses((status = 200, description = "One page of deliveries", body = DeliveryPage))
)]
pub async fn list_deliveries(
    principal: Principal,
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<DeliveryListQuery>,
) -> Result<web::Json<DeliveryPage>, AppError> {
    principal.require_admin()?;
    let id = id.into_inner();
    let q = query.0;
    let page = PageParams::<i64>::new(q.limit, q.cursor.as_deref())?;
    let (limit, after, status) = (page.limit, page.after, q.status);
    let rows = db
        .read(move |conn| {
            queries::find(conn, id)?;
            queries::deliveries(conn, id, status, after, limit + 1)
        })
        .await?;
    let (rows, next_cursor) = paginate(rows, limit, |d| d.id);
    Ok(web::Json(DeliveryPage {
        items: rows.into_iter().map(Delivery::from).collect(),
        next_cursor,
    }))
}

/// Send a delivery again, now (admins only): it is pending again, and later
/// changes of the subscription wait behind it, as in feed order.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(
        ("id" = i64, Path, description = "Subscription id"),
        ("delivery_id" = i64, Path, description = "Delivery id"),
    ),
    security(("bearer_token" = [])),
    responses((status = 200, description = "The delivery, pending again", body = Delivery))
)]
pub async fn redeliver(
    principal: Principal,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<Delivery>, AppError> {
    principal.require_admin()?;
    let (id, delivery) = path.into_inner();
    let row = db
        .write(move |conn| {
            queries::find(conn, id)?;
            queries::redeliver(conn, id, delivery, crate::clock::now())
        })
        .await?;
    Ok(web::Json(Delivery::from(row)))
}
