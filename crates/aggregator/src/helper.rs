//! The helper: verifies and adds the reports the leader sends in aggregation
//! jobs, and gives its total, sealed to the collector, once.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use selfdata_studies::dap::{
    self, AggregateShare, AggregateShareReq, AggregationJobInit, AggregationJobResp, Bytes,
    PrepareResp, Role,
};
use selfdata_studies::vdaf::{ReportInput, Vdaf};

use crate::{AggregatorError, JOB_SIZE, Peer, Problem, Shared, body, json};

pub(crate) async fn aggregation_job(
    _: Peer,
    State(s): State<Arc<Shared>>,
    Path((task_id, job)): Path<(String, String)>,
    bytes: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    if job.is_empty() || job.len() > 64 || !job.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidMessage",
            "An aggregation job's id is 1 to 64 letters or digits.",
        ));
    }
    let bytes = body(bytes)?;
    let _one_at_a_time = s.jobs.lock().await;
    let row = s.db.task(&task_id)?.ok_or(AggregatorError::NoTask)?;
    // The same job again (the leader retrying) gets the same answer.
    let digest = request_digest(&bytes);
    if let Some((request, response)) = s.db.job(&task_id, &job)? {
        if request == digest {
            return Ok((
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                response,
            )
                .into_response());
        }
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "invalidMessage",
            "This aggregation job was sent before with other reports.",
        ));
    }
    let request: AggregationJobInit = json(&bytes)?;
    if request.reports.len() > JOB_SIZE {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidMessage",
            format!("An aggregation job holds at most {JOB_SIZE} reports."),
        ));
    }
    let task = row.task;
    // No total of fewer reports than the minimum is written (see the leader).
    if row.report_count + (request.reports.len() as u64) < task.min_batch_size {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidBatchSize",
            format!(
                "An aggregation job must bring the total to at least {} reports.",
                task.min_batch_size
            ),
        ));
    }
    let info = dap::info("input share", Role::Client, Role::Helper);
    let mut in_job = HashSet::new();
    // For each report: its opened share, or why it is rejected before verification.
    let mut opened: Vec<Result<Vec<u8>, &'static str>> = Vec::with_capacity(request.reports.len());
    for r in &request.reports {
        let verdict = if row.collected {
            Err("batch_collected")
        } else if selfdata_studies::vdaf::nonce(&r.report_id.0).is_none() {
            Err("invalid_message")
        } else if !in_job.insert(r.report_id.0.clone()) || s.db.seen(&task_id, &r.report_id.0)? {
            Err("report_replayed")
        } else {
            let aad = dap::input_share_aad(&task.id, &r.report_id.0, r.time, &r.public_share.0);
            dap::open(&s.keypair, &info, &aad, &r.encrypted_input_share)
                .map_err(|_| "hpke_decrypt_error")
        };
        opened.push(verdict);
    }
    let vdaf = Vdaf::new(&task.measure, task.id.as_bytes()).map_err(AggregatorError::from)?;
    let key = dap::verify_key(&s.config.peer_secret, &task.id);
    let (results, outcomes, total) = tokio::task::spawn_blocking(move || {
        let verified: Vec<usize> = (0..opened.len()).filter(|i| opened[*i].is_ok()).collect();
        let inputs: Vec<(ReportInput<'_>, &[u8])> = verified
            .iter()
            .filter_map(|i| {
                let r = &request.reports[*i];
                Some((
                    ReportInput {
                        nonce: selfdata_studies::vdaf::nonce(&r.report_id.0)?,
                        public_share: &r.public_share.0,
                        input_share: opened[*i].as_deref().ok()?,
                    },
                    r.leader_verifier_share.0.as_slice(),
                ))
            })
            .collect();
        let (messages, total) = vdaf.helper_step(&key, &inputs);
        let mut verdicts: Vec<Result<Vec<u8>, &'static str>> = opened
            .iter()
            .map(|o| o.as_ref().map(|_| Vec::new()).map_err(|e| *e))
            .collect();
        for (i, message) in verified.iter().zip(messages) {
            verdicts[*i] = message.ok_or("vdaf_verify_error");
        }
        let mut outcomes = Vec::new();
        let results = request
            .reports
            .iter()
            .zip(verdicts)
            .map(|(r, verdict)| match verdict {
                Ok(message) => {
                    outcomes.push((r.report_id.0.clone(), true));
                    PrepareResp::Finished {
                        report_id: r.report_id.clone(),
                        message: Bytes(message),
                    }
                }
                Err(error) => {
                    // A replayed report keeps the state it had.
                    if error != "report_replayed" && error != "batch_collected" {
                        outcomes.push((r.report_id.0.clone(), false));
                    }
                    PrepareResp::Rejected {
                        report_id: r.report_id.clone(),
                        error: error.to_owned(),
                    }
                }
            })
            .collect::<Vec<_>>();
        (results, outcomes, total)
    })
    .await
    .map_err(|e| AggregatorError::Database(e.to_string()))?;
    let added = outcomes.iter().filter(|o| o.1).count();
    let vdaf = Vdaf::new(&task.measure, task.id.as_bytes()).map_err(AggregatorError::from)?;
    s.db.finish_job(
        &task_id,
        (added > 0).then_some(total.as_slice()),
        &outcomes,
        |a, b| Ok(vdaf.merge(a, b)?),
    )?;
    let answer = serde_json::to_string(&AggregationJobResp { results }).unwrap_or_default();
    s.db.keep_job(&task_id, &job, &digest, &answer)?;
    tracing::info!(task = %task_id, added, "aggregation job answered");
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        answer,
    )
        .into_response())
}

use axum::response::IntoResponse;

/// The helper's answer to the request for its total, kept among its jobs'
/// answers under a name no job id can take (job ids are the leader's hex).
const AGGREGATE_SHARE: &str = "aggregate share";

/// What identifies a job's request: the SHA-256 of its body.
fn request_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

pub(crate) async fn aggregate_share(
    _: Peer,
    State(s): State<Arc<Shared>>,
    Path(task_id): Path<String>,
    bytes: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: AggregateShareReq = json(&body(bytes)?)?;
    let row = s.db.task(&task_id)?.ok_or(AggregatorError::NoTask)?;
    let task = &row.task;
    if request.report_count != row.report_count || request.checksum.0 != row.checksum {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "batchMismatch",
            format!(
                "The helper added {} reports, not the same as the leader's {}.",
                row.report_count, request.report_count
            ),
        ));
    }
    if row.report_count < task.min_batch_size {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidBatchSize",
            format!(
                "Only {} reports were added, fewer than the minimum of {}.",
                row.report_count, task.min_batch_size
            ),
        ));
    }
    s.db.close(&task_id)?;
    // Asked again, the helper gives the same answer: fresh noise each time
    // would let the asker average it away.
    if let Some((_, answer)) = s.db.job(&task_id, AGGREGATE_SHARE)? {
        return Ok((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            answer,
        )
            .into_response());
    }
    let vdaf = Vdaf::new(&task.measure, task.id.as_bytes()).map_err(AggregatorError::from)?;
    let total = row.total.clone().unwrap_or_else(|| vdaf.empty_total());
    let total = task
        .released_total(&total, row.report_count)
        .map_err(AggregatorError::from)?;
    let sealed = dap::seal(
        &task.collector_hpke_config,
        &dap::info("aggregate share", Role::Helper, Role::Collector),
        &dap::aggregate_share_aad(&task_id, row.report_count),
        &total,
    )
    .map_err(AggregatorError::from)?;
    let answer = serde_json::to_string(&AggregateShare {
        encrypted_aggregate_share: sealed,
    })
    .unwrap_or_default();
    s.db.keep_job(&task_id, AGGREGATE_SHARE, &[], &answer)?;
    tracing::info!(task = %task_id, reports = row.report_count, "total given to the leader, sealed");
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        answer,
    )
        .into_response())
}
