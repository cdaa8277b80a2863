//! The mobility service over a pod: what it takes in from location exports
//! (its [`Intake`], run by the shared import pipeline), the rebuild of its
//! derived index, and the cached trips that answer the API and the page.
//!
//! A merge turns the file into trips (`selfdata_mobility::trips`: the
//! file's own trips as given, raw points cut into trips, each trip's mode
//! the file's or inferred), reads the index entries of the years they
//! fall in, and plans for the pipeline's one batch: the merged trips CSV of
//! each year touched (`selfdata/mobility/trips/{year}.csv`) with its index
//! entry, the CSVW metadata and the source description. Raw points are not
//! kept beside the original: the original is the record of them. Location
//! data stays owner-only unless the resident shares it (the pod's ACLs).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use jiff::Timestamp;
use parking_lot::Mutex;
use selfdata_mobility::import::{self, Layout, Parsed};
use selfdata_mobility::model::Trip;
use selfdata_mobility::trips;
use selfdata_service::put_file as put;
use selfdata_service::{Accepts, ImportFailure, Intake, Original, Pipeline, Plan, Summary, Told};
use selfdata_site::{Lang, count, fill};
use selfdata_sources::describe::{self, Column, Held, Source, Table, VOCAB};
use selfdata_store::{Backend, PodName, ResourcePath, StoreError, Write};

use crate::texts::Texts;

/// The container of the trips CSVs, from the pod root.
pub const TRIPS: &str = "selfdata/mobility/trips/";
/// The index keys of one year of trips start with this.
const INDEX_PREFIX: &str = "mobility/trips/";
/// The theme of location data in source descriptions.
pub const THEME: &str = "location-history";

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum MobilityError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Damaged(String),
}

impl From<MobilityError> for ImportFailure {
    fn from(e: MobilityError) -> Self {
        match e {
            MobilityError::Store(e) => ImportFailure::Store(e),
            MobilityError::Damaged(d) => ImportFailure::Damaged(d),
        }
    }
}

/// Media types a location export may arrive with.
pub const LOCATION_TYPES: &[&str] = &[
    "application/json",
    "application/geo+json",
    "application/gpx+xml",
    "application/xml",
    "text/xml",
    "text/plain",
    "application/octet-stream",
];

/// A pod's trips with the version of their container they were read at.
type Cached = (u64, Arc<Vec<Trip>>);

/// The service, shared by the HTTP handlers, the pipeline and the command line.
pub struct Mobility {
    store: Arc<dyn Backend>,
    base_url: String,
    cache: Mutex<HashMap<PodName, Cached>>,
    /// Imports and reindexing take the same per-pod lock. Weak: the
    /// pipeline holds this service as one of its intakes.
    pipeline: Weak<Pipeline>,
}

impl std::fmt::Debug for Mobility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mobility").finish_non_exhaustive()
    }
}

fn path(p: &str) -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(&format!(
        "/{}",
        p.trim_start_matches('/')
    ))?)
}

fn damaged(what: &str, e: impl std::fmt::Display) -> MobilityError {
    MobilityError::Damaged(format!(
        "{what} cannot be read back ({e}); correct it or run `selfdata reindex`"
    ))
}

/// Who handed the file over, as the pod names its source.
fn holder(layout: Layout) -> (&'static str, &'static str) {
    match layout {
        Layout::Records | Layout::Semantic | Layout::TimelineAndroid | Layout::TimelineIos => {
            ("google", "Google")
        }
        Layout::Emission => ("e-mission", "e-mission / TraceMob"),
        Layout::Gpx | Layout::GeoJson => ("gps-tracks", "GPS tracks"),
    }
}

/// The year (in Paris) a trip is filed under.
fn year_of(t: &Trip) -> i16 {
    Timestamp::from_second(t.start)
        .map(|ts| selfdata_sources::time::local_date(ts).year())
        .unwrap_or(1970)
}

impl Accepts for Mobility {
    fn service(&self) -> &'static str {
        "mobility"
    }

    fn media_types(&self) -> &'static [&'static str] {
        LOCATION_TYPES
    }

    fn recognises(&self, body: &[u8]) -> bool {
        import::importers()
            .iter()
            .any(|i| selfdata_sources::Importer::detect(*i, body))
    }

    fn expected(&self) -> Vec<&'static selfdata_sources::Expected> {
        selfdata_sources::contract::expected_of(&import::importers())
    }
}

#[async_trait::async_trait]
impl Intake for Mobility {
    type Parsed = Parsed;

    fn parse(body: &[u8]) -> Result<Parsed, selfdata_sources::Refusal> {
        import::import(body)
    }

    fn original(&self, parsed: &Parsed, body: &[u8]) -> Result<Original, ImportFailure> {
        let times = parsed
            .points
            .iter()
            .map(|p| p.t)
            .chain(parsed.trips.iter().flat_map(|t| [t.start, t.end]))
            .chain(parsed.visits.iter().flat_map(|v| [v.start, v.end]));
        let first = times
            .clone()
            .min()
            .and_then(|t| Timestamp::from_second(t).ok());
        let last = times.max().and_then(|t| Timestamp::from_second(t).ok());
        let name =
            selfdata_sources::raw::raw_file_name(first, last, body, parsed.layout.extension());
        let (slug, _) = holder(parsed.layout);
        Ok(Original::new(
            path(&format!("selfdata/sources/{slug}/raw/{name}"))?,
            path(&format!("selfdata/sources/{slug}/apart/{name}"))?,
            parsed.layout.media_type(),
        ))
    }

    async fn merge(
        &self,
        pod: &PodName,
        parsed: Parsed,
        original: &Original,
        _confirmed: bool,
    ) -> Result<Plan, ImportFailure> {
        Ok(self.plan(pod, parsed, original).await?)
    }

    fn written(&self, pod: &PodName) {
        self.cache.lock().remove(pod);
    }
}

impl Mobility {
    pub fn new(store: Arc<dyn Backend>, base_url: &str, pipeline: &Arc<Pipeline>) -> Self {
        Self {
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
            cache: Mutex::new(HashMap::new()),
            pipeline: Arc::downgrade(pipeline),
        }
    }

    async fn year(&self, pod: &PodName, year: i16) -> Result<Vec<Trip>, MobilityError> {
        let key = format!("{INDEX_PREFIX}{year}");
        match self.store.index_get(pod, &key).await? {
            Some(v) => trips::from_csv(&v).map_err(|e| damaged(&key, e)),
            None => Ok(Vec::new()),
        }
    }

    async fn plan(
        &self,
        pod: &PodName,
        parsed: Parsed,
        original: &Original,
    ) -> Result<Plan, MobilityError> {
        let found = trips::trips_of(&parsed);
        let mut by_year: BTreeMap<i16, Vec<Trip>> = BTreeMap::new();
        for t in &found {
            by_year.entry(year_of(t)).or_default().push(t.clone());
        }
        let mut writes = Vec::new();
        let mut added = 0;
        for (year, incoming) in by_year {
            let existing = self.year(pod, year).await?;
            let (merged, n) = trips::merge(&existing, &incoming);
            if n == 0 {
                continue;
            }
            added += n;
            let csv = trips::to_csv(&merged);
            writes.push(put(&format!("{TRIPS}{year}.csv"), "text/csv", csv.clone())?);
            writes.push(Write::Index {
                key: format!("{INDEX_PREFIX}{year}"),
                value: Some(Bytes::from(csv)),
            });
        }
        let mut years: Vec<i16> = self
            .store
            .index_scan(pod, INDEX_PREFIX)
            .await?
            .into_iter()
            .filter_map(|(k, _)| k.strip_prefix(INDEX_PREFIX)?.parse().ok())
            .collect();
        years.extend(found.iter().map(year_of));
        years.sort_unstable();
        years.dedup();
        if added > 0 {
            writes.push(put(
                &format!("{TRIPS}csv-metadata.json"),
                "application/csvm+json",
                csvw(&years),
            )?);
        }
        if !writes.is_empty() || original.is_new {
            writes.push(
                self.source_description(pod, parsed.layout, original.raw.as_str(), &years, &found)
                    .await?,
            );
        }
        let rows = parsed.rows;
        let tell = |lang: Lang| {
            let t: &Texts = lang.words();
            let n = count(found.len() as u64, lang);
            if added == 0 {
                fill(t.import_unchanged, &[("n", &n)])
            } else {
                fill(
                    t.imported,
                    &[("n", &n), ("added", &count(added as u64, lang))],
                )
            }
        };
        let first = found.iter().map(|t| t.start).min();
        let last = found.iter().map(|t| t.end).max();
        let instant = |t: Option<i64>| {
            t.and_then(|t| Timestamp::from_second(t).ok())
                .map(|t| t.to_string())
        };
        Ok(Plan::Merge {
            writes,
            summary: Box::new(Summary {
                service: "mobility",
                layout: parsed.layout.describe().to_owned(),
                holder: holder(parsed.layout).1.to_owned(),
                readings: rows,
                changed: added,
                first: instant(first),
                last: instant(last),
                days_missing: 0,
                original: String::new(),
                new_original: false,
                partial: None,
                details: serde_json::Map::new(),
                told: Told::new(tell(Lang::Fr), tell(Lang::En)),
                told_more: Some(Told::new(
                    parsed.layout.describe(),
                    parsed.layout.describe(),
                )),
                link: Some("/app/mobility".to_owned()),
            }),
        })
    }

    async fn source_description(
        &self,
        pod: &PodName,
        layout: Layout,
        new_original: &str,
        years: &[i16],
        found: &[Trip],
    ) -> Result<Write, MobilityError> {
        let (slug, name) = holder(layout);
        let originals =
            selfdata_service::kept_originals(&*self.store, pod, slug, new_original).await?;
        let normalised: Vec<String> = years.iter().map(|y| format!("{TRIPS}{y}.csv")).collect();
        let at = |t: Option<i64>| t.and_then(|t| Timestamp::from_second(t).ok());
        let base = format!("{}/{}/", self.base_url, pod);
        let doc = format!("{base}selfdata/sources/{slug}/about.ttl");
        let turtle = describe::source_turtle(
            &doc,
            &base,
            &Source {
                holder: name,
                holder_fr: None,
                themes: &[format!("{VOCAB}{THEME}")],
                held: Held {
                    meter: None,
                    accounts: &[],
                    first: at(found.iter().map(|t| t.start).min()),
                    last: at(found.iter().map(|t| t.end).max()),
                    readings: found.len(),
                    updated: Timestamp::now(),
                    originals: &originals,
                    normalised: &normalised,
                },
            },
        )
        .map_err(|e| MobilityError::Damaged(format!("the source description: {e}")))?;
        Ok(put(
            &format!("selfdata/sources/{slug}/about.ttl"),
            "text/turtle",
            turtle,
        )?)
    }

    /// The pod's trips, sorted by start, re-read only when their files changed.
    pub async fn trips(&self, pod: &PodName) -> Result<Arc<Vec<Trip>>, MobilityError> {
        let version = self
            .store
            .meta(pod, &path(TRIPS)?)
            .await?
            .map(|m| m.version)
            .unwrap_or(0);
        if let Some((v, t)) = self.cache.lock().get(pod)
            && *v == version
        {
            return Ok(t.clone());
        }
        let mut all = Vec::new();
        for (key, value) in self.store.index_scan(pod, INDEX_PREFIX).await? {
            all.extend(trips::from_csv(&value).map_err(|e| damaged(&key, e))?);
        }
        all.sort_by_key(|t| (t.start, t.end));
        let all = Arc::new(all);
        self.cache
            .lock()
            .insert(pod.clone(), (version, all.clone()));
        Ok(all)
    }

    /// Rebuilds the derived index of `pod` from its trips CSVs; returns how many trips it holds.
    pub async fn reindex(&self, pod: &PodName) -> Result<usize, MobilityError> {
        let pipeline = self
            .pipeline
            .upgrade()
            .ok_or_else(|| MobilityError::Damaged("the server is stopping".into()))?;
        let _guard = pipeline.lock_pod(pod).await;
        let mut writes = Vec::new();
        for (key, _) in self.store.index_scan(pod, INDEX_PREFIX).await? {
            writes.push(Write::Index { key, value: None });
        }
        let members = match self.store.members(pod, &path(TRIPS)?).await {
            Ok(m) => m,
            Err(StoreError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut count = 0;
        for m in members {
            let name = m.path.as_str().rsplit('/').next().unwrap_or("");
            let Some(year) = name
                .strip_suffix(".csv")
                .and_then(|y| y.parse::<i16>().ok())
            else {
                continue;
            };
            let Some((_, body)) = self.store.get(pod, &m.path).await? else {
                continue;
            };
            let trips = trips::from_csv(&body).map_err(|e| damaged(m.path.as_str(), e))?;
            count += trips.len();
            writes.push(Write::Index {
                key: format!("{INDEX_PREFIX}{year}"),
                value: Some(Bytes::from(trips::to_csv(&trips))),
            });
        }
        if !writes.is_empty() {
            self.store.write(pod, Write::Batch(writes)).await?;
        }
        self.cache.lock().remove(pod);
        Ok(count)
    }

    /// Forgets what is cached about a pod (it was erased).
    pub fn forget_pod(&self, pod: &PodName) {
        self.cache.lock().remove(pod);
    }
}

/// CSVW metadata of the trips files, relative to their container.
fn csvw(years: &[i16]) -> Vec<u8> {
    let column = |name, datatype, property: &str, description: &str, required| Column {
        name,
        datatype,
        property: property.to_owned(),
        description: description.to_owned(),
        required,
    };
    let v = |t: &str| format!("{VOCAB}{t}");
    let tables: Vec<Table> = years
        .iter()
        .map(|y| Table {
            url: format!("{y}.csv"),
            title: format!("trips, {y}"),
            key: "start",
            columns: vec![
                column("start", "dateTime", "http://schema.org/startTime", "When the trip started (UTC)", true),
                column("end", "dateTime", "http://schema.org/endTime", "When it ended (UTC)", true),
                column("from_lat", "decimal", &v("fromLatitude"), "Latitude it left from (WGS 84 degrees)", true),
                column("from_lon", "decimal", &v("fromLongitude"), "Longitude it left from", true),
                column("to_lat", "decimal", &v("toLatitude"), "Latitude it reached", true),
                column("to_lon", "decimal", &v("toLongitude"), "Longitude it reached", true),
                column("distance_m", "integer", "http://schema.org/distance", "Metres travelled", true),
                column("mode", "string", &v("travelMode"), "walk, bike, car, bus, tram, metro, train, plane or other; empty when unknown", false),
                column("confidence", "integer", &v("modeConfidence"), "How sure the mode is, 0 to 100", true),
                column("points", "integer", &v("points"), "Positions the trip was made of (0 for a trip the file stated)", true),
                column("given", "boolean", &v("statedByFile"), "Whether the file stated the trip rather than selfdata cutting it from positions", true),
            ],
            facts: vec![("type", "rdf:type".into(), "http://schema.org/TravelAction".into())],
        })
        .collect();
    describe::csvw_metadata(&tables)
}
