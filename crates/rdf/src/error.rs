//! Error types returned by this crate.
//!
//! [`RdfError`] covers parsing and serialising RDF documents; [`PatchError`]
//! covers parsing and applying PATCH documents. Every variant documents the
//! HTTP status code the server is expected to answer with, and every
//! `Display` text is a sentence that can be sent to the client as is.

use crate::budget::BudgetExceeded;
use std::fmt;

/// A position inside a document, 1-based, as reported to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: u64,
    /// 1-based column number (in characters for Turtle, N3 and SPARQL, as
    /// counted by the underlying parser).
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Error while parsing or serialising an RDF document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdfError {
    /// The body is not well-formed in the declared format (HTTP 400).
    ///
    /// `line` and `column` are 1-based.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: u64,
        /// 1-based column of the error.
        column: u64,
        /// What the parser expected or found.
        message: String,
    },
    /// The body is well-formed but does not describe a single RDF graph
    /// (HTTP 400): for example a JSON-LD document whose `@context` is invalid
    /// or remote, or one that holds named graphs. The JSON-LD processor does
    /// not report positions for these errors.
    #[error("{message}")]
    Invalid {
        /// Human readable explanation.
        message: String,
    },
    /// The base IRI given by the caller is not an absolute IRI. This is a bug
    /// in the caller (HTTP 500), never the client's fault.
    #[error("invalid base IRI <{base_iri}>: {message}")]
    BaseIri {
        /// The rejected base IRI.
        base_iri: String,
        /// Why it was rejected.
        message: String,
    },
    /// The serializer failed (HTTP 500). Not expected to happen for graphs
    /// built by this crate's parsers.
    #[error("could not serialise the graph: {message}")]
    Serialize {
        /// What went wrong.
        message: String,
    },
    /// The request went past a limit of its [`crate::Budget`] (HTTP 413).
    #[error("{0}")]
    Budget(#[from] BudgetExceeded),
}

impl RdfError {
    /// Builds a [`RdfError::Syntax`].
    pub(crate) fn syntax(line: u64, column: u64, message: impl Into<String>) -> Self {
        Self::Syntax {
            line,
            column,
            message: message.into(),
        }
    }

    /// The 1-based position of a syntax error, if this is one.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::Syntax { line, column, .. } => Some(Position {
                line: *line,
                column: *column,
            }),
            _ => None,
        }
    }
}

/// Error while parsing or applying a PATCH document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The patch body is not well-formed N3 or SPARQL (HTTP 400).
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: u64,
        /// 1-based column of the error.
        column: u64,
        /// What the parser expected or found.
        message: String,
    },
    /// The patch document is well-formed but breaks the rules of the Solid
    /// Protocol (for N3 Patch) or of SPARQL Update (HTTP 422).
    #[error("invalid patch: {0}")]
    Invalid(String),
    /// The patch cannot be applied to the current state of the resource: the
    /// `where` clause did not match exactly once, or a triple to delete is not
    /// present (HTTP 409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The patch uses a feature this server does not evaluate, such as named
    /// graphs, `OPTIONAL` or `FILTER` (HTTP 422; the message names the
    /// feature).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The base IRI given by the caller is not an absolute IRI. This is a bug
    /// in the caller (HTTP 500).
    #[error("invalid base IRI <{base_iri}>: {message}")]
    BaseIri {
        /// The rejected base IRI.
        base_iri: String,
        /// Why it was rejected.
        message: String,
    },
    /// The request went past a limit of its [`crate::Budget`] (HTTP 413
    /// or 422, see [`BudgetExceeded::http_status`]).
    #[error("{0}")]
    Budget(#[from] BudgetExceeded),
}

impl PatchError {
    /// Builds a [`PatchError::Syntax`].
    pub(crate) fn syntax(line: u64, column: u64, message: impl Into<String>) -> Self {
        Self::Syntax {
            line,
            column,
            message: message.into(),
        }
    }

    /// The HTTP status code the server should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Syntax { .. } => 400,
            Self::Invalid(_) | Self::Unsupported(_) => 422,
            Self::Conflict(_) => 409,
            Self::BaseIri { .. } => 500,
            Self::Budget(exceeded) => exceeded.http_status(),
        }
    }

    /// The 1-based position of a syntax error, if this is one.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::Syntax { line, column, .. } => Some(Position {
                line: *line,
                column: *column,
            }),
            _ => None,
        }
    }
}

impl RdfError {
    /// The HTTP status code the server should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Syntax { .. } | Self::Invalid { .. } => 400,
            Self::BaseIri { .. } | Self::Serialize { .. } => 500,
            Self::Budget(exceeded) => exceeded.http_status(),
        }
    }
}

impl From<RdfError> for PatchError {
    fn from(error: RdfError) -> Self {
        match error {
            RdfError::Syntax {
                line,
                column,
                message,
            } => Self::Syntax {
                line,
                column,
                message,
            },
            RdfError::Invalid { message } | RdfError::Serialize { message } => {
                Self::Invalid(message)
            }
            RdfError::BaseIri { base_iri, message } => Self::BaseIri { base_iri, message },
            RdfError::Budget(exceeded) => Self::Budget(exceeded),
        }
    }
}
