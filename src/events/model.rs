//! Exchange events as stored, as sent and as returned.

use crate::changes::model::ChangeAuthor;
use crate::dates::PartialDate;
use crate::db::text::JsonText;
use crate::twinnings::model::CitySummary;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What was exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    VideoGreeting,
    Letter,
    DelegationVisit,
    OnlineMeeting,
    CulturalEvent,
    StudentExchange,
    Gift,
    Aid,
    Other,
}

/// How it took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventMode {
    InPerson,
    Virtual,
    Hybrid,
}

/// Where an event stands. Allowed changes: planned → in_preparation → completed;
/// planned or in_preparation → postponed → planned or in_preparation; anything
/// not completed → cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Planned,
    InPreparation,
    Postponed,
    Completed,
    Cancelled,
}

crate::text_enum!(EventKind {
    VideoGreeting = "video_greeting",
    Letter = "letter",
    DelegationVisit = "delegation_visit",
    OnlineMeeting = "online_meeting",
    CulturalEvent = "cultural_event",
    StudentExchange = "student_exchange",
    Gift = "gift",
    Aid = "aid",
    Other = "other",
});

crate::text_enum!(EventMode {
    InPerson = "in_person",
    Virtual = "virtual",
    Hybrid = "hybrid",
});

crate::text_enum!(EventStatus {
    Planned = "planned",
    InPreparation = "in_preparation",
    Postponed = "postponed",
    Completed = "completed",
    Cancelled = "cancelled",
});

impl EventStatus {
    /// The statuses an event in this status may move to.
    pub fn next(&self) -> &'static [EventStatus] {
        use EventStatus::*;
        match self {
            Planned => &[InPreparation, Postponed, Cancelled],
            InPreparation => &[Completed, Postponed, Cancelled],
            Postponed => &[Planned, InPreparation, Cancelled],
            Completed | Cancelled => &[],
        }
    }
}

/// A row of `events`.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub twinning_id: i64,
    pub kind: EventKind,
    pub from_city_id: i64,
    pub to_city_id: i64,
    pub mode: Option<EventMode>,
    pub status: EventStatus,
    pub date: Option<PartialDate>,
    pub date_first: i32,
    pub date_last: i32,
    pub title: String,
    pub description: Option<String>,
    pub languages: JsonText<Vec<String>>,
    pub media_urls: JsonText<Vec<String>>,
    pub participants: Option<i32>,
    pub in_reply_to: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub reported_by_city_id: Option<i64>,
    pub review: Option<JsonText<StoredReview>>,
}

/// Which side of the exchange reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReporterSide {
    /// The city that sent it logged it.
    Sender,
    /// The city that received it logged it: the sender may confirm or dispute the report.
    Recipient,
    /// An admin logged it.
    Admin,
}

/// Who logged an event: only that city's staff (or an admin) edit or delete it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"city_id": 1, "side": "recipient"}))]
pub struct ReportedBy {
    /// The city whose staff logged it; `null` when an admin did.
    pub city_id: Option<i64>,
    pub side: ReporterSide,
}

/// The sender's word on an event its partner reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The sender agrees the report is right.
    Confirmed,
    /// The sender says the report is wrong.
    Disputed,
}

/// Where the sender's review of a recipient's report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// The sender has not said yet (or the report changed since it did).
    Pending,
    Confirmed,
    Disputed,
}

/// The sender's review as stored (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReview {
    pub verdict: Verdict,
    pub at: DateTime<Utc>,
    pub by: ChangeAuthor,
    pub reason: Option<String>,
}

/// The sender's review of an event the recipient reported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "state": "disputed", "reviewed_at": "2026-11-28T10:00:00Z",
    "reviewed_by": {"token_id": 3, "name": "Rochester international relations"},
    "reason": "The greeting was sent in June, not May."
}))]
pub struct Review {
    pub state: ReviewState,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<ChangeAuthor>,
    /// Why, as the sender put it.
    pub reason: Option<String>,
}

/// The sender's review of a report its partner made.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verdict": "disputed", "reason": "The greeting was sent in June, not May."}))]
pub struct NewReview {
    #[schema(required = true, value_type = Verdict)]
    pub verdict: Option<Verdict>,
    /// Why (up to 1,000 characters).
    pub reason: Option<String>,
}

/// Another event, as referred to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
#[schema(example = json!({"id": 2, "title": "Video greeting from Rochester", "status": "completed"}))]
pub struct EventRef {
    pub id: i64,
    pub title: String,
    pub status: EventStatus,
}

/// An exchange between the two cities of a twinning.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 3,
    "twinning_id": 1,
    "kind": "video_greeting",
    "mode": "virtual",
    "status": "completed",
    "date": "2020",
    "title": "Reply video from Veliky Novgorod",
    "description": "Photos from past meetings and a piece of music written by the Americans for Veliky Novgorod.",
    "languages": ["ru", "en"],
    "media_urls": [],
    "participants": null,
    "from_city": {"id": 1, "name": "Veliky Novgorod", "country_code": "RU"},
    "to_city": {"id": 2, "name": "Rochester", "country_code": "US"},
    "in_reply_to": {"id": 2, "title": "Video greeting from Rochester", "status": "completed"},
    "replies": [],
    "reported_by": {"city_id": 1, "side": "sender"},
    "review": null,
    "created_at": "2026-11-27T08:00:00Z",
    "updated_at": "2026-11-27T08:00:00Z"
}))]
pub struct Event {
    pub id: i64,
    pub twinning_id: i64,
    pub kind: EventKind,
    pub mode: Option<EventMode>,
    pub status: EventStatus,
    /// When it happened or is planned: YYYY, YYYY-MM or YYYY-MM-DD; `null`
    /// while a planned, in-preparation, postponed or cancelled event has none.
    #[schema(value_type = Option<String>, example = "2020-05")]
    pub date: Option<PartialDate>,
    pub title: String,
    pub description: Option<String>,
    /// BCP 47 tags of the languages used.
    pub languages: Vec<String>,
    pub media_urls: Vec<String>,
    pub participants: Option<i32>,
    /// The city it comes from (one of the pair).
    pub from_city: CitySummary,
    /// The other city of the pair.
    pub to_city: CitySummary,
    /// The event this one answers.
    pub in_reply_to: Option<EventRef>,
    /// The events that answer this one.
    pub replies: Vec<EventRef>,
    pub reported_by: ReportedBy,
    /// The sender's review when the recipient reported the event; `null`
    /// when the sender or an admin did (there is nothing to review).
    pub review: Option<Review>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An event to log.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "video_greeting",
    "from_city_id": 4,
    "mode": "virtual",
    "status": "in_preparation",
    "date": "2020",
    "title": "Reply video from Novosibirsk",
    "languages": ["ru", "ja"],
    "in_reply_to": 5
}))]
pub struct NewEvent {
    #[schema(required = true, value_type = EventKind)]
    pub kind: Option<EventKind>,
    /// One of the twinning's two cities.
    #[schema(required = true, value_type = i64)]
    pub from_city_id: Option<i64>,
    pub mode: Option<EventMode>,
    /// Default `planned`.
    pub status: Option<EventStatus>,
    /// YYYY, YYYY-MM or YYYY-MM-DD; required for a completed event, which
    /// cannot be in the future; a planned one may have none yet.
    #[schema(value_type = Option<String>, example = "2020-05")]
    pub date: Option<String>,
    /// 1–200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub media_urls: Vec<String>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub participants: Option<i32>,
    /// An event of the same twinning from the other city.
    pub in_reply_to: Option<i64>,
    /// The city whose staff report the event, one of the pair; a report by
    /// the recipient awaits the sender's review. A city token may name only
    /// a city it edits (without it: the sender when the token edits the
    /// sender, else the recipient). An admin may name either city, as when
    /// entering a city's paper records; without it an admin's event is
    /// reported by no city (`admin`).
    #[schema(minimum = 1)]
    pub reported_by_city_id: Option<i64>,
}

/// Changes to an event: absent fields stay, `null` clears an optional one.
/// The city it comes from and the event it answers are fixed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "completed"}))]
pub struct EventPatch {
    pub kind: Option<EventKind>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<EventMode>)]
    pub mode: Option<Option<EventMode>>,
    pub status: Option<EventStatus>,
    #[schema(example = "2020-06")]
    pub date: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub languages: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub media_urls: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10_000_000)]
    pub participants: Option<Option<i32>>,
}

/// A validated event, ready to be written.
#[derive(Debug, Clone, PartialEq, AsChangeset, Insertable)]
#[diesel(
    table_name = crate::db::schema::events,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct EventValues {
    pub twinning_id: i64,
    pub kind: String,
    pub from_city_id: i64,
    pub to_city_id: i64,
    pub mode: Option<String>,
    pub status: String,
    pub date: Option<String>,
    pub date_first: i32,
    pub date_last: i32,
    pub title: String,
    pub description: Option<String>,
    pub languages: String,
    pub media_urls: String,
    pub participants: Option<i32>,
    pub in_reply_to: Option<i64>,
    pub updated_at: NaiveDateTime,
    pub reported_by_city_id: Option<i64>,
    pub review: Option<String>,
}

impl EventRow {
    /// The row as the values that would write it again.
    pub fn values(&self) -> Result<EventValues, serde_json::Error> {
        Ok(EventValues {
            twinning_id: self.twinning_id,
            kind: self.kind.as_str().to_string(),
            from_city_id: self.from_city_id,
            to_city_id: self.to_city_id,
            mode: self.mode.map(|m| m.as_str().to_string()),
            status: self.status.as_str().to_string(),
            date: self.date.map(|d| d.to_string()),
            date_first: self.date_first,
            date_last: self.date_last,
            title: self.title.clone(),
            description: self.description.clone(),
            languages: serde_json::to_string(&self.languages.0)?,
            media_urls: serde_json::to_string(&self.media_urls.0)?,
            participants: self.participants,
            in_reply_to: self.in_reply_to,
            updated_at: self.updated_at,
            reported_by_city_id: self.reported_by_city_id,
            review: self
                .review
                .as_ref()
                .map(|r| serde_json::to_string(&r.0))
                .transpose()?,
        })
    }
}

/// One page of events, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<Event>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
