//! GeoJSON for maps: twinnings as lines between their cities, cities as points.
//! Items without coordinates are left out and counted in the foreign member
//! `omitted_without_coordinates`; `next_cursor` pages as in the JSON lists.

use crate::cities::filter::city_filter;
use crate::cities::model::CityRow;
use crate::cities::queries::{self as city_queries, CityKey};
use crate::db::Db;
use crate::error::AppError;
use crate::http::{PageParams, ValidQuery, paginate};
use crate::twinnings::filter::TwinningFilter;
use crate::twinnings::model::{TwinningKind, TwinningStatus};
use crate::twinnings::queries as twinning_queries;
use actix_web::{HttpResponse, web};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

const DEFAULT_FEATURES: i64 = 1000;
/// The largest page of features: a page costs about 30 ms of database time
/// per thousand twinnings on a registry of 100,000.
const MAX_FEATURES: i64 = 2000;
pub const GEOJSON: &str = "application/geo+json";

fn position(city: &CityRow) -> Option<[f64; 2]> {
    Some([city.longitude?, city.latitude?])
}

/// The line between two cities as RFC 7946 (3.1.9) wants it: a LineString,
/// or, when the shorter way crosses the antimeridian, a MultiLineString cut
/// there in two, so that maps draw it across the Pacific rather than the
/// long way round. Longitude is interpolated linearly, as a LineString is drawn.
fn line_between(from: [f64; 2], to: [f64; 2]) -> GeometryValue {
    let [from_lon, from_lat] = from;
    let [to_lon, to_lat] = to;
    let east = to_lon - from_lon;
    if east.abs() <= 180.0 {
        return GeometryValue::new_line_string([from, to]);
    }
    // Unwrap the far end onto the near side of the antimeridian.
    let (edge, unwrapped) = if east < 0.0 {
        (180.0, to_lon + 360.0)
    } else {
        (-180.0, to_lon - 360.0)
    };
    let share = (edge - from_lon) / (unwrapped - from_lon);
    let lat = from_lat + share * (to_lat - from_lat);
    GeometryValue::new_multi_line_string([[from, [edge, lat]], [[-edge, lat], to]])
}

fn collection(features: Vec<Feature>, omitted: usize, next_cursor: Option<String>) -> HttpResponse {
    let mut members = JsonObject::new();
    members.insert("omitted_without_coordinates".into(), json!(omitted));
    members.insert("next_cursor".into(), json!(next_cursor));
    let collection = FeatureCollection {
        bbox: None,
        features,
        foreign_members: Some(members),
    };
    HttpResponse::Ok()
        .content_type(GEOJSON)
        .body(collection.to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TwinningMapQuery {
    pub city_id: Option<i64>,
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "JP")]
    pub partner_country: Option<String>,
    pub kind: Option<TwinningKind>,
    pub status: Option<TwinningStatus>,
    #[param(example = "1990")]
    pub established_after: Option<String>,
    #[param(example = "1999-12")]
    pub established_before: Option<String>,
    #[param(example = "2015")]
    pub dormant_since: Option<String>,
    /// Only twinnings confirmed by both cities (`true`), or not yet by one (`false`).
    pub confirmed: Option<bool>,
    /// Twinnings per page (those without coordinates count too).
    #[param(minimum = 1, maximum = 2000, default = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// Twinnings as GeoJSON: one line between the two cities each (cut in two
/// where it crosses the antimeridian).
#[utoipa::path(
    get, path = "/api/v1/twinnings.geojson", tag = "maps",
    params(TwinningMapQuery),
    responses(
        (status = 200, description = "A FeatureCollection of LineStrings (properties: id, kind, status, established, confirmed, city_ids, city_names, country_codes), with the foreign members `omitted_without_coordinates` and `next_cursor`. A pair whose shorter way crosses the antimeridian is a MultiLineString cut there in two (RFC 7946, 3.1.9).",
            content_type = "application/geo+json", body = Object),
    )
)]
pub async fn twinnings_geojson(
    db: web::Data<Db>,
    query: ValidQuery<TwinningMapQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.0;
    let page = PageParams::<i64>::with_limits(
        q.limit,
        q.cursor.as_deref(),
        DEFAULT_FEATURES,
        MAX_FEATURES,
    )?;
    let conditions = TwinningFilter {
        city_id: q.city_id,
        country: q.country,
        partner_country: q.partner_country,
        kind: q.kind,
        status: q.status,
        established_after: q.established_after,
        established_before: q.established_before,
        dormant_since: q.dormant_since,
        confirmed: q.confirmed,
    }
    .conditions()?;
    let (limit, after) = (page.limit, page.after);
    let (rows, cities, next_cursor) = db
        .read(move |conn| {
            let rows = twinning_queries::list(conn, conditions, after, limit)?;
            let (rows, next) = paginate(rows, limit, |r| r.id);
            let ids = crate::twinnings::view::city_ids(&rows);
            Ok((rows, twinning_queries::full_cities(conn, &ids)?, next))
        })
        .await?;
    let mut omitted = 0;
    let mut features = Vec::with_capacity(rows.len());
    for row in rows {
        let pair = (cities.get(&row.city_low_id), cities.get(&row.city_high_id));
        let (Some(a), Some(b)) = pair else {
            omitted += 1;
            continue;
        };
        let (Some(from), Some(to)) = (position(a), position(b)) else {
            omitted += 1;
            continue;
        };
        let mut properties = JsonObject::new();
        properties.insert("id".into(), json!(row.id));
        properties.insert("kind".into(), json!(row.kind));
        properties.insert("status".into(), json!(row.status));
        properties.insert("established".into(), json!(row.established));
        properties.insert(
            "confirmed".into(),
            json!(row.confirmed_low.is_some() && row.confirmed_high.is_some()),
        );
        properties.insert("city_ids".into(), json!([a.id, b.id]));
        properties.insert("city_names".into(), json!([a.name, b.name]));
        properties.insert(
            "country_codes".into(),
            json!([a.country_code, b.country_code]),
        );
        features.push(Feature {
            bbox: None,
            geometry: Some(Geometry::new(line_between(from, to))),
            id: Some(geojson::feature::Id::Number(row.id.into())),
            properties: Some(properties),
            foreign_members: None,
        });
    }
    Ok(collection(features, omitted, next_cursor))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityMapQuery {
    /// As for `/api/v1/cities`.
    #[param(max_length = 200, example = "novgorod")]
    pub q: Option<String>,
    #[param(value_type = Option<crate::schemas::CountryCode>, example = "RU")]
    pub country: Option<String>,
    #[param(minimum = 1, maximum = 2000, default = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// Cities as GeoJSON Points, largest population first.
#[utoipa::path(
    get, path = "/api/v1/cities.geojson", tag = "maps",
    params(CityMapQuery),
    responses(
        (status = 200, description = "A FeatureCollection of Points (properties: id, name, names, country_code, population), with the foreign members `omitted_without_coordinates` and `next_cursor`",
            content_type = "application/geo+json", body = Object),
    )
)]
pub async fn cities_geojson(
    db: web::Data<Db>,
    query: ValidQuery<CityMapQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.0;
    let page = PageParams::<CityKey>::with_limits(
        q.limit,
        q.cursor.as_deref(),
        DEFAULT_FEATURES,
        MAX_FEATURES,
    )?;
    let Some(filter) = city_filter(q.q.as_deref(), q.country, page.after, page.limit)? else {
        return Ok(collection(Vec::new(), 0, None));
    };
    let rows = db
        .read(move |conn| city_queries::list(conn, &filter))
        .await?;
    let (rows, next_cursor) = paginate(rows, page.limit, city_queries::key);
    let mut omitted = 0;
    let mut features = Vec::with_capacity(rows.len());
    for city in rows {
        let Some(point) = position(&city) else {
            omitted += 1;
            continue;
        };
        let mut properties = JsonObject::new();
        properties.insert("id".into(), json!(city.id));
        properties.insert("name".into(), json!(city.name));
        properties.insert("names".into(), json!(&*city.names));
        properties.insert("country_code".into(), json!(city.country_code));
        properties.insert("population".into(), json!(city.population));
        features.push(Feature {
            bbox: None,
            geometry: Some(Geometry::new(GeometryValue::new_point(point))),
            id: Some(geojson::feature::Id::Number(city.id.into())),
            properties: Some(properties),
            foreign_members: None,
        });
    }
    Ok(collection(features, omitted, next_cursor))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::{Class, Policy, get, limited};
    cfg.service(limited(
        "/twinnings.geojson",
        Policy::Kept,
        Class::Lists,
        [get(twinnings_geojson)],
    ))
    .service(limited(
        "/cities.geojson",
        Policy::Kept,
        Class::Search,
        [get(cities_geojson)],
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(geometry: GeometryValue) -> Vec<Vec<[f64; 2]>> {
        let lines = match geometry {
            GeometryValue::LineString { coordinates } => vec![coordinates],
            GeometryValue::MultiLineString { coordinates } => coordinates,
            other => panic!("not a line: {other:?}"),
        };
        lines
            .into_iter()
            .map(|line| line.into_iter().map(|p| [p[0], p[1]]).collect())
            .collect()
    }

    #[test]
    fn a_line_that_stays_on_one_side_is_one_line_string() {
        let novgorod = [31.27104, 58.52131];
        let rochester = [-77.61556, 43.15478];
        assert_eq!(
            parts(line_between(novgorod, rochester)),
            vec![vec![novgorod, rochester]]
        );
        assert_eq!(
            parts(line_between([0.0, 0.0], [180.0, 10.0])),
            vec![vec![[0.0, 0.0], [180.0, 10.0]]]
        );
    }

    #[test]
    fn a_line_across_the_pacific_is_cut_at_the_antimeridian_either_way() {
        let sapporo = [141.35, 43.06];
        let rochester = [-77.6, 43.16];
        let east = parts(line_between(sapporo, rochester));
        let west = parts(line_between(rochester, sapporo));
        assert_eq!(east.len(), 2);
        assert_eq!(east[0][0], sapporo);
        assert_eq!(east[0][1][0], 180.0);
        assert_eq!(east[1][0][0], -180.0);
        assert_eq!(east[1][1], rochester);
        let lat = east[0][1][1];
        assert_eq!(east[1][0][1], lat, "both halves meet at one latitude");
        // 38.65° of the 141.05° between them lie west of the antimeridian.
        assert!((lat - (43.06 + 0.1 * 38.65 / 141.05)).abs() < 1e-9, "{lat}");
        assert_eq!(west[0][0], rochester);
        assert_eq!(west[0][1][0], -180.0);
        assert_eq!(west[1][0][0], 180.0);
        assert_eq!(west[1][1], sapporo);
        assert!((west[0][1][1] - lat).abs() < 1e-9);
    }
}

/// The operations above, for the API document (`crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(twinnings_geojson, cities_geojson,))]
pub struct Paths;
