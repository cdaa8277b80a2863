//! "Compare with similar households": a standing study, opt-in, on the same
//! mechanism as every study.
//!
//! What the resident does: describes their home once (flat or house, how many
//! people, how it is heated; kept in their own pod) and agrees, with one
//! consent record, that each month their pod contributes the band of last
//! month's electricity to the comparison of homes like theirs. On their
//! energy dashboard they then see where they stand: their band among how many
//! similar households, the cohort's histogram with their band marked, and
//! nothing at all for a cohort of fewer than 11 households. They stop with
//! one button (the record withdrawn, the description removed).
//!
//! Each cohort of each month is one task of the two aggregators: this
//! server learns only the cohort's histogram, and only for at least 11. The
//! household's own band is written to its own pod
//! (`/selfdata/studies/compare/{YYYY-MM}.json`), so the dashboard needs no
//! other service's figures to mark it.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use selfdata_aggregator::AggregatorError;
use selfdata_consent::Party;
use selfdata_service::consents::{self, StudyConsent};
use selfdata_service::{Comparison, Registry};
use selfdata_site::chart::Legend;
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, Say, count, fill, page};
use selfdata_store::studies::Participant;
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};
use selfdata_studies::catalogue;
use selfdata_studies::dap::Task;
use serde::{Deserialize, Serialize};

use crate::pages::{Choice, choices};
use crate::study::{Refusal, lost};
use crate::{StudiesApp, Texts};

/// The standing study's id: its participants and its consent records.
pub const COMPARE: &str = "compare";
/// What is compared.
const CONTRIBUTION: &str = "electricity-month";
/// The smallest cohort shown.
pub const MIN_COHORT: u64 = 11;
const HOUSEHOLD: &str = "/selfdata/studies/household.json";

pub const HOUSING: [(&str, Say); 2] = [
    ("flat", Say::new("Appartement", "Flat")),
    ("house", Say::new("Maison", "House")),
];
pub const PEOPLE: [(&str, Say); 4] = [
    ("1", Say::new("1 personne", "1 person")),
    ("2", Say::new("2 personnes", "2 people")),
    ("3to4", Say::new("3 ou 4 personnes", "3 or 4 people")),
    ("5plus", Say::new("5 personnes ou plus", "5 people or more")),
];
pub const HEATING: [(&str, Say); 3] = [
    (
        "electric",
        Say::new("Chauffage électrique", "Electric heating"),
    ),
    ("gas", Say::new("Chauffage au gaz", "Gas heating")),
    ("other", Say::new("Autre chauffage", "Other heating")),
];

fn words(list: &[(&'static str, Say)], key: &str, lang: Lang) -> &'static str {
    list.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, s)| s.in_(lang))
        .unwrap_or_default()
}

/// A home as its resident describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub housing: String,
    pub people: String,
    pub heating: String,
}

impl Household {
    pub fn valid(&self) -> bool {
        HOUSING.iter().any(|(k, _)| *k == self.housing)
            && PEOPLE.iter().any(|(k, _)| *k == self.people)
            && HEATING.iter().any(|(k, _)| *k == self.heating)
    }

    /// The cohort's name (letters, digits and `-`: part of a task id).
    pub fn cohort(&self) -> String {
        format!("{}-{}-{}", self.housing, self.people, self.heating)
    }

    pub fn describe(&self, lang: Lang) -> String {
        format!(
            "{}, {}, {}",
            words(&HOUSING, &self.housing, lang),
            words(&PEOPLE, &self.people, lang),
            words(&HEATING, &self.heating, lang)
        )
        .to_lowercase()
    }
}

/// One cohort's comparison of one month.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CohortResult {
    /// Households that contributed (known to the aggregators; below the
    /// minimum, the number the pods' server sent).
    pub contributors: u64,
    /// Households per band; empty when withheld.
    pub counts: Vec<u64>,
    pub withheld: bool,
}

/// What the household contributed, kept in its own pod.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Own {
    cohort: String,
    band: u64,
}

fn month_key(month: Date) -> String {
    month.strftime("%Y-%m").to_string()
}

fn path(p: &str) -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(p)?)
}

impl StudiesApp {
    async fn read_json<T: serde::de::DeserializeOwned>(&self, pod: &PodName, p: &str) -> Option<T> {
        let (_, body) = self.ctx.store.get(pod, &path(p).ok()?).await.ok()??;
        serde_json::from_slice(&body).ok()
    }

    async fn write_json<T: Serialize>(
        &self,
        pod: &PodName,
        p: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_vec(value).map_err(|e| StoreError::Io(e.to_string()))?;
        self.ctx
            .store
            .write(
                pod,
                Write::Put {
                    path: path(p)?,
                    content_type: "application/json".into(),
                    body: Bytes::from(body),
                    precondition: Precondition::None,
                },
            )
            .await?;
        Ok(())
    }

    /// The home the resident described, if they compare.
    pub async fn household(&self, pod: &PodName) -> Option<Household> {
        self.registry
            .participation(COMPARE, pod.as_str())
            .await
            .ok()??;
        self.read_json(pod, HOUSEHOLD).await
    }

    /// The resident starts comparing (or changes their description).
    pub async fn compare(&self, pod: &PodName, household: &Household) -> Result<(), Refusal> {
        if !household.valid() {
            return Err(Refusal::Say(Say::new(
                "Décrivez votre logement.",
                "Describe your home.",
            )));
        }
        self.write_json(pod, HOUSEHOLD, household).await?;
        let base = self.ctx.base_url();
        let consent = StudyConsent {
            study: COMPARE.into(),
            controller: Party::new(&format!("{base}/app/studies/compare"), "selfdata"),
            purpose: format!("{}ServiceProvision", crate::study::DPV),
            data: vec![
                format!("{base}/{pod}/selfdata/energy/electricity/"),
                format!("{base}/{pod}{HOUSEHOLD}"),
            ],
            notice: format!(
                "Each month, the band of last month's electricity, split in two shares sealed to two aggregators, is added to the comparison of homes described as yours; only the count of households per band is known, and only for at least {MIN_COHORT} households."
            ),
        };
        let consent_id = consents::record_study_consent(&self.ctx, pod, consent).await?;
        self.registry
            .join_study(&Participant {
                study: COMPARE.into(),
                pod: pod.to_string(),
                consent_id,
                joined_ms: jiff::Timestamp::now().as_millisecond(),
            })
            .await?;
        Ok(())
    }

    /// The resident stops comparing: the record withdrawn, the description removed.
    pub async fn stop_comparing(&self, pod: &PodName) -> Result<(), Refusal> {
        consents::record_study_withdrawal(&self.ctx, pod, COMPARE).await?;
        self.registry.leave_study(COMPARE, pod.as_str()).await?;
        let _ = self
            .ctx
            .store
            .write(
                pod,
                Write::Delete {
                    path: path(HOUSEHOLD)?,
                    precondition: Precondition::None,
                },
            )
            .await;
        Ok(())
    }

    /// Collects the comparison of `month` for every cohort (once per month
    /// and cohort): each member's band goes to its cohort's task; each
    /// cohort's histogram is kept, or withheld below the minimum. Returns the
    /// cohorts collected.
    pub async fn collect_comparison(
        &self,
        month: Date,
        services: &Registry,
    ) -> Result<usize, AggregatorError> {
        let Some(aggregators) = &self.aggregators else {
            return Ok(0);
        };
        let Some(c) = catalogue::contribution(CONTRIBUTION) else {
            return Ok(0);
        };
        let key = month_key(month);
        let to = month.saturating_add(jiff::Span::new().months(1));
        let configs = aggregators.hpke_configs().await?;
        let now = jiff::Timestamp::now().as_second().max(0) as u64;
        let mut cohorts: std::collections::BTreeMap<String, Vec<_>> = Default::default();
        for p in self.registry.participants(COMPARE).await.map_err(lost)? {
            let Ok(pod) = PodName::parse(&p.pod) else {
                continue;
            };
            if !consents::study_consent_given(&self.ctx, &pod, COMPARE).await {
                continue;
            }
            let Some(household) = self.read_json::<Household>(&pod, HOUSEHOLD).await else {
                continue;
            };
            if !household.valid() {
                continue;
            }
            let figure = services
                .monthly_figures(&pod, month, to)
                .await
                .into_iter()
                .find(|f| f.figure == c.figure && f.month == month && f.coverage > 0.0);
            let Some(figure) = figure else { continue };
            let band = c.bucket(figure.value);
            cohorts
                .entry(household.cohort())
                .or_default()
                .push((pod, band));
        }
        let mut collected = 0;
        for (cohort, members) in cohorts {
            if self
                .registry
                .comparison(&key, &cohort)
                .await
                .map_err(lost)?
                .is_some()
            {
                continue;
            }
            let task = Task {
                id: format!("compare-{key}-{cohort}"),
                measure: c.measure(),
                min_batch_size: MIN_COHORT,
                collector_hpke_config: self.collector.config.clone(),
                epsilon_milli: None,
            };
            aggregators.provision(&task).await?;
            let reports = members
                .iter()
                .map(|(_, band)| {
                    selfdata_studies::dap::make_report(&task, &configs.0, &configs.1, &[*band], now)
                })
                .collect::<Result<Vec<_>, _>>()?;
            aggregators.upload_many(&task.id, &reports).await?;
            let result = match aggregators
                .collect(&task, &self.collector, Duration::from_secs(600))
                .await
            {
                Ok((contributors, values)) => CohortResult {
                    contributors,
                    counts: values
                        .iter()
                        .map(|v| u64::try_from(*v).unwrap_or(u64::MAX))
                        .collect(),
                    withheld: false,
                },
                Err(AggregatorError::Refused(_)) => CohortResult {
                    contributors: members.len() as u64,
                    counts: Vec::new(),
                    withheld: true,
                },
                Err(e) => return Err(e),
            };
            // Each household keeps its own band, in its own pod.
            for (pod, band) in &members {
                let own = Own {
                    cohort: cohort.clone(),
                    band: *band,
                };
                if let Err(e) = self
                    .write_json(pod, &format!("/selfdata/studies/compare/{key}.json"), &own)
                    .await
                {
                    tracing::warn!(%pod, error = %e, "a household's band was not kept in its pod");
                }
            }
            let json = serde_json::to_string(&result).map_err(lost)?;
            self.registry
                .put_comparison(&key, &cohort, &json)
                .await
                .map_err(lost)?;
            collected += 1;
        }
        tracing::info!(month = %key, cohorts = collected, "comparison of similar households collected");
        Ok(collected)
    }

    /// What the energy dashboard shows the resident of `pod`.
    pub async fn comparison_for(&self, pod: &PodName, lang: Lang) -> Comparison {
        let t: &'static Texts = lang.words();
        let invitation = Comparison {
            figure: "electricity",
            title: t.compare_title.to_owned(),
            headline: t.compare_invite.to_owned(),
            chart: None,
            href: "/app/studies/compare",
            link: t.compare_start.to_owned(),
        };
        let Some(household) = self.household(pod).await else {
            return invitation;
        };
        let month = self
            .ctx
            .today()
            .first_of_month()
            .saturating_sub(jiff::Span::new().months(1));
        let mut shown = Comparison {
            headline: fill(t.compare_waiting, &[("home", &household.describe(lang))]),
            link: t.compare_change.to_owned(),
            ..invitation
        };
        let key = month_key(month);
        let own: Option<Own> = self
            .read_json(pod, &format!("/selfdata/studies/compare/{key}.json"))
            .await;
        let result: Option<CohortResult> = match &own {
            Some(own) => self
                .registry
                .comparison(&key, &own.cohort)
                .await
                .ok()
                .flatten()
                .and_then(|j| serde_json::from_str(&j).ok()),
            None => None,
        };
        let (Some(own), Some(result), Some(c)) =
            (own, result, catalogue::contribution(CONTRIBUTION))
        else {
            return shown;
        };
        let month_name = match lang {
            Lang::Fr => month.strftime("%m/%Y").to_string(),
            Lang::En => month.strftime("%Y-%m").to_string(),
        };
        if result.withheld {
            shown.headline = fill(
                t.compare_withheld,
                &[("month", &month_name), ("min", &count(MIN_COHORT, lang))],
            );
            return shown;
        }
        let band = own.band as usize;
        let less: u64 = result.counts.iter().take(band).sum();
        let more: u64 = result.counts.iter().skip(band + 1).sum();
        shown.headline = fill(
            t.compare_result,
            &[
                ("month", &month_name),
                ("band", &c.label(band)),
                ("n", &count(result.contributors, lang)),
                ("home", &household.describe(lang)),
                ("less", &count(less, lang)),
                ("more", &count(more, lang)),
            ],
        );
        shown.chart = Some(crate::pages::band_chart(
            c,
            &result.counts,
            lang,
            t.compare_title,
            t.compare_chart,
            Some(band),
            Legend {
                bars: t.households,
                highlight: t.compare_you,
                ..Legend::default()
            },
        ));
        shown
    }

    /// From the 3rd of each month, last month's comparison, once.
    pub(crate) fn spawn_monthly_comparison(self: &Arc<Self>, services: &Registry) {
        if self.aggregators.is_none() {
            return;
        }
        let (app, services) = (self.clone(), services.clone());
        tokio::spawn(async move {
            loop {
                let today = app.ctx.today();
                if today.day() >= 3 {
                    let month = today
                        .first_of_month()
                        .saturating_sub(jiff::Span::new().months(1));
                    if let Err(e) = app.collect_comparison(month, &services).await {
                        tracing::warn!(error = %e, "the comparison of similar households will be retried");
                    }
                }
                tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
            }
        });
    }
}

#[derive(Template)]
#[template(path = "studies_compare.html")]
struct ComparePage<'a> {
    t: &'static Texts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<&'static str>,
    comparing: bool,
    housing: Vec<Choice>,
    people: Vec<Choice>,
    heating: Vec<Choice>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

/// `GET /app/studies/compare`.
pub(crate) async fn show(
    State(app): State<Arc<StudiesApp>>,
    chrome: Chrome,
    r: Resident,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let household = app.household(&r.pod).await;
    let h = household.as_ref();
    let notice = match done.ok().and_then(|Query(d)| d.done).as_deref() {
        Some("saved") => Some(t.compare_saved),
        Some("stopped") => Some(t.compare_stopped),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        ComparePage {
            t,
            csrf: &r.session.csrf,
            notice,
            comparing: household.is_some(),
            housing: choices(&HOUSING, h.map(|h| h.housing.as_str()), lang),
            people: choices(&PEOPLE, h.map(|h| h.people.as_str()), lang),
            heating: choices(&HEATING, h.map(|h| h.heating.as_str()), lang),
            chrome,
        }
        .render(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompareForm {
    housing: String,
    people: String,
    heating: String,
    #[serde(default)]
    consent: Option<String>,
}

/// `POST /app/studies/compare`.
pub(crate) async fn save(
    State(app): State<Arc<StudiesApp>>,
    chrome: Chrome,
    CsrfForm { resident, form }: CsrfForm<CompareForm>,
) -> Result<Response, PageError> {
    if form.consent.as_deref() != Some("yes") {
        let t: &'static Texts = chrome.language().words();
        return Err(PageError::new(StatusCode::BAD_REQUEST, t.err_consent));
    }
    let household = Household {
        housing: form.housing,
        people: form.people,
        heating: form.heating,
    };
    app.compare(&resident.pod, &household)
        .await
        .map_err(crate::pages::refused)?;
    Ok(Redirect::to("/app/studies/compare?done=saved").into_response())
}

/// `POST /app/studies/compare/stop`.
pub(crate) async fn stop(
    State(app): State<Arc<StudiesApp>>,
    CsrfForm { resident, .. }: CsrfForm<crate::pages::Nothing>,
) -> Result<Response, PageError> {
    app.stop_comparing(&resident.pod)
        .await
        .map_err(crate::pages::refused)?;
    Ok(Redirect::to("/app/studies/compare?done=stopped").into_response())
}
