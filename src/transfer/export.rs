//! Writing the registry out, by id, in the columns `import` reads.

use super::{Format, Kind};
use crate::cities::model::{City, CityRow};
use crate::db::DbConnection;
use crate::db::schema::{cities, events, twinnings};
use crate::error::AppError;
use diesel::prelude::*;
use serde_json::Value;
use std::io::Write;

const BATCH: i64 = 1000;

/// A CSV cell: lists joined by `|`, objects as JSON text, nothing for null
/// or an empty list or object; text that a spreadsheet would run as a
/// formula is neutralised. (JSON Lines keep the values as JSON: lists as
/// arrays, never null.)
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Object(map) if map.is_empty() => String::new(),
        Value::String(s) => super::formula::neutralise(s),
        Value::Array(items) if items.iter().all(Value::is_string) => super::formula::neutralise(
            &items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("|"),
        ),
        other => other.to_string(),
    }
}

struct Sink<W: Write> {
    format: Format,
    columns: &'static [&'static str],
    csv: Option<csv::Writer<W>>,
    plain: Option<W>,
}

impl<W: Write> Sink<W> {
    fn new(out: W, format: Format, columns: &'static [&'static str]) -> Result<Sink<W>, AppError> {
        match format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(columns).map_err(AppError::internal)?;
                Ok(Sink {
                    format,
                    columns,
                    csv: Some(csv),
                    plain: None,
                })
            }
            Format::Jsonl => Ok(Sink {
                format,
                columns,
                csv: None,
                plain: Some(out),
            }),
        }
    }

    fn write(&mut self, values: Vec<Value>) -> Result<(), AppError> {
        match (self.format, &mut self.csv, &mut self.plain) {
            (Format::Csv, Some(csv), _) => csv
                .write_record(values.iter().map(cell))
                .map_err(AppError::internal),
            (Format::Jsonl, _, Some(out)) => {
                let object: serde_json::Map<String, Value> = self
                    .columns
                    .iter()
                    .map(|c| c.to_string())
                    .zip(values)
                    .collect();
                serde_json::to_writer(&mut *out, &object).map_err(AppError::internal)?;
                out.write_all(b"\n").map_err(AppError::internal)
            }
            _ => Err(AppError::internal("export sink")),
        }
    }

    fn finish(self) -> Result<(), AppError> {
        if let Some(mut csv) = self.csv {
            csv.flush().map_err(AppError::internal)?;
        }
        if let Some(mut out) = self.plain {
            out.flush().map_err(AppError::internal)?;
        }
        Ok(())
    }
}

/// Writes every record of `kind`; returns how many.
pub fn export<W: Write>(
    conn: &mut DbConnection,
    kind: Kind,
    format: Format,
    out: W,
) -> Result<u64, AppError> {
    let columns: &'static [&'static str] = match kind {
        Kind::Cities => &super::cities::COLUMNS,
        Kind::Twinnings => &super::twinnings::EXPORT_COLUMNS,
        Kind::Events => &super::events::COLUMNS,
    };
    let mut sink = Sink::new(out, format, columns)?;
    let mut after = 0i64;
    let mut count = 0u64;
    let today = crate::clock::today();
    loop {
        let (records, last): (Vec<Vec<Value>>, Option<i64>) = match kind {
            Kind::Cities => {
                let rows: Vec<CityRow> = cities::table
                    .filter(cities::id.gt(after))
                    .order(cities::id)
                    .limit(BATCH)
                    .load(conn)?;
                let last = rows.last().map(|r| r.id);
                (
                    rows.into_iter()
                        .map(|r| super::cities::export_record(&City::from(r)))
                        .collect(),
                    last,
                )
            }
            Kind::Twinnings => {
                let rows = twinnings::table
                    .filter(twinnings::id.gt(after))
                    .order(twinnings::id)
                    .limit(BATCH)
                    .select(crate::twinnings::model::ROW)
                    .load(conn)?;
                let rendered = crate::twinnings::view::render(conn, rows, today)?;
                let last = rendered.last().map(|t| t.id);
                (
                    rendered
                        .iter()
                        .map(super::twinnings::export_record)
                        .collect(),
                    last,
                )
            }
            Kind::Events => {
                let rows = events::table
                    .filter(events::id.gt(after))
                    .order(events::id)
                    .limit(BATCH)
                    .load(conn)?;
                let rendered = crate::events::view::render(conn, rows)?;
                let last = rendered.last().map(|e| e.id);
                (
                    rendered.iter().map(super::events::export_record).collect(),
                    last,
                )
            }
        };
        let Some(last) = last else { break };
        for record in records {
            sink.write(record)?;
            count += 1;
        }
        after = last;
    }
    sink.finish()?;
    Ok(count)
}
