//! Sharing with a person: a folder shared through its ACL, the person
//! removed again, each with its consent record.

use super::*;

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    pub(crate) acl: String,
    #[serde(default)]
    pub(crate) agent: String,
}

pub(crate) async fn remove_person(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<RemoveForm>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let owner = consents::owner_webid(&services.ctx, &r.pod);
    let acl_path = ResourcePath::parse(&f.acl)
        .ok()
        .filter(|a| a.auxiliary_kind() == Some(AuxKind::Acl));
    let listed = match &acl_path {
        Some(a) if f.agent != owner => acl::people(
            services.ctx.store.as_ref(),
            services.ctx.base_url(),
            &r.pod,
            &owner,
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|x| &x.acl == a && x.agent == f.agent),
        _ => None,
    };
    let o = match listed {
        None => Outcome::failed(p.not_listed),
        Some(access) => {
            let acl_iri =
                selfdata_solid::uri::resource_uri(services.ctx.base_url(), &r.pod, &access.acl);
            let write = acl::remove_agent(acl_iri, access.acl.clone(), access.agent.clone());
            match services.ctx.solid.write(&r.pod, write).await {
                Err(e) => {
                    tracing::error!(error = %e, "removing a person from an ACL failed");
                    Outcome::failed(p.failed)
                }
                Ok(_) => {
                    let iri = selfdata_solid::uri::resource_uri(
                        services.ctx.base_url(),
                        &r.pod,
                        &access.resource,
                    );
                    let id = person_record_id(&access.agent, &iri);
                    let fresh =
                        person_record(&services, &r.pod, &access.agent, &iri, &access.modes, &id);
                    let done =
                        consents::change_record(&services.ctx, &r.pod, &id, move |existing| {
                            let mut rec = existing.unwrap_or_else(|| fresh.clone());
                            rec.withdraw(
                                Timestamp::now(),
                                Some("Access removed by the resident".to_owned()),
                            );
                            rec
                        })
                        .await;
                    if let Err(e) = done {
                        tracing::error!(error = %e, "recording a consent withdrawal failed");
                    }
                    Outcome::done(fill(
                        p.removed,
                        &[("who", &access.agent), ("what", access.resource.as_str())],
                    ))
                }
            }
        }
    };
    render_overview(&services, chrome, &r, o).await
}

pub(crate) fn person_record(
    services: &PrivacyApp,
    pod: &PodName,
    agent: &str,
    resource_iri: &str,
    modes: &[String],
    id: &str,
) -> Record {
    let mut rec = Record::new(
        Kind::Person,
        id.to_owned(),
        consents::owner_webid(&services.ctx, pod),
        Party::new(agent, agent),
        Timestamp::now(),
    );
    rec.data = vec![resource_iri.to_owned()];
    rec.modes = modes.to_vec();
    rec.target = Some(resource_iri.to_owned());
    rec.notice = Some(Notice::of_text(
        &format!("{}/app/privacy", services.ctx.base_url()),
        "1",
        &format!("Share {resource_iri} with {agent} ({})", modes.join(", ")),
    ));
    rec
}

#[derive(Deserialize)]
pub(crate) struct ShareForm {
    #[serde(default)]
    pub(crate) webid: String,
    #[serde(default)]
    pub(crate) folder: String,
    #[serde(default)]
    pub(crate) mode: String,
}

pub(crate) async fn share(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<ShareForm>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let owner = consents::owner_webid(&services.ctx, &r.pod);
    let webid = f.webid.trim().to_owned();
    let mut folder = f.folder.trim().to_owned();
    if !folder.starts_with('/') {
        folder.insert(0, '/');
    }
    if !folder.ends_with('/') {
        folder.push('/');
    }
    let again = |error: &str| Outcome {
        error: Some(error.to_owned()),
        webid: webid.clone(),
        folder: f.folder.clone(),
        ..Outcome::default()
    };
    let o = if !acl::valid_webid(&webid) || webid == owner {
        again(p.bad_webid)
    } else {
        let path = ResourcePath::parse(&folder)
            .ok()
            .filter(|x| x.auxiliary_kind().is_none());
        let exists = match &path {
            Some(x) => matches!(services.ctx.store.meta(&r.pod, x).await, Ok(Some(_))),
            None => false,
        };
        match path.filter(|_| exists) {
            None => again(p.bad_folder),
            Some(path) => {
                let modes: Vec<String> = if f.mode == "write" {
                    vec!["Read", "Write"]
                } else {
                    vec!["Read"]
                }
                .into_iter()
                .map(|m| format!("{}{m}", crate::vocab::ACL))
                .collect();
                let acl_path = path.aux(AuxKind::Acl);
                let acl_iri =
                    selfdata_solid::uri::resource_uri(services.ctx.base_url(), &r.pod, &acl_path);
                let folder_iri =
                    selfdata_solid::uri::resource_uri(services.ctx.base_url(), &r.pod, &path);
                let id = person_record_id(&webid, &folder_iri);
                let fresh = person_record(&services, &r.pod, &webid, &folder_iri, &modes, &id);
                // The record first: no access without its record.
                let recorded =
                    consents::change_record(&services.ctx, &r.pod, &id, move |existing| {
                        match existing {
                            Some(mut rec) if !rec.state().is_active() => {
                                rec.give_again(Timestamp::now(), None);
                                rec.modes = fresh.modes.clone();
                                rec
                            }
                            Some(mut rec) => {
                                rec.modes = fresh.modes.clone();
                                rec
                            }
                            None => fresh.clone(),
                        }
                    })
                    .await;
                let write = acl::share(
                    acl_iri,
                    acl_path,
                    folder_iri,
                    owner.clone(),
                    webid.clone(),
                    modes,
                );
                let shared = match recorded {
                    Ok(()) => services.ctx.solid.write(&r.pod, write).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match shared {
                    Ok(()) => {
                        Outcome::done(fill(p.shared, &[("who", &webid), ("what", path.as_str())]))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "sharing a folder failed");
                        again(p.failed)
                    }
                }
            }
        }
    };
    render_overview(&services, chrome, &r, o).await
}
