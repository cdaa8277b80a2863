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
    let port = crate::e2e::free_port();
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

/// The helper, then the leader pointed at it, each up.
async fn helper_and_leader(dir: &Path) -> (Process, Process) {
    let helper = start("helper", &dir.join("helper"), None);
    wait_up(&helper.url).await;
    let leader = start("leader", &dir.join("leader"), Some(&helper.url));
    wait_up(&leader.url).await;
    (helper, leader)
}

async fn two_aggregators() -> Study {
    let dir = tempfile::tempdir().unwrap();
    let (helper, leader) = helper_and_leader(dir.path()).await;
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
        epsilon_milli: None,
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

// ---------------------------------------------------------------------------
// From proposal to published open data: the pods' server (this process, over
// loopback) with the two aggregator processes.

use crate::common::{self, Server};
use selfdata_store::PodName;
use selfdata_studies_web::study::Stage;

const TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 15);
const MONTH: jiff::civil::Date = jiff::civil::date(2026, 10, 1);

/// A resident whose pod holds a year of the demo household's electricity.
async fn household(s: &Server, n: u64) -> PodName {
    let pod = PodName::parse(&format!("home{n}")).unwrap();
    s.app
        .idp
        .create_account(&format!("home{n}@example.org"), common::PASSWORD, &pod)
        .await
        .unwrap();
    electricity(s, &pod, 100 + n).await;
    pod
}

/// Imports the demo household's electricity (one Enedis file per calendar year).
async fn electricity(s: &Server, pod: &PodName, seed: u64) {
    for file in selfdata_energy::demo::household(TODAY, 1, seed)
        .into_iter()
        .filter(|f| f.name.ends_with(".csv") && !f.name.contains("litres"))
    {
        s.app
            .import_file(pod, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
}

/// The pods' server (in this process) with the two aggregator processes
/// (kept alive by what is returned beside it).
async fn pods_with_aggregators() -> (Server, (tempfile::TempDir, Process, Process)) {
    let dir = tempfile::tempdir().unwrap();
    let (helper, leader) = helper_and_leader(dir.path()).await;
    let (leader_url, helper_url) = (leader.url.clone(), helper.url.clone());
    let s = Server::start_with(move |o| {
        o.today = Some(TODAY);
        o.studies = selfdata_studies_web::StudiesConfig {
            governance: Default::default(),
            aggregators: Some((leader_url, helper_url, TOKEN.to_owned())),
        };
    })
    .await;
    (s, (dir, helper, leader))
}

async fn grant(s: &Server, email: &str, role: &str) {
    let account = s.app.store.account_by_email(email).await.unwrap().unwrap();
    s.app
        .store
        .set_study_role(account.id, role, true)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_study_goes_from_proposal_to_published_open_data_with_only_its_participants() {
    let (s, _aggregators) = pods_with_aggregators().await;
    let (researcher, _) = common::resident(&s, "lab@example.org", "lab").await;
    let (steward, _) = common::resident(&s, "trust@example.org", "trust").await;
    grant(&s, "lab@example.org", "researcher").await;
    grant(&s, "trust@example.org", "steward").await;

    // A resident who is not a researcher cannot propose.
    let (visitor, _) = common::resident(&s, "visitor@example.org", "visitor").await;
    let page = visitor.get("/app/studies").await;
    assert!(!page.body.contains("/app/studies/propose"));

    // The researcher proposes through the page.
    let page = researcher.get("/app/studies").await;
    let csrf = common::field(&page.body, "csrf");
    let proposed = researcher
        .post(
            "/app/studies/propose",
            &[
                ("csrf", &csrf),
                ("title", "Electricity in October"),
                ("organisation", "Université de Lyon"),
                (
                    "question",
                    "How much electricity do households use in October?",
                ),
                ("purpose", "AcademicResearch"),
                ("contribution", "electricity-month"),
                ("month", "2026-10"),
                ("min_group", "11"),
            ],
        )
        .await;
    assert_eq!(proposed.status, 303);
    let location = proposed.header("location").unwrap().to_owned();
    let id = location
        .strip_prefix("/app/studies/")
        .and_then(|l| l.split('?').next())
        .unwrap()
        .to_owned();
    assert!(id.starts_with("electricity-in-october-"), "{id}");

    // Joining is refused before the steward approves.
    let early = household(&s, 0).await;
    assert!(s.app.studies.join(&early, &id).await.is_err());

    // The steward approves, with a reason, through the page.
    let page = steward.get(&format!("/app/studies/{id}")).await;
    let csrf = common::field(&page.body, "csrf");
    let decided = steward
        .post(
            &format!("/app/studies/{id}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "approve"),
                ("reason", "A public-interest question, a minimum of 11"),
            ],
        )
        .await;
    assert_eq!(decided.status, 303);
    // The researcher is not the steward: a forged decision is refused.
    let csrf = common::field(&researcher.get("/app/studies").await.body, "csrf");
    let forged = researcher
        .post(&format!("/app/studies/{id}/collect"), &[("csrf", &csrf)])
        .await;
    assert_eq!(forged.status, 400);

    // 32 households join; one of them leaves again before the collection.
    let mut pods = vec![early];
    for n in 1..32 {
        pods.push(household(&s, n).await);
    }
    for pod in &pods {
        s.app.studies.join(pod, &id).await.unwrap();
    }
    s.app.studies.leave(&pods[5], &id).await.unwrap();
    // One joins through the page, ticking the consent box.
    let (page_joiner, page_pod) = common::resident(&s, "page@example.org", "pagejoiner").await;
    electricity(&s, &page_pod, 999).await;
    let page = page_joiner.get(&format!("/app/studies/{id}")).await;
    assert!(page.body.contains("I agree that my pod contributes"));
    let csrf = common::field(&page.body, "csrf");
    let joined = page_joiner
        .post(
            &format!("/app/studies/{id}/join"),
            &[("csrf", &csrf), ("consent", "yes")],
        )
        .await;
    assert_eq!(joined.status, 303);
    pods.push(page_pod);
    // Each participant's consent record is in their own pod.
    let records = selfdata_service::consents::records(&s.app.context, &pods[1]).await;
    assert!(
        records
            .iter()
            .any(|r| r.kind == selfdata_consent::Kind::Study
                && r.purpose == "https://w3id.org/dpv#AcademicResearch")
    );

    // What the result must be: each remaining participant's band.
    let c = selfdata_studies::catalogue::contribution("electricity-month").unwrap();
    let mut expected = vec![0u64; c.buckets];
    for (i, pod) in pods.iter().enumerate() {
        if i == 5 {
            continue;
        }
        let figures = s
            .app
            .registry
            .monthly_figures(pod, MONTH, jiff::civil::date(2026, 11, 1))
            .await;
        let wh = figures
            .iter()
            .find(|f| f.figure == "electricity" && f.month == MONTH)
            .unwrap_or_else(|| panic!("October's electricity: {figures:?}"))
            .value;
        expected[c.bucket(wh) as usize] += 1;
    }

    // The steward closes and collects.
    let page = steward.get(&format!("/app/studies/{id}")).await;
    let csrf = common::field(&page.body, "csrf");
    let collect = steward
        .post(&format!("/app/studies/{id}/collect"), &[("csrf", &csrf)])
        .await;
    assert_eq!(collect.status, 303);
    // Too late to leave.
    assert!(s.app.studies.leave(&pods[0], &id).await.is_err());
    let deadline = Instant::now() + Duration::from_secs(120);
    let study = loop {
        let study = s.app.studies.load(&id).await.unwrap().unwrap();
        if matches!(study.stage, Stage::Published | Stage::Withheld) {
            break study;
        }
        assert!(Instant::now() < deadline, "the collection did not end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(study.stage, Stage::Published);
    let result = study.result.unwrap();
    assert_eq!(result.contributors, 32, "33 joined, one left");
    assert_eq!(result.counts, expected);

    // The page draws the result.
    let page = visitor.get(&format!("/app/studies/{id}")).await;
    assert!(page.body.contains("32 households contributed"));
    assert!(page.body.contains("<svg"));

    // Anyone reads the open data without signing in.
    let anonymous = reqwest::Client::new();
    let csv = anonymous
        .get(format!("{}/app/studies/{id}/result.csv", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("band,from,to,unit,households"));
    let total: u64 = lines
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 32);
    let csvw: serde_json::Value = anonymous
        .get(format!(
            "{}/app/studies/{id}/result.csv-metadata.json",
            s.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(csvw["selfdata:contributors"], 32);
    assert_eq!(csvw["selfdata:decision"]["approved"], true);
    assert_eq!(csvw["tableSchema"]["columns"][4]["name"], "households");

    // The public record holds each step, and its signed head checks out.
    let record: serde_json::Value = anonymous
        .get(format!("{}/app/studies/record", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries: Vec<String> = record["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(entries[0].contains("proposed by Université de Lyon"));
    assert!(entries[1].contains("approved by the steward"));
    assert!(entries[2].contains("32 households contributed"));
    let verifier =
        selfdata_translog::LogVerifier::parse(record["verifier_key"].as_str().unwrap()).unwrap();
    let head = verifier
        .verify(record["checkpoint"].as_str().unwrap())
        .unwrap();
    let leaves: Vec<_> = entries
        .iter()
        .map(|e| selfdata_translog::leaf_hash(e.as_bytes()))
        .collect();
    assert_eq!(head.size, 3);
    assert_eq!(head.root, selfdata_translog::root_of_leaves(&leaves));
}

#[tokio::test(flavor = "multi_thread")]
async fn members_vote_once_in_secret_and_the_vote_decides_with_its_quorum_and_majority() {
    use selfdata_studies::governance::Governance;
    let s = Server::start_with(|o| {
        o.today = Some(TODAY);
        o.studies = selfdata_studies_web::StudiesConfig {
            governance: Governance::Cooperative {
                quorum_percent: 30,
                majority_percent: 50,
            },
            aggregators: None,
        };
    })
    .await;
    let (researcher, _) = common::resident(&s, "lab@example.org", "lab").await;
    let (steward, _) = common::resident(&s, "trust@example.org", "trust").await;
    grant(&s, "lab@example.org", "researcher").await;
    grant(&s, "trust@example.org", "steward").await;
    let mut members = Vec::new();
    for n in 0..8 {
        let (b, _) = common::resident(&s, &format!("m{n}@example.org"), &format!("m{n}")).await;
        members.push(b);
    }
    let members_count = s.app.store.voting_members().await.unwrap();
    assert_eq!(members_count, 10);
    let proposal = |title: &str| selfdata_studies_web::study::Proposal {
        title: title.to_owned(),
        organisation: "Université de Lyon".into(),
        question: "Does the heat pump bonus change winter use?".into(),
        purpose: "NonCommercialResearch".into(),
        contribution: "electricity-month".into(),
        month: "2026-10".into(),
        min_group: None,
        epsilon: None,
    };
    let lab = s
        .app
        .store
        .account_by_email("lab@example.org")
        .await
        .unwrap()
        .unwrap();
    let study = s
        .app
        .studies
        .propose(lab.id, &proposal("Winter use"))
        .await
        .unwrap();
    assert_eq!(study.stage, Stage::Voting, "a cooperative votes first");
    assert_eq!(study.min_group, 11);

    // Three for, one against, each through the page; a second ballot is refused.
    let path = format!("/app/studies/{}", study.id);
    // A session's form token stays the same: the first member's, for later.
    let first_csrf = common::field(&members[0].get(&path).await.body, "csrf");
    for (b, choice) in members.iter().take(4).zip(["yes", "yes", "no", "yes"]) {
        let page = b.get(&path).await;
        assert!(page.body.contains("The ballot is secret"));
        let csrf = common::field(&page.body, "csrf");
        let voted = b
            .post(
                &format!("{path}/vote"),
                &[("csrf", &csrf), ("choice", choice)],
            )
            .await;
        assert_eq!(voted.status, 303);
    }
    let page = members[0].get(&path).await;
    assert!(page.body.contains("You have voted."));
    let again = members[0]
        .post(
            &format!("{path}/vote"),
            &[("csrf", &first_csrf), ("choice", "no")],
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("You have voted already."));
    // The running count is not shown before the vote closes.
    assert!(!page.body.contains("3 for"));
    // Only the steward closes it.
    let csrf = common::field(&researcher.get(&path).await.body, "csrf");
    let forged = researcher
        .post(&format!("{path}/close-vote"), &[("csrf", &csrf)])
        .await;
    assert_eq!(forged.status, 400);
    let csrf = common::field(&steward.get(&path).await.body, "csrf");
    let closed = steward
        .post(&format!("{path}/close-vote"), &[("csrf", &csrf)])
        .await;
    assert_eq!(closed.status, 303);
    let study = s.app.studies.load(&study.id).await.unwrap().unwrap();
    assert_eq!(
        study.stage,
        Stage::Approved,
        "4 of 10 voted (≥ 30%), 3 of 4 for (> 50%)"
    );
    let page = members[5].get(&path).await;
    assert!(
        page.body.contains("3 for, 1 against, out of 10 members."),
        "{}",
        page.body
    );
    // Who voted is kept apart from how: the ballot says only that an account
    // voted; the study keeps only the counts, naming no voter.
    let m0 = s
        .app
        .store
        .account_by_email("m0@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(s.app.store.has_voted(&study.id, m0.id).await.unwrap());
    assert!(!s.app.store.has_voted(&study.id, lab.id).await.unwrap());
    let kept = s.app.store.study(&study.id).await.unwrap().unwrap();
    assert!(!kept.contains("@example.org"), "{kept}");

    // Too few voters: refused, and nobody can join.
    let quiet = s
        .app
        .studies
        .propose(lab.id, &proposal("Summer use"))
        .await
        .unwrap();
    s.app.studies.vote(m0.id, &quiet.id, true).await.unwrap();
    let trust = s
        .app
        .store
        .account_by_email("trust@example.org")
        .await
        .unwrap()
        .unwrap();
    let quiet = s.app.studies.close_vote(trust.id, &quiet.id).await.unwrap();
    assert_eq!(quiet.stage, Stage::Refused, "1 of 10 is below a 30% quorum");
    let pod = PodName::parse("m1").unwrap();
    assert!(s.app.studies.join(&pod, &quiet.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_energy_dashboard_compares_a_household_with_similar_ones_only_in_cohorts_of_eleven() {
    use selfdata_studies_web::Household;
    let (s, _aggregators) = pods_with_aggregators().await;
    let flat = Household {
        housing: "flat".into(),
        people: "2".into(),
        heating: "electric".into(),
    };
    let house = Household {
        housing: "house".into(),
        people: "5plus".into(),
        heating: "gas".into(),
    };
    // Twelve flats and two houses compare; one household does not.
    let mut flats = Vec::new();
    for n in 0..12 {
        let pod = household(&s, n).await;
        s.app.studies.compare(&pod, &flat).await.unwrap();
        flats.push(pod);
    }
    let mut houses = Vec::new();
    for n in 20..22 {
        let pod = household(&s, n).await;
        s.app.studies.compare(&pod, &house).await.unwrap();
        houses.push(pod);
    }
    let outsider = household(&s, 30).await;
    // One flat stops before the month's comparison: it is not counted.
    s.app.studies.stop_comparing(&flats[11]).await.unwrap();
    assert!(s.app.studies.household(&flats[11]).await.is_none());

    // What the flats' histogram must be.
    let c = selfdata_studies::catalogue::contribution("electricity-month").unwrap();
    let mut expected = vec![0u64; c.buckets];
    let mut bands = Vec::new();
    for pod in &flats[..11] {
        let wh = s
            .app
            .registry
            .monthly_figures(pod, MONTH, jiff::civil::date(2026, 11, 1))
            .await
            .into_iter()
            .find(|f| f.figure == "electricity" && f.month == MONTH)
            .unwrap()
            .value;
        expected[c.bucket(wh) as usize] += 1;
        bands.push(c.bucket(wh));
    }
    let collected = s
        .app
        .studies
        .collect_comparison(MONTH, &s.app.registry)
        .await
        .unwrap();
    assert_eq!(collected, 2, "two cohorts");
    // Again: nothing is sent twice.
    assert_eq!(
        s.app
            .studies
            .collect_comparison(MONTH, &s.app.registry)
            .await
            .unwrap(),
        0
    );
    let kept: selfdata_studies_web::CohortResult = serde_json::from_str(
        &s.app
            .store
            .comparison("2026-10", &flat.cohort())
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(kept.contributors, 11);
    assert_eq!(kept.counts, expected);

    // A flat's dashboard: its band among 11, the histogram with its band marked.
    let b = s.sign_in("home0@example.org", common::PASSWORD).await;
    let page = b.get("/app/energy").await;
    let band = c.label(bands[0] as usize);
    let less: u64 = expected[..bands[0] as usize].iter().sum();
    assert!(
        page.body.contains(&format!(
            "In 2026-10 your home used {band} of electricity. Among 11 similar households (flat, 2 people, electric heating), {less} used less"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"compare-h\""));
    // A house: its cohort of two is not shown.
    let b = s.sign_in("home20@example.org", common::PASSWORD).await;
    let page = b.get("/app/energy").await;
    assert!(
        page.body
            .contains("Fewer than 11 similar households took part in 2026-10")
    );
    // The outsider is invited, and describes their home on the page.
    let b = s.sign_in("home30@example.org", common::PASSWORD).await;
    let page = b.get("/app/energy").await;
    assert!(page.body.contains("Compare my household"));
    let page = b.get("/app/studies/compare").await;
    let csrf = common::field(&page.body, "csrf");
    let saved = b
        .post(
            "/app/studies/compare",
            &[
                ("csrf", &csrf),
                ("housing", "house"),
                ("people", "1"),
                ("heating", "other"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(
        s.app.studies.household(&outsider).await.unwrap().cohort(),
        "house-1-other"
    );
    // The household's own band is in its own pod, nowhere else in the clear.
    let own = s
        .app
        .store
        .get(
            &flats[0],
            &selfdata_store::ResourcePath::parse("/selfdata/studies/compare/2026-10.json").unwrap(),
        )
        .await
        .unwrap();
    assert!(own.is_some());
}

#[tokio::test]
async fn with_noise_each_band_moves_a_little_the_count_stays_exact_and_the_noise_is_drawn_once() {
    let s = two_aggregators().await;
    let mut task = task("noisy", Measure::Histogram { buckets: 8 }, &s.collector);
    task.epsilon_milli = Some(1000);
    s.aggregators.provision(&task).await.unwrap();
    let mut exact = vec![0u128; 8];
    let mut checksum = [0u8; 32];
    let mut reports = Vec::new();
    for i in 0..60u64 {
        let band = (i * 5) % 8;
        exact[band as usize] += 1;
        let report = dap::make_report(&task, &s.configs.0, &s.configs.1, &[band], now()).unwrap();
        dap::checksum_add(&mut checksum, &report.report_id.0);
        reports.push(report);
    }
    s.aggregators.upload_many(&task.id, &reports).await.unwrap();
    let (count, noisy) = s
        .aggregators
        .collect(&task, &s.collector, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(count, 60, "the number of contributors is exact");
    assert_ne!(noisy, exact, "noise was added");
    for (n, e) in noisy.iter().zip(&exact) {
        assert!(n.abs_diff(*e) <= 60, "{n} is far from {e}");
    }
    // The helper's total, asked for again, is the same sealed answer: no
    // fresh noise to average away.
    let ask = || async {
        reqwest::Client::new()
            .post(format!(
                "{}/tasks/{}/aggregate_shares",
                s.helper.url, task.id
            ))
            .bearer_auth(dap::peer_token(SECRET.as_bytes()))
            .json(&dap::AggregateShareReq {
                report_count: 60,
                checksum: dap::Bytes(checksum.to_vec()),
            })
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let (first, second) = (ask().await, ask().await);
    assert!(first.contains("encrypted_aggregate_share"), "{first}");
    assert_eq!(first, second);
}
