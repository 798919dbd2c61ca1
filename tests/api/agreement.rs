//! Both sides agree: a twinning counts once each city has confirmed it, and
//! an exchange is reported by one side, edited only by that side and
//! reviewed by its sender when the recipient reported it.

use crate::helpers::{StoryCities, TestApp, assert_problem, error_fields, spawn_app};
use reqwest::{Client, Method};
use serde_json::{Value, json};

const NOVGOROD_STAFF: &str = "Veliky Novgorod international relations";
const ROCHESTER_STAFF: &str = "Rochester international relations";
const SAPPORO_STAFF: &str = "Sapporo international relations";

/// Sends a request and reads its status and JSON body (`null` when it has none).
async fn send(client: &Client, method: Method, url: String, body: Option<Value>) -> (u16, Value) {
    let request = client.request(method, url);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, json)
}

/// The confirmation of `city` in a twinning's `confirmations`.
fn side(twinning: &Value, city: i64) -> Value {
    twinning["confirmations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["city_id"] == city)
        .cloned()
        .unwrap_or_else(|| panic!("no confirmation of city {city} in {twinning}"))
}

/// The changes recorded for one entity, oldest first.
async fn history(app: &TestApp, entity: &str, id: i64) -> Vec<Value> {
    let page = app
        .get_json(&format!(
            "/api/v1/changes?entity={entity}&entity_id={id}&limit=200"
        ))
        .await;
    page["items"].as_array().unwrap().clone()
}

struct Story {
    app: TestApp,
    c: StoryCities,
    novgorod: Client,
    rochester: Client,
    sapporo: Client,
}

async fn story() -> Story {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    Story {
        novgorod: app.city_client(NOVGOROD_STAFF, &[c.novgorod]),
        rochester: app.city_client(ROCHESTER_STAFF, &[c.rochester]),
        sapporo: app.city_client(SAPPORO_STAFF, &[c.sapporo]),
        app,
        c,
    }
}

impl Story {
    /// Novgorod–Rochester, registered by an admin and confirmed by both sides.
    async fn novgorod_rochester(&self) -> i64 {
        let id = self
            .app
            .create_twinning(json!({"city_ids": [self.c.novgorod, self.c.rochester], "kind": "sister_city", "established": "1990"}))
            .await;
        for city in [self.c.novgorod, self.c.rochester] {
            let path = format!("/api/v1/twinnings/{id}/confirmations/{city}");
            assert_eq!(self.app.put(&path).await.status().as_u16(), 200);
        }
        id
    }

    fn url(&self, path: &str) -> String {
        self.app.url(path)
    }
}

#[actix_web::test]
async fn a_city_registers_for_its_own_side_and_the_twinning_counts_once_the_partner_confirms() {
    let s = story().await;
    let c = &s.c;
    let (status, proposed) = send(
        &s.novgorod,
        Method::POST,
        s.url("/api/v1/twinnings"),
        Some(json!({"city_ids": [c.sapporo, c.novgorod], "kind": "friendship_city", "established": "2026"})),
    )
    .await;
    assert_eq!(status, 201, "{proposed}");
    let id = proposed["id"].as_i64().unwrap();
    assert_eq!(proposed["confirmed"], false, "one side alone proposes");
    let own = side(&proposed, c.novgorod);
    assert_eq!(own["confirmed"], true);
    assert_eq!(own["confirmed_by"]["name"], NOVGOROD_STAFF);
    assert!(own["confirmed_at"].is_string());
    assert_eq!(
        side(&proposed, c.sapporo),
        json!({"city_id": c.sapporo, "confirmed": false, "confirmed_at": null, "confirmed_by": null})
    );
    assert_eq!(proposed["status_history"][0]["by_city_id"], c.novgorod);

    // Lists say which is which, and filter.
    let unconfirmed = s.app.item_ids("/api/v1/twinnings?confirmed=false").await;
    assert_eq!(unconfirmed, vec![id]);
    assert!(
        s.app
            .item_ids("/api/v1/twinnings?confirmed=true")
            .await
            .is_empty()
    );
    let sapporo_pending = s
        .app
        .item_ids(&format!(
            "/api/v1/cities/{}/twinnings?confirmed=false",
            c.sapporo
        ))
        .await;
    assert_eq!(sapporo_pending, vec![id]);
    let listed = s.app.get_json("/api/v1/twinnings").await;
    assert_eq!(listed["items"][0]["confirmed"], false);

    // Novgorod cannot confirm for Sapporo; a city not of the pair is not found.
    let (status, problem) = send(
        &s.novgorod,
        Method::PUT,
        s.url(&format!(
            "/api/v1/twinnings/{id}/confirmations/{}",
            c.sapporo
        )),
        None,
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let response = s
        .app
        .put(&format!(
            "/api/v1/twinnings/{id}/confirmations/{}",
            c.rochester
        ))
        .await;
    let problem = assert_problem(response, 404, "not_found").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not one of the two cities"),
        "{problem}"
    );
    assert_eq!(
        s.app.get_json(&format!("/api/v1/twinnings/{id}")).await["confirmed"],
        false,
        "nothing was confirmed by the refusals"
    );

    // Sapporo's staff confirm with one request; again changes nothing.
    let confirm = s.url(&format!(
        "/api/v1/twinnings/{id}/confirmations/{}",
        c.sapporo
    ));
    let (status, confirmed) = send(&s.sapporo, Method::PUT, confirm.clone(), None).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["confirmed"], true);
    assert_eq!(
        side(&confirmed, c.sapporo)["confirmed_by"]["name"],
        SAPPORO_STAFF
    );
    assert_eq!(
        side(&confirmed, c.novgorod),
        own,
        "Novgorod's confirmation stays as it was"
    );
    let changes = history(&s.app, "twinning", id).await.len();
    let (status, again) = send(&s.sapporo, Method::PUT, confirm, None).await;
    assert_eq!((status, &again), (200, &confirmed));
    let recorded = history(&s.app, "twinning", id).await;
    assert_eq!(recorded.len(), changes, "confirming again records nothing");

    // The feed shows the partner's act, so an integrator can mirror it.
    let last = recorded.last().unwrap();
    assert_eq!(last["action"], "update");
    assert_eq!(last["author"]["name"], SAPPORO_STAFF);
    assert_eq!(last["before"]["confirmed"], false);
    assert_eq!(last["after"]["confirmed"], true);
    assert_eq!(
        s.app.item_ids("/api/v1/twinnings?confirmed=true").await,
        vec![id]
    );
    let map = s
        .app
        .get_json("/api/v1/twinnings.geojson?confirmed=true")
        .await;
    assert_eq!(map["features"][0]["properties"]["confirmed"], true);
}

#[actix_web::test]
async fn status_changes_keep_both_confirmations_and_record_the_side_but_new_terms_ask_the_partner_again()
 {
    let s = story().await;
    let c = &s.c;
    let id = s.novgorod_rochester().await;
    let twinning = |id: i64| format!("/api/v1/twinnings/{id}");

    let (status, suspended) = send(
        &s.rochester,
        Method::PATCH,
        s.url(&twinning(id)),
        Some(json!({"status": "suspended", "status_since": "2022-03", "status_reason": "Paused by the city council"})),
    )
    .await;
    assert_eq!(status, 200, "{suspended}");
    let last = suspended["status_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last,
        json!({"status": "suspended", "since": "2022-03", "reason": "Paused by the city council", "by_city_id": c.rochester})
    );
    assert_eq!(
        suspended["confirmed"], true,
        "Novgorod's confirmation stays when Rochester suspends"
    );

    // Notes are no terms: both confirmations stay.
    let (status, noted) = send(
        &s.novgorod,
        Method::PATCH,
        s.url(&twinning(id)),
        Some(json!({"notes": "Greetings exchanged in 2020."})),
    )
    .await;
    assert_eq!((status, noted["confirmed"].clone()), (200, json!(true)));

    // A new kind is a new agreement: Rochester confirms it again.
    let (status, changed) = send(
        &s.novgorod,
        Method::PATCH,
        s.url(&twinning(id)),
        Some(json!({"kind": "twin_town"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["confirmed"], false);
    assert_eq!(side(&changed, c.rochester)["confirmed"], false);
    assert_eq!(side(&changed, c.novgorod)["confirmed"], true);

    // Rochester confirms, then withdraws; Novgorod's stays throughout.
    let rochester_side = s.url(&format!(
        "/api/v1/twinnings/{id}/confirmations/{}",
        c.rochester
    ));
    let (status, _) = send(&s.rochester, Method::PUT, rochester_side.clone(), None).await;
    assert_eq!(status, 200);
    let (status, withdrawn) =
        send(&s.rochester, Method::DELETE, rochester_side.clone(), None).await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["confirmed"], false);
    assert_eq!(side(&withdrawn, c.novgorod)["confirmed"], true);
    let (status, _) = send(&s.novgorod, Method::DELETE, rochester_side, None).await;
    assert_eq!(status, 403, "Novgorod cannot withdraw for Rochester");

    // An admin's change of terms asks no one again.
    let (status, _) = send(
        &s.rochester,
        Method::PUT,
        s.url(&format!(
            "/api/v1/twinnings/{id}/confirmations/{}",
            c.rochester
        )),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let response = s
        .app
        .patch_json(&twinning(id), &json!({"kind": "sister_city"}))
        .await;
    let by_admin: Value = response.json().await.unwrap();
    assert_eq!(by_admin["kind"], "sister_city");
    assert_eq!(by_admin["confirmed"], true);
}

#[actix_web::test]
async fn an_admin_confirms_for_either_side_and_one_side_cannot_remove_what_both_confirmed() {
    let s = story().await;
    let c = &s.c;
    let nr = s
        .app
        .create_twinning(json!({"city_ids": [c.novgorod, c.rochester], "kind": "sister_city", "established": "1990"}))
        .await;
    let registered = s.app.get_json(&format!("/api/v1/twinnings/{nr}")).await;
    assert_eq!(
        registered["confirmed"], false,
        "an admin confirms no side by registering"
    );
    assert_eq!(registered["status_history"][0]["by_city_id"], Value::Null);
    for city in [c.novgorod, c.rochester] {
        let response = s
            .app
            .put(&format!("/api/v1/twinnings/{nr}/confirmations/{city}"))
            .await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let confirmed = s.app.get_json(&format!("/api/v1/twinnings/{nr}")).await;
    assert_eq!(confirmed["confirmed"], true);
    assert_eq!(
        side(&confirmed, c.rochester)["confirmed_by"]["name"],
        "test admin"
    );

    let (status, problem) = send(
        &s.novgorod,
        Method::DELETE,
        s.url(&format!("/api/v1/twinnings/{nr}")),
        None,
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("confirmed by city"),
        "{problem}"
    );
    assert_eq!(
        s.app.get(&format!("/api/v1/twinnings/{nr}")).await.status(),
        200
    );

    // A proposal the partner never confirmed may be withdrawn by its side.
    let (status, proposal) = send(
        &s.novgorod,
        Method::POST,
        s.url("/api/v1/twinnings"),
        Some(json!({"city_ids": [c.novgorod, c.sapporo], "kind": "cooperation"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        &s.novgorod,
        Method::DELETE,
        s.url(&format!("/api/v1/twinnings/{}", proposal["id"])),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        s.app
            .delete(&format!("/api/v1/twinnings/{nr}"))
            .await
            .status(),
        204
    );
}

#[actix_web::test]
async fn the_recipient_reports_what_it_received_and_the_sender_confirms_or_disputes_it() {
    let s = story().await;
    let c = &s.c;
    let nr = s.novgorod_rochester().await;
    let (status, greeting) = send(
        &s.novgorod,
        Method::POST,
        s.url(&format!("/api/v1/twinnings/{nr}/events")),
        Some(json!({"kind": "video_greeting", "from_city_id": c.rochester, "status": "completed", "date": "2020-05", "title": "Video greeting from Rochester", "languages": ["ru", "en"]})),
    )
    .await;
    assert_eq!(status, 201, "{greeting}");
    let id = greeting["id"].as_i64().unwrap();
    let event = s.url(&format!("/api/v1/events/{id}"));
    let review = s.url(&format!("/api/v1/events/{id}/review"));
    assert_eq!(
        greeting["reported_by"],
        json!({"city_id": c.novgorod, "side": "recipient"})
    );
    assert_eq!(
        greeting["review"],
        json!({"state": "pending", "reviewed_at": null, "reviewed_by": null, "reason": null})
    );

    // The sender's staff do not edit the recipient's report.
    for (method, body) in [
        (Method::PATCH, Some(json!({"date": "2020-06"}))),
        (Method::DELETE, None),
    ] {
        let (status, problem) = send(&s.rochester, method.clone(), event.clone(), body).await;
        assert_eq!(status, 403, "{method} {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("/review"),
            "the refusal says how the sender answers: {problem}"
        );
    }
    // The reporter does not review its own report.
    let (status, _) = send(
        &s.novgorod,
        Method::PUT,
        review.clone(),
        Some(json!({"verdict": "confirmed"})),
    )
    .await;
    assert_eq!(status, 403);

    // The sender disputes it, and the event says so.
    let (status, disputed) = send(
        &s.rochester,
        Method::PUT,
        review.clone(),
        Some(json!({"verdict": "disputed", "reason": "The greeting was sent in June."})),
    )
    .await;
    assert_eq!(status, 200, "{disputed}");
    assert_eq!(disputed["review"]["state"], "disputed");
    assert_eq!(
        disputed["review"]["reason"],
        "The greeting was sent in June."
    );
    assert_eq!(disputed["review"]["reviewed_by"]["name"], ROCHESTER_STAFF);
    assert_eq!(
        disputed["date"], "2020-05",
        "a review changes no fact of the report"
    );
    let read = s.app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(read["review"]["state"], "disputed");
    let last = history(&s.app, "event", id).await.pop().unwrap();
    assert_eq!(last["author"]["name"], ROCHESTER_STAFF);
    assert_eq!(last["after"]["review"]["state"], "disputed");

    // The reporter corrects its report: it awaits the sender again.
    let (status, corrected) = send(
        &s.novgorod,
        Method::PATCH,
        event.clone(),
        Some(json!({"date": "2020-06"})),
    )
    .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["review"]["state"], "pending");
    let (status, confirmed) = send(
        &s.rochester,
        Method::PUT,
        review.clone(),
        Some(json!({"verdict": "confirmed"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(confirmed["review"]["state"], "confirmed");
    assert_eq!(confirmed["review"]["reason"], Value::Null);

    // A review must say something.
    let (status, problem) = send(&s.rochester, Method::PUT, review.clone(), Some(json!({}))).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert_eq!(error_fields(&problem), vec!["verdict"]);
    let (status, problem) = send(
        &s.rochester,
        Method::PUT,
        review,
        Some(json!({"verdict": "pending"})),
    )
    .await;
    assert_eq!(
        status, 422,
        "only the sender's word is a verdict: {problem}"
    );
    assert_eq!(error_fields(&problem), vec!["verdict"]);
}

#[actix_web::test]
async fn only_the_reporting_side_or_an_admin_changes_a_report_and_no_city_reports_for_others() {
    let s = story().await;
    let c = &s.c;
    let nr = s.novgorod_rochester().await;
    let timeline = format!("/api/v1/twinnings/{nr}/events");

    // Rochester tells of what it sent: nothing to review.
    let (status, letter) = send(
        &s.rochester,
        Method::POST,
        s.url(&timeline),
        Some(json!({"kind": "letter", "from_city_id": c.rochester, "date": "2021", "status": "completed", "title": "Letter from Rochester"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        letter["reported_by"],
        json!({"city_id": c.rochester, "side": "sender"})
    );
    assert_eq!(letter["review"], Value::Null);
    let letter_url = s.url(&format!("/api/v1/events/{}", letter["id"]));
    for (method, body) in [
        (Method::PATCH, Some(json!({"title": "Our letter"}))),
        (Method::DELETE, None),
    ] {
        let (status, problem) = send(&s.novgorod, method, letter_url.clone(), body).await;
        assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    }
    let (status, problem) = send(
        &s.rochester,
        Method::PUT,
        format!("{letter_url}/review"),
        Some(json!({"verdict": "confirmed"})),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("nothing_to_review"))
    );
    let (status, edited) = send(
        &s.rochester,
        Method::PATCH,
        letter_url.clone(),
        Some(json!({"title": "Letter from the mayor of Rochester"})),
    )
    .await;
    assert_eq!(
        (status, edited["title"].clone()),
        (200, json!("Letter from the mayor of Rochester"))
    );

    // An admin's report is the admin's to change.
    let response = s
        .app
        .post_json(&timeline, &json!({"kind": "gift", "from_city_id": c.novgorod, "date": "2019", "status": "completed", "title": "Gift from Veliky Novgorod"}))
        .await;
    let gift: Value = response.json().await.unwrap();
    assert_eq!(
        gift["reported_by"],
        json!({"city_id": null, "side": "admin"})
    );
    assert_eq!(gift["review"], Value::Null);
    let gift_url = s.url(&format!("/api/v1/events/{}", gift["id"]));
    let (status, problem) = send(
        &s.novgorod,
        Method::PATCH,
        gift_url.clone(),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("reported by an admin")
    );
    assert_eq!(
        s.app
            .patch_json(
                &format!("/api/v1/events/{}", gift["id"]),
                &json!({"title": "Gift of books"})
            )
            .await
            .status(),
        200
    );

    // An event between other cities is refused, and nothing is stored.
    let novosibirsk = s
        .app
        .city_client("Novosibirsk international relations", &[c.novosibirsk]);
    let (status, _) = send(
        &novosibirsk,
        Method::POST,
        s.url(&timeline),
        Some(json!({"kind": "letter", "from_city_id": c.rochester, "date": "2021", "title": "Not ours"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &s.sapporo,
        Method::PUT,
        format!("{letter_url}/review"),
        Some(json!({"verdict": "disputed"})),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(s.app.item_ids(&timeline).await.len(), 2);
}

#[actix_web::test]
async fn an_admin_enters_a_citys_report_and_a_city_names_only_itself_as_reporter() {
    let s = story().await;
    let c = &s.c;
    let nr = s.novgorod_rochester().await;
    let timeline = format!("/api/v1/twinnings/{nr}/events");
    let letter = |from: i64, reporter: Value| {
        json!({"kind": "letter", "from_city_id": from, "date": "2019", "status": "completed",
               "title": "Letter from the archive", "reported_by_city_id": reporter})
    };

    // An admin enters Veliky Novgorod's record of a letter it received:
    // Novgorod reported it, so Rochester, the sender, reviews it.
    let (status, received) = send(
        &s.app.client,
        Method::POST,
        s.url(&timeline),
        Some(letter(c.rochester, json!(c.novgorod))),
    )
    .await;
    assert_eq!(status, 201, "{received}");
    assert_eq!(
        received["reported_by"],
        json!({"city_id": c.novgorod, "side": "recipient"})
    );
    assert_eq!(received["review"]["state"], "pending");
    let id = received["id"].as_i64().unwrap();
    let (status, reviewed) = send(
        &s.rochester,
        Method::PUT,
        s.url(&format!("/api/v1/events/{id}/review")),
        Some(json!({"verdict": "confirmed"})),
    )
    .await;
    assert_eq!(
        (status, &reviewed["review"]["state"]),
        (200, &json!("confirmed"))
    );
    // Novgorod's staff edit it as their own report.
    let (status, _) = send(
        &s.novgorod,
        Method::PATCH,
        s.url(&format!("/api/v1/events/{id}")),
        Some(json!({"date": "2019-03"})),
    )
    .await;
    assert_eq!(status, 200);

    // An admin names the sender: nothing to review. Null is the admin's own report.
    let (status, sent) = send(
        &s.app.client,
        Method::POST,
        s.url(&timeline),
        Some(letter(c.rochester, json!(c.rochester))),
    )
    .await;
    assert_eq!(
        (status, &sent["reported_by"]["side"], &sent["review"]),
        (201, &json!("sender"), &Value::Null)
    );
    let (status, own) = send(
        &s.app.client,
        Method::POST,
        s.url(&timeline),
        Some(letter(c.rochester, Value::Null)),
    )
    .await;
    assert_eq!(
        (status, &own["reported_by"]),
        (201, &json!({"city_id": null, "side": "admin"}))
    );

    // A city names itself (as by default), never its partner or a city outside the pair.
    let (status, ours) = send(
        &s.novgorod,
        Method::POST,
        s.url(&timeline),
        Some(letter(c.rochester, json!(c.novgorod))),
    )
    .await;
    assert_eq!(
        (status, &ours["reported_by"]["side"]),
        (201, &json!("recipient"))
    );
    let before = s.app.item_ids(&timeline).await.len();
    let (status, problem) = send(
        &s.novgorod,
        Method::POST,
        s.url(&timeline),
        Some(letter(c.rochester, json!(c.rochester))),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("forbidden")),
        "{problem}"
    );
    let (status, problem) = send(
        &s.app.client,
        Method::POST,
        s.url(&timeline),
        Some(letter(c.rochester, json!(c.sapporo))),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(error_fields(&problem), vec!["reported_by_city_id"]);
    assert_eq!(
        s.app.item_ids(&timeline).await.len(),
        before,
        "nothing stored"
    );
}

#[actix_web::test]
async fn imports_state_each_sides_confirmation_and_who_reported_an_event() {
    let app = spawn_app().await;
    let c = app.create_story_cities().await;
    let report = app.import_csv("twinnings",
        format!(
            "city_a_id,city_b_id,kind,established,city_a_confirmed,city_b_confirmed\n{},{},sister_city,1990,true,false\n{},{},sister_city,1990,TRUE,true\n",
            c.rochester, c.novgorod, c.sapporo, c.novosibirsk
        ),
    )
    .await;
    assert_eq!(report["created"], 2, "{report}");
    let pairs = app.get_json("/api/v1/twinnings").await;
    let nr = pairs["items"][0].clone();
    assert_eq!(side(&nr, c.rochester)["confirmed"], true);
    assert_eq!(side(&nr, c.rochester)["confirmed_by"]["name"], "test admin");
    assert_eq!(side(&nr, c.novgorod)["confirmed"], false);
    assert_eq!(pairs["items"][1]["confirmed"], true);
    let nr_id = nr["id"].as_i64().unwrap();

    // By id alone: city_a is the twinning's first city, as exported.
    let report = app
        .import_csv("twinnings", format!("id,city_a_confirmed\n{nr_id},true\n"))
        .await;
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(
        app.get_json(&format!("/api/v1/twinnings/{nr_id}")).await["confirmed"],
        true
    );
    let report = app
        .import_csv("twinnings", format!("id,city_b_confirmed\n{nr_id},true\n"))
        .await;
    assert_eq!(report["skipped"], 1, "already so: {report}");
    let response = app
        .client
        .post(app.url("/api/v1/import/twinnings"))
        .header("content-type", "text/csv")
        .body(format!("id,city_b_confirmed\n{nr_id},perhaps\n"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "nothing_imported").await;
    assert!(
        problem
            .to_string()
            .contains("city_b_confirmed: must be true or false"),
        "{problem}"
    );

    // Events: the reporter as the file says, else the sender.
    let report = app.import_csv("events",
        format!(
            "twinning_id,kind,from_city_id,status,date,title,reported_by_city_id\n{nr_id},letter,{r},completed,2020,Letter received,{n}\n{nr_id},letter,{n},completed,2020,Letter by an admin,\n",
            r = c.rochester,
            n = c.novgorod
        ),
    )
    .await;
    assert_eq!(report["created"], 2, "{report}");
    let report = app.import_csv("events",
        format!("twinning_id,kind,from_city_id,status,date,title\n{nr_id},gift,{},completed,2021,Gift\n", c.rochester),
    )
    .await;
    assert_eq!(report["created"], 1, "{report}");
    let timeline = app
        .get_json(&format!("/api/v1/twinnings/{nr_id}/events"))
        .await;
    let by_title = |title: &str| {
        timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["title"] == title)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_title("Letter received")["reported_by"]["side"],
        "recipient"
    );
    assert_eq!(by_title("Letter received")["review"]["state"], "pending");

    // The sender confirms the report; the same record again keeps that, a
    // changed one awaits the sender's review again, as an edit by the API does.
    let received = by_title("Letter received")["id"].as_i64().unwrap();
    let rochester = app.city_client(ROCHESTER_STAFF, &[c.rochester]);
    let (status, reviewed) = send(
        &rochester,
        Method::PUT,
        app.url(&format!("/api/v1/events/{received}/review")),
        Some(json!({"verdict": "confirmed"})),
    )
    .await;
    assert_eq!(
        (status, &reviewed["review"]["state"]),
        (200, &json!("confirmed"))
    );
    let row = |date: &str| {
        format!(
            "id,twinning_id,kind,from_city_id,status,date,title,reported_by_city_id\n{received},{nr_id},letter,{},completed,{date},Letter received,{}\n",
            c.rochester, c.novgorod
        )
    };
    let report = app.import_csv("events", row("2020")).await;
    assert_eq!(report["skipped"], 1, "{report}");
    let path = format!("/api/v1/events/{received}");
    assert_eq!(app.get_json(&path).await["review"]["state"], "confirmed");
    let report = app.import_csv("events", row("2020-05")).await;
    assert_eq!(report["updated"], 1, "{report}");
    let changed = app.get_json(&path).await;
    assert_eq!(changed["date"], "2020-05");
    assert_eq!(
        changed["review"],
        json!({"state": "pending", "reviewed_at": null, "reviewed_by": null, "reason": null})
    );
    assert_eq!(
        by_title("Letter by an admin")["reported_by"]["side"],
        "admin"
    );
    assert_eq!(
        by_title("Gift")["reported_by"],
        json!({"city_id": c.rochester, "side": "sender"})
    );
    let response = app
        .client
        .post(app.url("/api/v1/import/events"))
        .header("content-type", "text/csv")
        .body(format!(
            "twinning_id,kind,from_city_id,status,date,title,reported_by_city_id\n{nr_id},letter,{},completed,2020,Letter,{}\n",
            c.rochester, c.sapporo
        ))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "nothing_imported").await;
    assert!(
        problem.to_string().contains("reported_by_city_id"),
        "{problem}"
    );

    // The exports carry both, and read back the same.
    let csv = crate::helpers::run_cli(&app.database_url, &["export", "twinnings"]);
    assert!(
        csv.starts_with("id,city_a_id,city_b_id,kind,status,established,ended,notes,source_urls,status_history,city_a_confirmed,city_b_confirmed"),
        "{csv}"
    );
    assert!(csv.contains(",true,true"), "{csv}");
    let events = crate::helpers::run_cli(&app.database_url, &["export", "events"]);
    assert!(
        events
            .lines()
            .next()
            .unwrap()
            .ends_with(",in_reply_to,reported_by_city_id,review_state,review_reason"),
        "{events}"
    );
    // Each review as its state: pending for the letter Novgorod received,
    // nothing for the events their senders or an admin reported.
    assert!(
        events
            .lines()
            .any(|l| l.contains("Letter received") && l.ends_with(",pending,")),
        "{events}"
    );
    let report = app.import_csv("events", events.clone()).await;
    assert_eq!(
        (report["created"].as_i64(), report["updated"].as_i64()),
        (Some(0), Some(0)),
        "the export reads back unchanged: {report}"
    );

    // An import states a review: the importing token's, now; the same
    // verdict and reason again keep when and by whom.
    let review = |state: &str, reason: &str| {
        format!("id,review_state,review_reason\n{received},{state},{reason}\n")
    };
    let report = app
        .import_csv("events", review("disputed", "Sent in June"))
        .await;
    assert_eq!(report["updated"], 1, "{report}");
    let disputed = app.get_json(&path).await["review"].clone();
    assert_eq!(
        (
            &disputed["state"],
            &disputed["reason"],
            &disputed["reviewed_by"]["name"]
        ),
        (
            &json!("disputed"),
            &json!("Sent in June"),
            &json!("test admin")
        )
    );
    let report = app
        .import_csv("events", review("disputed", "Sent in June"))
        .await;
    assert_eq!(report["skipped"], 1, "{report}");
    assert_eq!(app.get_json(&path).await["review"], disputed);
    let exported = crate::helpers::run_cli(&app.database_url, &["export", "events"]);
    assert!(
        exported
            .lines()
            .any(|l| l.ends_with(",disputed,Sent in June")),
        "{exported}"
    );
    let report = app.import_csv("events", review("pending", "")).await;
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(app.get_json(&path).await["review"]["state"], "pending");

    // Refused: a review of what the sender or an admin reported, a reason
    // without a verdict, a state that is none.
    let gift = by_title("Gift")["id"].as_i64().unwrap();
    for (body, said) in [
        (
            format!("id,review_state\n{gift},confirmed\n"),
            "review_state: the event is reported by its sender",
        ),
        (
            review("pending", "Why"),
            "review_reason: is given only with review_state confirmed or disputed",
        ),
        (
            review("maybe", ""),
            "review_state: `maybe` is not one of the allowed values",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/import/events"))
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "nothing_imported").await;
        assert!(problem.to_string().contains(said), "{said}: {problem}");
    }
    assert_eq!(app.get_json(&path).await["review"]["state"], "pending");
}
