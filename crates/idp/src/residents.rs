//! `/app/operator/residents` and `/app/operator/audit`: the operator's
//! help desk. A resident calls: they cannot sign in (their network is
//! locked out, or they forgot their password), their pod is full, their
//! account is misused. The operator finds them by part of their address,
//! sees their pods' usage against quota, and lifts the lockouts, issues a
//! reset code, raises a quota, suspends or restores the account; makes
//! invitation codes for newcomers. Every action goes through
//! [`crate::operate`], so it is in the audit log before it is taken, and
//! the resident reads it on their account page.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use selfdata_site::{Chrome, Lang, MenuEntry, Operator, OperatorForm, PageError, Say, fill, page};
use selfdata_store::PodName;
use selfdata_store::directory::{Account, OperatorAction};
use serde::Deserialize;

use crate::Idp;
use crate::operate::{describe, paris_minute};
use selfdata_site::human_bytes;

/// The residents' entry in the operator's console.
pub const RESIDENTS_MENU: MenuEntry = MenuEntry {
    href: "/app/operator/residents",
    label: Say::new("Résidents et espaces", "Residents and pods"),
};

/// The audit log's entry in the operator's console.
pub const AUDIT_MENU: MenuEntry = MenuEntry {
    href: "/app/operator/audit",
    label: Say::new("Journal des actions de l'opérateur", "Operator's audit log"),
};

/// Residents one search shows at most.
const PAGE: usize = 50;
/// Actions the audit page shows (the newest).
const AUDIT_PAGE: usize = 200;
/// Characters of a suspension's reason.
const MAX_REASON: usize = 500;

/// The console's words about residents.
pub struct ResidentWords {
    pub title: &'static str,
    pub intro: &'static str,
    pub search: &'static str,
    pub search_button: &'static str,
    pub found: &'static str,
    pub more: &'static str,
    pub none: &'static str,
    pub invites: &'static str,
    pub invite_button: &'static str,
    pub invite_made: &'static str,
    pub since: &'static str,
    pub active: &'static str,
    pub suspended: &'static str,
    pub second_factor_on: &'static str,
    pub second_factor_off: &'static str,
    pub pods: &'static str,
    pub no_pod: &'static str,
    pub used_of: &'static str,
    pub no_limit: &'static str,
    pub own_quota: &'static str,
    pub quota_label: &'static str,
    pub quota_hint: &'static str,
    pub quota_button: &'static str,
    pub quota_default: &'static str,
    pub suspend_title: &'static str,
    pub suspend_reason: &'static str,
    pub suspend_hint: &'static str,
    pub suspend_button: &'static str,
    pub restore_button: &'static str,
    pub unlock_title: &'static str,
    pub unlock_hint: &'static str,
    pub unlock_button: &'static str,
    pub reset_button: &'static str,
    pub reset_made: &'static str,
    pub actions: &'static str,
    pub no_actions: &'static str,
    pub by: &'static str,
    pub back: &'static str,
    pub back_residents: &'static str,
    pub done: &'static str,
    pub no_account: &'static str,
    pub bad_quota: &'static str,
    pub need_reason: &'static str,
    pub not_yourself: &'static str,
    pub not_its_pod: &'static str,
    pub no_such_action: &'static str,
    pub audit_title: &'static str,
    pub audit_intro: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub what: &'static str,
    pub concerning: &'static str,
}

const EN: ResidentWords = ResidentWords {
    title: "Residents and pods",
    intro: "Find a resident by part of their e-mail address. Each action here is recorded in the operator's audit log before it is taken, and the resident sees it on their account page.",
    search: "E-mail address, or part of it",
    search_button: "Search",
    found: "{n} accounts match; the first {shown} are shown.",
    more: "Type more of the address to narrow the list.",
    none: "No account matches.",
    invites: "Invitations: {made} made, {unused} not used yet.",
    invite_button: "Make an invitation code",
    invite_made: "New invitation code, shown once (give it to the newcomer; it works for one sign-up):",
    since: "since",
    active: "Active",
    suspended: "Suspended since {when}",
    second_factor_on: "second factor on",
    second_factor_off: "no second factor",
    pods: "Pods",
    no_pod: "No pod.",
    used_of: "{used} of {quota}",
    no_limit: "no limit",
    own_quota: "its own quota",
    quota_label: "Quota of {pod}, in MiB",
    quota_hint: "Leave empty to give the pod the server's default back.",
    quota_button: "Set the quota",
    quota_default: "server's default",
    suspend_title: "Suspend the account",
    suspend_reason: "Reason (the resident reads it)",
    suspend_hint: "Sign-in refused, every session ended, every app's and script's token revoked, until you restore it. The pod's data stays.",
    suspend_button: "Suspend",
    restore_button: "Restore the account",
    unlock_title: "Sign-in lockouts",
    unlock_hint: "After repeated failures a network is locked out of this account for a while. Lift every lockout when the resident has called you.",
    unlock_button: "Lift the lockouts",
    reset_button: "Issue a password reset code",
    reset_made: "Reset code, shown once (the resident types it on the password reset page; valid 24 hours, once):",
    actions: "What the operator did on this account",
    no_actions: "Nothing yet.",
    by: "by",
    back: "Back to the console",
    back_residents: "Back to the residents",
    done: "Done, and recorded in the audit log.",
    no_account: "There is no such account.",
    bad_quota: "The quota is a whole number of MiB, from 1 to 1,048,576 (1 TiB).",
    need_reason: "Say why, in at most 500 characters: the resident reads it.",
    not_yourself: "You cannot suspend your own account: ask another operator.",
    not_its_pod: "This account has no pod of that name.",
    no_such_action: "This page has no such action: use one of its buttons.",
    audit_title: "Operator's audit log",
    audit_intro: "Every action taken by an operator, newest first. Nothing in it can be changed or removed.",
    when: "When (Paris)",
    who: "Operator",
    what: "Action",
    concerning: "Concerning",
};

const FR: ResidentWords = ResidentWords {
    title: "Résidents et espaces",
    intro: "Retrouvez un résident par une partie de son adresse e-mail. Chaque action ici est inscrite au journal des actions de l'opérateur avant d'être faite, et le résident la voit sur sa page de compte.",
    search: "Adresse e-mail, ou une partie",
    search_button: "Chercher",
    found: "{n} comptes correspondent ; les {shown} premiers sont affichés.",
    more: "Tapez davantage de l'adresse pour réduire la liste.",
    none: "Aucun compte ne correspond.",
    invites: "Invitations : {made} créées, {unused} pas encore utilisées.",
    invite_button: "Créer un code d'invitation",
    invite_made: "Nouveau code d'invitation, affiché une seule fois (donnez-le au nouveau venu ; il sert à une inscription) :",
    since: "depuis le",
    active: "Actif",
    suspended: "Suspendu depuis le {when}",
    second_factor_on: "second facteur activé",
    second_factor_off: "sans second facteur",
    pods: "Espaces",
    no_pod: "Aucun espace.",
    used_of: "{used} sur {quota}",
    no_limit: "sans limite",
    own_quota: "quota propre",
    quota_label: "Quota de {pod}, en Mio",
    quota_hint: "Laissez vide pour rendre à l'espace le quota du serveur.",
    quota_button: "Fixer le quota",
    quota_default: "quota du serveur",
    suspend_title: "Suspendre le compte",
    suspend_reason: "Raison (le résident la lit)",
    suspend_hint: "Connexion refusée, toutes les sessions fermées, les jetons de toutes les applications et de tous les scripts révoqués, jusqu'à ce que vous le rétablissiez. Les données de l'espace restent.",
    suspend_button: "Suspendre",
    restore_button: "Rétablir le compte",
    unlock_title: "Blocages de connexion",
    unlock_hint: "Après des échecs répétés, un réseau est bloqué un moment pour ce compte. Levez tous les blocages quand le résident vous a appelé.",
    unlock_button: "Lever les blocages",
    reset_button: "Émettre un code de réinitialisation du mot de passe",
    reset_made: "Code de réinitialisation, affiché une seule fois (le résident le tape sur la page de réinitialisation ; valable 24 heures, une fois) :",
    actions: "Ce que l'opérateur a fait sur ce compte",
    no_actions: "Rien pour l'instant.",
    by: "par",
    back: "Retour à la console",
    back_residents: "Retour aux résidents",
    done: "C'est fait, et inscrit au journal des actions.",
    no_account: "Ce compte n'existe pas.",
    bad_quota: "Le quota est un nombre entier de Mio, de 1 à 1 048 576 (1 Tio).",
    need_reason: "Dites pourquoi, en 500 caractères au plus : le résident le lit.",
    not_yourself: "Vous ne pouvez pas suspendre votre propre compte : demandez à un autre opérateur.",
    not_its_pod: "Ce compte n'a pas d'espace de ce nom.",
    no_such_action: "Cette page n'a pas cette action : utilisez l'un de ses boutons.",
    audit_title: "Journal des actions de l'opérateur",
    audit_intro: "Chaque action faite par un opérateur, la plus récente en premier. Rien ne peut y être changé ni retiré.",
    when: "Quand (heure de Paris)",
    who: "Opérateur",
    what: "Action",
    concerning: "Concerne",
};

selfdata_site::words!(ResidentWords, FR, EN);

/// One pod as the console shows it.
struct PodRow {
    name: String,
    /// `1.2 MiB of 1 GiB`.
    usage: String,
    /// The quota field's label.
    quota_label: String,
    /// `<meter>` values: bytes used and the quota (0 when none).
    used_bytes: u64,
    quota_bytes: u64,
    own_quota: bool,
    /// The quota in MiB, for the form (empty for the default).
    quota_mib: String,
}

/// One account in the list.
struct ResidentRow {
    id: i64,
    email: String,
    since: String,
    state: String,
    suspended: bool,
    pods: Vec<PodRow>,
}

/// One action as the pages show it.
pub(crate) struct ActionRow {
    pub when: String,
    pub operator: String,
    pub what: String,
    pub concerning: String,
}

impl ActionRow {
    pub(crate) fn of(a: &OperatorAction, lang: Lang, email: Option<&str>) -> Self {
        let concerning = match (email, &a.pod) {
            (Some(e), Some(p)) => format!("{e} ({p})"),
            (Some(e), None) => e.to_owned(),
            (None, Some(p)) => p.clone(),
            (None, None) => String::new(),
        };
        ActionRow {
            when: paris_minute(a.at_ms),
            operator: a.operator.clone(),
            what: describe(a, lang),
            concerning,
        }
    }
}

#[derive(Template)]
#[template(path = "operator_residents.html")]
struct ResidentsPage {
    chrome: Chrome,
    w: &'static ResidentWords,
    csrf: String,
    query: String,
    summary: Option<String>,
    narrow: bool,
    residents: Vec<ResidentRow>,
    invites: String,
    new_invite: Option<String>,
}

#[derive(Template)]
#[template(path = "operator_resident.html")]
struct ResidentPage {
    chrome: Chrome,
    w: &'static ResidentWords,
    csrf: String,
    resident: ResidentRow,
    second_factor: &'static str,
    message: Option<String>,
    error: Option<String>,
    reset_code: Option<String>,
    actions: Vec<ActionRow>,
}

#[derive(Template)]
#[template(path = "operator_audit.html")]
struct AuditPage {
    chrome: Chrome,
    w: &'static ResidentWords,
    actions: Vec<ActionRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

impl Idp {
    async fn resident_row(
        &self,
        account: Account,
        w: &ResidentWords,
    ) -> Result<ResidentRow, PageError> {
        let mut pods = Vec::new();
        for name in self
            .directory
            .pods_of(account.id)
            .await
            .map_err(PageError::internal)?
        {
            let Ok(pod) = PodName::parse(&name) else {
                continue;
            };
            let usage = self.pods.usage(&pod).await.map_err(PageError::internal)?;
            let limited = usage.quota != u64::MAX;
            let quota = if limited {
                human_bytes(usage.quota)
            } else {
                w.no_limit.to_owned()
            };
            pods.push(PodRow {
                usage: fill(
                    w.used_of,
                    &[("used", &human_bytes(usage.used)), ("quota", &quota)],
                ),
                quota_label: fill(w.quota_label, &[("pod", &name)]),
                name,
                used_bytes: usage.used,
                quota_bytes: if limited { usage.quota } else { 0 },
                own_quota: usage.own_quota,
                quota_mib: if usage.own_quota {
                    (usage.quota / (1024 * 1024)).to_string()
                } else {
                    String::new()
                },
            });
        }
        let state = match account.suspended_ms {
            Some(ms) => fill(w.suspended, &[("when", &paris_minute(ms))]),
            None => w.active.to_owned(),
        };
        Ok(ResidentRow {
            id: account.id,
            email: account.email,
            since: paris_minute(account.created_ms),
            state,
            suspended: account.suspended_ms.is_some(),
            pods,
        })
    }
}

async fn residents_page(
    idp: &Idp,
    chrome: Chrome,
    me: &Operator,
    query: String,
    new_invite: Option<String>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let w = <ResidentWords as selfdata_site::Words>::of(lang);
    let (found, total) = idp
        .directory
        .find_accounts(&query, PAGE)
        .await
        .map_err(PageError::internal)?;
    let mut residents = Vec::with_capacity(found.len());
    for account in found {
        residents.push(idp.resident_row(account, w).await?);
    }
    let (made, unused) = idp.directory.invites().await.map_err(PageError::internal)?;
    let summary = (total > 0).then(|| {
        fill(
            w.found,
            &[
                ("n", &selfdata_site::count(total, lang)),
                ("shown", &residents.len().to_string()),
            ],
        )
    });
    let invites = fill(
        w.invites,
        &[
            ("made", &selfdata_site::count(made, lang)),
            ("unused", &selfdata_site::count(unused, lang)),
        ],
    );
    Ok(page(
        StatusCode::OK,
        ResidentsPage {
            chrome,
            w,
            csrf: me.session.csrf.clone(),
            query,
            summary,
            narrow: total as usize > residents.len(),
            residents,
            invites,
            new_invite,
        }
        .render(),
    ))
}

/// `GET /app/operator/residents?q=…`.
pub async fn list(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    me: Operator,
    search: Result<Query<Search>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let query = search.map(|Query(s)| s.q).unwrap_or_default();
    let query: String = query.trim().chars().take(254).collect();
    residents_page(&idp, chrome, &me, query, None).await
}

/// `POST /app/operator/invites`: a new code, shown once.
pub async fn invite(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    OperatorForm { operator, .. }: OperatorForm<Nothing>,
) -> Result<Response, PageError> {
    let code = idp
        .invite(&operator.account.email)
        .await
        .map_err(PageError::internal)?;
    residents_page(&idp, chrome, &operator, String::new(), Some(code)).await
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// What a resident's page says after an action.
#[derive(Default)]
struct Outcome {
    status: Option<StatusCode>,
    message: Option<String>,
    error: Option<String>,
    reset_code: Option<String>,
}

async fn resident_page(
    idp: &Idp,
    chrome: Chrome,
    me: &Operator,
    account: Account,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let w = <ResidentWords as selfdata_site::Words>::of(lang);
    let second_factor = if account.totp_secret.is_some() {
        w.second_factor_on
    } else {
        w.second_factor_off
    };
    let actions = idp
        .directory
        .operator_actions(Some(account.id), AUDIT_PAGE)
        .await
        .map_err(PageError::internal)?
        .iter()
        .map(|a| ActionRow::of(a, lang, None))
        .collect();
    let resident = idp.resident_row(account, w).await?;
    Ok(page(
        outcome.status.unwrap_or(StatusCode::OK),
        ResidentPage {
            chrome,
            w,
            csrf: me.session.csrf.clone(),
            resident,
            second_factor,
            message: outcome.message,
            error: outcome.error,
            reset_code: outcome.reset_code,
            actions,
        }
        .render(),
    ))
}

async fn account_or_404(idp: &Idp, id: i64, lang: Lang) -> Result<Account, PageError> {
    let w = <ResidentWords as selfdata_site::Words>::of(lang);
    idp.directory
        .account(id)
        .await
        .map_err(PageError::internal)?
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, w.no_account))
}

/// `GET /app/operator/residents/{id}`.
pub async fn show(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    me: Operator,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let account = account_or_404(&idp, id, chrome.language()).await?;
    resident_page(&idp, chrome, &me, account, Outcome::default()).await
}

/// What the operator did on a resident's page.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    /// `suspend`, `restore`, `unlock`, `reset` or `quota`.
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    pod: String,
    /// MiB; empty for the server's default.
    #[serde(default)]
    quota_mib: String,
}

/// `POST /app/operator/residents/{id}`: one action on the account.
pub async fn act(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    Path(id): Path<i64>,
    OperatorForm { operator, form }: OperatorForm<ActionForm>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let w = <ResidentWords as selfdata_site::Words>::of(lang);
    let account = account_or_404(&idp, id, lang).await?;
    let by = operator.account.email.clone();
    let refused = |error: &str| Outcome {
        status: Some(StatusCode::BAD_REQUEST),
        error: Some(error.to_owned()),
        ..Outcome::default()
    };
    let done = Outcome {
        message: Some(w.done.to_owned()),
        ..Outcome::default()
    };
    let outcome = match form.action.as_str() {
        "suspend" if account.id == operator.account.id => refused(w.not_yourself),
        "suspend" => match crate::accounts::clean_name(&form.reason, MAX_REASON) {
            Some(reason) if !reason.is_empty() => {
                idp.suspend_account(&by, &account, &reason)
                    .await
                    .map_err(PageError::internal)?;
                done
            }
            _ => refused(w.need_reason),
        },
        "restore" => {
            idp.restore_account(&by, &account)
                .await
                .map_err(PageError::internal)?;
            done
        }
        "unlock" => {
            idp.lift_lockouts(&by, &account)
                .await
                .map_err(PageError::internal)?;
            done
        }
        "reset" => {
            let code = idp
                .reset_code(&by, &account)
                .await
                .map_err(PageError::internal)?;
            Outcome {
                reset_code: Some(code),
                ..done
            }
        }
        "quota" => {
            let owned = idp
                .directory
                .pods_of(account.id)
                .await
                .map_err(PageError::internal)?;
            let pod = owned
                .iter()
                .find(|p| **p == form.pod)
                .and_then(|p| PodName::parse(p).ok())
                .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, w.not_its_pod))?;
            let mib = form.quota_mib.trim();
            let bytes = if mib.is_empty() {
                Ok(None)
            } else {
                mib.parse::<u64>()
                    .ok()
                    .filter(|m| (1..=1024 * 1024).contains(m))
                    .map(|m| Some(m * 1024 * 1024))
                    .ok_or(())
            };
            match bytes {
                Ok(bytes) => {
                    idp.set_pod_quota(&by, &pod, bytes)
                        .await
                        .map_err(PageError::internal)?;
                    done
                }
                Err(()) => refused(w.bad_quota),
            }
        }
        _ => return Err(PageError::new(StatusCode::BAD_REQUEST, w.no_such_action)),
    };
    let account = account_or_404(&idp, id, lang).await?;
    resident_page(&idp, chrome, &operator, account, outcome).await
}

/// `GET /app/operator/audit`: the newest actions of every operator.
pub async fn audit(
    State(idp): State<Arc<Idp>>,
    chrome: Chrome,
    _me: Operator,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let w = <ResidentWords as selfdata_site::Words>::of(lang);
    let recorded = idp
        .directory
        .operator_actions(None, AUDIT_PAGE)
        .await
        .map_err(PageError::internal)?;
    // Each account concerned looked up once, however many actions name it.
    let mut emails = std::collections::HashMap::new();
    let mut actions = Vec::with_capacity(recorded.len());
    for a in &recorded {
        let email = match a.account_id {
            Some(id) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = emails.entry(id) {
                    let account = idp
                        .directory
                        .account(id)
                        .await
                        .map_err(PageError::internal)?;
                    slot.insert(account.map(|a| a.email));
                }
                emails[&id].as_deref()
            }
            None => None,
        };
        actions.push(ActionRow::of(a, lang, email));
    }
    Ok(page(
        StatusCode::OK,
        AuditPage { chrome, w, actions }.render(),
    ))
}
