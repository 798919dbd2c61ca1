//! Reading a file's records, each at most `MAX_RECORD_BYTES`: a hostile file
//! (one 256 MB line, a 128 MB field) costs no more memory than that.

use super::{Record, Records, Rejected, formula};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex};

/// The largest record a file may hold.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

fn too_large() -> String {
    format!("the record is larger than {MAX_RECORD_BYTES} bytes")
}

/// CSV with a header row. A record over the limit is rejected, and the file
/// is not read past it (where it ends is only known by reading it all).
///
/// Line numbers are counted from the file's own line breaks (the csv
/// crate's count is one short per record in a CRLF file, as GeoNames and
/// Python's `csv` module write them).
pub fn csv_records<'a, R: Read + Send + 'a>(reader: R) -> Records<'a> {
    let lines = Arc::new(Mutex::new(Lines::default()));
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(Bounded::new(reader, lines.clone()));
    let headers: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_string()).collect(),
        Err(e) => {
            return Box::new(std::iter::once(Err(Rejected::at(
                1,
                vec![format!("the header cannot be read: {e}")],
            ))));
        }
    };
    let line_at = move |position: Option<&csv::Position>| {
        let byte = position.map_or(0, csv::Position::byte);
        lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .line_at(byte)
    };
    let mut stopped = false;
    Box::new(csv.into_records().map_while(move |row| {
        if stopped {
            return None;
        }
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = line_at(e.position());
                let too_big = matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge);
                stopped = too_big;
                let reason = if too_big {
                    format!("{}; the rest of the file was not read", too_large())
                } else {
                    format!("not a CSV record: {e}")
                };
                return Some(Err(Rejected::at(line, vec![reason])));
            }
        };
        let line = line_at(row.position());
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
        Some(Ok(Record { line, fields }))
    }))
}

/// The line breaks read but not yet passed by a record: the csv reader
/// reads a buffer ahead, so only that buffer's breaks wait here.
#[derive(Default)]
struct Lines {
    pending: VecDeque<u64>,
    passed: u64,
}

impl Lines {
    /// The line of the record that starts at byte `start`. A break at
    /// `start` itself counts as before it: after a CR the record begins
    /// at the LF that ends the CRLF.
    fn line_at(&mut self, start: u64) -> u64 {
        while self.pending.front().is_some_and(|&at| at <= start) {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

/// A reader that fails once a CSV record (quotes followed, so a quoted line
/// break stays inside its record) grows past `MAX_RECORD_BYTES`, and notes
/// where each line break is.
struct Bounded<R> {
    inner: R,
    in_record: usize,
    quoted: bool,
    offset: u64,
    lines: Arc<Mutex<Lines>>,
}

impl<R> Bounded<R> {
    fn new(inner: R, lines: Arc<Mutex<Lines>>) -> Bounded<R> {
        Bounded {
            inner,
            in_record: 0,
            quoted: false,
            offset: 0,
            lines,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        for &byte in &buf[..n] {
            match byte {
                b'"' => self.quoted = !self.quoted,
                b'\n' => {
                    lines.pending.push_back(self.offset);
                    if !self.quoted {
                        self.in_record = 0;
                    }
                }
                _ => {}
            }
            self.offset += 1;
            self.in_record += 1;
            if self.in_record > MAX_RECORD_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    too_large(),
                ));
            }
        }
        Ok(n)
    }
}

/// JSON Lines: one object a line. A line over the limit is rejected and
/// skipped without being held, and reading goes on after it.
pub fn jsonl_records<'a, R: Read + Send + 'a>(reader: R) -> Records<'a> {
    let mut reader = BufReader::new(reader);
    let mut number = 0u64;
    Box::new(std::iter::from_fn(move || {
        loop {
            number += 1;
            let line = match next_line(&mut reader) {
                Ok(None) => return None,
                Ok(Some(Line::TooLarge)) => {
                    return Some(Err(Rejected::at(number, vec![too_large()])));
                }
                Ok(Some(Line::Text(text))) => text,
                Err(e) => {
                    return Some(Err(Rejected::at(
                        number,
                        vec![format!("cannot be read: {e}")],
                    )));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(match serde_json::from_str::<Value>(&line) {
                Ok(Value::Object(fields)) => Ok(Record {
                    line: number,
                    fields,
                }),
                Ok(_) => Err(Rejected::at(number, vec!["must be a JSON object".into()])),
                Err(e) => Err(Rejected::at(number, vec![format!("not valid JSON: {e}")])),
            });
        }
    }))
}

enum Line {
    Text(String),
    TooLarge,
}

/// The next line, or `TooLarge` once its rest has been read past.
fn next_line(reader: &mut impl BufRead) -> std::io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let limit = MAX_RECORD_BYTES as u64 + 1;
    let read = reader.by_ref().take(limit).read_until(b'\n', &mut buf)?;
    if read == 0 {
        return Ok(None);
    }
    if buf.len() as u64 >= limit && buf.last() != Some(&b'\n') {
        // Skip to the end of the line, a buffer at a time.
        loop {
            let available = reader.fill_buf()?;
            if available.is_empty() {
                break;
            }
            match available.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    reader.consume(end + 1);
                    break;
                }
                None => {
                    let len = available.len();
                    reader.consume(len);
                }
            }
        }
        return Ok(Some(Line::TooLarge));
    }
    match String::from_utf8(buf) {
        Ok(text) => Ok(Some(Line::Text(
            text.trim_end_matches(['\n', '\r']).to_string(),
        ))),
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )),
    }
}
