//! `/app/operator/holders`: the operator's registry of data holders.
//!
//! What the operator does here: registers a holder (its name, its data
//! protection contact, what it delivers, how residents are known there and
//! which column of its files names them), hands its client id and secret
//! (shown once) to the holder's IT, sees whether it is used (residents
//! connected, pushes, deliveries and how many failed), gives it a new
//! secret when the old one leaked, registers the public key its pushes
//! must be signed with when the holder wants more than a secret, and
//! removes it: its residents are
//! disconnected first (their consent records withdrawn), then its pushes
//! are refused. The CLI (`selfdata holder add|list|remove`) does the same
//! through the same functions.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use selfdata_holders::signing::PushKey;
use selfdata_site::{Chrome, Lang, Operator, OperatorForm, PageError, Say, count, page};
use selfdata_store::PodName;
use selfdata_store::holders::{Activity, Holder, HolderLimits, Layout};
use serde::Deserialize;

use crate::HoldersApp;
use crate::pages::{Done, paris, withdraw_record};

/// The categories a holder may deliver (what a service imports).
pub const CATEGORIES: [&str; 4] = ["water", "electricity", "gas", "bank"];

/// A holder to register, as the operator describes it.
#[derive(Debug, Clone, Default)]
pub struct NewHolder {
    pub id: String,
    pub name: String,
    pub contact: String,
    /// What it delivers; empty exactly when `receives_only`.
    pub categories: Vec<String>,
    /// It delivers nothing and only receives direct transfers (no
    /// identifier, layout or column then).
    pub receives_only: bool,
    /// How residents are known there, in their words.
    pub identifier: String,
    /// How its pushes are laid out.
    pub layout: Layout,
    /// With [`Layout::Column`]: the column of its files that names the
    /// customer (empty: the identifier's words); empty otherwise.
    pub column: String,
    /// What its pushes may cost.
    pub limits: LimitChanges,
    /// The public key its pushes must be signed with, as given (PEM or
    /// base64); `None` keeps what the holder had (a new holder: none).
    pub push_key: Option<String>,
}

/// Limits the operator gives: each one given replaces the holder's, each
/// one left out stays as it was (a new holder's: the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitChanges {
    pub pushes_per_hour: Option<u32>,
    pub at_once: Option<u32>,
    pub max_push_mib: Option<u32>,
}

impl LimitChanges {
    /// `base` with these changes.
    pub fn over(self, base: HolderLimits) -> HolderLimits {
        HolderLimits {
            pushes_per_hour: self.pushes_per_hour.unwrap_or(base.pushes_per_hour),
            at_once: self.at_once.unwrap_or(base.at_once),
            max_push_mib: self.max_push_mib.unwrap_or(base.max_push_mib),
        }
    }

    /// Whether every limit given is within the bounds (those left out are).
    fn check(self) -> Result<(), RegistryError> {
        check_limits(&self.over(HolderLimits::default()))
    }
}

/// The bounds an operator may set a holder's limits within.
const MAX_PUSHES_PER_HOUR: u32 = 10_000;
const MAX_AT_ONCE: u32 = 16;
const MAX_PUSH_MIB: u32 = 8192;

fn check_limits(l: &HolderLimits) -> Result<(), RegistryError> {
    let within = (1..=MAX_PUSHES_PER_HOUR).contains(&l.pushes_per_hour)
        && (1..=MAX_AT_ONCE).contains(&l.at_once)
        && (1..=MAX_PUSH_MIB).contains(&l.max_push_mib);
    if within {
        Ok(())
    } else {
        Err(RegistryError::BadLimits)
    }
}

/// Why a holder was not registered (or changed).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("a holder's id is 2 to 40 lower-case letters, digits and '-'")]
    BadId,
    #[error(
        "give the holder's name, its data protection contact and how residents are known there"
    )]
    Missing,
    #[error("choose what the holder delivers among water, electricity, gas and bank")]
    BadCategory,
    #[error(
        "a holder's limits are 1 to 10000 pushes an hour, 1 to 16 at once, 1 to 8192 MiB a push"
    )]
    BadLimits,
    #[error(
        "a holder sending one file per customer has no customer column (each file's customer is read from the file itself): leave the column empty"
    )]
    ColumnWithFiles,
    #[error("{0}")]
    BadKey(#[from] selfdata_holders::signing::KeyError),
    #[error("a holder with this id is already registered")]
    Exists,
    #[error("no holder has this id")]
    NoHolder,
    #[error(transparent)]
    Store(#[from] selfdata_store::StoreError),
}

impl RegistryError {
    /// The sentence for the operator's page.
    fn say(&self) -> Option<Say> {
        Some(match self {
            Self::BadId => Say::new(
                "L'identifiant d'un organisme compte de 2 à 40 lettres minuscules, chiffres et «\u{a0}-\u{a0}».",
                "A holder's id is 2 to 40 lower-case letters, digits and '-'.",
            ),
            Self::Missing => Say::new(
                "Donnez le nom de l'organisme, son contact pour la protection des données et la manière dont il connaît les résidents.",
                "Give the holder's name, its data protection contact and how it knows residents.",
            ),
            Self::BadCategory => Say::new(
                "Choisissez ce que l'organisme envoie (eau, électricité, gaz ou banque), ou qu'il n'envoie rien et reçoit seulement ce que les résidents lui transmettent.",
                "Choose what the holder sends (water, electricity, gas or bank), or that it sends nothing and only receives what residents give it.",
            ),
            Self::BadLimits => Say::new(
                "Les limites d'un organisme vont de 1 à 10\u{a0}000 envois par heure, de 1 à 16 envois à la fois et de 1 à 8\u{a0}192\u{a0}Mio par envoi.",
                "A holder's limits are 1 to 10,000 pushes an hour, 1 to 16 at once and 1 to 8,192 MiB a push.",
            ),
            Self::ColumnWithFiles => Say::new(
                "Un organisme qui envoie un fichier par client n'a pas de colonne qui nomme le client (le client de chaque fichier est lu dans le fichier lui-même)\u{a0}: laissez la colonne vide.",
                "A holder sending one file per customer has no column naming the customer (each file's customer is read from the file itself): leave the column empty.",
            ),
            Self::BadKey(_) => Say::new(
                "Ce n'est pas une clé publique Ed25519\u{a0}: donnez le fichier PEM («\u{a0}-----BEGIN PUBLIC KEY-----\u{a0}», obtenu par `openssl pkey -pubout`) ou les 32 octets de la clé en base64.",
                "This is not an Ed25519 public key: give the PEM file (“-----BEGIN PUBLIC KEY-----”, from `openssl pkey -pubout`) or the key's 32 bytes in base64.",
            ),
            Self::Exists => Say::new(
                "Un organisme porte déjà cet identifiant\u{a0}; pour changer son secret, utilisez «\u{a0}Nouveau secret\u{a0}».",
                "A holder already has this id; to change its secret, use “New secret”.",
            ),
            Self::NoHolder => Say::new(
                "Aucun organisme ne porte cet identifiant.",
                "No holder has this id.",
            ),
            Self::Store(_) => return None,
        })
    }
}

/// A new client secret, and what is kept of it.
fn new_secret() -> (String, [u8; 32]) {
    let secret = hex::encode(rand::random::<[u8; 24]>());
    let hash = selfdata_holders::secret_hash(&secret);
    (secret, hash)
}

/// Registers a holder; its client secret, shown once. With `replace`, a
/// holder of the same id is replaced (the CLI's `holder add` again);
/// otherwise that is refused.
pub async fn register(
    app: &HoldersApp,
    new: NewHolder,
    replace: bool,
) -> Result<String, RegistryError> {
    let id = new.id.trim().to_owned();
    if !selfdata_holders::valid_holder_id(&id) {
        return Err(RegistryError::BadId);
    }
    let (name, contact, identifier) = (
        new.name.trim().to_owned(),
        new.contact.trim().to_owned(),
        new.identifier.trim().to_owned(),
    );
    if name.is_empty() || contact.is_empty() || (identifier.is_empty() && !new.receives_only) {
        return Err(RegistryError::Missing);
    }
    if new.categories.is_empty() != new.receives_only
        || new
            .categories
            .iter()
            .any(|c| !CATEGORIES.contains(&c.as_str()))
    {
        return Err(RegistryError::BadCategory);
    }
    // An organisation that only receives is known by no identifier and
    // pushes no files.
    let (identifier, column_given) = if new.receives_only {
        (String::new(), "")
    } else {
        (identifier, new.column.trim())
    };
    let existing = app.registry.holder(&id).await?;
    if !replace && existing.is_some() {
        return Err(RegistryError::Exists);
    }
    let limits = new
        .limits
        .over(existing.as_ref().map(|h| h.limits).unwrap_or_default());
    check_limits(&limits)?;
    let column = match (new.layout, column_given) {
        (Layout::Column, "") => identifier.clone(),
        (Layout::Column, c) => c.to_owned(),
        (Layout::FilePerCustomer, "") => String::new(),
        (Layout::FilePerCustomer, _) => return Err(RegistryError::ColumnWithFiles),
    };
    let push_key = match new.push_key.as_deref().map(str::trim) {
        None | Some("") => existing.as_ref().and_then(|h| h.push_key.clone()),
        Some(text) => Some(PushKey::parse(text)?.to_text()),
    };
    let (secret, secret_hash) = new_secret();
    let holder = Holder {
        id,
        name,
        contact,
        categories: new.categories,
        identifier,
        layout: new.layout,
        column,
        secret_hash,
        created_ms: Timestamp::now().as_millisecond(),
        limits,
        push_key,
    };
    if replace {
        app.registry.put_holder(&holder).await?;
    } else if !app.registry.insert_holder(&holder).await? {
        // Registered by someone else since the check above.
        return Err(RegistryError::Exists);
    }
    Ok(secret)
}

/// Gives a holder a new client secret (the old one stops working at once).
pub async fn renew_secret(app: &HoldersApp, id: &str) -> Result<String, RegistryError> {
    let (secret, hash) = new_secret();
    if !app
        .registry
        .update_holder(id, &move |h: &mut Holder| h.secret_hash = hash)
        .await?
    {
        return Err(RegistryError::NoHolder);
    }
    Ok(secret)
}

/// Sets what a holder's pushes may cost, from its next push on.
pub async fn set_limits(
    app: &HoldersApp,
    id: &str,
    changes: LimitChanges,
) -> Result<(), RegistryError> {
    changes.check()?;
    if !app
        .registry
        .update_holder(id, &move |h: &mut Holder| h.limits = changes.over(h.limits))
        .await?
    {
        return Err(RegistryError::NoHolder);
    }
    Ok(())
}

/// Sets the public key a holder's pushes must be signed with (from its
/// next push on), or with `None` removes it (the secret alone is checked
/// again). The key's fingerprint.
pub async fn set_push_key(
    app: &HoldersApp,
    id: &str,
    key: Option<&str>,
) -> Result<Option<String>, RegistryError> {
    let key = key.map(PushKey::parse).transpose()?;
    let text = key.as_ref().map(PushKey::to_text);
    if !app
        .registry
        .update_holder(id, &move |h: &mut Holder| h.push_key = text.clone())
        .await?
    {
        return Err(RegistryError::NoHolder);
    }
    Ok(key.map(|k| k.fingerprint()))
}

/// Removes a holder: each connected resident disconnected (the link
/// forgotten, their consent record withdrawn) and each transfer to it
/// stopped (its record withdrawn too), then the holder, whose pushes and
/// reads are refused from then on. How many residents were disconnected.
pub async fn remove(app: &HoldersApp, id: &str) -> Result<usize, RegistryError> {
    // Removed first, with its links and transfers in one transaction: from
    // then on nothing is delivered or read, and nobody can connect to it.
    let (links, transfers) = app
        .registry
        .delete_holder(id)
        .await?
        .ok_or(RegistryError::NoHolder)?;
    let mut pods: Vec<&str> = links.iter().map(|l| l.pod.as_str()).collect();
    pods.sort();
    pods.dedup();
    // Then each resident's record withdrawn: their connections, their transfers.
    let records = links
        .iter()
        .map(|l| (&l.pod, &l.consent_id))
        .chain(transfers.iter().map(|t| (&t.pod, &t.consent_id)));
    for (pod, consent_id) in records {
        match PodName::parse(pod) {
            Ok(pod) => withdraw_record(app, &pod, consent_id, "the holder was removed").await?,
            Err(_) => tracing::warn!(pod, "a holder's link names no pod"),
        }
    }
    Ok(pods.len())
}

/// The words of the operator's holders page.
#[derive(Debug)]
pub struct Words {
    title: &'static str,
    intro: &'static str,
    back: &'static str,
    registered: &'static str,
    none: &'static str,
    delivers: &'static str,
    known_by: &'static str,
    residents: &'static str,
    pushes: &'static str,
    last_push: &'static str,
    deliveries: &'static str,
    failed: &'static str,
    never: &'static str,
    renew: &'static str,
    remove: &'static str,
    /// `{n}`: residents connected.
    remove_confirm: &'static str,
    register: &'static str,
    id: &'static str,
    id_hint: &'static str,
    name: &'static str,
    contact: &'static str,
    categories: &'static str,
    receives_only: &'static str,
    receives_what: &'static str,
    identifier: &'static str,
    identifier_hint: &'static str,
    column: &'static str,
    column_hint: &'static str,
    layout: &'static str,
    layout_column: &'static str,
    layout_files: &'static str,
    submit: &'static str,
    water: &'static str,
    electricity: &'static str,
    gas: &'static str,
    bank: &'static str,
    secret_title: &'static str,
    /// `{id}`.
    secret_lead: &'static str,
    client_id: &'static str,
    client_secret: &'static str,
    secret_once: &'static str,
    endpoint: &'static str,
    removed: &'static str,
    not_confirmed: &'static str,
    limits: &'static str,
    pushes_per_hour: &'static str,
    at_once: &'static str,
    max_push_mib: &'static str,
    set_limits: &'static str,
    limits_set: &'static str,
    /// `{per_hour}`, `{at_once}`, `{mib}`.
    limits_line: &'static str,
    push_key: &'static str,
    push_key_hint: &'static str,
    /// `{fingerprint}`.
    push_key_line: &'static str,
    push_key_none: &'static str,
    set_push_key: &'static str,
    remove_push_key: &'static str,
    push_key_set: &'static str,
    push_key_removed: &'static str,
}

static FR: Words = Words {
    title: "Organismes détenteurs de données",
    intro: "Les organismes enregistrés ici peuvent envoyer à leurs clients, s'ils y consentent, une copie des données qu'ils détiennent sur eux. Un organisme s'identifie avec l'identifiant client et le secret donnés à l'enregistrement.",
    back: "Console de l'opérateur",
    registered: "Organismes enregistrés",
    none: "Aucun organisme n'est encore enregistré.",
    delivers: "Envoie",
    known_by: "Connaît les résidents par",
    residents: "Résidents connectés",
    pushes: "Envois",
    last_push: "Dernier envoi",
    deliveries: "Livraisons (échecs)",
    failed: "échecs",
    never: "jamais",
    renew: "Nouveau secret",
    remove: "Retirer",
    remove_confirm: "Je comprends que ses {n} résidents connectés seront déconnectés.",
    register: "Enregistrer un organisme",
    id: "Identifiant (aussi son identifiant client)",
    id_hint: "Lettres minuscules, chiffres et «\u{a0}-\u{a0}», par exemple eau-grand-lyon.",
    name: "Nom, tel que les résidents le connaissent",
    contact: "Contact pour la protection des données (adresse e-mail ou URL)",
    categories: "Ce qu'il envoie",
    receives_only: "Rien\u{a0}: il reçoit seulement ce que des résidents lui transmettent (pour un motif et un temps limité)",
    receives_what: "Rien\u{a0}; il reçoit ce que des résidents lui transmettent",
    identifier: "Comment il connaît les résidents",
    identifier_hint: "Dans les mots que les résidents liront, par exemple «\u{a0}Numéro de compteur\u{a0}».",
    column: "Colonne de ses fichiers qui nomme le client",
    column_hint: "Pour un fichier pour tous ses clients seulement. Vide\u{a0}: la même que la manière dont il connaît les résidents.",
    layout: "Ce qu'il envoie à chaque envoi",
    layout_column: "Un fichier CSV pour tous ses clients, une colonne nommant le client de chaque ligne",
    layout_files: "Un fichier par client (l'export Enedis d'un compteur, le relevé OFX d'un compte), le client lu dans le fichier",
    submit: "Enregistrer",
    water: "eau",
    electricity: "électricité",
    gas: "gaz",
    bank: "banque",
    secret_title: "Identifiants de l'organisme",
    secret_lead: "Donnez ces identifiants au service informatique de {id} par un canal sûr. Le secret n'est montré qu'une fois\u{a0}: il n'est conservé que sous forme d'empreinte.",
    client_id: "Identifiant client",
    client_secret: "Secret client",
    secret_once: "Si le secret est perdu, donnez-lui un nouveau secret\u{a0}: l'ancien cessera aussitôt de fonctionner.",
    endpoint: "Adresse d'envoi",
    removed: "L'organisme a été retiré et ses résidents déconnectés.",
    not_confirmed: "Cochez la case pour confirmer que ses résidents seront déconnectés.",
    limits: "Limites de ses envois",
    pushes_per_hour: "Envois par heure",
    at_once: "Envois à la fois",
    max_push_mib: "Taille d'un envoi (Mio)",
    set_limits: "Changer les limites",
    limits_line: "{per_hour} envois par heure, {at_once} à la fois, {mib}\u{a0}Mio par envoi",
    limits_set: "Les limites de l'organisme ont été changées\u{a0}; elles valent dès son prochain envoi.",
    push_key: "Clé de signature de ses envois (facultative)",
    push_key_hint: "La clé publique Ed25519 de l'organisme, en PEM («\u{a0}-----BEGIN PUBLIC KEY-----\u{a0}») ou en base64. Avec une clé, chaque envoi doit porter sa signature, en plus du secret\u{a0}: un secret qui fuit ne suffit plus à envoyer des données.",
    push_key_line: "Ses envois doivent être signés par la clé {fingerprint}",
    push_key_none: "Ses envois ne sont pas signés (le secret suffit)",
    set_push_key: "Changer la clé de signature",
    remove_push_key: "Retirer la clé de signature",
    push_key_set: "La clé de signature de l'organisme a été enregistrée\u{a0}; ses envois doivent être signés dès maintenant.",
    push_key_removed: "La clé de signature de l'organisme a été retirée\u{a0}; son secret suffit de nouveau.",
};

static EN: Words = Words {
    title: "Data holders",
    intro: "The organisations registered here may send their customers, when those consent, a copy of the data they hold on them. An organisation identifies itself with the client id and secret given when it was registered.",
    back: "Operator's console",
    registered: "Registered holders",
    none: "No holder is registered yet.",
    delivers: "Sends",
    known_by: "Knows residents by",
    residents: "Residents connected",
    pushes: "Pushes",
    last_push: "Latest push",
    deliveries: "Deliveries (failed)",
    failed: "failed",
    never: "never",
    renew: "New secret",
    remove: "Remove",
    remove_confirm: "I understand that its {n} connected residents will be disconnected.",
    register: "Register a holder",
    id: "Id (also its client id)",
    id_hint: "Lower-case letters, digits and '-', for example eau-grand-lyon.",
    name: "Name, as residents know it",
    contact: "Data protection contact (an e-mail address or a URL)",
    categories: "What it sends",
    receives_only: "Nothing: it only receives what residents give it (for a purpose and a limited time)",
    receives_what: "Nothing; it receives what residents give it",
    identifier: "How it knows residents",
    identifier_hint: "In the words residents will read, for example “Meter number”.",
    column: "Column of its files that names the customer",
    column_hint: "For one file for all its customers only. Empty: the same as how it knows residents.",
    layout: "What it sends in each push",
    layout_column: "One CSV file for all its customers, a column naming each row's customer",
    layout_files: "One file per customer (a meter's Enedis export, an account's OFX statement), the customer read from the file",
    submit: "Register",
    water: "water",
    electricity: "electricity",
    gas: "gas",
    bank: "bank",
    secret_title: "The holder's credentials",
    secret_lead: "Give these credentials to the IT team of {id} over a safe channel. The secret is shown once: only its fingerprint is kept.",
    client_id: "Client id",
    client_secret: "Client secret",
    secret_once: "If the secret is lost, give the holder a new secret: the old one stops working at once.",
    endpoint: "Where to push",
    removed: "The holder was removed and its residents disconnected.",
    not_confirmed: "Tick the box to confirm that its residents will be disconnected.",
    limits: "Limits of its pushes",
    pushes_per_hour: "Pushes an hour",
    at_once: "Pushes at once",
    max_push_mib: "Size of a push (MiB)",
    set_limits: "Change the limits",
    limits_line: "{per_hour} pushes an hour, {at_once} at once, {mib} MiB a push",
    limits_set: "The holder's limits were changed; they hold from its next push.",
    push_key: "Key signing its pushes (optional)",
    push_key_hint: "The holder's Ed25519 public key, as PEM (“-----BEGIN PUBLIC KEY-----”) or base64. With a key, every push must carry its signature as well as the secret: a leaked secret is no longer enough to send data.",
    push_key_line: "Its pushes must be signed by the key {fingerprint}",
    push_key_none: "Its pushes are not signed (the secret is enough)",
    set_push_key: "Change the signing key",
    remove_push_key: "Remove the signing key",
    push_key_set: "The holder's signing key was saved; its pushes must be signed from now on.",
    push_key_removed: "The holder's signing key was removed; its secret is enough again.",
};

selfdata_site::words!(Words, FR, EN);

impl Words {
    fn category(&self, c: &str) -> &'static str {
        match c {
            "water" => self.water,
            "electricity" => self.electricity,
            "gas" => self.gas,
            "bank" => self.bank,
            _ => "",
        }
    }
}

struct HolderLine {
    id: String,
    name: String,
    contact: String,
    what: String,
    known_by: String,
    /// The customer column, or empty for a holder sending one file per customer.
    column: String,
    /// What it sends in each push, in words.
    layout: &'static str,
    residents: String,
    confirm: String,
    pushes: String,
    last_push: String,
    deliveries: String,
    limits: HolderLimits,
    limits_line: String,
    /// Whether its pushes must be signed, in words.
    push_key_line: String,
    signed: bool,
}

struct CategoryBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "operator_holders.html")]
struct RegistryPage<'a> {
    w: &'static Words,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    holders: Vec<HolderLine>,
    form: &'a RegisterForm,
    boxes: Vec<CategoryBox>,
    limits: HolderLimits,
}

#[derive(Template)]
#[template(path = "operator_secret.html")]
struct SecretPage {
    w: &'static Words,
    chrome: Chrome,
    lead: String,
    id: String,
    secret: String,
    endpoint: String,
}

/// The registration form (each category a checkbox of its own).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    column: String,
    /// `column` (or absent) or `file-per-customer`.
    #[serde(default)]
    layout: String,
    water: Option<String>,
    electricity: Option<String>,
    gas: Option<String>,
    bank: Option<String>,
    /// `yes`: it sends nothing and only receives direct transfers.
    receives: Option<String>,
    #[serde(default)]
    push_key: String,
    #[serde(flatten)]
    limits: LimitsForm,
}

/// A holder's limits as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LimitsForm {
    #[serde(default)]
    pushes_per_hour: String,
    #[serde(default)]
    at_once: String,
    #[serde(default)]
    max_push_mib: String,
}

impl LimitsForm {
    /// The limits typed; a blank field changes nothing.
    fn read(&self) -> Result<LimitChanges, RegistryError> {
        let field = |v: &str| match v.trim() {
            "" => Ok(None),
            v => v
                .parse::<u32>()
                .map(Some)
                .map_err(|_| RegistryError::BadLimits),
        };
        Ok(LimitChanges {
            pushes_per_hour: field(&self.pushes_per_hour)?,
            at_once: field(&self.at_once)?,
            max_push_mib: field(&self.max_push_mib)?,
        })
    }
}

impl RegisterForm {
    /// The layout chosen (the one-CSV layout when none is).
    fn layout(&self) -> Layout {
        match self.layout.as_str() {
            "file-per-customer" => Layout::FilePerCustomer,
            _ => Layout::Column,
        }
    }

    /// Whether the form chose one file per customer (the template's radio).
    fn files(&self) -> bool {
        self.layout() == Layout::FilePerCustomer
    }

    fn categories(&self) -> Vec<String> {
        [
            ("water", &self.water),
            ("electricity", &self.electricity),
            ("gas", &self.gas),
            ("bank", &self.bank),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(c, _)| c.to_owned())
        .collect()
    }
}

async fn lines(app: &HoldersApp, w: &Words, lang: Lang) -> Result<Vec<HolderLine>, PageError> {
    let mut out = Vec::new();
    for h in app.registry.holders().await.map_err(PageError::internal)? {
        let a: Activity = app
            .registry
            .activity(&h.id)
            .await
            .map_err(PageError::internal)?;
        out.push(HolderLine {
            what: if h.receives_only() {
                w.receives_what.to_owned()
            } else {
                h.categories
                    .iter()
                    .map(|c| w.category(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            residents: count(a.residents, lang),
            confirm: selfdata_site::fill(w.remove_confirm, &[("n", &count(a.residents, lang))]),
            pushes: count(a.pushes, lang),
            last_push: a
                .last_push_ms
                .map_or_else(|| w.never.to_owned(), |ms| paris(ms, lang)),
            deliveries: format!(
                "{} ({} {})",
                count(a.deliveries, lang),
                count(a.failed, lang),
                w.failed
            ),
            limits_line: selfdata_site::fill(
                w.limits_line,
                &[
                    (
                        "per_hour",
                        &count(u64::from(h.limits.pushes_per_hour), lang),
                    ),
                    ("at_once", &count(u64::from(h.limits.at_once), lang)),
                    ("mib", &count(u64::from(h.limits.max_push_mib), lang)),
                ],
            ),
            limits: h.limits,
            signed: h.push_key.is_some(),
            push_key_line: match h.push_key.as_deref().map(PushKey::parse) {
                Some(Ok(k)) => {
                    selfdata_site::fill(w.push_key_line, &[("fingerprint", &k.fingerprint())])
                }
                Some(Err(_)) => selfdata_site::fill(w.push_key_line, &[("fingerprint", "?")]),
                None => w.push_key_none.to_owned(),
            },
            id: h.id,
            name: h.name,
            contact: h.contact,
            known_by: h.identifier,
            layout: match h.layout {
                Layout::Column => w.layout_column,
                Layout::FilePerCustomer => w.layout_files,
            },
            column: match h.layout {
                Layout::Column => h.column,
                Layout::FilePerCustomer => String::new(),
            },
        });
    }
    Ok(out)
}

async fn registry_page(
    app: &HoldersApp,
    chrome: Chrome,
    csrf: &str,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    form: &RegisterForm,
) -> Response {
    let lang = chrome.language();
    let w: &'static Words = lang.words();
    let holders = match lines(app, w, lang).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let chosen = form.categories();
    let boxes = CATEGORIES
        .iter()
        .map(|&c| CategoryBox {
            value: c,
            label: w.category(c),
            checked: chosen.iter().any(|x| x == c),
        })
        .collect();
    page(
        status,
        RegistryPage {
            w,
            chrome,
            csrf,
            notice,
            error,
            holders,
            form,
            boxes,
            limits: form
                .limits
                .read()
                .map(|c| c.over(HolderLimits::default()))
                .unwrap_or_default(),
        }
        .render(),
    )
}

/// `GET /app/operator/holders`.
pub(crate) async fn show(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    me: Operator,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let w: &'static Words = chrome.language().words();
    let notice = match done.ok().and_then(|Query(d)| d.done).as_deref() {
        Some("removed") => Some(w.removed),
        Some("limits") => Some(w.limits_set),
        Some("key") => Some(w.push_key_set),
        Some("no-key") => Some(w.push_key_removed),
        _ => None,
    };
    registry_page(
        &app,
        chrome,
        &me.session.csrf,
        StatusCode::OK,
        notice,
        None,
        &RegisterForm::default(),
    )
    .await
}

/// The credentials, shown once: never kept in a cache.
fn secret_page(app: &HoldersApp, chrome: Chrome, id: String, secret: String) -> Response {
    let w: &'static Words = chrome.language().words();
    let mut response = page(
        StatusCode::OK,
        SecretPage {
            w,
            lead: selfdata_site::fill(w.secret_lead, &[("id", &id)]),
            chrome,
            id,
            secret,
            endpoint: format!("{}/holders/v1/pushes", app.ctx.base_url()),
        }
        .render(),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refused(e: &RegistryError, lang: Lang) -> Result<&'static str, PageError> {
    match e.say() {
        Some(say) => Ok(say.in_(lang)),
        None => Err(PageError::internal(e)),
    }
}

/// `POST /app/operator/holders`: registers a holder, shows its secret once.
pub(crate) async fn register_holder(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<RegisterForm>,
) -> Response {
    let registered = match form.limits.read() {
        Ok(limits) => {
            let new = NewHolder {
                id: form.id.clone(),
                name: form.name.clone(),
                contact: form.contact.clone(),
                categories: form.categories(),
                receives_only: form.receives.is_some(),
                identifier: form.identifier.clone(),
                layout: form.layout(),
                column: form.column.clone(),
                limits,
                push_key: Some(form.push_key.clone()),
            };
            register(&app, new, false).await
        }
        Err(e) => Err(e),
    };
    match registered {
        Ok(secret) => {
            let detail = format!("{} registered", form.id.trim());
            let page = secret_page(&app, chrome, form.id.trim().to_owned(), secret);
            recorded(&app, &operator, detail, page).await
        }
        Err(e) => match refused(&e, chrome.language()) {
            Ok(sentence) => {
                let status = match e {
                    RegistryError::Exists => StatusCode::CONFLICT,
                    _ => StatusCode::BAD_REQUEST,
                };
                let csrf = operator.session.csrf.clone();
                registry_page(&app, chrome, &csrf, status, None, Some(sentence), &form).await
            }
            Err(page) => page.into_response(),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SetLimitsForm {
    holder: String,
    #[serde(flatten)]
    limits: LimitsForm,
}

/// `POST /app/operator/holders/limits`.
pub(crate) async fn change_limits(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<SetLimitsForm>,
) -> Response {
    let set = match form.limits.read() {
        Ok(limits) => set_limits(&app, &form.holder, limits).await,
        Err(e) => Err(e),
    };
    match set {
        Ok(()) => {
            let detail = format!("{}: limits changed", form.holder);
            let page = Redirect::to("/app/operator/holders?done=limits").into_response();
            recorded(&app, &operator, detail, page).await
        }
        Err(e) => change_refused(&e, chrome.language()),
    }
}

/// Writes a change of the registry to the operator's audit log, then
/// answers with `page` (the change is made: only the input could refuse it).
async fn recorded(
    app: &HoldersApp,
    operator: &Operator,
    detail: String,
    page: Response,
) -> Response {
    let action = selfdata_store::directory::OperatorAction::new(
        &operator.account.email,
        selfdata_store::directory::OperatorAction::HOLDER,
        detail,
    );
    match app.ctx.record_operator_action(&action).await {
        Ok(()) => page,
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// A change to a holder refused: its sentence, 404 for an unknown holder,
/// 400 otherwise.
fn change_refused(e: &RegistryError, lang: Lang) -> Response {
    match refused(e, lang) {
        Ok(sentence) => {
            let status = match e {
                RegistryError::NoHolder => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            PageError::new(status, sentence).into_response()
        }
        Err(page) => page.into_response(),
    }
}

/// The signing-key form of a holder's card.
#[derive(Debug, Deserialize)]
pub(crate) struct PushKeyForm {
    holder: String,
    #[serde(default)]
    key: String,
    /// `yes` to remove the key.
    remove: Option<String>,
}

/// `POST /app/operator/holders/push-key`: sets or removes a holder's
/// signing key.
pub(crate) async fn change_push_key(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<PushKeyForm>,
) -> Response {
    let remove = form.remove.as_deref() == Some("yes");
    let key = (!remove).then_some(form.key.as_str());
    match set_push_key(&app, &form.holder, key).await {
        Ok(fingerprint) => {
            let detail = format!(
                "{}: signing key {}",
                form.holder,
                fingerprint.as_deref().unwrap_or("removed")
            );
            let done = if remove { "no-key" } else { "key" };
            let page = Redirect::to(&format!("/app/operator/holders?done={done}")).into_response();
            recorded(&app, &operator, detail, page).await
        }
        Err(e) => change_refused(&e, chrome.language()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct HolderForm {
    holder: String,
    confirm: Option<String>,
}

/// `POST /app/operator/holders/secret`: a new secret, shown once.
pub(crate) async fn renew(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<HolderForm>,
) -> Response {
    match renew_secret(&app, &form.holder).await {
        Ok(secret) => {
            let detail = format!("{}: new secret", form.holder);
            let page = secret_page(&app, chrome, form.holder, secret);
            recorded(&app, &operator, detail, page).await
        }
        Err(e) => match refused(&e, chrome.language()) {
            Ok(sentence) => PageError::new(StatusCode::NOT_FOUND, sentence).into_response(),
            Err(page) => page.into_response(),
        },
    }
}

/// `POST /app/operator/holders/remove`: only with the box ticked.
pub(crate) async fn remove_holder(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    OperatorForm { operator, form }: OperatorForm<HolderForm>,
) -> Response {
    let w: &'static Words = chrome.language().words();
    if form.confirm.as_deref() != Some("yes") {
        return PageError::new(StatusCode::BAD_REQUEST, w.not_confirmed).into_response();
    }
    match remove(&app, &form.holder).await {
        Ok(n) => {
            let detail = format!("{} removed, {n} residents disconnected", form.holder);
            let page = Redirect::to("/app/operator/holders?done=removed").into_response();
            recorded(&app, &operator, detail, page).await
        }
        Err(e) => match refused(&e, chrome.language()) {
            Ok(sentence) => PageError::new(StatusCode::NOT_FOUND, sentence).into_response(),
            Err(page) => page.into_response(),
        },
    }
}
