//! The filters of the twinnings list and its map, checked and turned into
//! query conditions.

use super::model::{TwinningKind, TwinningStatus};
use super::queries::{self, Condition};
use crate::db::schema::twinnings;
use crate::error::AppError;
use crate::http::params;
use diesel::ExpressionMethods;

/// The filters shared by the twinnings list and its map.
pub struct TwinningFilter {
    pub city_id: Option<i64>,
    pub country: Option<String>,
    pub partner_country: Option<String>,
    pub kind: Option<TwinningKind>,
    pub status: Option<TwinningStatus>,
    pub established_after: Option<String>,
    pub established_before: Option<String>,
    pub dormant_since: Option<String>,
    /// Confirmed by both cities, or not yet by one of them.
    pub confirmed: Option<bool>,
}

impl TwinningFilter {
    /// Checks the parameters and turns them into query conditions.
    pub fn conditions(&self) -> Result<Vec<Condition>, AppError> {
        let country = params::country("country", self.country.clone())?;
        let partner = params::country("partner_country", self.partner_country.clone())?;
        let after = params::date("established_after", self.established_after.as_deref())?;
        let before = params::date("established_before", self.established_before.as_deref())?;
        let dormant = params::date("dormant_since", self.dormant_since.as_deref())?;
        let mut conditions: Vec<Condition> = Vec::new();
        match (self.city_id, &country, &partner) {
            (Some(city), _, Some(partner)) => {
                conditions.push(queries::city_with_partner_in(city, partner))
            }
            (Some(city), _, None) => conditions.push(queries::involves(city)),
            _ => {}
        }
        match (&country, &partner, self.city_id) {
            (Some(country), Some(partner), None) => {
                conditions.push(queries::between_countries(country, partner))
            }
            (Some(country), _, _) => conditions.push(queries::in_country(country)),
            (None, Some(partner), None) => conditions.push(queries::in_country(partner)),
            _ => {}
        }
        if let Some(kind) = self.kind {
            conditions.push(Box::new(twinnings::kind.eq(kind.as_str())));
        }
        if let Some(status) = self.status {
            conditions.push(Box::new(twinnings::status.eq(status.as_str())));
        }
        if let Some(after) = after {
            conditions.push(queries::established_from(after));
        }
        if let Some(before) = before {
            conditions.push(queries::established_until(before));
        }
        if let Some(since) = dormant {
            conditions.push(queries::dormant_since(since));
        }
        if let Some(both) = self.confirmed {
            conditions.push(queries::confirmed(both));
        }
        Ok(conditions)
    }
}
