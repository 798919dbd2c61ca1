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
pub mod twinnings;

use crate::db::DbConnection;
use crate::error::{AppError, ErrorCode};
use crate::tokens::Principal;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use utoipa::ToSchema;

/// The largest id a record may give: 2^53 − 1, exact in JavaScript clients
/// too, and far from the end of the databases' 64-bit sequences.
pub const MAX_ID: i64 = (1 << 53) - 1;

pub fn id_range_reason() -> String {
    format!("id: must be between 1 and {MAX_ID}")
}

/// Records written per transaction.
pub const CHUNK: usize = 2000;
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
    "ignored_columns": ["admin1_code"], "rolled_back": false
}))]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// Records identical to what the registry already holds.
    pub skipped: u64,
    pub rejected_count: u64,
    /// The first 1000 rejected records.
    pub rejected: Vec<Rejected>,
    /// Columns (or JSON keys) that are not part of the format and were ignored.
    pub ignored_columns: Vec<String>,
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

/// Reads records from CSV (with a header) or JSON Lines.
pub fn records<'a, R: Read + 'a>(
    reader: R,
    format: Format,
) -> Box<dyn Iterator<Item = Result<Record, Rejected>> + 'a> {
    match format {
        Format::Csv => {
            let mut csv = csv::ReaderBuilder::new()
                .flexible(false)
                .from_reader(reader);
            let headers: Vec<String> = match csv.headers() {
                Ok(h) => h.iter().map(|h| h.trim().to_string()).collect(),
                Err(e) => {
                    return Box::new(std::iter::once(Err(Rejected {
                        line: 1,
                        reasons: vec![format!("the header cannot be read: {e}")],
                    })));
                }
            };
            Box::new(csv.into_records().map(move |row| {
                let row = row.map_err(|e| Rejected {
                    line: e.position().map_or(0, |p| p.line()),
                    reasons: vec![format!("not a CSV record: {e}")],
                })?;
                let line = row.position().map_or(0, |p| p.line());
                let fields = headers
                    .iter()
                    .zip(row.iter())
                    .map(|(h, v)| {
                        let value = if v.is_empty() {
                            Value::Null
                        } else {
                            Value::String(formula::restore(v).to_string())
                        };
                        (h.clone(), value)
                    })
                    .collect();
                Ok(Record { line, fields })
            }))
        }
        Format::Jsonl => Box::new(BufReader::new(reader).lines().enumerate().filter_map(
            |(i, line)| {
                let number = i as u64 + 1;
                match line {
                    Err(e) => Some(Err(Rejected {
                        line: number,
                        reasons: vec![format!("cannot be read: {e}")],
                    })),
                    Ok(text) if text.trim().is_empty() => None,
                    Ok(text) => Some(match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Object(fields)) => Ok(Record {
                            line: number,
                            fields,
                        }),
                        Ok(_) => Err(Rejected {
                            line: number,
                            reasons: vec!["must be a JSON object".into()],
                        }),
                        Err(e) => Err(Rejected {
                            line: number,
                            reasons: vec![format!("not valid JSON: {e}")],
                        }),
                    }),
                }
            },
        )),
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

/// Imports records with `handle`, in chunked transactions (or one), each
/// record in a savepoint of its own so that a failing one leaves the others.
pub fn run(
    conn: &mut DbConnection,
    records: impl Iterator<Item = Result<Record, Rejected>>,
    known_columns: &[&str],
    all_or_nothing: bool,
    mut handle: impl FnMut(&mut DbConnection, &Record) -> Result<Outcome, AppError>,
    mut progress: impl FnMut(&ImportReport),
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    let mut ignored = BTreeSet::new();
    let mut records = records.peekable();
    let chunk = if all_or_nothing { usize::MAX } else { CHUNK };
    let mut failed_whole = false;
    while records.peek().is_some() {
        let result = conn.transaction(|conn| {
            for record in records.by_ref().take(chunk) {
                match record {
                    Err(rejected) => report.reject(rejected),
                    Ok(record) => {
                        for key in record.fields.keys() {
                            if !known_columns.contains(&key.as_str()) {
                                ignored.insert(key.clone());
                            }
                        }
                        match conn.transaction(|conn| handle(conn, &record)) {
                            Ok(Outcome::Created) => report.created += 1,
                            Ok(Outcome::Updated) => report.updated += 1,
                            Ok(Outcome::Skipped) => report.skipped += 1,
                            Err(error) => report.reject(Rejected {
                                line: record.line,
                                reasons: reasons(error),
                            }),
                        }
                    }
                }
                if (report.created + report.updated + report.skipped + report.rejected_count) % 500
                    == 0
                {
                    progress(&report);
                }
            }
            if all_or_nothing && report.rejected_count > 0 {
                return Err(AppError::conflict(
                    ErrorCode::NothingImported,
                    "a record was rejected",
                ));
            }
            // In the chunk's transaction: a sequence that cannot move undoes the chunk.
            advance_sequences(conn)
        });
        if result.is_err() && all_or_nothing {
            failed_whole = true;
        } else {
            result?;
        }
        progress(&report);
    }
    if failed_whole {
        report.rolled_back = true;
        report.created = 0;
        report.updated = 0;
        report.skipped = 0;
    }
    report.ignored_columns = ignored.into_iter().collect();
    Ok(report)
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

/// Imports one file of `kind`.
pub fn import<R: Read>(
    conn: &mut DbConnection,
    kind: Kind,
    reader: R,
    format: Format,
    all_or_nothing: bool,
    author: &Principal,
    progress: impl FnMut(&ImportReport),
) -> Result<ImportReport, AppError> {
    let records = records(reader, format);
    match kind {
        Kind::Cities => cities::import(conn, records, all_or_nothing, author, progress),
        Kind::Twinnings => twinnings::import(conn, records, all_or_nothing, author, progress),
        Kind::Events => events::import(conn, records, all_or_nothing, author, progress),
    }
}
