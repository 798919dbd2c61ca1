//! The one way a write is made and recorded. Every update and delete runs in
//! the same order: lock the row, read it, check the token's scope, render
//! the entity as it is, check the body, check `If-Match` against what was
//! rendered, write, render what it became, and record both in the change
//! feed, last, inside the caller's transaction (see [`super::record`]).

use super::model::{Action, Entity};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::http::caching::IfMatch;
use crate::tokens::Principal;
use serde::Serialize;

/// An entity whose writes are recorded: how its row is locked, who may
/// write it and how it is shown.
pub trait Audited: Serialize + Sized {
    const ENTITY: Entity;
    type Row: Clone;

    /// Locks the row until the transaction ends and reads it (404 when absent).
    fn lock(conn: &mut DbConnection, id: i64) -> Result<Self::Row, AppError>;

    /// 403 unless `principal` may write this row.
    fn authorize(principal: &Principal, id: i64, row: &Self::Row) -> Result<(), AppError>;

    fn render(conn: &mut DbConnection, row: Self::Row) -> Result<Self, AppError>;

    fn id(&self) -> i64;
}

/// Records a new entity: renders the row just inserted and records it.
pub fn created<A: Audited>(
    conn: &mut DbConnection,
    principal: &Principal,
    row: A::Row,
) -> Result<A, AppError> {
    let created = A::render(conn, row)?;
    recorded_new(conn, principal, &created)?;
    Ok(created)
}

/// Records a new entity already rendered.
pub fn recorded_new<A: Audited>(
    conn: &mut DbConnection,
    principal: &Principal,
    created: &A,
) -> Result<(), AppError> {
    super::record(
        conn,
        principal,
        A::ENTITY,
        created.id(),
        Action::Create,
        None,
        Some(created),
    )
}

/// Changes an entity. `check` turns the request into the values to write,
/// given the row and its rendering (a body invalid in itself is refused as
/// such, before its precondition); `write` stores them and returns the row.
pub fn update<A: Audited, V>(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
    if_match: &IfMatch,
    check: impl FnOnce(&A::Row, &A) -> Result<V, AppError>,
    write: impl FnOnce(&mut DbConnection, V) -> Result<A::Row, AppError>,
) -> Result<A, AppError> {
    let current = A::lock(conn, id)?;
    A::authorize(principal, id, &current)?;
    let before = A::render(conn, current.clone())?;
    let values = check(&current, &before)?;
    if_match.check(&before)?;
    let row = write(conn, values)?;
    replaced(conn, principal, before, row)
}

/// Records the change from `before` to the row `after` was written as.
pub fn replaced<A: Audited>(
    conn: &mut DbConnection,
    principal: &Principal,
    before: A,
    after: A::Row,
) -> Result<A, AppError> {
    let after = A::render(conn, after)?;
    super::record(
        conn,
        principal,
        A::ENTITY,
        before.id(),
        Action::Update,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Removes an entity: `remove` checks what may stop it and deletes the row
/// (and what goes with it, recording those with [`deleted`]).
pub fn delete<A: Audited>(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
    if_match: &IfMatch,
    remove: impl FnOnce(&mut DbConnection, &A::Row) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let current = A::lock(conn, id)?;
    A::authorize(principal, id, &current)?;
    let before = A::render(conn, current.clone())?;
    if_match.check(&before)?;
    remove(conn, &current)?;
    deleted(conn, principal, &before)
}

/// Records the deletion of an entity as it was.
pub fn deleted<A: Audited>(
    conn: &mut DbConnection,
    principal: &Principal,
    before: &A,
) -> Result<(), AppError> {
    super::record(
        conn,
        principal,
        A::ENTITY,
        before.id(),
        Action::Delete,
        Some(before),
        None,
    )
}
