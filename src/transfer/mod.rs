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
pub mod download;
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
use std::collections::{BTreeMap, BTreeSet};
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
    /// Its name, as `?format=` takes it and as a file ends.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }

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

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cities => "cities",
            Kind::Twinnings => "twinnings",
            Kind::Events => "events",
        }
    }
}

/// A record that could not be imported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"line": 145071, "name": "Ottawa", "ids": {"geonames_id": "6094817"}, "reasons": ["country_code: `XX` is not an ISO 3166-1 alpha-2 country code (e.g. RU, US, JP)"]}))]
pub struct Rejected {
    /// Line of the file where the record starts (the header is line 1 of a CSV file).
    pub line: u64,
    /// The record's `name` (or an event's `title`), to find it by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The identifiers the record gives (`id`, `wikidata_id`, `geonames_id`,
    /// a twinning's `city_a_id`, …), as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ids: BTreeMap<String, Value>,
    pub reasons: Vec<String>,
}

impl Rejected {
    /// A line that gave no record to name.
    pub fn at(line: u64, reasons: Vec<String>) -> Rejected {
        Rejected {
            line,
            name: None,
            ids: BTreeMap::new(),
            reasons,
        }
    }

    /// "line 7 (Ottawa, geonames_id 6094817)": where to find the record.
    pub fn place(&self) -> String {
        place(self.line, self.name.as_deref(), &self.ids)
    }

    /// The reasons, after the record's name and ids where it has them.
    pub fn message(&self) -> String {
        match about(self.name.as_deref(), &self.ids) {
            Some(about) => format!("{about}: {}", self.reasons.join("; ")),
            None => self.reasons.join("; "),
        }
    }

    fn of(record: &Record, reasons: Vec<String>) -> Rejected {
        let (name, ids) = record.identity();
        Rejected {
            line: record.line,
            name,
            ids,
            reasons,
        }
    }
}

fn place(line: u64, name: Option<&str>, ids: &BTreeMap<String, Value>) -> String {
    match about(name, ids) {
        Some(about) => format!("line {line} ({about})"),
        None => format!("line {line}"),
    }
}

/// `"Ottawa", geonames_id 6094817`: the record's name and ids, if it has any.
fn about(name: Option<&str>, ids: &BTreeMap<String, Value>) -> Option<String> {
    let mut what: Vec<String> = name.map(|n| format!("{n:?}")).into_iter().collect();
    what.extend(ids.iter().map(|(key, value)| match value {
        Value::String(s) => format!("{key} {s}"),
        other => format!("{key} {other}"),
    }));
    (!what.is_empty()).then(|| what.join(", "))
}

impl Warning {
    /// Where the record is, as for a rejected one.
    pub fn place(&self) -> String {
        place(self.line, self.name.as_deref(), &self.ids)
    }
}

/// A value an import dropped from a record it kept (see `strict`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"line": 145071, "name": "Ottawa", "ids": {"geonames_id": "6094817"}, "field": "alternate_names[19]", "value": "Ottawa\u{7}", "reason": "must not contain control characters"}))]
pub struct Warning {
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ids: BTreeMap<String, Value>,
    /// The field the value was dropped from, as the API names it.
    pub field: String,
    /// The dropped value (control characters escaped).
    pub value: String,
    pub reason: String,
}

/// How an import treats bad records and values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// One rejected record undoes the whole import.
    pub all_or_nothing: bool,
    /// A bad value in a list of names (`alternate_names`, `names`) rejects
    /// the record instead of being dropped with a warning.
    pub strict: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "created": 4, "updated": 0, "skipped": 0, "rejected_count": 1,
    "rejected": [{"line": 6, "reasons": ["latitude: must be between -90 and 90"]}],
    "ignored_columns": ["admin1_code"], "ignored_column_count": 1, "rolled_back": false,
    "warning_count": 0, "warnings": []
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
    pub warning_count: u64,
    /// The first 1000 values dropped from records that were kept: a bad
    /// alternate name does not cost the city (unless `strict`).
    pub warnings: Vec<Warning>,
}

impl ImportReport {
    fn reject(&mut self, rejected: Rejected) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_LISTED_REJECTIONS {
            self.rejected.push(rejected);
        }
    }

    fn warn(&mut self, warning: Warning) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_LISTED_REJECTIONS {
            self.warnings.push(warning);
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
        lenient: &mut Lenient,
    ) -> Result<Outcome, AppError> {
        match self {
            Matcher::Cities(index) => cities::import_one(conn, record, index, author, lenient),
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
    options: Options,
    report: ImportReport,
    ignored: Ignored,
}

/// What a record may lose and keep its place: the values dropped from it.
pub struct Lenient {
    pub strict: bool,
    /// (field, value, reason) of each value dropped from the current record.
    pub dropped: Vec<(String, String, String)>,
}

impl<'a> Importer<'a> {
    pub fn new<R: Read + Send + 'a>(
        conn: &mut DbConnection,
        kind: Kind,
        reader: R,
        format: Format,
        options: Options,
    ) -> Result<Importer<'a>, AppError> {
        Ok(Importer {
            records: records(reader, format).peekable(),
            matcher: Matcher::load(conn, kind)?,
            options,
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
        let all_or_nothing = self.options.all_or_nothing;
        let mut lenient = Lenient {
            strict: self.options.strict,
            dropped: Vec::new(),
        };
        let size = if all_or_nothing { usize::MAX } else { CHUNK };
        // The chunk's transaction is the outermost one and takes SQLite's
        // write lock at its start (`db::immediate`): inside another
        // transaction, as a savepoint, an import ran 8 times slower.
        let result = crate::db::immediate(conn, |conn| {
            for record in self.records.by_ref().take(size) {
                match record {
                    Err(rejected) => self.report.reject(rejected),
                    Ok(record) => {
                        let known = self.matcher.columns();
                        ignore_unknown(known, &record, &mut self.ignored, &mut self.report);
                        let matcher = &mut self.matcher;
                        lenient.dropped.clear();
                        let outcome = conn.transaction(|conn| {
                            matcher.import_one(conn, &record, author, &mut lenient)
                        });
                        match outcome {
                            Ok(Outcome::Created) => self.report.created += 1,
                            Ok(Outcome::Updated) => self.report.updated += 1,
                            Ok(Outcome::Skipped) => self.report.skipped += 1,
                            Err(error) => {
                                self.report.reject(Rejected::of(&record, reasons(error)));
                                continue;
                            }
                        }
                        let (name, ids) = record.identity();
                        for (field, value, reason) in lenient.dropped.drain(..) {
                            self.report.warn(Warning {
                                line: record.line,
                                name: name.clone(),
                                ids: ids.clone(),
                                field,
                                value,
                                reason,
                            });
                        }
                    }
                }
                let r = &self.report;
                if (r.created + r.updated + r.skipped + r.rejected_count).is_multiple_of(500) {
                    progress(&self.report);
                }
            }
            if all_or_nothing && self.report.rejected_count > 0 {
                return Err(AppError::conflict(
                    ErrorCode::NothingImported,
                    "a record was rejected",
                ));
            }
            // In the chunk's transaction: a sequence that cannot move undoes the chunk.
            advance_sequences(conn)
        });
        match result {
            Err(_) if all_or_nothing => {
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
    options: Options,
    author: &Principal,
    mut progress: impl FnMut(&ImportReport),
) -> Result<ImportReport, AppError> {
    let mut importer = Importer::new(conn, kind, reader, format, options)?;
    while importer.chunk(conn, author, &mut progress)? {}
    Ok(importer.finish())
}
