use crate::helpers::{assert_problem, error_fields, spawn_app};
use geojson::{GeoJson, GeometryValue};
use serde_json::{Value, json};

async fn geojson(app: &crate::helpers::TestApp, path: &str) -> (GeoJson, Value) {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let text = response.text().await.unwrap();
    let parsed: GeoJson = text.parse().expect("valid GeoJSON");
    (parsed, serde_json::from_str(&text).unwrap())
}

#[actix_web::test]
async fn twinnings_are_lines_between_their_cities_and_those_without_coordinates_are_counted() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let nowhere = app
        .create_city(json!({"name": "Pristina", "country_code": "XK"}))
        .await;
    let nr = app.create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"})).await;
    app.create_twinning(json!({"city_ids": [c.sapporo, c.novosibirsk], "kind": "sister_city", "established": "1990"})).await;
    app.create_twinning(json!({"city_ids": [c.sapporo, nowhere], "kind": "friendship_city"}))
        .await;

    let (parsed, raw) = geojson(&app, "/api/v1/twinnings.geojson").await;
    let GeoJson::FeatureCollection(collection) = parsed else {
        panic!("a FeatureCollection")
    };
    assert_eq!(collection.features.len(), 2);
    assert_eq!(raw["omitted_without_coordinates"], 1);
    assert_eq!(raw["next_cursor"], Value::Null);
    let first = &collection.features[0];
    let Some(geometry) = &first.geometry else {
        panic!("a geometry")
    };
    let GeometryValue::LineString { coordinates } = &geometry.value else {
        panic!("a LineString")
    };
    let points: Vec<Vec<f64>> = coordinates.iter().map(|p| p.as_slice().to_vec()).collect();
    assert_eq!(
        points,
        vec![vec![31.27104, 58.52131], vec![-77.61556, 43.15478]],
        "longitude first"
    );
    let properties = first.properties.as_ref().unwrap();
    assert_eq!(properties["id"], nr);
    assert_eq!(
        properties["city_names"],
        json!(["Veliky Novgorod", "Rochester"])
    );
    assert_eq!(properties["established"], "1990");
    assert_eq!(properties["kind"], "sister_city");

    let (_, raw) = geojson(
        &app,
        "/api/v1/twinnings.geojson?country=RU&partner_country=JP",
    )
    .await;
    assert_eq!(raw["features"].as_array().unwrap().len(), 1);
    assert_eq!(raw["omitted_without_coordinates"], 0);
    let (_, raw) = geojson(&app, "/api/v1/twinnings.geojson?limit=1").await;
    assert_eq!(raw["features"].as_array().unwrap().len(), 1);
    let cursor = raw["next_cursor"].as_str().unwrap();
    let (_, raw) = geojson(
        &app,
        &format!("/api/v1/twinnings.geojson?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(
        raw["features"][0]["properties"]["city_names"],
        json!(["Sapporo", "Novosibirsk"])
    );
}

#[actix_web::test]
async fn cities_are_points() {
    let app = spawn_app().await;
    app.create_story_cities().await;
    app.create_city(json!({"name": "Pristina", "country_code": "XK"}))
        .await;
    let (parsed, raw) = geojson(&app, "/api/v1/cities.geojson").await;
    let GeoJson::FeatureCollection(collection) = parsed else {
        panic!("a FeatureCollection")
    };
    assert_eq!(collection.features.len(), 4);
    assert_eq!(raw["omitted_without_coordinates"], 1);
    let sapporo = &raw["features"][0];
    assert_eq!(
        sapporo["geometry"],
        json!({"type": "Point", "coordinates": [141.35, 43.06667]})
    );
    assert_eq!(sapporo["properties"]["names"]["ja"], "札幌市");
    let (_, raw) = geojson(&app, "/api/v1/cities.geojson?country=RU&q=nov").await;
    assert_eq!(raw["features"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn bad_map_parameters_are_400() {
    let app = spawn_app().await;
    for (path, field) in [
        ("/api/v1/twinnings.geojson?limit=5001", "limit"),
        ("/api/v1/twinnings.geojson?country=ru", "country"),
        ("/api/v1/cities.geojson?limit=0", "limit"),
        ("/api/v1/cities.geojson?zoom=3", "zoom"),
    ] {
        let problem = assert_problem(app.get(path).await, 400, "invalid_parameter").await;
        assert_eq!(error_fields(&problem), vec![field], "{path}");
    }
}

#[actix_web::test]
async fn a_twinning_across_the_pacific_is_cut_at_the_antimeridian() {
    // RFC 7946, 3.1.9: drawn as one LineString from 141°E to 77°W, the line
    // would cross Asia, Europe and the Atlantic instead of the Pacific.
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let id = app
        .create_twinning(json!({"city_ids": [c.sapporo, c.rochester], "kind": "friendship_city"}))
        .await;
    let (parsed, _) = geojson(&app, "/api/v1/twinnings.geojson").await;
    let GeoJson::FeatureCollection(collection) = parsed else {
        panic!("a FeatureCollection")
    };
    let feature = &collection.features[0];
    assert_eq!(feature.properties.as_ref().unwrap()["id"], id);
    let Some(GeometryValue::MultiLineString { coordinates }) =
        feature.geometry.as_ref().map(|g| &g.value)
    else {
        panic!("a MultiLineString: {:?}", feature.geometry)
    };
    let halves: Vec<Vec<Vec<f64>>> = coordinates
        .iter()
        .map(|line| line.iter().map(|p| p.as_slice().to_vec()).collect())
        .collect();
    assert_eq!(halves.len(), 2);
    // The line runs from the pair's first city to its second, whichever way.
    let mut ends = [halves[0][0][0], halves[1][1][0]];
    ends.sort_by(f64::total_cmp);
    assert_eq!(
        ends,
        [-77.61556, 141.35],
        "Rochester and Sapporo: {halves:?}"
    );
    assert_eq!(halves[0][1][0].abs(), 180.0);
    assert_eq!(halves[1][0][0], -halves[0][1][0]);
    assert_eq!(halves[0][1][1], halves[1][0][1], "they meet");
}
