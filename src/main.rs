use clap::Parser;
use std::net::TcpListener;
use std::process::ExitCode;
use twinning::config::{Cli, Command, ServeArgs};
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
            let added = twinning::seed::demo(&mut conn).map_err(|e| e.describe())?;
            println!(
                "demo data in {url}: added {} cities, {} twinnings, {} events",
                added.cities, added.twinnings, added.events
            );
            Ok(())
        }
        Some(Command::Token(command)) => twinning::tokens::cli::run(&cli.database_url, command),
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
