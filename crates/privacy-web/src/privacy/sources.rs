//! The sources of data in the pod, read from the source description every
//! importer writes beside a holder's files (`/selfdata/sources/{holder}/about.ttl`,
//! DCAT/PROV): who sent what, over which period, and the meter or account
//! numbers a rights letter quotes.

use super::*;

use crate::vocab::{DCAT, DCT, FOAF, PROV, SD};

pub(crate) fn first_value(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Option<String> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))
        .find_map(|t| match t {
            TermRef::Literal(l) => Some(l.value().to_owned()),
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
}

/// One source description of the pod (`selfdata/sources/<holder>/about.ttl`),
/// read and parsed.
pub(crate) struct SourceDescription {
    /// The holder's folder.
    pub(crate) folder: ResourcePath,
    /// The description's IRI (its subject).
    pub(crate) iri: String,
    /// The stored Turtle.
    pub(crate) body: bytes::Bytes,
    pub(crate) graph: Graph,
}

impl SourceDescription {
    /// The description's subject.
    pub(crate) fn subject(&self) -> NamedOrBlankNodeRef<'_> {
        NamedNodeRef::new_unchecked(&self.iri).into()
    }

    /// Its themes: the last segment of each theme IRI
    /// (`electricity-consumption`, `bank-transactions`), sorted.
    pub(crate) fn themes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .graph
            .objects_for_subject_predicate(
                self.subject(),
                NamedNodeRef::new_unchecked(&format!("{DCAT}theme")),
            )
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => n.as_str().rsplit(['#', '/']).next().map(str::to_owned),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// The IRIs of the files it was derived from (`prov:wasDerivedFrom`):
    /// the originals kept as received.
    pub(crate) fn originals(&self) -> Vec<String> {
        self.graph
            .objects_for_subject_predicate(
                self.subject(),
                NamedNodeRef::new_unchecked(&format!("{PROV}wasDerivedFrom")),
            )
            .filter_map(|o| match o {
                TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// The node of the holder that published the data.
    pub(crate) fn publisher(&self) -> Option<NamedOrBlankNodeRef<'_>> {
        self.graph
            .object_for_subject_predicate(
                self.subject(),
                NamedNodeRef::new_unchecked(&format!("{DCT}publisher")),
            )
            .and_then(node)
    }
}

/// Every source description of the pod that can be read; one that cannot is
/// passed over (nothing is known of it yet).
pub(crate) async fn source_descriptions(
    services: &PrivacyApp,
    pod: &PodName,
) -> Vec<SourceDescription> {
    let Ok(root) = ResourcePath::parse("/selfdata/sources/") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for holder in services
        .ctx
        .store
        .members(pod, &root)
        .await
        .unwrap_or_default()
    {
        if !holder.path.is_container() {
            continue;
        }
        let Ok(about) = holder.path.child("about.ttl") else {
            continue;
        };
        let Ok(Some((_, body))) = services.ctx.store.get(pod, &about).await else {
            continue;
        };
        let iri = selfdata_solid::uri::resource_uri(services.ctx.base_url(), pod, &about);
        let Ok(graph) = parse(&body, RdfFormat::Turtle, &iri) else {
            continue;
        };
        out.push(SourceDescription {
            folder: holder.path,
            iri,
            body,
            graph,
        });
    }
    out
}

/// The meter or account identifiers the pod's source descriptions give for
/// the holder named `holder`, or named so that the directory takes it for
/// the same organisation (`selfdata_archives::key`): what a rights letter
/// quotes.
pub(crate) async fn identifiers_at(
    services: &PrivacyApp,
    pod: &PodName,
    holder: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let key = selfdata_archives::key(holder);
    for d in source_descriptions(services, pod).await {
        let named = d.publisher().is_some_and(|p| {
            d.graph
                .objects_for_subject_predicate(p, NamedNodeRef::new_unchecked(&format!("{FOAF}name")))
                .any(|t| matches!(t, TermRef::Literal(l) if l.value().eq_ignore_ascii_case(holder.trim()) || (!key.is_empty() && selfdata_archives::key(l.value()) == key)))
        });
        if named {
            out.extend(selfdata_sources::describe::meters_of(&d.body, &d.iri));
        }
    }
    out
}

/// Every `foaf:name` of an organisation, with its language tag if any.
pub(crate) fn names_of(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Vec<(Option<String>, String)> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(&format!("{FOAF}name")))
        .filter_map(|t| match t {
            TermRef::Literal(l) => Some((l.language().map(str::to_owned), l.value().to_owned())),
            _ => None,
        })
        .collect()
}

/// An organisation's `foaf:name` in the page's language, else its name
/// without a language, else any.
pub(crate) fn name_in(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    lang: selfdata_site::Lang,
) -> Option<String> {
    let names = names_of(g, s);
    let code = lang.code();
    names
        .iter()
        .find(|(l, _)| l.as_deref() == Some(code))
        .or_else(|| names.iter().find(|(l, _)| l.is_none()))
        .or_else(|| names.first())
        .map(|(_, n)| n.clone())
}

/// The one name an organisation is keyed by, whatever the page's language
/// (so that its entry, its requests and its holder are the same in French
/// and English): its English name, else its first.
pub(crate) fn key_name(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Option<String> {
    let names = names_of(g, s);
    names
        .iter()
        .find(|(l, _)| l.as_deref() == Some("en"))
        .or_else(|| names.first())
        .map(|(_, n)| n.clone())
}

pub(crate) fn node(t: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match t {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        _ => None,
    }
}

/// The sources of data in the pod, from the importer's descriptions; a
/// holder without a proper name of its own (the water utility) is named in
/// the page's language.
pub(crate) async fn sources(
    services: &PrivacyApp,
    lang: selfdata_site::Lang,
    pod: &PodName,
) -> Vec<SourceView> {
    let p: &'static PrivacyTexts = lang.words();
    let mut out = Vec::new();
    for source in source_descriptions(services, pod).await {
        let (g, s) = (&source.graph, source.subject());
        let name = source
            .publisher()
            .and_then(|p| name_in(g, p, lang))
            .unwrap_or_else(|| source.folder.name().trim_end_matches('/').to_owned());
        let mut themes: Vec<String> = source.themes().iter().map(|x| theme_name(p, x)).collect();
        themes.sort();
        let period = g
            .object_for_subject_predicate(s, NamedNodeRef::new_unchecked(&format!("{DCT}temporal")))
            .and_then(node)
            .map(|p| {
                let d = |k: &str| {
                    first_value(g, p, &format!("{DCAT}{k}"))
                        .and_then(|v| v.parse::<Timestamp>().ok())
                        .map(crate::when::date)
                        .unwrap_or_default()
                };
                format!("{} – {}", d("startDate"), d("endDate"))
            })
            .unwrap_or_default();
        let records = first_value(g, s, &format!("{SD}readings"))
            .map(|v| match v.parse::<u64>() {
                Ok(n) => selfdata_site::count(n, lang),
                Err(_) => v,
            })
            .unwrap_or_default();
        let updated = first_value(g, s, &format!("{DCT}modified"))
            .and_then(|v| v.parse::<Timestamp>().ok())
            .map(crate::when::date)
            .unwrap_or_default();
        let mut originals: Vec<String> = Vec::new();
        if let Ok(raw) = source.folder.child("raw/") {
            for f in services
                .ctx
                .store
                .members(pod, &raw)
                .await
                .unwrap_or_default()
            {
                originals.push(f.path.as_str().to_owned());
            }
        }
        out.push(SourceView {
            holder: name,
            categories: themes.join(", "),
            period,
            records,
            updated,
            originals,
        });
    }
    out
}
