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
//!
//! What the resident says is kept beside the trips as small CSV files
//! (`selfdata_mobility::said`): the modes they corrected
//! (`selfdata/mobility/corrections.csv`, spread to similar trips when read),
//! the names of their places (`places.csv`) and their car (`settings.csv`).
//! A pod's [`View`] (trips with corrections applied, places found in the
//! stays between trips, names, settings) is cached until one of these files
//! or the trips change.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use jiff::Timestamp;
use parking_lot::Mutex;
use selfdata_mobility::co2::Settings;
use selfdata_mobility::import::{self, Layout, Parsed};
use selfdata_mobility::mode::{self, Correction};
use selfdata_mobility::model::{Mode, Trip};
use selfdata_mobility::places::{self, Places};
use selfdata_mobility::said::{self, PlaceName};
use selfdata_mobility::trips;
use selfdata_service::put_file as put;
use selfdata_service::{
    Accepts, ImportFailure, Intake, Original, Pipeline, Plan, Summary, Told, Turn, Upload,
};
use selfdata_site::{Lang, count, fill};
use selfdata_sources::describe::{self, Column, Held, Source, Table, VOCAB};
use selfdata_store::{Backend, PodName, ResourcePath, StoreError, Write};

use crate::texts::Texts;

/// The container of the trips CSVs, from the pod root.
pub const TRIPS: &str = "selfdata/mobility/trips/";
/// The service's container, from the pod root.
pub const ROOT: &str = "selfdata/mobility/";
/// The modes the resident corrected.
pub const CORRECTIONS: &str = "selfdata/mobility/corrections.csv";
/// The names the resident gave their places.
pub const NAMES: &str = "selfdata/mobility/places.csv";
/// The resident's car settings.
pub const SETTINGS: &str = "selfdata/mobility/settings.csv";
/// The index keys of one year of trips start with this.
const INDEX_PREFIX: &str = "mobility/trips/";
/// The frequent places found in the trips, beside them (derived: written
/// again with every file that adds trips).
pub const PLACES: &str = "frequent-places.csv";
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

/// What a pod's pages and API read: its trips with the resident's
/// corrections applied, sorted by start; the corrections, place names and
/// settings as kept; the frequent places found in the stays between trips.
#[derive(Debug, Default)]
pub struct View {
    pub trips: Vec<Trip>,
    pub corrections: Vec<Correction>,
    pub names: Vec<PlaceName>,
    pub settings: Settings,
    pub places: Places,
}

impl View {
    /// The name of the `i`-th place: the resident's, else `None`.
    pub fn name(&self, i: usize) -> Option<&str> {
        said::name_of(self.places.places.get(i)?, &self.names)
    }
}

/// A pod's view with the versions of the two containers it was read at.
type Cached = ((u64, u64), Arc<View>);

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

    fn recognises(&self, file: &Upload) -> bool {
        import::importers()
            .iter()
            .any(|i| selfdata_sources::Importer::detect(*i, file.head()))
    }

    fn expected(&self) -> Vec<&'static selfdata_sources::Expected> {
        selfdata_sources::contract::expected_of(&import::importers())
    }
}

#[async_trait::async_trait]
impl Intake for Mobility {
    type Parsed = Parsed;

    /// A `Records.json` (hundreds of MB) is streamed; the other layouts
    /// are read whole.
    fn parse(file: &Upload) -> Result<Parsed, selfdata_sources::Refusal> {
        if selfdata_sources::Importer::detect(&Layout::Records, file.head()) {
            let reader = file.open().map_err(|e| selfdata_sources::Refusal {
                error: selfdata_sources::ImportError::Invalid(format!(
                    "the file could not be read ({e})"
                )),
                expected: Vec::new(),
            })?;
            return import::import_records(reader);
        }
        import::import(&file.whole_or_refusal()?)
    }

    fn original(&self, parsed: &Parsed, file: &Upload) -> Result<Original, ImportFailure> {
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
        let name = selfdata_sources::raw::raw_file_name(
            first,
            last,
            &file.sha256(),
            parsed.layout.extension(),
        );
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
        // The trips each year holds once this file is in.
        let mut held: BTreeMap<i16, Vec<Trip>> = BTreeMap::new();
        for (k, v) in self.store.index_scan(pod, INDEX_PREFIX).await? {
            if let Some(y) = k.strip_prefix(INDEX_PREFIX).and_then(|y| y.parse().ok()) {
                held.insert(y, trips::from_csv(&v).map_err(|e| damaged(&k, e))?);
            }
        }
        for (year, incoming) in by_year {
            let existing = held.remove(&year).unwrap_or_default();
            let (merged, n) = trips::merge(&existing, &incoming);
            if n == 0 {
                held.insert(year, merged);
                continue;
            }
            added += n;
            let csv = trips::to_csv(&merged);
            held.insert(year, merged);
            writes.push(put(&format!("{TRIPS}{year}.csv"), "text/csv", csv.clone())?);
            writes.push(Write::Index {
                key: format!("{INDEX_PREFIX}{year}"),
                value: Some(Bytes::from(csv)),
            });
        }
        let years: Vec<i16> = held.keys().copied().collect();
        if added > 0 {
            // The frequent places, found again in every trip held.
            let mut all: Vec<Trip> = held.values().flatten().cloned().collect();
            all.sort_by_key(|t| (t.start, t.end));
            let found = places::places(&places::stays_between(&all));
            writes.push(put(
                &format!("{TRIPS}{PLACES}"),
                "text/csv",
                places::to_csv(&found),
            )?);
            writes.push(put(
                &format!("{TRIPS}csv-metadata.json"),
                "application/csvm+json",
                csvw(&years),
            )?);
        }
        if !writes.is_empty() || original.is_new {
            writes.push(
                self.source_description(
                    pod,
                    parsed.layout,
                    original.raw.as_str(),
                    &years,
                    &found,
                    held.values().map(Vec::len).sum(),
                )
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
        trips_held: usize,
    ) -> Result<Write, MobilityError> {
        let (slug, name) = holder(layout);
        let originals =
            selfdata_service::kept_originals(&*self.store, pod, slug, new_original).await?;
        let base = format!("{}/{}/", self.base_url, pod);
        let at = |t: Option<i64>| t.and_then(|t| Timestamp::from_second(t).ok());
        let this_file =
            at(found.iter().map(|t| t.start).min()).zip(at(found.iter().map(|t| t.end).max()));
        let period =
            selfdata_service::held_period(&*self.store, pod, &base, slug, this_file).await?;
        let normalised: Vec<String> = years.iter().map(|y| format!("{TRIPS}{y}.csv")).collect();
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
                    first: period.map(|p| p.0),
                    last: period.map(|p| p.1),
                    readings: trips_held,
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

    async fn version(&self, pod: &PodName, p: &str) -> Result<u64, MobilityError> {
        Ok(self
            .store
            .meta(pod, &path(p)?)
            .await?
            .map_or(0, |m| m.version))
    }

    /// One of the resident's files, `None` when absent.
    async fn said_file(&self, pod: &PodName, p: &str) -> Result<Option<Bytes>, MobilityError> {
        Ok(self.store.get(pod, &path(p)?).await?.map(|(_, b)| b))
    }

    /// The pod's view, re-read only when its files changed.
    pub async fn view(&self, pod: &PodName) -> Result<Arc<View>, MobilityError> {
        let version = (
            self.version(pod, TRIPS).await?,
            self.version(pod, ROOT).await?,
        );
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
        let corrections = match self.said_file(pod, CORRECTIONS).await? {
            Some(b) => said::corrections_from_csv(&b).map_err(|e| damaged(CORRECTIONS, e))?,
            None => Vec::new(),
        };
        let names = match self.said_file(pod, NAMES).await? {
            Some(b) => said::names_from_csv(&b).map_err(|e| damaged(NAMES, e))?,
            None => Vec::new(),
        };
        let settings = match self.said_file(pod, SETTINGS).await? {
            Some(b) => said::settings_from_csv(&b).map_err(|e| damaged(SETTINGS, e))?,
            None => Settings::default(),
        };
        mode::propagate(&corrections, &mut all);
        let places = places::places(&places::stays_between(&all));
        let view = Arc::new(View {
            trips: all,
            corrections,
            names,
            settings,
            places,
        });
        self.cache
            .lock()
            .insert(pod.clone(), (version, view.clone()));
        Ok(view)
    }

    /// Takes the pod's turn while the resident's files change (their
    /// writes go through [`Pipeline::commit`]).
    async fn turn(&self, pod: &PodName) -> Result<(Arc<Pipeline>, Turn), MobilityError> {
        let pipeline = self
            .pipeline
            .upgrade()
            .ok_or_else(|| MobilityError::Damaged("the server is stopping".into()))?;
        let turn = pipeline.turn(pod).await?;
        Ok((pipeline, turn))
    }

    /// The resident says the trip `[start, end]` was made by `mode`: kept,
    /// and spread to similar trips. `None` when no such trip; else how many
    /// trips now go by `mode` because of it (the trip itself included).
    pub async fn correct(
        &self,
        pod: &PodName,
        start: i64,
        end: i64,
        mode: Mode,
    ) -> Result<Option<usize>, MobilityError> {
        let (pipeline, mut turn) = self.turn(pod).await?;
        let view = self.view(pod).await?;
        let Some(trip) = view.trips.iter().find(|t| t.start == start && t.end == end) else {
            return Ok(None);
        };
        let mut corrections: Vec<Correction> = view
            .corrections
            .iter()
            .filter(|c| !(c.start == start && c.end == end))
            .copied()
            .collect();
        corrections.push(Correction::of(trip, mode));
        let mut after = view.trips.clone();
        mode::propagate(&corrections, &mut after);
        let taken = after
            .iter()
            .zip(view.trips.iter())
            .filter(|(a, b)| {
                a.mode == Some(mode) && (b.mode != Some(mode) || (a.start == start && a.end == end))
            })
            .count();
        pipeline
            .commit(
                &mut turn,
                vec![put(
                    CORRECTIONS,
                    "text/csv",
                    said::corrections_to_csv(&corrections),
                )?],
            )
            .await?;
        self.cache.lock().remove(pod);
        Ok(Some(taken))
    }

    /// The resident names the place at `pos` (an empty name forgets it).
    pub async fn name_place(
        &self,
        pod: &PodName,
        pos: (i32, i32),
        name: &str,
    ) -> Result<(), MobilityError> {
        let (pipeline, mut turn) = self.turn(pod).await?;
        let mut names = self.view(pod).await?.names.clone();
        said::rename(&mut names, pos, name);
        pipeline
            .commit(
                &mut turn,
                vec![put(NAMES, "text/csv", said::names_to_csv(&names))?],
            )
            .await?;
        self.cache.lock().remove(pod);
        Ok(())
    }

    /// The resident's car: its kind (a row of the factors) and how many usually ride in it.
    pub async fn set_car(
        &self,
        pod: &PodName,
        car_row: &str,
        occupancy: u8,
    ) -> Result<(), MobilityError> {
        let (pipeline, mut turn) = self.turn(pod).await?;
        let mut settings = self.view(pod).await?.settings.clone();
        if said::CAR_ROWS.contains(&car_row) {
            car_row.clone_into(&mut settings.car_row);
        }
        settings.occupancy = occupancy.clamp(1, said::MAX_OCCUPANCY);
        pipeline
            .commit(
                &mut turn,
                vec![put(SETTINGS, "text/csv", said::settings_to_csv(&settings))?],
            )
            .await?;
        self.cache.lock().remove(pod);
        Ok(())
    }

    /// Rebuilds the derived index of `pod` from its trips CSVs; returns how many trips it holds.
    pub async fn reindex(&self, pod: &PodName) -> Result<usize, MobilityError> {
        let (pipeline, mut turn) = self.turn(pod).await?;
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
            pipeline.commit(&mut turn, writes).await?;
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
                column("path", "string", "http://www.opengis.net/ont/geosparql#asWKT", "The way taken, simplified for drawing, as a WKT LINESTRING of longitude latitude pairs; empty when the file stated only the ends", false),
            ],
            facts: vec![("type", "rdf:type".into(), "http://schema.org/TravelAction".into())],
        })
        .chain([Table {
            url: PLACES.to_owned(),
            title: "frequent places".to_owned(),
            key: "rank",
            columns: vec![
                column("rank", "integer", &v("rank"), "1 for the place where most time is spent, then 2…", true),
                column("lat", "decimal", "http://schema.org/latitude", "Latitude of the place's centre (WGS 84 degrees)", true),
                column("lon", "decimal", "http://schema.org/longitude", "Longitude of the place's centre", true),
                column("visits", "integer", &v("visits"), "Stays grouped at this place", true),
                column("days", "integer", &v("days"), "Different days (Europe/Paris) with a stay here", true),
                column("seconds", "integer", &v("secondsSpent"), "Time spent here, in seconds", true),
                column("night_seconds", "integer", &v("nightSeconds"), "Of which between 22:00 and 06:00", true),
                column("suggested", "string", &v("suggestedAs"), "home or work when selfdata suggests it; the resident's own names are in ../places.csv", false),
            ],
            facts: vec![("type", "rdf:type".into(), "http://schema.org/Place".into())],
        }])
        .collect();
    describe::csvw_metadata(&tables)
}
