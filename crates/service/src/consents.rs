//! The pod's consent records (`selfdata_consent`), read and changed the one
//! way every service does it: a connector records the consent it was given
//! for a data source, the privacy pages list records, give them again or
//! withdraw them. A change is one atomic read-modify-write of the record's
//! Turtle document.

use bytes::Bytes;
use jiff::Timestamp;
use selfdata_consent::{Kind, Notice, Party, Record, id_for, path_of};
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};

use crate::Context;

pub fn owner_webid(ctx: &Context, pod: &PodName) -> String {
    selfdata_solid::provision::webid_of(ctx.base_url(), pod)
}

pub fn record_iri(ctx: &Context, pod: &PodName, id: &str) -> String {
    format!("{}/{pod}/{}", ctx.base_url(), path_of(id))
}

/// Changes record `id` atomically: `change` gets the stored record (or
/// `None`) and returns the record to store.
pub async fn change_record(
    ctx: &Context,
    pod: &PodName,
    id: &str,
    change: impl Fn(Option<Record>) -> Record + Send + 'static,
) -> Result<(), StoreError> {
    let iri = record_iri(ctx, pod, id);
    let write = Write::Modify {
        path: ResourcePath::parse(&format!("/{}", path_of(id)))?,
        precondition: Precondition::None,
        modify: Box::new(move |current| {
            let existing = match current {
                Some((_, body)) => Some(Record::parse(body, &iri)?),
                None => None,
            };
            Ok((
                "text/turtle".to_owned(),
                Bytes::from(change(existing).to_turtle()),
            ))
        }),
    };
    ctx.solid.write(pod, write).await.map(|_| ())
}

/// Every consent record of the pod, newest first (unreadable ones skipped).
pub async fn records(ctx: &Context, pod: &PodName) -> Vec<Record> {
    let container = ResourcePath::parse(&format!("/{}", selfdata_consent::CONTAINER))
        .unwrap_or_else(|_| ResourcePath::root());
    let members = ctx.store.members(pod, &container).await.unwrap_or_default();
    let mut out = Vec::new();
    for m in members {
        if let Ok(Some((_, body))) = ctx.store.get(pod, &m.path).await {
            let iri = selfdata_solid::uri::resource_uri(ctx.base_url(), pod, &m.path);
            match Record::parse(&body, &iri) {
                Ok(r) => out.push(r),
                Err(e) => {
                    tracing::warn!(error = %e, path = %m.path.as_str(), "an unreadable consent record")
                }
            }
        }
    }
    out.sort_by(|a, b| b.events[0].time.cmp(&a.events[0].time));
    out
}

pub async fn record(ctx: &Context, pod: &PodName, id: &str) -> Option<(Record, Bytes)> {
    if !selfdata_consent::valid_id(id) {
        return None;
    }
    let path = ResourcePath::parse(&format!("/{}", path_of(id))).ok()?;
    let (_, body) = ctx.store.get(pod, &path).await.ok()??;
    let r = Record::parse(&body, &record_iri(ctx, pod, id)).ok()?;
    Some((r, body))
}

/// Records that a data holder's source was connected to the pod (the
/// Enedis Data Connect consent for meter `prm`, say); the record's id.
pub async fn record_source_consent(
    ctx: &Context,
    pod: &PodName,
    holder: Party,
    meter: &str,
    data: Vec<String>,
) -> Result<String, StoreError> {
    let id = id_for(Kind::Source, &format!("{}\n{meter}", holder.id));
    let subject = owner_webid(ctx, pod);
    let pod_root = format!("{}/{pod}/", ctx.base_url());
    let notice_text = format!(
        "{} sends the readings of meter {meter} to the store at {pod_root}",
        holder.name
    );
    let id2 = id.clone();
    let meter = meter.to_owned();
    change_record(ctx, pod, &id, move |existing| {
        let now = Timestamp::now();
        if let Some(mut r) = existing {
            r.give_again(now, None);
            return r;
        }
        let mut r = Record::new(Kind::Source, id2.clone(), subject.clone(), holder.clone(), now);
        // The holder sends; the resident's own store receives.
        r.recipients = vec![Party::new(&pod_root, "selfdata")];
        r.data = data.clone();
        r.target = Some(format!("urn:selfdata:meter:{meter}"));
        r.notice = Some(Notice::of_text(&holder.id, "1", &notice_text));
        r.withdrawal = "At the holder (for Enedis: the customer area of enedis.fr), and on the page \"Who has what on me?\" of the store".to_owned();
        r
    })
    .await?;
    Ok(id)
}

/// Records that the resident disconnected a data holder's source (the
/// counterpart of [`record_source_consent`]); `false` when there was no
/// record or it was already withdrawn.
pub async fn record_source_withdrawal(
    ctx: &Context,
    pod: &PodName,
    holder: &Party,
    meter: &str,
) -> Result<bool, StoreError> {
    let id = id_for(Kind::Source, &format!("{}\n{meter}", holder.id));
    let Some((mut existing, _)) = record(ctx, pod, &id).await else {
        return Ok(false);
    };
    let changed = existing.withdraw(Timestamp::now(), None);
    if changed {
        change_record(ctx, pod, &id, move |current| {
            let mut r = current.unwrap_or_else(|| existing.clone());
            r.withdraw(Timestamp::now(), None);
            r
        })
        .await?;
    }
    Ok(changed)
}

/// What a resident agrees to when joining a study.
#[derive(Debug, Clone)]
pub struct StudyConsent {
    pub study: String,
    /// Who runs the study (the researcher's organisation).
    pub controller: Party,
    /// The DPV purpose's IRI.
    pub purpose: String,
    /// The pod folders the contribution is computed from.
    pub data: Vec<String>,
    /// The notice, in plain words: what leaves the pod and how.
    pub notice: String,
}

/// Records that the resident of `pod` joined a study (given again if they
/// had left it): the record's id.
pub async fn record_study_consent(
    ctx: &Context,
    pod: &PodName,
    consent: StudyConsent,
) -> Result<String, StoreError> {
    let id = selfdata_consent::id_for(Kind::Study, &consent.study);
    let subject = owner_webid(ctx, pod);
    let id2 = id.clone();
    change_record(ctx, pod, &id, move |existing| {
        let now = Timestamp::now();
        if let Some(mut r) = existing {
            r.give_again(now, None);
            return r;
        }
        let mut r = Record::new(
            Kind::Study,
            id2.clone(),
            subject.clone(),
            consent.controller.clone(),
            now,
        );
        r.purpose = consent.purpose.clone();
        r.data = consent.data.clone();
        r.target = Some(format!("urn:selfdata:study:{}", consent.study));
        r.notice = Some(Notice::of_text(
            &consent.controller.id,
            "1",
            &consent.notice,
        ));
        r.retention = "The study's result is public; no individual value is kept".to_owned();
        r.withdrawal = "On the study's page (/app/studies) until its collection starts".to_owned();
        r
    })
    .await?;
    Ok(id)
}

/// Records that the resident left a study; `false` if they had not joined
/// or had left already.
pub async fn record_study_withdrawal(
    ctx: &Context,
    pod: &PodName,
    study: &str,
) -> Result<bool, StoreError> {
    let id = selfdata_consent::id_for(Kind::Study, study);
    let Some((existing, _)) = record(ctx, pod, &id).await else {
        return Ok(false);
    };
    if !existing.state().is_active() {
        return Ok(false);
    }
    change_record(ctx, pod, &id, move |current| {
        let mut r = current.unwrap_or_else(|| existing.clone());
        r.withdraw(Timestamp::now(), None);
        r
    })
    .await?;
    Ok(true)
}

/// Whether the resident's consent to a study is given now.
pub async fn study_consent_given(ctx: &Context, pod: &PodName, study: &str) -> bool {
    let id = selfdata_consent::id_for(Kind::Study, study);
    record(ctx, pod, &id)
        .await
        .is_some_and(|(r, _)| r.state().is_active())
}
