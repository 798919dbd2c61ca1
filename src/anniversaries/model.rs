//! Anniversaries as returned.

use crate::dates::PartialDate;
use crate::twinnings::model::{AnniversaryDate, Twinning};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The N-th anniversary of a twinning.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Anniversary {
    pub years: i32,
    /// At the start date's precision: `2020`, `2020-05` or `2020-05-17`.
    #[schema(value_type = String, example = "2020")]
    pub date: PartialDate,
    pub twinning: Twinning,
}

/// One page of anniversaries, in date order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnniversaryPage {
    pub items: Vec<Anniversary>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The next anniversaries of one twinning.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnniversaryDatePage {
    pub items: Vec<AnniversaryDate>,
    /// Always `null`: ask for a larger `count` to see further.
    pub next_cursor: Option<String>,
}
