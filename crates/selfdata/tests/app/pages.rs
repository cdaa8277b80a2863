//! Resident-facing page bugs of issue 10, over real HTTP: the two-step
//! sign-in enrolment draws its QR code, an unknown address answers a page
//! to a browser (and problem+json to everyone else), and the energy chart's
//! legend explains every kind of bar.

use crate::common::{Server, sign_in_at};
use selfdata_store::PodName;

const PASSWORD: &str = "correct horse battery";

/// A resident with an account and a pod, signed in through the login form;
/// returns the session cookie.
async fn signed_in(s: &Server, email: &str, pod: &str) -> String {
    s.app
        .idp
        .create_account(email, PASSWORD, &PodName::parse(pod).unwrap())
        .await
        .unwrap();
    let set_cookie = sign_in_at(&s.client, &s.base, email, PASSWORD).await;
    set_cookie.split(';').next().unwrap().to_owned()
}

/// GETs a page with the session cookie, in `lang`.
async fn get(s: &Server, cookie: &str, lang: &str, path: &str) -> (u16, String) {
    let r = s
        .client
        .get(format!("{}{path}", s.base))
        .header("cookie", cookie)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// POSTs a form with the session cookie, in `lang`.
async fn post(
    s: &Server,
    cookie: &str,
    lang: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let r = s
        .client
        .post(format!("{}{path}", s.base))
        .header("cookie", cookie)
        .header("accept-language", lang)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The value of a hidden form field.
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn two_step_sign_in_shows_a_qr_code() {
    let s = Server::start().await;
    let cookie = signed_in(&s, "qr@example.org", "qr").await;
    for (lang, scan, type_key) in [
        ("en", "Scan this QR code", "No camera? Type this key"),
        ("fr", "Scannez ce code QR", "Saisissez plutôt cette clé"),
    ] {
        let (_, account) = get(&s, &cookie, lang, "/account").await;
        let csrf = field(&account, "csrf");
        let (status, page) = post(&s, &cookie, lang, "/account/totp", &[("csrf", &csrf)]).await;
        assert_eq!(status, 200, "{page}");
        // The QR code: one inline SVG image, named for assistive technology.
        let start = page
            .find("<svg class=\"qr\" role=\"img\" aria-label=\"")
            .expect("a QR code");
        let svg = &page[start..start + page[start..].find("</svg>").unwrap() + 6];
        assert!(svg.contains("<path fill=\"#000\" d=\"M"), "{svg}");
        assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
        assert!(page.contains(scan), "{page}");
        // The key to type stays under it, the same the form confirms.
        let secret = field(&page, "secret");
        assert!(secret.len() >= 16);
        let typed = page.find(type_key).expect("the key to type");
        assert!(typed > start, "the key is under the QR code");
        assert!(
            page[typed..].contains(&format!("<code class=\"copy\">{secret}</code>")),
            "{page}"
        );
    }
}
