//! E-mail notices a resident asks for on their account page, sent through
//! the operator's SMTP relay (the one reset links use): when the operator
//! acts on their account ([`OPERATOR_ACTIONS`]), when an app is newly
//! authorised to act as them ([`NEW_APP`], which tells them at once if
//! someone else signed in with their password). Without a relay the page
//! says the server sends no e-mail, and the operator's actions stay listed
//! on the account page. A notice is sent in the background: a relay that
//! fails is logged, and never fails or slows the action told.

use selfdata_store::directory::Account;

use crate::Idp;

/// The operator acted on the account (suspension and its reason, quota…).
pub const OPERATOR_ACTIONS: i64 = 1;
/// An app was authorised, on the consent screen, to act as the resident.
pub const NEW_APP: i64 = 2;
/// Every notice there is.
pub const ALL: i64 = OPERATOR_ACTIONS | NEW_APP;

impl Idp {
    /// Whether this server can send notices (it has a relay).
    pub fn sends_mail(&self) -> bool {
        self.config.smtp.is_some()
    }

    /// Sends `account` a notice of `kind`, if they asked for it and the
    /// server has a relay. French first, then English: the account does
    /// not say which the resident reads.
    pub fn notify(&self, account: &Account, kind: i64, (fr, en): (String, String)) {
        let Some(relay) = self.config.smtp.clone() else {
            return;
        };
        if account.notices & kind == 0 {
            return;
        }
        let to = account.email.clone();
        let link = format!("{}/account", self.config.base_url);
        let body = format!(
            "{fr}\n\nVotre compte : {link}\n\n---\n\n{en}\n\nYour account: {link}\n\n\
             Vous recevez ce message parce que vous l'avez demandé sur votre page de compte. / \
             You receive this message because you asked for it on your account page.\n"
        );
        let subject = format!("selfdata : {fr}");
        let subject: String = subject.chars().take(120).collect();
        tokio::spawn(async move {
            if let Err(e) = relay.send(&to, &subject, body).await {
                tracing::warn!(error = %e, "a notice could not be mailed");
            }
        });
    }
}
