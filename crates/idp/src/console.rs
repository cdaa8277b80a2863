//! `/app/operator/apps`: the operator curates the app directory from the
//! console (as `selfdata app add|list|remove` does from the command line).
//! Each change is in the operator's audit log ([`crate::operate`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use selfdata_site::{Chrome, MenuEntry, Operator, OperatorForm, PageError, Say, page};
use selfdata_store::directory::{AppUse, ListedApp, OperatorAction};
use serde::Deserialize;

use crate::Idp;
use crate::apps::{ListError, parse_use};
use crate::i18n::Texts;

/// The directory's entry in the operator's console.
pub const OPERATOR_MENU: MenuEntry = MenuEntry {
    href: "/app/operator/apps",
    label: Say::new("Annuaire des applications", "App directory"),
};

#[derive(Template)]
#[template(path = "operator_apps.html")]
struct ConsolePage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
    apps: Vec<ListedApp>,
    form: ListForm,
}

/// The listing form, as typed (given back with the error when refused).
#[derive(Debug, Default, Deserialize)]
pub struct ListForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    description: String,
    /// `PATH = WHY`, one per line.
    #[serde(default)]
    reads: String,
    #[serde(default)]
    writes: String,
}

impl ListForm {
    fn uses(lines: &str) -> Result<Vec<AppUse>, ListError> {
        lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(parse_use)
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn console_page(
    idp: &Idp,
    chrome: Chrome,
    csrf: String,
    status: StatusCode,
    (message, error): (Option<String>, Option<String>),
    form: ListForm,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let apps = match idp.listed_apps().await {
        Ok(apps) => apps,
        Err(e) => return PageError::internal(e).into_response(),
    };
    page(
        status,
        ConsolePage {
            chrome,
            t,
            csrf,
            message,
            error,
            apps,
            form,
        }
        .render(),
    )
}

/// `GET /app/operator/apps`.
pub async fn show(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    me: Operator,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let message = match done.ok().and_then(|Query(d)| d.done).as_deref() {
        Some("removed") => Some(t.console_removed.to_owned()),
        _ => None,
    };
    let csrf = me.session.csrf;
    console_page(
        &idp,
        chrome,
        csrf,
        StatusCode::OK,
        (message, None),
        ListForm::default(),
    )
    .await
}

/// `POST /app/operator/apps`: lists an app (or updates its entry), its
/// Client ID Document fetched now.
pub async fn list(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<ListForm>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let listed = async {
        let reads = ListForm::uses(&form.reads)?;
        let writes = ListForm::uses(&form.writes)?;
        idp.list_app(form.client_id.trim(), &form.description, reads, writes)
            .await
    }
    .await;
    let csrf = operator.session.csrf.clone();
    match listed {
        Ok(app) => {
            let action = OperatorAction::new(
                &operator.account.email,
                OperatorAction::APP_LIST,
                app.client_id.clone(),
            );
            if let Err(e) = idp.record(action).await {
                return PageError::internal(e).into_response();
            }
            let message = selfdata_site::fill(t.console_listed, &[("name", &app.name)]);
            let outcome = (Some(message), None);
            console_page(
                &idp,
                chrome,
                csrf,
                StatusCode::OK,
                outcome,
                ListForm::default(),
            )
            .await
        }
        Err(ListError::Store(e)) => PageError::internal(e).into_response(),
        Err(e) => {
            // The reasons name what is wrong with the app's document or a
            // line of the form; they exist in English only.
            let error = if t.lang == "en" {
                e.to_string()
            } else {
                format!("{} {e}", t.details_in_english)
            };
            let outcome = (None, Some(error));
            console_page(&idp, chrome, csrf, StatusCode::BAD_REQUEST, outcome, form).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    client_id: String,
    confirm: Option<String>,
}

/// `POST /app/operator/apps/remove`: only with the box ticked.
pub async fn remove(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<RemoveForm>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    if form.confirm.as_deref() != Some("yes") {
        return PageError::new(StatusCode::BAD_REQUEST, t.console_not_confirmed).into_response();
    }
    let action = OperatorAction::new(
        &operator.account.email,
        OperatorAction::APP_REMOVE,
        form.client_id.clone(),
    );
    if let Err(e) = idp.record(action).await {
        return PageError::internal(e).into_response();
    }
    match idp.unlist_app(&form.client_id).await {
        Ok(true) => Redirect::to("/app/operator/apps?done=removed").into_response(),
        Ok(false) => PageError::new(StatusCode::NOT_FOUND, t.console_not_listed).into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}
