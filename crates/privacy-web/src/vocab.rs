//! The vocabularies the privacy service reads and writes, one place for
//! their namespace IRIs: W3C DPV and its personal data categories, Dublin
//! Core terms, DCAT, FOAF, PROV, Web Access Control, and selfdata's own
//! terms (the namespace every importer's source description uses).

/// W3C Data Privacy Vocabulary.
pub const DPV: &str = "https://w3id.org/dpv#";
/// `dpv:DataController`: what each organisation of the directory is.
pub const DATA_CONTROLLER: &str = "https://w3id.org/dpv#DataController";
/// DPV personal data categories (`pd:Contact`, `pd:Financial`…).
pub const PD: &str = "https://w3id.org/dpv/pd#";
/// Dublin Core terms.
pub const DCT: &str = "http://purl.org/dc/terms/";
/// Data Catalog Vocabulary (source descriptions).
pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
/// Friend of a Friend (names).
pub const FOAF: &str = "http://xmlns.com/foaf/0.1/";
/// W3C provenance (what a normalised file was derived from).
pub const PROV: &str = "http://www.w3.org/ns/prov#";
/// Web Access Control.
pub const ACL: &str = "http://www.w3.org/ns/auth/acl#";
/// selfdata's own terms.
pub const SD: &str = selfdata_sources::describe::VOCAB;

/// `ns` followed by `local`, an IRI.
pub fn iri(ns: &str, local: &str) -> String {
    format!("{ns}{local}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn selfdata_has_one_namespace_of_its_own() {
        assert_eq!(super::SD, selfdata_consent::SD);
        assert_eq!(super::DPV, selfdata_consent::DPV);
        assert_eq!(
            super::DATA_CONTROLLER,
            super::iri(super::DPV, "DataController")
        );
    }
}
