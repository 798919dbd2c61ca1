//! `/api/v1/anniversaries`, its iCalendar feed, and one twinning's next anniversaries.

use super::ics;
use super::model::{Anniversary, AnniversaryDatePage, AnniversaryPage};
use super::queries::{self, AnniversaryKey, Window};
use crate::db::Db;
use crate::db::schema::twinnings;
use crate::error::AppError;
use crate::http::{BaseUrl, PageParams, ValidQuery, paginate, params};
use crate::twinnings::model::{TwinningKind, TwinningStatus};
use crate::twinnings::queries::{Condition, find as find_twinning, in_country, involves};
use crate::twinnings::view::{next_anniversary, render};
use actix_web::{HttpResponse, web};
use chrono::{Datelike, Months, NaiveDate};
use diesel::ExpressionMethods;
use serde::Deserialize;
use utoipa::IntoParams;

const MAX_WINDOW_YEARS: i32 = 50;
/// The feed holds at most this many events (the first in date order); narrow
/// the window or the filters for the rest. 5,000 cost 150–250 ms a request.
pub const MAX_FEED_EVENTS: i64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnniversaryQuery {
    /// First day of the window (YYYY-MM-DD; YYYY or YYYY-MM mean its first day). Default: today.
    #[param(example = "2020-01-01")]
    pub from: Option<String>,
    /// Last day of the window (YYYY-MM-DD; YYYY or YYYY-MM mean its last day). Default: one year
    /// after `from`; with `to` alone the window is the year up to `to`.
    #[param(example = "2020-12-31")]
    pub to: Option<String>,
    /// Keep only anniversaries whose number of years is a multiple of this: 5 keeps 5th, 10th, 15th…
    #[param(minimum = 1, maximum = 100, default = 1, example = 10)]
    pub every: Option<i32>,
    /// Only twinnings of this city.
    pub city_id: Option<i64>,
    /// Only twinnings with a city in this country.
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    pub kind: Option<TwinningKind>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnniversaryFeedQuery {
    /// First day of the window. Default: today.
    #[param(example = "2020-01-01")]
    pub from: Option<String>,
    /// Last day of the window. Default: one year after `from`.
    #[param(example = "2020-12-31")]
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 100, default = 1, example = 10)]
    pub every: Option<i32>,
    pub city_id: Option<i64>,
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    pub kind: Option<TwinningKind>,
}

struct Filter {
    window: Window,
    city_id: Option<i64>,
    country: Option<String>,
    kind: Option<TwinningKind>,
}

impl Filter {
    fn new(
        from: Option<&str>,
        to: Option<&str>,
        every: Option<i32>,
        city_id: Option<i64>,
        country: Option<String>,
        kind: Option<TwinningKind>,
    ) -> Result<Filter, AppError> {
        let from = params::date("from", from)?.map(|d| d.first_day());
        let to = params::date("to", to)?.map(|d| d.last_day());
        // A window of a year: from today, or up to `to` when only `to` is given.
        let year = Months::new(12);
        let (from, to) = match (from, to) {
            (Some(from), Some(to)) => (from, to),
            (Some(from), None) => (from, from.checked_add_months(year).unwrap_or(from)),
            (None, Some(to)) => (to.checked_sub_months(year).unwrap_or(to), to),
            (None, None) => {
                let today = crate::clock::today();
                (today, today.checked_add_months(year).unwrap_or(today))
            }
        };
        if to < from {
            return Err(AppError::invalid_parameter(
                "to",
                "must not be before `from`",
            ));
        }
        if to.year() - from.year() > MAX_WINDOW_YEARS {
            return Err(AppError::invalid_parameter(
                "to",
                format!("the window may span at most {MAX_WINDOW_YEARS} years"),
            ));
        }
        let every = every.unwrap_or(1);
        if !(1..=100).contains(&every) {
            return Err(AppError::invalid_parameter(
                "every",
                "must be between 1 and 100",
            ));
        }
        Ok(Filter {
            window: Window { from, to, every },
            city_id,
            country: params::country("country", country)?,
            kind,
        })
    }

    fn conditions(&self) -> Vec<Condition> {
        let mut conditions: Vec<Condition> = Vec::new();
        if let Some(city) = self.city_id {
            conditions.push(involves(city));
        }
        if let Some(country) = &self.country {
            conditions.push(in_country(country));
        }
        if let Some(kind) = self.kind {
            conditions.push(Box::new(twinnings::kind.eq(kind.as_str())));
        }
        conditions
    }
}

async fn anniversaries(
    db: &Db,
    filter: Filter,
    after: Option<AnniversaryKey>,
    limit: i64,
) -> Result<(Vec<Anniversary>, Option<String>), AppError> {
    let today = crate::clock::today();
    db.read(move |conn| {
        let found = queries::list(
            conn,
            &filter.window,
            || filter.conditions(),
            after,
            limit + 1,
        )?;
        let (found, next) = paginate(found, limit, |(year, row)| {
            (*year, row.established_md, row.id)
        });
        let (years, rows): (Vec<i32>, Vec<_>) = found.into_iter().unzip();
        let twinnings = render(conn, rows, today)?;
        let items = years
            .into_iter()
            .zip(twinnings)
            .filter_map(|(year, twinning)| {
                let start = twinning.established?;
                Some(Anniversary {
                    years: year - start.year,
                    date: start.plus_years(year - start.year),
                    twinning,
                })
            })
            .collect();
        Ok((items, next))
    })
    .await
}

/// Anniversaries of active twinnings in a date window, in date order.
#[utoipa::path(
    get, path = "/api/v1/anniversaries", tag = "anniversaries",
    params(AnniversaryQuery),
    responses(
        (status = 200, description = "One page of anniversaries in date order", body = AnniversaryPage),
    )
)]
pub async fn list_anniversaries(
    db: web::Data<Db>,
    query: ValidQuery<AnniversaryQuery>,
) -> Result<web::Json<AnniversaryPage>, AppError> {
    let q = query.0;
    let page = PageParams::<AnniversaryKey>::new(q.limit, q.cursor.as_deref())?;
    let filter = Filter::new(
        q.from.as_deref(),
        q.to.as_deref(),
        q.every,
        q.city_id,
        q.country,
        q.kind,
    )?;
    let (items, next_cursor) = anniversaries(&db, filter, page.after, page.limit).await?;
    Ok(web::Json(AnniversaryPage { items, next_cursor }))
}

/// The same anniversaries as an iCalendar (RFC 5545) feed for calendar apps.
#[utoipa::path(
    get, path = "/api/v1/anniversaries.ics", tag = "anniversaries",
    params(AnniversaryFeedQuery),
    responses(
        (status = 200, description = "One all-day event per anniversary (at most 1000, the first in date order); a year-precision \
start is shown on 1 January and a month-precision one on the 1st, with a note saying so. Each event links to its twinning by an \
absolute URL under the server's `PUBLIC_URL`, or else under the scheme and host the request was made to",
            content_type = "text/calendar", body = String),
    )
)]
pub async fn anniversary_feed(
    db: web::Data<Db>,
    base: BaseUrl,
    query: ValidQuery<AnniversaryFeedQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.0;
    let filter = Filter::new(
        q.from.as_deref(),
        q.to.as_deref(),
        q.every,
        q.city_id,
        q.country,
        q.kind,
    )?;
    let (items, _) = anniversaries(&db, filter, None, MAX_FEED_EVENTS).await?;
    let mut response = HttpResponse::Ok();
    base.vary(&mut response);
    Ok(response
        .content_type("text/calendar; charset=utf-8")
        .body(ics::calendar(&items, &base.url)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NextAnniversariesQuery {
    /// How many anniversaries.
    #[param(minimum = 1, maximum = 100, default = 5)]
    pub count: Option<i64>,
}

/// The next anniversaries of one twinning, from today.
#[utoipa::path(
    get, path = "/api/v1/twinnings/{id}/anniversaries", tag = "anniversaries",
    params(("id" = i64, Path, description = "Twinning id"), NextAnniversariesQuery),
    responses(
        (status = 200, description = "The next anniversaries; none without a start date or once ended", body = AnniversaryDatePage),
    )
)]
pub async fn next_anniversaries(
    db: web::Data<Db>,
    id: web::Path<i64>,
    query: ValidQuery<NextAnniversariesQuery>,
) -> Result<web::Json<AnniversaryDatePage>, AppError> {
    let id = id.into_inner();
    let count = query.0.count.unwrap_or(5);
    if !(1..=100).contains(&count) {
        return Err(AppError::invalid_parameter(
            "count",
            "must be between 1 and 100",
        ));
    }
    let row = db.read(move |conn| find_twinning(conn, id)).await?;
    let today: NaiveDate = crate::clock::today();
    let items = match row.established {
        Some(start) if row.status != TwinningStatus::Ended => {
            let first = next_anniversary(start, today).years;
            (0..count)
                .filter_map(|i| i32::try_from(i).ok())
                .map(|i| crate::twinnings::model::AnniversaryDate {
                    years: first + i,
                    date: start.plus_years(first + i),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(web::Json(AnniversaryDatePage {
        items,
        next_cursor: None,
    }))
}
