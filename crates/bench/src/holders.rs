//! `selfdata-bench holders`: a data holder's daily push (issue 14) against
//! the same imports made one resident at a time, in the same run.
//!
//! Setup (not timed): a data folder with a registered water holder and
//! `--consenting` pods connected to it (`connect_pod`, as the page does),
//! copied once so that both paths start from the same state; the holder's
//! daily file for `--customers` meters (one row each, the water portal's
//! layout with a meter column) written to disk.
//! Timed, each in a child process under `/usr/bin/time` (wall time, peak
//! RSS): `push`, the file posted to `POST /holders/v1/pushes` through the
//! whole router, until the signed receipt; and the
//! baseline `one-by-one`, each consenting customer's own rows (split
//! beforehand, not timed) imported through the resident's import path
//! (`App::import_file`, what an upload's job runs), one file after another.
//! Prints one JSON object; `bench/holders.sh` writes it to `bench/results/`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt as _;
use selfdata::{App, Options, Upload};
use selfdata_store::PodName;
use tower::ServiceExt as _;

const BASE: &str = "http://bench.local";
const SECRET: &str = "bench-holder-secret";
const COLUMN: &str = "Numéro de compteur";

#[derive(Debug, clap::Args)]
pub struct HoldersArgs {
    /// Meters in the holder's daily file.
    #[arg(long, default_value_t = 100_000)]
    pub customers: usize,
    /// Of them, residents connected to the holder (each a pod).
    #[arg(long, default_value_t = 30_000)]
    pub consenting: usize,
    /// Where the data folders are made (a temporary directory inside it).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The server's open-pod cache in both paths (its default when not given).
    #[arg(long)]
    pub max_open_pods: Option<usize>,
    /// Keep the data folders, the file and a copy of the folder before
    /// either phase (`setup`, to profile a phase again with
    /// `holders-phase`); their place is printed.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, clap::Args)]
pub struct PhaseArgs {
    /// `push` or `one-by-one`.
    pub phase: String,
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long)]
    pub file: PathBuf,
    #[arg(long)]
    pub consenting: usize,
    #[arg(long)]
    pub max_open_pods: Option<usize>,
}

fn meter(i: usize) -> String {
    format!("M{i:07}")
}

fn pod(i: usize) -> anyhow::Result<PodName> {
    Ok(PodName::parse(&format!("r{i:06}"))?)
}

const HEADER: &str =
    "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé";

fn row(i: usize) -> String {
    format!(
        "04/12/2026 12:00;{};{};Mesuré",
        1_000_000 + i * 7,
        100 + i % 300
    )
}

pub fn run(args: &HoldersArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.consenting <= args.customers,
        "more consenting than customers"
    );
    let dir = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let push_data = dir.path().join("push");
    let one_data = dir.path().join("one-by-one");
    let file = dir.path().join("daily.csv");
    eprintln!("holders: {} pods connecting…", args.consenting);
    let started = Instant::now();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(setup(&push_data, args.consenting))?;
    let setup_s = started.elapsed().as_secs_f64();
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(&push_data)
        .arg(&one_data)
        .status()?;
    anyhow::ensure!(copied.success(), "cp -a failed");
    if args.keep {
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(&push_data)
            .arg(dir.path().join("setup"))
            .status()?;
        anyhow::ensure!(copied.success(), "cp -a failed");
    }
    let mut text = format!("Export du 05/12/2026\n{COLUMN};{HEADER}\n");
    for i in 0..args.customers {
        text.push_str(&format!("{};{}\n", meter(i), row(i)));
    }
    std::fs::write(&file, &text)?;

    let exe = std::env::current_exe()?;
    let phase = |name: &str, data: &Path| -> anyhow::Result<(serde_json::Value, f64, f64)> {
        eprintln!("holders: {name}…");
        let consenting = args.consenting.to_string();
        let open = args.max_open_pods.map(|n| n.to_string());
        let mut a: Vec<&std::ffi::OsStr> = vec![
            "holders-phase".as_ref(),
            name.as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
            "--file".as_ref(),
            file.as_os_str(),
            "--consenting".as_ref(),
            consenting.as_ref(),
        ];
        if let Some(open) = &open {
            a.push(std::ffi::OsStr::new("--max-open-pods"));
            a.push(std::ffi::OsStr::new(open.as_str()));
        }
        let (out, s, mb) = crate::archives::timed(exe.as_os_str(), &a, false)?;
        Ok((serde_json::from_str(&out)?, s, mb))
    };
    let (push, push_s, push_mb) = phase("push", &push_data)?;
    let (one, one_s, one_mb) = phase("one-by-one", &one_data)?;
    anyhow::ensure!(
        push["delivered"].as_u64() == Some(args.consenting as u64),
        "the push delivered {}, not {}",
        push["delivered"],
        args.consenting
    );
    let result = serde_json::json!({
        "customers": args.customers,
        "consenting": args.consenting,
        "file_bytes": text.len(),
        "setup_seconds": setup_s,
        "max_open_pods": args.max_open_pods,
        "push": { "seconds": push_s, "peak_rss_mb": push_mb, "out": push },
        "one_by_one": { "seconds": one_s, "peak_rss_mb": one_mb, "out": one },
        "one_by_one_vs_push_time": one["seconds"].as_f64().unwrap_or(f64::NAN)
            / push["seconds"].as_f64().unwrap_or(f64::NAN),
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    if args.keep {
        eprintln!("holders: kept {}", dir.keep().display());
    }
    Ok(())
}

async fn setup(data: &Path, consenting: usize) -> anyhow::Result<()> {
    let app = App::open(Options::new(data, BASE))
        .await
        .context("open the app")?;
    let holder = selfdata_store::holders::Holder {
        id: "eau".into(),
        name: "Eau du Grand Lyon".into(),
        contact: "dpo@eau.example".into(),
        categories: vec!["water".into()],
        identifier: COLUMN.into(),
        layout: selfdata_store::holders::Layout::Column,
        column: COLUMN.into(),
        secret_hash: selfdata_holders::secret_hash(SECRET),
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    };
    selfdata_store::HolderRegistry::put_holder(app.store.as_ref(), &holder).await?;
    for i in 0..consenting {
        let p = pod(i)?;
        app.create_pod(&p).await?;
        selfdata_holders_web::pages::connect_pod(&app.holders, &p, "eau", &meter(i))
            .await
            .map_err(|e| anyhow::anyhow!("connect {i}: {e}"))?;
        if i % 1000 == 999 {
            eprintln!("holders: {} pods", i + 1);
        }
    }
    Ok(())
}

/// One phase, in this process; prints its figures.
pub fn phase(args: &PhaseArgs) -> anyhow::Result<()> {
    let out = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let mut options = Options::new(&args.data, BASE);
            options.max_open_pods = args.max_open_pods;
            let app = App::open(options).await.context("open the app")?;
            match args.phase.as_str() {
                "push" => push(&app, &args.file).await,
                "one-by-one" => one_by_one(&app, &args.file, args.consenting).await,
                other => anyhow::bail!("no phase {other}"),
            }
        })?;
    println!("{out}");
    Ok(())
}

async fn push(app: &App, file: &Path) -> anyhow::Result<serde_json::Value> {
    let t = Instant::now();
    // The daily file is a few MB: read whole, the server still reads it as frames.
    let body = Body::from(tokio::fs::read(file).await?);
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("eau:{SECRET}"),
    );
    let request = Request::post("/holders/v1/pushes")
        .header(header::AUTHORIZATION, format!("Basic {auth}"))
        .header("idempotency-key", "bench-daily")
        .header(header::CONTENT_TYPE, "text/csv")
        .body(body)?;
    let response = app.router().oneshot(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.is_success(),
        "push: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    let answer: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(serde_json::json!({
        "seconds": t.elapsed().as_secs_f64(),
        "delivered": answer["delivered"],
        "skipped": answer["skipped"],
        "failed": answer["failed"],
    }))
}

async fn one_by_one(
    app: &App,
    file: &Path,
    consenting: usize,
) -> anyhow::Result<serde_json::Value> {
    // Each resident's own file, as they would download it (not timed).
    let _ = file;
    let files: Vec<Vec<u8>> = (0..consenting)
        .map(|i| format!("{HEADER}\n{}\n", row(i)).into_bytes())
        .collect();
    let t = Instant::now();
    let mut imported = 0;
    for (i, f) in files.into_iter().enumerate() {
        app.import_file(&pod(i)?, Upload::from(f))
            .await
            .map_err(|e| anyhow::anyhow!("import {i}: {e}"))?;
        imported += 1;
    }
    Ok(serde_json::json!({
        "seconds": t.elapsed().as_secs_f64(),
        "imported": imported,
    }))
}
