//! HTTP plumbing shared by every resource: extractors that answer problem
//! documents, the list envelope and its cursors, request ids, fallbacks,
//! caching, the API's absolute base URL.

pub mod base_url;
pub mod body;
pub mod caching;
pub mod encoding;
pub mod fallback;
pub mod limits;
pub mod page;
pub mod params;
pub mod patch;
pub mod query;
pub mod request_id;
pub mod response_cache;
pub mod routes;

pub use base_url::BaseUrl;
pub use body::ValidJson;
pub use page::{Cursor, PageParams, paginate};
pub use query::ValidQuery;
