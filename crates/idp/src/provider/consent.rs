//! Consent records of apps: created when a resident allows an app on the
//! consent screen, withdrawn when it is revoked (kept in the resident's pod).

use super::*;

impl Idp {
    /// The pod (and the record's IRI) for a grant's WebID among the account's pods.
    async fn consent_pod(&self, account_id: i64, webid: &str) -> Option<PodName> {
        self.directory
            .pods_of(account_id)
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|p| PodName::parse(p).ok())
            .find(|p| selfdata_solid::provision::webid_of(&self.config.pods_url, p) == webid)
    }

    /// Applies `change` to the consent record of `grant` in its pod
    /// (`selfdata/consents/<id>.ttl`), atomically.
    async fn change_app_record(
        &self,
        grant: &Grant,
        change: impl Fn(Option<selfdata_consent::Record>) -> selfdata_consent::Record + Send + 'static,
    ) -> Result<(), selfdata_store::StoreError> {
        use selfdata_consent::{Kind, Record, id_for, path_of};
        let Some(pod) = self.consent_pod(grant.account_id, &grant.webid).await else {
            return Ok(()); // the WebID is not a pod of this server's: no pod to keep it in
        };
        let path = path_of(&id_for(Kind::App, &grant.id));
        let base = format!("{}/{pod}/{path}", self.config.pods_url);
        let write = selfdata_store::Write::Modify {
            path: selfdata_store::ResourcePath::parse(&format!("/{path}"))?,
            precondition: selfdata_store::Precondition::None,
            modify: Box::new(move |current| {
                let existing = match current {
                    Some((_, body)) => Some(Record::parse(body, &base)?),
                    None => None,
                };
                let record = change(existing);
                Ok((
                    "text/turtle".to_owned(),
                    axum::body::Bytes::from(record.to_turtle()),
                ))
            }),
        };
        self.pods.write(&pod, write).await.map(|_| ())
    }

    /// Creates the consent record of an app allowed on the consent screen
    /// (or records consent given again).
    pub async fn record_app_consent(
        &self,
        grant: &Grant,
    ) -> Result<(), selfdata_store::StoreError> {
        let fresh = self.app_record(grant).await;
        self.change_app_record(grant, move |existing| match existing {
            Some(mut r) => {
                r.give_again(jiff::Timestamp::now(), None);
                r
            }
            None => fresh.clone(),
        })
        .await
    }

    /// Records in a grant's consent record that consent was withdrawn (call
    /// after revoking the grant's tokens).
    pub(crate) async fn record_app_withdrawal(
        &self,
        grant: &Grant,
    ) -> Result<(), selfdata_store::StoreError> {
        let fresh = self.app_record(grant).await;
        self.change_app_record(grant, move |existing| {
            let mut r = existing.unwrap_or_else(|| fresh.clone());
            r.withdraw(
                jiff::Timestamp::now(),
                Some("Access revoked by the resident".to_owned()),
            );
            r
        })
        .await
    }

    /// A new consent record for an app's grant.
    async fn app_record(&self, g: &Grant) -> selfdata_consent::Record {
        use selfdata_consent::{Kind, Notice, Party, Record, id_for};
        let (base, pods) = (&self.config.base_url, &self.config.pods_url);
        let pod = self
            .consent_pod(g.account_id, &g.webid)
            .await
            .map(|p| p.to_string())
            .unwrap_or_default();
        let at = jiff::Timestamp::from_millisecond(g.created_ms).unwrap_or_default();
        let app = if is_http_url(&g.client_id) {
            g.client_id.clone()
        } else {
            format!("urn:selfdata:client:{}", g.client_id)
        };
        let mut r = Record::new(
            Kind::App,
            id_for(Kind::App, &g.id),
            g.webid.clone(),
            Party::new(&app, &g.client_name),
            at,
        );
        r.data = vec![format!("{pods}/{pod}/")];
        r.modes = ["Read", "Write"]
            .iter()
            .map(|m| format!("http://www.w3.org/ns/auth/acl#{m}"))
            .collect();
        r.target = Some(app);
        r.notice = Some(Notice::of_text(
            &format!("{base}/idp/authorize"),
            "1",
            &format!(
                "{} ({}) asks to act as {} (scope: {})",
                g.client_name, g.client_id, g.webid, g.scope
            ),
        ));
        r
    }
}
