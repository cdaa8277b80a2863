//! What anyone may read without signing in: a published study's result as
//! open data (CSV, and its CSVW description naming the study, its decision
//! and how many contributed), and the public record of decisions with its
//! signed tree head.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use selfdata_studies::governance::Stage;
use selfdata_translog::{Checkpoint, leaf_hash, root_of_leaves};
use serde_json::json;

use crate::StudiesApp;
use crate::pages::bands;
use crate::study::Study;

fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json!({ "title": status.canonical_reason(), "status": status.as_u16(), "detail": detail })
            .to_string(),
    )
        .into_response()
}

async fn published(app: &StudiesApp, id: &str) -> Result<Study, Response> {
    match app.load(id).await {
        Ok(Some(s)) if s.stage == Stage::Published && s.result.is_some() => Ok(s),
        Ok(_) => Err(problem(
            StatusCode::NOT_FOUND,
            "There is no published result of this study.",
        )),
        Err(e) => {
            tracing::error!(error = %e, "a study could not be read");
            Err(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The study cannot be read now; try again later.",
            ))
        }
    }
}

/// One CSV field, quoted when it must be (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// `GET /app/studies/{id}/result.csv`.
pub(crate) async fn csv(State(app): State<Arc<StudiesApp>>, Path(id): Path<String>) -> Response {
    let study = match published(&app, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let unit = study.contribution().map(|c| c.unit).unwrap_or_default();
    let mut out = String::from("band,from,to,unit,households\r\n");
    for (label, from, to, n) in bands(&study) {
        out.push_str(&format!(
            "{},{from},{},{},{n}\r\n",
            field(&label),
            to.map(|t| t.to_string()).unwrap_or_default(),
            field(unit)
        ));
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present",
            ),
            (
                header::CONTENT_DISPOSITION,
                &format!("attachment; filename=\"{id}.csv\""),
            ),
        ],
        out,
    )
        .into_response()
}

/// `GET /app/studies/{id}/result.csv-metadata.json`: the CSVW description.
pub(crate) async fn csvw(State(app): State<Arc<StudiesApp>>, Path(id): Path<String>) -> Response {
    let study = match published(&app, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let base = app.ctx.base_url();
    let contributors = study.result.as_ref().map_or(0, |r| r.contributors);
    let decision = study.decision.as_ref().map(|d| {
        json!({
            "approved": d.approved,
            "by": "steward",
            "reason": d.reason,
            "at": jiff::Timestamp::from_millisecond(d.at_ms).map(|t| t.to_string()).unwrap_or_default(),
        })
    });
    let vote = study.vote.as_ref().map(
        |v| json!({ "for": v.yes, "against": v.no, "members": v.members, "carried": v.carried }),
    );
    let metadata = json!({
        "@context": ["http://www.w3.org/ns/csvw", { "@language": "en" }],
        "url": format!("{base}/app/studies/{id}/result.csv"),
        "dc:title": study.title,
        "dc:description": study.question,
        "dc:publisher": study.organisation,
        "dc:license": { "@id": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" },
        "dcat:landingPage": { "@id": format!("{base}/app/studies/{id}") },
        "selfdata:purpose": { "@id": study.purpose_iri() },
        "selfdata:month": study.month.strftime("%Y-%m").to_string(),
        "selfdata:contributors": contributors,
        "selfdata:minimumGroup": study.min_group,
        "selfdata:differentialPrivacyEpsilon": study.epsilon_milli.map(|e| f64::from(e) / 1000.0),
        "selfdata:decision": decision,
        "selfdata:vote": vote,
        "selfdata:record": { "@id": format!("{base}/app/studies/record") },
        "tableSchema": {
            "columns": [
                { "name": "band", "titles": "band", "datatype": "string" },
                { "name": "from", "titles": "from", "datatype": "integer" },
                { "name": "to", "titles": "to", "datatype": "integer", "null": "" },
                { "name": "unit", "titles": "unit", "datatype": "string" },
                { "name": "households", "titles": "households", "datatype": "nonNegativeInteger" }
            ],
            "primaryKey": "band"
        },
        "@id": format!("{base}/app/studies/{id}/result.csv-metadata.json"),
        "prefixes": { "selfdata": format!("{base}/ns/studies#") }
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/csvm+json")],
        serde_json::to_string_pretty(&metadata).unwrap_or_default(),
    )
        .into_response()
}

/// `GET /app/studies/record`: every entry with its leaf hash, and the signed
/// tree head over all of them (RFC 6962 Merkle tree, C2SP signed note).
pub(crate) async fn record(State(app): State<Arc<StudiesApp>>) -> Response {
    let events = match app.registry.study_events().await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "the record of studies could not be read");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The record cannot be read now; try again later.",
            );
        }
    };
    let entries: Vec<(serde_json::Value, [u8; 32])> = events
        .iter()
        .map(|e| {
            let at = jiff::Timestamp::from_millisecond(e.at_ms)
                .map(|t| t.to_string())
                .unwrap_or_default();
            let (fr, en) = e.text.split_once('\n').unwrap_or((&e.text, &e.text));
            let entry = json!({ "seq": e.seq, "at": at, "study": e.study, "fr": fr, "en": en });
            let leaf = leaf_hash(entry.to_string().as_bytes());
            (entry, leaf)
        })
        .collect();
    let leaves: Vec<[u8; 32]> = entries.iter().map(|(_, l)| *l).collect();
    let checkpoint = Checkpoint {
        origin: app.signer_name(),
        size: leaves.len() as u64,
        root: root_of_leaves(&leaves),
    };
    let body = json!({
        "checkpoint": app.sign(&checkpoint),
        "verifier_key": app.verifier_key(),
        "entries": entries.iter().map(|(e, _)| e.to_string()).collect::<Vec<_>>(),
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}
