//! The evidence documents of the pod read back for the directory, kept
//! parsed while they do not change.
//!
//! Measured (`examples/directory.rs`, release build, one 2-core machine):
//! over a pod with a 1,000-advertiser archive (1,166 organisations, 10,330
//! triples of evidence) and three years of two bank accounts, the
//! directory took 61.5 ms, of which reading and parsing the evidence was
//! 45.8 ms, on every page that lists it, though the documents change only
//! when an archive is imported (or the resident edits one). Kept parsed,
//! the directory takes 7.9 ms (its first call, which also tallies the
//! payees, 181 ms). So each
//! document's rows are kept per app, for as long as its version,
//! modification time and size are the same; a document gone from the
//! folder is forgotten with it, an erased pod entirely
//! ([`EvidenceCache::forget`]), and past [`MAX_ROWS`] rows the least
//! recently used documents are dropped.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use parking_lot::Mutex;
use selfdata_rdf::oxrdf::vocab::rdf;
use selfdata_rdf::oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use selfdata_store::{Meta, PodName, ResourcePath};

use super::organisations::Origin;
use crate::PrivacyApp;
use crate::archive::EVIDENCE;
use crate::vocab::{DATA_CONTROLLER, DCT, DPV, FOAF, PD, SD};

/// Most rows kept, all pods together (a row is one organisation of one
/// archive, a few hundred bytes).
pub const MAX_ROWS: usize = 500_000;

/// One organisation an evidence document names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// How we know, in English and French.
    pub how_en: String,
    pub how_fr: String,
    /// DPV personal data categories (local names under `pd:`).
    pub categories: Vec<String>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

/// One evidence document, read.
#[derive(Debug)]
pub struct Document {
    pub origin: Origin,
    pub rows: Vec<Row>,
}

/// What identifies a stored document's content without reading it.
type Stamp = (u64, i64, u64);

struct Kept {
    stamp: Stamp,
    doc: Arc<Document>,
    used: u64,
}

/// The documents kept, by pod and path, and a use counter.
type Map = HashMap<(PodName, String), Kept>;

/// The evidence documents read, per pod and path.
#[derive(Default)]
pub struct EvidenceCache {
    kept: Mutex<(Map, u64)>,
}

impl EvidenceCache {
    /// Forgets everything of `pod` (it was erased).
    pub fn forget(&self, pod: &PodName) {
        self.kept.lock().0.retain(|(p, _), _| p != pod);
    }

    fn get(&self, pod: &PodName, path: &str, stamp: Stamp) -> Option<Arc<Document>> {
        let mut kept = self.kept.lock();
        let (map, clock) = &mut *kept;
        *clock += 1;
        let k = map.get_mut(&(pod.clone(), path.to_owned()))?;
        if k.stamp != stamp {
            return None;
        }
        k.used = *clock;
        Some(k.doc.clone())
    }

    fn put(&self, pod: &PodName, path: &str, stamp: Stamp, doc: Arc<Document>) {
        let mut kept = self.kept.lock();
        let (map, clock) = &mut *kept;
        *clock += 1;
        map.insert(
            (pod.clone(), path.to_owned()),
            Kept {
                stamp,
                doc,
                used: *clock,
            },
        );
        let mut rows: usize = map.values().map(|k| k.doc.rows.len()).sum();
        while rows > MAX_ROWS && map.len() > 1 {
            let Some(oldest) = map
                .iter()
                .min_by_key(|(_, k)| k.used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some(k) = map.remove(&oldest) {
                rows -= k.doc.rows.len();
            }
        }
    }

    /// Forgets the documents of `pod` that are not among `paths` any more.
    fn keep_only(&self, pod: &PodName, paths: &[String]) {
        self.kept
            .lock()
            .0
            .retain(|(p, path), _| p != pod || paths.contains(path));
    }
}

fn literal_in(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    p: &str,
    lang: Option<&str>,
) -> Option<String> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))
        .find_map(|t| match t {
            TermRef::Literal(l) if lang.is_none() || l.language() == lang => {
                Some(l.value().to_owned())
            }
            _ => None,
        })
}

fn iri_in(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Option<String> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))
        .find_map(|t| match t {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
}

/// The evidence document `body` at `m` (its IRI `doc`, in the pod whose
/// root is `base`), read; `None` when it does not parse.
fn read(base: &str, m: &Meta, body: &[u8]) -> Option<Document> {
    let document = m.path.as_str().trim_start_matches('/').to_owned();
    let doc = format!("{base}{document}");
    let g = selfdata_rdf::parse(body, selfdata_rdf::RdfFormat::Turtle, &doc).ok()?;
    let me = NamedNodeRef::new_unchecked(&doc).into();
    let origin = Origin::Archive {
        document,
        platform: literal_in(&g, me, &format!("{SD}platform"), None).unwrap_or_default(),
        kept: iri_in(&g, me, &format!("{DCT}source"))
            .map(|i| i.strip_prefix(base).map(str::to_owned).unwrap_or(i))
            .unwrap_or_default(),
        imported: Timestamp::from_millisecond(m.modified_ms).ok(),
    };
    let controller = NamedNodeRef::new_unchecked(DATA_CONTROLLER);
    let has = format!("{DPV}hasPersonalData");
    let rows = g
        .subjects_for_predicate_object(rdf::TYPE, controller)
        .filter_map(|s| {
            // Keyed from the name by the directory, never from anything a
            // document stores: a stored key could be stale or edited.
            let name = literal_in(&g, s, &format!("{FOAF}name"), None)?;
            let time =
                |p: &str| literal_in(&g, s, &format!("{SD}{p}"), None).and_then(|v| v.parse().ok());
            let how = |lang| {
                literal_in(&g, s, &format!("{DCT}description"), Some(lang)).unwrap_or_default()
            };
            Some(Row {
                name,
                how_en: how("en"),
                how_fr: how("fr"),
                categories: g
                    .objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(&has))
                    .filter_map(|t| match t {
                        TermRef::NamedNode(n) => n.as_str().strip_prefix(PD).map(str::to_owned),
                        _ => None,
                    })
                    .collect(),
                first: time("first"),
                last: time("last"),
            })
        })
        .collect();
    Some(Document { origin, rows })
}

/// Every evidence document of `pod` that can be read, from the cache when
/// it has not changed.
pub async fn documents(app: &PrivacyApp, pod: &PodName) -> Vec<Arc<Document>> {
    let Ok(folder) = ResourcePath::parse(&format!("/{EVIDENCE}")) else {
        return Vec::new();
    };
    let base = format!("{}/{}/", app.ctx.base_url(), pod);
    let members = app
        .ctx
        .store
        .members(pod, &folder)
        .await
        .unwrap_or_default();
    let mut out = Vec::with_capacity(members.len());
    for m in &members {
        let path = m.path.as_str();
        let stamp = (m.version, m.modified_ms, m.size);
        if let Some(doc) = app.evidence.get(pod, path, stamp) {
            out.push(doc);
            continue;
        }
        let Ok(Some((_, body))) = app.ctx.store.get(pod, &m.path).await else {
            continue;
        };
        let Some(doc) = read(&base, m, &body) else {
            tracing::warn!(pod = %pod, path, "an evidence document could not be read");
            continue;
        };
        let doc = Arc::new(doc);
        app.evidence.put(pod, path, stamp, doc.clone());
        out.push(doc);
    }
    let paths: Vec<String> = members.iter().map(|m| m.path.as_str().to_owned()).collect();
    app.evidence.keep_only(pod, &paths);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rows: usize) -> Arc<Document> {
        Arc::new(Document {
            origin: Origin::Service("test"),
            rows: vec![
                Row {
                    name: "A".into(),
                    how_en: String::new(),
                    how_fr: String::new(),
                    categories: Vec::new(),
                    first: None,
                    last: None,
                };
                rows
            ],
        })
    }

    #[test]
    fn a_changed_document_is_read_again_and_the_least_used_go_past_the_cap() {
        let cache = EvidenceCache::default();
        let pod = PodName::parse("ines").unwrap();
        cache.put(&pod, "/a.ttl", (1, 10, 100), doc(1));
        assert!(cache.get(&pod, "/a.ttl", (1, 10, 100)).is_some());
        assert!(
            cache.get(&pod, "/a.ttl", (2, 11, 100)).is_none(),
            "rewritten"
        );
        cache.put(&pod, "/b.ttl", (3, 10, 100), doc(MAX_ROWS / 2));
        cache.get(&pod, "/a.ttl", (1, 10, 100));
        cache.put(&pod, "/c.ttl", (4, 10, 100), doc(MAX_ROWS / 2 + 1));
        assert!(
            cache.get(&pod, "/b.ttl", (3, 10, 100)).is_none(),
            "the least used"
        );
        assert!(cache.get(&pod, "/a.ttl", (1, 10, 100)).is_some());
        cache.keep_only(&pod, &["/c.ttl".to_owned()]);
        assert!(cache.get(&pod, "/a.ttl", (1, 10, 100)).is_none(), "deleted");
        cache.forget(&pod);
        assert!(cache.get(&pod, "/c.ttl", (4, 10, 100)).is_none(), "erased");
    }
}
