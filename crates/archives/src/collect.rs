//! Evidence gathered while the files stream by: one row per organisation
//! and kind, counts and first/last times added up, never a list of records.
//! At most [`crate::Limits::evidence`] rows are kept; records naming an
//! organisation past that are counted as dropped.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::model::{Evidence, EvidenceKind, Platform};

/// The most event types kept per organisation; others are added to the count only.
pub const MAX_EVENT_TYPES: usize = 32;
/// The most characters an event type keeps.
pub const MAX_EVENT_TYPE_CHARS: usize = 64;

/// First and last times seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

impl Span {
    pub fn add(&mut self, t: Timestamp) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    pub fn merge(&mut self, other: Span) {
        if let Some(t) = other.first {
            self.add(t);
        }
        if let Some(t) = other.last {
            self.add(t);
        }
    }
}

/// An audience's three ways, OR-ed across files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    pub data_file: bool,
    pub remarketing: bool,
    pub store_visit: bool,
}

impl Flags {
    fn merge(&mut self, o: Flags) {
        self.data_file |= o.data_file;
        self.remarketing |= o.remarketing;
        self.store_visit |= o.store_visit;
    }
}

/// Events sent by one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Events {
    pub count: u64,
    pub span: Span,
    pub types: BTreeMap<String, u64>,
}

impl Events {
    /// Counts one event of type `kind` (already cleaned and cut to
    /// [`MAX_EVENT_TYPE_CHARS`]).
    pub fn add_type(&mut self, kind: String) {
        if let Some(n) = self.types.get_mut(&kind) {
            *n += 1;
        } else if self.types.len() < MAX_EVENT_TYPES {
            self.types.insert(kind, 1);
        }
    }

    fn merge(&mut self, o: Events) {
        self.count += o.count;
        self.span.merge(o.span);
        for (kind, n) in o.types {
            if let Some(m) = self.types.get_mut(&kind) {
                *m += n;
            } else if self.types.len() < MAX_EVENT_TYPES {
                self.types.insert(kind, n);
            }
        }
    }
}

/// One Google product's activity.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Product {
    pub items: u64,
    pub from_ads: u64,
    pub span: Span,
}

/// Everything gathered so far. Meta evidence whose file does not say which
/// platform (`None`) takes the archive's at the end.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    limit: usize,
    products: HashMap<String, Product>,
    ad_sites: HashMap<String, (u64, Span)>,
    audiences: HashMap<(Option<Platform>, String), Flags>,
    elsewhere: HashMap<(Option<Platform>, String), Events>,
    /// Records naming an organisation past the cap.
    pub dropped: u64,
}

impl Collector {
    pub fn new(limit: usize) -> Self {
        Collector {
            limit,
            ..Collector::default()
        }
    }

    fn rows(&self) -> usize {
        self.products.len() + self.ad_sites.len() + self.audiences.len() + self.elsewhere.len()
    }

    fn full(&mut self) -> bool {
        let full = self.rows() >= self.limit;
        if full {
            self.dropped += 1;
        }
        full
    }

    pub fn product(&mut self, product: &str, t: Timestamp, from_ads: bool) {
        if !self.products.contains_key(product) && self.full() {
            return;
        }
        let p = self.products.entry(product.to_string()).or_default();
        p.items += 1;
        p.from_ads += u64::from(from_ads);
        p.span.add(t);
    }

    pub fn ad_click(&mut self, site: String, t: Timestamp) {
        if !self.ad_sites.contains_key(&site) && self.full() {
            return;
        }
        let (n, span) = self.ad_sites.entry(site).or_default();
        *n += 1;
        span.add(t);
    }

    pub fn audience(&mut self, platform: Option<Platform>, name: String, flags: Flags) {
        let key = (platform, name);
        if !self.audiences.contains_key(&key) && self.full() {
            return;
        }
        self.audiences.entry(key).or_default().merge(flags);
    }

    pub fn elsewhere(&mut self, platform: Option<Platform>, name: String, events: Events) {
        let key = (platform, name);
        if !self.elsewhere.contains_key(&key) && self.full() {
            return;
        }
        self.elsewhere.entry(key).or_default().merge(events);
    }

    /// The evidence, with `meta` as the platform of Meta files that did not
    /// say, sorted by organisation key, name, platform and kind.
    pub fn finish(self, meta: Platform) -> Vec<Evidence> {
        let mut audiences: BTreeMap<(Platform, String), Flags> = BTreeMap::new();
        for ((p, name), flags) in self.audiences {
            audiences
                .entry((p.unwrap_or(meta), name))
                .or_default()
                .merge(flags);
        }
        let mut elsewhere: BTreeMap<(Platform, String), Events> = BTreeMap::new();
        for ((p, name), events) in self.elsewhere {
            elsewhere
                .entry((p.unwrap_or(meta), name))
                .or_default()
                .merge(events);
        }
        let mut out = Vec::with_capacity(
            audiences.len() + elsewhere.len() + self.products.len() + self.ad_sites.len(),
        );
        for ((platform, organisation), f) in audiences {
            out.push(Evidence {
                organisation,
                platform,
                kind: EvidenceKind::Audience {
                    data_file: f.data_file,
                    remarketing: f.remarketing,
                    store_visit: f.store_visit,
                },
            });
        }
        for ((platform, organisation), e) in elsewhere {
            out.push(Evidence {
                organisation,
                platform,
                kind: EvidenceKind::ActivityFromElsewhere {
                    events: e.count,
                    first: e.span.first,
                    last: e.span.last,
                    types: e.types.into_iter().collect(),
                },
            });
        }
        for (product, p) in self.products {
            out.push(Evidence {
                organisation: Platform::Google.holder().to_string(),
                platform: Platform::Google,
                kind: EvidenceKind::ProductActivity {
                    product,
                    items: p.items,
                    from_ads: p.from_ads,
                    first: p.span.first,
                    last: p.span.last,
                },
            });
        }
        for (organisation, (clicks, span)) in self.ad_sites {
            out.push(Evidence {
                organisation,
                platform: Platform::Google,
                kind: EvidenceKind::AdClicks {
                    clicks,
                    first: span.first,
                    last: span.last,
                },
            });
        }
        sort(&mut out);
        out
    }
}

/// Sorts evidence by organisation key, then name, platform, kind and product.
pub(crate) fn sort(evidence: &mut Vec<Evidence>) {
    let mut keyed: Vec<(String, Evidence)> = evidence
        .drain(..)
        .map(|e| (crate::names::key(&e.organisation), e))
        .collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        fn product(e: &Evidence) -> &str {
            match &e.kind {
                EvidenceKind::ProductActivity { product, .. } => product,
                _ => "",
            }
        }
        ka.cmp(kb)
            .then_with(|| a.organisation.cmp(&b.organisation))
            .then_with(|| a.platform.cmp(&b.platform))
            .then_with(|| a.kind.rank().cmp(&b.kind.rank()))
            .then_with(|| product(a).cmp(product(b)))
    });
    evidence.extend(keyed.into_iter().map(|(_, e)| e));
}
