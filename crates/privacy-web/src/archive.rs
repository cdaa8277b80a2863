//! GDPR archives as an import, for "who has what on me": a resident drops
//! the zip Google Takeout or Facebook / Instagram "Download your
//! information" gave them; it is read safely and streamed
//! (`selfdata_archives`: bombs, unsafe names, links, encrypted entries
//! refused with a sentence, memory flat whatever its size) and gives
//! evidence of the organisations that hold data on them.
//!
//! In the pod, in one batch through the shared pipeline:
//! - the archive as received, under `selfdata/sources/<platform>/raw/`
//!   (a blob: encrypted, written from where the upload is);
//! - its evidence as an open document, `selfdata/directory/evidence/<platform>-<archive's name>.ttl`
//!   (Turtle: each organisation as a `dpv:DataController` with its name,
//!   how we know in French and English, the DPV personal data categories
//!   it holds, first and last time, the archive it comes from);
//! - the platform's source description (`about.ttl`).
//!
//! The directory ([`crate::privacy::organisations`]) reads the evidence
//! documents back; nothing about an archive is kept anywhere else.

use std::sync::Arc;

use jiff::Timestamp;
use selfdata_archives::{Archive, Evidence, EvidenceKind, Note, Platform};
use selfdata_rdf::oxrdf::vocab::{rdf, xsd};
use selfdata_rdf::oxrdf::{Graph, Literal, NamedNode, Triple};
use selfdata_rdf::{RdfFormat, serialize};
use selfdata_service::{
    Accepts, ImportFailure, Intake, Original, Plan, Summary, Told, Upload, held_period, put_file,
};
use selfdata_sources::describe::{Held, Source};
use selfdata_sources::{Expected, ImportError, Lang, Refusal};
use selfdata_store::{Backend, PodName, ResourcePath};

use crate::vocab::{DCT, DPV, FOAF, PD, SD};

/// Media types an archive may arrive with (browsers differ).
pub const ARCHIVE_TYPES: &[&str] = &[
    "application/zip",
    "application/x-zip-compressed",
    "application/octet-stream",
];

/// Where the evidence documents are, from the pod root.
pub const EVIDENCE: &str = "selfdata/directory/evidence/";

/// The archive intake of the privacy service.
pub struct Archives {
    store: Arc<dyn Backend>,
    base_url: String,
}

impl Archives {
    pub fn new(store: Arc<dyn Backend>, base_url: &str) -> Self {
        Self {
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// The folder of a platform's archives under `selfdata/sources/`.
pub fn slug(p: Platform) -> &'static str {
    match p {
        Platform::Google => "google-takeout",
        Platform::Facebook => "facebook",
        Platform::Instagram => "instagram",
    }
}

/// Whether a zip's first entry is an Office document's (a workbook is a
/// zip too; the energy service reads those).
fn is_office(head: &[u8]) -> bool {
    let Some(len) = head
        .get(26..28)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    else {
        return false;
    };
    let Some(name) = head.get(30..30 + len) else {
        return false;
    };
    [
        "[Content_Types].xml",
        "_rels/",
        "docProps/",
        "xl/",
        "word/",
        "mimetype",
    ]
    .iter()
    .any(|p| name.starts_with(p.as_bytes()))
}

static TAKEOUT: Expected = Expected {
    holder: "Google",
    what_en: "your Google Takeout archive (a zip, with My Activity in JSON)",
    what_fr: "votre archive Google Takeout (un zip, avec « Mon activité » au format JSON)",
    where_en: "takeout.google.com, My Activity, format JSON",
    where_fr: "takeout.google.com, Mon activité, format JSON",
};
static META: Expected = Expected {
    holder: "Facebook / Instagram",
    what_en: "your Facebook or Instagram archive (a zip, in JSON)",
    what_fr: "votre archive Facebook ou Instagram (un zip, au format JSON)",
    where_en: "Accounts Centre, Your information and permissions, Download your information, format JSON",
    where_fr: "Espace Comptes, Vos informations et autorisations, Télécharger vos informations, format JSON",
};

impl Accepts for Archives {
    fn service(&self) -> &'static str {
        "privacy"
    }

    fn media_types(&self) -> &'static [&'static str] {
        ARCHIVE_TYPES
    }

    fn recognises(&self, file: &Upload) -> bool {
        let head = file.head();
        head.starts_with(b"PK\x03\x04") && !is_office(head)
    }

    fn expected(&self) -> Vec<&'static Expected> {
        vec![&TAKEOUT, &META]
    }
}

fn refused(en: String, fr: String) -> Refusal {
    let trim = |s: String| s.trim_end_matches('.').to_owned();
    Refusal {
        error: ImportError::Said {
            en: trim(en),
            fr: trim(fr),
        },
        expected: Vec::new(),
    }
}

/// The first and last time an archive's evidence covers.
fn period(a: &Archive) -> (Option<Timestamp>, Option<Timestamp>) {
    let times: Vec<Timestamp> = a
        .evidence
        .iter()
        .flat_map(|e| <[Option<Timestamp>; 2]>::from(first_last(e)))
        .flatten()
        .collect();
    (times.iter().min().copied(), times.iter().max().copied())
}

/// The DPV personal data categories a piece of evidence says are held.
pub fn categories(e: &Evidence) -> Vec<&'static str> {
    match &e.kind {
        EvidenceKind::Audience {
            data_file,
            remarketing,
            store_visit,
        } => {
            let mut c = Vec::new();
            if *data_file {
                c.push("Contact");
            }
            if *remarketing {
                c.push("BrowsingBehavior");
            }
            if *store_visit {
                c.push("Location");
            }
            if c.is_empty() {
                c.push("Behavioral");
            }
            c
        }
        EvidenceKind::ActivityFromElsewhere { types, .. } => {
            let mut c = vec!["BrowsingBehavior"];
            if types.iter().any(|(t, _)| t.contains("PURCHASE")) {
                c.push("PurchasesAndSpendingHabit");
            }
            c
        }
        EvidenceKind::ProductActivity { .. } => vec!["ServiceConsumptionBehavior"],
        EvidenceKind::AdClicks { .. } => vec!["BrowsingBehavior"],
    }
}

fn first_last(e: &Evidence) -> (Option<Timestamp>, Option<Timestamp>) {
    match &e.kind {
        EvidenceKind::ActivityFromElsewhere { first, last, .. }
        | EvidenceKind::ProductActivity { first, last, .. }
        | EvidenceKind::AdClicks { first, last, .. } => (*first, *last),
        EvidenceKind::Audience { .. } => (None, None),
    }
}

fn count(e: &Evidence) -> u64 {
    match &e.kind {
        EvidenceKind::ActivityFromElsewhere { events, .. } => *events,
        EvidenceKind::ProductActivity { items, .. } => *items,
        EvidenceKind::AdClicks { clicks, .. } => *clicks,
        EvidenceKind::Audience { .. } => 1,
    }
}

/// The evidence document of an archive, in Turtle: `doc` its own IRI,
/// `original` the archive's IRI in the pod.
fn evidence_turtle(doc: &str, original: &str, a: &Archive) -> Result<Vec<u8>, String> {
    let n = |s: String| NamedNode::new(s).map_err(|e| e.to_string());
    let t = |s: &str| NamedNode::new_unchecked(s);
    let me = n(doc.to_owned())?;
    let mut g = Graph::new();
    g.insert(&Triple::new(
        me.clone(),
        rdf::TYPE,
        t(&format!("{SD}ArchiveEvidence")),
    ));
    g.insert(&Triple::new(
        me.clone(),
        t(&format!("{DCT}source")),
        n(original.to_owned())?,
    ));
    g.insert(&Triple::new(
        me.clone(),
        t(&format!("{SD}platform")),
        Literal::new_simple_literal(a.platform.archive_name()),
    ));
    for (i, e) in a.evidence.iter().enumerate() {
        let s = n(format!("{doc}#e{i}"))?;
        let mut add = |p: String, o: selfdata_rdf::oxrdf::Term| {
            g.insert(&Triple::new(s.clone(), t(&p), o));
        };
        add(
            rdf::TYPE.as_str().to_owned(),
            t(&format!("{DPV}DataController")).into(),
        );
        add(
            format!("{FOAF}name"),
            Literal::new_simple_literal(&e.organisation).into(),
        );
        add(
            format!("{SD}platform"),
            Literal::new_simple_literal(e.platform.name()).into(),
        );
        for lang in [Lang::En, Lang::Fr] {
            let code = if lang == Lang::En { "en" } else { "fr" };
            let said = Literal::new_language_tagged_literal(e.sentence(lang), code)
                .map_err(|e| e.to_string())?;
            add(format!("{DCT}description"), said.into());
        }
        for c in categories(e) {
            add(
                format!("{DPV}hasPersonalData"),
                t(&format!("{PD}{c}")).into(),
            );
        }
        let (first, last) = first_last(e);
        for (p, v) in [("first", first), ("last", last)] {
            if let Some(v) = v {
                add(
                    format!("{SD}{p}"),
                    Literal::new_typed_literal(v.to_string(), xsd::DATE_TIME).into(),
                );
            }
        }
        add(
            format!("{SD}count"),
            Literal::new_typed_literal(count(e).to_string(), xsd::INTEGER).into(),
        );
    }
    serialize(&g, RdfFormat::Turtle, doc).map_err(|e| e.to_string())
}

/// What the reader noted about an archive it took (pages left unread
/// because they are HTML, organisations past the cap), for the job page.
fn notes(a: &Archive) -> Option<Told> {
    if a.notes.is_empty() {
        return None;
    }
    let said = |lang| {
        a.notes
            .iter()
            .map(|n| n.sentence(a.platform, lang))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(Told::new(said(Lang::Fr), said(Lang::En)))
}

fn path(p: &str) -> Result<ResourcePath, ImportFailure> {
    ResourcePath::parse(&format!("/{}", p.trim_start_matches('/')))
        .map_err(|e| ImportFailure::Store(e.into()))
}

#[async_trait::async_trait]
impl Intake for Archives {
    type Parsed = Archive;

    fn parse(file: &Upload) -> Result<Archive, Refusal> {
        let reader = file.open().map_err(|e| {
            refused(
                format!("the file could not be read ({e})"),
                format!("le fichier n’a pas pu être lu ({e})"),
            )
        })?;
        let archive = selfdata_archives::read_archive(reader, |_| {})
            .map_err(|e| refused(e.sentence(Lang::En), e.sentence(Lang::Fr)))?;
        if archive.evidence.is_empty() {
            // What the reader noted says why (no "My Activity", no
            // advertiser) and what to ask for next time.
            let said = |lang| {
                let why = archive
                    .notes
                    .iter()
                    .map(|n| n.sentence(archive.platform, lang))
                    .collect::<Vec<_>>()
                    .join(" ");
                let why = if why.is_empty() {
                    Note::NothingFound.sentence(archive.platform, lang)
                } else {
                    why
                };
                match lang {
                    Lang::En => format!("{why} Nothing was kept."),
                    Lang::Fr => format!("{why} Rien n’a été gardé."),
                }
            };
            return Err(refused(said(Lang::En), said(Lang::Fr)));
        }
        Ok(archive)
    }

    fn original(&self, archive: &Archive, file: &Upload) -> Result<Original, ImportFailure> {
        let (first, last) = period(archive);
        let name = selfdata_sources::raw::raw_file_name(first, last, &file.sha256(), "zip");
        let slug = slug(archive.platform);
        Ok(Original::new(
            path(&format!("selfdata/sources/{slug}/raw/{name}"))?,
            path(&format!("selfdata/sources/{slug}/apart/{name}"))?,
            "application/zip",
        ))
    }

    async fn merge(
        &self,
        pod: &PodName,
        archive: Archive,
        original: &Original,
        _confirmed: bool,
    ) -> Result<Plan, ImportFailure> {
        let base = format!("{}/{}/", self.base_url, pod);
        let raw = original.raw.as_str().trim_start_matches('/');
        let slug = slug(archive.platform);
        // Named after the archive it comes from (its days and content hash).
        let stem = original.raw.name().trim_end_matches(".zip");
        let doc_path = format!("{EVIDENCE}{slug}-{stem}.ttl");
        let turtle = evidence_turtle(
            &format!("{base}{doc_path}"),
            &format!("{base}{raw}"),
            &archive,
        )
        .map_err(|e| ImportFailure::Damaged(format!("the evidence document: {e}")))?;
        let (first, last) = period(&archive);
        let held = held_period(&*self.store, pod, &base, slug, first.zip(last)).await?;
        let originals = selfdata_service::kept_originals(&*self.store, pod, slug, raw).await?;
        let about = format!("selfdata/sources/{slug}/about.ttl");
        let description = selfdata_sources::describe::source_turtle(
            &format!("{base}{about}"),
            &base,
            &Source {
                holder: archive.platform.holder(),
                holder_fr: None,
                themes: &[format!("{SD}OrganisationsHoldingMyData")],
                held: Held {
                    meter: None,
                    accounts: &[],
                    first: held.map(|p| p.0).or(first),
                    last: held.map(|p| p.1).or(last),
                    readings: archive.evidence.len(),
                    updated: Timestamp::now(),
                    originals: &originals,
                    normalised: std::slice::from_ref(&doc_path),
                },
            },
        )
        .map_err(|e| ImportFailure::Damaged(format!("the source description: {e}")))?;
        let organisations = {
            let mut keys: Vec<String> = archive
                .evidence
                .iter()
                .map(|e| selfdata_archives::key(&e.organisation))
                .collect();
            keys.sort();
            keys.dedup();
            keys.len()
        };
        let name = archive.platform.archive_name();
        let writes = vec![
            put_file(&doc_path, "text/turtle", turtle)?,
            put_file(&about, "text/turtle", description)?,
        ];
        let instant = |t: Option<Timestamp>| t.map(|t| t.to_string());
        Ok(Plan::Merge {
            writes,
            summary: Box::new(Summary {
                service: "privacy",
                layout: format!("{name} archive"),
                holder: archive.platform.holder().to_owned(),
                readings: archive.evidence.len(),
                changed: if original.is_new { organisations } else { 0 },
                first: instant(first),
                last: instant(last),
                days_missing: 0,
                original: String::new(),
                new_original: false,
                partial: None,
                details: serde_json::Map::new(),
                told: Told::new(
                    format!("{organisations} organismes nommés par votre archive {name}"),
                    format!("{organisations} organisations named by your {name} archive"),
                ),
                told_more: notes(&archive),
                link: Some("/app/privacy/organisations".to_owned()),
            }),
        })
    }
}
