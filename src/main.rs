use clap::Parser;
use std::net::TcpListener;
use std::process::ExitCode;
use twinning::config::{Cli, Command, ServeArgs, TokenCommand};
use twinning::db::{DatabaseUrl, Db, run_migrations};

fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("twinning: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Some(Command::Openapi) => {
            print!("{}", twinning::openapi::to_pretty_json());
            Ok(())
        }
        Some(Command::Migrate) => {
            let url = DatabaseUrl::parse(&cli.database_url)?;
            let mut conn = url.establish()?;
            let applied = run_migrations(&mut conn)?;
            log::info!("{url}: {} migration(s) applied", applied.len());
            Ok(())
        }
        Some(Command::Seed(_)) => {
            let url = DatabaseUrl::parse(&cli.database_url)?;
            let mut conn = url.establish()?;
            run_migrations(&mut conn)?;
            let added = twinning::seed::demo(&mut conn).map_err(describe)?;
            println!(
                "demo data in {url}: added {} cities, {} twinnings, {} events",
                added.cities, added.twinnings, added.events
            );
            Ok(())
        }
        Some(Command::Token(command)) => token(&cli.database_url, command),
        Some(Command::Import(args)) => twinning::transfer::cli::import(&cli.database_url, &args),
        Some(Command::BenchData(args)) => {
            let url = DatabaseUrl::parse(&cli.database_url)?;
            let mut conn = url.establish()?;
            run_migrations(&mut conn)?;
            let (twinnings, events) =
                twinning::benchdata::generate(&mut conn, args.twinnings, args.events, args.seed)?;
            println!("added {twinnings} twinnings and {events} events");
            Ok(())
        }
        Some(Command::Export(args)) => twinning::transfer::cli::export(&cli.database_url, &args),
        Some(Command::Serve(args)) => serve(&cli.database_url, &args),
        None => serve(&cli.database_url, &ServeArgs::from_env()),
    }
}

#[actix_web::main]
async fn serve(database_url: &str, args: &ServeArgs) -> Result<(), String> {
    let url = DatabaseUrl::parse(database_url)?;
    let db = Db::connect(&url, args.db_pool_size)?;
    let listener = TcpListener::bind(&args.bind_addr)
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind_addr))?;
    log::info!(
        "serving on http://{} ({url}); docs at http://{}/docs/",
        args.bind_addr,
        args.bind_addr
    );
    twinning::startup::run(listener, db, args)
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())
}

fn token(database_url: &str, command: TokenCommand) -> Result<(), String> {
    use twinning::tokens::queries;
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = url.establish()?;
    run_migrations(&mut conn)?;
    let now = twinning::clock::now();
    match command {
        TokenCommand::Create {
            name,
            admin,
            city,
            expires_in_days,
        } => {
            let (token, secret) =
                queries::create(&mut conn, &name, admin, &city, expires_in_days, now)
                    .map_err(describe)?;
            eprintln!(
                "created token {} \"{}\"; it is shown only this once:",
                token.id, token.name
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            for token in queries::list(&mut conn, None, i64::MAX).map_err(describe)? {
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
            queries::revoke(&mut conn, id, now).map_err(describe)?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}

fn describe(error: twinning::error::AppError) -> String {
    let fields: Vec<String> = error
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    if fields.is_empty() {
        error.detail
    } else {
        format!("{} ({})", error.detail, fields.join("; "))
    }
}
