//! The apps and people the resident gave access to, as holders for the
//! directory of "who has what on me" (privacy's `Service::organisations`),
//! from what the overview at `/app/privacy` lists: an app allowed on the
//! consent screen (an active grant of the identity provider for the pod's
//! WebID) acts as the resident on the whole pod, and is named by the name
//! it was allowed under, else its client id's host; a person (or an
//! organisation's WebID) named in one of the pod's ACLs may read or change
//! what that ACL governs, and is named by their WebID.

use jiff::Timestamp;
use selfdata_service::{KnownOrganisation, consents};
use selfdata_site::Lang;
use selfdata_store::PodName;

use super::{PrivacyTexts, acl, app_label, modes_text, person_record_id};
use crate::PrivacyApp;
use crate::when::day_words;

/// Every app and person with access to `pod`, how in `lang`.
pub(crate) async fn organisations(
    app: &PrivacyApp,
    pod: &PodName,
    lang: Lang,
) -> Vec<KnownOrganisation> {
    let mut out = Vec::new();
    let owner = consents::owner_webid(&app.ctx, pod);
    let webids = [
        owner.clone(),
        selfdata_solid::provision::webid_of(&app.idp.config().pods_url, pod),
    ];
    let directory = app.idp.directory();
    let grants = match directory.pod_owner(pod.as_str()).await {
        Ok(Some(account)) => directory.grants_of(account).await.unwrap_or_default(),
        Ok(None) => Vec::new(),
        Err(e) => {
            tracing::warn!(pod = %pod, error = %e, "the pod's owner could not be read");
            Vec::new()
        }
    };
    for g in grants
        .into_iter()
        .filter(|g| g.revoked_ms.is_none() && webids.contains(&g.webid))
    {
        let since = Timestamp::from_millisecond(g.created_ms).ok();
        let name = if g.client_name.trim().is_empty() {
            app_label(&[], &g.client_id)
        } else {
            g.client_name.clone()
        };
        let how = match lang {
            Lang::Fr => {
                "une application que vous avez autorisée\u{a0}: elle peut lire et modifier votre espace en votre nom"
            }
            Lang::En => "an app you allowed: it may read and change your pod as you",
        };
        let how = match since {
            Some(t) => match lang {
                Lang::Fr => format!("{how} depuis le {}", day_words(t, lang)),
                Lang::En => format!("{how} since {}", day_words(t, lang)),
            },
            None => how.to_owned(),
        };
        out.push(KnownOrganisation {
            name,
            person: false,
            how,
            categories: vec!["Pod".to_owned()],
            first: since,
            last: None,
            sector: None,
        });
    }
    let people = match acl::people(app.ctx.store.as_ref(), app.ctx.base_url(), pod, &owner).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(pod = %pod, error = %e, "the pod's ACLs could not be read");
            Vec::new()
        }
    };
    let records = if people.is_empty() {
        Vec::new()
    } else {
        consents::records(&app.ctx, pod).await
    };
    let p: &'static PrivacyTexts = lang.words();
    for a in people {
        let iri = selfdata_solid::uri::resource_uri(app.ctx.base_url(), pod, &a.resource);
        let id = person_record_id(&a.agent, &iri);
        let since = records
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.given())
            .or_else(|| Timestamp::from_millisecond(a.modified_ms).ok());
        let what = a.resource.as_str();
        let modes = modes_text(p, &a.modes);
        let how = match (lang, since) {
            (Lang::Fr, Some(t)) => format!(
                "vous leur avez donné accès à {what} ({modes}) le {}",
                day_words(t, lang)
            ),
            (Lang::En, Some(t)) => format!(
                "you gave them access to {what} ({modes}) on {}",
                day_words(t, lang)
            ),
            (Lang::Fr, None) => format!("vous leur avez donné accès à {what} ({modes})"),
            (Lang::En, None) => format!("you gave them access to {what} ({modes})"),
        };
        out.push(KnownOrganisation {
            name: a.agent,
            person: true,
            how,
            categories: vec!["Shared".to_owned()],
            first: since,
            last: None,
            sector: None,
        });
    }
    out
}
