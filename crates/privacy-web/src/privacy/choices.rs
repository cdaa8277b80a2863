//! The resident's own choices on the directory of organisations: which
//! entries are one organisation, and which names grouped together are not.
//!
//! What the resident does with each:
//! - **Merge** ("this is the same as…", on an organisation's page): the
//!   directory shows "decathlon.fr" and "Decathlon France" as two entries;
//!   the resident picks the other one from the list and the first joins
//!   it. The merged entry holds everything known of both, and the requests
//!   and marks made under either key (nothing recorded is rewritten).
//! - **Take apart** (each name grouped under an entry, on its page): two
//!   companies were grouped as one (their names reduce to the same key, or
//!   the resident merged them by mistake); the resident takes one name
//!   out. A name that came in through a merge goes back with the entry it
//!   came from (the merge is undone); a name grouped by the name key alone
//!   becomes an entry of its own, under a new key (`<key>-2`…).
//! - **Undo**: taking a merged name apart undoes the merge; saying a taken
//!   apart entry is "the same as" the one it came from puts it back (the
//!   split is forgotten, not a merge added on top).
//!
//! The choices are the resident's, in the pod, as an open Turtle document
//! ([`CHOICES`]): each merge a `sd:SameOrganisation` (`sd:entry`,
//! `sd:sameAs`: an organisation's name as a literal, a person's WebID as an
//! IRI), each split a `sd:SeparateOrganisation` (`foaf:name`, the entry's
//! `sd:directoryKey`), each with `dct:created`. Entries are named by their
//! names, not by keys, so a better key algorithm never loses a choice. The
//! document is read, edited and written in the pod's turn
//! (`Pipeline::turn`); one that does not parse is never replaced (the
//! resident is told to correct or delete it), and the directory then shows
//! the names as grouped without choices, saying why.

use std::collections::HashMap;

use bytes::Bytes;
use jiff::Timestamp;
use selfdata_rdf::oxrdf::vocab::{rdf, xsd};
use selfdata_rdf::oxrdf::{Graph, Literal, NamedNode, NamedOrBlankNode, Term, TermRef, Triple};
use selfdata_rdf::{RdfFormat, parse, serialize};
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};

use super::organisations::{Grouped, Organisation};
use crate::PrivacyApp;
use crate::vocab::{DCT, FOAF, SD};

/// Where the choices are, from the pod root.
pub const CHOICES: &str = "selfdata/directory/choices.ttl";

/// An entry as a choice names it: by one of its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// An organisation, by a name it has (in any language).
    Name(String),
    /// A person given access, by their WebID.
    Agent(String),
}

/// "`entry` is the same as `same_as`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub entry: Ref,
    pub same_as: Ref,
    pub at: Option<Timestamp>,
}

/// "`name` is an organisation of its own, under `key`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub name: String,
    pub key: String,
    pub at: Option<Timestamp>,
}

/// Every choice, in the order made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    pub merges: Vec<Merge>,
    pub splits: Vec<Split>,
}

/// Why the choices could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum ChoicesError {
    /// The document is there but is not choices selfdata can read.
    #[error("{CHOICES} cannot be read: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a name cannot be taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitRefused {
    /// It is the only name of its entry.
    Alone,
    /// Not one of the entry's names.
    NotHere,
}

/// The key a name has before merges: its own entry's when the resident
/// took it apart, else its name key.
fn key_of_name(splits: &[Split], name: &str) -> String {
    splits
        .iter()
        .rev()
        .find(|s| s.name == name)
        .map(|s| s.key.clone())
        .unwrap_or_else(|| selfdata_archives::key(name))
}

impl Choices {
    /// The key of `r` before merges.
    pub fn base(&self, r: &Ref) -> String {
        match r {
            Ref::Name(n) => key_of_name(&self.splits, n),
            Ref::Agent(webid) => super::organisations::person_key(webid),
        }
    }

    /// The key of the name `name` (as a directory item names itself) before
    /// merges.
    pub fn base_of_name(&self, name: &str) -> String {
        key_of_name(&self.splits, name)
    }

    /// What each key was merged into (the latest choice for a key wins).
    pub fn merged(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for m in &self.merges {
            let (from, into) = (self.base(&m.entry), self.base(&m.same_as));
            if !from.is_empty() && !into.is_empty() && from != into {
                out.insert(from, into);
            }
        }
        out
    }

    /// The key `key` ends at once merges are followed (`merged` from
    /// [`Choices::merged`]); a loop, which only an edited document can
    /// hold, stops where it would come back.
    pub fn resolve(merged: &HashMap<String, String>, key: &str) -> String {
        let mut at = key.to_owned();
        let mut seen = vec![at.clone()];
        while let Some(next) = merged.get(&at) {
            if seen.contains(next) {
                break;
            }
            seen.push(next.clone());
            at = next.clone();
        }
        at
    }

    /// Records that `from` is the same organisation as `into` (both entries
    /// of the directory, neither merged into another). When `from` was
    /// taken apart from `into`, that is undone instead.
    pub fn merge(&mut self, from: &Organisation, into: &Organisation, at: Timestamp) {
        if from.key == into.key {
            return;
        }
        let merged = self.merged();
        if let Some(i) = self.splits.iter().position(|s| {
            s.key == from.key
                && Self::resolve(&merged, &selfdata_archives::key(&s.name)) == into.key
        }) {
            self.splits.remove(i);
            return;
        }
        self.merges.push(Merge {
            entry: from.anchor.clone(),
            same_as: into.anchor.clone(),
            at: Some(at),
        });
    }

    /// Takes the name `name` apart from `entry`: the merge that brought it
    /// is undone, or it becomes an entry of its own under a key no entry
    /// has (`taken`: every key of the directory). Returns the key of the
    /// entry the name is in afterwards.
    pub fn split(
        &mut self,
        entry: &Organisation,
        name: &Grouped,
        taken: &[String],
        at: Timestamp,
    ) -> Result<String, SplitRefused> {
        if !entry.names.contains(name) {
            return Err(SplitRefused::NotHere);
        }
        if name.base != entry.key {
            // It came in by a merge: that merge, and any copy of it, goes.
            let base = name.base.clone();
            let before = self.merges.len();
            let splits = self.splits.clone();
            self.merges.retain(|m| {
                let from = match &m.entry {
                    Ref::Name(n) => key_of_name(&splits, n),
                    Ref::Agent(w) => super::organisations::person_key(w),
                };
                from != base
            });
            if self.merges.len() == before {
                return Err(SplitRefused::NotHere);
            }
            return Ok(base);
        }
        let mut siblings: Vec<&str> = entry
            .names
            .iter()
            .filter(|g| g.base == entry.key && !g.person)
            .map(|g| g.key_name.as_str())
            .collect();
        siblings.sort_unstable();
        siblings.dedup();
        if siblings.len() < 2 || name.person {
            return Err(SplitRefused::Alone);
        }
        // Merges into this entry that named it by the name leaving now
        // name it by one that stays.
        if let Some(stays) = siblings.iter().find(|n| **n != name.key_name) {
            for m in &mut self.merges {
                if m.same_as == Ref::Name(name.key_name.clone()) {
                    m.same_as = Ref::Name((*stays).to_owned());
                }
            }
        }
        let used = |k: &str| taken.iter().any(|t| t == k) || self.splits.iter().any(|s| s.key == k);
        let key = (2u32..)
            .map(|n| format!("{}-{n}", entry.key))
            .find(|k| !used(k))
            .unwrap_or_default();
        self.splits.push(Split {
            name: name.key_name.clone(),
            key: key.clone(),
            at: Some(at),
        });
        Ok(key)
    }

    /// The choices in `body`, the document at `doc` (its IRI).
    pub fn from_turtle(body: &[u8], doc: &str) -> Result<Choices, String> {
        let g = parse(body, RdfFormat::Turtle, doc).map_err(|e| e.to_string())?;
        let term = |s: &str| NamedNode::new_unchecked(format!("{SD}{s}"));
        let iri = |p: String| NamedNode::new_unchecked(p);
        // Numbered subjects (`#merge-3`) in their order; others after.
        let order = |s: &str| -> (u64, String) {
            let n = s
                .trim_end_matches('>')
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            (n, s.to_owned())
        };
        let refs = |s: &NamedOrBlankNode, p: &NamedNode| -> Result<Ref, String> {
            match g.object_for_subject_predicate(s.as_ref(), p) {
                Some(TermRef::Literal(l)) => Ok(Ref::Name(l.value().to_owned())),
                Some(TermRef::NamedNode(n)) => Ok(Ref::Agent(n.as_str().to_owned())),
                _ => Err(format!("{s} has no {p}")),
            }
        };
        let value = |s: &NamedOrBlankNode, p: &NamedNode| -> Option<String> {
            match g.object_for_subject_predicate(s.as_ref(), p)? {
                TermRef::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            }
        };
        let created = iri(format!("{DCT}created"));
        let mut choices = Choices::default();
        let mut merges: Vec<(u64, String, Merge)> = Vec::new();
        for s in g.subjects_for_predicate_object(rdf::TYPE, &term("SameOrganisation")) {
            let s = s.into_owned();
            let (n, name) = order(&s.to_string());
            merges.push((
                n,
                name,
                Merge {
                    entry: refs(&s, &term("entry"))?,
                    same_as: refs(&s, &term("sameAs"))?,
                    at: value(&s, &created).and_then(|v| v.parse().ok()),
                },
            ));
        }
        merges.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        choices.merges = merges.into_iter().map(|(_, _, m)| m).collect();
        let mut splits: Vec<(u64, String, Split)> = Vec::new();
        for s in g.subjects_for_predicate_object(rdf::TYPE, &term("SeparateOrganisation")) {
            let s = s.into_owned();
            let (n, label) = order(&s.to_string());
            let name = value(&s, &iri(format!("{FOAF}name")))
                .ok_or_else(|| format!("{s} has no foaf:name"))?;
            let key = value(&s, &term("directoryKey"))
                .filter(|k| !k.is_empty())
                .ok_or_else(|| format!("{s} has no sd:directoryKey"))?;
            splits.push((
                n,
                label,
                Split {
                    name,
                    key,
                    at: value(&s, &created).and_then(|v| v.parse().ok()),
                },
            ));
        }
        splits.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        choices.splits = splits.into_iter().map(|(_, _, s)| s).collect();
        Ok(choices)
    }

    /// The choices as the Turtle document at `doc` (its IRI).
    pub fn to_turtle(&self, doc: &str) -> Result<Vec<u8>, String> {
        let term = |s: &str| NamedNode::new_unchecked(format!("{SD}{s}"));
        let me = NamedNode::new(doc.to_owned()).map_err(|e| e.to_string())?;
        let mut g = Graph::new();
        g.insert(&Triple::new(
            me.clone(),
            rdf::TYPE,
            term("DirectoryChoices"),
        ));
        for (text, lang) in [
            (
                "Your choices on the directory of organisations that hold data on you: which entries are one organisation (sd:SameOrganisation), and which names are an organisation of their own (sd:SeparateOrganisation).",
                "en",
            ),
            (
                "Vos choix sur la liste des organismes qui détiennent des données sur vous\u{a0}: quelles entrées sont un même organisme (sd:SameOrganisation), et quels noms sont un organisme à part (sd:SeparateOrganisation).",
                "fr",
            ),
        ] {
            g.insert(&Triple::new(
                me.clone(),
                NamedNode::new_unchecked(format!("{DCT}description")),
                Literal::new_language_tagged_literal_unchecked(text, lang),
            ));
        }
        let object = |r: &Ref| -> Result<Term, String> {
            Ok(match r {
                Ref::Name(n) => Literal::new_simple_literal(n).into(),
                Ref::Agent(w) => NamedNode::new(w.clone()).map_err(|e| e.to_string())?.into(),
            })
        };
        let when = |t: Timestamp| Literal::new_typed_literal(t.to_string(), xsd::DATE_TIME);
        for (i, m) in self.merges.iter().enumerate() {
            let s = NamedNode::new_unchecked(format!("{doc}#merge-{}", i + 1));
            g.insert(&Triple::new(s.clone(), rdf::TYPE, term("SameOrganisation")));
            g.insert(&Triple::new(s.clone(), term("entry"), object(&m.entry)?));
            g.insert(&Triple::new(s.clone(), term("sameAs"), object(&m.same_as)?));
            if let Some(t) = m.at {
                g.insert(&Triple::new(
                    s,
                    NamedNode::new_unchecked(format!("{DCT}created")),
                    when(t),
                ));
            }
        }
        for (i, x) in self.splits.iter().enumerate() {
            let s = NamedNode::new_unchecked(format!("{doc}#split-{}", i + 1));
            g.insert(&Triple::new(
                s.clone(),
                rdf::TYPE,
                term("SeparateOrganisation"),
            ));
            g.insert(&Triple::new(
                s.clone(),
                NamedNode::new_unchecked(format!("{FOAF}name")),
                Literal::new_simple_literal(&x.name),
            ));
            g.insert(&Triple::new(
                s.clone(),
                term("directoryKey"),
                Literal::new_simple_literal(&x.key),
            ));
            if let Some(t) = x.at {
                g.insert(&Triple::new(
                    s,
                    NamedNode::new_unchecked(format!("{DCT}created")),
                    when(t),
                ));
            }
        }
        serialize(&g, RdfFormat::Turtle, doc).map_err(|e| e.to_string())
    }
}

fn path() -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(&format!("/{CHOICES}"))?)
}

/// The IRI of the choices of `pod`.
fn iri(app: &PrivacyApp, pod: &PodName) -> Result<String, StoreError> {
    Ok(selfdata_solid::uri::resource_uri(
        app.ctx.base_url(),
        pod,
        &path()?,
    ))
}

/// The resident's choices: none when there is no document; an error when
/// it cannot be read.
pub async fn load(app: &PrivacyApp, pod: &PodName) -> Result<Choices, ChoicesError> {
    let Some((_, body)) = app.ctx.store.get(pod, &path()?).await? else {
        return Ok(Choices::default());
    };
    Choices::from_turtle(&body, &iri(app, pod)?).map_err(ChoicesError::Unreadable)
}

/// Reads the choices, lets `change` edit them and writes them when they
/// changed, all in the pod's turn (`change` runs again on what another
/// server wrote meanwhile, if it did). A document that does not parse is
/// never replaced; nothing is written when `change` refuses.
pub async fn update<R, E>(
    app: &PrivacyApp,
    pod: &PodName,
    mut change: impl FnMut(&mut Choices) -> Result<R, E>,
) -> Result<Result<R, E>, ChoicesError> {
    let pipeline = &app.ctx.pipeline;
    let mut turn = pipeline.turn(pod).await?;
    for attempt in 1.. {
        let mut choices = load(app, pod).await?;
        let before = choices.clone();
        let r = match change(&mut choices) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        if choices == before {
            return Ok(Ok(r));
        }
        let doc = iri(app, pod)?;
        let body = choices.to_turtle(&doc).map_err(ChoicesError::Unreadable)?;
        let put = Write::Put {
            path: path()?,
            content_type: "text/turtle".to_owned(),
            body: Bytes::from(body),
            precondition: Precondition::None,
        };
        match pipeline.commit(&mut turn, vec![put]).await {
            Err(StoreError::PreconditionFailed) if turn.raced && attempt < 8 => {}
            done => return done.map(|_| Ok(r)).map_err(ChoicesError::from),
        }
    }
    unreachable!("the loop returns")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "https://pod.example/ines/selfdata/directory/choices.ttl";

    #[test]
    fn choices_round_trip_through_their_document_in_order() {
        let at: Timestamp = "2025-03-01T10:00:00Z".parse().unwrap();
        let c = Choices {
            merges: vec![
                Merge {
                    entry: Ref::Name("decathlon.fr".into()),
                    same_as: Ref::Name("Decathlon France".into()),
                    at: Some(at),
                },
                Merge {
                    entry: Ref::Agent("https://bob.example/profile/card#me".into()),
                    same_as: Ref::Name("Bob & Co".into()),
                    at: None,
                },
            ],
            splits: vec![Split {
                name: "DECATHLON PRO".into(),
                key: "decathlon-2".into(),
                at: Some(at),
            }],
        };
        let body = c.to_turtle(DOC).unwrap();
        assert_eq!(Choices::from_turtle(&body, DOC).unwrap(), c);
        assert!(Choices::from_turtle(b"<a> <b> ", DOC).is_err());
        let missing = format!("<#merge-1> a <{SD}SameOrganisation> ; <{SD}entry> \"x\" .");
        let e = Choices::from_turtle(missing.as_bytes(), DOC).unwrap_err();
        assert!(e.contains("sameAs"), "{e}");
    }

    #[test]
    fn merges_are_followed_to_the_end_and_a_loop_stops() {
        let m = |a: &str, b: &str| Merge {
            entry: Ref::Name(a.into()),
            same_as: Ref::Name(b.into()),
            at: None,
        };
        let c = Choices {
            merges: vec![m("A", "B"), m("B", "C"), m("X", "Y"), m("Y", "X")],
            splits: vec![Split {
                name: "A".into(),
                key: "a-2".into(),
                at: None,
            }],
        };
        let merged = c.merged();
        assert_eq!(Choices::resolve(&merged, "b"), "c");
        assert_eq!(Choices::resolve(&merged, "a-2"), "c", "A is its split key");
        assert_eq!(Choices::resolve(&merged, "a"), "a", "not merged itself");
        let x = Choices::resolve(&merged, "x");
        assert!(x == "x" || x == "y");
    }
}
