//! The leader: takes the participants' reports, runs aggregation jobs with the
//! helper, answers the collector.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use selfdata_studies::dap::{
    self, AggregateShare, AggregateShareReq, AggregationJobInit, AggregationJobResp, Bytes,
    Collection, PrepareInit, PrepareResp, Report, Role,
};
use selfdata_studies::vdaf::{ReportInput, Vdaf};

use crate::db::{CollectionState, Pending};
use crate::{
    Admin, AggregatorError, JOB_SIZE, MAX_UPLOAD_REPORTS, Problem, Shared, body, json, ok_json,
};

/// How far ahead of the leader's clock a report's time may be.
const CLOCK_SKEW: u64 = 3600;

/// One report (DAP's upload) or several at once (`[…]`: the participants'
/// server uploads a study's reports together, in one transaction).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Upload {
    One(Box<Report>),
    Many(Vec<Report>),
}

pub(crate) async fn upload(
    _: Admin,
    State(s): State<Arc<Shared>>,
    Path(task): Path<String>,
    bytes: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let row = s.db.task(&task)?.ok_or(AggregatorError::NoTask)?;
    let reports = match json::<Upload>(&body(bytes)?)? {
        Upload::One(r) => vec![*r],
        Upload::Many(rs) => rs,
    };
    if row.collected {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "batchCollected",
            "This study is closed: its result has been collected.",
        ));
    }
    if reports.len() > MAX_UPLOAD_REPORTS {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidMessage",
            format!("An upload holds at most {MAX_UPLOAD_REPORTS} reports."),
        ));
    }
    let latest = now() + CLOCK_SKEW;
    let mut pending = Vec::with_capacity(reports.len());
    for report in reports {
        if report.report_id.0.len() != selfdata_studies::vdaf::NONCE_SIZE {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalidMessage",
                "A report id is 16 bytes.",
            ));
        }
        if report.time > latest {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "reportTooEarly",
                "This report is dated in the future.",
            ));
        }
        pending.push(Pending {
            id: report.report_id.0,
            time: report.time,
            public_share: report.public_share.0,
            leader_share: report.leader_encrypted_input_share,
            helper_share: report.helper_encrypted_input_share,
        });
    }
    if s.db.add_reports(&task, &pending)? > 0 {
        s.wake.notify_one();
    }
    // A replayed report is answered as the first was, and kept once.
    Ok(ok_json(StatusCode::CREATED, &serde_json::json!({})))
}

pub(crate) async fn start_collection(
    _: Admin,
    State(s): State<Arc<Shared>>,
    Path((task, job)): Path<(String, String)>,
) -> Result<Response, Problem> {
    s.db.task(&task)?.ok_or(AggregatorError::NoTask)?;
    if job.is_empty() || job.len() > 64 || !job.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidMessage",
            "A collection's id is 1 to 64 letters or digits.",
        ));
    }
    s.db.close(&task)?;
    let created = s.db.ask_collection(&task, &job)?;
    s.wake.notify_one();
    Ok(ok_json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &serde_json::json!({}),
    ))
}

pub(crate) async fn poll_collection(
    _: Admin,
    State(s): State<Arc<Shared>>,
    Path((task, job)): Path<(String, String)>,
) -> Result<Response, Problem> {
    match s.db.collection(&task, &job)? {
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "unrecognizedCollectionJob",
            "There is no such collection.",
        )),
        Some(CollectionState::Pending) => Ok(ok_json(StatusCode::ACCEPTED, &serde_json::json!({}))),
        Some(CollectionState::Done(result)) => Ok((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            result,
        )
            .into_response()),
        Some(CollectionState::Failed(reason)) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidBatchSize",
            reason,
        )),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Runs aggregation jobs and collections until the process ends: woken by an
/// upload or a collection, and every few seconds to retry what failed.
pub(crate) async fn worker(s: Arc<Shared>) {
    loop {
        let woken = s.wake.notified();
        if let Err(e) = work(&s).await {
            tracing::warn!(error = %e, "aggregation will be retried");
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), woken).await;
    }
}

async fn work(s: &Arc<Shared>) -> Result<(), AggregatorError> {
    for task in s.db.tasks_with_pending()? {
        aggregate(s, &task, false).await?;
    }
    for (task, job) in s.db.pending_collections()? {
        collect(s, &task, &job).await?;
    }
    Ok(())
}

/// Verifies and adds the waiting reports of a task, job by job.
///
/// No total of fewer reports than the task's minimum is ever written, by
/// either aggregator: a total of one report is that report's share, and the
/// two totals together would be its value. So a job starts only when at least
/// the minimum waits; the last few reports (`at_collection`) join a total that
/// has the minimum already.
async fn aggregate(
    s: &Arc<Shared>,
    task_id: &str,
    at_collection: bool,
) -> Result<(), AggregatorError> {
    let row = s.db.task(task_id)?.ok_or(AggregatorError::NoTask)?;
    let task = row.task;
    let vdaf = Arc::new(Vdaf::new(&task.measure, task.id.as_bytes())?);
    let key = dap::verify_key(&s.config.peer_secret, &task.id);
    loop {
        let waiting = s.db.pending_at_least(task_id, task.min_batch_size)?;
        let added = s.db.task(task_id)?.map_or(0, |r| r.report_count);
        let enough = if at_collection {
            added + waiting >= task.min_batch_size
        } else {
            waiting >= task.min_batch_size
        };
        if waiting == 0 || !enough {
            break;
        }
        let Some((job, reports)) = s.db.take_job(task_id, JOB_SIZE)? else {
            break;
        };
        // Open the leader's shares and take the first step, off the async threads.
        let (shared, task2, vdaf2) = (s.clone(), task.clone(), vdaf.clone());
        let reports2 = reports.clone();
        let inits = tokio::task::spawn_blocking(move || {
            let info = dap::info("input share", Role::Client, Role::Leader);
            let opened: Vec<Option<Vec<u8>>> = reports2
                .iter()
                .map(|r| {
                    let aad = dap::input_share_aad(&task2.id, &r.id, r.time, &r.public_share);
                    dap::open(&shared.keypair, &info, &aad, &r.leader_share).ok()
                })
                .collect();
            let inputs: Vec<(usize, ReportInput<'_>)> = reports2
                .iter()
                .zip(&opened)
                .enumerate()
                .filter_map(|(i, (r, share))| {
                    Some((
                        i,
                        ReportInput {
                            nonce: selfdata_studies::vdaf::nonce(&r.id)?,
                            public_share: &r.public_share,
                            input_share: share.as_deref()?,
                        },
                    ))
                })
                .collect();
            let firsts = vdaf2.leader_init(
                &key,
                &inputs.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            );
            let mut by_report = vec![None; reports2.len()];
            for ((i, _), first) in inputs.iter().zip(firsts) {
                by_report[*i] = first;
            }
            by_report
        })
        .await
        .map_err(|e| AggregatorError::Database(e.to_string()))?;

        let sent: Vec<usize> = (0..reports.len()).filter(|i| inits[*i].is_some()).collect();
        let request = AggregationJobInit {
            reports: sent
                .iter()
                .filter_map(|i| {
                    let r = &reports[*i];
                    Some(PrepareInit {
                        report_id: Bytes(r.id.clone()),
                        time: r.time,
                        public_share: Bytes(r.public_share.clone()),
                        encrypted_input_share: r.helper_share.clone(),
                        leader_verifier_share: Bytes(inits[*i].as_ref()?.verifier_share.clone()),
                    })
                })
                .collect(),
        };
        let answer: AggregationJobResp = if request.reports.is_empty() {
            AggregationJobResp { results: vec![] }
        } else {
            peer(
                s,
                reqwest::Method::PUT,
                &format!("/tasks/{task_id}/aggregation_jobs/{job}"),
                &request,
            )
            .await?
        };
        if answer.results.len() != sent.len() {
            return Err(AggregatorError::Peer(
                "the helper answered for another number of reports".into(),
            ));
        }
        let mut finished: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, result) in sent.iter().zip(answer.results) {
            match result {
                PrepareResp::Finished { report_id, message } if report_id.0 == reports[*i].id => {
                    finished.push((*i, message.0))
                }
                PrepareResp::Rejected { report_id, error } if report_id.0 == reports[*i].id => {
                    tracing::info!(task = task_id, reason = %error, "the helper rejected a report");
                }
                _ => {
                    return Err(AggregatorError::Peer(
                        "the helper answered for other reports".into(),
                    ));
                }
            }
        }
        let vdaf2 = vdaf.clone();
        let steps: Vec<(Vec<u8>, Vec<u8>)> = finished
            .iter()
            .filter_map(|(i, m)| Some((inits[*i].as_ref()?.state.clone(), m.clone())))
            .collect();
        let (accepted, total) = tokio::task::spawn_blocking(move || {
            let borrowed: Vec<(&[u8], &[u8])> = steps
                .iter()
                .map(|(a, b)| (a.as_slice(), b.as_slice()))
                .collect();
            vdaf2.leader_finish(&borrowed)
        })
        .await
        .map_err(|e| AggregatorError::Database(e.to_string()))?;
        let mut outcomes: Vec<(Vec<u8>, bool)> =
            reports.iter().map(|r| (r.id.clone(), false)).collect();
        for ((i, _), ok) in finished.iter().zip(accepted) {
            outcomes[*i].1 = ok;
        }
        let added = outcomes.iter().filter(|o| o.1).count();
        let vdaf3 = vdaf.clone();
        s.db.finish_job(
            task_id,
            (added > 0).then_some(total.as_slice()),
            &outcomes,
            |a, b| Ok(vdaf3.merge(a, b)?),
        )?;
        tracing::info!(
            task = task_id,
            added,
            rejected = outcomes.len() - added,
            "aggregation job done"
        );
    }
    Ok(())
}

/// Finishes a collection: adds what waits, then asks the helper for its
/// total, and keeps both totals sealed to the collector; or records why no
/// result is released.
async fn collect(s: &Arc<Shared>, task_id: &str, job: &str) -> Result<(), AggregatorError> {
    aggregate(s, task_id, true).await?;
    let row = s.db.task(task_id)?.ok_or(AggregatorError::NoTask)?;
    let task = &row.task;
    if row.report_count < task.min_batch_size {
        let reason = format!(
            "Only {} reports were added, fewer than the minimum of {}: no result is released.",
            row.report_count, task.min_batch_size
        );
        tracing::info!(task = task_id, "collection refused: too few reports");
        return s
            .db
            .end_collection(task_id, job, &CollectionState::Failed(reason));
    }
    let helper: AggregateShare = peer(
        s,
        reqwest::Method::POST,
        &format!("/tasks/{task_id}/aggregate_shares"),
        &AggregateShareReq {
            report_count: row.report_count,
            checksum: Bytes(row.checksum.to_vec()),
        },
    )
    .await?;
    let vdaf = Vdaf::new(&task.measure, task.id.as_bytes())?;
    let total = row.total.clone().unwrap_or_else(|| vdaf.empty_total());
    // Kept once done: the noise is drawn once.
    let total = task.released_total(&total, row.report_count)?;
    let leader = dap::seal(
        &task.collector_hpke_config,
        &dap::info("aggregate share", Role::Leader, Role::Collector),
        &dap::aggregate_share_aad(task_id, row.report_count),
        &total,
    )?;
    let collection = Collection {
        report_count: row.report_count,
        leader_encrypted_aggregate_share: leader,
        helper_encrypted_aggregate_share: helper.encrypted_aggregate_share,
    };
    tracing::info!(
        task = task_id,
        reports = row.report_count,
        "collection ready"
    );
    s.db.end_collection(
        task_id,
        job,
        &CollectionState::Done(serde_json::to_string(&collection).unwrap_or_default()),
    )
}

/// A call to the helper with the peer token.
async fn peer<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    s: &Shared,
    method: reqwest::Method,
    path: &str,
    body: &T,
) -> Result<R, AggregatorError> {
    let base = s.config.peer_url.as_deref().unwrap_or_default();
    let response = s
        .http
        .request(method, format!("{}{path}", base.trim_end_matches('/')))
        .bearer_auth(dap::peer_token(&s.config.peer_secret))
        .json(body)
        .send()
        .await
        .map_err(|e| AggregatorError::Peer(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        return Err(AggregatorError::Peer(format!("{status}: {text}")));
    }
    response
        .json()
        .await
        .map_err(|e| AggregatorError::Peer(e.to_string()))
}
