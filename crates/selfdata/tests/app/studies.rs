//! Collective studies: the two aggregators as real processes of the binary
//! (`selfdata aggregator --role leader|helper`, each with its own database
//! and key), reached over loopback by the collector's client, which here also
//! plays the participants' server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use selfdata_aggregator::AggregatorError;
use selfdata_aggregator::client::Aggregators;
use selfdata_studies::dap::{self, HpkeConfig, HpkeKeypair, Task};
use selfdata_studies::vdaf::{Measure, Sharded, Vdaf};

const BIN: &str = env!("CARGO_BIN_EXE_selfdata");
const TOKEN: &str = "collector-token-for-tests";
const SECRET: &str = "the-two-operators-shared-secret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One aggregator process; killed when dropped.
struct Process {
    child: Child,
    url: String,
    folder: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(role: &str, folder: &Path, peer: Option<&str>) -> Process {
    let port = free_port();
    std::fs::create_dir_all(folder).unwrap();
    let log = std::fs::File::create(folder.join("log.txt")).unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["aggregator", "--role", role])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(folder.join("aggregator.sqlite"))
        .env("SELFDATA_AGGREGATOR_PEER_SECRET", SECRET)
        .env("SELFDATA_AGGREGATOR_TOKEN", TOKEN)
        .env("SELFDATA_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log);
    if let Some(peer) = peer {
        command.args(["--peer-url", peer]);
    }
    Process {
        child: command.spawn().unwrap(),
        url: format!("http://127.0.0.1:{port}"),
        folder: folder.to_owned(),
    }
}

async fn wait_up(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = reqwest::Client::new();
    loop {
        if let Ok(r) = client.get(format!("{url}/hpke_config")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the aggregator did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Study {
    _dir: tempfile::TempDir,
    helper: Process,
    leader: Process,
    aggregators: Aggregators,
    configs: (HpkeConfig, HpkeConfig),
    collector: HpkeKeypair,
}

async fn two_aggregators() -> Study {
    let dir = tempfile::tempdir().unwrap();
    let helper = start("helper", &dir.path().join("helper"), None);
    wait_up(&helper.url).await;
    let leader = start("leader", &dir.path().join("leader"), Some(&helper.url));
    wait_up(&leader.url).await;
    let aggregators = Aggregators::new(&leader.url, &helper.url, TOKEN);
    let configs = aggregators.hpke_configs().await.unwrap();
    Study {
        _dir: dir,
        helper,
        leader,
        aggregators,
        configs,
        collector: HpkeKeypair::generate(7),
    }
}

fn task(id: &str, measure: Measure, collector: &HpkeKeypair) -> Task {
    Task {
        id: id.into(),
        measure,
        min_batch_size: 11,
        collector_hpke_config: collector.config.clone(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Every file an aggregator wrote: its database (with its journal) and its log.
fn files_of(folder: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[tokio::test]
async fn a_study_adds_every_verified_report_once_and_no_aggregator_keeps_a_share() {
    let s = two_aggregators().await;
    let measure = Measure::Histogram { buckets: 10 };
    let task = task("monthly-kwh", measure.clone(), &s.collector);
    s.aggregators.provision(&task).await.unwrap();
    // Provisioning again is harmless; another task under the same id is not.
    s.aggregators.provision(&task).await.unwrap();
    let mut other = task.clone();
    other.min_batch_size = 50;
    assert!(matches!(
        s.aggregators.provision(&other).await,
        Err(AggregatorError::Refused(_))
    ));

    let vdaf = Vdaf::new(&measure, task.id.as_bytes()).unwrap();
    let mut expected = vec![0u128; 10];
    let mut shares: Vec<Sharded> = Vec::new();
    let mut reports = Vec::new();
    for i in 0..30u64 {
        let value = (i * 7) % 10;
        expected[value as usize] += 1;
        let id: [u8; 16] = rand::random();
        let sharded = vdaf.shard(&measure, &[value], &id).unwrap();
        shares.push(sharded.clone());
        let report = dap::seal_report(
            &task,
            &s.configs.0,
            &s.configs.1,
            id,
            dap::report_time(now()),
            sharded,
        )
        .unwrap();
        s.aggregators.upload(&task.id, &report).await.unwrap();
        reports.push(report);
    }
    // A replay of a report already sent: kept once.
    s.aggregators.upload(&task.id, &reports[3]).await.unwrap();
    // A malicious participant alters its leader share so that the value it
    // stands for is out of range (a bucket of 2, or of -1): the proof fails.
    let id: [u8; 16] = rand::random();
    let mut bad = vdaf.shard(&measure, &[4], &id).unwrap();
    bad.leader_share[0] ^= 1;
    let bad = dap::seal_report(
        &task,
        &s.configs.0,
        &s.configs.1,
        id,
        dap::report_time(now()),
        bad,
    )
    .unwrap();
    s.aggregators.upload(&task.id, &bad).await.unwrap();
    // Only the collector's token may upload.
    let anonymous = reqwest::Client::new()
        .put(format!("{}/tasks/{}/reports", s.leader.url, task.id))
        .json(&reports[0])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    // Nor may anyone but the leader call the helper's aggregation.
    let forged = reqwest::Client::new()
        .put(format!(
            "{}/tasks/{}/aggregation_jobs/x",
            s.helper.url, task.id
        ))
        .bearer_auth(TOKEN)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let (count, result) = s
        .aggregators
        .collect(&task, &s.collector, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(count, 30, "each honest report once, the altered one not");
    assert_eq!(result, expected);
    let leader = s.aggregators.status(&s.leader.url, &task.id).await.unwrap();
    assert_eq!((leader.reports_added, leader.reports_rejected), (30, 1));
    assert!(leader.collected);

    // The study is closed: a late report is refused with a sentence.
    let late = dap::make_report(&task, &s.configs.0, &s.configs.1, &[1], now()).unwrap();
    match s.aggregators.upload(&task.id, &late).await {
        Err(AggregatorError::Refused(sentence)) => assert!(sentence.contains("closed")),
        other => panic!("a late report was not refused: {other:?}"),
    }

    // Neither aggregator's database nor its log holds any plaintext share.
    for folder in [&s.leader.folder, &s.helper.folder] {
        for (path, bytes) in files_of(folder) {
            for share in &shares {
                for plain in [&share.leader_share, &share.helper_share] {
                    let needle = &plain[..32];
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle),
                        "{} holds a share",
                        path.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn below_the_minimum_no_result_is_released() {
    let s = two_aggregators().await;
    let task = task("small-study", Measure::Sum { max: 1000 }, &s.collector);
    s.aggregators.provision(&task).await.unwrap();
    for i in 0..10 {
        s.aggregators
            .contribute(&task, &s.configs, &[100 + i], now())
            .await
            .unwrap();
    }
    match s
        .aggregators
        .collect(&task, &s.collector, Duration::from_secs(60))
        .await
    {
        Err(AggregatorError::Refused(sentence)) => {
            assert!(
                sentence.contains("fewer than the minimum of 11"),
                "{sentence}"
            )
        }
        other => panic!("a result of 10 reports was released: {other:?}"),
    }
    // No job of fewer reports than the minimum was run: the ten wait at the
    // leader, and the helper, asked for its total of nothing, refuses too.
    let leader = s.aggregators.status(&s.leader.url, &task.id).await.unwrap();
    assert_eq!((leader.reports_added, leader.reports_waiting), (0, 10));
    let asked = reqwest::Client::new()
        .post(format!(
            "{}/tasks/{}/aggregate_shares",
            s.helper.url, task.id
        ))
        .bearer_auth(dap::peer_token(SECRET.as_bytes()))
        .json(&dap::AggregateShareReq {
            report_count: 0,
            checksum: dap::Bytes(vec![0; 32]),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 400);
    let problem: serde_json::Value = asked.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:ietf:params:ppm:dap:error:invalidBatchSize"
    );
    // A task below the floor of 10 cannot even be provisioned.
    let mut tiny = task.clone();
    tiny.id = "tiny".into();
    tiny.min_batch_size = 5;
    assert!(s.aggregators.provision(&tiny).await.is_err());
}
