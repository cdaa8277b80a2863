//! The energy and water service over a pod: one import path for every way
//! a file arrives (the command line, the dashboard's upload, a POST to the
//! inbox, the Enedis connector), the rebuild of the derived index, the
//! resident's tariffs, and cached [`Book`]s that answer queries.
//!
//! An import is all or nothing: the file is parsed completely first, then
//! the original file, the merged normalised CSV files, their CSVW metadata,
//! the source description and the index entries are written in one store
//! batch. Importing the same or an overlapping file again writes only what
//! changed, and nothing at all when nothing did.
//!
//! The import contract protects what is already there: a file naming
//! another meter than the pod's is kept apart (its original under the
//! holder's `apart/` container, nothing merged) until the resident confirms
//! it is theirs ([`Energy::import_confirmed`]); a file whose readings stop
//! before the period it declares is imported but reported as partial, its
//! missing days counted over the declared period.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use jiff::Timestamp;
use parking_lot::Mutex;
use selfdata_energy::analysis::Book;
use selfdata_energy::describe::{self, SourceFacts};
use selfdata_energy::files::{self, FileKey};
use selfdata_energy::sources::{Coverage, Identity, Lang, Refusal, verdict};
use selfdata_energy::tariff::{TariffError, Tariffs};
use selfdata_energy::{Fluid, Holder, ImportError, Layout, Quantity, Reading, import};
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, StoreError, Write};

/// Where the resident's tariffs live in the pod.
pub const TARIFFS: &str = "/selfdata/energy/tariffs.csv";

/// Why an import or a query failed.
#[derive(Debug, thiserror::Error)]
pub enum EnergyError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Tariff(#[from] TariffError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Damaged(String),
    /// Not imported: the file is not a readable export (says which was expected).
    #[error(transparent)]
    Refused(Refusal),
    /// Not merged: the file names another meter than the pod's; its original is kept apart.
    #[error(
        "this file is for meter {found}, not for your meter {}: it was kept apart in {kept} and nothing was merged",
        .known.join(", ")
    )]
    OtherMeter {
        known: Vec<String>,
        found: String,
        /// Where the original is kept (path from the pod root).
        kept: String,
    },
}

impl EnergyError {
    /// The error for a resident, in their language where the error has words for it.
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (EnergyError::Refused(r), lang) => r.sentence(lang),
            (EnergyError::Import(e), lang) => e.sentence(lang),
            (EnergyError::OtherMeter { known, found, kept }, Lang::Fr) => format!(
                "ce fichier concerne le compteur {found}, pas votre compteur {} : il a été mis de côté dans {kept}, sans rien fusionner",
                known.join(", ")
            ),
            (e, _) => e.to_string(),
        }
    }
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Reading,
    Merging,
    Writing,
}

/// What an import did, for the resident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub layout: String,
    pub holder: String,
    pub fluid: &'static str,
    /// Readings in the file (rows with a value or an empty one).
    pub readings: usize,
    /// Intervals added or corrected by this import (0 when the file was already imported).
    pub changed: usize,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Local days within the file's period with no value at all.
    pub days_missing: usize,
    /// Where the original file is kept (path from the pod root).
    pub original: String,
    /// Whether this import stored the original (false: the same file was imported before).
    pub new_original: bool,
    /// The period `[start, end)` the file declares, when its readings do not
    /// cover it: the import is partial (`days_missing` counts over this period).
    pub partial: Option<(String, String)>,
}

/// A fluid's readings as loaded for queries, with what they were built from.
type Cached = (u64, u64, Arc<Book>);

/// The service, shared by the HTTP handlers and the command line.
pub struct Energy {
    store: Arc<dyn Backend>,
    base_url: String,
    books: Mutex<HashMap<(PodName, Fluid), Cached>>,
    /// One import at a time per pod, so two merges never race.
    locks: Mutex<HashMap<PodName, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Energy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Energy").finish_non_exhaustive()
    }
}

fn path(p: &str) -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(p)?)
}

fn put(p: &str, content_type: &str, body: Vec<u8>) -> Result<Write, StoreError> {
    Ok(Write::Put {
        path: path(p)?,
        content_type: content_type.to_owned(),
        body: Bytes::from(body),
        precondition: Precondition::None,
    })
}

fn source_container(holder: Holder) -> String {
    format!("/selfdata/sources/{}/", holder.slug())
}

impl Energy {
    pub fn new(store: Arc<dyn Backend>, base_url: &str) -> Self {
        Self {
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
            books: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self, pod: &PodName) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.lock().entry(pod.clone()).or_default().clone()
    }

    /// Imports one file into `pod`, reporting progress. A file naming
    /// another meter than the pod's is kept apart, not merged
    /// ([`EnergyError::OtherMeter`]).
    pub async fn import(
        &self,
        pod: &PodName,
        bytes: Bytes,
        progress: &(dyn Fn(Stage) + Send + Sync),
    ) -> Result<Summary, EnergyError> {
        self.import_checked(pod, bytes, progress, false).await
    }

    /// Imports a file the resident confirmed is theirs, whatever meter it names.
    pub async fn import_confirmed(
        &self,
        pod: &PodName,
        bytes: Bytes,
        progress: &(dyn Fn(Stage) + Send + Sync),
    ) -> Result<Summary, EnergyError> {
        self.import_checked(pod, bytes, progress, true).await
    }

    async fn import_checked(
        &self,
        pod: &PodName,
        bytes: Bytes,
        progress: &(dyn Fn(Stage) + Send + Sync),
        confirmed: bool,
    ) -> Result<Summary, EnergyError> {
        progress(Stage::Reading);
        let raw = bytes.clone();
        let parsed = tokio::task::spawn_blocking(move || import::import(&raw))
            .await
            .map_err(|e| EnergyError::Damaged(e.to_string()))?
            .map_err(|r| match r.error {
                // Kept as before: the connector treats a day without readings as nothing to do.
                ImportError::Empty => EnergyError::Import(ImportError::Empty),
                _ => EnergyError::Refused(r),
            })?;
        let lock = self.lock(pod);
        let _guard = lock.lock().await;
        progress(Stage::Merging);
        let layout = parsed.layout;
        let holder = layout.holder();
        let fluid = holder.fluid();
        let all: Vec<&Reading> = parsed.series.iter().flat_map(|s| &s.readings).collect();
        let first = all.iter().map(|r| r.start).min();
        let last = all.iter().map(|r| r.end).max();
        let name = files::original_name(layout, first, last, &bytes);
        let original = format!("{}raw/{name}", source_container(holder));
        let known = self.known_meters(pod, holder).await?;
        let identity = verdict::identity(&known, parsed.meter.as_deref());
        if let Identity::Different { known, found } = identity
            && !confirmed
        {
            let kept = format!("{}apart/{name}", source_container(holder));
            if self.store.meta(pod, &path(&kept)?).await?.is_none() {
                let write = put(&kept, layout.media_type(), bytes.to_vec())?;
                self.store.write(pod, write).await?;
            }
            return Err(EnergyError::OtherMeter {
                known,
                found,
                kept: kept.trim_start_matches('/').to_owned(),
            });
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
        let original_exists = self.store.meta(pod, &path(&original)?).await?.is_some();
        if !original_exists {
            writes.push(put(&original, layout.media_type(), bytes.to_vec())?);
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
        if !writes.is_empty() {
            writes.push(
                self.source_description(pod, holder, &index, &original, meter.as_deref())
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
        progress(Stage::Writing);
        if !writes.is_empty() {
            self.store.write(pod, Write::Batch(writes)).await?;
            self.books.lock().remove(&(pod.clone(), fluid));
        }
        Ok(Summary {
            layout: layout.describe().to_owned(),
            holder: holder.name().to_owned(),
            fluid: fluid.as_str(),
            readings: parsed.rows,
            changed,
            first: first.map(|t| t.to_string()),
            last: last.map(|t| t.to_string()),
            days_missing,
            original: original.trim_start_matches('/').to_owned(),
            new_original: !original_exists,
            partial: match coverage {
                Coverage::Partial {
                    declared_start,
                    declared_end,
                    ..
                } => Some((declared_start.to_string(), declared_end.to_string())),
                Coverage::Whole => None,
            },
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
        let raw_dir = path(&format!("{}raw/", source_container(holder)))?;
        let mut originals: Vec<String> = match self.store.members(pod, &raw_dir).await {
            Ok(m) => m
                .into_iter()
                .map(|m| m.path.as_str().trim_start_matches('/').to_owned())
                .collect(),
            Err(StoreError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let new = new_original.trim_start_matches('/').to_owned();
        if !originals.contains(&new) {
            originals.push(new);
        }
        originals.sort();
        let all = index.values().flatten();
        let quantities: Vec<Quantity> = index
            .keys()
            .map(|k| k.quantity)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let normalised: Vec<String> = index.keys().map(|k| k.path()).collect();
        let facts = SourceFacts {
            holder,
            meter,
            first: all.clone().map(|r| r.start).min(),
            last: all.clone().map(|r| r.end).max(),
            readings: all.count(),
            updated: Timestamp::now(),
            originals: &originals,
            normalised: &normalised,
            quantities: &quantities,
        };
        let base = format!("{}/{}/", self.base_url, pod);
        let turtle = describe::source_description(&base, &facts)
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
        let lock = self.lock(pod);
        let _guard = lock.lock().await;
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
        self.store.write(pod, Write::Batch(writes)).await?;
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
        self.locks.lock().remove(pod);
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

/// Whether these bytes look like a meter export the importers know.
pub fn recognised(bytes: &[u8]) -> Option<Layout> {
    import::detect(bytes)
}
