//! The one job table: files a resident hands over from a page are imported
//! in the background through the [`Pipeline`](crate::Pipeline), one after
//! the other (each whole or not at all), while the page shows a progress
//! bar. Every service's pages post to the same routes:
//!
//! - `POST /app/import`: a multipart form with one or more `files` (works
//!   without script); the browser is sent to `GET /app/import/{job}`, which
//!   shows a `<progress>` bar and refreshes itself while the job runs, then
//!   says what each file gave and counts them ("2 files imported, 1 refused");
//! - `POST /app/import/inbox`: imports one file others delivered to the
//!   pod's inbox (a proposal), chosen by the owner;
//! - `POST /app/import/apart`: imports a file that was kept apart because it
//!   names another meter or account, once the resident confirms it is theirs.
//!
//! A job runs on the server that received its files; its state is kept in
//! the pod's derived store under a random, unguessable id bound to the
//! account that started it, written as it moves (and every [`HEARTBEAT`]
//! while a file takes long), so that every server of the installation
//! shows its progress; a job whose server stopped is shown as interrupted
//! after [`STALE_MS`]. A pod runs at most [`MAX_RUNNING`] jobs at once;
//! finished jobs are forgotten after an hour. The job page answers
//! `Accept: application/json` with the job's state, for the small script
//! that moves the bar without reloading.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use parking_lot::Mutex;
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, Say, fill, page};
use selfdata_sources::Tally;
use selfdata_store::{PodName, ResourcePath, StoreError, Write};

use selfdata_store::spool::SpoolWriter;

use crate::Context;
use crate::intake::{ImportFailure, Stage, Told};
use crate::upload::{SPOOL_ABOVE, Upload};

/// How long a finished job stays readable (milliseconds).
const KEEP_MS: i64 = 3600 * 1000;
/// How often a running job's state is written even when it did not move.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// A running job not written for this long lost its server (milliseconds).
const STALE_MS: i64 = 120 * 1000;
/// How often a running job's moves are written, at most.
const FLUSH: Duration = Duration::from_millis(250);
/// Where jobs are kept in the pod's derived store.
const PREFIX: &str = "jobs/";
/// Jobs one pod may have running at once.
pub const MAX_RUNNING: usize = 3;
/// Most bytes of a form's CSRF token kept (a token is 43).
const MAX_TOKEN_BYTES: usize = 256;
/// Most inbox files a page lists (the newest).
const INBOX_SHOWN: usize = 20;

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// What an imported file showed the resident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Shown {
    told: Told,
    told_more: Option<Told>,
    link: Option<String>,
    partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum FileState {
    Waiting,
    Working(Stage),
    Imported(Box<Shown>),
    /// Not imported: the sentence in French and English.
    Failed(Told),
    /// Names another meter: kept apart (where), nothing merged.
    KeptApart(Told, String),
}

/// A failure's sentence in both languages, ending without a full stop (the
/// page adds what follows).
fn told_failure(e: &ImportFailure) -> Told {
    let say = |lang| e.sentence(lang).trim_end_matches('.').to_owned();
    Told::new(
        say(selfdata_sources::Lang::Fr),
        say(selfdata_sources::Lang::En),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct FileJob {
    name: String,
    size: usize,
    state: FileState,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Job {
    account: i64,
    files: Vec<FileJob>,
    /// When it ended (milliseconds since the epoch, UTC).
    finished: Option<i64>,
    /// When its server last wrote it.
    beat: i64,
}

impl Job {
    /// Done so far, 0 to 100, each file weighing its size.
    fn percent(&self) -> u32 {
        let total: usize = self.files.iter().map(|f| f.size.max(1)).sum();
        let done: f64 = self
            .files
            .iter()
            .map(|f| {
                let share = match f.state {
                    FileState::Waiting => 0.0,
                    FileState::Working(Stage::Reading) => 0.1,
                    FileState::Working(Stage::Merging) => 0.6,
                    FileState::Working(Stage::Writing) => 0.85,
                    FileState::Imported(_) | FileState::Failed(..) | FileState::KeptApart(..) => {
                        1.0
                    }
                };
                share * f.size.max(1) as f64
            })
            .sum();
        ((done / total.max(1) as f64) * 100.0).floor().min(100.0) as u32
    }

    /// What became of its files, counted.
    fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for f in &self.files {
            match &f.state {
                FileState::Imported(s) if s.partial => tally.partial += 1,
                FileState::Imported(_) => tally.imported += 1,
                FileState::KeptApart(..) => tally.kept_apart += 1,
                FileState::Failed(..) => tally.refused += 1,
                FileState::Waiting | FileState::Working(_) => {}
            }
        }
        tally
    }

    /// The job as it stands: one whose server stopped writing it is over,
    /// its unfinished files interrupted.
    fn standing(mut self, now: i64) -> Self {
        if self.finished.is_none() && now - self.beat > STALE_MS {
            for f in &mut self.files {
                if matches!(f.state, FileState::Waiting | FileState::Working(_)) {
                    f.state = FileState::Failed(Told::new(
                        "le serveur qui l'importait s'est arrêté\u{a0}; importez le fichier à nouveau",
                        "the server importing it stopped; import the file again",
                    ));
                }
            }
            self.finished = Some(self.beat);
        }
        self
    }

    fn bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// The import jobs running on this server (the jobs themselves are in the
/// pods).
#[derive(Debug, Default)]
pub struct Jobs {
    running_here: AtomicUsize,
}

impl Jobs {
    /// Import jobs under way on this server, all accounts together.
    pub fn under_way(&self) -> usize {
        self.running_here.load(Ordering::Relaxed)
    }
}

/// A pod's jobs as they stand (the finished ones of more than an hour ago
/// removed on the way).
async fn jobs_of(ctx: &Context, pod: &PodName) -> Result<Vec<(String, Job)>, StoreError> {
    let now = now_ms();
    let mut kept = Vec::new();
    let mut gone = Vec::new();
    for (key, value) in ctx.store.index_scan(pod, PREFIX).await? {
        match serde_json::from_slice::<Job>(&value) {
            Ok(job) => {
                let job = job.standing(now);
                if job.finished.is_some_and(|at| now - at > KEEP_MS) {
                    gone.push(Write::Index { key, value: None });
                } else {
                    kept.push((key, job));
                }
            }
            Err(_) => gone.push(Write::Index { key, value: None }),
        }
    }
    if !gone.is_empty() {
        ctx.store.write(pod, Write::Batch(gone)).await?;
    }
    Ok(kept)
}

/// A job of `pod` started by `account`, as it stands.
async fn job(ctx: &Context, pod: &PodName, id: &str, account: i64) -> Option<Job> {
    let well_formed = id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return None;
    }
    let value = ctx
        .store
        .index_get(pod, &format!("{PREFIX}{id}"))
        .await
        .ok()??;
    let now = now_ms();
    let job = serde_json::from_slice::<Job>(&value).ok()?.standing(now);
    (job.account == account && job.finished.is_none_or(|at| now - at <= KEEP_MS)).then_some(job)
}

/// Keeps a job's state as it is now.
async fn save(ctx: &Context, pod: &PodName, id: &str, job: &Job) -> Result<(), StoreError> {
    let write = Write::Index {
        key: format!("{PREFIX}{id}"),
        value: Some(job.bytes()),
    };
    ctx.store.write(pod, write).await.map(|_| ())
}

/// A file handed over: its name as shown, its media type, the file.
struct Handed {
    name: String,
    content_type: String,
    file: Upload,
}

/// Starts importing `files` into `pod` in the background; returns the job
/// id, or refuses when the pod already runs [`MAX_RUNNING`] jobs.
async fn start(
    ctx: &Arc<Context>,
    me: &Resident,
    files: Vec<Handed>,
    confirmed: bool,
) -> Result<String, PageError> {
    let unkept = |e: StoreError| {
        tracing::error!(error = %e, "the import jobs could not be read or kept");
        ours()
    };
    let running = jobs_of(ctx, &me.pod)
        .await
        .map_err(unkept)?
        .iter()
        .filter(|(_, j)| j.finished.is_none())
        .count();
    if running >= MAX_RUNNING {
        return Err(PageError::say(
            StatusCode::TOO_MANY_REQUESTS,
            Say::new(
                "Plusieurs imports sont déjà en cours\u{a0}; attendez qu'ils se terminent.",
                "Several imports are already running; wait until they end.",
            ),
        ));
    }
    let id = selfdata_oidc::random_token()[..32].to_owned();
    let job = Job {
        account: me.account.id,
        files: files
            .iter()
            .map(|f| FileJob {
                name: f.name.clone(),
                size: f.file.len() as usize,
                state: FileState::Waiting,
            })
            .collect(),
        finished: None,
        beat: now_ms(),
    };
    // Kept before the resident is sent to its page, on whatever server.
    save(ctx, &me.pod, &id, &job).await.map_err(unkept)?;
    let (ctx, job_id, pod) = (ctx.clone(), id.clone(), me.pod.clone());
    ctx.jobs.running_here.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        run(&ctx, &job_id, &pod, files, confirmed, job).await;
        ctx.jobs.running_here.fetch_sub(1, Ordering::Relaxed);
    });
    Ok(id)
}

async fn run(
    ctx: &Arc<Context>,
    id: &str,
    pod: &PodName,
    files: Vec<Handed>,
    confirmed: bool,
    job: Job,
) {
    let live = Arc::new(Mutex::new(job));
    // Writes the job's moves as they come, and a heartbeat meanwhile.
    let flusher = {
        let (ctx, live, pod, id) = (ctx.clone(), live.clone(), pod.clone(), id.to_owned());
        tokio::spawn(async move {
            let mut written = live.lock().clone();
            let mut last = std::time::Instant::now();
            loop {
                tokio::time::sleep(FLUSH).await;
                let now = live.lock().clone();
                if now != written || last.elapsed() >= HEARTBEAT {
                    let mut beat = now.clone();
                    beat.beat = now_ms();
                    if let Err(e) = save(&ctx, &pod, &id, &beat).await {
                        tracing::warn!(pod = %pod, error = %e, "an import job's progress could not be kept");
                    }
                    (written, last) = (now, std::time::Instant::now());
                }
            }
        })
    };
    for (i, f) in files.into_iter().enumerate() {
        let progress = |stage: Stage| live.lock().files[i].state = FileState::Working(stage);
        let state = match ctx
            .pipeline
            .import(pod, &f.content_type, f.file, confirmed, &progress)
            .await
        {
            Ok(summary) => FileState::Imported(Box::new(Shown {
                partial: summary.partial.is_some(),
                told: summary.told,
                told_more: summary.told_more,
                link: summary.link,
            })),
            Err(e) => {
                tracing::info!(pod = %pod, file = %f.name, error = %e, "a file was not imported");
                match &e {
                    ImportFailure::KeptApart { kept, .. } => {
                        FileState::KeptApart(told_failure(&e), format!("/{kept}"))
                    }
                    _ => FileState::Failed(told_failure(&e)),
                }
            }
        };
        live.lock().files[i].state = state;
    }
    flusher.abort();
    let mut done = live.lock().clone();
    done.finished = Some(now_ms());
    done.beat = now_ms();
    if let Err(e) = save(ctx, pod, id, &done).await {
        tracing::warn!(pod = %pod, error = %e, "an import job's end could not be kept");
    }
}

/// The routes of the job table.
pub fn routes(ctx: Arc<Context>) -> Router {
    Router::new()
        // The app's body limit is applied while reading the parts, below.
        .route(
            "/app/import",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/app/import/{job}", get(show))
        .route("/app/import/inbox", post(from_inbox))
        .route("/app/import/apart", post(from_apart))
        .route("/assets/import.js", get(script))
        .with_state(ctx)
}

/// The live progress bar of the job page (the page works without it).
async fn script() -> Response {
    selfdata_site::asset(
        "text/javascript; charset=utf-8",
        include_str!("../assets/import.js"),
    )
}

/// A file in the pod's inbox that some service could import.
#[derive(Debug, Clone)]
pub struct InboxFile {
    /// Its path inside the pod.
    pub path: String,
    /// Its name, as shown.
    pub name: String,
    pub size: u64,
}

/// The inbox's documents whose media type some service takes, newest first
/// (the services' pages list them as proposals).
pub async fn inbox_files(ctx: &Context, pod: &PodName) -> Vec<InboxFile> {
    let Ok(inbox) = ResourcePath::parse(selfdata_solid::provision::INBOX) else {
        return Vec::new();
    };
    let Ok(mut members) = ctx.store.members(pod, &inbox).await else {
        return Vec::new();
    };
    members.retain(|m| !m.path.is_container() && ctx.pipeline.takes_type(&m.content_type));
    members.sort_by_key(|m| std::cmp::Reverse(m.modified_ms));
    members
        .into_iter()
        .take(INBOX_SHOWN)
        .map(|m| InboxFile {
            path: m.path.as_str().to_owned(),
            name: m.path.name().to_owned(),
            size: m.size,
        })
        .collect()
}

fn no_files() -> PageError {
    PageError::say(
        StatusCode::BAD_REQUEST,
        Say::new(
            "Choisissez au moins un fichier à importer.",
            "Choose at least one file to import.",
        ),
    )
}

fn ours() -> PageError {
    PageError::say(
        StatusCode::INTERNAL_SERVER_ERROR,
        Say::new(
            "Un problème est survenu de notre côté\u{a0}; veuillez réessayer.",
            "Something went wrong on our side; please try again.",
        ),
    )
}

/// `POST /app/import`: the files of a multipart form. The CSRF token comes
/// first (the forms put it there): a file arriving before it is refused
/// unread, so no other site can make a resident upload. Each file is held
/// in memory up to [`SPOOL_ABOVE`], then spooled to disk sealed; all of
/// them together may hold the pipeline's upload limit.
async fn upload(
    State(ctx): State<Arc<Context>>,
    chrome: Chrome,
    me: Resident,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let Ok(mut multipart) = multipart else {
        return Err(no_files());
    };
    let files = match receive(&ctx, &chrome, &me, &mut multipart).await {
        Ok(files) => files,
        Err(refused) => {
            linger(&mut multipart).await;
            return Err(refused);
        }
    };
    let id = start(&ctx, &me, files, false).await?;
    Ok(Redirect::to(&format!("/app/import/{id}")).into_response())
}

/// What a refused upload still sends is read and dropped, up to
/// [`LINGER_BYTES`] and [`LINGER_TIME`], so that the browser, still
/// writing, receives the page that says why: a server that answers and
/// closes mid-upload leaves it a reset connection and no sentence.
async fn linger(multipart: &mut Multipart) {
    let drain = async {
        let mut left = LINGER_BYTES;
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(chunk)) = field.chunk().await {
                left = left.saturating_sub(chunk.len() as u64);
                if left == 0 {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// How much of a refused upload is read and dropped, at most.
const LINGER_BYTES: u64 = 64 * 1024 * 1024;
/// How long a refused upload is read and dropped, at most.
const LINGER_TIME: Duration = Duration::from_secs(10);

/// The files of an upload, each held or spooled, with its token checked
/// before the first of them.
async fn receive(
    ctx: &Arc<Context>,
    chrome: &Chrome,
    me: &Resident,
    multipart: &mut Multipart,
) -> Result<Vec<Handed>, PageError> {
    let limit = ctx.pipeline.max_upload_bytes();
    let stop = |e: Stop| match e {
        Stop::TooLarge => {
            let mib = (limit / (1024 * 1024)).to_string();
            let w: &ImportWords = chrome.language().words();
            PageError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                fill(w.upload_too_large, &[("n", &mib)]),
            )
        }
        Stop::Unreadable(e) => {
            tracing::info!(error = %e, "an upload could not be read");
            no_files()
        }
    };
    let unspooled = |e: std::io::Error| {
        tracing::error!(error = %e, "an upload could not be spooled");
        ours()
    };
    let mut counted = Counted { total: 0, limit };
    let mut csrf: Option<String> = None;
    let mut files = Vec::new();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(stop(Stop::Unreadable(e.to_string()))),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name != "files" {
            // Read within the limit, kept only for the token (a few bytes).
            let mut kept = Vec::new();
            while let Some(chunk) = counted.next(&mut field).await.map_err(stop)? {
                if name == "csrf" && kept.len() + chunk.len() <= MAX_TOKEN_BYTES {
                    kept.extend_from_slice(&chunk);
                }
            }
            if name == "csrf" {
                let token = String::from_utf8_lossy(&kept).into_owned();
                me.check_csrf(&token)?;
                csrf = Some(token);
            }
            continue;
        }
        if csrf.is_none() {
            me.check_csrf("")?;
        }
        let file_name = field.file_name().unwrap_or("").to_owned();
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut receiving = Receiving::default();
        while let Some(chunk) = counted.next(&mut field).await.map_err(stop)? {
            receiving.take(ctx, chunk).await.map_err(unspooled)?;
        }
        let file = receiving.finish().await.map_err(unspooled)?;
        if file.is_empty() && file_name.is_empty() {
            continue;
        }
        let shown = if file_name.is_empty() {
            format!("#{}", files.len() + 1)
        } else {
            file_name
        };
        files.push(Handed {
            name: shown,
            // Browsers guess a type from the name; the content decides.
            content_type: if ctx.pipeline.takes_type(&content_type) {
                content_type
            } else {
                "application/octet-stream".to_owned()
            },
            file,
        });
    }
    if csrf.is_none() {
        me.check_csrf("")?;
    }
    if files.is_empty() {
        return Err(no_files());
    }
    Ok(files)
}

/// Why reading an upload stopped.
enum Stop {
    TooLarge,
    Unreadable(String),
}

/// The bytes of every field of one upload, counted against its limit.
struct Counted {
    total: u64,
    limit: u64,
}

impl Counted {
    /// The field's next chunk, counted; past the limit, the upload stops.
    async fn next(
        &mut self,
        field: &mut axum::extract::multipart::Field<'_>,
    ) -> Result<Option<Bytes>, Stop> {
        let chunk = field
            .chunk()
            .await
            .map_err(|e| Stop::Unreadable(e.to_string()))?;
        if let Some(c) = &chunk {
            self.total += c.len() as u64;
            if self.total > self.limit {
                return Err(Stop::TooLarge);
            }
        }
        Ok(chunk)
    }
}

/// A file of an upload as it arrives: in memory, then spooled once it
/// passes [`SPOOL_ABOVE`] (written a megabyte at a time, off the async threads).
#[derive(Default)]
struct Receiving {
    held: Vec<u8>,
    spool: Option<SpoolWriter>,
}

/// Bytes gathered before they are written to the spool.
const SPOOL_WRITE: usize = 1024 * 1024;

impl Receiving {
    async fn take(&mut self, ctx: &Context, chunk: Bytes) -> std::io::Result<()> {
        self.held.extend_from_slice(&chunk);
        if self.spool.is_none() && self.held.len() > SPOOL_ABOVE {
            self.spool = Some(ctx.pipeline.spools().create()?);
        }
        if self.spool.is_some() && self.held.len() >= SPOOL_WRITE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        let (Some(mut spool), held) = (self.spool.take(), std::mem::take(&mut self.held)) else {
            return Ok(());
        };
        let (spool, mut held) = tokio::task::spawn_blocking(move || {
            std::io::Write::write_all(&mut spool, &held).map(|()| (spool, held))
        })
        .await
        .map_err(std::io::Error::other)??;
        held.clear();
        self.held = held;
        self.spool = Some(spool);
        Ok(())
    }

    async fn finish(mut self) -> std::io::Result<Upload> {
        if self.spool.is_none() {
            return Ok(Upload::from(self.held));
        }
        self.flush().await?;
        let spool = self.spool.take().expect("a spool was started");
        tokio::task::spawn_blocking(move || Upload::spooled(spool.finish()?))
            .await
            .map_err(std::io::Error::other)?
    }
}

#[derive(serde::Deserialize)]
struct PathForm {
    path: String,
}

/// A stored file of the resident's pod, for a job: only a direct member of
/// a container `accepted` allows.
async fn stored(
    ctx: &Context,
    pod: &PodName,
    path: &str,
    accepted: impl Fn(&ResourcePath) -> bool,
) -> Result<Handed, PageError> {
    let path = ResourcePath::parse(path)
        .ok()
        .filter(|p| !p.is_container() && p.parent().is_some_and(|c| accepted(&c)))
        .ok_or_else(no_files)?;
    match ctx.store.get(pod, &path).await {
        Ok(Some((meta, body))) => Ok(Handed {
            name: path.name().to_owned(),
            content_type: meta.content_type,
            file: body.into(),
        }),
        Ok(None) => Err(no_files()),
        Err(e) => {
            tracing::error!(error = %e, pod = %pod, "a stored file could not be read");
            Err(ours())
        }
    }
}

/// `POST /app/import/inbox`: imports one file of the pod's inbox.
async fn from_inbox(
    State(ctx): State<Arc<Context>>,
    CsrfForm { resident: me, form }: CsrfForm<PathForm>,
) -> Result<Response, PageError> {
    let file = stored(&ctx, &me.pod, &form.path, |c| {
        c.as_str() == selfdata_solid::provision::INBOX
    })
    .await?;
    let id = start(&ctx, &me, vec![file], false).await?;
    Ok(Redirect::to(&format!("/app/import/{id}")).into_response())
}

/// `POST /app/import/apart`: the resident confirms a file kept apart is theirs.
async fn from_apart(
    State(ctx): State<Arc<Context>>,
    CsrfForm { resident: me, form }: CsrfForm<PathForm>,
) -> Result<Response, PageError> {
    let file = stored(&ctx, &me.pod, &form.path, is_apart).await?;
    let id = start(&ctx, &me, vec![file], true).await?;
    Ok(Redirect::to(&format!("/app/import/{id}")).into_response())
}

/// `/selfdata/sources/{holder}/apart/`: where files naming another meter wait.
fn is_apart(container: &ResourcePath) -> bool {
    let parts: Vec<&str> = container.as_str().trim_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["selfdata", "sources", _, "apart"])
}

/// The words of the job page.
#[derive(Debug)]
struct ImportWords {
    lang: Lang,
    title: &'static str,
    progress: &'static str,
    running: &'static str,
    done: &'static str,
    waiting: &'static str,
    reading: &'static str,
    merging: &'static str,
    writing: &'static str,
    failed: &'static str,
    failed_after: &'static str,
    kept_apart: &'static str,
    kept_apart_after: &'static str,
    confirm: &'static str,
    see: &'static str,
    back: &'static str,
    unknown: &'static str,
    upload_too_large: &'static str,
}

static FR: ImportWords = ImportWords {
    lang: Lang::Fr,
    title: "Importer des fichiers",
    progress: "Avancement de l'import",
    running: "Import en cours…",
    done: "Import terminé.",
    waiting: "en attente",
    reading: "lecture du fichier",
    merging: "fusion avec vos données",
    writing: "enregistrement",
    failed: "Non importé\u{a0}:",
    failed_after: "Rien de ce fichier n'a été gardé.",
    kept_apart: "Mis de côté\u{a0}:",
    kept_apart_after: "Si ce compteur est bien le vôtre (un déménagement, un second logement), importez-le avec vos données.",
    confirm: "C'est mon compteur\u{a0}: l'importer",
    see: "Voir ces données",
    back: "Retour à votre espace",
    unknown: "Cet import est inconnu, ou terminé depuis plus d'une heure.",
    upload_too_large: "Ces fichiers sont trop gros ensemble\u{a0}: {n} Mio au plus à la fois.",
};

static EN: ImportWords = ImportWords {
    lang: Lang::En,
    title: "Import files",
    progress: "Progress of the import",
    running: "Importing…",
    done: "Import finished.",
    waiting: "waiting",
    reading: "reading the file",
    merging: "merging with your data",
    writing: "saving",
    failed: "Not imported:",
    failed_after: "Nothing of this file was kept.",
    kept_apart: "Kept apart:",
    kept_apart_after: "If this meter is yours too (a move, a second home), import it with your data.",
    confirm: "It is my meter: import it",
    see: "See this data",
    back: "Back to your space",
    unknown: "This import is unknown, or finished more than an hour ago.",
    upload_too_large: "These files are too large together: at most {n} MiB at a time.",
};

selfdata_site::words!(ImportWords, FR, EN);

impl ImportWords {
    fn sources_lang(&self) -> selfdata_sources::Lang {
        match self.lang {
            Lang::Fr => selfdata_sources::Lang::Fr,
            Lang::En => selfdata_sources::Lang::En,
        }
    }

    fn percent(&self, p: u32) -> String {
        match self.lang {
            Lang::Fr => format!("{p}\u{a0}%"),
            Lang::En => format!("{p}%"),
        }
    }
}

struct FileView {
    name: String,
    status: String,
    details: Option<String>,
    /// Not imported: why.
    error: Option<String>,
    /// Kept apart: where, for the confirmation form.
    apart: Option<String>,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    w: &'static ImportWords,
    chrome: Chrome,
    csrf: String,
    running: bool,
    percent: u32,
    percent_text: String,
    status_url: String,
    files: Vec<FileView>,
    /// "2 files imported, 1 refused", once the job is done.
    tally: String,
    back: String,
}

fn file_view(w: &ImportWords, f: &FileJob) -> FileView {
    let lang = w.sources_lang();
    let mut v = FileView {
        name: f.name.clone(),
        status: String::new(),
        details: None,
        error: None,
        apart: None,
        link: None,
    };
    match &f.state {
        FileState::Waiting => v.status = w.waiting.to_owned(),
        FileState::Working(stage) => {
            v.status = match stage {
                Stage::Reading => w.reading,
                Stage::Merging => w.merging,
                Stage::Writing => w.writing,
            }
            .to_owned()
        }
        FileState::Imported(s) => {
            v.status = s.told.in_(lang).to_owned();
            v.details = s.told_more.as_ref().map(|t| t.in_(lang).to_owned());
            v.link = s.link.clone();
        }
        FileState::Failed(t) => {
            v.status = w.failed.to_owned();
            v.error = Some(t.in_(lang).to_owned());
        }
        FileState::KeptApart(t, kept) => {
            v.status = w.kept_apart.to_owned();
            v.error = Some(t.in_(lang).to_owned());
            v.apart = Some(kept.clone());
        }
    }
    v
}

/// `GET /app/import/{job}`: the job's page, or its state as JSON.
async fn show(
    State(ctx): State<Arc<Context>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    chrome: Chrome,
    me: Resident,
) -> Result<Response, PageError> {
    let w: &'static ImportWords = chrome.language().words();
    let Some(job) = job(&ctx, &me.pod, &id, me.account.id).await else {
        return Err(PageError::new(StatusCode::NOT_FOUND, w.unknown));
    };
    let running = job.finished.is_none();
    let files: Vec<FileView> = job.files.iter().map(|f| file_view(w, f)).collect();
    let tally = job.tally().sentence(w.sources_lang());
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        let body = serde_json::json!({
            "done": !running,
            "percent": job.percent(),
            "files": files.iter().map(|f| &f.status).collect::<Vec<_>>(),
            "summary": if running { None } else { Some(&tally) },
        });
        return Ok((
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body.to_string(),
        )
            .into_response());
    }
    // Back to the service of the last file imported.
    let back = files
        .iter()
        .rev()
        .find_map(|f| f.link.as_deref())
        .map_or_else(
            || "/".to_owned(),
            |l| l.split(['?', '#']).next().unwrap_or("/").to_owned(),
        );
    Ok(page(
        StatusCode::OK,
        JobPage {
            w,
            chrome,
            csrf: me.session.csrf.clone(),
            running,
            percent: job.percent(),
            percent_text: w.percent(job.percent()),
            status_url: format!("/app/import/{id}"),
            files,
            tally,
            back,
        }
        .render(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_weighs_files_by_size() {
        let file = |size, state| FileJob {
            name: String::new(),
            size,
            state,
        };
        let job = Job {
            account: 1,
            files: vec![
                file(
                    300,
                    FileState::Failed(Told::new("ligne 2 : mauvais", "line 2: bad")),
                ),
                file(700, FileState::Working(Stage::Merging)),
            ],
            finished: None,
            beat: 0,
        };
        assert_eq!(job.percent(), 72);
        let waiting = Job {
            files: vec![file(0, FileState::Waiting)],
            ..job
        };
        assert_eq!(waiting.percent(), 0);
    }

    #[test]
    fn a_job_whose_server_stopped_writing_it_is_shown_interrupted() {
        let job = Job {
            account: 1,
            files: vec![FileJob {
                name: "a.csv".into(),
                size: 10,
                state: FileState::Working(Stage::Merging),
            }],
            finished: None,
            beat: 1_000_000,
        };
        let fresh = job.clone().standing(1_000_000 + STALE_MS);
        assert_eq!(fresh, job, "still running within the heartbeat's reach");
        let stale = job.standing(1_000_001 + STALE_MS);
        assert_eq!(stale.finished, Some(1_000_000));
        assert!(
            matches!(&stale.files[0].state, FileState::Failed(t) if t.en.contains("server importing it stopped"))
        );
        assert_eq!(stale.tally().refused, 1);
    }

    #[test]
    fn only_a_holders_apart_folder_holds_files_to_confirm() {
        let ok = |p: &str| is_apart(&ResourcePath::parse(p).unwrap());
        assert!(ok("/selfdata/sources/enedis/apart/"));
        assert!(!ok("/selfdata/sources/enedis/raw/"));
        assert!(!ok("/inbox/"));
        assert!(!ok("/selfdata/sources/apart/"));
    }
}
