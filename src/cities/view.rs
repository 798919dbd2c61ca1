//! How a city's writes are locked, authorized and recorded.

use super::model::{City, CityRow};
use super::queries;
use crate::changes::{Audited, Entity};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::tokens::Principal;

impl Audited for City {
    const ENTITY: Entity = Entity::City;
    type Row = CityRow;

    fn lock(conn: &mut DbConnection, id: i64) -> Result<CityRow, AppError> {
        queries::lock(conn, id)?;
        queries::find(conn, id)
    }

    fn authorize(principal: &Principal, id: i64, _: &CityRow) -> Result<(), AppError> {
        principal.require_city(id)
    }

    fn render(_: &mut DbConnection, row: CityRow) -> Result<City, AppError> {
        Ok(City::from(row))
    }

    fn id(&self) -> i64 {
        self.id
    }
}
