//! Values stored as text and decoded once, in the row types: enums by their
//! names, dates by `PartialDate::parse`, lists and objects as JSON. A stored
//! value that does not decode is a deserialization error of the query, which
//! the API answers as a logged 500 (never a plausible default).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::Text;
use serde::de::DeserializeOwned;
use std::ops::Deref;

/// `as_str` and `from_text` for an enum stored as text, and its decoding
/// from a `Text` column (an unknown name is an error, not a default).
#[macro_export]
macro_rules! text_enum {
    ($t:ty { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
            pub fn from_text(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }
        }

        impl $crate::db::text::FromText for $t {
            fn from_stored(text: &str) -> Result<Self, String> {
                Self::from_text(text).ok_or_else(|| {
                    format!("`{text}` is not a stored {}", stringify!($t))
                })
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                $crate::db::text::decode::<Self, DB>(bytes)
            }
        }

        impl<DB> diesel::deserialize::Queryable<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            $t: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

/// A type stored as one text value.
pub trait FromText: Sized {
    fn from_stored(text: &str) -> Result<Self, String>;
}

/// Reads the column as text, then as `T`.
pub fn decode<T: FromText, DB>(bytes: DB::RawValue<'_>) -> deserialize::Result<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    let text = String::from_sql(bytes)?;
    T::from_stored(&text).map_err(Into::into)
}

/// A list or an object stored as JSON text.
#[derive(Debug, Clone, PartialEq, Default, FromSqlRow)]
pub struct JsonText<T>(pub T);

impl<T: DeserializeOwned> FromText for JsonText<T> {
    fn from_stored(text: &str) -> Result<Self, String> {
        serde_json::from_str(text)
            .map(JsonText)
            .map_err(|e| format!("stored JSON does not decode: {e}"))
    }
}

impl<T, DB> FromSql<Text, DB> for JsonText<T>
where
    T: DeserializeOwned,
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        decode::<Self, DB>(bytes)
    }
}

impl<T> Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> JsonText<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl FromText for crate::dates::PartialDate {
    fn from_stored(text: &str) -> Result<Self, String> {
        crate::dates::PartialDate::parse(text)
    }
}

impl<DB> FromSql<Text, DB> for crate::dates::PartialDate
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        decode::<Self, DB>(bytes)
    }
}

impl<DB> diesel::deserialize::Queryable<Text, DB> for crate::dates::PartialDate
where
    DB: Backend,
    crate::dates::PartialDate: FromSql<Text, DB>,
{
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}
