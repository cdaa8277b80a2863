//! The app directory: apps the operator lists by their Client ID Document,
//! with what each reads and writes in a pod and why, for residents to
//! browse (`/account/apps`), start using (through the usual consent screen,
//! which then shows the same list) and stop using.

use selfdata_store::StoreError;
use selfdata_store::directory::{AppUse, ListedApp};

use crate::Idp;

/// Why an app could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("{0}")]
    Unusable(String),
    #[error(
        "Say what the app reads or writes as PATH=WHY, a path in the pod starting with / and a reason in plain words: {0:?} is not."
    )]
    BadUse(String),
    #[error("Describe the app in a sentence or two (at most 1,000 characters).")]
    BadDescription,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `PATH=WHY`, as the operator writes it (`/selfdata/energy/=to draw your consumption`).
pub fn parse_use(given: &str) -> Result<AppUse, ListError> {
    let bad = || ListError::BadUse(given.to_owned());
    let (path, why) = given.split_once('=').ok_or_else(bad)?;
    let (path, why) = (path.trim(), why.trim());
    let path_ok = path.starts_with('/')
        && path.len() <= 500
        && selfdata_store::ResourcePath::parse(path).is_ok();
    let why = crate::accounts::clean_name(why, 300).filter(|w| !w.is_empty());
    match (path_ok, why) {
        (true, Some(why)) => Ok(AppUse {
            path: path.to_owned(),
            why,
        }),
        _ => Err(bad()),
    }
}

impl Idp {
    /// Lists an app (or updates its entry): its name, logo and start page
    /// come from its Client ID Document, fetched now within the fence.
    pub async fn list_app(
        &self,
        client_id: &str,
        description: &str,
        reads: Vec<AppUse>,
        writes: Vec<AppUse>,
    ) -> Result<ListedApp, ListError> {
        let description = description.trim();
        if description.is_empty() || description.chars().count() > 1000 {
            return Err(ListError::BadDescription);
        }
        let info = self
            .client_id_document(client_id)
            .await
            .map_err(ListError::Unusable)?;
        let start_url = info
            .homepage
            .or_else(|| {
                info.redirect_uris.first().and_then(|u| {
                    reqwest::Url::parse(u)
                        .ok()
                        .map(|u| u.origin().ascii_serialization() + "/")
                })
            })
            .ok_or_else(|| {
                ListError::Unusable(
                    "The app's Client ID Document names neither a client_uri nor a redirect URI: residents would not know where to start it.".into(),
                )
            })?;
        let app = ListedApp {
            client_id: client_id.to_owned(),
            name: info.name,
            logo_uri: info.logo,
            start_url,
            description: description.to_owned(),
            reads,
            writes,
            added_ms: jiff::Timestamp::now().as_millisecond(),
        };
        self.directory.put_listed_app(&app).await?;
        Ok(app)
    }

    /// Takes an app out of the directory (residents who use it keep their
    /// grant until they revoke it); whether it was listed.
    pub async fn unlist_app(&self, client_id: &str) -> Result<bool, StoreError> {
        self.directory.remove_listed_app(client_id).await
    }

    /// The directory.
    pub async fn listed_apps(&self) -> Result<Vec<ListedApp>, StoreError> {
        self.directory.listed_apps().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_a_pod_path_and_a_reason() {
        let u = parse_use("/selfdata/energy/ = to draw your consumption").unwrap();
        assert_eq!(u.path, "/selfdata/energy/");
        assert_eq!(u.why, "to draw your consumption");
        for bad in [
            "selfdata/=x",
            "/a/=",
            "/a/../b=x",
            "no reason",
            "/a=\u{202e}x",
        ] {
            assert!(parse_use(bad).is_err(), "{bad}");
        }
    }
}
