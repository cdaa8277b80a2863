//! One import pipeline for every service and every way a file arrives (an
//! upload, a POST to the inbox, the command line, a holder's connector):
//!
//! 1. **recognise**: the first [`Intake`] whose media types and content fit
//!    takes the file (never judged from its name);
//! 2. **parse**, off the async threads ([`Intake::parse`], pure): the file
//!    is an [`Upload`], read whole when small or streamed from where it is,
//!    so its size is bounded by the pod's quota, not by memory; a file that
//!    cannot be read is refused with the line and the export that was
//!    expected ([`Refusal`]);
//! 3. **take the pod's turn** ([`Pipeline::turn`]): one import at a time
//!    per pod on this server (a lock), and across servers a compare-and-set
//!    of the pod's turn marker written with the batch: a merge planned from
//!    what another server's import has changed since is planned again, so
//!    two merges never race;
//! 4. **merge** ([`Intake::merge`]): the service reads what the pod holds and
//!    plans its writes, or asks to keep the file apart when it names another
//!    meter or account than the pod's;
//! 5. **write** one all-or-nothing batch: the original file (kept under its
//!    holder's `raw/` folder, once, written from where it is) with the
//!    service's writes; a file kept
//!    apart is stored under `apart/`, nothing merged, until the resident
//!    confirms it is theirs (its copy there is then removed in the batch).
//!
//! The pipeline reports each [`Stage`] for a progress bar; the job table
//! ([`crate::jobs`]) runs uploads in the background through it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use selfdata_sources::{ImportError, Lang, Refusal};
use selfdata_store::spool::Spools;
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, StoreError, Write};

use crate::upload::Upload;

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    Reading,
    Merging,
    Writing,
}

/// One sentence for the resident, in both languages (made when the import
/// runs, shown later in whichever language the page is in).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Told {
    pub fr: String,
    pub en: String,
}

impl Told {
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// The sentence in `lang`.
    pub fn in_(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// What an import did. Serialised as the answer to a POST to the inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// The service that took the file (`energy`).
    pub service: &'static str,
    /// What the file is ("Enedis daily consumption export").
    pub layout: String,
    pub holder: String,
    /// Records in the file (readings, transactions…).
    pub readings: usize,
    /// Records added or corrected (0 when the file was already imported).
    pub changed: usize,
    /// The first and last instant the file covers (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    /// Local days within the file's period with nothing recorded.
    pub days_missing: usize,
    /// Where the original file is kept (path from the pod root).
    pub original: String,
    /// Whether this import stored the original (false: it was imported before).
    pub new_original: bool,
    /// The period `[start, end)` the file declares when its records stop
    /// short of it: the import is partial.
    pub partial: Option<(String, String)>,
    /// The service's own facts (energy: `fluid`).
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// What the resident reads about this file.
    #[serde(skip)]
    pub told: Told,
    /// A second line: what the file is and the period it covers.
    #[serde(skip)]
    pub told_more: Option<Told>,
    /// Where the resident sees what was imported.
    #[serde(skip)]
    pub link: Option<String>,
}

/// Why a file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Not a readable export (says which was expected and where to get it).
    #[error("{0}")]
    Refused(Refusal),
    /// It names another meter or account than the pod's: its original is
    /// kept apart, nothing merged.
    #[error(
        "this file is for meter {found}, not for your meter {}: it was kept apart in {kept} and nothing was merged",
        .known.join(", ")
    )]
    KeptApart {
        known: Vec<String>,
        found: String,
        /// Where the original is kept (path from the pod root).
        kept: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored data the service cannot read back.
    #[error("{0}")]
    Damaged(String),
}

impl ImportFailure {
    /// The failure for a resident, in their language.
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (ImportFailure::Refused(r), lang) => r.sentence(lang),
            (ImportFailure::KeptApart { known, found, kept }, Lang::Fr) => format!(
                "ce fichier concerne le compteur {found}, pas votre compteur {} : il a été mis de côté dans {kept}, sans rien fusionner",
                known.join(", ")
            ),
            (e, _) => e.to_string(),
        }
    }

    /// Whether the file was read but holds no record (a connector's day
    /// without readings is nothing to do).
    pub fn is_empty(&self) -> bool {
        matches!(self, ImportFailure::Refused(r) if r.error == ImportError::Empty)
    }
}

/// Where a file's original is kept, chosen by its service.
#[derive(Debug, Clone)]
pub struct Original {
    /// Under the holder's `raw/` folder (e.g. `/selfdata/sources/enedis/raw/…`).
    pub raw: ResourcePath,
    /// Under the holder's `apart/` folder, when the file is kept apart.
    pub apart: ResourcePath,
    pub media_type: &'static str,
    /// Whether the pod does not hold it yet: the pipeline looks, the
    /// service only reads it ([`Original::new`] leaves it false).
    pub is_new: bool,
}

impl Original {
    /// Where a service keeps a file's original; the pipeline finds out
    /// whether it is new.
    pub fn new(raw: ResourcePath, apart: ResourcePath, media_type: &'static str) -> Self {
        Self {
            raw,
            apart,
            media_type,
            is_new: false,
        }
    }
}

/// What a service plans for a parsed file.
#[derive(Debug)]
pub enum Plan {
    /// Merge: these writes (none when nothing changed) with this summary
    /// (the pipeline fills in where the original is kept).
    Merge {
        writes: Vec<Write>,
        summary: Box<Summary>,
    },
    /// Keep the file apart: it names `found`, the pod knows `known`.
    KeepApart { known: Vec<String>, found: String },
}

/// Which files an intake takes: what the registry, the inbox and the
/// pipeline ask of it before any file is parsed.
pub trait Accepts: Send + Sync {
    /// The service that takes these files (`energy`).
    fn service(&self) -> &'static str;

    /// Media types its files may arrive with (the inbox offers only those).
    fn media_types(&self) -> &'static [&'static str];

    /// Whether the content is one this service reads (judged from the
    /// content, never the name: most from [`Upload::head`]).
    fn recognises(&self, file: &Upload) -> bool;

    /// The exports it reads and where a resident downloads them.
    fn expected(&self) -> Vec<&'static selfdata_sources::Expected>;
}

/// What a service takes in from files: the service's side of the pipeline.
#[async_trait::async_trait]
pub trait Intake: Accepts + 'static {
    /// A parsed file (the domain's own type).
    type Parsed: Send + 'static;

    /// Parses the file ([`Upload::whole`] or streamed from [`Upload::open`]),
    /// or refuses it with the line. Pure; run off the async threads.
    fn parse(file: &Upload) -> Result<Self::Parsed, Refusal>;

    /// Where the original of this file is kept.
    fn original(&self, parsed: &Self::Parsed, file: &Upload) -> Result<Original, ImportFailure>;

    /// Plans merging the parsed file into the pod: reads what is there,
    /// writes nothing. `confirmed`: the resident said the file is theirs
    /// whatever meter or account it names.
    async fn merge(
        &self,
        pod: &PodName,
        parsed: Self::Parsed,
        original: &Original,
        confirmed: bool,
    ) -> Result<Plan, ImportFailure>;

    /// Called once the batch is written (the service drops what it cached).
    fn written(&self, _pod: &PodName) {}
}

/// A progress callback.
pub type Progress<'a> = &'a (dyn Fn(Stage) + Send + Sync);

/// An [`Intake`] behind a pointer, as the registry and the pipeline hold it.
#[async_trait::async_trait]
pub trait AnyIntake: Accepts {
    /// Runs the pipeline's steps for this intake.
    async fn run(
        &self,
        pipeline: &Pipeline,
        pod: &PodName,
        file: Upload,
        confirmed: bool,
        progress: Progress<'_>,
    ) -> Result<Summary, ImportFailure>;
}

#[async_trait::async_trait]
impl<T: Intake> AnyIntake for T {
    async fn run(
        &self,
        pipeline: &Pipeline,
        pod: &PodName,
        file: Upload,
        confirmed: bool,
        progress: Progress<'_>,
    ) -> Result<Summary, ImportFailure> {
        pipeline.run(self, pod, file, confirmed, progress).await
    }
}

/// The pipeline: the pods' store, one lock per pod, every service's
/// intakes, and where large uploads wait.
pub struct Pipeline {
    store: Arc<dyn Backend>,
    spools: Spools,
    max_upload_bytes: u64,
    locks: Mutex<HashMap<PodName, Arc<tokio::sync::Mutex<()>>>>,
    intakes: OnceLock<Vec<Arc<dyn AnyIntake>>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline writing to `store`, spooling large uploads into
    /// `spools`, taking uploads of at most `max_upload_bytes` together.
    pub fn new(store: Arc<dyn Backend>, spools: Spools, max_upload_bytes: u64) -> Self {
        Self {
            store,
            spools,
            max_upload_bytes,
            locks: Mutex::new(HashMap::new()),
            intakes: OnceLock::new(),
        }
    }

    /// Hands the pipeline every service's intakes, once, at start (the
    /// services are built after the pipeline they share).
    pub fn offer_to(&self, intakes: Vec<Arc<dyn AnyIntake>>) {
        if self.intakes.set(intakes).is_err() {
            tracing::warn!("the import pipeline's intakes were already set");
        }
    }

    fn intakes(&self) -> &[Arc<dyn AnyIntake>] {
        self.intakes.get().map_or(&[], Vec::as_slice)
    }

    /// Whether some service takes files of this media type.
    pub fn takes_type(&self, content_type: &str) -> bool {
        let essence = essence(content_type);
        self.intakes()
            .iter()
            .any(|i| i.media_types().contains(&essence))
    }

    /// Where large uploads wait until they are imported.
    pub fn spools(&self) -> &Spools {
        &self.spools
    }

    /// The most bytes one upload (all its files) may hold.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }

    /// Imports a file into `pod` through the first service that recognises
    /// it; refused, saying every export selfdata reads, when none does.
    pub async fn import(
        &self,
        pod: &PodName,
        content_type: &str,
        file: Upload,
        confirmed: bool,
        progress: Progress<'_>,
    ) -> Result<Summary, ImportFailure> {
        progress(Stage::Reading);
        let Some(intake) = self.recognise(content_type, &file).await? else {
            let mut expected = Vec::new();
            for e in self.intakes().iter().flat_map(|i| i.expected()) {
                if !expected.contains(&e) {
                    expected.push(e);
                }
            }
            let error = if file.is_blank() {
                ImportError::EmptyFile
            } else {
                ImportError::Unrecognised
            };
            return Err(ImportFailure::Refused(Refusal { error, expected }));
        };
        intake.run(self, pod, file, confirmed, progress).await
    }

    /// The intake that takes this file, if any (judged off the async
    /// threads: an intake may read a small spooled file whole).
    pub async fn recognise(
        &self,
        content_type: &str,
        file: &Upload,
    ) -> Result<Option<Arc<dyn AnyIntake>>, ImportFailure> {
        let intakes: Vec<_> = self.intakes().to_vec();
        let (essence, file) = (essence(content_type).to_owned(), file.clone());
        tokio::task::spawn_blocking(move || {
            intakes
                .into_iter()
                .find(|i| i.media_types().contains(&essence.as_str()) && i.recognises(&file))
        })
        .await
        .map_err(|e| ImportFailure::Damaged(e.to_string()))
    }

    /// The pipeline's steps for one intake (see the module's documentation).
    pub async fn run<T: Intake>(
        &self,
        intake: &T,
        pod: &PodName,
        file: Upload,
        confirmed: bool,
        progress: Progress<'_>,
    ) -> Result<Summary, ImportFailure> {
        progress(Stage::Reading);
        let raw = file.clone();
        let parsed = tokio::task::spawn_blocking(move || T::parse(&raw))
            .await
            .map_err(|e| ImportFailure::Damaged(e.to_string()))?
            .map_err(ImportFailure::Refused)?;
        let mut turn = self.turn(pod).await?;
        let mut parsed = Some(parsed);
        for attempt in 1.. {
            let parsed = match parsed.take() {
                Some(parsed) => parsed,
                // Planned again from what the pod holds now.
                None => {
                    let raw = file.clone();
                    tokio::task::spawn_blocking(move || T::parse(&raw))
                        .await
                        .map_err(|e| ImportFailure::Damaged(e.to_string()))?
                        .map_err(ImportFailure::Refused)?
                }
            };
            match self
                .merge_once(intake, pod, &file, parsed, confirmed, progress, &mut turn)
                .await
            {
                Err(ImportFailure::Store(StoreError::PreconditionFailed))
                    if attempt < TURN_TRIES && turn.raced =>
                {
                    tracing::debug!(pod = %pod, attempt, "another server merged into the pod meanwhile; planning again");
                }
                done => return done,
            }
        }
        unreachable!("the loop returns")
    }

    /// One plan and its batch, written in `turn`.
    #[allow(clippy::too_many_arguments)]
    async fn merge_once<T: Intake>(
        &self,
        intake: &T,
        pod: &PodName,
        file: &Upload,
        parsed: T::Parsed,
        confirmed: bool,
        progress: Progress<'_>,
        turn: &mut Turn,
    ) -> Result<Summary, ImportFailure> {
        progress(Stage::Merging);
        let mut original = intake.original(&parsed, file)?;
        original.is_new = self.store.meta(pod, &original.raw).await?.is_none();
        match intake.merge(pod, parsed, &original, confirmed).await? {
            Plan::KeepApart { known, found } => {
                if self.store.meta(pod, &original.apart).await?.is_none() {
                    let keep = file.write_to(&original.apart, original.media_type);
                    self.store.write(pod, keep).await?;
                }
                Err(ImportFailure::KeptApart {
                    known,
                    found,
                    kept: original.apart.as_str().trim_start_matches('/').to_owned(),
                })
            }
            Plan::Merge {
                mut writes,
                summary,
            } => {
                progress(Stage::Writing);
                if original.is_new {
                    writes.insert(0, file.write_to(&original.raw, original.media_type));
                }
                // Confirmed: the copy kept apart has found its place.
                if confirmed && self.store.meta(pod, &original.apart).await?.is_some() {
                    writes.push(Write::Delete {
                        path: original.apart.clone(),
                        precondition: Precondition::None,
                    });
                }
                if !writes.is_empty() {
                    self.commit(turn, writes).await?;
                    intake.written(pod);
                }
                let mut summary = *summary;
                summary.original = original.raw.as_str().trim_start_matches('/').to_owned();
                summary.new_original = original.is_new;
                Ok(summary)
            }
        }
    }

    fn lock(&self, pod: &PodName) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.lock().entry(pod.clone()).or_default().clone()
    }

    /// Takes the pod's turn: this server's lock of the pod, and the pod's
    /// turn marker as it is now. Whoever reads a pod to plan writes from
    /// what it read (an import's merge, a service rebuilding its index, a
    /// document regenerated) takes the turn and writes with
    /// [`Pipeline::commit`]: on one server the lock makes them take turns;
    /// across servers the marker, changed by every commit, refuses a batch
    /// planned before another server's commit.
    pub async fn turn(&self, pod: &PodName) -> Result<Turn, StoreError> {
        let local = self.lock(pod).lock_owned().await;
        let seen = self.settle(pod, None).await?;
        Ok(Turn {
            _local: local,
            store: self.store.clone(),
            pod: pod.clone(),
            seen,
            reserved: None,
            raced: false,
        })
    }

    /// The pod's turn marker once no other server holds a reservation of
    /// it (waiting for one to be used or to lapse; `ours` is not waited for).
    async fn settle(
        &self,
        pod: &PodName,
        ours: Option<&Bytes>,
    ) -> Result<Option<Bytes>, StoreError> {
        let started = std::time::Instant::now();
        loop {
            let marker = self.store.index_get(pod, TURN_KEY).await?;
            let waiting = match (&marker, ours) {
                (Some(m), Some(o)) if m == o => false,
                (Some(m), _) => reserved_until(m).is_some_and(|until| until > now_ms()),
                (None, _) => false,
            };
            if !waiting || started.elapsed() > RESERVATION + Duration::from_secs(1) {
                return Ok(marker);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Writes `writes` all or nothing if no other commit in the pod's turn
    /// happened since `turn` was taken (or last committed), moving the
    /// marker. When one did, refused with [`StoreError::PreconditionFailed`]
    /// and [`Turn::raced`] set, the next commit reserved for this turn (other
    /// servers' imports into the pod wait for it, at most [`RESERVATION`]):
    /// plan again from what the pod holds and commit again; the reservation
    /// is given back if the turn is dropped instead.
    pub async fn commit(
        &self,
        turn: &mut Turn,
        mut writes: Vec<Write>,
    ) -> Result<selfdata_store::WriteOutcome, StoreError> {
        let next = Bytes::copy_from_slice(&rand::random::<[u8; 16]>());
        writes.push(Write::IndexIf {
            key: TURN_KEY.to_owned(),
            expected: turn.seen.clone(),
            value: Some(next.clone()),
        });
        match self.store.write(&turn.pod, Write::Batch(writes)).await {
            Ok(done) => {
                turn.seen = Some(next);
                turn.reserved = None;
                turn.raced = false;
                Ok(done)
            }
            Err(StoreError::PreconditionFailed) => {
                let now = self.settle(&turn.pod, turn.reserved.as_ref()).await?;
                turn.raced = now != turn.seen;
                turn.seen = now.clone();
                if turn.raced {
                    let mine = reservation();
                    let reserve = Write::IndexIf {
                        key: TURN_KEY.to_owned(),
                        expected: now,
                        value: Some(mine.clone()),
                    };
                    match self.store.write(&turn.pod, reserve).await {
                        Ok(_) => {
                            turn.seen = Some(mine.clone());
                            turn.reserved = Some(mine);
                        }
                        // Another server got in first: the next attempt
                        // sees its commit or its reservation.
                        Err(StoreError::PreconditionFailed) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(StoreError::PreconditionFailed)
            }
            Err(e) => Err(e),
        }
    }

    /// Forgets an erased pod's lock.
    pub fn forget_pod(&self, pod: &PodName) {
        self.locks.lock().remove(pod);
    }
}

/// The pod's turn marker, in its derived store.
const TURN_KEY: &str = "pipeline/turn";
/// How many times an import is planned when other servers keep committing
/// into the pod meanwhile.
const TURN_TRIES: u32 = 8;

/// How long a reservation of a pod's next commit holds (an import planned
/// again after losing a race to another server's).
const RESERVATION: Duration = Duration::from_secs(30);

/// A reservation of the pod's next commit: `R`, 16 random bytes, until
/// when (milliseconds, big-endian).
fn reservation() -> Bytes {
    let until = now_ms().saturating_add(RESERVATION.as_millis() as i64);
    let mut v = Vec::with_capacity(25);
    v.push(b'R');
    v.extend_from_slice(&rand::random::<[u8; 16]>());
    v.extend_from_slice(&until.to_be_bytes());
    Bytes::from(v)
}

/// Until when a marker reserves the pod's next commit, if it is a reservation.
fn reserved_until(marker: &[u8]) -> Option<i64> {
    match marker {
        [b'R', rest @ ..] if rest.len() == 24 => {
            Some(i64::from_be_bytes(rest[16..].try_into().ok()?))
        }
        _ => None,
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The pod's turn, taken by [`Pipeline::turn`]: this server's lock of the
/// pod, held until dropped, and the marker last seen.
pub struct Turn {
    _local: tokio::sync::OwnedMutexGuard<()>,
    store: Arc<dyn Backend>,
    pod: PodName,
    seen: Option<Bytes>,
    /// This turn's reservation of the pod's next commit, until it commits.
    reserved: Option<Bytes>,
    /// Whether the last refused commit was refused because another
    /// server committed in the pod's turn meanwhile.
    pub raced: bool,
}

impl Drop for Turn {
    /// Gives back a reservation not used (the turn ends without committing
    /// again): other servers need not wait for it to lapse.
    fn drop(&mut self) {
        let Some(mine) = self.reserved.take() else {
            return;
        };
        let (store, pod) = (self.store.clone(), self.pod.clone());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let give_back = Write::IndexIf {
                key: TURN_KEY.to_owned(),
                expected: Some(mine),
                value: Some(Bytes::copy_from_slice(&rand::random::<[u8; 16]>())),
            };
            let _ = store.write(&pod, give_back).await;
        });
    }
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn").field("pod", &self.pod).finish()
    }
}

/// A media type without its parameters (`text/csv; charset=utf-8` → `text/csv`).
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// A service's write of one file, `p` from the pod root (with or without
/// its leading `/`), for the pipeline's batch.
pub fn put_file(p: &str, media_type: &str, body: Vec<u8>) -> Result<Write, StoreError> {
    let path = ResourcePath::parse(&format!("/{}", p.trim_start_matches('/')))?;
    Ok(put(&path, media_type, Bytes::from(body)))
}

/// The originals kept from one holder (`selfdata/sources/{holder}/raw/`,
/// paths from the pod root, sorted), `new_original` included: what a
/// source description lists as what its data was derived from.
pub async fn kept_originals(
    store: &dyn Backend,
    pod: &PodName,
    holder: &str,
    new_original: &str,
) -> Result<Vec<String>, StoreError> {
    let raw = ResourcePath::parse(&format!("/selfdata/sources/{holder}/raw/"))?;
    let mut originals: Vec<String> = match store.members(pod, &raw).await {
        Ok(m) => m
            .into_iter()
            .map(|m| m.path.as_str().trim_start_matches('/').to_owned())
            .collect(),
        Err(StoreError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let new = new_original.trim_start_matches('/').to_owned();
    if !originals.contains(&new) {
        originals.push(new);
    }
    originals.sort();
    Ok(originals)
}

/// The period a holder's data covers once a file of period `new` is added:
/// the one its stored source description (`selfdata/sources/{holder}/about.ttl`
/// under the pod root IRI `base`) states, widened by `new`. A file that
/// covers a month of a year already held never shrinks what "who has what
/// on me" says is held.
pub async fn held_period(
    store: &dyn Backend,
    pod: &PodName,
    base: &str,
    holder: &str,
    new: Option<(jiff::Timestamp, jiff::Timestamp)>,
) -> Result<Option<(jiff::Timestamp, jiff::Timestamp)>, StoreError> {
    let about = format!("selfdata/sources/{holder}/about.ttl");
    let stated = store
        .get(pod, &ResourcePath::parse(&format!("/{about}"))?)
        .await?
        .and_then(|(_, b)| selfdata_sources::describe::period_of(&b, &format!("{base}{about}")));
    Ok(match (stated, new) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (x, y) => x.or(y),
    })
}

fn put(path: &ResourcePath, media_type: &str, body: Bytes) -> Write {
    Write::Put {
        path: path.clone(),
        content_type: media_type.to_owned(),
        body,
        precondition: Precondition::None,
    }
}
