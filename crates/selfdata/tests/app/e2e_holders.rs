//! A resident's data holders in a real browser (tests/e2e/holders.mjs): on
//! a phone without JavaScript they connect the water service, let an
//! association read their water folder and stop it; both pages through
//! axe-core in English and French. The server is then asked what came of it.

use selfdata_store::holders::Holder;
use selfdata_store::{PodName, Precondition, ResourcePath, Write};

use crate::common::{PASSWORD, Server};

const EMAIL: &str = "ines@example.org";

fn holder(id: &str, name: &str, categories: &[&str]) -> Holder {
    Holder {
        id: id.into(),
        name: name.into(),
        contact: "dpo@example.org".into(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        identifier: "Numéro de compteur".into(),
        layout: Default::default(),
        column: "Numéro de compteur".into(),
        secret_hash: selfdata_holders::secret_hash("not used here"),
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_residents_holders_pages_in_a_browser_connect_grant_and_stop_without_script() {
    let chromium = crate::e2e::chromium();
    let s = Server::start().await;
    for h in [
        holder("eau-grand-lyon", "Eau du Grand Lyon", &["water"]),
        holder("conseil-energie", "Conseil énergie Lyon", &["electricity"]),
    ] {
        s.app.store.put_holder(&h).await.unwrap();
    }
    let ines = PodName::parse("ines").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &ines)
        .await
        .unwrap();
    s.app
        .store
        .write(
            &ines,
            Write::Put {
                path: ResourcePath::parse("/selfdata/energy/water/2026.csv").unwrap(),
                content_type: "text/csv".into(),
                body: bytes::Bytes::from_static(b"start,end,litres\n"),
                precondition: Precondition::None,
            },
        )
        .await
        .unwrap();
    let shots = crate::e2e::repo().join("target/e2e-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let shots = shots.display().to_string();
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_SHOTS", shots.as_str()),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("holders.mjs", &env));
    let links = s.app.store.links_of_pod("ines").await.unwrap();
    assert_eq!(links.len(), 1, "the water service is connected");
    let transfers = s.app.store.transfers_of_pod("ines").await.unwrap();
    assert_eq!(transfers.len(), 1);
    assert!(
        transfers[0].revoked_ms.is_some(),
        "the transfer was stopped"
    );
}
