//! The RDF serialisation formats the pod accepts and produces, and their
//! media types for content negotiation.

use std::fmt;

/// An RDF serialisation format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    /// Turtle, `text/turtle`: the pod's default, what humans read.
    Turtle,
    /// JSON-LD, `application/ld+json`.
    JsonLd,
    /// N-Triples, `application/n-triples`: one triple per line.
    NTriples,
}

impl RdfFormat {
    /// Every supported format, in the server's order of preference.
    pub const ALL: [RdfFormat; 3] = [RdfFormat::Turtle, RdfFormat::JsonLd, RdfFormat::NTriples];

    /// Recognises a media type such as `text/turtle` or
    /// `application/ld+json; charset=utf-8`: case-insensitive, parameters and
    /// surrounding spaces ignored. Returns `None` for anything else.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        Self::ALL
            .into_iter()
            .find(|format| format.media_type().eq_ignore_ascii_case(essence))
    }

    /// The canonical media type, e.g. `text/turtle`.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Turtle => "text/turtle",
            Self::JsonLd => "application/ld+json",
            Self::NTriples => "application/n-triples",
        }
    }

    /// The usual file extension, without the dot (`ttl`, `jsonld`, `nt`).
    pub fn file_extension(self) -> &'static str {
        match self {
            Self::Turtle => "ttl",
            Self::JsonLd => "jsonld",
            Self::NTriples => "nt",
        }
    }
}

impl fmt::Display for RdfFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Turtle => "Turtle",
            Self::JsonLd => "JSON-LD",
            Self::NTriples => "N-Triples",
        })
    }
}
