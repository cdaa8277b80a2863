//! The energy and water service over a pod: what it takes in from meter
//! exports (its [`Intake`], run by the shared import pipeline for every way a
//! file arrives: the command line, an upload, a POST to the inbox, the Enedis
//! connector), the rebuild of the derived index, the resident's tariffs, and
//! cached [`Book`]s that answer queries.
//!
//! A merge reads the pod's index and plans, for the pipeline's one batch,
//! the merged normalised CSV files, their CSVW metadata, the source
//! description and the index entries. Importing the same or an overlapping
//! file again writes only what changed, and nothing at all when nothing did.
//!
//! The import contract protects what is already there: a file naming
//! another meter than the pod's is kept apart (the pipeline stores it under
//! the holder's `apart/` container, nothing merged) until the resident
//! confirms it is theirs; a file whose readings stop before the period it
//! declares is imported but reported as partial, its missing days counted
//! over the declared period.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use jiff::Timestamp;
use parking_lot::Mutex;
use selfdata_energy::analysis::Book;
use selfdata_energy::describe::{self, Held};
use selfdata_energy::files::{self, FileKey};
use selfdata_energy::sources::{Coverage, Identity, verdict};
use selfdata_energy::tariff::{TariffError, Tariffs};
use selfdata_energy::{Fluid, Holder, Layout, Parsed, Quantity, Reading, import};
use selfdata_service::put_file as put;
use selfdata_service::{
    Accepts, ImportFailure, Intake, Original, Pipeline, Plan, Summary, Told, Upload,
};
use selfdata_site::fill;
use selfdata_store::{Backend, PodName, ResourcePath, StoreError, Write};

use crate::texts::Texts;

/// Where the resident's tariffs live in the pod.
pub const TARIFFS: &str = "/selfdata/energy/tariffs.csv";

/// Why a query or a tariff change failed.
#[derive(Debug, thiserror::Error)]
pub enum EnergyError {
    #[error(transparent)]
    Tariff(#[from] TariffError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Damaged(String),
}

impl From<EnergyError> for ImportFailure {
    fn from(e: EnergyError) -> Self {
        match e {
            EnergyError::Store(e) => ImportFailure::Store(e),
            e => ImportFailure::Damaged(e.to_string()),
        }
    }
}

/// Media types a meter export may arrive with.
pub const METER_FILE_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "application/json",
    "application/x-ndjson",
    "application/octet-stream",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// A fluid's readings as loaded for queries, with what they were built from.
type Cached = (u64, u64, Arc<Book>);

/// The service, shared by the HTTP handlers, the pipeline and the command line.
pub struct Energy {
    store: Arc<dyn Backend>,
    base_url: String,
    books: Mutex<HashMap<(PodName, Fluid), Cached>>,
    /// Imports and reindexing take the same per-pod lock. Weak: the
    /// pipeline holds this service as one of its intakes.
    pipeline: Weak<Pipeline>,
}

impl std::fmt::Debug for Energy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Energy").finish_non_exhaustive()
    }
}

fn path(p: &str) -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(p)?)
}

fn source_container(holder: Holder) -> String {
    format!("/selfdata/sources/{}/", holder.slug())
}

impl Accepts for Energy {
    fn service(&self) -> &'static str {
        "energy"
    }

    fn media_types(&self) -> &'static [&'static str] {
        METER_FILE_TYPES
    }

    fn recognises(&self, file: &Upload) -> bool {
        import::detect(&file.judged()).is_some()
    }

    fn expected(&self) -> Vec<&'static selfdata_sources::Expected> {
        selfdata_sources::contract::expected_of(&import::importers())
    }
}

#[async_trait::async_trait]
impl Intake for Energy {
    type Parsed = Parsed;

    fn parse(file: &Upload) -> Result<Parsed, selfdata_sources::Refusal> {
        import::import(&file.whole_or_refusal()?)
    }

    fn original(&self, parsed: &Parsed, file: &Upload) -> Result<Original, ImportFailure> {
        let layout = parsed.layout;
        let all = parsed.series.iter().flat_map(|s| &s.readings);
        let first = all.clone().map(|r| r.start).min();
        let last = all.map(|r| r.end).max();
        let name = files::original_name(layout, first, last, &file.sha256());
        let container = source_container(layout.holder());
        Ok(Original::new(
            path(&format!("{container}raw/{name}"))?,
            path(&format!("{container}apart/{name}"))?,
            layout.media_type(),
        ))
    }

    async fn merge(
        &self,
        pod: &PodName,
        parsed: Parsed,
        original: &Original,
        confirmed: bool,
    ) -> Result<Plan, ImportFailure> {
        Ok(self.plan(pod, parsed, original, confirmed).await?)
    }

    fn written(&self, pod: &PodName) {
        self.books.lock().retain(|(p, _), _| p != pod);
    }
}

impl Energy {
    pub fn new(store: Arc<dyn Backend>, base_url: &str, pipeline: &Arc<Pipeline>) -> Self {
        Self {
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
            books: Mutex::new(HashMap::new()),
            pipeline: Arc::downgrade(pipeline),
        }
    }

    /// The shared import pipeline (the connector imports through it);
    /// `None` once the application is gone.
    pub fn pipeline(&self) -> Option<Arc<Pipeline>> {
        self.pipeline.upgrade()
    }

    /// Plans merging a parsed file into the pod (see the module's documentation).
    async fn plan(
        &self,
        pod: &PodName,
        parsed: Parsed,
        original: &Original,
        confirmed: bool,
    ) -> Result<Plan, EnergyError> {
        let layout = parsed.layout;
        let holder = layout.holder();
        let fluid = holder.fluid();
        let all: Vec<&Reading> = parsed.series.iter().flat_map(|s| &s.readings).collect();
        let first = all.iter().map(|r| r.start).min();
        let last = all.iter().map(|r| r.end).max();
        let known = self.known_meters(pod, holder).await?;
        let identity = verdict::identity(&known, parsed.meter.as_deref());
        if let Identity::Different { known, found } = identity
            && !confirmed
        {
            return Ok(Plan::KeepApart { known, found });
        }
        // A file that names no meter keeps the one the pod knows.
        let meter = parsed.meter.clone().or_else(|| known.first().cloned());
        let coverage = verdict::coverage(parsed.declared, first, last);

        let mut index = self.load_index(pod, fluid).await?;
        let mut writes = Vec::new();
        // Intervals added or corrected, counted once even when a file gives
        // two quantities for each (gas in kWh and m³).
        let mut changed = 0;
        let mut touched = BTreeSet::new();
        for series in &parsed.series {
            let mut in_series = 0;
            for (key, readings) in files::group(series.quantity, &series.readings) {
                let existing = index.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                let (merged, n) = files::merge(existing, &readings);
                if n > 0 {
                    in_series += n;
                    touched.insert(key);
                    index.insert(key, merged);
                }
            }
            changed = changed.max(in_series);
        }
        if !touched.is_empty() {
            for key in &touched {
                let readings = &index[key];
                writes.push(put(
                    &format!("/{}", key.path()),
                    "text/csv",
                    files::to_csv(readings),
                )?);
                writes.push(Write::Index {
                    key: key.index_key(),
                    value: Some(Bytes::from(files::encode(readings))),
                });
            }
            let keys: Vec<FileKey> = index.keys().copied().collect();
            writes.push(put(
                &format!("/{}csv-metadata.json", files::fluid_container(fluid)),
                "application/csvm+json",
                describe::csvw_metadata(fluid, &keys),
            )?);
        }
        if !writes.is_empty() || original.is_new {
            writes.push(
                self.source_description(
                    pod,
                    holder,
                    &index,
                    original.raw.as_str(),
                    meter.as_deref(),
                )
                .await?,
            );
        }
        // A partial file's missing days are counted over the period it declares.
        let (span_first, span_last) = match coverage {
            Coverage::Partial {
                declared_start,
                declared_end,
                ..
            } => (
                first.map(|f| f.min(declared_start)),
                last.map(|l| l.max(declared_end)),
            ),
            Coverage::Whole => (first, last),
        };
        let days_missing = match (span_first, span_last) {
            (Some(a), Some(b)) => {
                let book = Book::build(fluid, &by_quantity(&index), &Tariffs::defaults());
                let tz = files::paris();
                let (from, to) = (
                    a.to_zoned_datetime(tz.clone()).date(),
                    b.to_zoned_datetime(tz).date(),
                );
                book.main().map(|q| q.gaps(from, to).0.len()).unwrap_or(0)
            }
            _ => 0,
        };
        let partial = match coverage {
            Coverage::Partial {
                declared_start,
                declared_end,
                ..
            } => Some((declared_start, declared_end)),
            Coverage::Whole => None,
        };
        let tell = |lang: selfdata_site::Lang| {
            told(
                lang.words(),
                layout,
                parsed.rows,
                changed,
                days_missing,
                first,
                last,
                partial,
            )
        };
        let (fr, en) = (tell(selfdata_site::Lang::Fr), tell(selfdata_site::Lang::En));
        let mut details = serde_json::Map::new();
        details.insert("fluid".into(), fluid.as_str().into());
        let link = last.map(|l| {
            let anchor = local_day(l, true);
            crate::dashboard::month_view_href(fluid, anchor)
        });
        Ok(Plan::Merge {
            writes,
            summary: Box::new(Summary {
                service: "energy",
                layout: layout.describe().to_owned(),
                holder: holder.name().to_owned(),
                readings: parsed.rows,
                changed,
                first: first.map(|t| t.to_string()),
                last: last.map(|t| t.to_string()),
                days_missing,
                original: String::new(),
                new_original: false,
                partial: partial.map(|(a, b)| (a.to_string(), b.to_string())),
                details,
                told: Told::new(fr.0, en.0),
                told_more: Some(Told::new(fr.1, en.1)),
                link,
            }),
        })
    }

    /// The meters a holder's source description names (none before the first import).
    pub(crate) async fn known_meters(
        &self,
        pod: &PodName,
        holder: Holder,
    ) -> Result<Vec<String>, EnergyError> {
        let about = path(&format!("/{}", describe::about_path(holder)))?;
        Ok(match self.store.get(pod, &about).await? {
            Some((_, body)) => {
                describe::meters_of(holder, &format!("{}/{}/", self.base_url, pod), &body)
            }
            None => Vec::new(),
        })
    }

    /// The Turtle description of a holder's source, from every file of its fluid.
    async fn source_description(
        &self,
        pod: &PodName,
        holder: Holder,
        index: &BTreeMap<FileKey, Vec<Reading>>,
        new_original: &str,
        meter: Option<&str>,
    ) -> Result<Write, EnergyError> {
        let originals =
            selfdata_service::kept_originals(&*self.store, pod, holder.slug(), new_original)
                .await?;
        let all = index.values().flatten();
        let quantities: Vec<Quantity> = index
            .keys()
            .map(|k| k.quantity)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let normalised: Vec<String> = index.keys().map(|k| k.path()).collect();
        let held = Held {
            meter,
            accounts: &[],
            first: all.clone().map(|r| r.start).min(),
            last: all.clone().map(|r| r.end).max(),
            readings: all.count(),
            updated: Timestamp::now(),
            originals: &originals,
            normalised: &normalised,
        };
        let base = format!("{}/{}/", self.base_url, pod);
        let turtle = describe::source_description(&base, holder, &quantities, held)
            .map_err(|e| EnergyError::Damaged(format!("the source description: {e}")))?;
        put(
            &format!("/{}", describe::about_path(holder)),
            "text/turtle",
            turtle,
        )
        .map_err(Into::into)
    }

    /// Every file of a fluid from the derived index, decoded.
    async fn load_index(
        &self,
        pod: &PodName,
        fluid: Fluid,
    ) -> Result<BTreeMap<FileKey, Vec<Reading>>, EnergyError> {
        let mut out = BTreeMap::new();
        for (key, value) in self
            .store
            .index_scan(pod, &files::index_prefix(fluid))
            .await?
        {
            let (Some(file), Some(readings)) =
                (FileKey::from_index_key(&key), files::decode(&value))
            else {
                return Err(EnergyError::Damaged(format!(
                    "the index entry {key} is damaged; run `selfdata reindex`"
                )));
            };
            out.insert(file, readings);
        }
        Ok(out)
    }

    /// Rebuilds the derived index of `pod` from its normalised CSV files;
    /// returns how many readings it holds.
    pub async fn reindex(&self, pod: &PodName) -> Result<usize, EnergyError> {
        let pipeline = self
            .pipeline()
            .ok_or_else(|| EnergyError::Damaged("the server is stopping".into()))?;
        let mut turn = pipeline.turn(pod).await?;
        let mut writes = Vec::new();
        let mut count = 0;
        for fluid in Fluid::ALL {
            for (key, _) in self
                .store
                .index_scan(pod, &files::index_prefix(fluid))
                .await?
            {
                writes.push(Write::Index { key, value: None });
            }
            let dir = path(&format!("/{}", files::fluid_container(fluid)))?;
            let members = match self.store.members(pod, &dir).await {
                Ok(m) => m,
                Err(StoreError::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            for m in members {
                let name = m.path.as_str().rsplit('/').next().unwrap_or("");
                let Some(key) = FileKey::parse(fluid, name) else {
                    continue;
                };
                let Some((_, body)) = self.store.get(pod, &m.path).await? else {
                    continue;
                };
                let readings = files::from_csv(m.path.as_str(), &body)
                    .map_err(|e| EnergyError::Damaged(e.to_string()))?;
                count += readings.len();
                writes.push(Write::Index {
                    key: key.index_key(),
                    value: Some(Bytes::from(files::encode(&readings))),
                });
            }
            self.books.lock().remove(&(pod.clone(), fluid));
        }
        pipeline.commit(&mut turn, writes).await?;
        Ok(count)
    }

    /// The resident's tariffs (the defaults until they save their own).
    pub async fn tariffs(&self, pod: &PodName) -> Result<Tariffs, EnergyError> {
        match self.store.get(pod, &path(TARIFFS)?).await? {
            Some((_, body)) => Ok(Tariffs::parse(&body)?),
            None => Ok(Tariffs::defaults()),
        }
    }

    /// Forgets what is cached about a pod (it was erased).
    pub fn forget_pod(&self, pod: &PodName) {
        self.books.lock().retain(|(p, _), _| p != pod);
    }

    /// Saves the resident's tariffs after checking them.
    pub async fn save_tariffs(&self, pod: &PodName, csv: &[u8]) -> Result<(), EnergyError> {
        let tariffs = Tariffs::parse(csv)?;
        self.store
            .write(pod, put(TARIFFS, "text/csv", tariffs.to_csv())?)
            .await?;
        self.books.lock().retain(|(p, _), _| p != pod);
        Ok(())
    }

    /// The queryable readings of a fluid, rebuilt only when its files or the
    /// tariffs changed since the last call.
    pub async fn book(&self, pod: &PodName, fluid: Fluid) -> Result<Arc<Book>, EnergyError> {
        let container = path(&format!("/{}", files::fluid_container(fluid)))?;
        let data_version = self
            .store
            .meta(pod, &container)
            .await?
            .map(|m| m.version)
            .unwrap_or(0);
        let tariff_version = self
            .store
            .meta(pod, &path(TARIFFS)?)
            .await?
            .map(|m| m.version)
            .unwrap_or(0);
        let key = (pod.clone(), fluid);
        if let Some((d, t, book)) = self.books.lock().get(&key)
            && *d == data_version
            && *t == tariff_version
        {
            return Ok(book.clone());
        }
        let index = self.load_index(pod, fluid).await?;
        let tariffs = self.tariffs(pod).await?;
        let book = Arc::new(
            tokio::task::spawn_blocking(move || Book::build(fluid, &by_quantity(&index), &tariffs))
                .await
                .map_err(|e| EnergyError::Damaged(e.to_string()))?,
        );
        self.books
            .lock()
            .insert(key, (data_version, tariff_version, book.clone()));
        Ok(book)
    }
}

/// Joins a fluid's files into one reading list per quantity.
fn by_quantity(index: &BTreeMap<FileKey, Vec<Reading>>) -> BTreeMap<Quantity, Vec<Reading>> {
    let mut out: BTreeMap<Quantity, Vec<Reading>> = BTreeMap::new();
    for (key, readings) in index {
        out.entry(key.quantity)
            .or_default()
            .extend_from_slice(readings);
    }
    out
}

/// A reading's instant as a local day; an end instant (midnight after its
/// day) gives the day it ends.
fn local_day(t: Timestamp, end: bool) -> jiff::civil::Date {
    let t = if end {
        t.checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap_or(t)
    } else {
        t
    };
    t.to_zoned_datetime(files::paris()).date()
}

/// What the resident reads about an imported file: what it gave, then what
/// it is and the period it covers.
#[allow(clippy::too_many_arguments)]
fn told(
    t: &Texts,
    layout: Layout,
    rows: usize,
    changed: usize,
    days_missing: usize,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    partial: Option<(Timestamp, Timestamp)>,
) -> (String, String) {
    let n = t.number(rows as f64, 0);
    let status = if changed == 0 {
        fill(t.file_unchanged, &[("n", &n)])
    } else {
        let missing = match days_missing {
            0 => t.days_missing_none.to_owned(),
            1 => t.days_missing_one.to_owned(),
            d => fill(t.days_missing_many, &[("n", &t.number(d as f64, 0))]),
        };
        fill(t.file_imported, &[("n", &n), ("missing", &missing)])
    };
    let mut more = layout.describe().to_owned();
    if let (Some(a), Some(b)) = (first, last) {
        let span = fill(
            t.file_span,
            &[
                ("first", &t.date(local_day(a, false))),
                ("last", &t.date(local_day(b, true))),
            ],
        );
        more = format!("{more} · {span}");
    }
    if let Some((from, to)) = partial {
        let (from, to) = (t.date(local_day(from, false)), t.date(local_day(to, true)));
        more.push_str(&if t.lang == "fr" {
            format!(" · partiel : le fichier annonce du {from} au {to} mais ses relevés s’arrêtent avant")
        } else {
            format!(" · partial: the file declares {from} to {to} but its readings stop short")
        });
    }
    (status, more)
}
