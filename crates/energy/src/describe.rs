//! The descriptions written beside the data, in open formats: the CSVW
//! metadata of a fluid's normalised files (each row a SOSA observation), and
//! the Turtle description of a source (who holds it, what data, the period
//! covered, how many readings, when it was last updated, the original files).

use jiff::Timestamp;

use crate::files::FileKey;
use crate::model::{Fluid, Holder, Quantity};

fn property(q: Quantity) -> &'static str {
    match q {
        Quantity::ElectricEnergy => "electricity-consumption",
        Quantity::MaxPower => "electricity-daily-max-power",
        Quantity::GasEnergy => "gas-consumption-energy",
        Quantity::GasVolume => "gas-consumption-volume",
        Quantity::WaterVolume => "water-consumption",
    }
}

/// QUDT unit of the CSV's value column.
fn unit(q: Quantity) -> (&'static str, &'static str) {
    match q {
        Quantity::ElectricEnergy | Quantity::GasEnergy => ("http://qudt.org/vocab/unit/W-HR", "Wh"),
        Quantity::MaxPower => ("http://qudt.org/vocab/unit/V-A", "VA"),
        Quantity::GasVolume | Quantity::WaterVolume => ("http://qudt.org/vocab/unit/L", "L"),
    }
}

/// The vocabulary of selfdata's own terms.
pub const VOCAB: &str = "https://selfdata.example/ns#";

/// CSVW metadata (`csv-metadata.json`) for the given files of one fluid,
/// relative to the container holding them.
pub fn csvw_metadata(fluid: Fluid, files: &[FileKey]) -> Vec<u8> {
    let tables: Vec<serde_json::Value> = files
        .iter()
        .filter(|f| f.quantity.fluid() == fluid)
        .map(|f| {
            let (unit_iri, unit_label) = unit(f.quantity);
            serde_json::json!({
                "url": f.file_name(),
                "dc:title": format!("{} {}, {} readings, {}", fluid.as_str(), f.quantity.slug(), f.step.iso(), f.year),
                "tableSchema": {
                    "aboutUrl": format!("{}#{{start}}", f.file_name()),
                    "primaryKey": "start",
                    "columns": [
                        {"name": "start", "titles": "start", "datatype": "dateTime", "required": true,
                         "propertyUrl": "time:hasBeginning", "dc:description": "Start of the interval (UTC)"},
                        {"name": "end", "titles": "end", "datatype": "dateTime", "required": true,
                         "propertyUrl": "sosa:resultTime", "dc:description": "End of the interval (UTC), when the value was measured"},
                        {"name": "value", "titles": "value", "datatype": "decimal", "null": "",
                         "propertyUrl": "sosa:hasSimpleResult",
                         "dc:description": format!("Measured value in {unit_label}; empty when the holder reported no value")},
                        {"name": "estimated", "titles": "estimated", "datatype": "boolean",
                         "propertyUrl": format!("{VOCAB}estimated")},
                        {"name": "type", "virtual": true, "propertyUrl": "rdf:type", "valueUrl": "sosa:Observation"},
                        {"name": "property", "virtual": true, "propertyUrl": "sosa:observedProperty",
                         "valueUrl": format!("{VOCAB}{}", property(f.quantity))},
                        {"name": "unit", "virtual": true, "propertyUrl": "http://qudt.org/schema/qudt/unit", "valueUrl": unit_iri}
                    ]
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

/// What a source description says.
#[derive(Debug, Clone)]
pub struct SourceFacts<'a> {
    pub holder: Holder,
    pub meter: Option<&'a str>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub readings: usize,
    pub updated: Timestamp,
    /// Paths (from the pod root) of the original files kept.
    pub originals: &'a [String],
    /// Paths of the normalised files derived from them.
    pub normalised: &'a [String],
    pub quantities: &'a [Quantity],
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The source description, in Turtle, with IRIs relative to `base` (the pod root URI).
pub fn source_turtle(base: &str, f: &SourceFacts<'_>) -> String {
    let mut s = String::new();
    s.push_str("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n");
    s.push_str("@prefix dcterms: <http://purl.org/dc/terms/> .\n");
    s.push_str("@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n");
    s.push_str("@prefix prov: <http://www.w3.org/ns/prov#> .\n");
    s.push_str("@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n");
    s.push_str(&format!("@prefix sd: <{VOCAB}> .\n\n"));
    s.push_str("<> a dcat:Dataset ;\n");
    s.push_str(&format!(
        "  dcterms:title \"{} data\"@en, \"Données {}\"@fr ;\n",
        escape(f.holder.name()),
        escape(f.holder.name())
    ));
    s.push_str(&format!(
        "  dcterms:publisher [ a foaf:Organization ; foaf:name \"{}\" ] ;\n",
        escape(f.holder.name())
    ));
    let themes: Vec<String> = f
        .quantities
        .iter()
        .map(|q| format!("sd:{}", property(*q)))
        .collect();
    if !themes.is_empty() {
        s.push_str(&format!("  dcat:theme {} ;\n", themes.join(", ")));
    }
    if let Some(m) = f.meter {
        s.push_str(&format!("  sd:meter \"{}\" ;\n", escape(m)));
    }
    if let (Some(a), Some(b)) = (f.first, f.last) {
        s.push_str(&format!(
            "  dcterms:temporal [ a dcterms:PeriodOfTime ; dcat:startDate \"{a}\"^^xsd:dateTime ; dcat:endDate \"{b}\"^^xsd:dateTime ] ;\n"
        ));
    }
    s.push_str(&format!(
        "  sd:readings {} ;\n  dcterms:modified \"{}\"^^xsd:dateTime",
        f.readings, f.updated
    ));
    for o in f.originals {
        s.push_str(&format!(" ;\n  prov:wasDerivedFrom <{base}{o}>"));
    }
    for n in f.normalised {
        s.push_str(&format!(" ;\n  dcat:distribution <{base}{n}>"));
    }
    s.push_str(" .\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Step;

    #[test]
    fn csvw_metadata_lists_each_file_with_sosa_terms() {
        let files = [FileKey {
            quantity: Quantity::WaterVolume,
            step: Step::Daily,
            year: 2025,
        }];
        let doc: serde_json::Value =
            serde_json::from_slice(&csvw_metadata(Fluid::Water, &files)).unwrap();
        assert_eq!(doc["tables"][0]["url"], "volume-P1D-2025.csv");
        let cols = &doc["tableSchema"];
        assert!(cols.is_null());
        let text = doc.to_string();
        assert!(text.contains("sosa:hasSimpleResult") && text.contains("unit/L"));
    }

    #[test]
    fn the_source_description_is_turtle_that_names_the_holder_and_the_originals() {
        let originals =
            ["selfdata/sources/grdf/raw/2025-01-01_2025-01-31-0123abcd.ndjson".to_owned()];
        let t = source_turtle(
            "http://x/alice/",
            &SourceFacts {
                holder: Holder::Grdf,
                meter: Some("GI123456"),
                first: Some("2025-01-01T05:00:00Z".parse().unwrap()),
                last: Some("2025-02-01T05:00:00Z".parse().unwrap()),
                readings: 31,
                updated: "2025-02-02T10:00:00Z".parse().unwrap(),
                originals: &originals,
                normalised: &[],
                quantities: &[Quantity::GasEnergy],
            },
        );
        assert!(t.contains("foaf:name \"GRDF\""));
        assert!(t.contains("sd:readings 31"));
        assert!(t.contains("prov:wasDerivedFrom"));
    }
}
