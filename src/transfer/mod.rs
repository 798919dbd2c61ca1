//! Bulk import and export of cities, twinnings and events, as CSV or JSON
//! Lines, from the command line and over HTTP. An export read back by import
//! into an empty registry gives the same export again.
//!
//! Import reads a file record by record, checks each with the same rules as
//! the API, and writes in transactions of `CHUNK` records (or one transaction
//! for the whole file with `all_or_nothing`). A bad record is reported with its
//! line and reasons and skipped; every write is recorded in the change feed.

pub mod cities;
pub mod cli;
pub mod events;
pub mod export;
pub mod fields;
pub mod formula;
pub mod http;
mod read;
pub mod twinnings;

use crate::db::DbConnection;
use crate::error::{AppError, ErrorCode};
use crate::tokens::Principal;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::io::Read;
use utoipa::ToSchema;

/// The largest id a record may give: 2^53 − 1, exact in JavaScript clients
/// too, and far from the end of the databases' 64-bit sequences.
pub const MAX_ID: i64 = (1 << 53) - 1;

pub fn id_range_reason() -> String {
    format!("id: must be between 1 and {MAX_ID}")
}

/// Records written per transaction.
pub const CHUNK: usize = 2000;
/// Ignored columns listed in a report (all are counted).
const MAX_LISTED_COLUMNS: usize = 100;
/// Ignored columns counted (a file may invent any number of keys).
const MAX_COUNTED_COLUMNS: usize = 10_000;
/// Rejected records listed in a report (all are counted).
const MAX_LISTED_REJECTIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// From a file name: `.csv`, `.jsonl` or `.ndjson`, also gzipped (`.csv.gz`).
    pub fn from_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            Some(Format::Jsonl)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Cities,
    Twinnings,
    Events,
}

/// A record that could not be imported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"line": 12, "reasons": ["country_code: `XX` is not an ISO 3166-1 alpha-2 country code (e.g. RU, US, JP)"]}))]
pub struct Rejected {
    /// Line of the file (the header is line 1 of a CSV file).
    pub line: u64,
    pub reasons: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "created": 4, "updated": 0, "skipped": 0, "rejected_count": 1,
    "rejected": [{"line": 6, "reasons": ["latitude: must be between -90 and 90"]}],
    "ignored_columns": ["admin1_code"], "ignored_column_count": 1, "rolled_back": false
}))]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// Records identical to what the registry already holds.
    pub skipped: u64,
    pub rejected_count: u64,
    /// The first 1000 rejected records.
    pub rejected: Vec<Rejected>,
    /// Columns (or JSON keys) that are not part of the format and were
    /// ignored: the first 100 met, by name.
    pub ignored_columns: Vec<String>,
    /// How many distinct columns were ignored, listed or not (counted up to 10,100).
    pub ignored_column_count: u64,
    /// With `all_or_nothing`, true when a rejected record undid the whole import.
    pub rolled_back: bool,
}

impl ImportReport {
    fn reject(&mut self, rejected: Rejected) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_LISTED_REJECTIONS {
            self.rejected.push(rejected);
        }
    }
}

/// The records of a file, read one at a time.
pub type Records<'a> = Box<dyn Iterator<Item = Result<Record, Rejected>> + Send + 'a>;

/// What became of one record.
pub enum Outcome {
    Created,
    Updated,
    Skipped,
}

/// One record of a file: its fields by column name (`null` for an empty
/// CSV cell, absent when the file has no such column) and its line.
pub struct Record {
    pub line: u64,
    pub fields: Map<String, Value>,
}

/// Reads records from CSV (with a header) or JSON Lines (see `read`).
pub fn records<'a, R: Read + Send + 'a>(reader: R, format: Format) -> Records<'a> {
    match format {
        Format::Csv => read::csv_records(reader),
        Format::Jsonl => read::jsonl_records(reader),
    }
}

/// The reasons of a failed record, one per offending field.
fn reasons(error: AppError) -> Vec<String> {
    if error.errors.is_empty() {
        vec![error.detail]
    } else {
        error
            .errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }
}

/// What an import keeps between its chunks: the indexes records are matched by.
enum Matcher {
    Cities(cities::CityIndex),
    Twinnings(twinnings::Pairs),
    Events,
}

impl Matcher {
    fn load(conn: &mut DbConnection, kind: Kind) -> Result<Matcher, AppError> {
        Ok(match kind {
            Kind::Cities => Matcher::Cities(cities::CityIndex::load(conn)?),
            Kind::Twinnings => Matcher::Twinnings(twinnings::Pairs::load(conn)?),
            Kind::Events => Matcher::Events,
        })
    }

    fn columns(&self) -> &'static [&'static str] {
        match self {
            Matcher::Cities(_) => &cities::COLUMNS,
            Matcher::Twinnings(_) => &twinnings::COLUMNS,
            Matcher::Events => &events::COLUMNS,
        }
    }

    fn import_one(
        &mut self,
        conn: &mut DbConnection,
        record: &Record,
        author: &Principal,
    ) -> Result<Outcome, AppError> {
        match self {
            Matcher::Cities(index) => cities::import_one(conn, record, index, author),
            Matcher::Twinnings(pairs) => twinnings::import_one(conn, record, pairs, author),
            Matcher::Events => events::import_one(conn, record, author),
        }
    }
}

/// An import in progress: a file's records, written a chunk at a time, each
/// chunk in one transaction (the whole file in one with `all_or_nothing`)
/// and each record in a savepoint of its own, so that a failing one leaves
/// the others. Between chunks the connection is free for other writes.
pub struct Importer<'a> {
    records: std::iter::Peekable<Records<'a>>,
    matcher: Matcher,
    all_or_nothing: bool,
    report: ImportReport,
    ignored: Ignored,
}

impl<'a> Importer<'a> {
    pub fn new<R: Read + Send + 'a>(
        conn: &mut DbConnection,
        kind: Kind,
        reader: R,
        format: Format,
        all_or_nothing: bool,
    ) -> Result<Importer<'a>, AppError> {
        Ok(Importer {
            records: records(reader, format).peekable(),
            matcher: Matcher::load(conn, kind)?,
            all_or_nothing,
            report: ImportReport::default(),
            ignored: Ignored::default(),
        })
    }

    /// Writes the next chunk; `false` once the file is done.
    pub fn chunk(
        &mut self,
        conn: &mut DbConnection,
        author: &Principal,
        progress: &mut dyn FnMut(&ImportReport),
    ) -> Result<bool, AppError> {
        if self.records.peek().is_none() {
            return Ok(false);
        }
        let size = if self.all_or_nothing {
            usize::MAX
        } else {
            CHUNK
        };
        let result = conn.transaction(|conn| {
            for record in self.records.by_ref().take(size) {
                match record {
                    Err(rejected) => self.report.reject(rejected),
                    Ok(record) => {
                        let known = self.matcher.columns();
                        ignore_unknown(known, &record, &mut self.ignored, &mut self.report);
                        let matcher = &mut self.matcher;
                        match conn.transaction(|conn| matcher.import_one(conn, &record, author)) {
                            Ok(Outcome::Created) => self.report.created += 1,
                            Ok(Outcome::Updated) => self.report.updated += 1,
                            Ok(Outcome::Skipped) => self.report.skipped += 1,
                            Err(error) => self.report.reject(Rejected {
                                line: record.line,
                                reasons: reasons(error),
                            }),
                        }
                    }
                }
                let r = &self.report;
                if (r.created + r.updated + r.skipped + r.rejected_count).is_multiple_of(500) {
                    progress(&self.report);
                }
            }
            if self.all_or_nothing && self.report.rejected_count > 0 {
                return Err(AppError::conflict(
                    ErrorCode::NothingImported,
                    "a record was rejected",
                ));
            }
            // In the chunk's transaction: a sequence that cannot move undoes the chunk.
            advance_sequences(conn)
        });
        match result {
            Err(_) if self.all_or_nothing => {
                let report = &mut self.report;
                report.rolled_back = true;
                (report.created, report.updated, report.skipped) = (0, 0, 0);
            }
            other => other?,
        }
        progress(&self.report);
        Ok(self.records.peek().is_some())
    }

    pub fn finish(mut self) -> ImportReport {
        self.report.ignored_columns = self.ignored.names.into_iter().collect();
        self.report
    }
}

/// Notes the columns the format does not have: 100 names at most, however
/// many distinct keys a file invents.
fn ignore_unknown(
    known: &[&str],
    record: &Record,
    ignored: &mut Ignored,
    report: &mut ImportReport,
) {
    for key in record.fields.keys() {
        if known.contains(&key.as_str()) || ignored.names.contains(key) {
            continue;
        }
        if ignored.names.len() < MAX_LISTED_COLUMNS {
            ignored.names.insert(key.clone());
        } else if ignored.others.len() < MAX_COUNTED_COLUMNS {
            use std::hash::BuildHasher;
            ignored.others.insert(ignored.hasher.hash_one(key));
        }
        report.ignored_column_count = (ignored.names.len() + ignored.others.len()) as u64;
    }
}

/// The ignored columns: the first names, and hashes of the rest to count them.
#[derive(Default)]
struct Ignored {
    names: BTreeSet<String>,
    others: std::collections::HashSet<u64>,
    hasher: std::collections::hash_map::RandomState,
}

/// After rows were created with ids of their own, PostgreSQL's sequences must
/// move past them (SQLite's AUTOINCREMENT follows by itself).
pub fn advance_sequences(conn: &mut DbConnection) -> Result<(), AppError> {
    use diesel::RunQueryDsl;
    if let DbConnection::Postgres(pg) = conn {
        for table in ["cities", "twinnings", "events"] {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))
            .execute(pg)?;
        }
    }
    Ok(())
}

/// Imports one file of `kind` on one connection, chunk after chunk.
pub fn import<R: Read + Send>(
    conn: &mut DbConnection,
    kind: Kind,
    reader: R,
    format: Format,
    all_or_nothing: bool,
    author: &Principal,
    mut progress: impl FnMut(&ImportReport),
) -> Result<ImportReport, AppError> {
    let mut importer = Importer::new(conn, kind, reader, format, all_or_nothing)?;
    while importer.chunk(conn, author, &mut progress)? {}
    Ok(importer.finish())
}
