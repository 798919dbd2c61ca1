use crate::helpers::fresh_database;
use diesel::connection::SimpleConnection;
use twinning::db::{revert_all_migrations, run_migrations};

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
