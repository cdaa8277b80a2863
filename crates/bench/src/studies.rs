//! Private aggregation for studies: the participant's time to make a report
//! (shard and seal), and the two aggregators' throughput end to end (upload,
//! aggregation jobs, collection, over loopback HTTP with their SQLite files),
//! each against the `prio` crate's own in-process round trip (shard, verify
//! at both aggregators, aggregate, unshard: no encoding, no HPKE, no HTTP, no
//! database) measured in the same run. Prints one JSON line.

use std::time::{Duration, Instant};

use prio::vdaf::prio3::{Prio3, Prio3Histogram, Prio3SumVec};
use prio::vdaf::xof::XofTurboShake128;
use prio::vdaf::{Aggregatable, Aggregator, Client, Collector, VerifyTransition};
use selfdata_aggregator::client::Aggregators;
use selfdata_aggregator::{Aggregator as Server, Config, Role};
use selfdata_studies::dap::{self, HpkeKeypair, Task};
use selfdata_studies::vdaf::Measure;

#[derive(Debug, clap::Args)]
pub struct StudiesArgs {
    /// Reports per measure sent through the two aggregators.
    #[arg(long, default_value_t = 20_000)]
    reports: usize,
    /// Reports for the client-side and in-process timings.
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
}

/// CPU seconds this process used so far (user + system, all threads).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime is the
    // 14th field, stime the 15th, in clock ticks (100 per second on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// `prio`'s own round trip for one measurement, as its `run_vdaf` does it.
fn prio_round_trip<T: prio::flp::Type>(
    vdaf: &Prio3<T, XofTurboShake128, 32>,
    measurements: &[T::Measurement],
) -> T::AggregateResult {
    let key = [1u8; 32];
    let ctx = b"bench";
    let mut totals = [vdaf.aggregate_init(&()), vdaf.aggregate_init(&())];
    for (i, m) in measurements.iter().enumerate() {
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let (public, inputs) = vdaf.shard(ctx, m, &nonce).expect("shard");
        let mut states = Vec::new();
        let mut shares = Vec::new();
        for (id, input) in inputs.iter().enumerate() {
            let (state, share) = vdaf
                .verify_init(&key, ctx, id, &(), &nonce, &public, input)
                .expect("verify_init");
            states.push(state);
            shares.push(share);
        }
        let message = vdaf
            .verifier_shares_to_message(ctx, &(), shares)
            .expect("message");
        for (total, state) in totals.iter_mut().zip(states) {
            match vdaf
                .verify_next(ctx, state, message.clone())
                .expect("verify_next")
            {
                VerifyTransition::Finish(out) => total.accumulate(&out).expect("accumulate"),
                VerifyTransition::Continue(..) => panic!("Prio3 verifies in one round"),
            }
        }
    }
    vdaf.unshard(&(), totals, measurements.len())
        .expect("unshard")
}

struct Case {
    name: &'static str,
    measure: Measure,
    value: fn(usize) -> Vec<u64>,
}

fn cases() -> [Case; 2] {
    [
        Case {
            name: "histogram-100",
            measure: Measure::Histogram { buckets: 100 },
            value: |i| vec![(i * 37 % 100) as u64],
        },
        Case {
            name: "sumvec-12",
            measure: Measure::SumVec {
                length: 12,
                max: 100_000,
            },
            value: |i| (0..12).map(|m| ((i * 7 + m * 13) % 1000) as u64).collect(),
        },
    ]
}

async fn serve(router: axum::Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(url)
}

pub async fn run(args: &StudiesArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let secret = b"bench-peer-secret-0123456789".to_vec();
    let token = "bench-collector-token-0123456789".to_owned();
    let helper = Server::open(
        Config {
            role: Role::Helper,
            peer_url: None,
            peer_secret: secret.clone(),
            admin_token: token.clone(),
        },
        &dir.path().join("helper.sqlite"),
    )?;
    let helper_url = serve(helper.router()).await?;
    let leader = Server::open(
        Config {
            role: Role::Leader,
            peer_url: Some(helper_url.clone()),
            peer_secret: secret,
            admin_token: token.clone(),
        },
        &dir.path().join("leader.sqlite"),
    )?;
    leader.spawn_worker();
    let leader_url = serve(leader.router()).await?;
    let aggregators = Aggregators::new(&leader_url, &helper_url, &token);
    let configs = aggregators.hpke_configs().await?;
    let collector = HpkeKeypair::generate(3);

    let mut out = serde_json::Map::new();
    out.insert("reports".into(), args.reports.into());
    out.insert("samples".into(), args.samples.into());
    for case in cases() {
        let task = Task {
            id: case.name.to_owned(),
            measure: case.measure.clone(),
            min_batch_size: 11,
            collector_hpke_config: collector.config.clone(),
            epsilon_milli: None,
        };
        // The participant: shard and seal one report.
        let started = Instant::now();
        for i in 0..args.samples {
            dap::make_report(
                &task,
                &configs.0,
                &configs.1,
                &(case.value)(i),
                1_767_225_600,
            )?;
        }
        let client_us = started.elapsed().as_secs_f64() * 1e6 / args.samples as f64;

        // prio's own round trip, in process.
        let started = Instant::now();
        let prio_result: Vec<u128> = match &case.measure {
            Measure::Histogram { buckets } => {
                let v = Prio3Histogram::new_histogram(2, *buckets, 10)?;
                let ms: Vec<usize> = (0..args.samples)
                    .map(|i| (case.value)(i)[0] as usize)
                    .collect();
                prio_round_trip(&v, &ms)
            }
            Measure::SumVec { length, max } => {
                let bits = 64 - max.leading_zeros() as usize;
                let chunk = ((length * bits) as f64).sqrt().ceil() as usize;
                let v = Prio3SumVec::new_sum_vec(2, u128::from(*max), *length, chunk)?;
                let ms: Vec<Vec<u128>> = (0..args.samples)
                    .map(|i| (case.value)(i).into_iter().map(u128::from).collect())
                    .collect();
                prio_round_trip(&v, &ms)
            }
            _ => Vec::new(),
        };
        let prio_s = started.elapsed().as_secs_f64();
        anyhow::ensure!(!prio_result.is_empty(), "prio's round trip gave no result");
        let prio_per_s = args.samples as f64 / prio_s;

        // End to end through the two aggregators: the reports are made
        // first (the participants' side, timed above), then uploaded as the
        // pods' server does (200 per request) and collected.
        aggregators.provision(&task).await?;
        let reports: Vec<_> = (0..args.reports)
            .map(|i| {
                dap::make_report(
                    &task,
                    &configs.0,
                    &configs.1,
                    &(case.value)(i),
                    1_767_225_600,
                )
            })
            .collect::<Result<_, _>>()?;
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        aggregators.upload_many(&task.id, &reports).await?;
        let uploaded_s = started.elapsed().as_secs_f64();
        let (count, result) = aggregators
            .collect(&task, &collector, Duration::from_secs(3600))
            .await?;
        let total_s = started.elapsed().as_secs_f64();
        let cpu_s = cpu_seconds() - cpu_before;
        anyhow::ensure!(count == args.reports as u64, "{count} reports added");
        let mut expected = vec![0u128; case.measure.result_len()];
        for i in 0..args.reports {
            let v = (case.value)(i);
            match case.measure {
                Measure::Histogram { .. } => expected[v[0] as usize] += 1,
                _ => {
                    for (e, x) in expected.iter_mut().zip(v) {
                        *e += u128::from(x);
                    }
                }
            }
        }
        anyhow::ensure!(
            result == expected,
            "the result differs from the sum of the inputs"
        );
        let e2e_per_s = args.reports as f64 / total_s;
        let e2e_per_cpu_s = args.reports as f64 / cpu_s.max(1e-9);
        out.insert(
            case.name.into(),
            serde_json::json!({
                "client_us_per_report": client_us,
                "prio_round_trip_reports_per_s": prio_per_s,
                "end_to_end_s": total_s,
                "upload_s": uploaded_s,
                "end_to_end_reports_per_s": e2e_per_s,
                "end_to_end_cpu_s": cpu_s,
                "end_to_end_reports_per_cpu_s": e2e_per_cpu_s,
                "end_to_end_vs_prio": e2e_per_s / prio_per_s,
                "leader_db_bytes": std::fs::metadata(dir.path().join("leader.sqlite")).map(|m| m.len()).unwrap_or(0),
            }),
        );
    }
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
