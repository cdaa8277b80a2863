//! Resident-facing page bugs of issue 10, over real HTTP: the two-step
//! sign-in enrolment draws its QR code, an unknown address answers a page
//! to a browser (and problem+json to everyone else), and the energy chart's
//! legend explains every kind of bar.

use crate::common::{Browser, Page, Server, field};
use reqwest::Method;
use selfdata_store::PodName;

/// A resident with an account and a pod, signed in through the login form.
async fn signed_in(s: &Server, email: &str, pod: &str) -> Browser {
    crate::common::resident(s, email, pod).await.0
}

/// GETs a page in `lang`.
async fn get(b: &Browser, lang: &str, path: &str) -> (u16, String) {
    let r = b
        .request(Method::GET, path)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let page = Page::read(r).await;
    (page.status, page.body)
}

/// POSTs a form in `lang`.
async fn post(b: &Browser, lang: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = b
        .request(Method::POST, path)
        .header("accept-language", lang)
        .form(form)
        .send()
        .await
        .unwrap();
    let page = Page::read(r).await;
    (page.status, page.body)
}

#[tokio::test]
async fn two_step_sign_in_shows_a_qr_code() {
    let s = Server::start().await;
    let cookie = signed_in(&s, "qr@example.org", "qr").await;
    for (lang, scan, type_key) in [
        ("en", "Scan this QR code", "No camera? Type this key"),
        ("fr", "Scannez ce code QR", "Saisissez plutôt cette clé"),
    ] {
        let (_, account) = get(&cookie, lang, "/account").await;
        let csrf = field(&account, "csrf");
        let (status, page) = post(&cookie, lang, "/account/totp", &[("csrf", &csrf)]).await;
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

/// What Chromium sends when a resident types an address.
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// A GET with these headers (and none of the test client's language).
async fn ask(s: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", s.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn unknown_pages_answer_a_page_to_a_browser() {
    let s = Server::start().await;
    for path in [
        "/app/nothing-here",
        "/no-such-pod/x",
        "/account/nothing-here",
    ] {
        // French by default, in the site's layout, with the status kept.
        let r = ask(&s, path, &[("accept", BROWSER_ACCEPT)]).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/assets/style.css\">"));
        assert!(html.contains("aucune page à cette adresse"), "{html}");
        assert!(
            html.contains("<a href=\"/\">Aller à l&#39;accueil</a>"),
            "{html}"
        );
    }
    // English as the kit chooses it: the browser's language, the cookie, ?lang=en.
    for (path, headers) in [
        (
            "/app/nothing-here",
            vec![("accept-language", "en-GB,en;q=0.8")],
        ),
        ("/app/nothing-here", vec![("cookie", "lang=en")]),
        ("/app/nothing-here?lang=en", vec![("accept-language", "fr")]),
    ] {
        let mut all = headers.clone();
        all.push(("accept", BROWSER_ACCEPT));
        let r = ask(&s, path, &all).await;
        assert_eq!(r.status(), 404);
        let chosen = r
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">"), "{headers:?}: {html}");
        assert!(html.contains("There is no page at this address"), "{html}");
        assert!(
            html.contains("<a href=\"/\">Go to the home page</a>"),
            "{html}"
        );
        if path.contains("lang=en") {
            assert!(
                chosen.unwrap().starts_with("lang=en; Path=/;"),
                "the choice is kept"
            );
        }
    }
}

#[tokio::test]
async fn unknown_pages_still_answer_problem_json_to_api_clients() {
    let s = Server::start().await;
    for accept in [
        None,
        Some("application/json"),
        Some("text/turtle"),
        Some("*/*"),
    ] {
        for path in ["/app/nothing-here", "/no-such-pod/x"] {
            let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
            let r = ask(&s, path, &headers).await;
            let (status, _) = crate::common::problem(r).await;
            assert_eq!(status, 404, "{path} {accept:?}");
        }
    }
}

#[tokio::test]
async fn an_existing_pods_answers_to_a_browser_are_left_as_they_are() {
    let s = Server::start().await;
    s.put_turtle("/private.ttl", "<#a> <#b> <#c>.").await;
    // A refusal and a missing resource inside alice's pod stay problem+json,
    // inert as every pod answer.
    for path in ["/alice/private.ttl", "/alice/nothing-here.ttl"] {
        let r = ask(&s, path, &[("accept", BROWSER_ACCEPT)]).await;
        assert!(matches!(r.status().as_u16(), 401 | 404), "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.starts_with("sandbox"), "{path}: {csp}");
        crate::common::problem(r).await;
    }
    // Stored content is served as stored, never as one of our pages.
    let stored = "<!doctype html><title>mine</title>";
    let r = s
        .req("PUT", "/public/page.html")
        .header("content-type", "text/html")
        .body(stored)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = s
        .req("GET", "/public/page.html")
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(r.text().await.unwrap(), stored);
}

/// The legend list of the page's chart.
fn chart_legend(html: &str) -> &str {
    let start = html
        .find("<ul class=\"chart-legend\">")
        .expect("the chart has a legend");
    &html[start..start + html[start..].find("</ul>").unwrap()]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_legend_explains_pale_and_highlighted_bars() {
    let today = jiff::civil::date(2026, 10, 15);
    let s = Server::start_with(|o| o.today = Some(today)).await;
    let cookie = signed_in(&s, "legend@example.org", "legend").await;
    let pod = PodName::parse("legend").unwrap();
    for file in selfdata_energy::demo::household(today, 1, 2026) {
        s.app
            .import_file(&pod, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    // The year: this month is highlighted, and pale as it is not over.
    let path = "/app/energy?fluid=electricity&scale=year&unit=kwh&date=2026-10-15";
    for (lang, highlighted, pale) in [
        (
            "en",
            "This month, still counting",
            "Pale: some readings of the period are missing",
        ),
        (
            "fr",
            "Ce mois-ci, en cours",
            "Pâle\u{a0}: il manque des relevés sur la période",
        ),
    ] {
        let (status, html) = get(&cookie, lang, path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("bar-highlight"), "a highlighted bar is drawn");
        assert!(html.contains("bar-partial"), "a pale bar is drawn");
        let legend = chart_legend(&html);
        assert!(legend.contains(highlighted), "{lang}: {legend}");
        assert!(legend.contains(pale), "{lang}: {legend}");
        // Each entry shows the mark it explains, drawn as the chart draws it.
        assert!(
            legend.contains("<li class=\"legend-highlight\"><svg class=\"swatch\""),
            "{legend}"
        );
        assert!(legend.contains("fill-opacity=\"0.45\""), "{legend}");
    }
}
