//! `selfdata-bench archives`: the GDPR archive benchmark (issue 13). A
//! generated Google Takeout of `--size-mb` (1 GB by default; My Activity in
//! JSON in French, the rest filler as a real Takeout's photos are) is
//! written streamed to a temporary directory, then, each in its own process
//! measured by `/usr/bin/time` (wall time and peak resident size):
//!
//! - baseline: `unzip -p` of the archive to `/dev/null` (every file
//!   decompressed, nothing kept);
//! - the reader alone: `selfdata_archives::read_archive` over the file;
//! - `selfdata import` end to end: `App::import_file` on the file where it
//!   is (hashed, read, evidence written, the archive kept sealed in the pod,
//!   one commit).
//!
//! Prints one JSON object; `bench/archives.sh` writes it to `bench/results/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context as _;
use selfdata::{App, Options, Upload};
use selfdata_archives::generate::{Shape, Spec};
use selfdata_store::PodName;

/// Arguments of `selfdata-bench archives`.
#[derive(Debug, clap::Args)]
pub struct ArchivesArgs {
    /// Size of the generated archive, in MB.
    #[arg(long, default_value_t = 1000)]
    pub size_mb: u64,
    /// Where the archive is written (a temporary directory inside it).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Arguments of the hidden `archives-phase` subcommand.
#[derive(Debug, clap::Args)]
pub struct PhaseArgs {
    /// `read` or `import`.
    pub phase: String,
    #[arg(long)]
    pub file: PathBuf,
}

/// Runs `program` with `args` under `/usr/bin/time`: its stdout (thrown
/// away unread when `discard`), seconds and peak RSS in MB.
pub(crate) fn timed(
    program: &std::ffi::OsStr,
    args: &[&std::ffi::OsStr],
    discard: bool,
) -> anyhow::Result<(String, f64, f64)> {
    let report = tempfile::NamedTempFile::new()?;
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(report.path())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if discard {
        c.stdout(Stdio::null());
    }
    let out = c.output().context("run /usr/bin/time")?;
    anyhow::ensure!(out.status.success(), "{program:?} failed");
    let said = std::fs::read_to_string(report.path())?;
    let mut fields = said
        .lines()
        .last()
        .context("no report from /usr/bin/time")?
        .split_whitespace();
    let seconds: f64 = fields.next().context("no time")?.parse()?;
    let kb: f64 = fields.next().context("no memory")?.parse()?;
    Ok((
        String::from_utf8(out.stdout)?,
        seconds,
        kb * 1024.0 / 1_000_000.0,
    ))
}

pub fn run(args: &ArchivesArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let path = dir.path().join("takeout-20261204T000000Z-001.zip");
    eprintln!("archives: writing a {} MB Takeout…", args.size_mb);
    let started = Instant::now();
    let spec = Spec::of_size(20261204, Shape::Takeout, args.size_mb * 1_000_000);
    let truth = selfdata_archives::generate::write(
        &spec,
        std::io::BufWriter::new(std::fs::File::create(&path)?),
    )?;
    let write_s = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();

    eprintln!("archives: unzip -p…");
    let (_, unzip_s, unzip_mb) = timed("unzip".as_ref(), &["-p".as_ref(), path.as_os_str()], true)?;

    let exe = std::env::current_exe()?;
    let phase = |name: &str| -> anyhow::Result<(serde_json::Value, f64, f64)> {
        eprintln!("archives: {name}…");
        let args = [
            "archives-phase".as_ref(),
            name.as_ref(),
            "--file".as_ref(),
            path.as_os_str(),
        ];
        let (out, s, mb) = timed(exe.as_os_str(), &args, false)?;
        Ok((serde_json::from_str(&out)?, s, mb))
    };
    let (read, read_s, read_mb) = phase("read")?;
    let (import, import_s, import_mb) = phase("import")?;
    anyhow::ensure!(
        read["evidence"].as_u64() == Some(truth.evidence.len() as u64),
        "the reader found {} pieces of evidence, {} were written",
        read["evidence"],
        truth.evidence.len()
    );
    let result = serde_json::json!({
        "archive": {
            "bytes": bytes,
            "items": truth.items,
            "evidence": truth.evidence.len(),
            "write_seconds": write_s,
        },
        "unzip": { "seconds": unzip_s, "peak_rss_mb": unzip_mb },
        "read": { "seconds": read_s, "peak_rss_mb": read_mb, "out": read },
        "import": { "seconds": import_s, "peak_rss_mb": import_mb, "out": import },
        "read_vs_unzip_time": read_s / unzip_s,
        "import_vs_unzip_time": import_s / unzip_s,
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// One phase, in this process; prints its figures.
pub fn phase(args: &PhaseArgs) -> anyhow::Result<()> {
    let out = match args.phase.as_str() {
        "read" => {
            let t = Instant::now();
            let file = std::io::BufReader::new(std::fs::File::open(&args.file)?);
            let archive = selfdata_archives::read_archive(file, |_| {})?;
            serde_json::json!({
                "seconds": t.elapsed().as_secs_f64(),
                "evidence": archive.evidence.len(),
                "decompressed": archive.tally.decompressed,
            })
        }
        "import" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(import(&args.file))?,
        other => anyhow::bail!("no phase {other}"),
    };
    println!("{out}");
    Ok(())
}

async fn import(path: &Path) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile::tempdir_in(path.parent().unwrap_or(Path::new(".")))?;
    let app = App::open(Options::new(dir.path(), "http://127.0.0.1:9"))
        .await
        .context("open the app")?;
    let pod = PodName::parse("bench")?;
    app.idp
        .create_account("bench@selfdata.local", "bench-password-1", &pod)
        .await?;
    let t = Instant::now();
    let owned = path.to_owned();
    let upload = tokio::task::spawn_blocking(move || Upload::from_path(&owned)).await??;
    let summary = app
        .import_file(&pod, upload)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(serde_json::json!({
        "seconds": t.elapsed().as_secs_f64(),
        "evidence": summary.readings,
        "organisations": summary.changed,
        "service": summary.service,
    }))
}
