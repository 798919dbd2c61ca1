//! The web app at `/`: the public registry (search, cities, twinnings, the
//! world map, anniversaries) and the staff desk, in plain HTML, CSS and
//! JavaScript from `web/`, embedded in the binary. Every page is a client of
//! the public API under `/api/v1`: it makes no request a frontend elsewhere
//! could not make. Its answers are kept and coded like any public read.

use crate::error::AppError;
use crate::http::routes::{Policy, get, resource};
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

/// Only the app's own origin: no inline script or style, no frames.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The app's files: name, media type, content.
const FILES: [(&str, &str, &str); 3] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../web/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../web/app.css"),
    ),
    (
        "land.json",
        "application/json",
        include_str!("../web/land.json"),
    ),
];

const INDEX: &str = include_str!("../web/index.html");

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The page itself is small and fresh on every visit; the files it loads are kept.
    cfg.service(resource("/", Policy::NoCache, [get(index)]))
        .service(resource("/app/{file}", Policy::Kept, [get(file)]));
}

fn page(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body)
}

/// The app's one page. Its query (`?lang=`) is read by the app itself, so
/// any query is taken.
async fn index(req: HttpRequest) -> HttpResponse {
    req.extensions_mut()
        .insert(crate::http::fallback::QueryRead);
    page("text/html; charset=utf-8", INDEX)
}

async fn file(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    match FILES.iter().find(|(file, _, _)| *file == name.as_str()) {
        Some((_, content_type, body)) => Ok(page(content_type, body)),
        None => Err(AppError::not_found_because(format!(
            "the app has no file {name}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_app_is_under_100_kb_of_compressed_javascript_and_css() {
        let mut coded = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for (name, _, body) in FILES {
            if name.ends_with(".js") || name.ends_with(".css") {
                coded.write_all(body.as_bytes()).unwrap();
            }
        }
        let size = coded.finish().unwrap().len();
        assert!(size < 100_000, "{size} bytes");
    }
}
