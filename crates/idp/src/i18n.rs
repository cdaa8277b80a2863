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
    // Messages after a form is sent. `{n}`, `{app}` and `{name}` are filled in.
    pub form_expired: &'static str,
    pub email_invalid: &'static str,
    pub password_too_short: &'static str,
    pub new_password_too_short: &'static str,
    pub pod_name_invalid: &'static str,
    pub pod_name_reserved: &'static str,
    pub pod_name_taken: &'static str,
    pub account_exists: &'static str,
    pub invite_invalid: &'static str,
    pub signup_failed: &'static str,
    pub signup_then_login_failed: &'static str,
    pub login_wrong: &'static str,
    pub login_need_code: &'static str,
    pub login_locked: &'static str,
    pub login_too_many: &'static str,
    pub login_failed: &'static str,
    pub action_failed: &'static str,
    pub password_changed: &'static str,
    pub current_password_wrong: &'static str,
    pub totp_mismatch: &'static str,
    pub app_revoked: &'static str,
    pub app_not_listed: &'static str,
    pub key_deleted: &'static str,
    pub key_not_listed: &'static str,
    pub key_no_pod: &'static str,
    pub app_unidentified: &'static str,
    pub redirect_not_registered: &'static str,
    pub no_pod_identity: &'static str,
    pub consent_expired: &'static str,
    pub consent_damaged: &'static str,
    pub identity_not_yours: &'static str,
    pub consent_not_saved: &'static str,
    pub details_in_english: &'static str,
    pub signup_too_many: &'static str,
    pub name_invalid: &'static str,
    pub forgot_link: &'static str,
    pub forgot_title: &'static str,
    pub forgot_intro: &'static str,
    pub forgot_send: &'static str,
    pub forgot_no_mail: &'static str,
    pub forgot_sent: &'static str,
    pub forgot_too_many: &'static str,
    pub reset_have_code: &'static str,
    pub reset_title: &'static str,
    pub reset_code: &'static str,
    pub reset_code_hint: &'static str,
    pub reset_submit: &'static str,
    pub reset_invalid: &'static str,
    pub reset_done: &'static str,
    pub reset_mail_subject: &'static str,
    pub reset_mail_body: &'static str,
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
    apps_none: "No app can use your pod at the moment.",
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
    form_expired: "This form has expired; reload the page and try again.",
    email_invalid: "Please give a valid email address.",
    password_too_short: "The password needs at least {n} characters.",
    new_password_too_short: "The new password needs at least {n} characters.",
    pod_name_invalid: "This pod name cannot be used: give 2 to 63 lowercase letters, digits and hyphens, not starting with a hyphen.",
    pod_name_reserved: "This pod name is reserved; choose another.",
    pod_name_taken: "This pod name is taken; choose another.",
    account_exists: "An account with this email address exists already; sign in instead.",
    invite_invalid: "This invitation code is not valid (or was used already).",
    signup_failed: "Your account could not be created; please try again later.",
    signup_then_login_failed: "Your account was created, but signing in failed; please sign in.",
    login_wrong: "The email address or the password is not right.",
    login_need_code: "Type the code from your authenticator app.",
    login_locked: "Too many failed attempts from your network: this account is locked for you for a few minutes. You can also reset your password.",
    login_too_many: "Too many attempts from your connection; wait a minute and try again.",
    login_failed: "Signing in failed; please try again later.",
    action_failed: "This could not be done; please try again later.",
    password_changed: "Your password was changed, and every other session and every app was signed out. Keys for scripts are kept: delete those you do not recognise.",
    current_password_wrong: "The current password is not right.",
    totp_mismatch: "That code does not match; check your app's clock and try again.",
    app_revoked: "{app} can no longer use your pod.",
    app_not_listed: "This app is not in your list.",
    key_deleted: "The key \"{name}\" was deleted; it no longer works.",
    key_not_listed: "This key is not in your list.",
    key_no_pod: "You have no pod for a key to speak for.",
    app_unidentified: "This app could not be identified, so nothing was shared.",
    redirect_not_registered: "The app asked to send you back to an address it did not register; nothing was shared.",
    no_pod_identity: "Your account has no pod, so there is no identity to share.",
    consent_expired: "This form has expired; start again from the app.",
    consent_damaged: "This request is damaged; start again from the app.",
    identity_not_yours: "This identity is not yours.",
    consent_not_saved: "Your answer could not be saved; please try again.",
    details_in_english: "Details (in English):",
    signup_too_many: "Too many accounts were created from your network in the last hour. Please try again later.",
    name_invalid: "A name cannot hold invisible characters or characters that change the direction of text, and has at most 100 characters.",
    forgot_link: "Forgot your password?",
    forgot_title: "Reset your password",
    forgot_intro: "Enter the email address of your account: we will send you a link to choose a new password.",
    forgot_send: "Send me a link",
    forgot_no_mail: "This server does not send emails. Ask its operator for a one-time reset code, then enter it on the next page.",
    forgot_sent: "If an account uses this address, a message with a link to choose a new password is on its way. The link works once, for 30 minutes.",
    forgot_too_many: "Too many reset requests came from your network. Please try again in an hour.",
    reset_have_code: "I have a reset code",
    reset_title: "Choose a new password",
    reset_code: "One-time reset code",
    reset_code_hint: "The code the operator of this server gave you.",
    reset_submit: "Save my new password",
    reset_invalid: "This link or code is not valid: it may have expired or been used already. Ask for a new one.",
    reset_done: "Your password was changed and every session and app was signed out. Sign in with your new password.",
    reset_mail_subject: "Choose a new password for selfdata",
    reset_mail_body: "Someone, hopefully you, asked to reset the password of your selfdata account.\r\n\r\nTo choose a new password, open this link within 30 minutes (it works once):\r\n{link}\r\n\r\nIf you did not ask for it, ignore this message: your password stays as it is.\r\n",
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
    apps_none: "Aucune application ne peut utiliser votre espace pour l'instant.",
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
    form_expired: "Ce formulaire a expiré ; rechargez la page et réessayez.",
    email_invalid: "Veuillez indiquer une adresse e-mail valide.",
    password_too_short: "Le mot de passe doit compter au moins {n} caractères.",
    new_password_too_short: "Le nouveau mot de passe doit compter au moins {n} caractères.",
    pod_name_invalid: "Ce nom d'espace ne convient pas : de 2 à 63 lettres minuscules, chiffres et tirets, sans tiret au début.",
    pod_name_reserved: "Ce nom d'espace est réservé ; choisissez-en un autre.",
    pod_name_taken: "Ce nom d'espace est déjà pris ; choisissez-en un autre.",
    account_exists: "Un compte existe déjà avec cette adresse e-mail ; connectez-vous plutôt.",
    invite_invalid: "Ce code d'invitation n'est pas valable (ou a déjà servi).",
    signup_failed: "Votre compte n'a pas pu être créé ; réessayez plus tard.",
    signup_then_login_failed: "Votre compte a été créé, mais la connexion a échoué ; veuillez vous connecter.",
    login_wrong: "L'adresse e-mail ou le mot de passe n'est pas correct.",
    login_need_code: "Saisissez le code de votre application d'authentification.",
    login_locked: "Trop d'essais manqués depuis votre réseau : ce compte est bloqué pour vous pendant quelques minutes. Vous pouvez aussi réinitialiser votre mot de passe.",
    login_too_many: "Trop d'essais depuis votre connexion ; attendez une minute et réessayez.",
    login_failed: "La connexion a échoué ; réessayez plus tard.",
    action_failed: "Cela n'a pas pu être fait ; réessayez plus tard.",
    password_changed: "Votre mot de passe a été changé, et toutes les autres sessions et applications ont été déconnectées. Les clés pour scripts sont gardées : supprimez celles que vous ne reconnaissez pas.",
    current_password_wrong: "Le mot de passe actuel n'est pas correct.",
    totp_mismatch: "Ce code ne correspond pas ; vérifiez l'heure de votre application et réessayez.",
    app_revoked: "{app} ne peut plus utiliser votre espace.",
    app_not_listed: "Cette application n'est pas dans votre liste.",
    key_deleted: "La clé « {name} » a été supprimée ; elle ne fonctionne plus.",
    key_not_listed: "Cette clé n'est pas dans votre liste.",
    key_no_pod: "Vous n'avez aucun espace au nom duquel une clé pourrait agir.",
    app_unidentified: "Cette application n'a pas pu être identifiée ; rien n'a été partagé.",
    redirect_not_registered: "L'application a demandé à vous renvoyer vers une adresse qu'elle n'a pas déclarée ; rien n'a été partagé.",
    no_pod_identity: "Votre compte n'a aucun espace, il n'y a donc aucune identité à partager.",
    consent_expired: "Ce formulaire a expiré ; recommencez depuis l'application.",
    consent_damaged: "Cette demande est abîmée ; recommencez depuis l'application.",
    identity_not_yours: "Cette identité n'est pas la vôtre.",
    consent_not_saved: "Votre réponse n'a pas pu être enregistrée ; veuillez réessayer.",
    details_in_english: "Détails (en anglais) :",
    signup_too_many: "Trop de comptes ont été créés depuis votre réseau dans la dernière heure. Réessayez plus tard.",
    name_invalid: "Un nom ne peut contenir ni caractères invisibles ni caractères qui changent le sens de l'écriture, et compte au plus 100 caractères.",
    forgot_link: "Mot de passe oublié ?",
    forgot_title: "Réinitialiser votre mot de passe",
    forgot_intro: "Saisissez l'adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.",
    forgot_send: "M'envoyer un lien",
    forgot_no_mail: "Ce serveur n'envoie pas d'e-mails. Demandez à son opérateur un code de réinitialisation à usage unique, puis saisissez-le sur la page suivante.",
    forgot_sent: "Si un compte utilise cette adresse, un message avec un lien pour choisir un nouveau mot de passe est en route. Le lien fonctionne une fois, pendant 30 minutes.",
    forgot_too_many: "Trop de demandes de réinitialisation sont venues de votre réseau. Réessayez dans une heure.",
    reset_have_code: "J'ai un code de réinitialisation",
    reset_title: "Choisir un nouveau mot de passe",
    reset_code: "Code de réinitialisation à usage unique",
    reset_code_hint: "Le code que l'opérateur de ce serveur vous a donné.",
    reset_submit: "Enregistrer mon nouveau mot de passe",
    reset_invalid: "Ce lien ou ce code n'est pas valable : il a peut-être expiré ou déjà servi. Demandez-en un nouveau.",
    reset_done: "Votre mot de passe a été changé et toutes les sessions et applications ont été déconnectées. Connectez-vous avec votre nouveau mot de passe.",
    reset_mail_subject: "Choisissez un nouveau mot de passe pour selfdata",
    reset_mail_body: "Quelqu'un, vous sans doute, a demandé à réinitialiser le mot de passe de votre compte selfdata.\r\n\r\nPour choisir un nouveau mot de passe, ouvrez ce lien dans les 30 minutes (il ne sert qu'une fois) :\r\n{link}\r\n\r\nSi vous n'avez rien demandé, ignorez ce message : votre mot de passe reste le même.\r\n",
};

/// The page language for a request: `fr` when the browser prefers French, `en` otherwise.
pub fn language(headers: &HeaderMap) -> &'static str {
    texts(headers).lang
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(accept: &str) -> &'static Texts {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(accept).unwrap(),
        );
        texts(&h)
    }

    #[test]
    fn the_browsers_language_chooses() {
        assert_eq!(with("fr-FR,fr;q=0.9,en;q=0.8").lang, "fr");
        assert_eq!(with("en-US,en;q=0.9").lang, "en");
        assert_eq!(with("de-DE,fr;q=0.5,en;q=0.7").lang, "en");
        assert_eq!(with("de-DE").lang, "en");
        assert_eq!(texts(&HeaderMap::new()).lang, "en");
    }

    #[test]
    fn both_languages_fill_in_the_same_blanks() {
        for (en, fr) in [
            (EN.password_too_short, FR.password_too_short),
            (EN.new_password_too_short, FR.new_password_too_short),
            (EN.app_revoked, FR.app_revoked),
            (EN.key_deleted, FR.key_deleted),
        ] {
            for blank in ["{n}", "{app}", "{name}"] {
                assert_eq!(en.contains(blank), fr.contains(blank), "{en} / {fr}");
            }
        }
    }
}
