//! Content codings: which one a request accepts, and the bodies made in it.
//!
//! A body under [`MIN_BYTES`] goes as it is (a coding's header and frame
//! cost more than it saves). Above it, the client's most preferred coding
//! among zstd, brotli and gzip is used, zstd first on a tie: it is the
//! cheapest to make and to read. Each coded body has its own strong entity
//! tag, the tag of the JSON with the coding's suffix (`"…"` → `"….br"`), so
//! a gzip and an identity body are never taken for each other; `If-Match`
//! on a write accepts any coding's tag of the current JSON.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use std::io::Write;

/// Bodies smaller than this are sent uncoded.
pub const MIN_BYTES: usize = 1024;

/// Levels chosen by measurement on the registry's own pages (a city's
/// twinnings page of 68 KB and search pages of 2–15 KB): each made in well
/// under a millisecond for a typical page, within a few percent of the size
/// of the next levels up. A kept answer is coded once per coding, so its cost
/// is paid once; an answer that is not kept pays it on every request. zstd
/// 3 codes a 15 KB search page at 680 MB/s to 2,976 bytes, 6 at 210 MB/s to
/// 2,727: in a mix of many distinct pages most answers are coded once and
/// sent a few times, so the faster level wins.
const GZIP_LEVEL: u32 = 5;
const BROTLI_QUALITY: u32 = 5;
const BROTLI_WINDOW: u32 = 20;
const ZSTD_LEVEL: i32 = 3;

thread_local! {
    /// Each worker's zstd context, kept: making one costs about as much as
    /// coding a small page.
    static ZSTD: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

fn zstd_compress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    ZSTD.with(|cell| {
        let mut kept = cell.borrow_mut();
        let compressor = match kept.as_mut() {
            Some(compressor) => compressor,
            None => kept.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
        };
        compressor.compress(body)
    })
}

/// A content coding the server makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
    Zstd,
}

impl Coding {
    /// The codings the server makes, in its order of preference on a tie.
    const OFFERED: [Coding; 3] = [Coding::Zstd, Coding::Brotli, Coding::Gzip];

    /// Its name in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
        }
    }

    /// The suffix its entity tags carry.
    fn suffix(self) -> &'static str {
        match self {
            Coding::Identity => "",
            Coding::Gzip => ".gzip",
            Coding::Brotli => ".br",
            Coding::Zstd => ".zstd",
        }
    }

    /// The coding to send a body of `len` bytes in, for this request.
    pub fn for_body(self, len: usize) -> Coding {
        if len < MIN_BYTES {
            Coding::Identity
        } else {
            self
        }
    }

    /// `body` in this coding.
    pub fn encode(self, body: &[u8]) -> Bytes {
        let coded = match self {
            Coding::Identity => return Bytes::copy_from_slice(body),
            Coding::Gzip => {
                let level = flate2::Compression::new(GZIP_LEVEL);
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
                encoder.write_all(body).and_then(|()| encoder.finish())
            }
            Coding::Brotli => {
                let mut writer = brotli::CompressorWriter::new(
                    Vec::with_capacity(body.len() / 4),
                    4096,
                    BROTLI_QUALITY,
                    BROTLI_WINDOW,
                );
                // `into_inner` ends the stream.
                writer.write_all(body).map(|()| writer.into_inner())
            }
            Coding::Zstd => zstd_compress(body),
        };
        // Writing to memory does not fail; were it to, the body goes uncoded
        // under a tag that says so.
        coded.map(Bytes::from).unwrap_or_default()
    }

    /// The entity tag of this coding's body, from the tag of the JSON.
    pub fn tag(self, identity_tag: &str) -> String {
        match identity_tag.strip_suffix('"') {
            Some(open) if self != Coding::Identity => format!("{open}{}\"", self.suffix()),
            _ => identity_tag.to_string(),
        }
    }

    /// The coding a request accepts most (`Accept-Encoding`, RFC 9110
    /// §12.5.3): the highest `q` among the offered codings, `*` standing for
    /// any not named; identity when none is acceptable or the header is absent.
    pub fn accepted(headers: &HeaderMap) -> Coding {
        let mut best = (0.0_f32, Coding::Identity);
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            let Ok(text) = value.to_str() else { continue };
            for coding in Coding::OFFERED {
                let q = quality(text, coding.token())
                    .or_else(|| quality(text, "*"))
                    .unwrap_or(0.0);
                if q > best.0 {
                    best = (q, coding);
                }
            }
        }
        best.1
    }

    /// Whether the request accepts this coding (`q` above 0, by name or by `*`).
    pub fn acceptable(self, headers: &HeaderMap) -> bool {
        headers.get_all(header::ACCEPT_ENCODING).any(|value| {
            value.to_str().is_ok_and(|text| {
                quality(text, self.token())
                    .or_else(|| quality(text, "*"))
                    .is_some_and(|q| q > 0.0)
            })
        })
    }

    /// `Content-Encoding` for a body in this coding, if any.
    pub fn header(self) -> Option<HeaderValue> {
        (self != Coding::Identity).then(|| HeaderValue::from_static(self.token()))
    }
}

/// The tag of the JSON behind any coding's tag (`"….br"` → `"…"`).
pub fn identity_tag(tag: &str) -> String {
    for coding in Coding::OFFERED {
        let suffix = format!("{}\"", coding.suffix());
        if let Some(open) = tag.strip_suffix(&suffix) {
            return format!("{open}\"");
        }
    }
    tag.to_string()
}

/// The `q` an `Accept-Encoding` value gives `token`, if it names it.
fn quality(value: &str, token: &str) -> Option<f32> {
    value.split(',').find_map(|element| {
        let mut parts = element.split(';').map(str::trim);
        let name = parts.next()?;
        if !name.eq_ignore_ascii_case(token) {
            return None;
        }
        let q = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .map_or(Some(1.0), |q| q.parse::<f32>().ok())?;
        Some(q.clamp(0.0, 1.0))
    })
}

/// Adds `Accept-Encoding` to the response's `Vary`, keeping what is there.
pub fn vary(headers: &mut HeaderMap) {
    let listed = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|t| {
            t.split(',')
                .any(|n| n.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !listed {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Coding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("a header"),
        );
        Coding::accepted(&headers)
    }

    #[test]
    fn the_most_preferred_offered_coding_is_chosen_zstd_first_on_a_tie() {
        assert_eq!(accepting("gzip, deflate, br, zstd"), Coding::Zstd);
        assert_eq!(accepting("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(accepting("gzip"), Coding::Gzip);
        assert_eq!(accepting("br;q=0.5, gzip;q=0.8"), Coding::Gzip);
        assert_eq!(accepting("gzip;q=0, identity"), Coding::Identity);
        assert_eq!(accepting("*"), Coding::Zstd);
        assert_eq!(accepting("*;q=0.1, zstd;q=0"), Coding::Brotli);
        assert_eq!(accepting("deflate"), Coding::Identity);
        assert_eq!(accepting("GZIP;Q=0.9"), Coding::Gzip);
        assert_eq!(Coding::accepted(&HeaderMap::new()), Coding::Identity);
    }

    #[test]
    fn each_coding_has_its_own_tag_and_they_lead_back_to_the_json() {
        let tag = "\"abc\"";
        assert_eq!(Coding::Gzip.tag(tag), "\"abc.gzip\"");
        assert_eq!(Coding::Brotli.tag(tag), "\"abc.br\"");
        assert_eq!(Coding::Identity.tag(tag), tag);
        for coding in [Coding::Identity, Coding::Gzip, Coding::Brotli, Coding::Zstd] {
            assert_eq!(identity_tag(&coding.tag(tag)), tag);
        }
    }

    #[test]
    fn coded_bodies_decode_to_the_original() {
        use std::io::Read;
        let body = "{\"name\":\"Veliky Novgorod\"}".repeat(100);
        let gzip = Coding::Gzip.encode(body.as_bytes());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_string(&mut out)
            .expect("gzip");
        assert_eq!(out, body);
        let zstd =
            zstd::bulk::decompress(&Coding::Zstd.encode(body.as_bytes()), 1 << 20).expect("zstd");
        assert_eq!(zstd, body.as_bytes());
        let br = Coding::Brotli.encode(body.as_bytes());
        let mut out = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut out)
            .expect("brotli");
        assert_eq!(out, body.as_bytes());
        assert!(br.len() < body.len() / 10);
        assert_eq!(Coding::Zstd.for_body(MIN_BYTES - 1), Coding::Identity);
    }
}
