//! The one test browser for the HTML pages: a client keeping cookies in
//! reqwest's cookie store, following no redirect (so a test sees the 303 and
//! where it points) and asking for the pages in one language; the steps a
//! resident takes through the pages (sign up, sign in, answer a consent
//! screen, post files as a browser does); and `field`, the one scraper of a
//! form field's value.

use reqwest::header::{ACCEPT_LANGUAGE, HeaderMap, HeaderValue};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, ClientBuilder, Method, RequestBuilder, Response};

/// A browser on the server at `base`: its own cookies, one language.
pub struct Browser {
    base: String,
    client: Client,
}

/// What the server answered to one request of the browser.
pub struct Page {
    pub status: u16,
    /// Where a redirect points, as the server wrote it.
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub async fn read(response: Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Self {
            status,
            location,
            headers,
            body,
        }
    }

    /// A header of the answer, if it came.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

impl Browser {
    /// A browser reading the pages in English.
    pub fn new(base: &str) -> Self {
        Self::in_language(base, "en")
    }

    /// A browser whose `Accept-Language` is `lang` (e.g. `fr-FR,fr;q=0.9`).
    pub fn in_language(base: &str, lang: &str) -> Self {
        Self::build(base, lang, Client::builder())
    }

    /// A browser in English on a client set up by `builder` (a host name
    /// resolved to the test server, another loopback source address).
    pub fn with(base: &str, builder: ClientBuilder) -> Self {
        Self::build(base, "en", builder)
    }

    fn build(base: &str, lang: &str, builder: ClientBuilder) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(lang).unwrap());
        let client = builder
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            client,
        }
    }

    /// The same browser (its cookies) sending to another server of the
    /// installation at `base`, as a load balancer would.
    pub fn at(&self, base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            client: self.client.clone(),
        }
    }

    /// A request to `path` (under the server's base) carrying the browser's
    /// cookies, for what the helpers below do not cover (another language,
    /// the raw response).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// The raw answer to a GET of `path`.
    pub async fn response(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Page {
        Page::read(self.response(path).await).await
    }

    /// Posts a form (`application/x-www-form-urlencoded`) as given.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.request(Method::POST, path).form(form).send().await;
        Page::read(r.unwrap()).await
    }

    /// Posts files as a browser does (`multipart/form-data`, each as a
    /// `files` part), with the CSRF field first when there is one.
    pub async fn post_files(
        &self,
        path: &str,
        csrf: Option<&str>,
        files: &[(&str, &[u8])],
    ) -> Page {
        let mut form = Form::new();
        if let Some(csrf) = csrf {
            form = form.text("csrf", csrf.to_owned());
        }
        for (name, bytes) in files {
            let part = Part::bytes(bytes.to_vec())
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .unwrap();
            form = form.part("files", part);
        }
        let r = self.request(Method::POST, path).multipart(form).send();
        Page::read(r.await.unwrap()).await
    }

    /// Follows an import job until it ends (checking its page keeps
    /// showing a progress bar and refreshes itself while it runs); returns
    /// its last page.
    pub async fn wait_job(&self, path: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let page = self.get(path).await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(
                page.body.contains("<progress"),
                "the job page shows a progress bar"
            );
            if !page.body.contains("data-running") {
                assert!(
                    !page.body.contains("http-equiv=\"refresh\""),
                    "a finished job stops refreshing"
                );
                return page.body;
            }
            assert!(
                page.body
                    .contains("<noscript><meta http-equiv=\"refresh\" content=\"1\"></noscript>"),
                "a running job's page refreshes itself without script"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "the import did not end"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Opens the sign-up page and signs up with a pod of its own, back to
    /// the account page.
    pub async fn sign_up(&self, email: &str, password: &str, pod: &str) -> Page {
        let csrf = field(&self.get("/account/signup").await.body, "csrf");
        let form = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("pod", pod),
            ("return_to", "/account"),
        ];
        self.post("/account/signup", &form).await
    }

    /// Opens the sign-in page and signs in, asking to land on `return_to`.
    pub async fn sign_in(&self, email: &str, password: &str, return_to: &str) -> Page {
        let csrf = field(&self.get("/account/login").await.body, "csrf");
        let form = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("return_to", return_to),
        ];
        self.post("/account/login", &form).await
    }

    /// Signs in with the password and the current code of the account's
    /// TOTP `secret`, as someone with their authenticator app does.
    pub async fn sign_in_with_code(&self, email: &str, password: &str, secret: &str) -> Page {
        let csrf = field(&self.get("/account/login").await.body, "csrf");
        let code = totp_code(secret);
        let form = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("totp", code.as_str()),
            ("return_to", "/account"),
        ];
        self.post("/account/login", &form).await
    }

    /// Opens the consent screen at `authorize` (a path) and answers it
    /// (`allow` or `deny`) as `webid`.
    pub async fn consent(&self, authorize: &str, webid: &str, decision: &str) -> Page {
        let page = self.get(authorize).await;
        assert_eq!(page.status, 200, "the consent screen: {}", page.body);
        let page = page.body;
        let (csrf, request) = (field(&page, "csrf"), field(&page, "request"));
        let form = [
            ("csrf", csrf.as_str()),
            ("request", request.as_str()),
            ("webid", webid),
            ("decision", decision),
        ];
        self.post("/idp/authorize", &form).await
    }
}

/// The value of the first form field `name` in a page, its HTML escapes undone.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    unescape(&html[start..start + html[start..].find('"').unwrap()])
}

/// Undoes the escapes the pages write in text and attribute values.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#43;", "+")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The current 6-digit code for a base32 TOTP secret, as an authenticator app shows it.
pub fn totp_code(secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .generate_current()
    .unwrap()
}
