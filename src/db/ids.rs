//! Rows by a list of ids, with a statement that is prepared once.
//!
//! diesel writes `column IN (?, ?, …)` with one bind per id, and marks it
//! unsafe to keep prepared: SQLite parses and plans it again on every call.
//! [`IdIn`] binds the whole list as one JSON array that SQLite reads with
//! `json_each`, so the statement's text does not depend on the list and is
//! kept. PostgreSQL's `eq_any` binds one array (`= ANY($1)`) and is kept
//! already; [`load_by_ids!`] uses each backend's form.

use diesel::QueryResult;
use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;

/// `column IN (SELECT value FROM json_each(?))`, SQLite only.
#[derive(Debug, Clone)]
pub struct IdIn<C> {
    column: C,
    ids: String,
}

impl<C> IdIn<C> {
    pub fn new(column: C, ids: &[i64]) -> IdIn<C> {
        let mut list = String::with_capacity(ids.len() * 8 + 2);
        list.push('[');
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            list.push_str(&id.to_string());
        }
        list.push(']');
        IdIn { column, ids: list }
    }
}

impl<C: Expression> Expression for IdIn<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for IdIn<C> where C: AppearsOnTable<QS> {}

impl<C: ValidGrouping<()>> ValidGrouping<()> for IdIn<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C: QueryId> QueryId for IdIn<C> {
    type QueryId = IdIn<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for IdIn<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.ids)?;
        out.push_sql("))");
        Ok(())
    }
}

/// Loads `$query` narrowed to the rows whose `$column` is one of `$ids` (an
/// `&[i64]`), on the backend's own connection, with a statement kept
/// prepared on either backend.
#[macro_export]
macro_rules! load_by_ids {
    ($conn:expr, $query:expr, $column:expr, $ids:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => {
                $query.filter($crate::db::IdIn::new($column, $ids)).load(c)
            }
            $crate::db::DbConnection::Postgres(c) => $query.filter($column.eq_any($ids)).load(c),
        }
    };
}
