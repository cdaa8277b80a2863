//! Erasing a pod for good, and the receipt the resident gets.
//!
//! The store destroys the pod's data key first (crypto-shredding: copies and
//! backups of its files become unreadable), then its files. The owner asks
//! for it on `/privacy/delete` after typing their password again (and their
//! second-factor code if they use one) and the pod's name; the operator with
//! `selfdata pod delete NAME --yes`. A running server also forgets what it
//! cached about the pod, so a new pod with the same name starts clean.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use selfdata_store::{Backend, PodName, StoreError};
use serde::Deserialize;

use crate::Services;
use crate::dashboard::{page, resident};

/// What the resident gets when a pod is erased.
#[derive(Debug, Clone)]
pub struct ErasureReceipt {
    pub pod: String,
    /// When the data key was destroyed (RFC 3339, UTC).
    pub time_utc: String,
    /// What was destroyed, one sentence each.
    pub destroyed: Vec<String>,
}

impl std::fmt::Display for ErasureReceipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Erasure receipt")?;
        writeln!(f, "pod: {}", self.pod)?;
        writeln!(f, "time (UTC): {}", self.time_utc)?;
        writeln!(f, "destroyed:")?;
        for line in &self.destroyed {
            writeln!(f, "  - {line}")?;
        }
        Ok(())
    }
}

/// Erases `pod` and says what was destroyed: first everything that speaks
/// for its WebID (token families, app authorisations, client credentials,
/// and the owner's sign-in sessions when no other pod is left to them), so
/// the very next request with any of them fails; then the pod through the
/// store (its data key first); its name is never given again.
pub async fn erase(
    store: &dyn Backend,
    idp: &selfdata_idp::Idp,
    pod: &PodName,
) -> Result<ErasureReceipt, StoreError> {
    if store.pod(pod).await?.is_none() {
        return Err(StoreError::NoSuchPod(pod.to_string()));
    }
    let directory = idp.directory();
    let owner = directory.pod_owner(pod.as_str()).await?;
    let webid = selfdata_solid::provision::webid_of(&idp.config().base_url, pod);
    idp.revoke(selfdata_store::directory::RevokeScope::WebId(&webid))
        .await?;
    let erasure = store.delete_pod(pod).await?;
    let mut signed_out = false;
    if let Some(account) = owner
        && directory.pods_of(account).await?.is_empty()
    {
        directory.delete_sessions_of(account, None).await?;
        signed_out = true;
    }
    let time = jiff::Timestamp::from_millisecond(erasure.key_destroyed_ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let mut destroyed = Vec::new();
    if erasure.key_destroyed {
        destroyed.push(format!(
            "the pod's data key (copies and backups of its files can no longer be decrypted), at {time}"
        ));
    }
    destroyed.push(format!(
        "{} files ({} bytes): the pod's database, its journal and its large files",
        erasure.files_removed, erasure.bytes_removed
    ));
    destroyed.push(format!(
        "every token, app authorisation and key for scripts speaking for {webid}"
    ));
    if signed_out {
        destroyed.push("every sign-in session of the owner's account".to_owned());
    }
    if owner.is_some() {
        destroyed.push("the link between the pod and its owner's account".to_owned());
    }
    destroyed.push(format!(
        "the name '{pod}' (never given to anyone else, so nothing that named the old pod passes to a new one)"
    ));
    Ok(ErasureReceipt {
        pod: pod.to_string(),
        time_utc: time,
        destroyed,
    })
}

/// The erasure routes.
pub fn routes() -> Router<Arc<Services>> {
    Router::new().route("/privacy/delete", get(form).post(delete))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(lang: &str, title: &str, body: &str) -> Result<String, askama::Error> {
    Ok(format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · selfdata</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><header><a class=\"brand\" href=\"/account\">selfdata</a></header><main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

fn form_page(
    lang: &str,
    pod: &PodName,
    csrf: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let fr = lang == "fr";
    let title = if fr {
        "Supprimer mon espace"
    } else {
        "Delete my pod"
    };
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let (warn, pw, code, confirm, button, export) = if fr {
        (
            "Tout ce que contient votre espace sera effacé pour de bon : sa clé de chiffrement est détruite d'abord, si bien que même les copies et sauvegardes deviennent illisibles. Cela ne peut pas être annulé.",
            "Votre mot de passe",
            "Code de connexion en deux étapes (si vous l'utilisez)",
            "Tapez le nom de votre espace pour confirmer",
            "Supprimer définitivement",
            "Vous pouvez d'abord <a href=\"/privacy/export\">télécharger tout votre espace</a>.",
        )
    } else {
        (
            "Everything your pod holds will be erased for good: its encryption key is destroyed first, so even copies and backups become unreadable. This cannot be undone.",
            "Your password",
            "Two-step sign-in code (if you use one)",
            "Type your pod's name to confirm",
            "Delete for good",
            "You may first <a href=\"/privacy/export\">download your whole pod</a>.",
        )
    };
    let body = format!(
        "{error}<p>{warn}</p><p>{export}</p><form method=\"post\" action=\"/privacy/delete\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"password\">{pw}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required><label for=\"totp\">{code}</label><input id=\"totp\" name=\"totp\" inputmode=\"numeric\" autocomplete=\"one-time-code\"><label for=\"confirm\">{confirm} ({pod})</label><input id=\"confirm\" name=\"confirm\" required autocomplete=\"off\"><button class=\"danger\">{button}</button></form>",
        csrf = escape(csrf),
        pod = escape(pod.as_str()),
    );
    page(status, html(lang, title, &body))
}

async fn form(State(services): State<Arc<Services>>, headers: HeaderMap) -> Response {
    let me = match resident(&services, &headers, "/privacy/delete").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let lang = selfdata_idp::i18n::language(&headers);
    form_page(lang, &me.pod, &me.session.csrf, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: String,
    password: String,
    #[serde(default)]
    totp: String,
    confirm: String,
}

async fn delete(
    State(services): State<Arc<Services>>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<DeleteForm>,
) -> Response {
    let me = match resident(&services, &headers, "/privacy/delete").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let lang = selfdata_idp::i18n::language(&headers);
    let fr = lang == "fr";
    if !selfdata_idp::accounts::constant_eq(&me.session.csrf, &f.csrf) {
        let msg = if fr {
            "Ce formulaire a expiré ; rouvrez la page."
        } else {
            "This form has expired; open the page again."
        };
        return form_page(
            lang,
            &me.pod,
            &me.session.csrf,
            Some(msg),
            StatusCode::FORBIDDEN,
        );
    }
    if f.confirm.trim() != me.pod.as_str() {
        let msg = if fr {
            "Le nom tapé n'est pas celui de votre espace ; rien n'a été supprimé."
        } else {
            "The name typed is not your pod's; nothing was deleted."
        };
        return form_page(
            lang,
            &me.pod,
            &me.session.csrf,
            Some(msg),
            StatusCode::BAD_REQUEST,
        );
    }
    let key = format!("erase:{}", me.account.id);
    if services
        .idp
        .check_login(&key, &me.account.email, &f.password, &f.totp)
        .await
        .is_err()
    {
        let msg = if fr {
            "Mot de passe (ou code) incorrect ; rien n'a été supprimé."
        } else {
            "Wrong password (or code); nothing was deleted."
        };
        return form_page(
            lang,
            &me.pod,
            &me.session.csrf,
            Some(msg),
            StatusCode::UNAUTHORIZED,
        );
    }
    match services.erase_pod(&me.pod).await {
        Ok(receipt) => {
            let title = if fr {
                "Votre espace est supprimé"
            } else {
                "Your pod is deleted"
            };
            let items: String = receipt
                .destroyed
                .iter()
                .map(|d| format!("<li>{}</li>", escape(d)))
                .collect();
            let body = format!(
                "<p>{}</p><ul>{items}</ul><pre class=\"receipt\">{}</pre>",
                if fr {
                    "Reçu d'effacement (en anglais), à conserver :"
                } else {
                    "Your erasure receipt, to keep:"
                },
                escape(&receipt.to_string())
            );
            let mut r = page(StatusCode::OK, html(lang, title, &body));
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, pod = %me.pod, "pod erasure failed");
            let msg = if fr {
                "L'effacement a échoué ; réessayez ou contactez l'opérateur."
            } else {
                "The erasure failed; try again or contact the operator."
            };
            form_page(
                lang,
                &me.pod,
                &me.session.csrf,
                Some(msg),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

impl Services {
    /// Erases a pod and forgets what this server cached about it.
    pub async fn erase_pod(&self, pod: &PodName) -> Result<ErasureReceipt, StoreError> {
        let log = self
            .solid
            .access_log_hook()
            .and_then(|h| h.as_any().downcast_ref::<crate::log::AccessLog>());
        if let Some(log) = log {
            log.forget_pod(pod).await;
        }
        let receipt = erase(self.store.as_ref(), &self.idp, pod).await?;
        if let Some(log) = log {
            log.forget_pod(pod).await; // decisions taken while erasing
        }
        self.solid.forget_pod(pod);
        self.energy.forget_pod(pod);
        Ok(receipt)
    }
}
