//! Who sent a request, and the URL it was sent to. `Forwarded` and `X-Forwarded-*` are any
//! client's to write, so they are believed only from the proxies the operator names; the links
//! dateline writes (`Link`, feeds, `self`) start with the configured public URL when there is
//! one, and otherwise with the request's own `Host`, never with a scheme other than `http` or
//! `https`.

use std::net::IpAddr;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use ipnet::IpNet;
use url::Url;

/// Which peers may say whom they forward for, and the URL links start with.
#[derive(Debug, Clone, Default)]
pub struct ProxyPolicy {
    /// The addresses of the reverse proxies in front of dateline.
    pub trusted: Vec<IpNet>,
    /// The URL clients reach dateline at (`https://news.example.com`), when it is fixed.
    pub public_url: Option<Url>,
}

/// The policy of a server started without one (the tests' apps): trust nobody.
static TRUST_NOBODY: LazyLock<ProxyPolicy> = LazyLock::new(ProxyPolicy::default);

impl ProxyPolicy {
    /// The policy of the server `req` came to.
    pub fn of(req: &HttpRequest) -> &ProxyPolicy {
        req.app_data::<web::Data<ProxyPolicy>>()
            .map_or(&TRUST_NOBODY, |policy| policy.get_ref())
    }

    /// Whether the peer of `req` is a configured proxy.
    fn trusts_peer_of(&self, req: &HttpRequest) -> bool {
        req.peer_addr()
            .is_some_and(|peer| self.trusted.iter().any(|net| net.contains(&peer.ip())))
    }

    /// The client's address: the one a trusted proxy forwards for, else the peer's.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|peer| peer.ip());
        if !self.trusts_peer_of(req) {
            return peer;
        }
        req.connection_info()
            .realip_remote_addr()
            .and_then(parse_ip)
            .or(peer)
    }

    /// The scheme and host links start with: the public URL, else what a trusted proxy says the
    /// client asked for, else the request's `Host`; `None` when that makes no valid base.
    pub fn base_url(&self, req: &HttpRequest) -> Option<Url> {
        if let Some(url) = &self.public_url {
            return Some(url.clone());
        }
        let (scheme, host) = if self.trusts_peer_of(req) {
            let info = req.connection_info();
            (info.scheme().to_ascii_lowercase(), info.host().to_owned())
        } else {
            let scheme = if req.app_config().secure() {
                "https"
            } else {
                "http"
            };
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
                .or_else(|| req.uri().authority().map(|a| a.to_string()))
                .unwrap_or_else(|| req.app_config().host().to_owned());
            (scheme.to_owned(), host)
        };
        if !matches!(scheme.as_str(), "http" | "https") || !is_authority(&host) {
            return None;
        }
        Url::parse(&format!("{scheme}://{host}")).ok()
    }
}

/// An address as `Forwarded: for=` or `X-Forwarded-For` give it: `203.0.113.7`,
/// `203.0.113.7:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|ip| ip.parse().ok())
}

/// Whether `host` is a bare host with an optional port: no user, path, query or fragment that
/// would turn a base URL into something else.
fn is_authority(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn policy(trusted: &[&str], public_url: Option<&str>) -> ProxyPolicy {
        ProxyPolicy {
            trusted: trusted.iter().map(|net| net.parse().unwrap()).collect(),
            public_url: public_url.map(|url| url.parse().unwrap()),
        }
    }

    fn forwarded(peer: &str) -> HttpRequest {
        TestRequest::get()
            .uri("/v1/articles")
            .peer_addr(peer.parse().unwrap())
            .insert_header(("Host", "dateline.internal:8080"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .insert_header(("X-Forwarded-Host", "news.example.com"))
            .insert_header(("X-Forwarded-For", "203.0.113.7"))
            .to_http_request()
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let policy = policy(&["10.0.0.0/8"], None);
        let via_proxy = forwarded("10.1.2.3:5000");
        assert_eq!(
            policy.base_url(&via_proxy).unwrap().as_str(),
            "https://news.example.com/"
        );
        assert_eq!(
            policy.client_ip(&via_proxy),
            Some("203.0.113.7".parse().unwrap())
        );
        let direct = forwarded("198.51.100.9:5000");
        assert_eq!(
            policy.base_url(&direct).unwrap().as_str(),
            "http://dateline.internal:8080/"
        );
        assert_eq!(
            policy.client_ip(&direct),
            Some("198.51.100.9".parse().unwrap())
        );
    }

    #[test]
    fn the_public_url_wins_and_odd_schemes_or_hosts_make_no_base() {
        let fixed = policy(&[], Some("https://news.example.com"));
        assert_eq!(
            fixed
                .base_url(&forwarded("10.1.2.3:5000"))
                .unwrap()
                .as_str(),
            "https://news.example.com/"
        );
        let trusting = policy(&["10.0.0.0/8"], None);
        let javascript = TestRequest::get()
            .peer_addr("10.1.2.3:5000".parse().unwrap())
            .insert_header(("X-Forwarded-Proto", "javascript"))
            .to_http_request();
        assert_eq!(trusting.base_url(&javascript), None);
        for host in ["evil.example@news.example.com", "news.example.com/x?", ""] {
            let request = TestRequest::get()
                .insert_header(("Host", host))
                .to_http_request();
            assert_eq!(trusting.base_url(&request), None, "{host:?}");
        }
    }

    #[test]
    fn forwarded_addresses_are_read_with_or_without_ports() {
        assert_eq!(
            parse_ip("203.0.113.7"),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            parse_ip("203.0.113.7:4711"),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            parse_ip("\"[2001:db8::1]:4711\""),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_ip("unknown"), None);
    }
}
