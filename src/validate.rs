//! Field checks shared by every resource. Each pushes a `FieldError` and
//! returns the cleaned value, so a request can report every bad field at once.

use crate::dates::PartialDate;
use crate::error::FieldError;

pub const MAX_NAME_CHARS: usize = 200;

/// Collects the errors of one request body.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A required value; records an error when it is missing.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value
    }

    /// Text of at most `max` characters with no control characters and not
    /// only white space, returned trimmed (as `TEXT_PATTERN` in the document).
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if value.chars().any(char::is_control) {
            self.add(field, "must not contain control characters");
        }
        trimmed.to_string()
    }

    /// An ISO 3166-1 alpha-2 code in the current list.
    pub fn country_code(&mut self, field: &str, code: &str) {
        if !is_country_code(code) {
            self.add(
                field,
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code (e.g. RU, US, JP)"),
            );
        }
    }

    /// A BCP 47 language tag such as `ru`, `ja` or `pt-BR`.
    pub fn language_tag(&mut self, field: &str, tag: &str) {
        let valid = language_tags::LanguageTag::parse(tag)
            .map(|t| t.validate().is_ok())
            .unwrap_or(false);
        if !valid {
            self.add(field, format!("`{tag}` is not a BCP 47 language tag"));
        }
    }

    /// BCP 47 tags, in their conventional case (`pt-br` → `pt-BR`), without repeats.
    pub fn language_list(&mut self, field: &str, tags: &[String]) -> Vec<String> {
        if tags.len() > MAX_LANGUAGES {
            self.add(field, format!("must have at most {MAX_LANGUAGES} entries"));
        }
        let mut clean: Vec<String> = Vec::new();
        for (i, tag) in tags.iter().enumerate() {
            match language_tags::LanguageTag::parse(tag) {
                Ok(parsed) if parsed.validate().is_ok() => {
                    let text = parsed.into_string();
                    if !clean.contains(&text) {
                        clean.push(text);
                    }
                }
                _ => self.add(
                    format!("{field}[{i}]"),
                    format!("`{tag}` is not a BCP 47 language tag (e.g. ru, en, ja, pt-BR)"),
                ),
            }
        }
        clean
    }

    pub fn range<T: PartialOrd + std::fmt::Display>(
        &mut self,
        field: &str,
        value: T,
        min: T,
        max: T,
    ) {
        if !(value >= min && value <= max) {
            self.add(field, format!("must be between {min} and {max}"));
        }
    }
}

impl Errors {
    /// A reduced-precision date (YYYY, YYYY-MM or YYYY-MM-DD).
    pub fn partial_date(&mut self, field: &str, text: Option<&str>) -> Option<PartialDate> {
        let text = text?;
        PartialDate::parse(text)
            .map_err(|message| self.add(field, message))
            .ok()
    }

    /// A list of absolute http(s) URLs.
    pub fn urls(&mut self, field: &str, urls: &[String]) {
        if urls.len() > MAX_URLS {
            self.add(field, format!("must have at most {MAX_URLS} entries"));
        }
        for (i, text) in urls.iter().enumerate() {
            let ok = text.chars().count() <= MAX_URL_CHARS
                && url::Url::parse(text)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                self.add(format!("{field}[{i}]"), "must be an http or https URL");
            }
        }
    }

    /// Optional free text of at most `max` characters (tabs and line breaks
    /// allowed), returned trimmed; `None` when only white space.
    pub fn long_text(&mut self, field: &str, text: Option<&str>, max: usize) -> Option<String> {
        let text = text?;
        if text.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            self.add(field, "must not contain control characters");
        }
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    }
}

pub const MAX_URLS: usize = 20;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_LANGUAGES: usize = 20;

pub fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && (rust_iso3166::from_alpha2(code).is_some()
            || crate::schemas::USER_ASSIGNED_COUNTRY_CODES.contains(&code))
}
