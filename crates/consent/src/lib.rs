//! Consent records for selfdata: the fields of ISO/IEC TS 27560 as profiled
//! by W3C DPV, written as Turtle with DPV terms and read back. No IO.
//!
//! Every grant (an app allowed on the consent screen, access given to a
//! person, a data source connected, a direct transfer to an organisation,
//! later a study joined) creates one
//! [`Record`], stored in the pod at `selfdata/consents/<id>.ttl`. Its
//! [`Event`]s say what happened to it over time: [`State::Given`],
//! [`State::Withdrawn`], [`State::Expired`]; the last event is the record's
//! state. The resident gets the record itself as a receipt.
//!
//! ```
//! use selfdata_consent::{Kind, Party, Record, State};
//! let mut r = Record::new(
//!     Kind::App,
//!     "app-1".into(),
//!     "https://pod.example/alice/profile/card#me".into(),
//!     Party::new("https://app.example/id", "Ecolyo"),
//!     "2025-01-01T00:00:00Z".parse().unwrap(),
//! );
//! r.withdraw("2025-02-01T00:00:00Z".parse().unwrap(), None);
//! let back = Record::parse(r.to_turtle().as_bytes(), "https://pod.example/alice/selfdata/consents/app-1.ttl").unwrap();
//! assert_eq!(back.state(), State::Withdrawn);
//! assert_eq!(back, r);
//! ```

use jiff::Timestamp;
use selfdata_rdf::oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef, vocab::rdf};
use selfdata_rdf::{RdfFormat, TurtleWriter, encode_iri, parse};
use sha2::{Digest, Sha256};

/// The Data Privacy Vocabulary.
pub const DPV: &str = "https://w3id.org/dpv#";
/// DPV's locations and jurisdictions.
pub const DPV_LOC: &str = "https://w3id.org/dpv/loc#";
/// selfdata's own terms (the same namespace as the energy descriptions).
pub const SD: &str = "https://selfdata.example/ns#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const ACL: &str = "http://www.w3.org/ns/auth/acl#";
const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";

/// The schema the records follow (ISO/IEC TS 27560's "schema version").
pub const SCHEMA_VERSION: &str = "ISO/IEC TS 27560:2023; W3C DPV 2.1; selfdata 1";
/// Where records live in a pod.
pub const CONTAINER: &str = "selfdata/consents/";

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("the consent record is not valid Turtle: {0}")]
    Syntax(String),
    #[error("the document holds no dpv:ConsentRecord")]
    NoRecord,
    #[error("the consent record lacks {0}")]
    Missing(&'static str),
    #[error("the consent record has a bad value for {0}")]
    Bad(&'static str),
}

/// What was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An app allowed on the identity provider's consent screen.
    App,
    /// Access given by the owner to another person (an ACL authorization).
    Person,
    /// A data holder's source connected to the pod (Enedis Data Connect…).
    Source,
    /// A study joined.
    Study,
    /// A direct transfer: a registered organisation may read named parts
    /// of the pod, for a purpose, until a date.
    Transfer,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::App,
        Kind::Person,
        Kind::Source,
        Kind::Study,
        Kind::Transfer,
    ];

    /// The term (in [`SD`]) typing the record.
    pub fn term(self) -> &'static str {
        match self {
            Kind::App => "AppConsent",
            Kind::Person => "SharingConsent",
            Kind::Source => "SourceConsent",
            Kind::Study => "StudyConsent",
            Kind::Transfer => "TransferConsent",
        }
    }

    /// A short name, used as the prefix of record ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::App => "app",
            Kind::Person => "person",
            Kind::Source => "source",
            Kind::Study => "study",
            Kind::Transfer => "transfer",
        }
    }
}

/// The state an event puts the consent in (DPV consent statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Given,
    Withdrawn,
    Expired,
}

impl State {
    /// The DPV term (in [`DPV`]).
    pub fn term(self) -> &'static str {
        match self {
            State::Given => "ConsentGiven",
            State::Withdrawn => "ConsentWithdrawn",
            State::Expired => "ConsentExpired",
        }
    }

    fn from_iri(iri: &str) -> Option<State> {
        let local = iri.strip_prefix(DPV)?;
        [State::Given, State::Withdrawn, State::Expired]
            .into_iter()
            .find(|s| s.term() == local)
    }

    /// Whether access exists in this state.
    pub fn is_active(self) -> bool {
        self == State::Given
    }
}

/// A controller or recipient: an IRI, a name, maybe a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub contact: Option<String>,
}

impl Party {
    pub fn new(id: &str, name: &str) -> Self {
        Self {
            id: encode_iri(id),
            name: name.to_owned(),
            contact: None,
        }
    }
}

/// The notice shown when consent was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub uri: String,
    pub version: String,
    /// `sha256:<hex>` of the text shown.
    pub hash: String,
}

impl Notice {
    /// A notice at `uri` whose text was `text`.
    pub fn of_text(uri: &str, version: &str, text: &str) -> Self {
        Self {
            uri: encode_iri(uri),
            version: version.to_owned(),
            hash: format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))),
        }
    }
}

/// Something that happened to the consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub time: Timestamp,
    pub state: State,
    pub note: Option<String>,
}

/// One consent record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Letters, digits and `-` only (it names the resource).
    pub id: String,
    pub kind: Kind,
    pub schema_version: String,
    /// The data subject: the resident's WebID (or a pseudonym).
    pub subject: String,
    pub controller: Party,
    /// A DPV purpose IRI (`dpv:ServiceProvision` by default).
    pub purpose: String,
    /// A DPV legal basis IRI (`dpv:Consent` by default).
    pub legal_basis: String,
    /// Personal data categories, as IRIs (pod folders or category terms).
    pub data: Vec<String>,
    pub recipients: Vec<Party>,
    pub notice: Option<Notice>,
    /// A jurisdiction IRI (`loc:FR` by default).
    pub jurisdiction: String,
    /// How long the data may be kept, in words.
    pub retention: String,
    /// How to withdraw, in words or a URL.
    pub withdrawal: String,
    /// The access modes granted (`acl:Read`, `acl:Write`…), as IRIs.
    pub modes: Vec<String>,
    /// What the grant is about, to find the record again: an app's client
    /// id, a shared folder's IRI.
    pub target: Option<String>,
    /// When the consent lapses by itself, if ever.
    pub valid_until: Option<Timestamp>,
    /// In order; never empty for a stored record.
    pub events: Vec<Event>,
}

/// A record id for what a grant is about: `<kind>-<16 hex digits>` of its
/// key, so the same grant always finds its record again and the key
/// (which may be an internal identifier) is not revealed.
pub fn id_for(kind: Kind, key: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{key}", kind.as_str()).as_bytes());
    format!("{}-{}", kind.as_str(), &hex::encode(digest)[..16])
}

/// Whether `id` can name a record (and a resource).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The pod path of record `id`.
pub fn path_of(id: &str) -> String {
    format!("{CONTAINER}{id}.ttl")
}

impl Record {
    /// A record of consent given at `at` with the defaults: purpose
    /// `dpv:ServiceProvision`, legal basis `dpv:Consent`, jurisdiction
    /// France, kept until withdrawn, withdrawn from the "Who has what on
    /// me?" page. The controller is also the recipient.
    pub fn new(kind: Kind, id: String, subject: String, controller: Party, at: Timestamp) -> Self {
        Self {
            id,
            kind,
            schema_version: SCHEMA_VERSION.to_owned(),
            subject: encode_iri(&subject),
            recipients: vec![controller.clone()],
            controller,
            purpose: format!("{DPV}ServiceProvision"),
            legal_basis: format!("{DPV}Consent"),
            data: Vec::new(),
            notice: None,
            jurisdiction: format!("{DPV_LOC}FR"),
            retention: "Until consent is withdrawn".to_owned(),
            withdrawal: "On the page \"Who has what on me?\" (/app/privacy) of the store, at any time; it takes effect at once".to_owned(),
            modes: Vec::new(),
            target: None,
            valid_until: None,
            events: vec![Event {
                time: at,
                state: State::Given,
                note: None,
            }],
        }
    }

    /// The pod path of this record.
    pub fn path(&self) -> String {
        path_of(&self.id)
    }

    /// The state of the last event.
    pub fn state(&self) -> State {
        self.events.last().map(|e| e.state).unwrap_or(State::Given)
    }

    /// When consent was first given.
    pub fn given(&self) -> Option<Timestamp> {
        self.events
            .iter()
            .find(|e| e.state == State::Given)
            .map(|e| e.time)
    }

    /// When consent was last withdrawn or expired, if it is no longer given.
    pub fn ended(&self) -> Option<Timestamp> {
        self.events
            .last()
            .filter(|e| !e.state.is_active())
            .map(|e| e.time)
    }

    /// Records a withdrawal; `false` (and no change) if consent was not given.
    pub fn withdraw(&mut self, at: Timestamp, note: Option<String>) -> bool {
        self.push(State::Withdrawn, at, note)
    }

    /// Records that consent was given again (a renewed grant).
    pub fn give_again(&mut self, at: Timestamp, note: Option<String>) -> bool {
        if self.state().is_active() {
            return false;
        }
        self.events.push(Event {
            time: at,
            state: State::Given,
            note,
        });
        true
    }

    /// Records expiry if the record's validity has passed at `now`.
    pub fn expire_if_due(&mut self, now: Timestamp) -> bool {
        match self.valid_until {
            Some(until) if until <= now => self.push(State::Expired, until, None),
            _ => false,
        }
    }

    fn push(&mut self, state: State, at: Timestamp, note: Option<String>) -> bool {
        if !self.state().is_active() {
            return false;
        }
        self.events.push(Event {
            time: at,
            state,
            note,
        });
        true
    }

    /// The record as Turtle (the record is `<>`: the document itself),
    /// written by the RDF crate's one Turtle writer.
    pub fn to_turtle(&self) -> String {
        let mut doc = TurtleWriter::new(&format!("{}.ttl", self.id));
        for (p, ns) in [
            ("dpv", DPV),
            ("loc", DPV_LOC),
            ("dct", DCT),
            ("foaf", FOAF),
            ("xsd", XSD),
            ("acl", ACL),
            ("rdfs", RDFS),
            ("sd", SD),
        ] {
            doc = doc.prefix(p, ns);
        }
        let me = doc.document();
        let text = TurtleWriter::literal;
        let at = |t: Timestamp| TurtleWriter::typed(&t.to_string(), &format!("{XSD}dateTime"));
        let rdf_type = rdf::TYPE.as_str();
        doc.add(
            me.clone(),
            rdf_type,
            doc.iri(&format!("{DPV}ConsentRecord")),
        );
        doc.add(
            me.clone(),
            rdf_type,
            doc.iri(&format!("{SD}{}", self.kind.term())),
        );
        doc.add(me.clone(), &format!("{DCT}identifier"), text(&self.id));
        doc.add(
            me.clone(),
            &format!("{DCT}conformsTo"),
            text(&self.schema_version),
        );
        for (p, o) in [
            ("hasDataSubject", &self.subject),
            ("hasDataController", &self.controller.id),
            ("hasPurpose", &self.purpose),
            ("hasLegalBasis", &self.legal_basis),
        ] {
            doc.add(me.clone(), &format!("{DPV}{p}"), doc.iri(o));
        }
        for d in &self.data {
            doc.add(me.clone(), &format!("{DPV}hasPersonalData"), doc.iri(d));
        }
        for r in &self.recipients {
            doc.add(me.clone(), &format!("{DPV}hasRecipient"), doc.iri(&r.id));
        }
        if let Some(n) = &self.notice {
            let notice = doc.blank();
            doc.add(me.clone(), &format!("{DPV}hasNotice"), notice.clone());
            doc.add(
                notice.clone(),
                rdf_type,
                doc.iri(&format!("{DPV}ConsentNotice")),
            );
            doc.add(notice.clone(), &format!("{DCT}source"), doc.iri(&n.uri));
            doc.add(
                notice.clone(),
                &format!("{DCT}hasVersion"),
                text(&n.version),
            );
            doc.add(notice, &format!("{SD}sha256"), text(&n.hash));
        }
        doc.add(
            me.clone(),
            &format!("{DPV}hasJurisdiction"),
            doc.iri(&self.jurisdiction),
        );
        doc.add(me.clone(), &format!("{SD}retention"), text(&self.retention));
        doc.add(
            me.clone(),
            &format!("{SD}withdrawalMethod"),
            text(&self.withdrawal),
        );
        for m in &self.modes {
            doc.add(me.clone(), &format!("{SD}mode"), doc.iri(m));
        }
        if let Some(t) = &self.target {
            doc.add(me.clone(), &format!("{SD}grants"), doc.iri(t));
        }
        if let Some(v) = self.valid_until {
            doc.add(me.clone(), &format!("{SD}validUntil"), at(v));
        }
        let status = format!("{DPV}hasConsentStatus");
        doc.add(
            me.clone(),
            &status,
            doc.iri(&format!("{DPV}{}", self.state().term())),
        );
        for (i, e) in self.events.iter().enumerate() {
            let event = doc.blank();
            doc.add(me.clone(), &format!("{SD}event"), event.clone());
            doc.add(
                event.clone(),
                rdf_type,
                doc.iri(&format!("{SD}ConsentEvent")),
            );
            doc.add(
                event.clone(),
                &format!("{SD}sequence"),
                TurtleWriter::typed(&(i + 1).to_string(), &format!("{XSD}integer")),
            );
            doc.add(event.clone(), &format!("{DCT}date"), at(e.time));
            doc.add(
                event.clone(),
                &status,
                doc.iri(&format!("{DPV}{}", e.state.term())),
            );
            if let Some(n) = &e.note {
                doc.add(event, &format!("{RDFS}comment"), text(n));
            }
        }
        // The parties, described once each.
        let mut parties: Vec<&Party> = vec![&self.controller];
        for r in &self.recipients {
            if !parties.iter().any(|p| p.id == r.id) {
                parties.push(r);
            }
        }
        for p in parties {
            let party = doc.iri(&p.id);
            doc.add(party.clone(), &format!("{FOAF}name"), text(&p.name));
            if let Some(c) = &p.contact {
                doc.add(party, &format!("{DPV}hasContact"), text(c));
            }
        }
        doc.finish()
    }

    /// Reads a record written by [`Record::to_turtle`] (or by hand with the
    /// same terms); `base` is the document's IRI.
    pub fn parse(turtle: &[u8], base: &str) -> Result<Record, ConsentError> {
        let g = parse(turtle, RdfFormat::Turtle, base)
            .map_err(|e| ConsentError::Syntax(e.to_string()))?;
        let record_type = format!("{DPV}ConsentRecord");
        let subject = g
            .subjects_for_predicate_object(rdf::TYPE, nn(&record_type))
            .next()
            .ok_or(ConsentError::NoRecord)?;
        let one = |p: &str| object(&g, subject, p);
        let all = |p: &str| objects(&g, subject, p);
        let kind = all(rdf::TYPE.as_str())
            .iter()
            .find_map(|t| {
                Kind::ALL
                    .into_iter()
                    .find(|k| t.strip_prefix(SD) == Some(k.term()))
            })
            .ok_or(ConsentError::Missing("its kind"))?;
        let party = |id: String| Party {
            name: object(&g, named(&id), &format!("{FOAF}name")).unwrap_or_default(),
            contact: object(&g, named(&id), &format!("{DPV}hasContact")),
            id,
        };
        let controller = party(
            one(&format!("{DPV}hasDataController")).ok_or(ConsentError::Missing("a controller"))?,
        );
        let recipients = all(&format!("{DPV}hasRecipient"))
            .into_iter()
            .map(party)
            .collect();
        let notice = g
            .object_for_subject_predicate(subject, nn(&format!("{DPV}hasNotice")))
            .and_then(|t| match t {
                TermRef::BlankNode(b) => Some(NamedOrBlankNodeRef::BlankNode(b)),
                TermRef::NamedNode(n) => Some(NamedOrBlankNodeRef::NamedNode(n)),
                _ => None,
            })
            .map(|n| Notice {
                uri: object(&g, n, &format!("{DCT}source")).unwrap_or_default(),
                version: object(&g, n, &format!("{DCT}hasVersion")).unwrap_or_default(),
                hash: object(&g, n, &format!("{SD}sha256")).unwrap_or_default(),
            });
        let mut events = Vec::new();
        for t in g.objects_for_subject_predicate(subject, nn(&format!("{SD}event"))) {
            let node = match t {
                TermRef::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b),
                TermRef::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n),
                _ => return Err(ConsentError::Bad("an event")),
            };
            let time = object(&g, node, &format!("{DCT}date"))
                .and_then(|d| d.parse::<Timestamp>().ok())
                .ok_or(ConsentError::Bad("an event's date"))?;
            let state = object(&g, node, &format!("{DPV}hasConsentStatus"))
                .and_then(|s| State::from_iri(&s))
                .ok_or(ConsentError::Bad("an event's status"))?;
            let seq = object(&g, node, &format!("{SD}sequence"))
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            let note = object(&g, node, &format!("{RDFS}comment"));
            events.push((time, seq, Event { time, state, note }));
        }
        if events.is_empty() {
            return Err(ConsentError::Missing("events"));
        }
        events.sort_by_key(|(t, s, _)| (*t, *s));
        let mut data = all(&format!("{DPV}hasPersonalData"));
        data.sort();
        let mut modes = all(&format!("{SD}mode"));
        modes.sort();
        Ok(Record {
            id: one(&format!("{DCT}identifier")).ok_or(ConsentError::Missing("an identifier"))?,
            kind,
            schema_version: one(&format!("{DCT}conformsTo")).unwrap_or_default(),
            subject: one(&format!("{DPV}hasDataSubject"))
                .ok_or(ConsentError::Missing("a data subject"))?,
            controller,
            purpose: one(&format!("{DPV}hasPurpose")).ok_or(ConsentError::Missing("a purpose"))?,
            legal_basis: one(&format!("{DPV}hasLegalBasis"))
                .ok_or(ConsentError::Missing("a legal basis"))?,
            data,
            recipients,
            notice,
            jurisdiction: one(&format!("{DPV}hasJurisdiction")).unwrap_or_default(),
            retention: one(&format!("{SD}retention")).unwrap_or_default(),
            withdrawal: one(&format!("{SD}withdrawalMethod")).unwrap_or_default(),
            modes,
            target: one(&format!("{SD}grants")),
            valid_until: one(&format!("{SD}validUntil")).and_then(|v| v.parse().ok()),
            events: events.into_iter().map(|(_, _, e)| e).collect(),
        })
    }

    /// Sorts the set-valued fields as [`Record::parse`] returns them.
    pub fn normalised(mut self) -> Self {
        self.data.sort();
        self.modes.sort();
        self
    }
}

fn nn(iri: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(iri)
}

fn named(id: &str) -> NamedOrBlankNodeRef<'_> {
    NamedOrBlankNodeRef::NamedNode(NamedNodeRef::new_unchecked(id))
}

fn term_value(t: TermRef<'_>) -> Option<String> {
    match t {
        TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
        TermRef::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

fn object(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Option<String> {
    g.objects_for_subject_predicate(s, nn(p))
        .find_map(term_value)
}

fn objects(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Vec<String> {
    g.objects_for_subject_predicate(s, nn(p))
        .filter_map(term_value)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://pod.example/alice/selfdata/consents/x.ttl";

    fn sample() -> Record {
        let mut r = Record::new(
            Kind::Person,
            id_for(Kind::Person, "bob"),
            "https://pod.example/alice/profile/card#me".into(),
            Party {
                id: "https://bob.example/card#me".into(),
                name: "Bob \"the\" builder\nsecond line".into(),
                contact: Some("bob@example.org".into()),
            },
            "2025-03-01T10:00:00Z".parse().unwrap(),
        );
        r.data = vec![
            "https://pod.example/alice/selfdata/energy/".into(),
            "https://pod.example/alice/photos/".into(),
        ];
        r.modes = vec![format!("{ACL}Read"), format!("{ACL}Write")];
        r.target = Some("https://pod.example/alice/photos/".into());
        r.notice = Some(Notice::of_text(
            "https://pod.example/privacy",
            "1",
            "Share photos",
        ));
        r.valid_until = Some("2026-03-01T10:00:00Z".parse().unwrap());
        r
    }

    #[test]
    fn a_record_round_trips_through_turtle() {
        let r = sample().normalised();
        let t = r.to_turtle();
        assert!(
            t.contains("<> a sd:SharingConsent , dpv:ConsentRecord"),
            "{t}"
        );
        assert!(t.contains("dpv:hasLegalBasis dpv:Consent"));
        assert!(t.contains("dpv:hasConsentStatus dpv:ConsentGiven"));
        let back = Record::parse(t.as_bytes(), BASE).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn withdrawal_is_an_event_and_the_state_follows_the_last_event() {
        let mut r = sample();
        assert_eq!(r.state(), State::Given);
        assert!(r.withdraw(
            "2025-04-01T00:00:00Z".parse().unwrap(),
            Some("revoked".into())
        ));
        assert!(!r.withdraw("2025-04-02T00:00:00Z".parse().unwrap(), None));
        assert_eq!(r.state(), State::Withdrawn);
        assert!(!r.expire_if_due("2030-01-01T00:00:00Z".parse().unwrap()));
        let back = Record::parse(r.to_turtle().as_bytes(), BASE).unwrap();
        assert_eq!(back.events.len(), 2);
        assert_eq!(back.state(), State::Withdrawn);
        assert_eq!(back.events[1].note.as_deref(), Some("revoked"));
        assert!(
            r.to_turtle()
                .contains("dpv:hasConsentStatus dpv:ConsentWithdrawn")
        );
        assert!(
            back.clone()
                .give_again("2025-05-01T00:00:00Z".parse().unwrap(), None)
        );
    }

    #[test]
    fn consent_expires_when_its_validity_passes() {
        let mut r = sample();
        assert!(!r.expire_if_due("2025-06-01T00:00:00Z".parse().unwrap()));
        assert!(r.expire_if_due("2026-06-01T00:00:00Z".parse().unwrap()));
        assert_eq!(r.state(), State::Expired);
        assert_eq!(r.ended(), r.valid_until);
    }

    #[test]
    fn ids_are_stable_and_safe_and_bad_iris_are_escaped() {
        let a = id_for(Kind::App, "secret-grant-id");
        assert_eq!(a, id_for(Kind::App, "secret-grant-id"));
        assert!(valid_id(&a) && a.starts_with("app-") && !a.contains("secret"));
        assert!(!valid_id("../x") && !valid_id(""));
        let r = Record::new(
            Kind::App,
            a,
            "https://x/y z>".into(),
            Party::new("https://app/<id>", "A"),
            Timestamp::UNIX_EPOCH,
        );
        let back = Record::parse(r.to_turtle().as_bytes(), BASE).unwrap();
        assert_eq!(back.subject, "https://x/y%20z%3E");
        assert_eq!(back.controller.id, "https://app/%3Cid%3E");
    }

    #[test]
    fn an_app_name_with_a_carriage_return_quote_backslash_or_bracket_round_trips() {
        let hostile = "Evil\r\"app\"\\ <b>\n";
        let mut r = sample().normalised();
        r.controller.name = hostile.to_owned();
        r.retention = hostile.to_owned();
        r.id = "app-0123456789abcdef".to_owned();
        let back = Record::parse(r.to_turtle().as_bytes(), BASE).unwrap();
        assert_eq!(back.controller.name, hostile);
        assert_eq!(back.retention, hostile);
    }

    #[test]
    fn damaged_records_are_refused() {
        assert!(matches!(
            Record::parse(b"<> a <x:y> .", BASE),
            Err(ConsentError::NoRecord)
        ));
        assert!(matches!(
            Record::parse(b"<> a", BASE),
            Err(ConsentError::Syntax(_))
        ));
        let no_events = sample()
            .to_turtle()
            .lines()
            .filter(|l| !l.contains("sd:event"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(Record::parse(no_events.as_bytes(), BASE).is_err());
    }
}
