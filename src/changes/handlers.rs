//! The change feed and each entity's history.

use super::model::{Change, ChangePage, ChangeRow, Entity};
use super::queries::{self, ChangeFilter};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, ErrorCode, Problem};
use crate::http::{Cursor, PageParams, ValidQuery};
use actix_web::http::{StatusCode, header};
use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

fn to_change(row: ChangeRow) -> Change {
    Change::from(row)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// The `cursor` of the last change seen (or `next_cursor`); from the start when empty or absent.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub after: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    pub entity: Option<Entity>,
    /// Only changes of this entity (with `entity`).
    pub entity_id: Option<i64>,
}

/// Every write to the registry, in commit order: poll with the last cursor to
/// get each change exactly once.
#[utoipa::path(
    get, path = "/api/v1/changes", tag = "changes",
    params(ChangeQuery),
    responses(
        (status = 200, description = "The changes after the cursor, oldest first", body = ChangePage),
    )
)]
pub async fn list_changes(
    db: web::Data<Db>,
    query: ValidQuery<ChangeQuery>,
) -> Result<web::Json<ChangePage>, AppError> {
    let q = query.0;
    let page = PageParams::<i64>::new(q.limit, q.after.as_deref()).map_err(|e| {
        if e.errors.iter().any(|f| f.field == "cursor") {
            AppError::invalid_parameter("after", "is not a cursor that this API issued")
        } else {
            e
        }
    })?;
    let filter = ChangeFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        after: page.after,
        limit: page.limit,
    };
    // The feed itself is one range of the primary key: quick. Filtered to
    // one kind of entity it may pass many changes of other kinds first.
    let read = move |conn: &mut DbConnection| queries::list(conn, &filter);
    let rows = if q.entity.is_none() {
        db.read_quick(read).await?
    } else {
        db.read(read).await?
    };
    let next_cursor = match rows.last() {
        Some(last) => Some(Cursor::encode(&last.id)),
        None => Some(Cursor::encode(&page.after.unwrap_or(0))),
    };
    Ok(web::Json(ChangePage {
        items: rows.into_iter().map(to_change).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

async fn history(
    db: &Db,
    entity: Entity,
    id: i64,
    q: HistoryQuery,
) -> Result<ChangePage, AppError> {
    let page = PageParams::<i64>::new(q.limit, q.cursor.as_deref())?;
    let filter = ChangeFilter {
        entity: Some(entity),
        entity_id: Some(id),
        after: page.after,
        limit: page.limit + 1,
    };
    let (deleted, rows) = db
        .read_quick(move |conn| {
            Ok((
                queries::was_deleted(conn, entity, id)?,
                queries::list(conn, &filter)?,
            ))
        })
        .await?;
    if deleted {
        return Err(deleted_problem(entity, id));
    }
    if rows.is_empty() && page.after.is_none() {
        return Err(AppError::not_found(entity.as_str(), id));
    }
    let (rows, next_cursor) = crate::http::paginate(rows, page.limit, |r| r.id);
    Ok(ChangePage {
        items: rows.into_iter().map(to_change).collect(),
        next_cursor,
    })
}

/// 404 for the history of a deleted entity: what lies under a deleted
/// resource goes with it, and its changes (the deletion included) stay in
/// the change feed, which the answer links to.
fn deleted_problem(entity: Entity, id: i64) -> AppError {
    let feed = format!("/api/v1/changes?entity={}&entity_id={id}", entity.as_str());
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::Deleted,
        format!(
            "{} {id} was deleted; its changes, the deletion included, stay in the change feed: {feed}",
            entity.as_str()
        ),
    )
    .with_header(header::LINK, format!("<{feed}>; rel=\"alternate\""))
}

/// The changes of one city, oldest first (once it is deleted, its changes stay in the feed).
#[utoipa::path(
    get, path = "/api/v1/cities/{id}/history", tag = "changes",
    params(("id" = i64, Path, description = "City id"), HistoryQuery),
    responses(
        (status = 200, description = "One page of its changes, oldest first", body = ChangePage),
        (status = 404, description = "Nothing was ever recorded for this id (code `not_found`), or it was deleted (code `deleted`)", body = Problem, content_type = "application/problem+json",
            headers(("Link" = String, description = "With code `deleted`: its changes in the change feed, as `</api/v1/changes?entity=…&entity_id=…>; rel=\"alternate\"`"))),
    )
)]
pub async fn city_history(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<HistoryQuery>,
) -> Result<web::Json<ChangePage>, AppError> {
    Ok(web::Json(
        history(&db, Entity::City, id.into_inner(), query.0).await?,
    ))
}

/// The changes of one twinning, oldest first (once it is deleted, its changes stay in the feed).
#[utoipa::path(
    get, path = "/api/v1/twinnings/{id}/history", tag = "changes",
    params(("id" = i64, Path, description = "Twinning id"), HistoryQuery),
    responses(
        (status = 200, description = "One page of its changes, oldest first", body = ChangePage),
        (status = 404, description = "Nothing was ever recorded for this id (code `not_found`), or it was deleted (code `deleted`)", body = Problem, content_type = "application/problem+json",
            headers(("Link" = String, description = "With code `deleted`: its changes in the change feed, as `</api/v1/changes?entity=…&entity_id=…>; rel=\"alternate\"`"))),
    )
)]
pub async fn twinning_history(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<HistoryQuery>,
) -> Result<web::Json<ChangePage>, AppError> {
    Ok(web::Json(
        history(&db, Entity::Twinning, id.into_inner(), query.0).await?,
    ))
}

/// The changes of one event, oldest first (once it is deleted, its changes stay in the feed).
#[utoipa::path(
    get, path = "/api/v1/events/{id}/history", tag = "changes",
    params(("id" = i64, Path, description = "Event id"), HistoryQuery),
    responses(
        (status = 200, description = "One page of its changes, oldest first", body = ChangePage),
        (status = 404, description = "Nothing was ever recorded for this id (code `not_found`), or it was deleted (code `deleted`)", body = Problem, content_type = "application/problem+json",
            headers(("Link" = String, description = "With code `deleted`: its changes in the change feed, as `</api/v1/changes?entity=…&entity_id=…>; rel=\"alternate\"`"))),
    )
)]
pub async fn event_history(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<HistoryQuery>,
) -> Result<web::Json<ChangePage>, AppError> {
    Ok(web::Json(
        history(&db, Entity::Event, id.into_inner(), query.0).await?,
    ))
}
