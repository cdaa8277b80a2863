//! Web origins (`scheme://host[:port]`) as compared for `acl:origin`.
//!
//! The `Origin` header and `acl:origin` values are compared after
//! normalisation: lower-case scheme and host, default port (80 for http,
//! 443 for https) removed, and an empty or `/` path accepted. Anything else
//! (a path, query, fragment, user info, the opaque origin `null`) does not
//! name an origin and never matches.

/// The normalised origin `scheme://host[:port]`, or `None` if `value` is not
/// a tuple origin.
pub fn normalize_origin(value: &str) -> Option<String> {
    let value = value.trim();
    let (scheme, rest) = value.split_once("://")?;
    let mut chars = scheme.chars();
    if !chars.next()?.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !(tail.is_empty() || tail == "/") || authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty()
        || host == "[]"
        || !host.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '[' | ']' | ':' | '%')
        })
    {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u16 = p.parse().ok()?;
            let default = match scheme.as_str() {
                "http" | "ws" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            };
            (default != Some(n)).then_some(n)
        }
    };
    Some(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::normalize_origin;

    #[test]
    fn normalises() {
        let n = |s| normalize_origin(s);
        assert_eq!(
            n("https://App.Example").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            n("https://app.example/").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            n("HTTPS://app.example:443").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            n("http://app.example:80/").as_deref(),
            Some("http://app.example")
        );
        assert_eq!(
            n("http://localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(n("http://[::1]:8080").as_deref(), Some("http://[::1]:8080"));
        for bad in [
            "null",
            "",
            "app.example",
            "https://",
            "https://app.example/path",
            "https://app.example?x",
            "https://u@app.example",
            "https://app.example:99999",
            "https://app.example:x",
            "https://app example",
            "1ttp://a",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }
}
