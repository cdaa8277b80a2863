//! Resident pages on a phone, in a headless Chromium (Debian's
//! `chromium`): a resident with a year of the demo household's readings
//! opens the chart by day, week, month and year on a 360-pixel-wide screen,
//! and `tests/e2e/phone.mjs` measures every text the chart draws; the
//! two-step sign-in enrolment shows its QR code, square, with the key under it.

use crate::common::Server;
use crate::e2e;

use selfdata_store::PodName;

const EMAIL: &str = "phone@example.org";
const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread")]
async fn chart_text_is_readable_on_a_phone() {
    let chromium = e2e::chromium();
    let today = jiff::civil::date(2026, 10, 15);
    let s = Server::start_with(|o| o.today = Some(today)).await;
    let pod = PodName::parse("phone").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &pod)
        .await
        .unwrap();
    for file in selfdata_energy::demo::household(today, 1, 2026) {
        s.app
            .import_file(&pod, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    let paths = ["day", "week", "month", "year"]
        .map(|scale| {
            format!("/app/energy?fluid=electricity&scale={scale}&unit=kwh&date=2026-10-14")
        })
        .join("\n");
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_PATHS", paths.as_str()),
    ];
    tokio::task::block_in_place(|| e2e::node("phone.mjs", &env));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_step_sign_in_shows_a_qr_code_in_a_browser() {
    let chromium = e2e::chromium();
    let s = Server::start().await;
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &PodName::parse("phone").unwrap())
        .await
        .unwrap();
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_QR", "1"),
    ];
    tokio::task::block_in_place(|| e2e::node("phone.mjs", &env));
}
