//! One consent record: its page (what was given, to whom, when, its
//! history) and its receipt, the record's own Turtle.

use super::*;
use axum::response::Redirect;

#[derive(Template)]
#[template(path = "privacy_record.html")]
pub(crate) struct RecordPage<'a> {
    pub(crate) p: &'static PrivacyTexts,
    pub(crate) chrome: Chrome,
    pub(crate) r: &'a Record,
    pub(crate) kind: &'static str,
    pub(crate) state: &'static str,
    pub(crate) fields: Vec<(&'static str, String)>,
    /// (instant for `datetime`, Paris time shown, state, note).
    pub(crate) events: Vec<(String, String, &'static str, String)>,
    /// The session's CSRF token when the record can be withdrawn here.
    pub(crate) withdraw: Option<String>,
}

/// Whether withdrawing the record alone ends what it grants: a direct
/// transfer is checked against its record at every read. (An app's grant
/// and a person's ACL are ended by their own forms, which withdraw the
/// record too; a holder's connection, on the holders' page.)
fn withdrawable(rec: &Record) -> bool {
    rec.kind == Kind::Transfer && rec.state().is_active()
}

pub(crate) async fn record_page(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    r: Resident,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p: &'static PrivacyTexts = chrome.language().words();
    let Some((mut rec, _)) = consents::record(&services.ctx, &r.pod, &id).await else {
        return Err(PageError::new(StatusCode::NOT_FOUND, p.not_listed));
    };
    // Past its validity it reads as expired, written so or not.
    rec.expire_if_due(Timestamp::now());
    let party = |x: &Party| {
        let mut s = if x.name.is_empty() || x.name == x.id {
            x.id.clone()
        } else {
            format!("{} <{}>", x.name, x.id)
        };
        if let Some(c) = &x.contact {
            s.push_str(&format!(" ({c})"));
        }
        s
    };
    let mut fields = vec![
        (p.f_id, rec.id.clone()),
        (p.f_subject, rec.subject.clone()),
        (p.f_controller, party(&rec.controller)),
        (p.f_purpose, term_name(p, &rec.purpose)),
        (p.f_legal_basis, term_name(p, &rec.legal_basis)),
        (p.f_data, rec.data.join(", ")),
        (
            p.f_recipients,
            rec.recipients
                .iter()
                .map(party)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    if !rec.modes.is_empty() {
        fields.push((p.f_modes, modes_text(p, &rec.modes)));
    }
    if let Some(n) = &rec.notice {
        fields.push((
            p.f_notice,
            format!("{} (v{}, {})", n.uri, n.version, n.hash),
        ));
    }
    fields.extend([
        (p.f_jurisdiction, term_name(p, &rec.jurisdiction)),
        (p.f_retention, rec.retention.clone()),
        (p.f_withdrawal, rec.withdrawal.clone()),
        (p.f_schema, rec.schema_version.clone()),
    ]);
    let events = rec
        .events
        .iter()
        .map(|e| {
            (
                e.time
                    .round(jiff::Unit::Second)
                    .unwrap_or(e.time)
                    .to_string(),
                crate::when::minute(e.time),
                state_name(p, e.state),
                e.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        RecordPage {
            p,
            chrome,
            kind: kind_name(p, rec.kind),
            state: state_name(p, rec.state()),
            withdraw: withdrawable(&rec).then(|| r.session.csrf.clone()),
            r: &rec,
            fields,
            events,
        }
        .render(),
    ))
}

#[derive(Deserialize)]
pub(crate) struct WithdrawForm {}

/// `POST /app/privacy/consents/{id}/withdraw`: withdraws a record that
/// ends its grant by itself (a direct transfer), at once.
pub(crate) async fn withdraw(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    Path(id): Path<String>,
    CsrfForm { resident: r, .. }: CsrfForm<WithdrawForm>,
) -> Result<Response, PageError> {
    let p: &'static PrivacyTexts = chrome.language().words();
    let Some((before, _)) = consents::record(&services.ctx, &r.pod, &id).await else {
        return Err(PageError::new(StatusCode::NOT_FOUND, p.not_listed));
    };
    let mut current = before.clone();
    current.expire_if_due(Timestamp::now());
    if !withdrawable(&current) {
        return Err(PageError::new(StatusCode::BAD_REQUEST, p.not_withdrawable));
    }
    consents::change_record(&services.ctx, &r.pod, &id, move |stored| {
        let mut rec = stored.unwrap_or_else(|| before.clone());
        rec.withdraw(
            Timestamp::now(),
            Some("withdrawn on \"Who has what on me?\"".to_owned()),
        );
        rec
    })
    .await
    .map_err(PageError::internal)?;
    Ok(Redirect::to(&format!("/app/privacy/consents/{id}")).into_response())
}

pub(crate) async fn receipt(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    r: Resident,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some((_, body)) = consents::record(&services.ctx, &r.pod, &id).await else {
        let p: &'static PrivacyTexts = chrome.language().words();
        return Err(PageError::new(StatusCode::NOT_FOUND, p.not_listed));
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/turtle; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"consent-{id}.ttl\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    selfdata_site::security_headers(h);
    Ok(resp)
}
