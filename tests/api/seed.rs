use crate::helpers::fresh_database;
use twinning::db::run_migrations;
use twinning::seed::{SeedReport, demo};

#[test]
fn the_demo_seed_loads_the_story_once() {
    let database = fresh_database();
    let mut conn = database.url.establish().unwrap();
    run_migrations(&mut conn).unwrap();
    let first = demo(&mut conn).unwrap();
    assert_eq!(
        first,
        SeedReport {
            cities: 4,
            twinnings: 2,
            events: 5
        }
    );
    let second = demo(&mut conn).unwrap();
    assert_eq!(
        second,
        SeedReport::default(),
        "a second run changes nothing"
    );
}
