//! The directory of organisations as an open document of the pod,
//! `selfdata/directory/organisations.ttl` ([`ORGANISATIONS`]), for the
//! resident and the apps they allow: each entry a `dpv:DataController`
//! (a person given access also a `foaf:Person`) with its `foaf:name` (in
//! English and French when they differ), its `sd:directoryKey` (the key of
//! its page and of the requests recorded for it), its `sd:sector`, the
//! `dpv:hasPersonalData` DPV-PD categories it holds, how we know
//! (`dct:description`, in French and English), the first and last time
//! known (`sd:first`, `sd:last`), and where the latest request to it
//! stands (`sd:latestRequest`: article, sent, due, answered, erased, and a
//! `sd:status` of `asked`, `overdue`, `answered` or `erased`).
//!
//! A GET never writes it. It is written again after each of the resident's
//! own changes on the directory (a merge, a name taken apart, a request
//! marked asked, answered or erased, from an organisation's page or the
//! rights page), and when the resident asks for it (`POST
//! /app/privacy/organisations/refresh`, CSRF-checked, the button under the
//! directory). It may therefore be stale: after an import (an archive, a
//! bank statement, meter readings), after an app is allowed or a person
//! given access (or those revoked), and as days pass (a request becomes
//! overdue), until the next change or refresh. Rewriting it on each of
//! those would make every import and every grant compute the whole
//! directory twice (once per language) for a document nobody may read
//! before the next visit; its `dct:modified` says when it was written.

use bytes::Bytes;
use jiff::Timestamp;
use jiff::civil::Date;
use selfdata_rdf::oxrdf::vocab::{rdf, xsd};
use selfdata_rdf::oxrdf::{Graph, Literal, NamedNode, Term, Triple};
use selfdata_rdf::{RdfFormat, serialize};
use selfdata_service::Registry;
use selfdata_site::Lang;
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};

use super::organisation::short_status;
use super::organisations::{Organisation, directory};
use super::requests::{Sent, due, latest_by_key, latest_for, requests_sent};
use crate::PrivacyApp;
use crate::vocab::{DATA_CONTROLLER, DCT, DPV, FOAF, PD, SD};

/// Where the document is, from the pod root.
pub const ORGANISATIONS: &str = "selfdata/directory/organisations.ttl";

/// Where a request stands, as a token for re-users.
pub fn status_token(s: &Sent, today: Date) -> &'static str {
    if s.erased.is_some() {
        "erased"
    } else if s.answered.is_some() {
        "answered"
    } else if due(s.sent) < today {
        "overdue"
    } else {
        "asked"
    }
}

/// The fragment of an entry's subject: its key, percent-encoded.
fn fragment(key: &str) -> String {
    let mut out = String::from("o-");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The document at `doc` for the directory as listed in English (`en`)
/// and French (`fr`), with the requests `sent` as of `today`, written `now`.
pub fn turtle(
    doc: &str,
    en: &[Organisation],
    fr: &[Organisation],
    sent: &[Sent],
    today: Date,
    now: Timestamp,
) -> Result<Vec<u8>, String> {
    let n = |s: String| NamedNode::new(s).map_err(|e| e.to_string());
    let t = |s: &str| NamedNode::new_unchecked(s);
    let sd = |s: &str| NamedNode::new_unchecked(format!("{SD}{s}"));
    let tagged = |v: &str, lang: &str| -> Term {
        Literal::new_language_tagged_literal_unchecked(v, lang).into()
    };
    let me = n(doc.to_owned())?;
    let mut g = Graph::new();
    let mut add = |s: &NamedNode, p: NamedNode, o: Term| {
        g.insert(&Triple::new(s.clone(), p, o));
    };
    add(
        &me,
        rdf::TYPE.into_owned(),
        sd("OrganisationsDirectory").into(),
    );
    add(
        &me,
        t(&format!("{DCT}modified")),
        Literal::new_typed_literal(now.to_string(), xsd::DATE_TIME).into(),
    );
    add(
        &me,
        t(&format!("{DCT}description")),
        tagged(
            "The organisations that hold data on you, as your directory listed them when this document was written (dct:modified): it is written again when you change the directory, and when you ask for it.",
            "en",
        ),
    );
    add(
        &me,
        t(&format!("{DCT}description")),
        tagged(
            "Les organismes qui détiennent des données sur vous, tels que votre liste les montrait quand ce document a été écrit (dct:modified)\u{a0}: il est réécrit quand vous modifiez la liste, et quand vous le demandez.",
            "fr",
        ),
    );
    let latest = latest_by_key(sent);
    for o in en {
        let s = n(format!("{doc}#{}", fragment(&o.key)))?;
        add(&me, sd("organisation"), s.clone().into());
        add(&s, rdf::TYPE.into_owned(), t(DATA_CONTROLLER).into());
        if o.person {
            add(
                &s,
                rdf::TYPE.into_owned(),
                t(&format!("{FOAF}Person")).into(),
            );
        }
        let french = fr.iter().find(|x| x.key == o.key);
        let name_fr = french.map_or(o.name.as_str(), |x| x.name.as_str());
        if name_fr == o.name {
            add(
                &s,
                t(&format!("{FOAF}name")),
                Literal::new_simple_literal(&o.name).into(),
            );
        } else {
            add(&s, t(&format!("{FOAF}name")), tagged(&o.name, "en"));
            add(&s, t(&format!("{FOAF}name")), tagged(name_fr, "fr"));
        }
        add(
            &s,
            sd("directoryKey"),
            Literal::new_simple_literal(&o.key).into(),
        );
        add(
            &s,
            sd("sector"),
            Literal::new_simple_literal(o.sector.slug()).into(),
        );
        for lang in [Lang::En, Lang::Fr] {
            add(
                &s,
                sd("sectorName"),
                tagged(o.sector.name(lang), lang.code()),
            );
        }
        for c in o.categories() {
            add(
                &s,
                t(&format!("{DPV}hasPersonalData")),
                t(&format!("{PD}{c}")).into(),
            );
        }
        let mut hows: Vec<(&str, &str)> = o.known.iter().map(|k| (k.how.as_str(), "en")).collect();
        if let Some(x) = french {
            hows.extend(x.known.iter().map(|k| (k.how.as_str(), "fr")));
        }
        for (how, lang) in hows.into_iter().filter(|(h, _)| !h.is_empty()) {
            add(&s, t(&format!("{DCT}description")), tagged(how, lang));
        }
        let first = o.known.iter().filter_map(|k| k.first).min();
        let last = o.known.iter().filter_map(|k| k.last.or(k.first)).max();
        for (p, v) in [("first", first), ("last", last)] {
            if let Some(v) = v {
                add(
                    &s,
                    sd(p),
                    Literal::new_typed_literal(v.to_string(), xsd::DATE_TIME).into(),
                );
            }
        }
        if let Some(r) = latest_for(&latest, &o.keys) {
            let q = n(format!("{doc}#{}-request", fragment(&o.key)))?;
            add(&s, sd("latestRequest"), q.clone().into());
            add(&q, rdf::TYPE.into_owned(), sd("RightsRequest").into());
            add(
                &q,
                sd("article"),
                Literal::new_typed_literal(r.article.to_string(), xsd::INTEGER).into(),
            );
            add(
                &q,
                sd("status"),
                Literal::new_simple_literal(status_token(r, today)).into(),
            );
            let day =
                |d: Date| -> Term { Literal::new_typed_literal(d.to_string(), xsd::DATE).into() };
            add(&q, sd("sent"), day(r.sent));
            add(&q, sd("due"), day(due(r.sent)));
            if let Some(d) = r.answered {
                add(&q, sd("answered"), day(d));
            }
            if let Some(d) = r.erased {
                add(&q, sd("erased"), day(d));
            }
            for lang in [Lang::En, Lang::Fr] {
                add(
                    &q,
                    t(&format!("{DCT}description")),
                    tagged(&short_status(r, today, lang).0, lang.code()),
                );
            }
        }
    }
    serialize(&g, RdfFormat::Turtle, doc).map_err(|e| e.to_string())
}

fn path() -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(&format!("/{ORGANISATIONS}"))?)
}

/// Writes the document of `pod`'s directory as it is now, in the pod's
/// turn (two writes, on any servers, never interleave an older directory
/// after a newer one).
pub async fn publish(
    app: &PrivacyApp,
    registry: &Registry,
    pod: &PodName,
) -> Result<(), StoreError> {
    let pipeline = &app.ctx.pipeline;
    let mut turn = pipeline.turn(pod).await?;
    for attempt in 1.. {
        let en = directory(app, registry, pod, Lang::En).await;
        let fr = directory(app, registry, pod, Lang::Fr).await;
        let sent = requests_sent(app, pod).await;
        let doc = selfdata_solid::uri::resource_uri(app.ctx.base_url(), pod, &path()?);
        let body = turtle(&doc, &en, &fr, &sent, app.ctx.today(), Timestamp::now())
            .map_err(StoreError::Io)?;
        let put = Write::Put {
            path: path()?,
            content_type: "text/turtle".to_owned(),
            body: Bytes::from(body),
            precondition: Precondition::None,
        };
        match pipeline.commit(&mut turn, vec![put]).await {
            Err(StoreError::PreconditionFailed) if turn.raced && attempt < 8 => {}
            done => return done.map(|_| ()),
        }
    }
    unreachable!("the loop returns")
}

/// [`publish`] after a change the resident made: the change is done
/// whatever comes of the document, so a failure is logged, not shown.
pub async fn publish_after_change(app: &PrivacyApp, registry: &Registry, pod: &PodName) {
    if let Err(e) = publish(app, registry, pod).await {
        tracing::error!(pod = %pod, error = %e, "the directory's document could not be written");
    }
}
