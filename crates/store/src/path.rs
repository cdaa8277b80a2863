//! Names inside the store: pod names and resource paths.
//!
//! A [`ResourcePath`] is the decoded, validated path of a resource inside one
//! pod (`/`, `/inbox/`, `/profile/card`). It is built only through
//! [`ResourcePath::parse`], so every path the store sees is free of `.` and
//! `..` segments, empty segments, control characters and encoded slashes.

use std::fmt;

/// Why a pod name or path was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error(
        "a pod name has 2 to 63 characters: lowercase letters, digits and hyphens, starting with a letter or digit"
    )]
    PodNameShape,
    #[error(
        "the pod name '{0}' cannot be used: /{0} is an address of the server's own pages; choose another name"
    )]
    PodNameReserved(String),
    #[error("the path must start with '/'")]
    NotAbsolute,
    #[error("the path has an empty segment ('//')")]
    EmptySegment,
    #[error("the path has a '.' or '..' segment, which cannot name a resource")]
    DotSegment,
    #[error("a path segment holds a slash, a backslash or a control character")]
    ForbiddenCharacter,
    #[error("a path segment is longer than 255 bytes")]
    SegmentTooLong,
    #[error("the path is deeper than 64 levels")]
    TooDeep,
}

/// The first path segments the server's own routes take (`account`, `app`,
/// `idp`…), which no new pod may be named. Not a list kept here: each crate
/// that routes declares its roots, and the binary gathers them at start (the
/// same constants its routers are built from).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservedNames(std::collections::BTreeSet<String>);

impl ReservedNames {
    pub fn new<'a>(roots: impl IntoIterator<Item = &'a str>) -> Self {
        Self(roots.into_iter().map(str::to_owned).collect())
    }

    /// Whether a pod called `name` would be hidden by one of the routes.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// A name for a NEW pod: the shape of [`PodName::parse`], and not one of
    /// the routes' roots (a pod named `energy` would hide its owner's pages).
    pub fn new_pod(&self, name: &str) -> Result<PodName, NameError> {
        let pod = PodName::parse(name)?;
        if self.contains(pod.as_str()) {
            return Err(NameError::PodNameReserved(pod.0));
        }
        Ok(pod)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// A validated pod name: `[a-z0-9][a-z0-9-]{1,62}`. A new pod's name is also
/// checked against the routes' roots ([`ReservedNames::new_pod`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodName(String);

impl PodName {
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let ok_shape = (2..=63).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        if !ok_shape {
            return Err(NameError::PodNameShape);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The decoded path of a resource within its pod. Containers end with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePath(String);

const MAX_DEPTH: usize = 64;

impl ResourcePath {
    /// The pod's root container, `/`.
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Validates an already percent-decoded path.
    pub fn parse(path: &str) -> Result<Self, NameError> {
        let rest = path.strip_prefix('/').ok_or(NameError::NotAbsolute)?;
        if rest.is_empty() {
            return Ok(Self::root());
        }
        let body = rest.strip_suffix('/').unwrap_or(rest);
        let mut depth = 0;
        for segment in body.split('/') {
            Self::check_segment(segment)?;
            depth += 1;
        }
        if depth > MAX_DEPTH {
            return Err(NameError::TooDeep);
        }
        Ok(Self(path.to_owned()))
    }

    /// Checks one decoded segment (a file or container name without slash).
    pub fn check_segment(segment: &str) -> Result<(), NameError> {
        if segment.is_empty() {
            return Err(NameError::EmptySegment);
        }
        if segment == "." || segment == ".." {
            return Err(NameError::DotSegment);
        }
        if segment.len() > 255 {
            return Err(NameError::SegmentTooLong);
        }
        if segment
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
        {
            return Err(NameError::ForbiddenCharacter);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    pub fn is_container(&self) -> bool {
        self.0.ends_with('/')
    }

    /// The container holding this resource; `None` for the root.
    pub fn parent(&self) -> Option<ResourcePath> {
        if self.is_root() {
            return None;
        }
        let trimmed = self.0.strip_suffix('/').unwrap_or(&self.0);
        let cut = trimmed.rfind('/')?;
        Some(Self(trimmed[..=cut].to_owned()))
    }

    /// The last segment, with a trailing `/` for containers; empty for the root.
    pub fn name(&self) -> &str {
        let trimmed = self.0.strip_suffix('/').unwrap_or(&self.0);
        let start = trimmed.rfind('/').map_or(0, |i| i + 1);
        &self.0[start..]
    }

    /// Appends a child name (which may end with `/` for a container).
    pub fn child(&self, name: &str) -> Result<ResourcePath, NameError> {
        debug_assert!(self.is_container());
        Self::check_segment(name.strip_suffix('/').unwrap_or(name))?;
        Ok(Self(format!("{}{}", self.0, name)))
    }

    /// The same path with or without its trailing slash: the one other path
    /// that may never name a different resource.
    pub fn slash_twin(&self) -> Option<ResourcePath> {
        if self.is_root() {
            None
        } else if let Some(doc) = self.0.strip_suffix('/') {
            Some(Self(doc.to_owned()))
        } else {
            Some(Self(format!("{}/", self.0)))
        }
    }

    /// Auxiliary resources (`.acl` for access control, `.meta` for the
    /// description) belong to a subject resource and are not listed in
    /// containers.
    pub fn auxiliary_kind(&self) -> Option<AuxKind> {
        if self.is_container() {
            return None;
        }
        let name = self.name();
        if name.ends_with(".acl") {
            Some(AuxKind::Acl)
        } else if name.ends_with(".meta") {
            Some(AuxKind::Meta)
        } else {
            None
        }
    }

    /// The resource an auxiliary resource describes (`/a/.acl` → `/a/`, `/a/b.acl` → `/a/b`).
    pub fn aux_subject(&self) -> Option<ResourcePath> {
        let kind = self.auxiliary_kind()?;
        let stem = &self.0[..self.0.len() - kind.suffix().len()];
        Some(Self(stem.to_owned()))
    }

    /// The path of this resource's auxiliary resource of the given kind.
    pub fn aux(&self, kind: AuxKind) -> ResourcePath {
        Self(format!("{}{}", self.0, kind.suffix()))
    }
}

/// The kinds of auxiliary resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuxKind {
    Acl,
    Meta,
}

impl AuxKind {
    pub const ALL: [AuxKind; 2] = [AuxKind::Acl, AuxKind::Meta];

    pub fn suffix(self) -> &'static str {
        match self {
            AuxKind::Acl => ".acl",
            AuxKind::Meta => ".meta",
        }
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_names() {
        let p = ResourcePath::parse("/a/b/c").unwrap();
        assert_eq!(p.parent().unwrap().as_str(), "/a/b/");
        assert_eq!(p.name(), "c");
        let c = ResourcePath::parse("/a/b/").unwrap();
        assert_eq!(c.parent().unwrap().as_str(), "/a/");
        assert_eq!(c.name(), "b/");
        assert_eq!(ResourcePath::root().parent(), None);
        assert_eq!(
            ResourcePath::parse("/a").unwrap().parent().unwrap(),
            ResourcePath::root()
        );
    }

    #[test]
    fn refuses_traversal_and_empty_segments() {
        assert_eq!(ResourcePath::parse("/a/../b"), Err(NameError::DotSegment));
        assert_eq!(ResourcePath::parse("/a/./b"), Err(NameError::DotSegment));
        assert_eq!(ResourcePath::parse("/a//b"), Err(NameError::EmptySegment));
        assert_eq!(ResourcePath::parse("a"), Err(NameError::NotAbsolute));
        assert_eq!(
            ResourcePath::parse("/a\\b"),
            Err(NameError::ForbiddenCharacter)
        );
        assert_eq!(
            ResourcePath::parse("/a\u{0}b"),
            Err(NameError::ForbiddenCharacter)
        );
    }

    #[test]
    fn auxiliary_resources() {
        let acl = ResourcePath::parse("/a/.acl").unwrap();
        assert_eq!(acl.auxiliary_kind(), Some(AuxKind::Acl));
        assert_eq!(acl.aux_subject().unwrap().as_str(), "/a/");
        let meta = ResourcePath::parse("/a/b.meta").unwrap();
        assert_eq!(meta.aux_subject().unwrap().as_str(), "/a/b");
        assert_eq!(ResourcePath::parse("/a/b").unwrap().auxiliary_kind(), None);
    }

    #[test]
    fn pod_names() {
        assert!(PodName::parse("alice").is_ok());
        assert!(PodName::parse("a").is_err());
        assert!(PodName::parse("Alice").is_err());
        assert!(PodName::parse("-x").is_err());
        let reserved = ReservedNames::new(["health", "app"]);
        assert!(matches!(
            reserved.new_pod("health"),
            Err(NameError::PodNameReserved(_))
        ));
        assert!(reserved.new_pod("alice").is_ok());
        // An existing pod is still addressed by its name.
        assert!(PodName::parse("health").is_ok());
    }

    /// Pod names become WebIDs and URLs: only ASCII, so no Unicode twin
    /// (NFC/NFD, confusable letters) and no invisible or bidi character.
    #[test]
    fn pod_names_have_no_unicode_twins_or_invisible_characters() {
        for twin in [
            "caf\u{e9}",
            "cafe\u{301}",
            "\u{430}lice",
            "alice\u{200b}",
            "al\u{202e}ice",
            "\u{2066}alice",
            "alice\u{feff}",
            "ali ce",
            "\u{ff41}lice",
        ] {
            assert_eq!(
                PodName::parse(twin),
                Err(NameError::PodNameShape),
                "{twin:?}"
            );
        }
    }
}
