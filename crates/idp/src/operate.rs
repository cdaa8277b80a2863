//! What an operator does to residents' accounts and pods, from the
//! console (`residents`) or the command line, each action written to the
//! operator's audit log ([`Directory::record_operator_action`]) *before* it
//! is taken: an action the log does not hold was not taken. The resident
//! concerned reads the actions on their account on their account page
//! ([`describe`] words them).

use selfdata_site::{Lang, human_bytes};
use selfdata_store::directory::{Account, OperatorAction};
use selfdata_store::{PodName, StoreError};

use crate::{Idp, now};

/// Who acts when an action comes from the host's command line.
pub const COMMAND_LINE: &str = "command line";

impl Idp {
    /// Writes an action to the operator's audit log (and the server's log).
    /// Tells the resident concerned by e-mail, if they asked for it.
    pub async fn record(&self, action: OperatorAction) -> Result<(), StoreError> {
        self.directory.record_operator_action(&action).await?;
        if let Some(id) = action.account_id
            && let Some(account) = self.directory.account(id).await?
        {
            let said = (describe(&action, Lang::Fr), describe(&action, Lang::En));
            self.notify(&account, crate::notices::OPERATOR_ACTIONS, said);
        }
        Ok(())
    }

    /// Suspends an account: no sign-in, every session ended, every token
    /// speaking for its pods revoked (apps and scripts alike), no new token
    /// for its client credentials, until [`Idp::restore_account`].
    pub async fn suspend_account(
        &self,
        by: &str,
        account: &Account,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.record(
            OperatorAction::new(by, OperatorAction::SUSPEND, reason).on_account(account.id),
        )
        .await?;
        self.directory
            .set_suspended(account.id, Some(now() * 1000))
            .await?;
        self.end_sessions_and_tokens(account.id, None).await
    }

    /// Lifts a suspension: the resident signs in again (apps ask again).
    pub async fn restore_account(&self, by: &str, account: &Account) -> Result<(), StoreError> {
        self.record(OperatorAction::new(by, OperatorAction::RESTORE, "").on_account(account.id))
            .await?;
        self.directory.set_suspended(account.id, None).await
    }

    /// Lifts the sign-in lockouts of an account (from every network), for a
    /// resident who failed too often and called the help desk.
    pub async fn lift_lockouts(&self, by: &str, account: &Account) -> Result<(), StoreError> {
        self.record(
            OperatorAction::new(by, OperatorAction::LIFT_LOCKOUTS, "").on_account(account.id),
        )
        .await?;
        self.unlock_logins(&account.email).await;
        Ok(())
    }

    /// Gives a pod its own quota, or the server's default back (`None`).
    pub async fn set_pod_quota(
        &self,
        by: &str,
        pod: &PodName,
        bytes: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut action = OperatorAction::new(
            by,
            OperatorAction::QUOTA,
            bytes.map_or_else(|| "default".to_owned(), |b| b.to_string()),
        )
        .on_pod(pod.as_str());
        if let Some(owner) = self.directory.pod_owner(pod.as_str()).await? {
            action = action.on_account(owner);
        }
        self.record(action).await?;
        self.pods.set_quota(pod, bytes).await
    }

    /// A new single-use invitation code.
    pub async fn invite(&self, by: &str) -> Result<String, StoreError> {
        self.record(OperatorAction::new(by, OperatorAction::INVITE, ""))
            .await?;
        crate::new_invite(self.directory.as_ref()).await
    }

    /// A one-time password-reset code for an account.
    pub async fn reset_code(&self, by: &str, account: &Account) -> Result<String, StoreError> {
        self.record(OperatorAction::new(by, OperatorAction::RESET_CODE, "").on_account(account.id))
            .await?;
        crate::reset::new_reset_code(self.directory.as_ref(), &account.email)
            .await?
            .ok_or_else(|| StoreError::Io("the account has no usable address".into()))
    }
}

/// An action in a sentence, for the operator's log and the resident's page.
pub fn describe(action: &OperatorAction, lang: Lang) -> String {
    let fr = lang == Lang::Fr;
    let pod = action.pod.as_deref().unwrap_or("?");
    let detail = action.detail.as_str();
    match action.action.as_str() {
        OperatorAction::SUSPEND if detail.is_empty() => (if fr {
            "Compte suspendu"
        } else {
            "Account suspended"
        })
        .to_owned(),
        OperatorAction::SUSPEND if fr => format!("Compte suspendu : {detail}"),
        OperatorAction::SUSPEND => format!("Account suspended: {detail}"),
        OperatorAction::RESTORE if fr => "Suspension du compte levée".to_owned(),
        OperatorAction::RESTORE => "Account's suspension lifted".to_owned(),
        OperatorAction::LIFT_LOCKOUTS if fr => "Blocages de connexion levés".to_owned(),
        OperatorAction::LIFT_LOCKOUTS => "Sign-in lockouts lifted".to_owned(),
        OperatorAction::RESET_CODE if fr => {
            "Code de réinitialisation du mot de passe émis".to_owned()
        }
        OperatorAction::RESET_CODE => "Password reset code issued".to_owned(),
        OperatorAction::QUOTA => match (detail.parse::<u64>(), fr) {
            (Ok(b), true) => format!("Quota de l'espace {pod} fixé à {}", human_bytes(b)),
            (Ok(b), false) => format!("Quota of the pod {pod} set to {}", human_bytes(b)),
            (Err(_), true) => format!("Quota de l'espace {pod} remis à celui du serveur"),
            (Err(_), false) => format!("Quota of the pod {pod} back to the server's"),
        },
        OperatorAction::INVITE if fr => "Code d'invitation créé".to_owned(),
        OperatorAction::INVITE => "Invitation code created".to_owned(),
        OperatorAction::APP_LIST if fr => format!("Application ajoutée à l'annuaire : {detail}"),
        OperatorAction::APP_LIST => format!("App listed in the directory: {detail}"),
        OperatorAction::APP_REMOVE if fr => format!("Application retirée de l'annuaire : {detail}"),
        OperatorAction::APP_REMOVE => format!("App removed from the directory: {detail}"),
        OperatorAction::HOLDER if fr => format!("Détenteur de données : {detail}"),
        OperatorAction::HOLDER => format!("Data holder: {detail}"),
        other => format!("{other} {detail}"),
    }
}

/// An instant as a resident reads it: Paris time, to the minute.
pub fn paris_minute(ms: i64) -> String {
    let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(paris)
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_times_read_as_people_say_them() {
        // 2026-07-01 10:00 UTC is noon in Paris (summer time).
        assert_eq!(paris_minute(1_782_900_000_000), "2026-07-01 12:00");
        let quota =
            OperatorAction::new("ops", OperatorAction::QUOTA, "1073741824").on_pod("camille");
        assert_eq!(
            describe(&quota, Lang::En),
            "Quota of the pod camille set to 1 GiB"
        );
        let back = OperatorAction::new("ops", OperatorAction::QUOTA, "default").on_pod("camille");
        assert_eq!(
            describe(&back, Lang::Fr),
            "Quota de l'espace camille remis à celui du serveur"
        );
    }
}
