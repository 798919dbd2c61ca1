//! Recording writes and reading them back in commit order.

use super::model::{Action, ChangeRow, Entity};
use crate::db::DbConnection;
use crate::db::schema::changes;
use crate::error::AppError;
use crate::tokens::Principal;
use diesel::prelude::*;
use serde::Serialize;

/// Records a write. Call it last, inside the write's transaction: on
/// PostgreSQL it takes a transaction-scoped lock first, so change ids are
/// handed out in the order the transactions commit and a client following the
/// feed can never skip a change that commits late. (SQLite has one writer.)
pub fn record<T: Serialize>(
    conn: &mut DbConnection,
    author: &Principal,
    entity: Entity,
    entity_id: i64,
    action: Action,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), AppError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7104201)").execute(pg)?;
    }
    let json = |value: Option<&T>| {
        value
            .map(serde_json::to_string)
            .transpose()
            .map_err(AppError::internal)
    };
    let insert = diesel::insert_into(changes::table).values((
        changes::token_id.eq(author.token_id),
        changes::token_name.eq(&author.name),
        changes::entity.eq(entity.as_str()),
        changes::entity_id.eq(entity_id),
        changes::action.eq(action.as_str()),
        changes::before.eq(json(before)?),
        changes::after.eq(json(after)?),
        changes::changed_at.eq(crate::clock::now()),
    ));
    crate::on_backend!(conn, |c| insert.execute(c)?);
    Ok(())
}

pub struct ChangeFilter {
    pub entity: Option<Entity>,
    pub entity_id: Option<i64>,
    pub after: Option<i64>,
    pub limit: i64,
}

/// Whether the entity was deleted (ids are never reused).
pub fn was_deleted(conn: &mut DbConnection, entity: Entity, id: i64) -> Result<bool, AppError> {
    let deletion = changes::table
        .filter(changes::entity.eq(entity.as_str()))
        .filter(changes::entity_id.eq(id))
        .filter(changes::action.eq(Action::Delete.as_str()))
        .select(changes::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(deletion.is_some())
}

/// The id of the newest change (0 when there is none): the registry's
/// version, since every write records a change in its transaction.
pub fn head(conn: &mut DbConnection) -> Result<i64, AppError> {
    Ok(changes::table
        .select(diesel::dsl::max(changes::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Changes after a cursor, oldest first.
pub fn list(conn: &mut DbConnection, filter: &ChangeFilter) -> Result<Vec<ChangeRow>, AppError> {
    let mut query = changes::table.into_boxed();
    if let Some(entity) = filter.entity {
        query = query.filter(changes::entity.eq(entity.as_str()));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(changes::entity_id.eq(id));
    }
    if let Some(after) = filter.after {
        query = query.filter(changes::id.gt(after));
    }
    Ok(query
        .order(changes::id.asc())
        .limit(filter.limit)
        .load(conn)?)
}
