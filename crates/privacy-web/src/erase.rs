//! Erasing a pod for good, and the receipt the resident gets.
//!
//! The store destroys the pod's data key first (crypto-shredding: copies and
//! backups of its files become unreadable), then its files. The owner asks
//! for it on `/app/privacy/delete` after typing their password again (and their
//! second-factor code if they use one) and the pod's name; the operator with
//! `selfdata pod delete NAME --yes`. The pages are drawn in the site's
//! layout, in French or English. A running server also forgets what it
//! cached about the pod, so a new pod with the same name starts clean.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use selfdata_service::Registry;
use selfdata_site::{Chrome, CsrfForm, Resident, page};
use selfdata_store::{Backend, PodName, StoreError};
use serde::Deserialize;

use crate::PrivacyApp;

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
pub fn routes() -> Router<Arc<PrivacyApp>> {
    Router::new().route("/app/privacy/delete", get(form).post(delete))
}

/// The words of the erasure pages.
#[derive(Debug)]
struct EraseWords {
    title: &'static str,
    done_title: &'static str,
    warn: &'static str,
    export_before: &'static str,
    export_link: &'static str,
    password: &'static str,
    code: &'static str,
    confirm: &'static str,
    button: &'static str,
    back: &'static str,
    receipt_intro: &'static str,
    wrong_name: &'static str,
    wrong_password: &'static str,
    failed: &'static str,
}

static FR: EraseWords = EraseWords {
    title: "Supprimer mon espace",
    done_title: "Votre espace est supprimé",
    warn: "Tout ce que contient votre espace sera effacé pour de bon\u{a0}: sa clé de chiffrement est détruite d'abord, si bien que même les copies et sauvegardes deviennent illisibles. Cela ne peut pas être annulé.",
    export_before: "Vous pouvez d'abord",
    export_link: "télécharger tout votre espace",
    password: "Votre mot de passe",
    code: "Code de connexion en deux étapes (si vous l'utilisez)",
    confirm: "Tapez le nom de votre espace pour confirmer",
    button: "Supprimer définitivement",
    back: "Ne rien supprimer et revenir à «\u{a0}Qui a quoi sur moi\u{a0}?\u{a0}»",
    receipt_intro: "Reçu d'effacement (en anglais), à conserver\u{a0}:",
    wrong_name: "Le nom tapé n'est pas celui de votre espace\u{a0}; rien n'a été supprimé.",
    wrong_password: "Mot de passe (ou code) incorrect\u{a0}; rien n'a été supprimé.",
    failed: "L'effacement a échoué\u{a0}; réessayez ou contactez l'opérateur.",
};

static EN: EraseWords = EraseWords {
    title: "Delete my pod",
    done_title: "Your pod is deleted",
    warn: "Everything your pod holds will be erased for good: its encryption key is destroyed first, so even copies and backups become unreadable. This cannot be undone.",
    export_before: "You may first",
    export_link: "download your whole pod",
    password: "Your password",
    code: "Two-step sign-in code (if you use one)",
    confirm: "Type your pod's name to confirm",
    button: "Delete for good",
    back: "Delete nothing and go back to “Who has what on me?”",
    receipt_intro: "Your erasure receipt, to keep:",
    wrong_name: "The name typed is not your pod's; nothing was deleted.",
    wrong_password: "Wrong password (or code); nothing was deleted.",
    failed: "The erasure failed; try again or contact the operator.",
};

selfdata_site::words!(EraseWords, FR, EN);

#[derive(Template)]
#[template(path = "erase.html")]
struct ErasePage<'a> {
    chrome: Chrome,
    w: &'static EraseWords,
    title: &'static str,
    pod: &'a str,
    csrf: &'a str,
    error: Option<&'static str>,
    receipt: Option<ErasureReceipt>,
}

/// The form, with what went wrong when it was sent.
fn form_page(
    chrome: Chrome,
    me: &Resident,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let w: &'static EraseWords = chrome.language().words();
    page(
        status,
        ErasePage {
            chrome,
            w,
            title: w.title,
            pod: me.pod.as_str(),
            csrf: &me.session.csrf,
            error,
            receipt: None,
        }
        .render(),
    )
}

async fn form(chrome: Chrome, me: Resident) -> Response {
    form_page(chrome, &me, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct DeleteForm {
    password: String,
    #[serde(default)]
    totp: String,
    confirm: String,
}

async fn delete(
    State(services): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    CsrfForm {
        resident: me,
        form: f,
    }: CsrfForm<DeleteForm>,
) -> Response {
    let w: &'static EraseWords = chrome.language().words();
    if f.confirm.trim() != me.pod.as_str() {
        return form_page(chrome, &me, Some(w.wrong_name), StatusCode::BAD_REQUEST);
    }
    let key = format!("erase:{}", me.account.id);
    if services
        .idp
        .check_login(&key, &me.account.email, &f.password, &f.totp)
        .await
        .is_err()
    {
        return form_page(
            chrome,
            &me,
            Some(w.wrong_password),
            StatusCode::UNAUTHORIZED,
        );
    }
    match services.erase_pod(&registry, &me.pod).await {
        Ok(receipt) => page(
            StatusCode::OK,
            ErasePage {
                chrome,
                w,
                title: w.done_title,
                pod: me.pod.as_str(),
                csrf: "",
                error: None,
                receipt: Some(receipt),
            }
            .render(),
        ),
        Err(e) => {
            tracing::error!(error = %e, pod = %me.pod, "pod erasure failed");
            form_page(
                chrome,
                &me,
                Some(w.failed),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

impl PrivacyApp {
    /// Erases a pod and forgets what this server cached about it (the
    /// access log's keys, the pod server's caches, every service's).
    pub async fn erase_pod(
        &self,
        registry: &Registry,
        pod: &PodName,
    ) -> Result<ErasureReceipt, StoreError> {
        let log = self
            .ctx
            .solid
            .access_log_hook()
            .and_then(|h| h.as_any().downcast_ref::<crate::log::AccessLog>());
        if let Some(log) = log {
            log.forget_pod(pod).await;
        }
        let receipt = erase(self.ctx.store.as_ref(), &self.idp, pod).await?;
        if let Some(log) = log {
            log.forget_pod(pod).await; // decisions taken while erasing
        }
        self.ctx.solid.forget_pod(pod);
        self.ctx.pipeline.forget_pod(pod);
        registry.forget_pod(pod);
        Ok(receipt)
    }
}
