//! The iCalendar (RFC 5545) rendering of anniversaries: one all-day event each.

use super::model::Anniversary;
use crate::dates::Precision;
use icalendar::{Calendar, Component, Event, EventLike};

/// Who made the feed (§3.7.3 asks for a globally unique product id; the
/// crate's default names only the crate).
const PRODUCT_ID: &str = "-//Twinning Registry//Anniversaries//EN";

/// The feed of `items`, each linking to its twinning under `base` (an
/// absolute URL without a trailing slash, such as `https://example.org`).
pub fn calendar(items: &[Anniversary], base: &str) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", PRODUCT_ID))
        .append_property(("CALSCALE", "GREGORIAN"))
        .name("Twinning anniversaries");
    for item in items {
        let t = &item.twinning;
        let day = item.date.first_day();
        // An all-day event ends, exclusively, on the next day (§3.6.1): the
        // crate's `all_day` writes DTEND equal to DTSTART, an empty event.
        // Only the last day chrono can represent has no next one.
        let Some(next_day) = day.succ_opt() else {
            continue;
        };
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
                .starts(day)
                .ends(next_day)
                // A day to remember, not a day taken: free/busy stays free.
                .add_property("TRANSP", "TRANSPARENT")
                .url(&format!("{base}/api/v1/twinnings/{}", t.id))
                .done(),
        );
    }
    within_75_octets(&calendar.done().to_string())
}

/// Folds again every line longer than 75 octets (§3.1). The crate folds
/// first lines at 75 octets and continuations at 74 plus the space, but
/// leaves a last continuation of exactly 75 plus the space, 76 octets.
/// A long line is cut at character boundaries; unfolding gives it back.
fn within_75_octets(text: &str) -> String {
    const LIMIT: usize = 75;
    let mut out = String::with_capacity(text.len() + text.len() / 64);
    for line in text.split_terminator("\r\n") {
        let mut rest = line;
        let mut limit = LIMIT;
        while rest.len() > limit {
            let cut = (1..=limit)
                .rev()
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(rest.len());
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            limit = LIMIT - 1;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::within_75_octets;
    use icalendar::{Component, Event};

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    fn longest_line(text: &str) -> usize {
        text.split_terminator("\r\n")
            .map(str::len)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn no_line_passes_75_octets_and_unfolding_gives_the_crates_text_back() {
        let mut crate_overflows = 0;
        for filler in ["x", "é", "札"] {
            for count in 40..200 {
                let text = filler.repeat(count);
                let rendered = Event::new().description(&text).done().to_string();
                if longest_line(&rendered) > 75 {
                    crate_overflows += 1;
                }
                let folded = within_75_octets(&rendered);
                assert!(longest_line(&folded) <= 75, "{folded:?}");
                assert!(folded.ends_with("\r\n"));
                assert_eq!(unfold(&folded), unfold(&rendered));
                assert!(unfold(&folded).contains(&format!("DESCRIPTION:{text}\r\n")));
            }
        }
        assert!(
            crate_overflows > 0,
            "the crate now folds within 75 octets: within_75_octets can go"
        );
    }
}
