//! Typed fields of an imported record: CSV gives text, JSON Lines gives JSON
//! values; both are read the same way. Lists are `|`-separated in CSV and
//! arrays in JSON; objects are JSON text in CSV.

use super::Record;
use crate::error::ErrorCode;
use serde_json::Value;

pub type Field<T> = Result<Option<T>, String>;

impl Record {
    /// Whether the file has this column at all.
    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The record's name (or title) and identifiers, to find it by in a report.
    pub fn identity(&self) -> (Option<String>, std::collections::BTreeMap<String, Value>) {
        let short = |v: &Value| match v {
            Value::String(s) => Some(Value::String(s.chars().take(200).collect())),
            Value::Number(_) => Some(v.clone()),
            _ => None,
        };
        let name = ["name", "title"]
            .iter()
            .find_map(|key| self.value(key).and_then(short))
            .and_then(|v| v.as_str().map(str::to_string));
        let ids = self
            .fields
            .iter()
            .filter(|(key, _)| *key == "id" || key.ends_with("_id"))
            .filter_map(|(key, value)| Some((key.clone(), short(value)?)))
            .collect();
        (name, ids)
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    pub fn text(&self, name: &str) -> Field<String> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(format!("{name}: must be text, not {other}")),
        }
    }

    pub fn int(&self, name: &str) -> Field<i64> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("{name}: must be an integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{name}: `{s}` is not an integer")),
            Some(other) => Err(format!("{name}: must be an integer, not {other}")),
        }
    }

    /// `true` or `false` (JSON, or text in any case); empty is no value.
    pub fn boolean(&self, name: &str) -> Field<bool> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(format!("{name}: must be true or false, not {other}")),
        }
    }

    pub fn float(&self, name: &str) -> Field<f64> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("{name}: must be a number")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{name}: `{s}` is not a number")),
            Some(other) => Err(format!("{name}: must be a number, not {other}")),
        }
    }

    pub fn list(&self, name: &str) -> Field<Vec<String>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(
                s.split('|')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            )),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("{name}: must be a list of text"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(format!("{name}: must be a list, not {other}")),
        }
    }

    /// A JSON value given as JSON (JSON Lines) or as JSON text (CSV).
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Field<T> {
        let value = match self.value(name) {
            None => return Ok(None),
            Some(Value::String(s)) => {
                serde_json::from_str(s).map_err(|e| format!("{name}: not valid JSON: {e}"))?
            }
            Some(other) => other.clone(),
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| format!("{name}: {e}"))
    }
}

/// Collects the reasons of fields that could not be read.
#[derive(Default)]
pub struct Reasons(pub Vec<String>);

impl Reasons {
    pub fn take<T>(&mut self, field: Field<T>) -> Option<T> {
        field.unwrap_or_else(|reason| {
            self.0.push(reason);
            None
        })
    }

    pub fn into_result(self) -> Result<(), crate::error::AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AppError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
                self.0.join("; "),
            ))
        }
    }
}

/// A field holding one of an enum's values, as its JSON spelling (`sister_city`).
pub fn parse_enum<T: serde::de::DeserializeOwned>(
    record: &Record,
    name: &str,
    reasons: &mut Reasons,
) -> Option<T> {
    let text = reasons.take(record.text(name))?;
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .map_err(|_| {
            reasons
                .0
                .push(format!("{name}: `{text}` is not one of the allowed values"))
        })
        .ok()
}
