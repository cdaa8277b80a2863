//! How the participants' server and the collector reach the two aggregators:
//! provision a task on both, upload a participant's report to the leader,
//! collect the result.

use std::time::{Duration, Instant};

use selfdata_studies::dap::{self, Collection, HpkeConfig, HpkeKeypair, Report, Task};

use crate::{AggregatorError, TaskStatus};

/// The two aggregators, as the collector knows them.
#[derive(Debug, Clone)]
pub struct Aggregators {
    pub leader: String,
    pub helper: String,
    token: String,
    http: reqwest::Client,
}

fn failed(e: reqwest::Error) -> AggregatorError {
    AggregatorError::Peer(e.to_string())
}

async fn checked(response: reqwest::Response) -> Result<reqwest::Response, AggregatorError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("detail")?.as_str().map(str::to_owned))
        .unwrap_or(text);
    Err(if status.is_client_error() {
        AggregatorError::Refused(detail)
    } else {
        AggregatorError::Peer(format!("{status}: {detail}"))
    })
}

impl Aggregators {
    /// `token` is the collector's token both aggregators were started with.
    pub fn new(leader: &str, helper: &str, token: &str) -> Aggregators {
        Aggregators {
            leader: leader.trim_end_matches('/').to_owned(),
            helper: helper.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Provisions the task on both aggregators (again is harmless).
    pub async fn provision(&self, task: &Task) -> Result<(), AggregatorError> {
        for base in [&self.leader, &self.helper] {
            let response = self
                .http
                .put(format!("{base}/tasks/{}", task.id))
                .bearer_auth(&self.token)
                .json(task)
                .send()
                .await
                .map_err(failed)?;
            checked(response).await?;
        }
        Ok(())
    }

    /// The leader's and the helper's HPKE configurations.
    pub async fn hpke_configs(&self) -> Result<(HpkeConfig, HpkeConfig), AggregatorError> {
        let get = |base: &str| {
            let url = format!("{base}/hpke_config");
            let http = self.http.clone();
            async move {
                checked(http.get(url).send().await.map_err(failed)?)
                    .await?
                    .json::<HpkeConfig>()
                    .await
                    .map_err(failed)
            }
        };
        Ok((get(&self.leader).await?, get(&self.helper).await?))
    }

    /// Uploads one participant's report to the leader.
    pub async fn upload(&self, task_id: &str, report: &Report) -> Result<(), AggregatorError> {
        let response = self
            .http
            .put(format!("{}/tasks/{task_id}/reports", self.leader))
            .bearer_auth(&self.token)
            .json(report)
            .send()
            .await
            .map_err(failed)?;
        checked(response).await.map(|_| ())
    }

    /// Uploads many reports, a few hundred per request.
    pub async fn upload_many(
        &self,
        task_id: &str,
        reports: &[Report],
    ) -> Result<(), AggregatorError> {
        for chunk in reports.chunks(200) {
            let response = self
                .http
                .put(format!("{}/tasks/{task_id}/reports", self.leader))
                .bearer_auth(&self.token)
                .json(chunk)
                .send()
                .await
                .map_err(failed)?;
            checked(response).await?;
        }
        Ok(())
    }

    /// Makes a participant's report for `value` and uploads it.
    pub async fn contribute(
        &self,
        task: &Task,
        configs: &(HpkeConfig, HpkeConfig),
        value: &[u64],
        unix_seconds: u64,
    ) -> Result<(), AggregatorError> {
        let report = dap::make_report(task, &configs.0, &configs.1, value, unix_seconds)?;
        self.upload(&task.id, &report).await
    }

    /// Counts of the task at the leader (or the helper): added, rejected, waiting.
    pub async fn status(&self, base: &str, task_id: &str) -> Result<TaskStatus, AggregatorError> {
        let response = self
            .http
            .get(format!("{base}/tasks/{task_id}"))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(failed)?;
        checked(response).await?.json().await.map_err(failed)
    }

    /// Closes the task and waits (up to `patience`) for its result: the sum of
    /// every verified report, or the leader's refusal (too few reports).
    pub async fn collect(
        &self,
        task: &Task,
        collector: &HpkeKeypair,
        patience: Duration,
    ) -> Result<(u64, Vec<u128>), AggregatorError> {
        let job = "result";
        let url = format!("{}/tasks/{}/collection_jobs/{job}", self.leader, task.id);
        checked(
            self.http
                .put(&url)
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(failed)?,
        )
        .await?;
        let deadline = Instant::now() + patience;
        loop {
            let response = checked(
                self.http
                    .get(&url)
                    .bearer_auth(&self.token)
                    .send()
                    .await
                    .map_err(failed)?,
            )
            .await?;
            if response.status() == reqwest::StatusCode::OK {
                let collection: Collection = response.json().await.map_err(failed)?;
                let result = dap::open_collection(task, collector, &collection)?;
                return Ok((collection.report_count, result));
            }
            if Instant::now() > deadline {
                return Err(AggregatorError::Peer(
                    "the result was not ready in time".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
