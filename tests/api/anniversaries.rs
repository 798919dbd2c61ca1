use crate::helpers::{
    StoryCities, TestApp, assert_problem, error_fields, spawn_app, spawn_app_with, story,
};
use chrono::{Datelike, NaiveDate};
use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime, Event};
use serde_json::{Value, json};
use twinning::config::ServeArgs;

async fn story_twinnings(app: &TestApp) -> (StoryCities, i64, i64) {
    let c = app.create_story_cities().await;
    let nr = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    let sn = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    (c, nr, sn)
}

async fn anniversaries(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/anniversaries?{query}")).await;
    assert_eq!(response.status().as_u16(), 200, "{query}");
    response.json().await.unwrap()
}

fn summary(page: &Value) -> Vec<(i64, i64, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["twinning"]["id"].as_i64().unwrap(),
                a["years"].as_i64().unwrap(),
                a["date"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn the_2020_query_finds_both_30th_anniversaries_of_the_story() {
    let app = spawn_app().await;
    let (_, nr, sn) = story_twinnings(&app).await;
    let page = anniversaries(&app, "from=2020-01-01&to=2020-12-31&every=10").await;
    assert_eq!(
        summary(&page),
        vec![(nr, 30, "2020".into()), (sn, 30, "2020".into())]
    );
    assert_eq!(
        page["items"][0]["twinning"]["cities"][0]["name"],
        "Veliky Novgorod"
    );
    assert_eq!(page["next_cursor"], Value::Null);
    let page = anniversaries(&app, "from=2021-01-01&to=2021-12-31&every=10").await;
    assert_eq!(summary(&page), vec![]);
    let page = anniversaries(&app, "from=2021-01-01&to=2021-12-31&every=1").await;
    assert_eq!(
        summary(&page),
        vec![(nr, 31, "2021".into()), (sn, 31, "2021".into())]
    );
}

#[actix_web::test]
async fn anniversaries_come_in_date_order_at_their_precision_within_the_window() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let minnesota = app.create_city(story::rochester_minnesota()).await;
    let year = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1995"})).await;
    let may = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990-05"})).await;
    let day = app.create_twinning(json!({"city_ids": [c.novgorod, c.sapporo], "kind": "partner_city", "established": "2000-03-15"})).await;
    let late = app.create_twinning(json!({"city_ids": [c.novosibirsk, minnesota], "kind": "friendship_city", "established": "2010-11-30"})).await;
    let suspended = app.create_twinning(json!({"city_ids": [c.rochester, c.sapporo], "kind": "sister_city", "established": "1990-01-01", "status": "suspended"})).await;
    assert!(suspended > 0);

    let page = anniversaries(&app, "from=2020-01-01&to=2020-12-31").await;
    assert_eq!(
        summary(&page),
        vec![
            (year, 25, "2020".into()),
            (day, 20, "2020-03-15".into()),
            (may, 30, "2020-05".into()),
            (late, 10, "2020-11-30".into())
        ],
        "a year-precision date sorts first in its year; suspended twinnings have none"
    );
    // A window from mid-May: the May anniversary still counts (its month is in the
    // window), the March one does not; the year-precision one counts for its year.
    let page = anniversaries(&app, "from=2020-05-20&to=2021-03-15").await;
    assert_eq!(
        summary(&page),
        vec![
            (year, 25, "2020".into()),
            (may, 30, "2020-05".into()),
            (late, 10, "2020-11-30".into()),
            (year, 26, "2021".into()),
            (day, 21, "2021-03-15".into())
        ]
    );
    let page = anniversaries(&app, "from=2020-05-20&to=2021-03-14&every=5").await;
    assert_eq!(
        summary(&page),
        vec![
            (year, 25, "2020".into()),
            (may, 30, "2020-05".into()),
            (late, 10, "2020-11-30".into())
        ]
    );
    let page = anniversaries(
        &app,
        &format!("from=2020&to=2020&city_id={}", c.novosibirsk),
    )
    .await;
    assert_eq!(
        summary(&page),
        vec![(may, 30, "2020-05".into()), (late, 10, "2020-11-30".into())]
    );
    let page = anniversaries(&app, "from=2020&to=2020&country=JP&kind=sister_city").await;
    assert_eq!(summary(&page), vec![(may, 30, "2020-05".into())]);
}

#[actix_web::test]
async fn following_the_cursor_walks_anniversaries_across_years() {
    let app = spawn_app().await;
    let (_, nr, sn) = story_twinnings(&app).await;
    let mut seen = Vec::new();
    let mut query = "from=2020-01-01&to=2022-12-31&limit=2".to_string();
    loop {
        let page = anniversaries(&app, &query).await;
        seen.extend(summary(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                query = format!("from=2020-01-01&to=2022-12-31&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            (nr, 30, "2020".into()),
            (sn, 30, "2020".into()),
            (nr, 31, "2021".into()),
            (sn, 31, "2021".into()),
            (nr, 32, "2022".into()),
            (sn, 32, "2022".into()),
        ]
    );
}

#[actix_web::test]
async fn the_default_window_is_the_year_from_today() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let today = chrono::Utc::now().date_naive();
    let ten_years_ago = today
        .with_year(today.year() - 10)
        .unwrap_or(today - chrono::Days::new(3653));
    let soon = app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": ten_years_ago.to_string()}))
        .await;
    let yesterday = (today - chrono::Days::new(1)).with_year(today.year() - 7);
    if let Some(yesterday) = yesterday {
        app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": yesterday.to_string()}))
            .await;
    }
    let page = anniversaries(&app, "").await;
    let found = summary(&page);
    assert_eq!(
        found[0],
        (soon, 10, today.with_year(today.year()).unwrap().to_string())
    );
    assert!(
        found
            .iter()
            .all(|(_, _, date)| date.as_str() >= today.to_string().as_str()),
        "{found:?}"
    );
}

#[actix_web::test]
async fn a_twinning_lists_its_next_anniversaries() {
    let app = spawn_app().await;
    let (_, nr, _) = story_twinnings(&app).await;
    let response = app
        .get(&format!("/api/v1/twinnings/{nr}/anniversaries?count=3"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page: Value = response.json().await.unwrap();
    let year = i64::from(chrono::Utc::now().year());
    assert_eq!(
        page["items"],
        json!([
            {"years": year - 1990, "date": year.to_string()},
            {"years": year - 1989, "date": (year + 1).to_string()},
            {"years": year - 1988, "date": (year + 2).to_string()},
        ])
    );
    let page: Value = app
        .get_json(&format!("/api/v1/twinnings/{nr}/anniversaries"))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_problem(
        app.get("/api/v1/twinnings/999/anniversaries").await,
        404,
        "not_found",
    )
    .await;
    let problem = assert_problem(
        app.get(&format!("/api/v1/twinnings/{nr}/anniversaries?count=0"))
            .await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["count"]);
}

#[actix_web::test]
async fn the_ics_feed_parses_as_a_calendar_with_one_all_day_event_per_anniversary() {
    let app = spawn_app().await;
    let (c, nr, _) = story_twinnings(&app).await;
    app.create_twinning(json!({"city_ids": [c.novgorod, c.sapporo], "kind": "partner_city", "established": "2000-03-15"}))
        .await;
    let response = app
        .get("/api/v1/anniversaries.ics?from=2020-01-01&to=2020-12-31&every=10")
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let calendar: Calendar = text.parse().expect("the feed parses as iCalendar");
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 3);
    let first = events[0];
    assert_eq!(
        first.get_summary(),
        Some("30 years of twinning: Veliky Novgorod (RU) – Rochester (US)")
    );
    assert_eq!(
        first.get_start(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
        ))
    );
    assert!(
        first.get_description().unwrap().contains("Only the year"),
        "{:?}",
        first.get_description()
    );
    assert_eq!(
        first.get_uid(),
        Some(format!("twinning-{nr}-anniversary-30@twinning-registry").as_str())
    );
    let dated = events[2];
    assert_eq!(
        dated.get_start(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2020, 3, 15).unwrap()
        ))
    );
    assert!(dated.get_summary().unwrap().starts_with("20 years"));
    assert!(!dated.get_description().unwrap().contains("Only the"));
}

#[actix_web::test]
async fn bad_anniversary_parameters_are_400_naming_them() {
    let app = spawn_app().await;
    for (query, field) in [
        ("from=2021-02-30", "from"),
        ("from=2020-12-31&to=2020-01-01", "to"),
        ("from=2000&to=2100", "to"),
        ("every=0", "every"),
        ("every=101", "every"),
        ("country=XX", "country"),
        ("kind=x", "kind"),
        ("limit=500", "limit"),
        ("cursor=%5B1%5D", "cursor"),
        ("colour=red", "colour"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/anniversaries?{query}")).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{query}");
    }
    let problem = assert_problem(
        app.get("/api/v1/anniversaries.ics?limit=5").await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["limit"]);
}

#[actix_web::test]
async fn a_window_given_only_by_its_end_is_the_year_before_it() {
    let app = spawn_app().await;
    let (_, nr, sn) = story_twinnings(&app).await;
    let page = anniversaries(&app, "to=2020-12-31&every=10").await;
    assert_eq!(
        summary(&page),
        vec![(nr, 30, "2020".into()), (sn, 30, "2020".into())]
    );
}

#[actix_web::test]
async fn a_29_february_start_is_remembered_on_28_february_in_common_years() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app.create_twinning(json!({"city_ids": [c.sapporo, c.rochester], "kind": "sister_city", "established": "1988-02-29"})).await;
    for (window, expected) in [
        (
            "from=2027-02-28&to=2027-02-28",
            vec![(id, 39, "2027-02-28".to_string())],
        ),
        ("from=2027-03-01&to=2027-03-31", vec![]),
        ("from=2028-02-28&to=2028-02-28", vec![]),
        (
            "from=2028-02-29&to=2028-02-29",
            vec![(id, 40, "2028-02-29".to_string())],
        ),
        (
            "from=2027-02-01&to=2027-02-28",
            vec![(id, 39, "2027-02-28".to_string())],
        ),
    ] {
        let page = anniversaries(&app, window).await;
        assert_eq!(summary(&page), expected, "{window}");
    }
}

/// Every page of a query, following the cursor.
async fn all_pages(app: &TestApp, query: &str) -> Vec<(i64, i64, String)> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => anniversaries(app, &format!("{query}&cursor={c}")).await,
            None => anniversaries(app, query).await,
        };
        items.extend(summary(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

#[actix_web::test]
async fn a_filter_that_keeps_every_twinning_gives_the_same_anniversaries_as_none() {
    // Without filters the start years are read from their index; with one,
    // the filtered twinnings are walked in memory: the two must agree.
    let app = spawn_app().await;
    let mut cities = Vec::new();
    for i in 0..12 {
        cities.push(
            app.create_city(json!({"name": format!("Town {i}"), "country_code": "DE"}))
                .await,
        );
    }
    let starts = [
        "1990",
        "1990-05",
        "1990-05-17",
        "1991-02-28",
        "1992-02-29",
        "1995",
        "1995-05-16",
        "1995-05-18",
        "2000-01-01",
        "2000-12-31",
        "2010-05",
        "1960-07-04",
        "2019",
    ];
    for (i, start) in starts.iter().enumerate() {
        let (a, b) = (cities[i % 12], cities[(i + 1 + i / 12) % 12]);
        app.create_twinning(
            json!({"city_ids": [a, b], "kind": "sister_city", "established": start}),
        )
        .await;
    }
    for window in [
        "from=2020-05-17&to=2025-05-17",
        "from=2000-01-01&to=2049-12-31&every=10",
        "from=1900&to=1950",
        "from=2023-02-28&to=2024-02-28",
        "from=2010-05-16&to=2011-05-18&every=5",
    ] {
        for limit in ["limit=3", "limit=200"] {
            let plain = all_pages(&app, &format!("{window}&{limit}")).await;
            let filtered = all_pages(&app, &format!("{window}&{limit}&country=DE")).await;
            assert_eq!(plain, filtered, "{window} {limit}");
            let sorted = {
                let mut dates: Vec<String> = plain.iter().map(|p| p.2.clone()).collect();
                let before = dates.clone();
                dates.sort();
                dates == before
            };
            assert!(sorted, "{window}: in date order: {plain:?}");
        }
    }
    let every_ten = all_pages(&app, "from=2000-01-01&to=2049-12-31&every=10").await;
    assert!(every_ten.iter().all(|(_, years, _)| years % 10 == 0));
    assert!(every_ten.len() > 10, "{every_ten:?}");
}

#[actix_web::test]
async fn a_filter_keeping_thousands_of_twinnings_agrees_with_no_filter() {
    // Thousands of twinnings left by a filter, walked in memory, give the
    // answers of the start years' index walk.
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let mut conn = app.database_url.establish().unwrap();
    let values: Vec<String> = (1..=1500)
        .map(|i| {
            format!(
                "('Town {i}', '{{}}', '[]', 'DE', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        })
        .collect();
    conn.batch_execute(&format!(
        "INSERT INTO cities (name, names, alternate_names, country_code, created_at, updated_at) VALUES {}",
        values.join(",")
    ))
    .unwrap();
    let (made, _) = twinning::benchdata::generate(&mut conn, 2600, 0, 7).unwrap();
    assert_eq!(made, 2600);
    drop(conn);
    for window in [
        "from=2020-05-17&to=2020-06-17&limit=200",
        "from=2010&to=2019&every=25&limit=200",
        "from=2019-12-30&to=2020-01-02&limit=200",
    ] {
        let plain = all_pages(&app, window).await;
        let filtered = all_pages(&app, &format!("{window}&country=DE")).await;
        assert!(!plain.is_empty(), "{window}");
        assert_eq!(plain, filtered, "{window}");
    }
}

const FEED_2027_2028: &str = "/api/v1/anniversaries.ics?from=2027-01-01&to=2028-12-31";

/// GETs a feed with these extra headers; its status, headers and text.
async fn fetch_feed(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = app.anonymous.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn events_of(text: &str) -> Vec<Event> {
    let calendar: Calendar = text.parse().expect("the feed parses as iCalendar");
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn day_of(value: Option<DatePerhapsTime>) -> NaiveDate {
    match value {
        Some(DatePerhapsTime::Date(day)) => day,
        other => panic!("not an all-day date: {other:?}"),
    }
}

/// The twinning id in an event's UID `twinning-{id}-anniversary-{years}@…`.
fn twinning_of(event: &Event) -> i64 {
    let uid = event.get_uid().unwrap();
    uid.split('-').nth(1).unwrap().parse().unwrap()
}

fn urls_of(text: &str) -> Vec<String> {
    events_of(text)
        .iter()
        .map(|e| e.get_url().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn every_all_day_event_ends_on_the_next_day_across_new_year_and_the_end_of_february() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let new_year_eve = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990-12-31"})).await;
    let leap_day = app.create_twinning(json!({"city_ids": [c.sapporo, c.rochester], "kind": "sister_city", "established": "1988-02-29"})).await;
    let feb_28 = app.create_twinning(json!({"city_ids": [c.novgorod, c.sapporo], "kind": "partner_city", "established": "1992-02-28"})).await;
    let year = app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    let month = app.create_twinning(json!({"city_ids": [c.novosibirsk, c.rochester], "kind": "friendship_city", "established": "1995-05"})).await;

    let (status, _, text) = fetch_feed(&app, FEED_2027_2028, &[]).await;
    assert_eq!(status, 200);
    let mut found: Vec<(i64, NaiveDate, NaiveDate)> = events_of(&text)
        .iter()
        .map(|e| (twinning_of(e), day_of(e.get_start()), day_of(e.get_end())))
        .collect();
    found.sort();
    let mut expected = vec![
        (new_year_eve, date("2027-12-31"), date("2028-01-01")),
        (new_year_eve, date("2028-12-31"), date("2029-01-01")),
        // Common year: a 29 February start is kept on the 28th, over by 1 March.
        (leap_day, date("2027-02-28"), date("2027-03-01")),
        (leap_day, date("2028-02-29"), date("2028-03-01")),
        // Leap year: the day after 28 February is the 29th.
        (feb_28, date("2027-02-28"), date("2027-03-01")),
        (feb_28, date("2028-02-28"), date("2028-02-29")),
        (year, date("2027-01-01"), date("2027-01-02")),
        (year, date("2028-01-01"), date("2028-01-02")),
        (month, date("2027-05-01"), date("2027-05-02")),
        (month, date("2028-05-01"), date("2028-05-02")),
    ];
    expected.sort();
    assert_eq!(found, expected);
    assert!(
        text.contains("\r\nDTSTART;VALUE=DATE:20271231\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nDTEND;VALUE=DATE:20280101\r\n"), "{text}");
}

#[actix_web::test]
async fn event_urls_are_absolute_under_the_scheme_and_host_the_feed_was_asked_at() {
    let app = spawn_app().await;
    let (_, nr, sn) = story_twinnings(&app).await;
    let (status, headers, text) = fetch_feed(&app, FEED_2027_2028, &[]).await;
    assert_eq!(status, 200);
    let mut urls = urls_of(&text);
    urls.sort();
    urls.dedup();
    assert_eq!(
        urls,
        vec![
            app.url(&format!("/api/v1/twinnings/{nr}")),
            app.url(&format!("/api/v1/twinnings/{sn}"))
        ]
    );
    let vary: Vec<_> = headers.get_all("vary").iter().collect();
    assert!(
        vary.iter()
            .any(|v| v.to_str().unwrap().contains("X-Forwarded-Host")),
        "shared caches are told the links follow the forwarding headers: {vary:?}"
    );

    // The same URL at another host: the answer kept in memory for the first
    // host is not sent to the second.
    let (_, _, text) = fetch_feed(&app, FEED_2027_2028, &[("Host", "calendar.example.org")]).await;
    assert!(
        urls_of(&text)
            .iter()
            .all(|u| u.starts_with("http://calendar.example.org/api/v1/twinnings/")),
        "{text}"
    );
    // Behind a reverse proxy that terminates TLS.
    let (_, _, text) = fetch_feed(
        &app,
        FEED_2027_2028,
        &[
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "twinning.example.org"),
        ],
    )
    .await;
    assert_eq!(
        urls_of(&text)[0],
        format!("https://twinning.example.org/api/v1/twinnings/{nr}")
    );
}

#[actix_web::test]
async fn with_public_url_set_event_urls_are_under_it_whatever_host_is_asked() {
    let app = spawn_app_with(ServeArgs {
        public_url: Some("https://twinning.example.org/registry/".parse().unwrap()),
        ..ServeArgs::from_env()
    })
    .await;
    let (_, nr, _) = story_twinnings(&app).await;
    for headers in [
        vec![],
        vec![("Host", "calendar.example.org")],
        vec![("X-Forwarded-Host", "elsewhere.example.net")],
    ] {
        let (status, response_headers, text) = fetch_feed(&app, FEED_2027_2028, &headers).await;
        assert_eq!(status, 200);
        assert_eq!(
            urls_of(&text)[0],
            format!("https://twinning.example.org/registry/api/v1/twinnings/{nr}"),
            "{headers:?}"
        );
        assert!(
            response_headers
                .get_all("vary")
                .iter()
                .all(|v| !v.to_str().unwrap().contains("Forwarded")),
            "{response_headers:?}"
        );
    }
}

#[actix_web::test]
async fn a_server_given_a_bad_public_url_refuses_to_start_and_says_why() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    for (bad, why) in [
        ("twinning.example.org", "absolute http(s) URL"),
        ("ftp://twinning.example.org", "http:// or https://"),
        ("https://twinning.example.org/?lang=en", "no query"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_twinning"))
            .arg("serve")
            .env("DATABASE_URL", dir.path().join("bad-url.db"))
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("PUBLIC_URL", bad)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(20) {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("the server started with PUBLIC_URL={bad}");
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success(), "{bad}");
        assert!(
            stderr.contains("PUBLIC_URL") && stderr.contains(bad) && stderr.contains(why),
            "{bad}: {stderr}"
        );
    }
}

#[actix_web::test]
async fn the_ics_feed_keeps_to_rfc_5545_lines_escapes_and_stable_identities() {
    let app = spawn_app().await;
    let (c, _, _) = story_twinnings(&app).await;
    // Commas, semicolons and a backslash must be escaped in TEXT; a long
    // name makes lines that must be folded, one with multi-byte characters.
    let odd = app
        .create_city(json!({"name": "Frankfurt (Oder); Słubice, twin town \\ of the Oder", "country_code": "DE"}))
        .await;
    let long = app
        .create_city(json!({"name": "Великий Новгород на Волхове и его окрестности, древний город", "country_code": "RU"}))
        .await;
    app.create_twinning(
        json!({"city_ids": [odd, c.sapporo], "kind": "partner_city", "established": "2007-06-15"}),
    )
    .await;
    app.create_twinning(
        json!({"city_ids": [long, c.rochester], "kind": "sister_city", "established": "1990"}),
    )
    .await;

    let (status, headers, text) = fetch_feed(&app, FEED_2027_2028, &[]).await;
    assert_eq!(status, 200);
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    for line in text.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(text.contains("PRODID:-//Twinning Registry//Anniversaries//EN\r\n"));
    let unfolded = text.replace("\r\n ", "");
    assert!(
        unfolded.contains("Frankfurt (Oder)\\; Słubice\\, twin town \\\\ of the Oder"),
        "{unfolded}"
    );
    let events = events_of(&text);
    assert_eq!(events.len(), 8);
    let odd_event = events
        .iter()
        .find(|e| e.get_summary().unwrap().contains("Frankfurt"))
        .unwrap();
    assert_eq!(
        odd_event.get_summary(),
        Some(
            "20 years of twinning: Sapporo (JP) – Frankfurt (Oder); Słubice, twin town \\ of the Oder (DE)"
        )
    );
    let mut uids: Vec<&str> = events.iter().map(|e| e.get_uid().unwrap()).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), events.len(), "UIDs are unique");
    assert!(
        events.iter().all(|e| e.get_timestamp().is_some()),
        "DTSTAMP"
    );
    assert!(
        events
            .iter()
            .all(|e| e.property_value("TRANSP") == Some("TRANSPARENT"))
    );

    // A subscriber polling with the tag it has is told nothing changed: the
    // feed is byte for byte the same, its UIDs and DTSTAMPs with it.
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, _, body) = fetch_feed(&app, FEED_2027_2028, &[("If-None-Match", &etag)]).await;
    assert_eq!(status, 304);
    assert_eq!(body, "");
    let again = render_feed_afresh(&app).await;
    assert_eq!(again, text);
}

/// The feed read once more with the response cache bypassed by a new query
/// string order, so that the handler renders it afresh.
async fn render_feed_afresh(app: &TestApp) -> String {
    let (status, _, text) = fetch_feed(
        app,
        "/api/v1/anniversaries.ics?to=2028-12-31&from=2027-01-01",
        &[],
    )
    .await;
    assert_eq!(status, 200);
    text
}
