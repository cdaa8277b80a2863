//! A study and everything that moves it on: proposal, the steward's decision,
//! the members' vote, joining and leaving, collection. Pages call these; each
//! change that the public may know of goes to the public record.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use selfdata_aggregator::AggregatorError;
use selfdata_consent::Party;
use selfdata_service::Registry;
use selfdata_service::consents::{self, StudyConsent};
use selfdata_site::Say;
use selfdata_store::studies::Participant;
use selfdata_store::{PodName, StoreError};
use selfdata_studies::catalogue::{self, Contribution};
use selfdata_studies::dap::{MIN_BATCH_FLOOR, Task};
pub use selfdata_studies::governance::Stage;
use serde::{Deserialize, Serialize};

use crate::StudiesApp;

/// The purposes a study may have (DPV terms).
pub const PURPOSES: [(&str, Say); 3] = [
    (
        "AcademicResearch",
        Say::new("Recherche universitaire", "Academic research"),
    ),
    (
        "NonCommercialResearch",
        Say::new("Recherche non commerciale", "Non-commercial research"),
    ),
    (
        "ResearchAndDevelopment",
        Say::new("Recherche et développement", "Research and development"),
    ),
];

pub const DPV: &str = "https://w3id.org/dpv#";

/// A study as kept (the store keeps it as this JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Study {
    pub id: String,
    pub title: String,
    pub organisation: String,
    pub question: String,
    /// A DPV purpose term (one of [`PURPOSES`]).
    pub purpose: String,
    /// A [`catalogue`] id.
    pub contribution: String,
    /// The first day of the month asked for.
    pub month: Date,
    pub min_group: u64,
    /// The researcher's account (not shown to the public).
    pub researcher: i64,
    pub proposed_ms: i64,
    pub stage: Stage,
    pub decision: Option<Decision>,
    /// Counted ballots; shown only once the vote is closed.
    pub yes: u64,
    pub no: u64,
    pub vote: Option<VoteResult>,
    pub result: Option<StudyResult>,
    /// Why nothing was published, in the aggregators' words.
    pub withheld: Option<String>,
    /// Differential privacy asked by the researcher: ε × 1000, if any.
    #[serde(default)]
    pub epsilon_milli: Option<u32>,
    /// Set once every participant's contribution was uploaded: a second
    /// collection only collects, it never uploads again.
    #[serde(default)]
    pub uploaded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    pub by: String,
    pub approved: bool,
    pub reason: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoteResult {
    pub yes: u64,
    pub no: u64,
    pub members: u64,
    pub carried: bool,
    pub closed_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyResult {
    pub contributors: u64,
    /// Households per band of the contribution.
    pub counts: Vec<u64>,
    pub published_ms: i64,
}

impl Study {
    pub fn contribution(&self) -> Option<&'static Contribution> {
        catalogue::contribution(&self.contribution)
    }

    pub fn purpose_iri(&self) -> String {
        format!("{DPV}{}", self.purpose)
    }

    /// The aggregators' task of this study.
    pub fn task(&self, app: &StudiesApp) -> Option<Task> {
        Some(Task {
            id: self.id.clone(),
            measure: self.contribution()?.measure(),
            min_batch_size: self.min_group,
            collector_hpke_config: app.collector.config.clone(),
            epsilon_milli: self.epsilon_milli,
        })
    }
}

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{}", .0.en)]
    Say(Say),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn say(fr: &'static str, en: &'static str) -> Refusal {
    Refusal::Say(Say::new(fr, en))
}

fn parse(json: &str) -> Result<Study, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Io(format!("a study is unreadable: {e}")))
}

fn unparse(study: &Study) -> Result<String, StoreError> {
    serde_json::to_string(study).map_err(|e| StoreError::Io(e.to_string()))
}

/// What a researcher fills in.
#[derive(Debug, Clone, Deserialize)]
pub struct Proposal {
    pub title: String,
    pub organisation: String,
    pub question: String,
    pub purpose: String,
    pub contribution: String,
    /// `YYYY-MM`.
    pub month: String,
    #[serde(default)]
    pub min_group: Option<String>,
    /// ε of the differential privacy noise (e.g. `1` or `0.5`), or empty
    /// for none.
    #[serde(default)]
    pub epsilon: Option<String>,
}

/// ε as thousandths, from `1`, `0.5`, `0,5` (French), within 0.001 to 100.
fn epsilon_milli(text: &str) -> Option<u32> {
    let text = text.trim().replace(',', ".");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 3 {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().ok()?
    };
    let milli = whole.checked_mul(1000)?.checked_add(frac)?;
    (1..=100_000).contains(&milli).then_some(milli)
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "study".to_owned()
    } else {
        out.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn epsilon_reads_as_thousandths_in_either_language() {
        assert_eq!(super::epsilon_milli("1"), Some(1000));
        assert_eq!(super::epsilon_milli("0,5"), Some(500));
        assert_eq!(super::epsilon_milli(".25"), Some(250));
        assert_eq!(super::epsilon_milli("0"), None);
        assert_eq!(super::epsilon_milli("1000"), None);
        assert_eq!(super::epsilon_milli("0.0001"), None);
        assert_eq!(super::epsilon_milli("abc"), None);
    }
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

impl StudiesApp {
    pub async fn load(&self, id: &str) -> Result<Option<Study>, StoreError> {
        self.registry
            .study(id)
            .await?
            .map(|j| parse(&j))
            .transpose()
    }

    pub async fn all(&self) -> Result<Vec<Study>, StoreError> {
        self.registry
            .studies()
            .await?
            .iter()
            .map(|j| parse(j))
            .collect()
    }

    /// Changes a study atomically, refusing when `change` does.
    async fn change(
        &self,
        id: &str,
        change: impl Fn(&mut Study) -> Result<(), Say> + Send + Sync + 'static,
    ) -> Result<Study, Refusal> {
        let changed = self
            .registry
            .update_study(id, &move |json| {
                let mut study = parse(&json)?;
                change(&mut study).map_err(|s| StoreError::Rejected(Box::new(Refused(s))))?;
                unparse(&study)
            })
            .await;
        let changed = match changed {
            Err(StoreError::Rejected(e)) => match e.downcast::<Refused>() {
                Ok(refused) => return Err(Refusal::Say(refused.0)),
                Err(e) => return Err(Refusal::Store(StoreError::Rejected(e))),
            },
            other => other?,
        };
        if !changed {
            return Err(say("Cette étude n'existe pas.", "There is no such study."));
        }
        self.load(id)
            .await?
            .ok_or_else(|| say("Cette étude n'existe pas.", "There is no such study."))
    }

    /// Appends to the public record, in both languages.
    pub async fn record(&self, study: &str, fr: &str, en: &str) {
        if let Err(e) = self
            .registry
            .record_study_event(now_ms(), study, &format!("{fr}\n{en}"))
            .await
        {
            tracing::error!(study, error = %e, "the public record of studies was not written");
        }
    }

    pub async fn has_role(&self, account_id: i64, role: &str) -> bool {
        self.registry
            .study_roles(account_id)
            .await
            .is_ok_and(|roles| roles.iter().any(|r| r == role))
    }

    /// A researcher proposes a study.
    pub async fn propose(&self, researcher: i64, p: &Proposal) -> Result<Study, Refusal> {
        if !self.has_role(researcher, "researcher").await {
            return Err(say(
                "Seul un compte de chercheur peut proposer une étude.",
                "Only a researcher's account can propose a study.",
            ));
        }
        let title = p.title.trim();
        if title.is_empty() || title.chars().count() > 120 {
            return Err(say(
                "Donnez un titre à l'étude (120 caractères au plus).",
                "Give the study a title (at most 120 characters).",
            ));
        }
        let organisation = p.organisation.trim();
        if organisation.is_empty() || organisation.chars().count() > 120 {
            return Err(say(
                "Nommez votre organisme (120 caractères au plus).",
                "Name your organisation (at most 120 characters).",
            ));
        }
        let question = p.question.trim();
        if question.is_empty() || question.chars().count() > 2000 {
            return Err(say(
                "Écrivez la question (2 000 caractères au plus).",
                "Write the question (at most 2,000 characters).",
            ));
        }
        if !PURPOSES.iter().any(|(term, _)| *term == p.purpose) {
            return Err(say("Choisissez la finalité.", "Choose the purpose."));
        }
        if catalogue::contribution(&p.contribution).is_none() {
            return Err(say(
                "Choisissez ce que chaque participant contribue.",
                "Choose what each participant contributes.",
            ));
        }
        let month = Date::strptime("%Y-%m-%d", format!("{}-01", p.month.trim()))
            .ok()
            .filter(|m| m.last_of_month() < self.ctx.today());
        let Some(month) = month else {
            return Err(say(
                "Choisissez un mois terminé (AAAA-MM).",
                "Choose a month that has ended (YYYY-MM).",
            ));
        };
        let min_group = match p.min_group.as_deref().map(str::trim) {
            None | Some("") => 11,
            Some(n) => n.parse::<u64>().unwrap_or(0),
        };
        if !(MIN_BATCH_FLOOR..=1_000_000).contains(&min_group) {
            return Err(say(
                "Le plus petit groupe est d'au moins 10.",
                "The smallest group is at least 10.",
            ));
        }
        let epsilon_milli = match p.epsilon.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(epsilon_milli(e).ok_or_else(|| {
                say(
                    "ε est un nombre de 0,001 à 100, ou rien.",
                    "ε is a number from 0.001 to 100, or nothing.",
                )
            })?),
        };
        let id = format!("{}-{}", slug(title), hex::encode(rand::random::<[u8; 3]>()));
        let study = Study {
            id: id.clone(),
            title: title.to_owned(),
            organisation: organisation.to_owned(),
            question: question.to_owned(),
            purpose: p.purpose.clone(),
            contribution: p.contribution.clone(),
            month,
            min_group,
            researcher,
            proposed_ms: now_ms(),
            stage: self.governance.first_stage(),
            decision: None,
            yes: 0,
            no: 0,
            vote: None,
            result: None,
            withheld: None,
            epsilon_milli,
            uploaded: false,
        };
        self.registry.insert_study(&id, &unparse(&study)?).await?;
        self.record(
            &id,
            &format!("Étude « {title} » proposée par {organisation}."),
            &format!("Study \"{title}\" proposed by {organisation}."),
        )
        .await;
        Ok(study)
    }

    /// The steward approves or refuses, with a published reason.
    pub async fn decide(
        &self,
        steward: i64,
        steward_name: &str,
        id: &str,
        approved: bool,
        reason: &str,
    ) -> Result<Study, Refusal> {
        self.require_steward(steward).await?;
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(say(
                "Donnez le motif de votre décision ; il est publié.",
                "Give the reason for your decision; it is published.",
            ));
        }
        let governance = self.governance;
        let (by, reason2) = (steward_name.to_owned(), reason.clone());
        let study = self
            .change(id, move |s| {
                if s.stage != Stage::Proposed {
                    return Err(wrong_stage());
                }
                s.stage = governance.after_steward(approved);
                s.decision = Some(Decision {
                    by: by.clone(),
                    approved,
                    reason: reason2.clone(),
                    at_ms: now_ms(),
                });
                Ok(())
            })
            .await?;
        let (fr, en) = if approved {
            ("approuvée", "approved")
        } else {
            ("refusée", "refused")
        };
        self.record(
            id,
            &format!("Étude {fr} par le gardien. Motif : {reason}"),
            &format!("Study {en} by the steward. Reason: {reason}"),
        )
        .await;
        Ok(study)
    }

    /// A member votes, once; how is not kept.
    pub async fn vote(&self, account_id: i64, id: &str, yes: bool) -> Result<(), Refusal> {
        let Some(study) = self.load(id).await? else {
            return Err(say("Cette étude n'existe pas.", "There is no such study."));
        };
        if study.stage != Stage::Voting {
            return Err(Refusal::Say(wrong_stage()));
        }
        let counted = self
            .registry
            .cast_ballot(id, account_id, &move |json| {
                let mut s = parse(&json)?;
                if yes {
                    s.yes += 1;
                } else {
                    s.no += 1;
                }
                unparse(&s)
            })
            .await?;
        if !counted {
            return Err(say("Vous avez déjà voté.", "You have voted already."));
        }
        Ok(())
    }

    /// The steward closes the vote: its result and turnout are published.
    pub async fn close_vote(&self, steward: i64, id: &str) -> Result<Study, Refusal> {
        self.require_steward(steward).await?;
        let members = self.registry.voting_members().await?;
        let governance = self.governance;
        let study = self
            .change(id, move |s| {
                if s.stage != Stage::Voting {
                    return Err(wrong_stage());
                }
                let carried = governance.vote_carries(s.yes, s.no, members);
                s.vote = Some(VoteResult {
                    yes: s.yes,
                    no: s.no,
                    members,
                    carried,
                    closed_ms: now_ms(),
                });
                s.stage = if carried {
                    Stage::Approved
                } else {
                    Stage::Refused
                };
                Ok(())
            })
            .await?;
        if let Some(v) = &study.vote {
            let (fr, en) = if v.carried {
                ("acquis", "carried")
            } else {
                ("non acquis", "did not carry")
            };
            self.record(
                id,
                &format!(
                    "Vote clos : {} pour, {} contre, sur {} membres ; {fr}.",
                    v.yes, v.no, v.members
                ),
                &format!(
                    "Vote closed: {} for, {} against, out of {} members; {en}.",
                    v.yes, v.no, v.members
                ),
            )
            .await;
        }
        Ok(study)
    }

    async fn require_steward(&self, account_id: i64) -> Result<(), Refusal> {
        if self.has_role(account_id, "steward").await {
            Ok(())
        } else {
            Err(say(
                "Seul le gardien peut faire cela.",
                "Only the steward can do this.",
            ))
        }
    }

    /// The resident of `pod` joins: one consent record in their pod, then
    /// their participation.
    pub async fn join(&self, pod: &PodName, id: &str) -> Result<(), Refusal> {
        let Some(study) = self.load(id).await? else {
            return Err(say("Cette étude n'existe pas.", "There is no such study."));
        };
        if study.stage != Stage::Approved {
            return Err(Refusal::Say(wrong_stage()));
        }
        let c = study
            .contribution()
            .ok_or_else(|| say("Cette étude n'existe pas.", "There is no such study."))?;
        let base = self.ctx.base_url();
        let consent = StudyConsent {
            study: study.id.clone(),
            controller: Party::new(
                &format!("{base}/app/studies/{}", study.id),
                &study.organisation,
            ),
            purpose: study.purpose_iri(),
            data: vec![format!("{base}/{pod}/selfdata/energy/{}/", c.figure)],
            notice: format!(
                "{}: {} for {}, as the band it falls in, split in two shares sealed to two aggregators; only the count of households per band is published, and only for at least {} households.",
                study.title,
                c.en,
                study.month.strftime("%Y-%m"),
                study.min_group
            ),
        };
        let consent_id = consents::record_study_consent(&self.ctx, pod, consent).await?;
        self.registry
            .join_study(&Participant {
                study: id.to_owned(),
                pod: pod.to_string(),
                consent_id,
                joined_ms: now_ms(),
            })
            .await?;
        Ok(())
    }

    /// The resident leaves, until the collection starts.
    pub async fn leave(&self, pod: &PodName, id: &str) -> Result<(), Refusal> {
        let Some(study) = self.load(id).await? else {
            return Err(say("Cette étude n'existe pas.", "There is no such study."));
        };
        if study.stage != Stage::Approved {
            return Err(Refusal::Say(wrong_stage()));
        }
        consents::record_study_withdrawal(&self.ctx, pod, id).await?;
        self.registry.leave_study(id, pod.as_str()).await?;
        Ok(())
    }

    /// The steward closes the study to participants and starts the
    /// collection, which runs in the background.
    pub async fn start_collection(
        self: &Arc<Self>,
        steward: i64,
        id: &str,
        services: Registry,
    ) -> Result<(), Refusal> {
        self.require_steward(steward).await?;
        if self.aggregators.is_none() {
            return Err(say(
                "Ce serveur n'a pas d'agrégateurs configurés.",
                "This server has no aggregators configured.",
            ));
        }
        self.change(id, |s| match s.stage {
            Stage::Approved | Stage::Collecting => {
                s.stage = Stage::Collecting;
                Ok(())
            }
            _ => Err(wrong_stage()),
        })
        .await?;
        let (app, id) = (self.clone(), id.to_owned());
        tokio::spawn(async move {
            if let Err(e) = app.collect(&id, &services).await {
                tracing::warn!(study = %id, error = %e, "the collection did not finish; the steward may start it again");
            }
        });
        Ok(())
    }

    /// Each participant's pod contributes (once), then the result is
    /// collected and published, or withheld when too few took part.
    pub async fn collect(&self, id: &str, services: &Registry) -> Result<(), AggregatorError> {
        let Some(aggregators) = &self.aggregators else {
            return Ok(());
        };
        let Some(study) = self.load(id).await.map_err(lost)? else {
            return Ok(());
        };
        let (Some(task), Some(c)) = (study.task(self), study.contribution()) else {
            return Ok(());
        };
        aggregators.provision(&task).await?;
        if !study.uploaded {
            let configs = aggregators.hpke_configs().await?;
            let to = study
                .month
                .first_of_month()
                .saturating_add(jiff::Span::new().months(1));
            let now = Timestamp::now().as_second().max(0) as u64;
            let mut reports = Vec::new();
            for p in self.registry.participants(id).await.map_err(lost)? {
                let Ok(pod) = PodName::parse(&p.pod) else {
                    continue;
                };
                // A record withdrawn elsewhere (the privacy page) counts too.
                if !consents::study_consent_given(&self.ctx, &pod, id).await {
                    continue;
                }
                let figure = services
                    .monthly_figures(&pod, study.month, to)
                    .await
                    .into_iter()
                    .find(|f| f.figure == c.figure && f.month == study.month && f.coverage > 0.0);
                let Some(figure) = figure else { continue };
                reports.push(selfdata_studies::dap::make_report(
                    &task,
                    &configs.0,
                    &configs.1,
                    &[c.bucket(figure.value)],
                    now,
                )?);
            }
            let sent = reports.len();
            aggregators.upload_many(&task.id, &reports).await?;
            self.change(id, |s| {
                s.uploaded = true;
                Ok(())
            })
            .await
            .map_err(lost)?;
            tracing::info!(study = id, contributions = sent, "contributions uploaded");
        }
        match aggregators
            .collect(&task, &self.collector, Duration::from_secs(600))
            .await
        {
            Ok((contributors, values)) => {
                let counts: Vec<u64> = values
                    .iter()
                    .map(|v| u64::try_from(*v).unwrap_or(u64::MAX))
                    .collect();
                self.change(id, move |s| {
                    s.stage = Stage::Published;
                    s.result = Some(StudyResult {
                        contributors,
                        counts: counts.clone(),
                        published_ms: now_ms(),
                    });
                    Ok(())
                })
                .await
                .map_err(lost)?;
                self.record(
                    id,
                    &format!("Résultat publié : {contributors} foyers ont contribué."),
                    &format!("Result published: {contributors} households contributed."),
                )
                .await;
            }
            Err(AggregatorError::Refused(reason)) => {
                let reason2 = reason.clone();
                self.change(id, move |s| {
                    s.stage = Stage::Withheld;
                    s.withheld = Some(reason2.clone());
                    Ok(())
                })
                .await
                .map_err(lost)?;
                self.record(
                    id,
                    "Rien n'a été publié : trop peu de foyers ont participé.",
                    "Nothing was published: too few households took part.",
                )
                .await;
                tracing::info!(study = id, %reason, "study withheld");
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// A step of the collection that failed on this server's side (its store,
/// a study that no longer reads): told as the aggregators' kind of failure,
/// so the collection is retried rather than the study withheld.
pub(crate) fn lost(e: impl std::fmt::Display) -> AggregatorError {
    AggregatorError::Database(e.to_string())
}

fn wrong_stage() -> Say {
    Say::new(
        "Cette étude n'en est pas à une étape où cela se fait.",
        "This study is not at a stage where this can be done.",
    )
}

/// A change refused inside the store's transaction, carried out of it.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.en)]
struct Refused(Say);
