//! Files larger than memory should hold, handed over from a page: a
//! resident's `Records.json` past the request limit is spooled to disk
//! sealed, streamed through the import, its original kept whole, and the
//! spool emptied; an upload past the upload limit is refused with a
//! sentence; a file sent before the CSRF token is refused unread.

use std::fmt::Write as _;

use selfdata_store::{PodName, ResourcePath};

use crate::common::{Browser, Server, field};

const EMAIL: &str = "ines@example.org";
const PASSWORD: &str = "correct horse battery";

/// A Takeout `Records.json` of at least `bytes`: a resident walking to
/// work and back every day, a fix a minute, the fields selfdata skips.
fn records(bytes: usize) -> Vec<u8> {
    let mut out = String::from("{\n  \"locations\": [");
    let start_ms: i64 = 1_641_024_000_000; // 2022-01-01T08:00:00Z
    let mut i: i64 = 0;
    while out.len() < bytes {
        let (day, minute) = (i / 120, i % 120);
        // 0..59: home to work (about 4 km east); 60..119: back.
        let step = if minute < 60 { minute } else { 119 - minute };
        let lat = 461_600_000 + step * 10;
        let lon = -11_500_000 + step * 11_000;
        let t = start_ms
            + day * 86_400_000
            + minute * 60_000
            + if minute >= 60 { 36_000_000 } else { 0 };
        if i > 0 {
            out.push(',');
        }
        write!(
            out,
            "\n    {{\"latitudeE7\": {lat}, \"longitudeE7\": {lon}, \"accuracy\": 12, \"source\": \"WIFI\", \"deviceTag\": 1234567, \"timestampMs\": \"{t}\", \"activity\": [{{\"activity\": [{{\"type\": \"WALKING\", \"confidence\": 80}}], \"timestampMs\": \"{t}\"}}]}}"
        )
        .unwrap();
        i += 1;
    }
    out.push_str("\n  ]\n}\n");
    out.into_bytes()
}

async fn resident(s: &Server) -> (Browser, String, PodName) {
    let ines = PodName::parse("ines").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &ines)
        .await
        .unwrap();
    let b = s.sign_in(EMAIL, PASSWORD).await;
    let csrf = field(&b.get("/app/mobility").await.body, "csrf");
    (b, csrf, ines)
}

fn spool_files(s: &Server) -> usize {
    std::fs::read_dir(s.app.options.data.join("spool"))
        .unwrap()
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_records_json_past_the_request_limit_is_spooled_streamed_and_kept_whole() {
    // Pod writes may carry 1 MiB; an upload to import is not held to that.
    let s = Server::start_with(|o| {
        o.max_body_bytes = 1024 * 1024;
        o.today = Some(jiff::civil::date(2022, 3, 1));
    })
    .await;
    let (b, csrf, ines) = resident(&s).await;
    // Larger than what is held in memory before spooling.
    let file = records(selfdata_service::upload::SPOOL_ABOVE + 2 * 1024 * 1024);

    let r = b
        .post_files("/app/import", Some(&csrf), &[("Records.json", &file)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("Import finished. 1 file imported."), "{done}");
    assert_eq!(
        spool_files(&s),
        0,
        "the spooled upload is gone once imported"
    );

    // The original is kept whole, byte for byte, under the holder's raw/.
    let raw = ResourcePath::parse("/selfdata/sources/google/raw/").unwrap();
    let kept = s.app.store.members(&ines, &raw).await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].size, file.len() as u64);
    let (_, body) = s
        .app
        .store
        .get(&ines, &kept[0].path)
        .await
        .unwrap()
        .unwrap();
    assert!(body == file, "the kept original is the uploaded file");

    // Its trips are there: two walks a day.
    let page = b.get("/app/mobility?month=2022-01").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Trips, January 2022"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_past_the_upload_limit_is_refused_and_nothing_is_left() {
    let s = Server::start_with(|o| o.max_upload_bytes = 2 * 1024 * 1024).await;
    let (b, csrf, ines) = resident(&s).await;
    let file = records(3 * 1024 * 1024);
    let r = b
        .post_files("/app/import", Some(&csrf), &[("Records.json", &file)])
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(
        r.body.contains("at most 2 MiB at a time"),
        "the limit is said: {}",
        r.body
    );
    assert_eq!(spool_files(&s), 0);
    let raw = ResourcePath::parse("/selfdata/sources/google/raw/").unwrap();
    let kept = s.app.store.members(&ines, &raw).await.unwrap_or_default();
    assert!(kept.is_empty(), "nothing imported: {kept:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_sent_before_the_csrf_token_is_refused_unread() {
    // A limit far above the file: the refusal cannot be the limit's. The
    // file is small enough to be sent whole before the answer comes (a
    // larger one races the refusal: the connection may close mid-send).
    let limit = 2 * 1024 * 1024;
    let s = Server::start_with(|o| o.max_upload_bytes = limit).await;
    let (b, csrf, ines) = resident(&s).await;
    let file = records(16 * 1024);
    assert!((file.len() as u64) < limit / 64);
    // No token at all, the file first: what a forged cross-site form sends.
    let r = b
        .post_files("/app/import", None, &[("Records.json", &file)])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.contains("This form has expired"),
        "refused for its token: {}",
        r.body
    );
    assert_eq!(spool_files(&s), 0, "nothing of the file was spooled");
    let raw = ResourcePath::parse("/selfdata/sources/google/raw/").unwrap();
    let kept = s.app.store.members(&ines, &raw).await.unwrap_or_default();
    assert!(kept.is_empty(), "nothing imported: {kept:?}");
    // The same upload with its token is taken.
    let r = b
        .post_files("/app/import", Some(&csrf), &[("Records.json", &file)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("1 file imported"), "{done}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_giant_token_field_counts_against_the_upload_limit_and_is_not_held() {
    let s = Server::start_with(|o| o.max_upload_bytes = 1024 * 1024).await;
    let (b, _, _) = resident(&s).await;
    let giant = "x".repeat(2 * 1024 * 1024);
    let r = b
        .post_files("/app/import", Some(&giant), &[("a.json", b"{}")])
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    // A token past its few bytes is simply wrong.
    let long = "y".repeat(1000);
    let r = b
        .post_files("/app/import", Some(&long), &[("a.json", b"{}")])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
}
