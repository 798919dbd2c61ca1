//! Where a webhook may be delivered: http(s) URLs, and not to this machine
//! or a private network unless the server allows it (a subscription must not
//! make the server probe what only it can reach).

use std::net::IpAddr;

/// The longest receiver URL, as the document states it.
pub const MAX_URL_CHARS: usize = 2000;

/// Whether receivers on private addresses are allowed (`WEBHOOK_ALLOW_PRIVATE`).
#[derive(Debug, Clone, Copy)]
pub struct AllowPrivate(pub bool);

/// Checks a subscription's URL as given: scheme, host, no credentials, and
/// no loopback, private or link-local address literal (or `localhost`).
pub fn check(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials".into());
    }
    let Some(host) = url.host() else {
        return Err("must have a host".into());
    };
    if allow_private {
        return Ok(url);
    }
    let private = match host {
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => is_private(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => is_private(IpAddr::V6(ip)),
    };
    if private {
        return Err("must not be a loopback, private or link-local address".into());
    }
    Ok(url)
}

/// Checks where a URL's host resolves, at delivery: every address public.
pub async fn resolves_publicly(url: &url::Url) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("the host does not resolve ({e})"))?;
    for addr in addrs {
        if is_private(addr.ip()) {
            return Err(format!(
                "the host resolves to {}, a private address",
                addr.ip()
            ));
        }
    }
    Ok(())
}

/// Loopback, private, link-local, shared, unspecified or broadcast.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.16.5.4/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
        ] {
            assert!(check(url, false).is_err(), "{url}");
            assert!(check(url, true).is_ok(), "{url}");
        }
        for url in [
            "https://directory.example.org/hooks",
            "http://93.184.216.34/",
        ] {
            assert!(check(url, false).is_ok(), "{url}");
        }
        for url in [
            "ftp://example.org/",
            "https://user:pw@example.org/",
            "not a url",
        ] {
            assert!(check(url, true).is_err(), "{url}");
        }
    }
}
