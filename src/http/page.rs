//! Keyset pagination shared by every list: `limit` and an opaque `cursor`.

use crate::error::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// `limit` and `cursor` of a list request, checked.
pub struct PageParams<K> {
    pub limit: i64,
    pub after: Option<K>,
}

impl<K: DeserializeOwned> PageParams<K> {
    pub fn new(limit: Option<i64>, cursor: Option<&str>) -> Result<PageParams<K>, AppError> {
        PageParams::with_limits(limit, cursor, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// For lists with other page sizes (maps).
    pub fn with_limits(
        limit: Option<i64>,
        cursor: Option<&str>,
        default: i64,
        max: i64,
    ) -> Result<PageParams<K>, AppError> {
        let limit = match limit {
            None => default,
            Some(n) if (1..=max).contains(&n) => n,
            Some(_) => {
                return Err(AppError::invalid_parameter(
                    "limit",
                    format!("must be between 1 and {max}"),
                ));
            }
        };
        // `cursor=` is what many clients send when they hold none: the first page.
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(Cursor::decode)
            .transpose()?;
        Ok(PageParams { limit, after })
    }
}

/// The opaque cursor: the sort key of the last item of a page.
pub struct Cursor;

impl Cursor {
    pub fn encode<K: Serialize>(key: &K) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
    }

    pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, AppError> {
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                AppError::invalid_parameter("cursor", "is not a cursor that this API issued")
            })
    }
}

/// Splits the `limit + 1` rows a query fetched into one page and the cursor
/// of the next (None on the last page).
pub fn paginate<R, K: Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> K,
) -> (Vec<R>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|last| Cursor::encode(&key(last)));
        (rows, next)
    } else {
        (rows, None)
    }
}
