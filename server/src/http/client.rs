//! Who a request comes from: the peer's address, or, when the peer is a reverse proxy the
//! operator trusts (`--trusted-proxies`), the address that proxy says it is forwarding for
//! (`X-Forwarded-For`). Per-address rate limits key on this.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The client's address, as far as trusted proxies tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| AppError::Internal("no peer address".into()))?;
        Ok(Self(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The address a request comes from: `peer` unless it is a trusted proxy; then, walking the
/// `X-Forwarded-For` chain from the right (each proxy appends the address it heard from), the
/// first address that is not a trusted proxy. An entry that is not an address ends the walk at
/// the proxy that passed it on: a client may write anything in the header, but cannot make a
/// trusted proxy's own entry lie.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if !is_trusted(&client) {
        return client;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => return client,
        }
        if !is_trusted(&client) {
            return client;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_proxy;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_header_counts_only_when_a_trusted_proxy_sent_it() {
        let trusted = [parse_proxy("10.0.0.0/8").unwrap()];
        let headers = forwarded(&["203.0.113.7"]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &headers, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.5"), &headers, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(client_ip(ip("10.0.0.5"), &headers, &[]), ip("10.0.0.5"));
    }

    #[test]
    fn the_chain_is_walked_from_the_right_past_trusted_proxies_only() {
        let trusted = [
            parse_proxy("10.0.0.1").unwrap(),
            parse_proxy("10.0.0.2").unwrap(),
        ];
        // The client forged the first entry; the two proxies appended the rest.
        let headers = forwarded(&["1.2.3.4, 203.0.113.7", "10.0.0.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &trusted),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the proxy that passed it on.
        let headers = forwarded(&["nonsense, 10.0.0.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &trusted),
            ip("10.0.0.1")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn proxies_are_networks_or_addresses() {
        assert_eq!(parse_proxy("::1").unwrap().to_string(), "::1/128");
        assert_eq!(
            parse_proxy(" 10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert!(parse_proxy("proxy.local").is_err());
    }
}
