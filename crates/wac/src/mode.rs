//! Access modes ([`Mode`]) and small sets of them ([`ModeSet`]).
//!
//! WAC defines four modes (`acl:Read`, `acl:Write`, `acl:Append`,
//! `acl:Control`). `acl:Append` is a subclass of `acl:Write`, so a grant of
//! Write also allows everything Append allows: [`ModeSet`] keeps that
//! invariant itself (inserting [`Mode::Write`] also inserts [`Mode::Append`]).

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

use selfdata_rdf::PatchModes;

/// The `acl:` namespace.
pub const ACL_NS: &str = "http://www.w3.org/ns/auth/acl#";

/// One WAC access mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// `acl:Read`: view a resource (GET, HEAD).
    Read,
    /// `acl:Write`: create, replace, modify or delete a resource. Implies Append.
    Write,
    /// `acl:Append`: add to a resource or create members, never remove.
    Append,
    /// `acl:Control`: read and write the resource's ACL document.
    Control,
}

impl Mode {
    /// All modes, in the order the `WAC-Allow` header lists them.
    pub const ALL: [Mode; 4] = [Mode::Read, Mode::Write, Mode::Append, Mode::Control];

    /// The token used in the `WAC-Allow` header: `read`, `write`, `append`, `control`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Read => "read",
            Mode::Write => "write",
            Mode::Append => "append",
            Mode::Control => "control",
        }
    }

    /// The full IRI of the mode in the ACL ontology.
    pub const fn iri(self) -> &'static str {
        match self {
            Mode::Read => "http://www.w3.org/ns/auth/acl#Read",
            Mode::Write => "http://www.w3.org/ns/auth/acl#Write",
            Mode::Append => "http://www.w3.org/ns/auth/acl#Append",
            Mode::Control => "http://www.w3.org/ns/auth/acl#Control",
        }
    }

    /// The mode named by `iri`, or `None` for anything else (including
    /// `acl:Access` and foreign modes, which WAC says to ignore).
    pub fn from_iri(iri: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.iri() == iri)
    }

    const fn bit(self) -> u8 {
        match self {
            Mode::Read => 1,
            Mode::Write => 2,
            Mode::Append => 4,
            Mode::Control => 8,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Mode`]s. Write implies Append: a set never holds Write without
/// Append, so `set.contains(Mode::Append)` is true whenever Write was granted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModeSet(u8);

impl ModeSet {
    /// No modes.
    pub const EMPTY: ModeSet = ModeSet(0);
    /// Every mode.
    pub const ALL: ModeSet = ModeSet(0b1111);
    /// `{Read}`.
    pub const READ: ModeSet = ModeSet::EMPTY.with(Mode::Read);
    /// `{Write, Append}`.
    pub const WRITE: ModeSet = ModeSet::EMPTY.with(Mode::Write);
    /// `{Append}`.
    pub const APPEND: ModeSet = ModeSet::EMPTY.with(Mode::Append);
    /// `{Control}`.
    pub const CONTROL: ModeSet = ModeSet::EMPTY.with(Mode::Control);

    /// An empty set.
    pub const fn new() -> Self {
        Self::EMPTY
    }

    /// This set plus `mode` (plus Append if `mode` is Write).
    #[must_use]
    pub const fn with(self, mode: Mode) -> Self {
        let extra = match mode {
            Mode::Write => Mode::Write.bit() | Mode::Append.bit(),
            other => other.bit(),
        };
        ModeSet(self.0 | extra)
    }

    /// Adds `mode` (and Append if `mode` is Write).
    pub fn insert(&mut self, mode: Mode) {
        *self = self.with(mode);
    }

    /// Whether `mode` is granted. Append is granted by Write.
    pub const fn contains(self, mode: Mode) -> bool {
        self.0 & mode.bit() != 0
    }

    /// Whether every mode of `required` is in this set.
    pub const fn contains_all(self, required: ModeSet) -> bool {
        self.0 & required.0 == required.0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Modes in either set.
    #[must_use]
    pub const fn union(self, other: ModeSet) -> ModeSet {
        ModeSet(self.0 | other.0)
    }

    /// Modes in both sets.
    #[must_use]
    pub const fn intersection(self, other: ModeSet) -> ModeSet {
        ModeSet(self.0 & other.0)
    }

    /// The modes, in the order read, write, append, control.
    pub fn iter(self) -> impl Iterator<Item = Mode> {
        Mode::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

impl fmt::Debug for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Space-separated tokens as in the `WAC-Allow` header, e.g. `read write append`.
impl fmt::Display for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, mode) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(mode.as_str())?;
        }
        Ok(())
    }
}

impl From<Mode> for ModeSet {
    fn from(mode: Mode) -> Self {
        ModeSet::EMPTY.with(mode)
    }
}

impl FromIterator<Mode> for ModeSet {
    fn from_iter<I: IntoIterator<Item = Mode>>(iter: I) -> Self {
        iter.into_iter().fold(ModeSet::EMPTY, ModeSet::with)
    }
}

impl<const N: usize> From<[Mode; N]> for ModeSet {
    fn from(modes: [Mode; N]) -> Self {
        modes.into_iter().collect()
    }
}

impl IntoIterator for ModeSet {
    type Item = Mode;
    type IntoIter = std::vec::IntoIter<Mode>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter().collect::<Vec<_>>().into_iter()
    }
}

impl BitOr for ModeSet {
    type Output = ModeSet;
    fn bitor(self, rhs: ModeSet) -> ModeSet {
        self.union(rhs)
    }
}

impl BitOrAssign for ModeSet {
    fn bitor_assign(&mut self, rhs: ModeSet) {
        *self = self.union(rhs);
    }
}

impl BitAnd for ModeSet {
    type Output = ModeSet;
    fn bitand(self, rhs: ModeSet) -> ModeSet {
        self.intersection(rhs)
    }
}

/// The modes a PATCH needs on the target resource, from its content
/// ([`selfdata_rdf::Patch::required_modes`]): Read if it reads (a `where`
/// clause or a deletion), Append if it inserts, Write if it deletes.
impl From<PatchModes> for ModeSet {
    fn from(p: PatchModes) -> Self {
        let mut set = ModeSet::EMPTY;
        if p.read {
            set.insert(Mode::Read);
        }
        if p.append {
            set.insert(Mode::Append);
        }
        if p.write {
            set.insert(Mode::Write);
        }
        set
    }
}
