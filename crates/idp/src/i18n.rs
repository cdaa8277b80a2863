//! The words of the web pages, in French and English, chosen from the
//! browser's `Accept-Language`.

use axum::http::{HeaderMap, header};

/// Every sentence a page shows.
#[derive(Debug)]
pub struct Texts {
    pub lang: &'static str,
    pub app: &'static str,
    pub signup_title: &'static str,
    pub login_title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub password_hint: &'static str,
    pub pod_name: &'static str,
    pub pod_name_hint: &'static str,
    pub invite_code: &'static str,
    pub totp_code: &'static str,
    pub totp_code_hint: &'static str,
    pub create_account: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub no_account: &'static str,
    pub have_account: &'static str,
    pub account_title: &'static str,
    pub your_pods: &'static str,
    pub your_webid: &'static str,
    pub apps_title: &'static str,
    pub apps_none: &'static str,
    pub app_since: &'static str,
    pub revoke: &'static str,
    pub credentials_title: &'static str,
    pub credentials_intro: &'static str,
    pub credentials_none: &'static str,
    pub credentials_name: &'static str,
    pub credentials_create: &'static str,
    pub credentials_created: &'static str,
    pub delete: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub save: &'static str,
    pub totp_title: &'static str,
    pub totp_on: &'static str,
    pub totp_off: &'static str,
    pub totp_enable: &'static str,
    pub totp_disable: &'static str,
    pub totp_setup: &'static str,
    pub consent_title: &'static str,
    pub consent_wants: &'static str,
    pub consent_identify: &'static str,
    pub consent_access: &'static str,
    pub consent_offline: &'static str,
    pub consent_rules: &'static str,
    pub consent_as: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub error_title: &'static str,
    pub signup_closed: &'static str,
}

pub const EN: Texts = Texts {
    lang: "en",
    app: "selfdata",
    signup_title: "Create your personal data store",
    login_title: "Sign in",
    email: "Email address",
    password: "Password",
    password_hint: "At least 10 characters.",
    pod_name: "Name of your pod",
    pod_name_hint: "Lowercase letters, digits and hyphens; it becomes part of your address.",
    invite_code: "Invitation code",
    totp_code: "Code from your authenticator app",
    totp_code_hint: "Only if you turned on two-step sign-in.",
    create_account: "Create my account",
    sign_in: "Sign in",
    sign_out: "Sign out",
    no_account: "No account yet? Create one",
    have_account: "Already have an account? Sign in",
    account_title: "Your account",
    your_pods: "Your pods",
    your_webid: "Your WebID",
    apps_title: "Apps you allowed",
    apps_none: "You have not allowed any app yet.",
    app_since: "since",
    revoke: "Revoke access",
    credentials_title: "Keys for scripts",
    credentials_intro: "A script or a data holder can sign in as you with these keys. Delete a key to cut its access at once.",
    credentials_none: "No keys yet.",
    credentials_name: "What the key is for",
    credentials_create: "Create a key",
    credentials_created: "Copy the secret now: it will not be shown again.",
    delete: "Delete",
    change_password: "Change your password",
    current_password: "Current password",
    new_password: "New password",
    save: "Save",
    totp_title: "Two-step sign-in",
    totp_on: "Two-step sign-in is on.",
    totp_off: "Two-step sign-in is off.",
    totp_enable: "Turn on",
    totp_disable: "Turn off",
    totp_setup: "Add this key to your authenticator app, then type the code it shows to confirm:",
    consent_title: "An app asks to use your pod",
    consent_wants: "wants to:",
    consent_identify: "know who you are (your WebID)",
    consent_access: "read and change data in your pod on your behalf, within the access rules of your pod",
    consent_offline: "stay connected when you are away",
    consent_rules: "You can revoke this at any time from your account page.",
    consent_as: "Use the identity",
    allow: "Allow",
    deny: "Refuse",
    error_title: "Something is not right",
    signup_closed: "New accounts are created by the operator of this server.",
};

pub const FR: Texts = Texts {
    lang: "fr",
    app: "selfdata",
    signup_title: "Créer votre espace de données personnelles",
    login_title: "Connexion",
    email: "Adresse e-mail",
    password: "Mot de passe",
    password_hint: "Au moins 10 caractères.",
    pod_name: "Nom de votre espace",
    pod_name_hint: "Lettres minuscules, chiffres et tirets ; il fera partie de votre adresse.",
    invite_code: "Code d'invitation",
    totp_code: "Code de votre application d'authentification",
    totp_code_hint: "Seulement si vous avez activé la connexion en deux étapes.",
    create_account: "Créer mon compte",
    sign_in: "Se connecter",
    sign_out: "Se déconnecter",
    no_account: "Pas encore de compte ? En créer un",
    have_account: "Déjà un compte ? Se connecter",
    account_title: "Votre compte",
    your_pods: "Vos espaces",
    your_webid: "Votre WebID",
    apps_title: "Applications autorisées",
    apps_none: "Vous n'avez encore autorisé aucune application.",
    app_since: "depuis le",
    revoke: "Retirer l'accès",
    credentials_title: "Clés pour scripts",
    credentials_intro: "Un script ou un détenteur de données peut se connecter en votre nom avec ces clés. Supprimez une clé pour couper son accès aussitôt.",
    credentials_none: "Aucune clé pour l'instant.",
    credentials_name: "À quoi sert la clé",
    credentials_create: "Créer une clé",
    credentials_created: "Copiez le secret maintenant : il ne sera plus affiché.",
    delete: "Supprimer",
    change_password: "Changer de mot de passe",
    current_password: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    save: "Enregistrer",
    totp_title: "Connexion en deux étapes",
    totp_on: "La connexion en deux étapes est activée.",
    totp_off: "La connexion en deux étapes est désactivée.",
    totp_enable: "Activer",
    totp_disable: "Désactiver",
    totp_setup: "Ajoutez cette clé à votre application d'authentification, puis saisissez le code affiché pour confirmer :",
    consent_title: "Une application demande à utiliser votre espace",
    consent_wants: "souhaite :",
    consent_identify: "savoir qui vous êtes (votre WebID)",
    consent_access: "lire et modifier les données de votre espace en votre nom, dans le respect des règles d'accès de votre espace",
    consent_offline: "rester connectée en votre absence",
    consent_rules: "Vous pouvez retirer cet accès à tout moment depuis la page de votre compte.",
    consent_as: "Utiliser l'identité",
    allow: "Autoriser",
    deny: "Refuser",
    error_title: "Quelque chose ne va pas",
    signup_closed: "Les comptes sont créés par l'opérateur de ce serveur.",
};

/// French when the browser prefers it, English otherwise.
pub fn texts(headers: &HeaderMap) -> &'static Texts {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best: Option<(&'static Texts, f32)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let texts = if tag.starts_with("fr") {
            &FR
        } else if tag.starts_with("en") {
            &EN
        } else {
            continue;
        };
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((texts, q));
        }
    }
    best.map_or(&EN, |(t, _)| t)
}
