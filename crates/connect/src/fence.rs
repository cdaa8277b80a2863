//! Outgoing requests to addresses an outsider names (an app's Client ID
//! Document, a webhook receiver), fenced against server-side request
//! forgery: the host's addresses are resolved here and every one of them
//! must be a public unicast address (no private, loopback, link-local,
//! unique-local, shared, multicast, unspecified or reserved address,
//! IPv4-mapped ones included; loopback only when the operator allows it,
//! for tests and development), and the connection goes to exactly the
//! addresses checked (the resolver below is the client's only resolver, so
//! a second DNS answer cannot rebind the name); no proxy, no redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A client that only reaches allowed addresses, follows no redirect and
/// uses no proxy, with this overall `timeout`.
pub fn fenced_client(
    allow_loopback: bool,
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3).min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Guarded { allow_loopback }))
        .build()
}

/// Checks a URL before a fenced client is pointed at it: `https` (`http`
/// only with `allow_http`, which also allows loopback), no user info, and a
/// literal address (which no resolver sees) allowed.
pub fn check_url(url: &str, allow_http: bool) -> Result<reqwest::Url, &'static str> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL")?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err("scheme"),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("user info");
    }
    let host = parsed.host_str().ok_or("no host")?;
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>()
        && !allowed(ip, allow_http)
    {
        return Err("address");
    }
    Ok(parsed)
}

/// The client's resolver: every address of the name must be allowed.
pub struct Guarded {
    allow_loopback: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() || addrs.iter().any(|a| !allowed(a.ip(), allow_loopback)) {
                return Err("the name resolves to an address that is not allowed".into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether the provider may connect to `ip`: a public unicast address, or
/// a loopback one when `allow_loopback`. (`IpAddr::is_global` is not stable.)
pub fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => allowed_v4(v4, allow_loopback),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return allowed_v4(v4, allow_loopback);
            }
            if v6.is_loopback() {
                return allow_loopback;
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || first == 0x0100) // discard-only 100::/64
        }
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
    let compatible = s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (mapped || compatible || nat64).then_some(tail)
}

fn allowed_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str, loopback: bool) -> bool {
        allowed(s.parse().unwrap(), loopback)
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(!ok(s, false), "{s} should be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed_and_loopback_only_when_told() {
        for s in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(ok(s, false), "{s} should be allowed");
        }
        assert!(ok("127.0.0.1", true));
        assert!(ok("::1", true));
        assert!(ok("::ffff:127.0.0.1", true));
        assert!(!ok("10.0.0.1", true), "private stays refused");
    }
}
