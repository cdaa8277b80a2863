//! `selfdata-bench`: the tools behind `bench/run.sh`. A closed-loop HTTP/1.1
//! load generator (`load`), the two ceilings the pod server is measured
//! against (`baseline-server`: a bare axum handler serving a body read from
//! SQLite; `fsync-baseline`: bare durable SQLite commits per second), a
//! generator for the Turtle document the scenarios use (`gen-turtle`), and the
//! assembly of every measurement into JSON and a markdown table (`report`);
//! the energy (`energy`), money (`budget`) and mobility (`mobility`)
//! benchmarks over `App`.
//! This is a benchmark, not a test: it prints figures and judges nothing
//! except whether a run saw errors.

mod archives;
mod backup;
mod baseline;
mod budget;
mod control;
mod energy;
mod holders;
mod load;
mod mobility;
mod notify;
mod pods;
mod report;
mod studies;
mod translog;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Benchmark tools for selfdata.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Closed-loop load: N keep-alive connections, each sending its next
    /// request as soon as the last answer is read. Prints one JSON line.
    Load(load::LoadArgs),
    /// The ceiling: a bare axum handler returning a body read from SQLite.
    BaselineServer {
        /// Address and port to listen on.
        #[arg(long)]
        addr: SocketAddr,
        /// The SQLite file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// Store this file's bytes as the body (`UNIQUE` becomes zeros).
        /// Without it, a generated 2 KB Turtle document is stored unless the
        /// database already holds one.
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// For finding where a server's time goes: wrap the bare handler in
        /// some of the layers the pod server uses, comma-separated, from
        /// `trace` (tower-http TraceLayer with an info span, as selfdata
        /// makes it; spans are recorded only if a subscriber is installed, see
        /// `--log`), `request-id` (x-request-id from a UUID v4, set and
        /// propagated), `catch-panic`, `from-fn` (an axum `from_fn`
        /// middleware appending a header), `map-response`, `headers` (the
        /// ~620 bytes of Link/Allow/Accept-*/ETag headers a selfdata GET
        /// carries), or `all`.
        #[arg(long, value_delimiter = ',')]
        layers: Vec<String>,
        /// Install a tracing subscriber writing to stderr at this level
        /// (`info`, `warn`, ...), like `SELFDATA_LOG`.
        #[arg(long)]
        log: Option<String>,
    },
    /// Bare SQLite commits per second: one INSERT per transaction, WAL,
    /// synchronous=FULL. Prints one JSON line.
    FsyncBaseline {
        /// The SQLite file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// How long to commit for.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Print a Turtle document of about BYTES bytes holding the placeholder
    /// `UNIQUE` once, in a literal (the load generator replaces it).
    GenTurtle {
        #[arg(long, default_value_t = 2048)]
        bytes: usize,
    },
    /// Print a year-by-year half-hourly electricity curve (Enedis CSV) for
    /// `selfdata import`.
    GenEnergy {
        #[arg(long, default_value_t = 3)]
        years: i16,
    },
    /// Create many pods on a PostgreSQL database; prints one JSON line.
    Pods(pods::PodsArgs),
    /// Assemble the JSON lines of a run into the results JSON and markdown.
    Report(report::ReportArgs),
    /// The cost of encryption at rest and access logging: the same
    /// requests with both on and both off, same build, one run.
    Control {
        /// Requests per measure.
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        /// Alternating rounds (the median is kept).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Solid Notifications: latency from a PUT to its notification with
    /// 1, 100 and 5,000 subscriptions, and the PUT throughput cost of 5,000
    /// subscriptions against notifications off, same build, one run.
    Notify {
        /// PUTs per measure.
        #[arg(long, default_value_t = 500)]
        writes: usize,
        /// Alternating rounds of the throughput measure (the median is kept).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// A backup of a city-sized data folder under a steady load, against a
    /// plain copy of the folder and the same load without a backup.
    Backup(backup::BackupArgs),
    /// The energy benchmark: ten-year import, monthly aggregation through
    /// the API against an SQL GROUP BY baseline, dashboard server time.
    Energy {
        /// Timed requests per measurement.
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// The money benchmark: ten years of three accounts imported end to
    /// end (and again), the transactions API for a month and ten years, the
    /// budget page, each against a bare SQLite baseline of the same run.
    Budget {
        /// Timed requests per measurement.
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// The mobility benchmark: a million points segmented, a large
    /// Records.json imported (time and peak memory) against a plain
    /// streaming parse, the mobility pages and API of a pod with a year of
    /// trips; each phase in a child process, each against a baseline of
    /// the same run.
    Mobility(mobility::MobilityArgs),
    /// One phase of the mobility benchmark, in this process (which reports
    /// its peak memory).
    #[command(hide = true)]
    MobilityPhase(mobility::PhaseArgs),
    /// The GDPR archive benchmark: a generated 1 GB Google Takeout read
    /// and imported end to end (time and peak memory), against `unzip -p`
    /// of the same archive in the same run.
    Archives(archives::ArchivesArgs),
    /// One phase of the archive benchmark, in this process.
    #[command(hide = true)]
    ArchivesPhase(archives::PhaseArgs),
    /// The data holders' benchmark: a daily water file for 100,000 meters
    /// (30,000 residents connected) pushed once, against the same imports
    /// made one resident at a time, in the same run (time and peak memory).
    Holders(holders::HoldersArgs),
    /// One phase of the holders' benchmark, in this process.
    #[command(hide = true)]
    HoldersPhase(holders::PhaseArgs),
    /// Private aggregation for studies: a participant's time per report and
    /// the two aggregators' throughput end to end, each against prio's own
    /// in-process round trip in the same run. Prints one JSON line.
    Studies(studies::StudiesArgs),
    /// The access log's Merkle tree: build a log of N entries in memory,
    /// then proof sizes and verification times at N. Prints one JSON line.
    Translog {
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Proofs generated and verified per measurement.
        #[arg(long, default_value_t = 2000)]
        samples: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Load(args) => load::run(&args),
        Command::BaselineServer {
            addr,
            db,
            body_file,
            layers,
            log,
        } => baseline::serve(addr, &db, body_file.as_deref(), &layers, log.as_deref()),
        Command::FsyncBaseline { db, seconds } => baseline::fsync(&db, seconds),
        Command::GenTurtle { bytes } => {
            print!("{}", baseline::turtle_template(bytes));
            Ok(())
        }
        Command::GenEnergy { years } => {
            print!(
                "{}",
                energy::ten_year_curve(jiff::civil::date(2024, 1, 1), years)
            );
            Ok(())
        }
        Command::Pods(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(pods::run(&args))),
        Command::Report(args) => report::run(&args),
        Command::Translog { entries, samples } => translog::run(entries, samples),
        Command::Notify { writes, rounds } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(notify::run(writes, rounds))),
        Command::Mobility(args) => mobility::run(&args),
        Command::MobilityPhase(args) => mobility::phase(&args),
        Command::Archives(args) => archives::run(&args),
        Command::ArchivesPhase(args) => archives::phase(&args),
        Command::Holders(args) => holders::run(&args),
        Command::HoldersPhase(args) => holders::phase(&args),
        Command::Control { requests, rounds } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(control::run(requests, rounds))),
        Command::Budget { requests } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(budget::run(requests))),
        Command::Backup(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(backup::run(&args))),
        Command::Studies(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(studies::run(&args))),
        Command::Energy { requests } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(energy::run(requests))),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("selfdata-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
