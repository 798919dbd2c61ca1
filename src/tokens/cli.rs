//! `twinning token create|list|revoke`: tokens made on the command line,
//! which holds the database itself.

use super::queries;
use crate::config::TokenCommand;
use crate::db::{DatabaseUrl, run_migrations};

/// Runs `twinning token create|list|revoke` on the database itself.
pub fn run(database_url: &str, command: TokenCommand) -> Result<(), String> {
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = url.establish()?;
    run_migrations(&mut conn)?;
    let now = crate::clock::now();
    match command {
        TokenCommand::Create {
            name,
            admin,
            city,
            expires_in_days,
        } => {
            let (token, secret) =
                queries::create(&mut conn, &name, admin, &city, expires_in_days, now)
                    .map_err(|e| e.describe())?;
            eprintln!(
                "created token {} \"{}\"; it is shown only this once:",
                token.id, token.name
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            for token in queries::list(&mut conn, None, i64::MAX).map_err(|e| e.describe())? {
                let scope = if token.admin {
                    "admin".to_string()
                } else {
                    format!("cities {:?}", token.city_ids)
                };
                let state = match (token.revoked_at, token.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) => format!("expires {at}"),
                    (None, None) => "no expiry".to_string(),
                };
                println!("{}\t{}\t{scope}\t{state}", token.id, token.name);
            }
        }
        TokenCommand::Revoke { id } => {
            queries::revoke(&mut conn, id, now).map_err(|e| e.describe())?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}
