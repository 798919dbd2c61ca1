//! Migrations embedded in the binary, one set per backend with the same versions.

use super::DbConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES),
    }
    .map_err(|e| format!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (used by the up → down → up test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<(), String> {
    match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE).map(|_| ()),
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES).map(|_| ()),
    }
    .map_err(|e| format!("revert failed: {e}"))
}

/// Reverts the applied migrations from `version` (as `20261201000014`) on,
/// newest first (the tests of a data migration store rows as the schema
/// before it held them, then migrate again).
pub fn revert_migrations_from(conn: &mut DbConnection, version: &str) -> Result<(), String> {
    loop {
        let newest = match conn {
            DbConnection::Sqlite(c) => c.applied_migrations(),
            DbConnection::Postgres(c) => c.applied_migrations(),
        }
        .map_err(|e| format!("reading the applied migrations failed: {e}"))?
        .into_iter()
        .map(|v| v.to_string())
        .max();
        if newest.is_none_or(|newest| newest.as_str() < version) {
            return Ok(());
        }
        match conn {
            DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE).map(|_| ()),
            DbConnection::Postgres(c) => c.revert_last_migration(POSTGRES).map(|_| ()),
        }
        .map_err(|e| format!("revert failed: {e}"))?;
    }
}
