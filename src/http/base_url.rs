//! `BaseUrl`: where clients reach the API, for absolute links in answers that
//! leave it (a calendar cannot open `/api/v1/twinnings/7`).
//!
//! `PUBLIC_URL` when it is set; else the scheme and host of the request, which
//! a reverse proxy may state in `Forwarded` or `X-Forwarded-Host`/`-Proto`.
//! Those headers come from the client when no proxy rewrites them, so an
//! answer built from them is kept for its origin only (`caching::kept`) and says
//! `Vary` for shared caches; `PUBLIC_URL` avoids both.

use crate::config::PublicUrl;
use actix_web::dev::{ConnectionInfo, Payload};
use actix_web::http::header::{HeaderValue, VARY};
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder, web};
use std::convert::Infallible;
use std::future::{Ready, ready};

/// The headers besides `Host` that a base taken from the request depends on.
const FORWARDING_HEADERS: &str = "Forwarded, X-Forwarded-Host, X-Forwarded-Proto";

pub struct BaseUrl {
    /// No trailing slash: `https://twinning.example.org`.
    pub url: String,
    from_request: bool,
}

/// Whether an answer holds a base taken from the request (it says `Vary`
/// with the forwarding headers), so that a cache keeps it per origin.
pub fn varies_by_origin(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get_all(VARY)
        .any(|v| v.as_bytes() == FORWARDING_HEADERS.as_bytes())
}

/// `http://host:port` of a request, as actix resolved it.
pub fn request_origin(info: &ConnectionInfo) -> String {
    format!("{}://{}", info.scheme(), info.host())
}

impl BaseUrl {
    /// Marks an answer that holds this base as varying with the forwarding
    /// headers, when the base came from them.
    pub fn vary(&self, response: &mut HttpResponseBuilder) {
        if self.from_request {
            response.append_header((VARY, HeaderValue::from_static(FORWARDING_HEADERS)));
        }
    }
}

impl FromRequest for BaseUrl {
    type Error = Infallible;
    type Future = Ready<Result<BaseUrl, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let configured = req.app_data::<web::Data<Option<PublicUrl>>>();
        ready(Ok(match configured.and_then(|c| c.as_ref().as_ref()) {
            Some(public) => BaseUrl {
                url: public.as_str().to_string(),
                from_request: false,
            },
            None => BaseUrl {
                url: request_origin(&req.connection_info()),
                from_request: true,
            },
        }))
    }
}
