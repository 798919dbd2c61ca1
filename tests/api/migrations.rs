use crate::helpers::{fresh_database, spawn_app_on};
use diesel::connection::SimpleConnection;
use twinning::db::{revert_all_migrations, revert_migrations_from, run_migrations};

#[test]
fn every_migration_goes_up_down_and_up_again() {
    let database = fresh_database();
    let mut conn = database.url.establish().unwrap();
    let applied = run_migrations(&mut conn).unwrap();
    assert!(!applied.is_empty());
    conn.batch_execute("SELECT id, name FROM cities").unwrap();
    revert_all_migrations(&mut conn).unwrap();
    assert!(
        conn.batch_execute("SELECT id FROM cities").is_err(),
        "cities is gone"
    );
    let again = run_migrations(&mut conn).unwrap();
    assert_eq!(again, applied);
    assert!(
        run_migrations(&mut conn).unwrap().is_empty(),
        "nothing is pending"
    );
}

/// What was stored before both sides' agreement was recorded was entered by
/// admins: its twinnings count as confirmed by both cities since they were
/// registered, and its events as reported by their sender.
#[actix_web::test]
async fn stored_twinnings_migrate_as_confirmed_by_both_and_events_as_reported_by_their_sender() {
    let database = fresh_database();
    let mut conn = database.url.establish().unwrap();
    run_migrations(&mut conn).unwrap();
    revert_migrations_from(&mut conn, "20261201000014").unwrap();
    conn.batch_execute(
        "INSERT INTO cities (id, name, names, alternate_names, country_code, created_at, updated_at) VALUES
            (1, 'Veliky Novgorod', '{}', '[]', 'RU', '2026-11-27 08:00:00', '2026-11-27 08:00:00'),
            (2, 'Rochester', '{}', '[]', 'US', '2026-11-27 08:00:00', '2026-11-27 08:00:00');
         INSERT INTO twinnings (id, city_low_id, city_high_id, kind, status, established, established_year,
            established_md, status_history, created_at, updated_at) VALUES
            (1, 1, 2, 'sister_city', 'active', '1990', 1990, 0,
             '[{\"status\": \"active\", \"since\": \"1990\", \"reason\": null}]',
             '2026-11-27 08:00:00', '2026-11-27 08:00:00');
         INSERT INTO events (id, twinning_id, kind, from_city_id, to_city_id, status, date, date_first,
            date_last, title, created_at, updated_at) VALUES
            (1, 1, 'video_greeting', 2, 1, 'completed', '2020', 20200101, 20201231,
             'Video greeting from Rochester', '2026-11-27 08:00:00', '2026-11-27 08:00:00');",
    )
    .unwrap();
    assert!(!run_migrations(&mut conn).unwrap().is_empty());
    drop(conn);

    let app = spawn_app_on(database);
    let twinning = app.get_json("/api/v1/twinnings/1").await;
    assert_eq!(twinning["confirmed"], true, "{twinning}");
    for side in twinning["confirmations"].as_array().unwrap() {
        assert_eq!(side["confirmed_at"], "2026-11-27T08:00:00Z", "{side}");
        assert_eq!(side["confirmed_by"]["token_id"], serde_json::Value::Null);
    }
    assert_eq!(
        twinning["status_history"][0]["by_city_id"],
        serde_json::Value::Null,
        "a stored history reads with no side"
    );
    let event = app.get_json("/api/v1/events/1").await;
    assert_eq!(
        event["reported_by"],
        serde_json::json!({"city_id": 2, "side": "sender"})
    );
    assert_eq!(event["review"], serde_json::Value::Null);
    // The migrated rows are written again as any other.
    let staff = app.city_client("Rochester international relations", &[2]);
    let response = staff
        .patch(app.url("/api/v1/events/1"))
        .json(&serde_json::json!({"title": "Video greeting from the people of Rochester"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}
