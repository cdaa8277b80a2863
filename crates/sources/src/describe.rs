//! The descriptions written beside imported data, in open formats: the
//! source description (DCAT dataset with its PROV originals, in Turtle) and
//! CSVW table metadata for normalised CSV files.
//!
//! The Turtle is built as an RDF graph and written by the RDF crate's
//! serializer, so every string is escaped by one escaper (a meter id holding
//! a carriage return or a quote stays a valid literal).

use jiff::Timestamp;
use selfdata_rdf::oxrdf::vocab::{rdf, xsd};
use selfdata_rdf::oxrdf::{BlankNode, Graph, Literal, NamedNode, Term, Triple};
use selfdata_rdf::{RdfError, RdfFormat};

/// The vocabulary of selfdata's own terms.
pub const VOCAB: &str = "https://selfdata.example/ns#";

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const PROV: &str = "http://www.w3.org/ns/prov#";

/// What a source description says about one holder's data in a pod.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// The holder's name ("Enedis", "Water utility").
    pub holder: &'a str,
    /// Its name in French when it differs ("Service des eaux"): both are
    /// then written with their language tags.
    pub holder_fr: Option<&'a str>,
    /// Theme IRIs (what is measured).
    pub themes: &'a [String],
    pub held: Held<'a>,
}

/// What the pod holds from one holder: the same for every domain.
#[derive(Debug, Clone)]
pub struct Held<'a> {
    /// The meter identifier the files name, if any.
    pub meter: Option<&'a str>,
    /// The accounts the files name (a bank holds several of a resident's).
    pub accounts: &'a [String],
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub readings: usize,
    pub updated: Timestamp,
    /// Paths (from the pod root, no leading slash) of the original files kept.
    pub originals: &'a [String],
    /// Paths of the normalised files derived from them.
    pub normalised: &'a [String],
}

fn iri(s: &str) -> Result<NamedNode, RdfError> {
    NamedNode::new(s).map_err(|e| RdfError::Serialize {
        message: format!("{s:?} is not an IRI: {e}"),
    })
}

fn term(s: &str) -> NamedNode {
    NamedNode::new_unchecked(s)
}

fn when(t: Timestamp) -> Literal {
    Literal::new_typed_literal(t.to_string(), xsd::DATE_TIME)
}

/// The source description in Turtle. `doc` is the description's own IRI (its
/// subject, written `<>`), `root` the pod root IRI the paths hang from.
pub fn source_turtle(doc: &str, root: &str, s: &Source<'_>) -> Result<Vec<u8>, RdfError> {
    let me = iri(doc)?;
    let mut g = Graph::new();
    let mut add = |p: &str, o: Term| {
        g.insert(&Triple::new(me.clone(), term(p), o));
    };
    add(rdf::TYPE.as_str(), term(&format!("{DCAT}Dataset")).into());
    let title = format!("{DCT}title");
    add(
        &title,
        Literal::new_language_tagged_literal_unchecked(format!("{} data", s.holder), "en").into(),
    );
    add(
        &title,
        Literal::new_language_tagged_literal_unchecked(format!("Données {}", s.holder), "fr")
            .into(),
    );
    let publisher = BlankNode::default();
    add(&format!("{DCT}publisher"), publisher.clone().into());
    for theme in s.themes {
        add(&format!("{DCAT}theme"), iri(theme)?.into());
    }
    if let Some(m) = s.held.meter {
        add(
            &format!("{VOCAB}meter"),
            Literal::new_simple_literal(m).into(),
        );
    }
    for a in s.held.accounts {
        add(
            &format!("{VOCAB}account"),
            Literal::new_simple_literal(a).into(),
        );
    }
    let period = BlankNode::default();
    let has_period = s.held.first.is_some() && s.held.last.is_some();
    if has_period {
        add(&format!("{DCT}temporal"), period.clone().into());
    }
    add(
        &format!("{VOCAB}readings"),
        Literal::new_typed_literal(s.held.readings.to_string(), xsd::INTEGER).into(),
    );
    add(&format!("{DCT}modified"), when(s.held.updated).into());
    for o in s.held.originals {
        add(
            &format!("{PROV}wasDerivedFrom"),
            iri(&format!("{root}{o}"))?.into(),
        );
    }
    for n in s.held.normalised {
        add(
            &format!("{DCAT}distribution"),
            iri(&format!("{root}{n}"))?.into(),
        );
    }
    let mut about = |subject: &BlankNode, p: &str, o: Term| {
        g.insert(&Triple::new(subject.clone(), term(p), o));
    };
    about(
        &publisher,
        rdf::TYPE.as_str(),
        term(&format!("{FOAF}Organization")).into(),
    );
    match s.holder_fr {
        Some(fr) => {
            for (name, lang) in [(s.holder, "en"), (fr, "fr")] {
                about(
                    &publisher,
                    &format!("{FOAF}name"),
                    Literal::new_language_tagged_literal_unchecked(name, lang).into(),
                );
            }
        }
        None => about(
            &publisher,
            &format!("{FOAF}name"),
            Literal::new_simple_literal(s.holder).into(),
        ),
    }
    if let (true, Some(a), Some(b)) = (has_period, s.held.first, s.held.last) {
        about(
            &period,
            rdf::TYPE.as_str(),
            term(&format!("{DCT}PeriodOfTime")).into(),
        );
        about(&period, &format!("{DCAT}startDate"), when(a).into());
        about(&period, &format!("{DCAT}endDate"), when(b).into());
    }
    selfdata_rdf::serialize(&g, RdfFormat::Turtle, doc)
}

/// The meter identifiers a stored source description names (none when it
/// cannot be read: then nothing is known yet).
pub fn meters_of(turtle: &[u8], doc: &str) -> Vec<String> {
    let Ok(g) = selfdata_rdf::parse(turtle, RdfFormat::Turtle, doc) else {
        return Vec::new();
    };
    let meter = term(&format!("{VOCAB}meter"));
    let mut out: Vec<String> = g
        .triples_for_predicate(&meter)
        .filter_map(|t| match t.object {
            selfdata_rdf::oxrdf::TermRef::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The period `[start, end]` a stored source description states, if any.
pub fn period_of(turtle: &[u8], doc: &str) -> Option<(Timestamp, Timestamp)> {
    let g = selfdata_rdf::parse(turtle, RdfFormat::Turtle, doc).ok()?;
    let value = |p: &str| {
        let p = term(&format!("{DCAT}{p}"));
        g.triples_for_predicate(&p).find_map(|t| match t.object {
            selfdata_rdf::oxrdf::TermRef::Literal(l) => l.value().parse::<Timestamp>().ok(),
            _ => None,
        })
    };
    Some((value("startDate")?, value("endDate")?))
}

/// One column of a CSVW table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub datatype: &'static str,
    pub property: String,
    pub description: String,
    /// Whether a value is required (else an empty cell is "no value").
    pub required: bool,
}

/// One normalised CSV file described for CSVW: its rows are observations
/// whose fixed facts (type, property, unit) are virtual columns.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file name, relative to the metadata document.
    pub url: String,
    pub title: String,
    /// The column whose value names a row (`{url}#{key}`).
    pub key: &'static str,
    pub columns: Vec<Column>,
    /// Virtual columns: (name, property, value IRI).
    pub facts: Vec<(&'static str, String, String)>,
}

/// CSVW metadata (`csv-metadata.json`) for `tables`, comma-separated with a header row.
pub fn csvw_metadata(tables: &[Table]) -> Vec<u8> {
    let tables: Vec<serde_json::Value> = tables
        .iter()
        .map(|t| {
            let mut columns: Vec<serde_json::Value> = t
                .columns
                .iter()
                .map(|c| {
                    let mut col = serde_json::json!({
                        "name": c.name, "titles": c.name, "datatype": c.datatype,
                        "propertyUrl": c.property, "dc:description": c.description,
                    });
                    if c.required {
                        col["required"] = true.into();
                    } else {
                        col["null"] = "".into();
                    }
                    col
                })
                .collect();
            columns.extend(t.facts.iter().map(|(name, property, value)| {
                serde_json::json!({"name": name, "virtual": true, "propertyUrl": property, "valueUrl": value})
            }));
            serde_json::json!({
                "url": t.url,
                "dc:title": t.title,
                "tableSchema": {
                    "aboutUrl": format!("{}#{{{}}}", t.url, t.key),
                    "primaryKey": t.key,
                    "columns": columns,
                }
            })
        })
        .collect();
    let doc = serde_json::json!({
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en", "sosa": "http://www.w3.org/ns/sosa/", "time": "http://www.w3.org/2006/time#"}],
        "dialect": {"header": true, "delimiter": ","},
        "tables": tables,
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source<'a>(meter: &'a str, originals: &'a [String]) -> Source<'a> {
        Source {
            holder: "GRDF",
            holder_fr: None,
            themes: &[],
            held: Held {
                meter: Some(meter),
                accounts: &[],
                first: Some("2025-01-01T05:00:00Z".parse().unwrap()),
                last: Some("2025-02-01T05:00:00Z".parse().unwrap()),
                readings: 31,
                updated: "2025-02-02T10:00:00Z".parse().unwrap(),
                originals,
                normalised: &[],
            },
        }
    }

    const DOC: &str = "http://x/alice/selfdata/sources/grdf/about.ttl";

    #[test]
    fn a_meter_id_with_a_carriage_return_keeps_its_source_visible() {
        let originals = ["selfdata/sources/grdf/raw/a.ndjson".to_owned()];
        for meter in ["GI12\r3456", "GI\"1\\2\n3\t", "GI 123456"] {
            let t = source_turtle(DOC, "http://x/alice/", &source(meter, &originals)).unwrap();
            let g = selfdata_rdf::parse(&t, RdfFormat::Turtle, DOC)
                .unwrap_or_else(|e| panic!("{meter:?}: {e}\n{}", String::from_utf8_lossy(&t)));
            assert!(g.len() > 8);
            assert_eq!(meters_of(&t, DOC), vec![meter.to_owned()]);
            let text = g.to_string();
            assert!(text.contains("\"GRDF\""), "{text}");
            assert!(text.contains("wasDerivedFrom"), "{text}");
        }
    }

    #[test]
    fn the_description_says_the_period_and_the_count() {
        let t = source_turtle(DOC, "http://x/alice/", &source("GI123456", &[])).unwrap();
        let g = selfdata_rdf::parse(&t, RdfFormat::Turtle, DOC).unwrap();
        let text = g.to_string();
        assert!(text.contains("\"31\"^^"), "{text}");
        assert!(text.contains("2025-02-01T05:00:00Z"), "{text}");
        assert!(text.contains("PeriodOfTime"), "{text}");
    }
}
