//! Reading a file's records, each at most `MAX_RECORD_BYTES`: a hostile file
//! (one 256 MB line, a 128 MB field) costs no more memory than that.

use super::{Record, Records, Rejected, formula};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};

/// The largest record a file may hold.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

fn too_large() -> String {
    format!("the record is larger than {MAX_RECORD_BYTES} bytes")
}

/// CSV with a header row. A record over the limit is rejected, and the file
/// is not read past it (where it ends is only known by reading it all).
pub fn csv_records<'a, R: Read + Send + 'a>(reader: R) -> Records<'a> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(Bounded::new(reader));
    let headers: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_string()).collect(),
        Err(e) => {
            return Box::new(std::iter::once(Err(Rejected {
                line: 1,
                reasons: vec![format!("the header cannot be read: {e}")],
            })));
        }
    };
    let mut stopped = false;
    Box::new(csv.into_records().map_while(move |row| {
        if stopped {
            return None;
        }
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let too_big = matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge);
                stopped = too_big;
                let reason = if too_big {
                    format!("{}; the rest of the file was not read", too_large())
                } else {
                    format!("not a CSV record: {e}")
                };
                return Some(Err(Rejected {
                    line,
                    reasons: vec![reason],
                }));
            }
        };
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
        Some(Ok(Record { line, fields }))
    }))
}

/// A reader that fails once a CSV record (quotes followed, so a quoted line
/// break stays inside its record) grows past `MAX_RECORD_BYTES`.
struct Bounded<R> {
    inner: R,
    in_record: usize,
    quoted: bool,
}

impl<R> Bounded<R> {
    fn new(inner: R) -> Bounded<R> {
        Bounded {
            inner,
            in_record: 0,
            quoted: false,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n] {
            match byte {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.in_record = 0,
                _ => {}
            }
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
                    return Some(Err(Rejected {
                        line: number,
                        reasons: vec![too_large()],
                    }));
                }
                Ok(Some(Line::Text(text))) => text,
                Err(e) => {
                    return Some(Err(Rejected {
                        line: number,
                        reasons: vec![format!("cannot be read: {e}")],
                    }));
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
                Ok(_) => Err(Rejected {
                    line: number,
                    reasons: vec!["must be a JSON object".into()],
                }),
                Err(e) => Err(Rejected {
                    line: number,
                    reasons: vec![format!("not valid JSON: {e}")],
                }),
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
