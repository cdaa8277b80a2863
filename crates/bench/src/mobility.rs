//! `selfdata-bench mobility`: the mobility benchmark (issue 12), every
//! figure beside a baseline measured in the same run. Each phase runs in a
//! child process of this binary (`mobility-phase`, hidden), which reports
//! its own peak resident size (`VmHWM`), so no phase's memory shows in
//! another's.
//!
//! (a) Segmentation and mode inference of generated raw points (a million
//! by default, [`history`]: a resident's days with trips, stops, jitter,
//! spikes and gaps), in memory: `segment`, then `infer_modes`, then
//! `trips_of` as an import runs them (with each trip's path simplified).
//! Baseline: one plain pass computing the haversine distance between
//! consecutive points. The median of the rounds is kept.
//! (b) A generated Takeout `Records.json` (500 MB by default, written
//! streamed to a temporary directory, times as `timestampMs` then
//! `timestamp`, with the fields selfdata skips). Timed, each in a child:
//! the plain streaming parse (baseline: serde_json over a buffered reader,
//! the `locations` array walked with a visitor that skips each element);
//! selfdata's streaming import (`records_from_reader` over the same reader,
//! the points kept, then `trips_of`); the file read whole (`import::import`
//! on its bytes, `trips_of`: what every path did before the import took a
//! file); `App::import_file` on the file where it is (the whole pipeline,
//! original written from the file, one commit), as `selfdata import` runs
//! it; and a page's upload: the file posted over HTTP on loopback (CSRF
//! token first), spooled sealed, imported by the job, timed until the job
//! page says done. Seconds, MB/s and peak RSS of each (the highest of the rounds).
//! (c) A pod holding a year of trips (a generated file imported through
//! `App::import_file`), the mobility pages with a session and the trips
//! and totals APIs with a DPoP token, through the whole router in process
//! (server time), p50/p99; baseline: the same trips in a bare SQLite table,
//! the month's and the year's rows `SELECT`ed into memory.
//! Prints one JSON object; `bench/mobility.sh` writes it to `bench/results/`.

mod history;

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt as _;
use selfdata::{App, Options, Upload};
use selfdata_mobility::import::{self, Layout, Parsed, records_from_reader};
use selfdata_mobility::model::{Point, Trip};
use selfdata_mobility::segment::{self, Segmented};
use selfdata_mobility::trips;
use selfdata_store::PodName;
use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use tower::ServiceExt as _;

use history::{History, Made, Style};

const BASE: &str = "http://bench.local";
const MB: f64 = 1_000_000.0;
/// The seed of every generated history.
const SEED: u64 = 12;

/// The knobs of `selfdata-bench mobility`.
#[derive(Debug, clap::Args)]
pub struct MobilityArgs {
    /// Raw points segmented in (a).
    #[arg(long, default_value_t = 1_000_000)]
    pub points: usize,
    /// Size of the generated Records.json of (b), in MB (10^6 bytes).
    #[arg(long, default_value_t = 500)]
    pub size_mb: u64,
    /// Timed requests per page or API measure in (c).
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Rounds of (a) and of the two streaming parses of (b) (alternated);
    /// the median is kept.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Where the generated file is written (a temporary directory inside
    /// it, removed at the end); the system's by default.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Leave out the end-to-end imports of the big file (`selfdata import`
    /// and the page's upload).
    #[arg(long)]
    pub skip_app: bool,
}

/// One phase, run in a child process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    /// (a) segmentation and mode inference in memory.
    Segment,
    /// (b) baseline: a plain streaming serde_json parse.
    Plain,
    /// (b) selfdata's streaming import, through to trips.
    Stream,
    /// (b) the file read whole, parsed from its bytes, through to trips.
    Whole,
    /// (b) `selfdata import`: `App::import_file` on the file where it is.
    App,
    /// (b) a page's upload: the file posted over HTTP on loopback, spooled, imported.
    Upload,
    /// (c) pages and API of a pod with a year of trips.
    Pages,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Phase::Segment => "segment",
            Phase::Plain => "plain",
            Phase::Stream => "stream",
            Phase::Whole => "whole",
            Phase::App => "app",
            Phase::Upload => "upload",
            Phase::Pages => "pages",
        };
        f.write_str(name)
    }
}

/// The arguments of the hidden `mobility-phase` subcommand.
#[derive(Debug, clap::Args)]
pub struct PhaseArgs {
    #[arg(value_enum)]
    pub phase: Phase,
    /// The Records.json of (b).
    #[arg(long)]
    pub file: Option<PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    pub points: usize,
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
}

/// A `kB` line of `/proc/self/status`, in MB.
fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024.0 / MB)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Runs one phase in a child process and reads the JSON it prints.
fn child(phase: Phase, args: &[String]) -> anyhow::Result<serde_json::Value> {
    let exe = std::env::current_exe().context("where this program is")?;
    eprintln!("mobility: {phase}…");
    let out = Command::new(exe)
        .arg("mobility-phase")
        .arg(phase.to_string())
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("run the phase {phase}"))?;
    anyhow::ensure!(out.status.success(), "the phase {phase} failed");
    serde_json::from_slice(&out.stdout).with_context(|| format!("the output of the phase {phase}"))
}

pub fn run(args: &MobilityArgs) -> anyhow::Result<()> {
    let rounds = args.rounds.max(1);
    // (a)
    let seg = child(
        Phase::Segment,
        &[
            "--points".into(),
            args.points.to_string(),
            "--rounds".into(),
            rounds.to_string(),
        ],
    )?;

    // (b) the file, written streamed.
    let dir = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let path = dir.path().join("Records.json");
    eprintln!("mobility: writing a {} MB Records.json…", args.size_mb);
    let started = Instant::now();
    let written = {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, File::create(&path)?);
        let mut h = History::new(SEED, jiff::civil::date(2019, 1, 1));
        history::write_records(
            &mut w,
            &mut h,
            args.size_mb * 1_000_000,
            u64::MAX,
            Style::Takeout,
        )?
    };
    let write_s = started.elapsed().as_secs_f64();
    let file = ["--file".to_owned(), path.display().to_string()];
    let (mut plain, mut stream) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        plain.push(child(Phase::Plain, &file)?);
        stream.push(child(Phase::Stream, &file)?);
    }
    let whole = child(Phase::Whole, &file)?;
    let (app, upload) = if args.skip_app {
        let skipped = serde_json::json!({"skipped": true});
        (skipped.clone(), skipped)
    } else {
        (child(Phase::App, &file)?, child(Phase::Upload, &file)?)
    };
    drop(dir);

    // (c)
    let pages = child(
        Phase::Pages,
        &["--requests".into(), args.requests.to_string()],
    )?;

    let pick = |runs: &[serde_json::Value], key: &str| {
        median(runs.iter().filter_map(|r| r[key].as_f64()).collect())
    };
    let most = |runs: &[serde_json::Value], key: &str| {
        runs.iter()
            .filter_map(|r| r[key].as_f64())
            .fold(f64::NAN, f64::max)
    };
    for (name, run, key) in plain
        .iter()
        .map(|r| ("plain", r, "locations"))
        .chain(stream.iter().map(|r| ("stream", r, "points")))
        .chain([("whole", &whole, "points")])
    {
        anyhow::ensure!(
            run[key].as_u64() == Some(written.points),
            "{name} read {} of {} locations",
            run[key],
            written.points
        );
    }
    let bytes = written.bytes as f64;
    let plain_s = pick(&plain, "seconds");
    let stream_s = pick(&stream, "seconds");
    let whole_s = whole["seconds"].as_f64().unwrap_or(f64::NAN);
    let result = serde_json::json!({
        "segment": seg,
        "records": {
            "bytes": written.bytes,
            "points": written.points,
            "days": written.days,
            "points_with_timestamp_ms": written.timestamp_ms,
            "write_seconds": write_s,
            "rounds": rounds,
            "plain": {
                "seconds": plain_s,
                "mb_per_s": bytes / MB / plain_s,
                "peak_rss_mb": most(&plain, "peak_rss_mb"),
                "start_rss_mb": pick(&plain, "start_rss_mb"),
                "runs": plain,
            },
            "stream": {
                "seconds": stream_s,
                "parse_seconds": pick(&stream, "parse_seconds"),
                "trips_seconds": pick(&stream, "trips_seconds"),
                "mb_per_s": bytes / MB / stream_s,
                "peak_rss_mb": most(&stream, "peak_rss_mb"),
                "start_rss_mb": pick(&stream, "start_rss_mb"),
                "trips": stream.last().map(|r| r["trips"].clone()),
                "runs": stream,
            },
            "stream_vs_plain_time": stream_s / plain_s,
            "stream_speed_share_of_plain": plain_s / stream_s,
            "whole": whole,
            "whole_mb_per_s": bytes / MB / whole_s,
            "whole_vs_plain_time": whole_s / plain_s,
            "app": app,
            "upload": upload,
        },
        "pages": pages,
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// Runs one phase and prints its figures with its peak resident size.
pub fn phase(args: &PhaseArgs) -> anyhow::Result<()> {
    let start_rss = status_mb("VmRSS:");
    let file = || {
        args.file
            .as_deref()
            .context("this phase reads a file (--file)")
    };
    let mut out = match args.phase {
        Phase::Segment => segment_phase(args.points, args.rounds.max(1))?,
        Phase::Plain => plain_phase(file()?)?,
        Phase::Stream => stream_phase(file()?)?,
        Phase::Whole => whole_phase(file()?)?,
        Phase::App => runtime()?.block_on(app_phase(file()?))?,
        Phase::Upload => runtime()?.block_on(upload_phase(file()?))?,
        Phase::Pages => runtime()?.block_on(pages_phase(args.requests))?,
    };
    out["start_rss_mb"] = start_rss.into();
    out["peak_rss_mb"] = status_mb("VmHWM:").into();
    println!("{out}");
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `n` points of the generated history, and the trips made meanwhile.
fn history_points(n: usize) -> (Vec<Point>, Vec<Made>, u64) {
    let mut h = History::new(SEED, jiff::civil::date(2022, 1, 1));
    let (mut points, mut made) = (Vec::with_capacity(n + 5000), Vec::new());
    let mut days = 0;
    while points.len() < n {
        h.day(&mut points, &mut made);
        days += 1;
    }
    points.truncate(n);
    let last = points.last().map_or(i64::MIN, |p| p.t);
    made.retain(|m| m.end <= last);
    (points, made, days)
}

/// Great-circle metres, plainly: the baseline's work per pair of points.
fn haversine_m(a: &Point, b: &Point) -> f64 {
    let r = |e7: i32| (f64::from(e7) / 1e7).to_radians();
    let (la1, lo1, la2, lo2) = (r(a.lat_e7), r(a.lon_e7), r(b.lat_e7), r(b.lon_e7));
    let s1 = ((la2 - la1) / 2.0).sin();
    let s2 = ((lo2 - lo1) / 2.0).sin();
    let h = s1 * s1 + la1.cos() * la2.cos() * s2 * s2;
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

fn parsed_of(points: Vec<Point>) -> Parsed {
    Parsed {
        layout: Layout::Records,
        rows: points.len(),
        points,
        trips: Vec::new(),
        visits: Vec::new(),
        skipped: 0,
    }
}

/// How many trips made were found (a found trip sharing more than half of
/// the shorter of the two), with the right mode, and trips found that match
/// none.
fn agreement(made: &[Made], found: &[Trip]) -> serde_json::Value {
    let mut matched = 0;
    let mut right = 0;
    let mut used = vec![false; found.len()];
    type Read = std::collections::BTreeMap<&'static str, u32>;
    let mut by_mode: std::collections::BTreeMap<&str, (u32, u32, u32, Read)> = Default::default();
    for m in made {
        let from = found.partition_point(|f| f.end < m.start);
        let best = found[from..]
            .iter()
            .enumerate()
            .take_while(|(_, f)| f.start <= m.end)
            .map(|(i, f)| {
                let common = f.end.min(m.end) - f.start.max(m.start);
                // Sharing more than half of the shorter of the two (the
                // rule imports use for "the same trip"): a found trip
                // starts and ends at the stays' edges, inside the made one.
                let shorter = (f.end - f.start).min(m.end - m.start).max(1);
                (from + i, common * 2 > shorter, common)
            })
            .filter(|&(_, same, _)| same)
            .max_by_key(|&(_, _, common)| common);
        let entry = by_mode.entry(m.mode.as_str()).or_default();
        entry.0 += 1;
        if let Some((i, _, _)) = best {
            matched += 1;
            used[i] = true;
            entry.1 += 1;
            *entry
                .3
                .entry(found[i].mode.map_or("unknown", |m| m.as_str()))
                .or_default() += 1;
            if found[i].mode == Some(m.mode) {
                right += 1;
                entry.2 += 1;
            }
        }
    }
    let modes: serde_json::Map<String, serde_json::Value> = by_mode
        .into_iter()
        .map(|(k, (n, f, r, read))| {
            (
                k.to_owned(),
                serde_json::json!({"made": n, "found": f, "mode_right": r, "read_as": read}),
            )
        })
        .collect();
    serde_json::json!({
        "made": made.len(),
        "found": found.len(),
        "matched": matched,
        "mode_right": right,
        "found_matching_none": used.iter().filter(|u| !**u).count(),
        "found_matching_none_of_3_points_or_fewer": found
            .iter()
            .zip(&used)
            .filter(|(f, u)| !**u && f.points <= 3)
            .count(),
        "by_mode": modes,
    })
}

/// (a): segmentation and mode inference of `n` points, `rounds` times.
fn segment_phase(n: usize, rounds: usize) -> anyhow::Result<serde_json::Value> {
    let started = Instant::now();
    let (points, made, days) = history_points(n);
    let generate_s = started.elapsed().as_secs_f64();
    let parsed = parsed_of(points);
    let (mut base, mut seg, mut modes, mut trips_of) = (vec![], vec![], vec![], vec![]);
    let mut found = Segmented::default();
    let mut kept = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let total: f64 = parsed
            .points
            .windows(2)
            .map(|w| haversine_m(&w[0], &w[1]))
            .sum();
        std::hint::black_box(total);
        base.push(ms_since(t));
        let t = Instant::now();
        let mut s = segment::segment(std::hint::black_box(&parsed.points));
        seg.push(ms_since(t));
        let t = Instant::now();
        s.infer_modes();
        modes.push(ms_since(t));
        let t = Instant::now();
        kept = trips::trips_of(std::hint::black_box(&parsed));
        trips_of.push(ms_since(t));
        found = s;
    }
    let (base, seg, modes, trips_of) = (median(base), median(seg), median(modes), median(trips_of));
    anyhow::ensure!(
        kept.len() == found.trips.len(),
        "trips_of found {} trips, segment {}",
        kept.len(),
        found.trips.len()
    );
    Ok(serde_json::json!({
        "points": n,
        "days": days,
        "generate_seconds": generate_s,
        "rounds": rounds,
        "points_after_cleaning": found.points.len(),
        "trips": found.trips.len(),
        "stops": found.stops.len(),
        "gaps": found.gaps.len(),
        "segment_ms": seg,
        "infer_modes_ms": modes,
        "segment_and_modes_ms": seg + modes,
        "trips_of_ms": trips_of,
        "haversine_pass_ms": base,
        "segment_and_modes_vs_haversine": (seg + modes) / base,
        "trips_of_vs_haversine": trips_of / base,
        "agreement": agreement(&made, &found.trips),
    }))
}

/// The baseline's root: `locations` walked, everything else skipped.
struct CountRoot;

impl<'de> Visitor<'de> for CountRoot {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while let Some(key) = map.next_key::<String>()? {
            if key == "locations" {
                n = map.next_value_seed(CountSeq)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(n)
    }
}

/// The baseline's array: each element parsed and skipped, counted.
struct CountSeq;

impl<'de> DeserializeSeed<'de> for CountSeq {
    type Value = u64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CountSeq {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

fn size_of(path: &Path) -> anyhow::Result<f64> {
    Ok(std::fs::metadata(path)?.len() as f64)
}

/// (b) baseline: a plain streaming parse of the file, counting locations.
fn plain_phase(path: &Path) -> anyhow::Result<serde_json::Value> {
    let t = Instant::now();
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(File::open(path)?));
    let n = (&mut de).deserialize_map(CountRoot)?;
    de.end()?;
    let s = t.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "seconds": s,
        "locations": n,
        "mb_per_s": size_of(path)? / MB / s,
    }))
}

/// (b) selfdata's streaming import: the points read one at a time from the
/// file and kept, then the trips.
fn stream_phase(path: &Path) -> anyhow::Result<serde_json::Value> {
    let t = Instant::now();
    let mut points = Vec::new();
    let n = records_from_reader(File::open(path)?, |p| points.push(p))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let parse_s = t.elapsed().as_secs_f64();
    let after_parse = status_mb("VmHWM:");
    let t2 = Instant::now();
    let found = trips::trips_of(&parsed_of(points));
    let trips_s = t2.elapsed().as_secs_f64();
    let s = t.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "seconds": s,
        "parse_seconds": parse_s,
        "trips_seconds": trips_s,
        "points": n,
        "trips": found.len(),
        "peak_rss_after_parse_mb": after_parse,
        "mb_per_s": size_of(path)? / MB / s,
    }))
}

/// (b) the server's and the command line's way: the file read whole, parsed
/// from its bytes (the layout recognised first), then the trips.
fn whole_phase(path: &Path) -> anyhow::Result<serde_json::Value> {
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    let read_s = t.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let parsed = import::import(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let parse_s = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    let found = trips::trips_of(&parsed);
    let trips_s = t3.elapsed().as_secs_f64();
    let s = t.elapsed().as_secs_f64();
    std::hint::black_box(&bytes);
    Ok(serde_json::json!({
        "seconds": s,
        "read_seconds": read_s,
        "parse_seconds": parse_s,
        "trips_seconds": trips_s,
        "points": parsed.points.len(),
        "trips": found.len(),
        "mb_per_s": size_of(path)? / MB / s,
    }))
}

/// An app in `dir` with the account `bench` and its pod.
async fn bench_app(dir: &Path, today: Option<jiff::civil::Date>) -> anyhow::Result<(App, PodName)> {
    let mut options = Options::new(dir, BASE);
    options.today = today;
    let app = App::open(options).await.context("open the app")?;
    let pod = PodName::parse("bench")?;
    app.idp
        .create_account("bench@selfdata.local", "bench-password-1", &pod)
        .await?;
    Ok((app, pod))
}

/// (b) `selfdata import` on the file: `App::import_file` on the file where
/// it is (hashed, then streamed; its original written from it).
async fn app_phase(path: &Path) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile::tempdir_in(path.parent().unwrap_or(Path::new(".")))?;
    let (app, pod) = bench_app(dir.path(), None).await?;
    let t = Instant::now();
    let owned = path.to_owned();
    let upload = tokio::task::spawn_blocking(move || Upload::from_path(&owned)).await??;
    let summary = app
        .import_file(&pod, upload)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let s = t.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "seconds": s,
        "points": summary.readings,
        "trips": summary.changed,
        "mb_per_s": size_of(path)? / MB / s,
    }))
}

/// (b) a page's upload: a real server on loopback, the file posted as a
/// browser does (`multipart/form-data`, CSRF token first) and streamed from
/// disk over the socket; timed until the job page says it is done.
async fn upload_phase(path: &Path) -> anyhow::Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let dir = tempfile::tempdir_in(path.parent().unwrap_or(Path::new(".")))?;
    let (app, pod) = bench_app(dir.path(), None).await?;
    let router = app.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service = router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let cookie = crate::budget::session_cookie(&app).await?;
    let get = |uri: String, json: bool| {
        let mut r = Request::get(uri).header(header::COOKIE, &cookie);
        if json {
            r = r.header(header::ACCEPT, "application/json");
        }
        r.body(Body::empty())
    };
    let page = router
        .clone()
        .oneshot(get("/app/mobility".into(), false)?)
        .await?;
    let html = String::from_utf8(page.into_body().collect().await?.to_bytes().to_vec())?;
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).context("a CSRF field on the page")? + marker.len();
    let csrf = &html[at..at + html[at..].find('"').context("the CSRF value")?];

    let boundary = "selfdata-bench-boundary-5c1e";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"Records.json\"\r\n\
         Content-Type: application/json\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let size = std::fs::metadata(path)?.len();
    let length = head.len() as u64 + size + tail.len() as u64;

    let t = Instant::now();
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST /app/import HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    socket.write_all(head.as_bytes()).await?;
    let mut file = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        socket.write_all(&buf[..n]).await?;
    }
    socket.write_all(tail.as_bytes()).await?;
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await?;
    let sent_s = t.elapsed().as_secs_f64();
    let answer = String::from_utf8_lossy(&answer);
    anyhow::ensure!(
        answer.starts_with("HTTP/1.1 303"),
        "the upload was answered {}",
        answer.lines().next().unwrap_or("")
    );
    let job = answer
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .context("the job's address")?
        .trim()
        .to_owned();
    let state = loop {
        let r = router.clone().oneshot(get(job.clone(), true)?).await?;
        let body = r.into_body().collect().await?.to_bytes();
        let state: serde_json::Value = serde_json::from_slice(&body)?;
        if state["done"] == true {
            break state;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let s = t.elapsed().as_secs_f64();
    let raw = selfdata_store::ResourcePath::parse("/selfdata/sources/google/raw/")?;
    let kept = selfdata_store::Backend::members(app.store.as_ref(), &pod, &raw).await?;
    anyhow::ensure!(
        kept.first().map(|m| m.size) == Some(size),
        "the upload was not imported: {state}"
    );
    Ok(serde_json::json!({
        "seconds": s,
        "sent_seconds": sent_s,
        "mb_per_s": size_of(path)? / MB / s,
        "spool_left": std::fs::read_dir(dir.path().join("spool"))?.count(),
    }))
}

fn paris_midnight(d: jiff::civil::Date) -> i64 {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    d.to_zoned_datetime(tz)
        .map_or(0, |z| z.timestamp().as_second())
}

/// (c): a pod with a year of trips, its pages and API.
async fn pages_phase(requests: usize) -> anyhow::Result<serde_json::Value> {
    use jiff::civil::date;
    let dir = tempfile::tempdir()?;
    let (app, pod) = bench_app(dir.path(), Some(date(2025, 12, 31))).await?;
    let webid = selfdata_solid::provision::webid_of(BASE, &pod);
    let (client_id, secret) = app.idp.create_credentials(None, &webid, "bench").await?;
    let router = app.router();

    // A year of history as a compact Records.json.
    let mut bytes = Vec::new();
    let mut h = History::new(SEED, date(2025, 1, 1));
    let written = history::write_records(&mut bytes, &mut h, u64::MAX, 365, Style::Compact)?;
    let found = trips::trips_of(&import::import(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?);
    let t = Instant::now();
    let summary = app
        .import_file(&pod, bytes::Bytes::from(bytes))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let import_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.changed == found.len(),
        "imported {} trips of {}",
        summary.changed,
        found.len()
    );

    // Baseline: the same trips in a bare SQLite table.
    let db = rusqlite::Connection::open(dir.path().join("baseline.sqlite"))?;
    db.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE trips (start INTEGER NOT NULL, end INTEGER NOT NULL, from_lat INTEGER, from_lon INTEGER,
           to_lat INTEGER, to_lon INTEGER, distance_m INTEGER, mode TEXT, confidence INTEGER, points INTEGER, path TEXT);
         CREATE INDEX trips_start ON trips(start);",
    )?;
    {
        let tx = db.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO trips VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for t in &found {
                let path: String = t.path.iter().map(|(a, b)| format!("{a} {b},")).collect();
                stmt.execute(rusqlite::params![
                    t.start,
                    t.end,
                    t.from.0,
                    t.from.1,
                    t.to.0,
                    t.to.1,
                    t.distance_m,
                    t.mode.map(|m| m.as_str()),
                    t.confidence,
                    t.points as i64,
                    path
                ])?;
            }
        }
        tx.commit()?;
    }

    let cookie = crate::budget::session_cookie(&app)
        .await
        .context("a session for the resident")?;
    let page = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
    };
    // The first request builds the pod's view (trips read back, places found).
    let t = Instant::now();
    let response = router.clone().oneshot(page("/app/mobility")?).await?;
    let status = response.status();
    let _ = response.into_body().collect().await?;
    let cold_ms = ms_since(t);
    anyhow::ensure!(status.is_success(), "/app/mobility answered {status}");

    // A weekday of June with trips.
    let day = (1..=30)
        .map(|d| date(2025, 6, d))
        .find(|d| {
            let (a, b) = (
                paris_midnight(*d),
                paris_midnight(d.tomorrow().unwrap_or(*d)),
            );
            d.weekday().to_monday_zero_offset() < 5
                && found.iter().filter(|t| (a..b).contains(&t.start)).count() >= 3
        })
        .unwrap_or(date(2025, 6, 12));
    let mut out_pages = serde_json::Map::new();
    for path in [
        "/app/mobility".to_owned(),
        "/app/mobility?month=2025-06".to_owned(),
        format!("/app/mobility/day?date={day}"),
        "/app/mobility/places".to_owned(),
    ] {
        let mut times = Vec::with_capacity(requests);
        let mut size = 0;
        for i in 0..=requests {
            let request = page(&path)?;
            let t = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            if i > 0 {
                times.push(ms_since(t));
            }
            anyhow::ensure!(status.is_success(), "{path} answered {status}");
            size = body.len();
        }
        let mut s = crate::budget::stats(times);
        s["bytes"] = size.into();
        out_pages.insert(path, s);
    }

    // The API with a DPoP-bound token of the owner.
    let crate::control::Agent { key, token } =
        crate::control::token(&router, &client_id, &secret).await?;
    let now_s = || jiff::Timestamp::now().as_second();
    let ask = |path: &str| {
        let url = format!("{BASE}{}", path.split('?').next().unwrap_or(path));
        let proof = key.proof("GET", &url, Some(&token), now_s());
        Request::get(path)
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("dpop", proof)
            .body(Body::empty())
    };
    let month = (date(2025, 6, 1), date(2025, 7, 1));
    let year = (date(2025, 1, 1), date(2026, 1, 1));
    let mut api = serde_json::Map::new();
    let mut sql = serde_json::Map::new();
    let mut counts = serde_json::Map::new();
    for (name, (from, to)) in [("month", month), ("year", year)] {
        let path = format!("/bench/selfdata/mobility/api/trips?from={from}&to={to}");
        let mut times = Vec::with_capacity(requests);
        let mut count = 0;
        for i in 0..=requests {
            let request = ask(&path)?;
            let t = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            if i > 0 {
                times.push(ms_since(t));
            }
            anyhow::ensure!(status.is_success(), "{path} answered {status}");
            let v: serde_json::Value = serde_json::from_slice(&body).context("API answer")?;
            count = v["trips"].as_array().map_or(0, Vec::len);
        }
        let (a, b) = (paris_midnight(from), paris_midnight(to));
        let mut sql_times = Vec::with_capacity(requests);
        let mut sql_count = 0;
        for _ in 0..requests {
            let t = Instant::now();
            let mut stmt = db.prepare_cached(
                "SELECT start, end, mode, distance_m FROM trips WHERE start >= ?1 AND start < ?2 ORDER BY start",
            )?;
            let rows: Vec<(i64, i64, Option<String>, i64)> = stmt
                .query_map([a, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            sql_times.push(ms_since(t));
            sql_count = rows.len();
        }
        anyhow::ensure!(
            count == sql_count,
            "{name}: the API gave {count} trips, SQLite {sql_count}"
        );
        counts.insert(name.into(), count.into());
        api.insert(name.into(), crate::budget::stats(times));
        sql.insert(name.into(), crate::budget::stats(sql_times));
    }
    let totals_path = "/bench/selfdata/mobility/api/totals?from=2025-01-01&to=2026-01-01";
    let mut times = Vec::with_capacity(requests);
    for i in 0..=requests {
        let request = ask(totals_path)?;
        let t = Instant::now();
        let response = router.clone().oneshot(request).await?;
        let status = response.status();
        let _ = response.into_body().collect().await?;
        if i > 0 {
            times.push(ms_since(t));
        }
        anyhow::ensure!(status.is_success(), "{totals_path} answered {status}");
    }
    api.insert("totals_year".into(), crate::budget::stats(times));

    Ok(serde_json::json!({
        "file_bytes": written.bytes,
        "file_points": written.points,
        "trips": found.len(),
        "import_seconds": import_s,
        "cold_first_page_ms": cold_ms,
        "day": day.to_string(),
        "pages_ms": out_pages,
        "api_trips_ms": api,
        "sqlite_select_ms": sql,
        "rows_returned": counts,
    }))
}
