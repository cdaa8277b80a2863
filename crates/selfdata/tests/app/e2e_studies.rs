//! Studies in a real browser (tests/e2e/studies.mjs): on a phone without
//! JavaScript a resident joins an approved study and reads a published
//! result; the pages, and the researcher's proposal form, through axe-core in
//! English and French. The server is then asked what came of it.

use selfdata_store::PodName;
use selfdata_studies_web::study::{Proposal, Stage, Study, StudyResult};

use crate::common::{PASSWORD, Server};

const EMAIL: &str = "ines@example.org";
const RESEARCHER: &str = "lab@example.org";

#[tokio::test(flavor = "multi_thread")]
async fn the_studies_pages_in_a_browser_join_and_read_a_result_without_script() {
    let chromium = crate::e2e::chromium();
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2026, 11, 15))).await;
    let ines = PodName::parse("ines").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &ines)
        .await
        .unwrap();
    let lab_pod = PodName::parse("lab").unwrap();
    s.app
        .idp
        .create_account(RESEARCHER, PASSWORD, &lab_pod)
        .await
        .unwrap();
    let lab = s
        .app
        .store
        .account_by_email(RESEARCHER)
        .await
        .unwrap()
        .unwrap();
    s.app
        .store
        .set_study_role(lab.id, "researcher", true)
        .await
        .unwrap();
    s.app
        .store
        .set_study_role(lab.id, "steward", true)
        .await
        .unwrap();
    let proposal = |title: &str| Proposal {
        title: title.into(),
        organisation: "Université de Lyon".into(),
        question: "How much electricity do households use in October?".into(),
        purpose: "AcademicResearch".into(),
        contribution: "electricity-month".into(),
        month: "2026-10".into(),
        min_group: None,
        epsilon: None,
    };
    let open = s
        .app
        .studies
        .propose(lab.id, &proposal("Electricity in October"))
        .await
        .unwrap();
    s.app
        .studies
        .decide(
            lab.id,
            RESEARCHER,
            &open.id,
            true,
            "A public-interest question",
        )
        .await
        .unwrap();
    // A published study, as the collection leaves one (its collection is
    // tested with the aggregators in studies.rs).
    let mut published: Study = s
        .app
        .studies
        .propose(lab.id, &proposal("Electricity in September"))
        .await
        .unwrap();
    published.stage = Stage::Published;
    published.result = Some(StudyResult {
        contributors: 42,
        counts: vec![0, 0, 1, 3, 6, 9, 11, 7, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        published_ms: 0,
    });
    s.app
        .store
        .update_study(&published.id, &{
            let json = serde_json::to_string(&published).unwrap();
            move |_| Ok(json.clone())
        })
        .await
        .unwrap();

    let shots = crate::e2e::repo().join("target/e2e-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let shots = shots.display().to_string();
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_RESEARCHER", RESEARCHER),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_OPEN", open.id.as_str()),
        ("SELFDATA_PUBLISHED", published.id.as_str()),
        ("SELFDATA_SHOTS", shots.as_str()),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("studies.mjs", &env));
    let joined = s.app.store.participation(&open.id, "ines").await.unwrap();
    assert!(joined.is_some(), "the resident joined through the page");
}
