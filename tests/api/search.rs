use crate::helpers::{TestApp, assert_problem, error_fields, spawn_app, story};
use serde_json::{Value, json};

async fn search(app: &TestApp, query: &str) -> Vec<String> {
    let response = app.get(&format!("/api/v1/cities?{query}")).await;
    assert_eq!(response.status().as_u16(), 200, "{query}");
    let page: Value = response.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["subdivision_code"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn story_app() -> TestApp {
    let app = spawn_app().await;
    for city in [
        story::veliky_novgorod(),
        story::rochester(),
        story::sapporo(),
        story::novosibirsk(),
        story::rochester_minnesota(),
    ] {
        app.create_city(city).await;
    }
    app
}

#[actix_web::test]
async fn the_cities_of_the_story_are_found_by_any_of_their_names() {
    let app = story_app().await;
    let cases = [
        ("q=novgorod", "Veliky Novgorod RU-NGR"),
        ("q=NOVGOROD", "Veliky Novgorod RU-NGR"),
        (
            "q=%D0%9D%D0%9E%D0%92%D0%93%D0%9E%D0%A0%D0%9E%D0%94",
            "Veliky Novgorod RU-NGR",
        ), // НОВГОРОД
        (
            "q=%D0%92%D0%B5%D0%BB%D0%B8%D0%BA%D0%B8%D0%B9",
            "Veliky Novgorod RU-NGR",
        ), // Великий
        ("q=velikiy", "Veliky Novgorod RU-NGR"),
        ("q=V%C3%A9liky", "Veliky Novgorod RU-NGR"), // Véliky: diacritics are ignored
        ("q=%E6%9C%AD%E5%B9%8C", "Sapporo JP-01"),   // 札幌
        ("q=sapporo", "Sapporo JP-01"),
        (
            "q=%D0%9D%D0%BE%D0%B2%D0%BE%D1%81%D0%B8%D0%B1",
            "Novosibirsk RU-NVS",
        ), // Новосиб
        (
            "q=%D1%80%D0%BE%D1%87%D0%B5%D1%81%D1%82%D0%B5%D1%80",
            "Rochester US-NY",
        ), // рочестер
    ];
    for (query, expected) in cases {
        assert_eq!(
            search(&app, query).await,
            vec![expected.to_string()],
            "{query}"
        );
    }
}

#[actix_web::test]
async fn a_prefix_finds_every_city_with_a_word_starting_with_it_largest_first() {
    let app = story_app().await;
    assert_eq!(
        search(&app, "q=nov").await,
        vec!["Novosibirsk RU-NVS", "Veliky Novgorod RU-NGR"]
    );
    assert_eq!(
        search(&app, "q=Rochester").await,
        vec!["Rochester US-NY", "Rochester US-MN"],
        "Rochester, NY is larger than Rochester, MN"
    );
}

#[actix_web::test]
async fn every_word_of_the_query_must_match() {
    let app = story_app().await;
    assert_eq!(
        search(&app, "q=veliky+nov").await,
        vec!["Veliky Novgorod RU-NGR"]
    );
    assert_eq!(search(&app, "q=veliky+sapporo").await, Vec::<String>::new());
}

#[actix_web::test]
async fn the_middle_of_a_word_does_not_match() {
    let app = story_app().await;
    assert_eq!(search(&app, "q=gorod").await, Vec::<String>::new());
}

#[actix_web::test]
async fn sql_and_like_metacharacters_match_nothing_but_themselves() {
    let app = story_app().await;
    for query in [
        "q=%25",
        "q=_",
        "q=%27%20OR%201%3D1%20--",
        "q=nov%25",
        "q=%5C",
    ] {
        let found = search(&app, query).await;
        assert!(
            found.is_empty() || found == vec!["Novosibirsk RU-NVS", "Veliky Novgorod RU-NGR"],
            "{query}: {found:?}"
        );
    }
    assert_eq!(search(&app, "q=%25").await, Vec::<String>::new());
    assert_eq!(search(&app, "q=_").await, Vec::<String>::new());
}

#[actix_web::test]
async fn the_country_filter_keeps_only_that_country() {
    let app = story_app().await;
    assert_eq!(
        search(&app, "country=RU").await,
        vec!["Novosibirsk RU-NVS", "Veliky Novgorod RU-NGR"]
    );
    assert_eq!(search(&app, "country=US&q=roch").await.len(), 2);
    assert_eq!(
        search(&app, "country=JP&q=roch").await,
        Vec::<String>::new()
    );
}

#[actix_web::test]
async fn following_next_cursor_visits_every_city_once_in_order() {
    let app = spawn_app().await;
    let populations = [
        Some(500),
        None,
        Some(1000),
        Some(500),
        None,
        Some(0),
        Some(7),
    ];
    let mut ids = Vec::new();
    for (i, population) in populations.iter().enumerate() {
        ids.push(
            app.create_city(json!({"name": format!("Town {i}"), "country_code": "FR", "population": population}))
                .await,
        );
    }
    // Expected: population descending, unknown last, ties by id.
    let mut expected: Vec<(Option<i64>, i64)> = populations
        .iter()
        .zip(&ids)
        .map(|(p, id)| (*p, *id))
        .collect();
    expected.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => y.cmp(&x).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    let expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();

    // The plain list, and a one-word search (ordered from the search index).
    // Short prefixes read the index of their first letters.
    for list in [
        "/api/v1/cities?limit=2",
        "/api/v1/cities?q=town&limit=2",
        "/api/v1/cities?q=t&limit=2",
        "/api/v1/cities?q=to&limit=2",
        "/api/v1/cities?q=tow&limit=2",
    ] {
        let (seen, pages) = follow(&app, list).await;
        assert_eq!(seen, expected, "{list}");
        assert_eq!(pages, 4, "{list}");
    }
}

/// Every id of a list, following `next_cursor`, and the number of pages.
async fn follow(app: &TestApp, list: &str) -> (Vec<i64>, usize) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{list}&cursor={c}"),
            None => list.to_string(),
        };
        let page: Value = app.get(&path).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|c| c["id"].as_i64().unwrap()));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    (seen, pages)
}

#[actix_web::test]
async fn a_search_follows_population_changes() {
    let app = spawn_app().await;
    let small = app
        .create_city(json!({"name": "Novaya Small", "country_code": "RU", "population": 10}))
        .await;
    let big = app
        .create_city(json!({"name": "Novaya Big", "country_code": "RU", "population": 20}))
        .await;
    assert_eq!(
        app.item_ids("/api/v1/cities?q=novaya").await,
        vec![big, small]
    );
    app.patch_json(
        &format!("/api/v1/cities/{small}"),
        &json!({"population": 30}),
    )
    .await;
    assert_eq!(
        app.item_ids("/api/v1/cities?q=novaya").await,
        vec![small, big]
    );
    app.patch_json(
        &format!("/api/v1/cities/{small}"),
        &json!({"population": null}),
    )
    .await;
    assert_eq!(
        app.item_ids("/api/v1/cities?q=novaya").await,
        vec![big, small],
        "unknown population last"
    );
}

#[actix_web::test]
async fn a_list_has_a_default_limit_of_50() {
    let app = spawn_app().await;
    for i in 0..51 {
        app.create_city(json!({"name": format!("Town {i}"), "country_code": "DE"}))
            .await;
    }
    let page: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert!(page["next_cursor"].is_string());
    let page: Value = app
        .get("/api/v1/cities?limit=200")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 51);
    assert_eq!(page["next_cursor"], Value::Null);
}

#[actix_web::test]
async fn bad_list_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=W251bGwsIm5vcGUiXQ", "cursor"),
        ("country=", "country"),
        ("country=ru", "country"),
        ("country=XX", "country"),
        ("colour=red", "colour"),
    ];
    for (query, field) in cases {
        let problem = assert_problem(
            app.get(&format!("/api/v1/cities?{query}")).await,
            400,
            "invalid_parameter",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{query}");
    }
    let long = "a".repeat(201);
    let problem = assert_problem(
        app.get(&format!("/api/v1/cities?q={long}")).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["q"]);
}

#[actix_web::test]
async fn list_items_leave_out_alternate_names_that_the_city_itself_has() {
    let app = story_app().await;
    let page: Value = app
        .get("/api/v1/cities?q=velikiy")
        .await
        .json()
        .await
        .unwrap();
    let item = &page["items"][0];
    assert_eq!(item["name"], "Veliky Novgorod");
    assert_eq!(item["names"]["ru"], "Великий Новгород");
    assert!(item.get("alternate_names").is_none(), "{item}");
    let city: Value = app
        .get(&format!("/api/v1/cities/{}", item["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        city["alternate_names"],
        json!(["Novgorod", "Velikiy Novgorod"])
    );
}

#[actix_web::test]
async fn an_empty_cursor_is_the_first_page() {
    let app = spawn_app().await;
    app.create_story_cities().await;
    for path in [
        "/api/v1/cities?limit=2",
        "/api/v1/twinnings?limit=2",
        "/api/v1/events?limit=2",
        "/api/v1/anniversaries?limit=2",
    ] {
        let first = app.get_json(path).await;
        let empty = app.get_json(&format!("{path}&cursor=")).await;
        assert_eq!(first, empty, "{path}");
    }
    let feed = app.get_json("/api/v1/changes?limit=2").await;
    assert_eq!(app.get_json("/api/v1/changes?limit=2&after=").await, feed);
}

#[actix_web::test]
async fn a_common_long_prefix_pages_in_order_as_a_rare_one_does() {
    let app = spawn_app().await;
    // 1,200 cities: "Novaville 7" and the like, populations with ties and gaps.
    let mut csv = String::from("name,country_code,population\n");
    for i in 0..1200 {
        let population = match i % 7 {
            0 => String::new(),
            n => ((i * 37) % 400 + n).to_string(),
        };
        csv.push_str(&format!("Novaville {i},FR,{population}\n"));
    }
    let mut conn = app.database_url.establish().unwrap();
    let report = twinning::transfer::import(
        &mut conn,
        twinning::transfer::Kind::Cities,
        csv.as_bytes(),
        twinning::transfer::Format::Csv,
        twinning::transfer::Options::default(),
        &twinning::tokens::Principal::command_line("test import"),
        |_| {},
    )
    .unwrap();
    assert_eq!(report.created, 1200);
    app.settle_external_write().await;
    let all = follow_pages(&app, "/api/v1/cities?q=novaville&country=FR&limit=100").await;
    assert_eq!(all.len(), 1200);
    // The same order from the plain list's sort, the short and the long prefixes.
    for list in [
        "/api/v1/cities?q=n&limit=100",
        "/api/v1/cities?q=nov&limit=100",
        "/api/v1/cities?q=novav&limit=100",
        "/api/v1/cities?q=novaville&limit=100",
    ] {
        assert_eq!(follow_pages(&app, list).await, all, "{list}");
    }
    let few = follow_pages(&app, "/api/v1/cities?q=novaville+119&limit=100").await;
    assert_eq!(few.len(), 11, "119 and 1190 to 1199: {few:?}");
}

/// Every id of a list, following `next_cursor`.
async fn follow_pages(app: &TestApp, list: &str) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{list}&cursor={c}"),
            None => list.to_string(),
        };
        let page: Value = app.get(&path).await.json().await.unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return seen,
        }
    }
}
