//! The iCalendar rendering of anniversaries: one all-day event each.

use super::model::Anniversary;
use crate::dates::Precision;
use icalendar::{Calendar, Component, Event, EventLike};

pub fn calendar(items: &[Anniversary]) -> String {
    let mut calendar = Calendar::new();
    calendar.name("Twinning anniversaries");
    for item in items {
        let t = &item.twinning;
        let pair = t
            .cities
            .iter()
            .map(|c| format!("{} ({})", c.name, c.country_code))
            .collect::<Vec<_>>()
            .join(" – ");
        let start = t.established.map(|d| d.to_string()).unwrap_or_default();
        let precision_note = match item.date.precision() {
            Precision::Year => format!(
                " Only the year of the start ({start}) is known: the anniversary is shown on 1 January."
            ),
            Precision::Month => format!(
                " Only the month of the start ({start}) is known: the anniversary is shown on the 1st."
            ),
            Precision::Day => String::new(),
        };
        let description = format!(
            "{} years since the twinning of {pair} began ({start}).{precision_note}",
            item.years
        );
        calendar.push(
            Event::new()
                .uid(&format!(
                    "twinning-{}-anniversary-{}@twinning-registry",
                    t.id, item.years
                ))
                .timestamp(t.updated_at)
                .summary(&format!("{} years of twinning: {pair}", item.years))
                .description(&description)
                .all_day(item.date.first_day())
                .url(&format!("/api/v1/twinnings/{}", t.id))
                .done(),
        );
    }
    calendar.done().to_string()
}
