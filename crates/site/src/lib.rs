//! The page kit every resident page uses: ONE layout (`templates/site_layout.html`,
//! which page templates of any crate extend through their `askama.toml`), whose
//! menu is the list of [`MenuEntry`]s handed to [`Site::new`] at start; the
//! language of a page ([`Lang`]: `?lang=`, then the `lang` cookie, then
//! `Accept-Language`, French by default) and the one way to hold words
//! ([`Words`], [`Say`]); [`PageError`], a status and a sentence rendered in the
//! layout, so page handlers return `Result<_, PageError>` and use `?`; the
//! signed-in [`Resident`] and [`CsrfForm`] extractors over the [`Sessions`]
//! trait (implemented by the identity provider, which this crate does not
//! know); the stylesheet at `/assets/style.css` and [`asset`], how every
//! static file of the pages is served; and the security headers
//! every page carries ([`page`]).
//!
//! [`Site::wrap`] puts the kit around the pages' router: it hands the site to
//! the extractors, remembers a `?lang=` choice in a cookie, and renders a
//! [`PageError`] with the request's language and menu. [`address_page`] is
//! what a browser reads at an address nothing answers.

pub mod chart;
mod error;
mod lang;
mod session;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

pub use error::PageError;
pub use lang::{Lang, Say, Words, count, fill, human_bytes};
pub use session::{CsrfForm, Operator, OperatorForm, Resident, Sessions, constant_eq};

/// A cookie's value from the request (the first of that name).
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// One entry of the menu: where it goes and what it says.
#[derive(Debug, Clone, Copy)]
pub struct MenuEntry {
    pub href: &'static str,
    pub label: Say,
}

/// The site: the menu (from the service registry) and who is signed in.
pub struct Site {
    menu: Vec<MenuEntry>,
    sessions: Arc<dyn Sessions>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("menu", &self.menu)
            .finish_non_exhaustive()
    }
}

/// The words of the kit itself.
pub(crate) mod words {
    use crate::Say;
    pub const NAV_LABEL: Say = Say::new("Principal", "Main");
    pub const ERROR_TITLE: Say = Say::new("Un problème est survenu", "Something went wrong");
    pub const FAILED: Say = Say::new(
        "Un problème est survenu de notre côté\u{a0}; veuillez réessayer.",
        "Something went wrong on our side; please try again.",
    );
    pub const FORM_EXPIRED: Say = Say::new(
        "Ce formulaire a expiré\u{a0}; rechargez la page et réessayez.",
        "This form has expired; reload the page and try again.",
    );
    pub const FORM_UNREADABLE: Say = Say::new(
        "Ce formulaire n'a pas pu être lu\u{a0}; rechargez la page et réessayez.",
        "This form could not be read; reload the page and try again.",
    );
    pub const NO_POD: Say = Say::new(
        "Votre compte n'a pas encore d'espace\u{a0}: il n'y a rien à montrer.",
        "Your account has no pod yet, so there is nothing to show.",
    );
    pub const OPERATOR_NEEDS_SECOND_FACTOR: Say = Say::new(
        "Les pages de l'opérateur demandent un second facteur\u{a0}: activez-le sur la page de votre compte, puis reconnectez-vous.",
        "The operator's pages need a second factor: turn it on in your account page, then sign in again.",
    );
    /// `{label}`: a menu entry.
    pub const BACK_TO: Say = Say::new("Retour à «\u{a0}{label}\u{a0}»", "Back to “{label}”");
    pub const BACK_TO_ACCOUNT: Say = Say::new("Retour à votre compte", "Back to your account");
    pub const NOT_FOUND_TITLE: Say = Say::new("Page introuvable", "Page not found");
    pub const NO_PAGE: Say = Say::new(
        "Il n'y a aucune page à cette adresse\u{a0}: le lien est peut-être incomplet, ou la page a changé d'adresse.",
        "There is no page at this address: the link may be incomplete, or the page may have moved.",
    );
    pub const NOT_OPEN_TITLE: Say = Say::new("Accès refusé", "Access refused");
    pub const NOT_OPEN: Say = Say::new(
        "Cette adresse ne vous est pas ouverte.",
        "This address is not open to you.",
    );
    pub const HOME: Say = Say::new("Aller à l'accueil", "Go to the home page");
}

impl Site {
    /// The site with its menu, in order, and the sign-in sessions.
    pub fn new(menu: Vec<MenuEntry>, sessions: Arc<dyn Sessions>) -> Arc<Self> {
        Arc::new(Self { menu, sessions })
    }

    /// The menu entry a path belongs to: the longest `href` it starts with.
    fn entry_of(&self, path: &str) -> Option<&MenuEntry> {
        self.menu
            .iter()
            .filter(|e| {
                path == e.href
                    || path
                        .strip_prefix(e.href)
                        .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
            })
            .max_by_key(|e| e.href.len())
    }

    /// Puts the kit around the pages' router (see the crate's documentation).
    pub fn wrap(self: &Arc<Self>, router: Router) -> Router {
        router
            .route(&format!("/{ASSETS}/style.css"), get(stylesheet))
            .layer(axum::middleware::from_fn_with_state(self.clone(), around))
    }
}

/// The first path segment of the pages' static files (`/assets/style.css`).
pub const ASSETS: &str = "assets";

/// The first path segments of the kit's own routes, which no pod may be named.
pub const ROUTE_ROOTS: &[&str] = &[ASSETS];

/// What the layout shows around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: &'static str,
    pub nav_label: &'static str,
    pub menu: Vec<MenuItem>,
    /// The other language, its name in itself, and this page in it.
    pub other_lang: &'static str,
    pub other_lang_name: &'static str,
    pub other_lang_href: String,
}

/// One link of the menu as shown.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Chrome {
    /// The chrome of a page at `uri` in `lang`.
    pub fn new(site: Option<&Site>, lang: Lang, uri: &Uri) -> Self {
        let path = uri.path();
        let current = site.and_then(|s| s.entry_of(path)).map(|e| e.href);
        let menu = site
            .map(|s| {
                s.menu
                    .iter()
                    .map(|e| MenuItem {
                        href: e.href,
                        label: e.label.in_(lang),
                        current: Some(e.href) == current,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let other = lang.other();
        let mut query: Vec<(String, String)> = uri
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        query.retain(|(k, _)| k != "lang");
        query.push(("lang".to_owned(), other.code().to_owned()));
        let other_lang_href = format!(
            "{path}?{}",
            serde_urlencoded::to_string(&query).unwrap_or_default()
        );
        Chrome {
            lang: lang.code(),
            nav_label: words::NAV_LABEL.in_(lang),
            menu,
            other_lang: other.code(),
            other_lang_name: other.name(),
            other_lang_href,
        }
    }

    /// The same chrome without the menu (pages for someone not signed in).
    pub fn without_menu(mut self) -> Self {
        self.menu.clear();
        self
    }

    /// The language of the page.
    pub fn language(&self) -> Lang {
        Lang::parse(self.lang).unwrap_or_default()
    }

    /// Where "back" goes from this page, and what the link says.
    fn back(&self) -> (&'static str, String) {
        let lang = self.language();
        match self.menu.iter().find(|m| m.current) {
            Some(m) => (
                m.href,
                fill(words::BACK_TO.in_(lang), &[("label", m.label)]),
            ),
            None => ("/account", words::BACK_TO_ACCOUNT.in_(lang).to_owned()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let site = parts.extensions.get::<Arc<Site>>().cloned();
        let lang = Lang::of(&parts.headers);
        if parts.method == Method::GET || parts.method == Method::HEAD {
            return Ok(Chrome::new(site.as_deref(), lang, &parts.uri));
        }
        // The answer to a form: the other language's link cannot repeat the
        // post, so it leads to the page of the menu entry the form belongs to.
        let page = site
            .as_deref()
            .and_then(|s| s.entry_of(parts.uri.path()))
            .map_or("/", |e| e.href);
        let uri = Uri::from_static(page);
        let mut chrome = Chrome::new(site.as_deref(), lang, &uri);
        // The menu still marks the entry of the path that was posted to.
        if let Some(s) = site.as_deref() {
            chrome = Chrome {
                menu: Chrome::new(Some(s), lang, &parts.uri).menu,
                ..chrome
            };
        }
        Ok(chrome)
    }
}

#[derive(Template)]
#[template(path = "site_message.html")]
struct MessagePage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    message: &'a str,
    back_href: &'a str,
    back: &'a str,
}

/// A page with one sentence (an error) and a way back.
pub fn message_page(chrome: &Chrome, status: StatusCode, message: &str) -> Response {
    let (back_href, back) = chrome.back();
    page(
        status,
        MessagePage {
            chrome,
            title: words::ERROR_TITLE.in_(chrome.language()),
            message,
            back_href,
            back: &back,
        }
        .render(),
    )
}

/// The page a browser gets at an address that no page and no pod answers
/// (`status` 404; 401 or 403 say the address is not open): a sentence and
/// a link to the home page, in the layout, in the request's language
/// (`?lang=`, which is remembered as on every page, the cookie, then
/// `Accept-Language`). Nothing of the address is repeated on the page.
pub fn address_page(headers: &HeaderMap, uri: &Uri, status: StatusCode) -> Response {
    let chosen = chosen_lang(uri);
    let lang = chosen.unwrap_or_else(|| Lang::of(headers));
    let path = uri.path().parse::<Uri>().unwrap_or_default();
    let chrome = Chrome::new(None, lang, &path);
    let (title, message) = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            (words::NOT_OPEN_TITLE, words::NOT_OPEN)
        }
        _ => (words::NOT_FOUND_TITLE, words::NO_PAGE),
    };
    let mut response = page(
        status,
        MessagePage {
            chrome: &chrome,
            title: title.in_(lang),
            message: message.in_(lang),
            back_href: "/",
            back: words::HOME.in_(lang),
        }
        .render(),
    );
    if let Some(lang) = chosen {
        remember(&mut response, lang);
    }
    response
}

/// The language a `?lang=` of the address chooses.
fn chosen_lang(uri: &Uri) -> Option<Lang> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::parse(&v))
        })
}

/// Keeps a `?lang=` choice in the `lang` cookie.
fn remember(response: &mut Response, lang: Lang) {
    let secure = if HSTS.load(Ordering::Relaxed) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        lang.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The middleware of [`Site::wrap`].
async fn around(State(site): State<Arc<Site>>, mut req: Request, next: Next) -> Response {
    let chosen = chosen_lang(req.uri());
    if let Some(lang) = chosen {
        lang::choose_for_request(req.headers_mut(), lang);
    }
    let lang = Lang::of(req.headers());
    let uri = req.uri().clone();
    req.extensions_mut().insert(site.clone());
    let mut response = next.run(req).await;
    if let Some(error) = response.extensions_mut().remove::<PageError>() {
        // The other language's link leads to the same path without the
        // query that failed (and an error page then says nothing of it).
        let path = uri.path().parse::<Uri>().unwrap_or_default();
        let chrome = Chrome::new(Some(&site), lang, &path);
        response = message_page(&chrome, error.status(), &error.sentence(lang));
    }
    if let Some(lang) = chosen {
        remember(&mut response, lang);
    }
    response
}

/// The one stylesheet of every page.
async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../assets/style.css"),
    )
}

/// A static file the pages load (the stylesheet, a script), with its
/// content type, kept by the browser for an hour.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// Renders a page with the security headers every page carries.
pub fn page(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let body = match html {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response();
        }
    };
    let mut response = (status, Html(body)).into_response();
    security_headers(response.headers_mut());
    response
}

/// A page that also shows images from exactly one other origin (an app's
/// logo on the consent screen, the operator's map tiles): its CSP names
/// that origin and no other. An origin that is not a plain `https://host`
/// is left out, and the images simply do not load.
pub fn page_showing_images_from(
    status: StatusCode,
    html: Result<String, askama::Error>,
    origin: Option<&str>,
) -> Response {
    let mut response = page(status, html);
    if let Some(o) = origin.and_then(https_origin) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp(Some(&o)));
    }
    response
}

/// The origin `https://host[:port]` of an `https:` URL, as a CSP source;
/// `None` for any other scheme, a user name in the URL, or a host that is
/// not one.
pub fn https_origin(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority: axum::http::uri::Authority = rest[..end].parse().ok()?;
    let host = authority.host();
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    (plain && !authority.as_str().contains('@')).then(|| format!("https://{authority}"))
}

/// The content security policy of a page: scripts, styles and everything
/// else from this origin only; images from here, `data:` (the charts'
/// swatches) and `images_from` when given.
fn csp(images_from: Option<&str>) -> HeaderValue {
    let images = images_from.map_or(String::new(), |o| format!(" {o}"));
    HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data:{images}; frame-ancestors 'none'; base-uri 'none'"
    ))
    .unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        )
    })
}

/// Whether pages are served over TLS (the base URL is `https:`), so they
/// carry `Strict-Transport-Security`. Set when the provider opens.
static HSTS: AtomicBool = AtomicBool::new(false);

/// Makes every page of the process carry `Strict-Transport-Security` when
/// `https` (the server's base URL is `https:`). Once on, it stays on: a
/// process serves one base URL, and a browser ignores the header over
/// plain HTTP anyway (RFC 6797, section 8.1).
pub fn use_hsts(https: bool) {
    if https {
        HSTS.store(true, Ordering::Relaxed);
    }
}

/// The headers every page carries: no framing, no referrer, no caching, a
/// strict content security policy.
pub fn security_headers(h: &mut HeaderMap) {
    if HSTS.load(Ordering::Relaxed) {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(header::CONTENT_SECURITY_POLICY, csp(None));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request as HttpRequest;
    use selfdata_store::StoreError;
    use selfdata_store::directory::{Account, Session};
    use tower::ServiceExt;

    #[test]
    fn only_a_plain_https_host_becomes_an_image_origin() {
        let o = |u: &str| https_origin(u);
        assert_eq!(
            o("https://tile.example.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.example.org")
        );
        assert_eq!(
            o("https://tiles.city.example:8443/a.png?k=1").as_deref(),
            Some("https://tiles.city.example:8443")
        );
        for bad in [
            "http://tile.example.org/{z}/{x}/{y}.png",
            "https://user@tile.example.org/x",
            "https://*.example.org/x",
            "https://tile.example.org; script-src *",
            "https:///x",
            "javascript:alert(1)",
        ] {
            assert_eq!(o(bad), None, "{bad}");
        }
        let r = page_showing_images_from(
            StatusCode::OK,
            Ok(String::new()),
            Some("https://tile.example.org/{z}/{x}/{y}.png"),
        );
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("img-src 'self' data: https://tile.example.org;"),
            "{csp}"
        );
        let plain = page(StatusCode::OK, Ok(String::new()));
        let csp = plain.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("img-src 'self' data:;"),
            "no other image origin: {csp}"
        );
    }

    struct NobodySignedIn;

    #[async_trait::async_trait]
    impl Sessions for NobodySignedIn {
        async fn signed_in(&self, _: &HeaderMap) -> Option<(Session, Account)> {
            None
        }
        async fn pods_of(&self, _: &Account) -> Result<Vec<String>, StoreError> {
            Ok(Vec::new())
        }
        async fn is_operator(&self, _: &Account) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    const MENU: [MenuEntry; 2] = [
        MenuEntry {
            href: "/app/energy",
            label: Say::new("Énergie et eau", "Energy & water"),
        },
        MenuEntry {
            href: "/app/energy/tariffs",
            label: Say::new("Tarifs", "Tariffs"),
        },
    ];

    fn app() -> Router {
        let site = Site::new(MENU.to_vec(), Arc::new(NobodySignedIn));
        site.wrap(
            Router::new()
                .route(
                    "/app/energy/tariffs",
                    get(|| async {
                        Err::<(), _>(PageError::say(
                            StatusCode::NOT_FOUND,
                            Say::new("Rien ici.", "Nothing here."),
                        ))
                    }),
                )
                .route("/app/energy", get(|_: Resident| async { "never" })),
        )
    }

    async fn get_page(uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
        let mut req = HttpRequest::get(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = app()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = r.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn a_page_error_is_drawn_in_the_layout_with_the_menu_in_french_by_default() {
        let (status, headers, html) = get_page("/app/energy/tariffs", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("Rien ici."), "{html}");
        assert!(html.contains("<a href=\"/app/energy/tariffs\" aria-current=\"page\">Tarifs</a>"));
        assert!(html.contains("<a href=\"/app/energy\">Énergie et eau</a>"));
        // The way back is the menu entry the page belongs to.
        assert!(html.contains("Retour à «\u{a0}Tarifs\u{a0}»"), "{html}");
        assert_eq!(headers["x-frame-options"], "DENY");
    }

    #[tokio::test]
    async fn the_browsers_language_then_a_lang_link_choose_and_the_choice_is_kept() {
        let (_, _, html) = get_page("/app/energy/tariffs", &[("accept-language", "en-GB")]).await;
        assert!(html.contains("<html lang=\"en\">") && html.contains("Nothing here."));
        assert!(
            html.contains("href=\"/app/energy/tariffs?lang=fr\""),
            "{html}"
        );
        let (_, headers, html) = get_page(
            "/app/energy/tariffs?lang=fr",
            &[("accept-language", "en-GB")],
        )
        .await;
        assert!(html.contains("Rien ici."), "{html}");
        let cookie = headers["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("lang=fr; Path=/;"), "{cookie}");
        let (_, _, html) = get_page(
            "/app/energy/tariffs",
            &[("accept-language", "en-GB"), ("cookie", "lang=fr")],
        )
        .await;
        assert!(html.contains("Rien ici."), "{html}");
    }

    /// After a form is posted, the other language's link must not send a
    /// GET to the address that only takes the form (a 405).
    #[tokio::test]
    async fn after_a_form_the_language_link_leads_to_the_forms_page() {
        let site = Site::new(MENU.to_vec(), Arc::new(NobodySignedIn));
        let app = site.wrap(Router::new().route(
            "/app/energy/tariffs/save",
            axum::routing::post(|chrome: Chrome| async move { chrome.other_lang_href }),
        ));
        let req = HttpRequest::post("/app/energy/tariffs/save?x=1")
            .body(Body::empty())
            .unwrap();
        let r = app.oneshot(req).await.unwrap();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        assert_eq!(&bytes[..], b"/app/energy/tariffs?lang=en");
    }

    #[tokio::test]
    async fn a_visitor_not_signed_in_is_sent_to_sign_in_and_back() {
        let (status, headers, _) = get_page("/app/energy?fluid=gas", &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            headers["location"],
            "/account/login?return_to=%2Fapp%2Fenergy%3Ffluid%3Dgas"
        );
    }
}
