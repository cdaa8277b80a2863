//! Per-request work limits: how much one request may make this crate parse,
//! match and produce, charged across every operation of the request.
//!
//! A small body can ask for a lot of work: a SPARQL `INSERT … WHERE` whose
//! pattern is a cross product, an update with hundreds of operations, a
//! Turtle list of millions of one-byte items. The HTTP layer creates one
//! [`Budget`] per request from the operator's [`Limits`] and passes it to
//! every parse and patch call of that request; the first charge past a limit
//! fails with [`BudgetExceeded`], which says in a sentence which limit was
//! reached. Matching stops as soon as the budget is spent, before the
//! solutions are materialised.

/// The limits of one request. The defaults leave room for what Solid apps
/// really do (profiles, contacts, chat logs of a few thousand messages)
/// while keeping one request's memory in the tens of megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most triples parsed from the request body (a PUT or POST body, the
    /// triples of a PATCH document).
    pub parsed_triples: u64,
    /// Most triples one stored RDF document may hold, after a PUT, POST or
    /// PATCH.
    pub document_triples: u64,
    /// Most operations in one SPARQL Update (`;`-separated).
    pub operations: u64,
    /// Most candidate triples examined while matching `WHERE` patterns,
    /// summed over every operation of the request.
    pub steps: u64,
    /// Most triples instantiated from templates (solutions × template
    /// triples), summed over every operation of the request.
    pub produced: u64,
}

impl Limits {
    /// The default limit on triples per stored document.
    pub const DEFAULT_DOCUMENT_TRIPLES: u64 = 200_000;

    /// No limit at all: for documents already stored and for trusted input.
    pub const UNLIMITED: Limits = Limits {
        parsed_triples: u64::MAX,
        document_triples: u64::MAX,
        operations: u64::MAX,
        steps: u64::MAX,
        produced: u64::MAX,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            parsed_triples: Self::DEFAULT_DOCUMENT_TRIPLES,
            document_triples: Self::DEFAULT_DOCUMENT_TRIPLES,
            operations: 100,
            steps: 2_000_000,
            produced: 100_000,
        }
    }
}

/// Which limit of [`Limits`] a request went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BudgetExceeded {
    /// Too many triples in the request body (HTTP 413).
    #[error("the body holds more than {limit} triples, the most this server parses in one request")]
    ParsedTriples {
        /// The limit.
        limit: u64,
    },
    /// The document would hold too many triples (HTTP 413).
    #[error(
        "the document would hold more than {limit} triples, the most this server stores in one RDF document; split it into several documents"
    )]
    DocumentTriples {
        /// The limit.
        limit: u64,
    },
    /// Too many operations in one update (HTTP 422).
    #[error("the update has more than {limit} operations; send several smaller updates")]
    Operations {
        /// The limit.
        limit: u64,
    },
    /// Matching would examine too many triples (HTTP 422).
    #[error(
        "matching the WHERE patterns would examine more than {limit} triples; make the patterns more selective"
    )]
    Steps {
        /// The limit.
        limit: u64,
    },
    /// The templates would produce too many triples (HTTP 422).
    #[error(
        "the update would produce more than {limit} triples from its templates; make the patterns more selective"
    )]
    Produced {
        /// The limit.
        limit: u64,
    },
}

impl BudgetExceeded {
    /// The HTTP status to answer: 413 when the document or body is too
    /// large, 422 when the update asks for too much work.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::ParsedTriples { .. } | Self::DocumentTriples { .. } => 413,
            Self::Operations { .. } | Self::Steps { .. } | Self::Produced { .. } => 422,
        }
    }
}

/// The work left to one request. Create one per request with
/// [`Budget::new`] and pass the same value to every call of that request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    limits: Limits,
    parsed_triples: u64,
    operations: u64,
    steps: u64,
    produced: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Budget {
    /// A fresh budget with `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            parsed_triples: 0,
            operations: 0,
            steps: 0,
            produced: 0,
        }
    }

    /// A budget without limits, for documents already stored.
    pub fn unlimited() -> Self {
        Self::new(Limits::UNLIMITED)
    }

    /// The limits this budget was created with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Triples parsed so far.
    pub fn parsed_triples(&self) -> u64 {
        self.parsed_triples
    }

    /// Candidate triples examined so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Triples instantiated from templates so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    pub(crate) fn charge_parsed(&mut self, n: u64) -> Result<(), BudgetExceeded> {
        charge(
            &mut self.parsed_triples,
            n,
            self.limits.parsed_triples,
            |limit| BudgetExceeded::ParsedTriples { limit },
        )
    }

    pub(crate) fn charge_operations(&mut self, n: u64) -> Result<(), BudgetExceeded> {
        charge(&mut self.operations, n, self.limits.operations, |limit| {
            BudgetExceeded::Operations { limit }
        })
    }

    pub(crate) fn charge_steps(&mut self, n: u64) -> Result<(), BudgetExceeded> {
        charge(&mut self.steps, n, self.limits.steps, |limit| {
            BudgetExceeded::Steps { limit }
        })
    }

    pub(crate) fn charge_produced(&mut self, n: u64) -> Result<(), BudgetExceeded> {
        charge(&mut self.produced, n, self.limits.produced, |limit| {
            BudgetExceeded::Produced { limit }
        })
    }

    /// Fails when a document of `triples` triples, grown from `before`,
    /// is over the per-document limit. A document already over the limit
    /// (stored before the limit existed) may still shrink.
    pub(crate) fn check_document(&self, before: u64, triples: u64) -> Result<(), BudgetExceeded> {
        if triples > self.limits.document_triples && triples > before {
            return Err(BudgetExceeded::DocumentTriples {
                limit: self.limits.document_triples,
            });
        }
        Ok(())
    }
}

fn charge(
    used: &mut u64,
    n: u64,
    limit: u64,
    error: impl FnOnce(u64) -> BudgetExceeded,
) -> Result<(), BudgetExceeded> {
    let total = used.saturating_add(n);
    if total > limit {
        return Err(error(limit));
    }
    *used = total;
    Ok(())
}
