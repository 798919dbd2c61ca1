//! The command line and the settings it takes from the environment and `.env`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "twinning",
    version,
    about = "The registry of twin-city relationships: a JSON REST API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// SQLite file path (or sqlite://PATH), or a postgres:// URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "twinning.db",
        global = true
    )]
    pub database_url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Load data into the database.
    Seed(SeedArgs),
    /// Manage access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import cities, twinnings or events from CSV or JSON Lines (columns in the README).
    Import(ImportArgs),
    /// Export cities, twinnings or events as CSV or JSON Lines, in the columns import reads.
    Export(ExportArgs),
    /// Add synthetic twinnings and events for benchmarks (deterministic; no change records).
    BenchData(BenchDataArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchDataArgs {
    #[arg(long, default_value_t = 200_000)]
    pub twinnings: usize,
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// What the file holds.
    pub kind: crate::transfer::Kind,
    /// A .csv, .jsonl or .ndjson file, optionally gzipped (.csv.gz).
    pub file: std::path::PathBuf,
    /// The file's format, when its name does not tell.
    #[arg(long, value_enum)]
    pub format: Option<crate::transfer::Format>,
    /// Roll the whole import back if any record is rejected.
    #[arg(long)]
    pub all_or_nothing: bool,
    /// Reject a record for one bad name in its `alternate_names` or `names`,
    /// instead of dropping that name with a warning.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// What to export.
    pub kind: crate::transfer::Kind,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: crate::transfer::Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (alone, on stdout). It is not shown again.
    Create {
        /// Who holds it; shown in the change feed.
        #[arg(long)]
        name: String,
        /// May do everything.
        #[arg(long, conflicts_with = "city", required_unless_present = "city")]
        admin: bool,
        /// A city it may edit, with its twinnings and events (repeatable).
        #[arg(long = "city", value_name = "ID")]
        city: Vec<i64>,
        /// Days until it expires (no expiry by default).
        #[arg(long, value_name = "N")]
        expires_in_days: Option<i64>,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token; it stops working at once.
    Revoke {
        /// Token id, as `list` shows it.
        id: i64,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// The story of 2020: Veliky Novgorod and Rochester, Sapporo and Novosibirsk,
    /// their twinnings and the video greetings they exchanged. Running it again
    /// changes nothing.
    #[arg(long, required = true)]
    pub demo: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: String,

    /// Database connections kept open for reads (writes to SQLite use one more).
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_pool_size: u32,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Expensive reads of one class (city searches, filtered lists,
    /// anniversary windows) that may run at once; one more waits up to
    /// 2 s, then is answered 503 (default: half the pool, rounded up).
    #[arg(long, env = "EXPENSIVE_READS")]
    pub expensive_reads: Option<usize>,

    /// Largest file an import over HTTP accepts, in bytes.
    #[arg(long, env = "MAX_IMPORT_BYTES", default_value_t = 268_435_456)]
    pub max_import_bytes: u64,

    /// Seconds a client has to send the whole file of an import over HTTP.
    #[arg(long, env = "IMPORT_UPLOAD_SECS", default_value_t = 300)]
    pub import_upload_secs: u64,

    /// Worker threads serving HTTP (default: one per CPU core).
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,

    /// Open connections each worker accepts at most; more wait in the backlog.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 25_000)]
    pub max_connections: usize,

    /// Seconds a client has to send a request's head, and to close after shutdown.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    pub request_timeout_secs: u64,

    /// Seconds in-flight requests get to finish after SIGTERM before the process exits.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// Bytes of public read answers kept in memory while the registry is
    /// unchanged (0 turns the cache off).
    #[arg(long, env = "RESPONSE_CACHE_BYTES", default_value_t = 16_777_216)]
    pub response_cache_bytes: usize,

    /// Origins allowed to call the API from a browser (CORS), comma-separated,
    /// or `*` for any. CORS is off when unset.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS")]
    pub cors_allowed_origins: Option<String>,

    /// The absolute http(s) URL clients reach the API at, such as
    /// https://twinning.example.org, for links that leave the API (the
    /// calendar feed's). Default: the scheme and host each request was made to.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,

    /// Allow webhook receivers on loopback and private addresses (for tests
    /// and closed networks); refused by default.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// Seconds a webhook receiver has to answer one delivery.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub webhook_timeout_secs: u64,

    /// Webhook subscriptions delivered to at once (each in its own feed order).
    #[arg(long, env = "WEBHOOK_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub webhook_concurrency: u64,

    /// The first retry's delay in milliseconds; each next one doubles (with jitter), up to an hour.
    #[arg(long, env = "WEBHOOK_BACKOFF_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub webhook_backoff_ms: u64,

    /// Seconds a delivery is retried before its subscription is disabled (a day).
    #[arg(long, env = "WEBHOOK_GIVE_UP_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub webhook_give_up_secs: u64,
}

/// `PUBLIC_URL`: an http(s) URL with no query, fragment or credentials,
/// without its trailing slash, so that a path can be appended to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<PublicUrl, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| {
            format!("must be an absolute http(s) URL such as https://twinning.example.org ({e})")
        })?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err("must be an http:// or https:// URL with a host".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(
                "must have no query (?…) or fragment (#…): paths are appended to it".into(),
            );
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "must not hold credentials: every calendar subscriber would see them".into(),
            );
        }
        Ok(PublicUrl(url.as_str().trim_end_matches('/').to_string()))
    }
}

impl ServeArgs {
    /// The serve settings from the environment alone (when no subcommand is given).
    pub fn from_env() -> ServeArgs {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::parse_from(["twinning"]).args
    }
}

#[cfg(test)]
mod tests {
    use super::PublicUrl;

    fn public(text: &str) -> Result<String, String> {
        text.parse::<PublicUrl>().map(|u| u.as_str().to_string())
    }

    #[test]
    fn a_public_url_loses_its_trailing_slash_and_keeps_its_path() {
        assert_eq!(
            public("https://twinning.example.org/").unwrap(),
            "https://twinning.example.org"
        );
        assert_eq!(
            public("HTTP://Example.ORG:8080").unwrap(),
            "http://example.org:8080"
        );
        assert_eq!(
            public("https://example.org/registry/").unwrap(),
            "https://example.org/registry"
        );
    }

    #[test]
    fn a_public_url_that_cannot_take_a_path_is_refused() {
        for bad in [
            "twinning.example.org",
            "/api",
            "ftp://example.org",
            "mailto:registry@example.org",
            "https://example.org/?lang=en",
            "https://example.org/#top",
            "https://user:secret@example.org",
            "",
        ] {
            assert!(public(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
