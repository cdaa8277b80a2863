//! The operator's console in a real browser (tests/e2e/operator.mjs): an
//! operator signs in with their second factor, registers a data holder
//! through the form without JavaScript and reads its credentials once, gives
//! a pod a quota from the residents' pages; the console, the registry, the
//! residents' pages, the audit log and the account page through axe-core on
//! a phone, in English and French.

use selfdata_store::PodName;

use crate::common::{PASSWORD, Server};

const EMAIL: &str = "ops@city.example";

#[tokio::test(flavor = "multi_thread")]
async fn the_operators_console_in_a_browser_registers_a_holder_and_is_accessible_on_a_phone() {
    let chromium = crate::e2e::chromium();
    let s = Server::start().await;
    let pod = PodName::parse("ops").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &pod)
        .await
        .unwrap();
    let account = s.app.store.account_by_email(EMAIL).await.unwrap().unwrap();
    let (secret, _) = selfdata_idp::accounts::new_totp(EMAIL);
    s.app
        .store
        .set_totp(account.id, Some(&secret))
        .await
        .unwrap();
    s.app.store.set_operator(account.id, true).await.unwrap();
    let shots = crate::e2e::repo().join("target/e2e-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let shots = shots.display().to_string();
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_TOTP", secret.as_str()),
        ("SELFDATA_SHOTS", shots.as_str()),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("operator.mjs", &env));
    let holder = selfdata_store::HolderRegistry::holder(s.app.store.as_ref(), "eau-grand-lyon")
        .await
        .unwrap()
        .expect("the holder registered in the browser is kept");
    assert_eq!(holder.categories, vec!["water".to_owned()]);
    let usage = selfdata_store::Backend::usage(s.app.store.as_ref(), &pod)
        .await
        .unwrap();
    assert_eq!(
        usage.quota,
        250 * 1024 * 1024,
        "the quota set in the browser is kept"
    );
}
