//! Uploading meter files from the dashboard: `POST /app/energy/import` takes a
//! multipart form with one or more files (works without script), starts a
//! background job that imports them one after the other through
//! [`crate::Energy::import`] (each whole or not at all), and sends the
//! browser to `GET /app/energy/import/{job}`, which shows a `<progress>` bar and
//! refreshes itself while the job runs, then says what each file gave.
//!
//! Files that others delivered to the pod's inbox are proposals: the page
//! lists them and `POST /app/energy/inbox` imports the one the owner picks,
//! through the same job.
//!
//! Jobs live in memory, under a random, unguessable id bound to the account
//! that started them, and are forgotten an hour after they end. The page
//! answers `Accept: application/json` with the job's state, for the small
//! script that moves the bar without reloading.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use parking_lot::Mutex;
use selfdata_energy::Fluid;
use selfdata_energy::sources::{Lang, Tally};
use selfdata_store::PodName;

use selfdata_site::{Chrome, CsrfForm, PageError, Resident, fill, page};

use super::{Scale, Shown, View};
use crate::Services;
use crate::energy::{EnergyError, Stage, Summary};
use crate::texts::Texts;

/// How long a finished job stays readable.
const KEEP: Duration = Duration::from_secs(3600);
/// Jobs one account may have running at once.
const MAX_RUNNING: usize = 3;

pub(super) fn routes() -> Router<Arc<Services>> {
    Router::new()
        // The app's body limit is applied while reading the parts, below.
        .route(
            "/app/energy/import",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/app/energy/import/{job}", get(show))
        .route("/app/energy/inbox", post(import_from_inbox))
}

/// Most inbox files the page lists (the newest).
const INBOX_SHOWN: usize = 20;

/// A file in the pod's inbox that could be a meter export.
#[derive(Debug, Clone)]
pub(super) struct InboxFile {
    /// Its path inside the pod.
    pub path: String,
    /// Its name, as shown.
    pub name: String,
    pub size: u64,
}

/// The inbox's documents whose type a meter export may have, newest first.
pub(super) async fn inbox_files(services: &Services, pod: &PodName) -> Vec<InboxFile> {
    let Ok(inbox) = selfdata_store::ResourcePath::parse(selfdata_solid::provision::INBOX) else {
        return Vec::new();
    };
    let Ok(mut members) = services.store.members(pod, &inbox).await else {
        return Vec::new();
    };
    members.retain(|m| {
        let essence = m.content_type.split(';').next().unwrap_or("").trim();
        !m.path.is_container() && crate::METER_FILE_TYPES.contains(&essence)
    });
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

#[derive(serde::Deserialize)]
pub(super) struct InboxForm {
    path: String,
}

/// Imports one file of the pod's inbox, chosen by the owner.
pub(super) async fn import_from_inbox(
    State(services): State<Arc<Services>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<InboxForm>,
) -> Result<Response, PageError> {
    let t: &'static Texts = chrome.language().words();
    let path = selfdata_store::ResourcePath::parse(&form.path)
        .ok()
        .filter(|p| {
            p.parent()
                .is_some_and(|c| c.as_str() == selfdata_solid::provision::INBOX)
        });
    let Some(path) = path else {
        return Err(PageError::new(StatusCode::BAD_REQUEST, t.no_files));
    };
    let body = match services.store.get(&me.pod, &path).await {
        Ok(Some((_, body))) => body,
        Ok(None) => return Err(PageError::new(StatusCode::NOT_FOUND, t.no_files)),
        Err(e) => {
            tracing::error!(error = %e, pod = %me.pod, "an inbox file could not be read");
            return Err(PageError::new(StatusCode::INTERNAL_SERVER_ERROR, t.failed));
        }
    };
    let id = start(
        &services,
        me.account.id,
        me.pod,
        vec![(path.name().to_owned(), body)],
    );
    Ok(Redirect::to(&format!("/app/energy/import/{id}")).into_response())
}

#[derive(Debug, Clone)]
enum FileState {
    Waiting,
    Working(Stage),
    Imported(Summary),
    /// Not imported: the sentence in English and in French.
    Failed(String, String),
    /// Names another meter: kept apart, nothing merged (English, French).
    KeptApart(String, String),
}

impl FileState {
    fn of(error: &EnergyError) -> FileState {
        let (en, fr) = (error.sentence(Lang::En), error.sentence(Lang::Fr));
        match error {
            EnergyError::OtherMeter { .. } => FileState::KeptApart(en, fr),
            _ => FileState::Failed(en, fr),
        }
    }
}

/// What became of a job's files, counted.
fn tally(files: &[FileJob]) -> Tally {
    let mut tally = Tally::default();
    for f in files {
        match &f.state {
            FileState::Imported(s) if s.partial.is_some() => tally.partial += 1,
            FileState::Imported(_) => tally.imported += 1,
            FileState::KeptApart(..) => tally.kept_apart += 1,
            FileState::Failed(..) => tally.refused += 1,
            FileState::Waiting | FileState::Working(_) => {}
        }
    }
    tally
}

#[derive(Debug, Clone)]
struct FileJob {
    name: String,
    size: usize,
    state: FileState,
}

#[derive(Debug, Clone)]
struct Job {
    account: i64,
    files: Vec<FileJob>,
    finished: Option<Instant>,
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
}

fn jobs() -> &'static Mutex<HashMap<String, Job>> {
    static JOBS: OnceLock<Mutex<HashMap<String, Job>>> = OnceLock::new();
    JOBS.get_or_init(Default::default)
}

/// Forgets jobs that ended more than [`KEEP`] ago.
fn sweep(table: &mut HashMap<String, Job>) {
    table.retain(|_, j| j.finished.is_none_or(|at| at.elapsed() < KEEP));
}

fn update(id: &str, index: usize, state: FileState) {
    if let Some(job) = jobs().lock().get_mut(id)
        && let Some(file) = job.files.get_mut(index)
    {
        file.state = state;
    }
}

/// Starts importing `files` into `pod` in the background; returns the job id.
fn start(
    services: &Arc<Services>,
    account: i64,
    pod: PodName,
    files: Vec<(String, Bytes)>,
) -> String {
    let id = selfdata_oidc::random_token()[..32].to_owned();
    let job = Job {
        account,
        files: files
            .iter()
            .map(|(name, bytes)| FileJob {
                name: name.clone(),
                size: bytes.len(),
                state: FileState::Waiting,
            })
            .collect(),
        finished: None,
    };
    jobs().lock().insert(id.clone(), job);
    let energy = services.energy.clone();
    let job_id = id.clone();
    tokio::spawn(async move {
        for (i, (name, bytes)) in files.into_iter().enumerate() {
            update(&job_id, i, FileState::Working(Stage::Reading));
            let progress = |stage: Stage| update(&job_id, i, FileState::Working(stage));
            let state = match energy.import(&pod, bytes, &progress).await {
                Ok(summary) => FileState::Imported(summary),
                Err(e) => {
                    tracing::info!(pod = %pod, file = %name, error = %e, "an uploaded file was not imported");
                    FileState::of(&e)
                }
            };
            update(&job_id, i, state);
        }
        if let Some(job) = jobs().lock().get_mut(&job_id) {
            job.finished = Some(Instant::now());
        }
    });
    id
}

pub(super) async fn upload(
    State(services): State<Arc<Services>>,
    chrome: Chrome,
    me: Resident,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let t: &'static Texts = chrome.language().words();
    let no_files = || PageError::new(StatusCode::BAD_REQUEST, t.no_files);
    let Ok(mut multipart) = multipart else {
        return Err(no_files());
    };
    let limit = services.solid.config().max_body_bytes;
    let too_large = || {
        let mib = (limit / (1024 * 1024)).to_string();
        PageError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            fill(t.upload_too_large, &[("n", &mib)]),
        )
    };
    let mut csrf = String::new();
    let mut files: Vec<(String, Bytes)> = Vec::new();
    let mut total = 0usize;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::info!(error = %e, "an upload could not be read");
                return Err(no_files());
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().unwrap_or("").to_owned();
        let mut body = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    total += chunk.len();
                    if total > limit {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(error = %e, "an upload could not be read");
                    return Err(no_files());
                }
            }
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&body).into_owned(),
            "files" if !body.is_empty() => {
                let shown = if file_name.is_empty() {
                    format!("#{}", files.len() + 1)
                } else {
                    file_name
                };
                files.push((shown, Bytes::from(body)));
            }
            _ => {}
        }
    }
    me.check_csrf(&csrf)?;
    if files.is_empty() {
        return Err(no_files());
    }
    {
        let mut table = jobs().lock();
        sweep(&mut table);
        let running = table
            .values()
            .filter(|j| j.account == me.account.id && j.finished.is_none())
            .count();
        if running >= MAX_RUNNING {
            return Err(PageError::new(
                StatusCode::TOO_MANY_REQUESTS,
                t.too_many_imports,
            ));
        }
    }
    let id = start(&services, me.account.id, me.pod, files);
    Ok(Redirect::to(&format!("/app/energy/import/{id}")).into_response())
}

struct FileView {
    name: String,
    /// Under way or done well: a sentence; failed: the importer's sentence.
    status: String,
    details: Option<String>,
    error: Option<String>,
    /// The language `error` is written in.
    error_lang: &'static str,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "energy_import.html")]
struct JobPage {
    t: &'static Texts,
    chrome: Chrome,
    running: bool,
    percent: u32,
    percent_text: String,
    status_url: String,
    files: Vec<FileView>,
    /// "2 files imported, 1 refused", once the job is done.
    tally: String,
    back: String,
}

fn local_day(s: &Option<String>, end: bool) -> Option<jiff::civil::Date> {
    let ts: jiff::Timestamp = s.as_deref()?.parse().ok()?;
    // The end of the last reading is midnight after its day.
    let ts = if end {
        ts.checked_sub(jiff::SignedDuration::from_secs(1)).ok()?
    } else {
        ts
    };
    Some(ts.to_zoned_datetime(selfdata_energy::files::paris()).date())
}

fn file_view(t: &Texts, f: &FileJob) -> FileView {
    let mut v = FileView {
        name: f.name.clone(),
        status: String::new(),
        details: None,
        error: None,
        error_lang: "en",
        link: None,
    };
    let lang = Lang::from_code(t.lang);
    let pick = |en: &String, fr: &String| match lang {
        Lang::Fr => fr.trim_end_matches('.').to_owned(),
        Lang::En => en.trim_end_matches('.').to_owned(),
    };
    match &f.state {
        FileState::Waiting => v.status = t.file_waiting.to_owned(),
        FileState::Working(stage) => {
            v.status = match stage {
                Stage::Reading => t.file_reading,
                Stage::Merging => t.file_merging,
                Stage::Writing => t.file_writing,
            }
            .to_owned()
        }
        FileState::Imported(s) => {
            let n = t.number(s.readings as f64, 0);
            v.status = if s.changed == 0 {
                fill(t.file_unchanged, &[("n", &n)])
            } else {
                let missing = match s.days_missing {
                    0 => t.days_missing_none.to_owned(),
                    1 => t.days_missing_one.to_owned(),
                    d => fill(t.days_missing_many, &[("n", &t.number(d as f64, 0))]),
                };
                fill(t.file_imported, &[("n", &n), ("missing", &missing)])
            };
            let span = match (local_day(&s.first, false), local_day(&s.last, true)) {
                (Some(a), Some(b)) => Some(fill(
                    t.file_span,
                    &[("first", &t.date(a)), ("last", &t.date(b))],
                )),
                _ => None,
            };
            v.details = Some(match span {
                Some(span) => format!("{} · {span}", s.layout),
                None => s.layout.clone(),
            });
            if let Some((from, to)) = &s.partial {
                let (from, to) = (
                    local_day(&Some(from.clone()), false),
                    local_day(&Some(to.clone()), true),
                );
                if let (Some(from), Some(to), Some(details)) = (from, to, v.details.as_mut()) {
                    let (from, to) = (t.date(from), t.date(to));
                    details.push_str(&match lang {
                        Lang::En => format!(" · partial: the file declares {from} to {to} but its readings stop short"),
                        Lang::Fr => format!(" · partiel : le fichier annonce du {from} au {to} mais ses relevés s’arrêtent avant"),
                    });
                }
            }
            if let (Some(fluid), Some(last)) = (Fluid::parse(s.fluid), local_day(&s.last, true)) {
                v.link = Some(
                    View {
                        fluid,
                        scale: Scale::Month,
                        unit: Shown::of(fluid)[0],
                        anchor: last,
                    }
                    .href(),
                );
            }
        }
        FileState::Failed(en, fr) | FileState::KeptApart(en, fr) => {
            v.status = t.file_failed.to_owned();
            v.error = Some(pick(en, fr));
            v.error_lang = match lang {
                Lang::Fr => "fr",
                Lang::En => "en",
            };
        }
    }
    v
}

pub(super) async fn show(
    Path(id): Path<String>,
    headers: HeaderMap,
    chrome: Chrome,
    me: Resident,
) -> Result<Response, PageError> {
    let t: &'static Texts = chrome.language().words();
    let job = {
        let mut table = jobs().lock();
        sweep(&mut table);
        table
            .get(&id)
            .filter(|j| j.account == me.account.id)
            .cloned()
    };
    let Some(job) = job else {
        return Err(PageError::new(StatusCode::NOT_FOUND, t.job_unknown));
    };
    let running = job.finished.is_none();
    let files: Vec<FileView> = job.files.iter().map(|f| file_view(t, f)).collect();
    let tally = tally(&job.files).sentence(Lang::from_code(t.lang));
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
    // Back to the fluid of the last file imported.
    let back = files
        .iter()
        .rev()
        .find_map(|f| f.link.clone())
        .unwrap_or_else(|| "/app/energy".to_owned());
    Ok(page(
        StatusCode::OK,
        JobPage {
            t,
            chrome,
            running,
            percent: job.percent(),
            percent_text: t.percent(f64::from(job.percent())),
            status_url: format!("/app/energy/import/{id}"),
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
                    FileState::Failed("line 2: bad".into(), "ligne 2 : mauvais".into()),
                ),
                file(700, FileState::Working(Stage::Merging)),
            ],
            finished: None,
        };
        assert_eq!(job.percent(), 72);
        let waiting = Job {
            files: vec![file(0, FileState::Waiting)],
            ..job
        };
        assert_eq!(waiting.percent(), 0);
    }
}
