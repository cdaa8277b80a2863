//! Behind a reverse proxy (the usual way to serve HTTPS): every connection
//! comes from the proxy, so rate limits and sign-in lockouts, which go by
//! the client's address, would lump every resident together. When the
//! operator names its proxies (`serve --trusted-proxy IP`, repeatable), a
//! request arriving from one of them is taken as coming from the address
//! the proxies appended to `X-Forwarded-For`: the rightmost one that is not
//! itself a trusted proxy (what a client writes on the left of the header
//! is its own claim and never believed). From any other peer the header is
//! ignored. The client's address then reaches everything that asks for it
//! (`ConnectInfo`), through this one layer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

impl TrustedProxies {
    /// The client behind `peer`, by the rule above.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.0.contains(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.iter().rev().flat_map(|h| h.rsplit(',')) {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.0.contains(&ip) => client = ip,
                Ok(ip) => return ip,
                // A hop no proxy of ours wrote: stop at the last known one.
                Err(_) => return client,
            }
        }
        client
    }
}

/// Replaces the peer's address with the client's, for requests from a
/// trusted proxy.
pub async fn layer(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        let hops: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let client = proxies.client(peer.ip(), &hops);
        if client != peer.ip() {
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(client, 0)));
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_for_what_it_appended() {
        let proxies = TrustedProxies(vec![ip("10.0.0.2"), ip("10.0.0.3")]);
        // From the proxy: the address it appended.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        // A client's own claim on the left is not believed.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["192.0.2.1, 203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Two proxies in a row.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["203.0.113.7, 10.0.0.3"]),
            ip("203.0.113.7")
        );
        // From anyone else, the header is ignored.
        assert_eq!(
            proxies.client(ip("198.51.100.4"), &["203.0.113.7"]),
            ip("198.51.100.4")
        );
        // Garbage, or nothing, leaves the proxy's own address.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["not an address"]),
            ip("10.0.0.2")
        );
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
    }
}
