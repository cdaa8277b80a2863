//! From request URIs to pod names and resource paths, and back.
//!
//! Every segment is percent-decoded once, checked, and re-encoded in one
//! canonical way, so `caf%C3%A9` and `caf%c3%a9` name the same resource.
//! Encoded slashes, `.` and `..` segments and empty segments are refused: the
//! server never normalises a path, it answers 400.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use selfdata_store::{PodName, ResourcePath};

use crate::error::ApiError;

/// Characters kept as they are in a path segment (RFC 3986 pchar minus `%`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// What a request path points at.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// `/`: the server itself.
    Server,
    /// `/{pod}` without the trailing slash.
    PodWithoutSlash(PodName),
    /// A resource inside a pod.
    Resource(PodName, ResourcePath),
}

/// Parses the raw (still percent-encoded) path of a request.
pub fn parse_target(raw: &str) -> Result<Target, ApiError> {
    let rest = raw
        .strip_prefix('/')
        .ok_or_else(|| ApiError::bad_request("The request path must start with '/'."))?;
    if rest.is_empty() {
        return Ok(Target::Server);
    }
    let (pod_raw, after) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let pod_name = decode_segment(pod_raw)?;
    if pod_name == "." || pod_name == ".." {
        return Err(ApiError::bad_request(
            "The path has a '.' or '..' segment, which cannot name a resource.",
        ));
    }
    let pod = PodName::parse(&pod_name).map_err(|_| ApiError::not_found())?;
    let Some(after) = after else {
        return Ok(Target::PodWithoutSlash(pod));
    };
    Ok(Target::Resource(pod, parse_path(after)?))
}

/// Parses the raw (still percent-encoded) path of a resource inside a pod,
/// from its leading `/`: each segment decoded once and checked as
/// [`parse_target`] does (no `.`, `..`, empty segment, encoded slash or
/// backslash, container named like an auxiliary resource).
pub fn parse_path(after: &str) -> Result<ResourcePath, ApiError> {
    if !after.starts_with('/') {
        return Err(ApiError::bad_request(
            "The request path must start with '/'.",
        ));
    }
    let mut decoded = String::with_capacity(after.len());
    let inner = &after[1..];
    decoded.push('/');
    if !inner.is_empty() {
        let (body, trailing) = match inner.strip_suffix('/') {
            Some(b) => (b, true),
            None => (inner, false),
        };
        let count = body.split('/').count();
        for (i, segment) in body.split('/').enumerate() {
            if i > 0 {
                decoded.push('/');
            }
            let seg = decode_segment(segment)?;
            // A container named like an auxiliary resource (`.acl/`,
            // `x.meta/`) would be the slash twin of that resource and stop
            // its owner from ever creating it.
            let is_container = trailing || i + 1 < count;
            if is_container && (seg.ends_with(".acl") || seg.ends_with(".meta")) {
                return Err(ApiError::bad_request(
                    "A container's name cannot end with '.acl' or '.meta': those names are kept for access control lists and descriptions.",
                ));
            }
            if seg.is_empty() {
                return Err(ApiError::bad_request(
                    "The path has an empty segment ('//'), which cannot name a resource.",
                ));
            }
            if seg.contains('/') || seg.contains('\\') {
                return Err(ApiError::bad_request(
                    "The path holds an encoded slash or backslash, which cannot name a resource.",
                ));
            }
            decoded.push_str(&seg);
        }
        if trailing {
            decoded.push('/');
        }
    }
    Ok(ResourcePath::parse(&decoded)?)
}

fn decode_segment(segment: &str) -> Result<String, ApiError> {
    percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::bad_request("The path is not valid UTF-8 once percent-decoded."))
}

/// Encodes one decoded segment for a URI.
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// The canonical encoded form of a resource path (`/caf%C3%A9/`).
pub fn encode_path(path: &ResourcePath) -> String {
    let mut out = String::with_capacity(path.as_str().len() + 8);
    for (i, segment) in path.as_str().split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&utf8_percent_encode(segment, SEGMENT).to_string());
    }
    out
}

/// The absolute URI of a resource.
pub fn resource_uri(base: &str, pod: &PodName, path: &ResourcePath) -> String {
    format!("{base}/{pod}{}", encode_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(raw: &str) -> String {
        match parse_target(raw).unwrap() {
            Target::Resource(_, p) => p.as_str().to_owned(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decodes_and_reencodes_canonically() {
        assert_eq!(path_of("/alice/caf%c3%a9/"), "/café/");
        assert_eq!(path_of("/alice/caf%C3%A9/"), "/café/");
        let p = ResourcePath::parse("/café/a b").unwrap();
        assert_eq!(encode_path(&p), "/caf%C3%A9/a%20b");
        assert_eq!(path_of("/alice/"), "/");
    }

    #[test]
    fn refuses_traversal() {
        for raw in [
            "/alice/../bob/",
            "/alice/a/%2e%2e/b",
            "/alice/a%2Fb",
            "/alice/a%5Cb",
            "/alice//a",
            "/alice/a/./b",
            "/alice/%ff",
        ] {
            assert!(parse_target(raw).is_err(), "{raw} was accepted");
        }
    }

    #[test]
    fn pod_without_slash() {
        assert!(matches!(
            parse_target("/alice"),
            Ok(Target::PodWithoutSlash(_))
        ));
        assert!(matches!(parse_target("/"), Ok(Target::Server)));
    }
}
