//! `twinning seed --demo`: the story of 2020 in the registry. Veliky Novgorod and
//! Rochester marked 30 years of twinning with video greetings after the May
//! anniversary visit was cancelled; Sapporo sent Novosibirsk a greeting and
//! Novosibirsk prepared a reply. Every piece goes through the same validation
//! as the API, and pieces already present are left alone, so a second run
//! changes nothing.

use crate::changes::audit;
use crate::cities::model::NewCity;
use crate::db::DbConnection;
use crate::db::schema::{cities, events, twinnings};
use crate::error::AppError;
use crate::events::model::{EventKind, EventMode, EventStatus, NewEvent};
use crate::tokens::Principal;
use crate::twinnings::model::{NewTwinning, TwinningKind};
use crate::{cities as city, clock, events as event, twinnings as twinning};
use diesel::prelude::*;
use std::collections::BTreeMap;

/// What a run added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub cities: usize,
    pub twinnings: usize,
    pub events: usize,
}

struct DemoCity {
    name: &'static str,
    names: &'static [(&'static str, &'static str)],
    alternate: &'static [&'static str],
    country: &'static str,
    subdivision: &'static str,
    lat: f64,
    lon: f64,
    population: i64,
    timezone: &'static str,
    wikidata: Option<&'static str>,
    geonames: i64,
}

const CITIES: [DemoCity; 4] = [
    DemoCity {
        name: "Veliky Novgorod",
        names: &[("ru", "Великий Новгород"), ("en", "Veliky Novgorod")],
        alternate: &["Novgorod", "Velikiy Novgorod", "Novgorod the Great"],
        country: "RU",
        subdivision: "RU-NGR",
        lat: 58.52131,
        lon: 31.27104,
        population: 222_868,
        timezone: "Europe/Moscow",
        wikidata: None,
        geonames: 519_336,
    },
    DemoCity {
        name: "Rochester",
        names: &[("en", "Rochester"), ("ru", "Рочестер")],
        alternate: &[],
        country: "US",
        subdivision: "US-NY",
        lat: 43.15478,
        lon: -77.61556,
        population: 209_802,
        timezone: "America/New_York",
        wikidata: Some("Q49218"),
        geonames: 5_134_086,
    },
    DemoCity {
        name: "Sapporo",
        names: &[("ja", "札幌市"), ("en", "Sapporo"), ("ru", "Саппоро")],
        alternate: &[],
        country: "JP",
        subdivision: "JP-01",
        lat: 43.06667,
        lon: 141.35,
        population: 1_973_832,
        timezone: "Asia/Tokyo",
        wikidata: Some("Q37951"),
        geonames: 2_128_295,
    },
    DemoCity {
        name: "Novosibirsk",
        names: &[
            ("ru", "Новосибирск"),
            ("en", "Novosibirsk"),
            ("ja", "ノヴォシビルスク"),
        ],
        alternate: &["Novonikolayevsk"],
        country: "RU",
        subdivision: "RU-NVS",
        lat: 55.02259,
        lon: 82.93175,
        population: 1_612_833,
        timezone: "Asia/Novosibirsk",
        wikidata: Some("Q883"),
        geonames: 1_496_747,
    },
];

fn author() -> Principal {
    Principal::command_line("seed --demo")
}

pub fn demo(conn: &mut DbConnection) -> Result<SeedReport, AppError> {
    conn.transaction(|conn| {
        let mut report = SeedReport::default();
        let mut ids = Vec::new();
        for c in &CITIES {
            ids.push(ensure_city(conn, c, &mut report)?);
        }
        let [novgorod, rochester, sapporo, novosibirsk] = [ids[0], ids[1], ids[2], ids[3]];

        let nr = ensure_twinning(conn, novgorod, rochester, "Veliky Novgorod and Rochester, NY: sister cities since 1990; the 30th anniversary in 2020 was marked with video greetings.", &mut report)?;
        let sn = ensure_twinning(conn, sapporo, novosibirsk, "Sapporo and Novosibirsk: sister cities since 1990.", &mut report)?;

        ensure_event(conn, nr, &mut report, NewEvent {
            kind: Some(EventKind::DelegationVisit),
            from_city_id: Some(rochester),
            mode: Some(EventMode::InPerson),
            status: Some(EventStatus::Cancelled),
            date: Some("2020-05".into()),
            title: Some("30th anniversary visit to Veliky Novgorod".into()),
            description: Some("Representatives of the two cities were preparing to celebrate the round date in May in Veliky Novgorod; the visit was cancelled because of the coronavirus pandemic.".into()),
            ..NewEvent::default()
        }, None)?;
        let greeting = ensure_event(conn, nr, &mut report, NewEvent {
            kind: Some(EventKind::VideoGreeting),
            from_city_id: Some(rochester),
            mode: Some(EventMode::Virtual),
            status: Some(EventStatus::Completed),
            date: Some("2020".into()),
            title: Some("Video greeting from Rochester".into()),
            description: Some("Residents of Rochester sent Novgorodians a video with health wishes and hope for an early meeting.".into()),
            languages: vec!["ru".into(), "en".into()],
            ..NewEvent::default()
        }, None)?;
        ensure_event(conn, nr, &mut report, NewEvent {
            kind: Some(EventKind::VideoGreeting),
            from_city_id: Some(novgorod),
            mode: Some(EventMode::Virtual),
            status: Some(EventStatus::Completed),
            date: Some("2020".into()),
            title: Some("Reply video from Veliky Novgorod".into()),
            description: Some("Photos from past meetings, and a piece of music written by the Americans specifically for Veliky Novgorod.".into()),
            languages: vec!["ru".into(), "en".into()],
            in_reply_to: Some(greeting),
            ..NewEvent::default()
        }, None)?;
        let sapporo_greeting = ensure_event(conn, sn, &mut report, NewEvent {
            kind: Some(EventKind::VideoGreeting),
            from_city_id: Some(sapporo),
            mode: Some(EventMode::Virtual),
            status: Some(EventStatus::Completed),
            date: Some("2020".into()),
            title: Some("Video greeting from Sapporo".into()),
            description: Some("Sapporo residents held up leaflets inscribed in Russian: \"Don't be sad Novosibirsk! The virus will pass! We'll hug each other soon!\"".into()),
            languages: vec!["ru".into(), "ja".into()],
            ..NewEvent::default()
        // Novosibirsk logged the greeting it received; Sapporo confirmed it.
        }, Some(novosibirsk))?;
        ensure_event(conn, sn, &mut report, NewEvent {
            kind: Some(EventKind::VideoGreeting),
            from_city_id: Some(novosibirsk),
            mode: Some(EventMode::Virtual),
            status: Some(EventStatus::InPreparation),
            // Being prepared: when it will be sent is not known yet.
            date: None,
            title: Some("Reply video from Novosibirsk".into()),
            description: Some("Novosibirsk proposed to record a video in reply to Sapporo's greeting.".into()),
            in_reply_to: Some(sapporo_greeting),
            ..NewEvent::default()
        }, None)?;
        Ok(report)
    })
}

fn ensure_city(
    conn: &mut DbConnection,
    c: &DemoCity,
    report: &mut SeedReport,
) -> Result<i64, AppError> {
    let existing: Option<i64> = cities::table
        .filter(cities::geonames_id.eq(c.geonames))
        .select(cities::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let new = NewCity {
        name: Some(c.name.into()),
        names: c
            .names
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        alternate_names: c.alternate.iter().map(|a| a.to_string()).collect(),
        country_code: Some(c.country.into()),
        subdivision_code: Some(c.subdivision.into()),
        latitude: Some(c.lat),
        longitude: Some(c.lon),
        population: Some(c.population),
        timezone: Some(c.timezone.into()),
        wikidata_id: c.wikidata.map(str::to_string),
        geonames_id: Some(c.geonames),
    };
    let valid = city::validate::validate(new, clock::now())?;
    report.cities += 1;
    let row = city::queries::insert(conn, &valid, None)?;
    Ok(audit::created::<crate::cities::model::City>(conn, &author(), row)?.id)
}

fn ensure_twinning(
    conn: &mut DbConnection,
    a: i64,
    b: i64,
    notes: &str,
    report: &mut SeedReport,
) -> Result<i64, AppError> {
    let existing: Option<i64> = twinnings::table
        .filter(twinnings::city_low_id.eq(a.min(b)))
        .filter(twinnings::city_high_id.eq(a.max(b)))
        .select(twinnings::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let new = NewTwinning {
        city_ids: Some(vec![a, b]),
        kind: Some(TwinningKind::SisterCity),
        established: Some("1990".into()),
        notes: Some(notes.into()),
        ..NewTwinning::default()
    };
    let now = clock::now();
    let values = twinning::validate::validate_new(new, clock::today(), now, None)?;
    report.twinnings += 1;
    let mut row = twinning::queries::insert(conn, &values, &[a, b], None)?;
    // Both cities signed these twinnings in 1990: each side is confirmed.
    let confirmed = twinning::model::Confirmed {
        at: now.and_utc(),
        by: crate::changes::model::ChangeAuthor::of(&author()),
    };
    for side in [a, b] {
        row = twinning::queries::set_confirmation(conn, &row, side, Some(&confirmed), now)?;
    }
    Ok(audit::created::<twinning::model::Twinning>(conn, &author(), row)?.id)
}

/// Logs a demo event once. `received_by`: the event was reported by the city
/// that received it and confirmed by its sender, as staff on both sides would
/// record it; otherwise its sender reported it.
fn ensure_event(
    conn: &mut DbConnection,
    twinning_id: i64,
    report: &mut SeedReport,
    new: NewEvent,
    received_by: Option<i64>,
) -> Result<i64, AppError> {
    let title = new.title.clone().unwrap_or_default();
    let existing: Option<i64> = events::table
        .filter(events::twinning_id.eq(twinning_id))
        .filter(events::title.eq(&title))
        .select(events::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let mut values = event::validate::validate_new(new, clock::today(), clock::now())?;
    values.twinning_id = twinning_id;
    values.reported_by_city_id = Some(received_by.unwrap_or(values.from_city_id));
    if received_by.is_some() {
        let review = event::model::StoredReview {
            verdict: event::model::Verdict::Confirmed,
            at: clock::now().and_utc(),
            by: crate::changes::model::ChangeAuthor::of(&author()),
            reason: None,
        };
        values.review = Some(serde_json::to_string(&review).map_err(AppError::internal)?);
    }
    report.events += 1;
    let row = event::queries::insert(conn, values, None)?;
    Ok(audit::created::<event::model::Event>(conn, &author(), row)?.id)
}
