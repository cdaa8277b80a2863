//! The operator's console: `/app/operator`, one page per service that has
//! something for the operator to manage ([`crate::Service::operator_menu`]),
//! reachable only by the operator's accounts with a second factor
//! ([`Operator`]); to anyone else signed in it does not exist.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use selfdata_site::{Chrome, Lang, MenuEntry, Operator, page};

use crate::Registry;

/// The console's home.
pub const CONSOLE: &str = "/app/operator";

/// One entry of the console.
#[derive(Debug)]
struct Entry {
    href: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "operator.html")]
struct ConsolePage {
    chrome: Chrome,
    title: &'static str,
    lead: &'static str,
    signed_in_as: String,
    entries: Vec<Entry>,
}

/// `GET /app/operator`: what the operator manages, service by service.
pub(crate) async fn console(
    State(registry): State<Arc<Registry>>,
    chrome: Chrome,
    me: Operator,
) -> Response {
    let lang = chrome.language();
    let entries = registry
        .operator_menu()
        .into_iter()
        .map(|MenuEntry { href, label }| Entry {
            href,
            label: label.in_(lang),
        })
        .collect();
    let (title, lead, signed_in_as) = match lang {
        Lang::Fr => (
            "Console de l'opérateur",
            "Ce que vous gérez pour tous les résidents. Chaque action est faite en votre nom.",
            format!("Connecté en tant que {}", me.account.email),
        ),
        Lang::En => (
            "Operator's console",
            "What you manage for every resident. Each action is taken in your name.",
            format!("Signed in as {}", me.account.email),
        ),
    };
    page(
        StatusCode::OK,
        ConsolePage {
            chrome,
            title,
            lead,
            signed_in_as,
            entries,
        }
        .render(),
    )
}
