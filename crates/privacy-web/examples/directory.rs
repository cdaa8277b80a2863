//! What the directory of organisations costs: one pod holding a Facebook
//! archive naming 1,000 advertisers (and their activity off the platform)
//! and three years of two bank accounts (the money service's payees), in a
//! real store (SQLite, unencrypted, a temporary folder) behind the real
//! services. `directory()` is timed against the part of it that cannot be
//! avoided, reading the evidence documents back (list, get, parse), in the
//! same run; the first call, which reads everything and tallies the
//! payees, apart. Not a test: figures vary with the machine (see
//! `src/privacy/evidence.rs` for the ones that made the evidence kept).
//!
//! `cargo run --release -p selfdata-privacy-web --example directory`

use std::sync::Arc;
use std::time::{Duration, Instant};

use selfdata_archives::generate::{Language, Shape, Spec};
use selfdata_idp::{Idp, IdpConfig};
use selfdata_privacy_web::PrivacyService;
use selfdata_privacy_web::archive::EVIDENCE;
use selfdata_privacy_web::privacy::organisations::directory;
use selfdata_service::{Context, Pipeline, Registry};
use selfdata_site::Lang;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName, ResourcePath};

const BASE: &str = "http://127.0.0.1:9";
const RUNS: usize = 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteBackend::open_unencrypted(dir.path())?);
    let idp = Idp::open(
        IdpConfig::new(BASE),
        store.clone() as Arc<dyn selfdata_store::directory::Directory>,
        store.clone() as Arc<dyn Backend>,
    )
    .await?;
    let state = selfdata_solid::AppState::new(
        store.clone(),
        idp.clone() as Arc<dyn selfdata_solid::Authenticator>,
        selfdata_solid::Config::new(BASE),
    );
    let spools = selfdata_store::spool::Spools::open(dir.path().join("spool"))?;
    let pipeline = Arc::new(Pipeline::new(
        store.clone() as Arc<dyn Backend>,
        spools,
        1 << 30,
    ));
    let ctx = Arc::new(Context::new(
        state,
        store.clone() as Arc<dyn Backend>,
        store.clone() as Arc<dyn selfdata_store::Directory>,
        pipeline.clone(),
        Some(jiff::civil::date(2024, 1, 15)),
    ));
    let privacy = PrivacyService::new(ctx.clone(), idp.clone());
    let app = privacy.0.clone();
    let registry = Registry::new(vec![
        Arc::new(selfdata_budget_web::BudgetService::new(ctx.clone())),
        Arc::new(privacy),
    ]);
    pipeline.offer_to(registry.intakes());
    let pod = PodName::parse("bench")?;
    selfdata_solid::provision::create_pod(store.as_ref(), BASE, &idp.config().issuer(), &pod)
        .await?;

    // The archive: 1,000 advertisers, 300 organisations off the platform.
    let spec = Spec {
        seed: 7,
        shape: Shape::Facebook2023,
        language: Language::En,
        json: true,
        advertisers: 1_000,
        activity: 300,
        events: 20_000,
        filler_bytes: 0,
    };
    let mut zip = Vec::new();
    selfdata_archives::generate::write(&spec, std::io::Cursor::new(&mut zip))?;
    let summary = pipeline
        .import(&pod, "application/zip", zip.into(), false, &|_| {})
        .await?;
    println!("archive: {}", summary.told.en);
    // The money: three years of a current account and a savings account.
    let mut transactions = 0;
    for f in selfdata_budget::demo::history(7, 3, 2) {
        let s = pipeline
            .import(&pod, "text/csv", f.bytes.into(), false, &|_| {})
            .await?;
        transactions += s.readings;
    }
    println!("bank statements: {transactions} transactions");

    // Reading the evidence back alone: the floor.
    let folder = ResourcePath::parse(&format!("/{EVIDENCE}"))?;
    let read_evidence = || async {
        let mut triples = 0;
        for m in store.members(&pod, &folder).await.unwrap_or_default() {
            if let Ok(Some((_, body))) = store.get(&pod, &m.path).await {
                let iri = format!("{BASE}/{pod}{}", m.path.as_str());
                if let Ok(g) = selfdata_rdf::parse(&body, selfdata_rdf::RdfFormat::Turtle, &iri) {
                    triples += g.len();
                }
            }
        }
        triples
    };

    let t = Instant::now();
    let first = directory(&app, &registry, &pod, Lang::En).await;
    let cold = t.elapsed();
    let mut whole = Vec::new();
    let mut floor = Vec::new();
    let mut triples = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        triples = read_evidence().await;
        floor.push(t.elapsed());
        let t = Instant::now();
        let again = directory(&app, &registry, &pod, Lang::En).await;
        whole.push(t.elapsed());
        assert_eq!(again.len(), first.len());
    }
    let (whole, floor) = (median(whole), median(floor));
    println!(
        "{} organisations in the directory ({triples} evidence triples)",
        first.len()
    );
    println!("directory(), first call (the payees tallied): {cold:.2?}");
    println!("directory(), median of {RUNS}: {whole:.2?}");
    println!("reading the evidence documents alone, median of {RUNS}: {floor:.2?}");
    println!(
        "ratio: {:.2}x the evidence read",
        whole.as_secs_f64() / floor.as_secs_f64()
    );
    Ok(())
}
