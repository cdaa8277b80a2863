//! The descriptions written beside the data, in open formats: the CSVW
//! metadata of a fluid's normalised files (each row a SOSA observation), and
//! the Turtle description of a source (who holds it, what data, the period
//! covered, how many readings, when it was last updated, the original files).
//! Both are written by the shared writers of `selfdata-sources` (the Turtle
//! through the RDF crate's serializer); this module says what energy puts in them.

pub use selfdata_sources::describe::Held;
use selfdata_sources::describe::{self as shared, Column, Source, Table};

pub use selfdata_rdf::RdfError;
pub use selfdata_sources::describe::VOCAB;

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

/// CSVW metadata (`csv-metadata.json`) for the given files of one fluid,
/// relative to the container holding them.
pub fn csvw_metadata(fluid: Fluid, files: &[FileKey]) -> Vec<u8> {
    let tables: Vec<Table> = files
        .iter()
        .filter(|f| f.quantity.fluid() == fluid)
        .map(|f| {
            let (unit_iri, unit_label) = unit(f.quantity);
            let column = |name, datatype, property: &str, description: String, required| Column {
                name,
                datatype,
                property: property.to_owned(),
                description,
                required,
            };
            Table {
                url: f.file_name(),
                title: format!(
                    "{} {}, {} readings, {}",
                    fluid.as_str(),
                    f.quantity.slug(),
                    f.step.iso(),
                    f.year
                ),
                key: "start",
                columns: vec![
                    column("start", "dateTime", "time:hasBeginning", "Start of the interval (UTC)".into(), true),
                    column("end", "dateTime", "sosa:resultTime", "End of the interval (UTC), when the value was measured".into(), true),
                    column("value", "decimal", "sosa:hasSimpleResult", format!("Measured value in {unit_label}; empty when the holder reported no value"), false),
                    column("estimated", "boolean", &format!("{VOCAB}estimated"), "Whether the holder estimated the value rather than measured it".into(), true),
                ],
                facts: vec![
                    ("type", "rdf:type".into(), "sosa:Observation".into()),
                    ("property", "sosa:observedProperty".into(), format!("{VOCAB}{}", property(f.quantity))),
                    ("unit", "http://qudt.org/schema/qudt/unit".into(), unit_iri.into()),
                ],
            }
        })
        .collect();
    shared::csvw_metadata(&tables)
}

/// Where a holder's source description lives, from the pod root (no leading slash).
pub fn about_path(holder: Holder) -> String {
    format!("selfdata/sources/{}/about.ttl", holder.slug())
}

/// The source description in Turtle of what the pod holds from `holder`,
/// measuring `quantities`; `base` is the pod root URI. Written through the
/// RDF crate's serializer, so any meter id stays a valid literal.
pub fn source_description(
    base: &str,
    holder: Holder,
    quantities: &[Quantity],
    held: Held<'_>,
) -> Result<Vec<u8>, RdfError> {
    let themes: Vec<String> = quantities
        .iter()
        .map(|q| format!("{VOCAB}{}", property(*q)))
        .collect();
    shared::source_turtle(
        &format!("{base}{}", about_path(holder)),
        base,
        &Source {
            holder: holder.name(),
            holder_fr: holder.name_fr(),
            themes: &themes,
            held,
        },
    )
}

/// The meter identifiers a stored source description names.
pub fn meters_of(holder: Holder, base: &str, turtle: &[u8]) -> Vec<String> {
    shared::meters_of(turtle, &format!("{base}{}", about_path(holder)))
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
        let t = source_description(
            "http://x/alice/",
            Holder::Grdf,
            &[Quantity::GasEnergy],
            Held {
                meter: Some("GI123456"),
                accounts: &[],
                first: Some("2025-01-01T05:00:00Z".parse().unwrap()),
                last: Some("2025-02-01T05:00:00Z".parse().unwrap()),
                readings: 31,
                updated: "2025-02-02T10:00:00Z".parse().unwrap(),
                originals: &originals,
                normalised: &[],
            },
        )
        .unwrap();
        let doc = "http://x/alice/selfdata/sources/grdf/about.ttl";
        let g = selfdata_rdf::parse(&t, selfdata_rdf::RdfFormat::Turtle, doc).unwrap();
        let text = g.to_string();
        assert!(
            text.contains("<http://xmlns.com/foaf/0.1/name> \"GRDF\""),
            "{text}"
        );
        assert!(text.contains("readings> \"31\""), "{text}");
        assert!(text.contains("<http://www.w3.org/ns/prov#wasDerivedFrom> <http://x/alice/selfdata/sources/grdf/raw/"), "{text}");
        assert_eq!(meters_of(Holder::Grdf, "http://x/alice/", &t), ["GI123456"]);
    }
}
