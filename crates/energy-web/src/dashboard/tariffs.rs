//! The tariffs page: `GET /app/energy/tariffs` lists, per fluid, the periods of
//! prices in force (newest first) and a small form prefilled with today's
//! values; `POST /app/energy/tariffs` records, from the date chosen, the
//! components the resident changed: one row each in the pod's
//! `selfdata/energy/tariffs.csv` (a row for the same fluid, date and
//! component is replaced), through [`crate::Energy::save_tariffs`], which
//! checks the whole file again. Invalid values come back in the form, each
//! with its sentence; nothing is saved then.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::{Date, Time};
use selfdata_energy::Fluid;
use selfdata_energy::tariff::{ElecOption, Period, Row, Tariffs};
use serde::Deserialize;

use selfdata_site::{Chrome, CsrfForm, PageError, Resident, fill, page};

use crate::EnergyApp;
use crate::energy::EnergyError;
use crate::texts::Texts;

/// What a component holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Euros (µ€ inside).
    Amount,
    /// Whole m³.
    Whole,
    /// Off-peak ranges.
    Hours,
    /// `base` or `peak_offpeak`.
    Choice,
}

/// The components a fluid's form offers: (name, kind, unit column).
fn components(fluid: Fluid) -> &'static [(&'static str, Kind, &'static str)] {
    match fluid {
        Fluid::Electricity => &[
            ("option", Kind::Choice, ""),
            ("base_price", Kind::Amount, "EUR/kWh"),
            ("peak_price", Kind::Amount, "EUR/kWh"),
            ("offpeak_price", Kind::Amount, "EUR/kWh"),
            ("offpeak_hours", Kind::Hours, ""),
            ("subscription", Kind::Amount, "EUR/year"),
        ],
        Fluid::Gas => &[
            ("price", Kind::Amount, "EUR/kWh"),
            ("subscription", Kind::Amount, "EUR/year"),
        ],
        Fluid::Water => &[
            ("price", Kind::Amount, "EUR/m3"),
            ("subscription", Kind::Amount, "EUR/year"),
            ("free_m3_per_year", Kind::Whole, "m3/year"),
            ("double_above_m3_per_year", Kind::Whole, "m3/year"),
        ],
    }
}

fn label(t: &Texts, fluid: Fluid, component: &str) -> &'static str {
    match (fluid, component) {
        (_, "option") => t.option,
        (_, "base_price") => t.base_price,
        (_, "peak_price") => t.peak_price,
        (_, "offpeak_price") => t.offpeak_price,
        (_, "offpeak_hours") => t.offpeak_hours,
        (_, "subscription") => t.subscription,
        (Fluid::Water, "price") => t.water_price,
        (_, "price") => t.gas_price,
        (_, "free_m3_per_year") => t.free_m3,
        _ => t.double_above,
    }
}

fn hint(t: &Texts, component: &str) -> Option<&'static str> {
    match component {
        "offpeak_hours" => Some(t.offpeak_hours_hint),
        "double_above_m3_per_year" => Some(t.double_above_hint),
        _ => None,
    }
}

/// µ€ as a decimal with at least two decimals and no useless zeros.
fn micro_text(micro: i64, t: &Texts) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let m = micro.unsigned_abs();
    let mut frac = format!("{:06}", m % 1_000_000);
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    let point = if t.lang == "fr" { ',' } else { '.' };
    format!("{sign}{}{point}{frac}", m / 1_000_000)
}

/// An amount as people write it ("0,1940", "0.194 €", "164.64") in µ€.
fn parse_amount(s: &str) -> Option<i64> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > 6
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.len() > 9
    {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32)
    };
    Some(int * 1_000_000 + frac)
}

fn parse_hours(s: &str) -> Option<Vec<(Time, Time)>> {
    let ranges: Option<Vec<(Time, Time)>> = s
        .split_whitespace()
        .map(|r| {
            let (a, b) = r.split_once('-')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect();
    ranges.filter(|r| !r.is_empty())
}

fn hours_text(h: &[(Time, Time)]) -> String {
    h.iter()
        .map(|(a, b)| format!("{}-{}", a.strftime("%H:%M"), b.strftime("%H:%M")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A component's value in a period, as the form shows it.
fn current(p: &Period, component: &str, t: &Texts) -> String {
    match component {
        "option" => match p.option {
            ElecOption::Base => "base".to_owned(),
            ElecOption::PeakOffPeak => "peak_offpeak".to_owned(),
        },
        "base_price" | "price" => micro_text(p.price, t),
        "peak_price" => micro_text(p.peak_price, t),
        "offpeak_price" => micro_text(p.offpeak_price, t),
        "offpeak_hours" => hours_text(&p.offpeak),
        "subscription" => micro_text(p.subscription, t),
        "free_m3_per_year" => p.free_m3_per_year.to_string(),
        "double_above_m3_per_year" => p
            .double_above_m3_per_year
            .map(|m| m.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// What a period says, for the list of periods: (label, value) pairs.
fn describe(p: &Period, fluid: Fluid, t: &Texts) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match fluid {
        Fluid::Electricity => match p.option {
            ElecOption::Base => {
                out.push((t.option, t.option_base.to_owned()));
                out.push((t.base_price, micro_text(p.price, t)));
            }
            ElecOption::PeakOffPeak => {
                out.push((t.option, t.option_peak_offpeak.to_owned()));
                out.push((t.peak_price, micro_text(p.peak_price, t)));
                out.push((t.offpeak_price, micro_text(p.offpeak_price, t)));
                out.push((t.offpeak_hours, hours_text(&p.offpeak)));
            }
        },
        Fluid::Gas => out.push((t.gas_price, micro_text(p.price, t))),
        Fluid::Water => {
            out.push((t.water_price, micro_text(p.price, t)));
            if p.free_m3_per_year > 0 {
                out.push((t.free_m3, p.free_m3_per_year.to_string()));
            }
            if let Some(d) = p.double_above_m3_per_year {
                out.push((t.double_above, d.to_string()));
            }
        }
    }
    out.push((t.subscription, micro_text(p.subscription, t)));
    out
}

struct PeriodView {
    date: String,
    label: String,
    lines: Vec<(&'static str, String)>,
}

struct FieldView {
    id: String,
    name: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    value: String,
    error: Option<String>,
    choice: bool,
    decimal: bool,
}

struct FluidForm {
    fluid: &'static str,
    name: &'static str,
    periods: Vec<PeriodView>,
    valid_from: String,
    valid_from_error: Option<String>,
    fields: Vec<FieldView>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "energy_tariffs.html")]
struct TariffsPage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    notice: Option<String>,
    forms: Vec<FluidForm>,
}

fn form_for(t: &Texts, tariffs: &Tariffs, fluid: Fluid, today: Date) -> FluidForm {
    let periods = tariffs
        .periods(fluid)
        .iter()
        .rev()
        .filter_map(|p| {
            let d = p.valid_from?;
            Some(PeriodView {
                date: d.to_string(),
                label: t.date(d),
                lines: describe(p, fluid, t),
            })
        })
        .collect();
    let now = tariffs.at(fluid, today).cloned().unwrap_or_default();
    FluidForm {
        fluid: fluid.as_str(),
        name: t.fluid(fluid),
        periods,
        valid_from: today.to_string(),
        valid_from_error: None,
        fields: components(fluid)
            .iter()
            .map(|(name, kind, _)| FieldView {
                id: format!("{}-{name}", fluid.as_str()),
                name,
                label: label(t, fluid, name),
                hint: hint(t, name),
                value: current(&now, name, t),
                error: None,
                choice: *kind == Kind::Choice,
                decimal: *kind == Kind::Amount,
            })
            .collect(),
        notice: None,
        error: None,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    from: Option<String>,
}

pub(super) async fn show(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    me: Resident,
    Query(q): Query<SavedQuery>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let tariffs = match services.energy.tariffs(&me.pod).await {
        Ok(x) => x,
        Err(e) => return failed(t, e),
    };
    let today = services.ctx.today();
    let notice = match (
        q.saved.as_deref().and_then(Fluid::parse),
        q.from.as_deref().and_then(|d| d.parse::<Date>().ok()),
    ) {
        (Some(f), Some(d)) => Some(fill(
            t.saved,
            &[("fluid", &t.fluid(f).to_lowercase()), ("date", &t.date(d))],
        )),
        _ => None,
    };
    page(
        StatusCode::OK,
        TariffsPage {
            t,
            chrome,
            csrf: me.session.csrf,
            notice,
            forms: Fluid::ALL
                .into_iter()
                .map(|f| form_for(t, &tariffs, f, today))
                .collect(),
        }
        .render(),
    )
}

fn failed(t: &'static Texts, e: EnergyError) -> Response {
    tracing::error!(error = %e, "the tariffs could not be read or saved");
    PageError::new(StatusCode::INTERNAL_SERVER_ERROR, t.failed).into_response()
}

/// The changed components as rows, or the form with its errors.
fn changes(
    t: &Texts,
    tariffs: &Tariffs,
    fluid: Fluid,
    form: &HashMap<String, String>,
    form_view: &mut FluidForm,
) -> Option<(Date, Vec<Row>)> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    form_view.valid_from = get("valid_from");
    let from = get("valid_from").parse::<Date>().ok();
    if from.is_none() {
        form_view.valid_from_error = Some(t.invalid_date.to_owned());
    }
    let base = from
        .and_then(|d| tariffs.at(fluid, d).cloned())
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut ok = from.is_some();
    for ((name, kind, unit), field) in components(fluid).iter().zip(&mut form_view.fields) {
        let raw = get(name);
        field.value = raw.clone();
        // Canonical value, and whether it differs from the period in force.
        let parsed: Result<Option<(String, bool)>, &str> = match kind {
            Kind::Choice => match raw.as_str() {
                "base" => Ok(Some(("base".into(), base.option != ElecOption::Base))),
                "peak_offpeak" => Ok(Some((
                    "peak_offpeak".into(),
                    base.option != ElecOption::PeakOffPeak,
                ))),
                _ => Err(t.fix_below),
            },
            Kind::Amount => match parse_amount(&raw) {
                Some(m) => {
                    let before = match *name {
                        "peak_price" => base.peak_price,
                        "offpeak_price" => base.offpeak_price,
                        "subscription" => base.subscription,
                        _ => base.price,
                    };
                    let en = crate::texts::EN;
                    Ok(Some((micro_text(m, &en), m != before)))
                }
                None => Err(t.invalid_amount),
            },
            Kind::Whole if raw.is_empty() && *name == "double_above_m3_per_year" => Ok(None),
            Kind::Whole => match raw.parse::<u32>() {
                Ok(n) => {
                    let before = if *name == "free_m3_per_year" {
                        Some(base.free_m3_per_year)
                    } else {
                        base.double_above_m3_per_year
                    };
                    Ok(Some((n.to_string(), before != Some(i64::from(n)))))
                }
                Err(_) => Err(t.invalid_whole),
            },
            Kind::Hours => match parse_hours(&raw) {
                Some(h) => {
                    let text = hours_text(&h);
                    Ok(Some((text, h != base.offpeak)))
                }
                None => Err(t.invalid_hours),
            },
        };
        match parsed {
            Ok(Some((value, true))) => {
                if let Some(d) = from {
                    rows.push(Row {
                        fluid,
                        valid_from: d,
                        component: (*name).to_owned(),
                        value,
                        unit: (*unit).to_owned(),
                        notes: "set on the tariffs page".to_owned(),
                    });
                }
            }
            Ok(_) => {}
            Err(message) => {
                field.error = Some(message.to_owned());
                ok = false;
            }
        }
    }
    match (ok, from) {
        (true, Some(d)) => Some((d, rows)),
        _ => {
            form_view.error = Some(t.fix_below.to_owned());
            None
        }
    }
}

pub(super) async fn save(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<HashMap<String, String>>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let Some(fluid) = form.get("fluid").and_then(|f| Fluid::parse(f)) else {
        return PageError::new(StatusCode::BAD_REQUEST, t.form_expired).into_response();
    };
    let tariffs = match services.energy.tariffs(&me.pod).await {
        Ok(x) => x,
        Err(e) => return failed(t, e),
    };
    let today = services.ctx.today();
    let mut forms: Vec<FluidForm> = Fluid::ALL
        .into_iter()
        .map(|f| form_for(t, &tariffs, f, today))
        .collect();
    let index = Fluid::ALL.iter().position(|f| *f == fluid).unwrap_or(0);
    let again = |forms: Vec<FluidForm>, status: StatusCode| {
        page(
            status,
            TariffsPage {
                t,
                chrome: chrome.clone(),
                csrf: me.session.csrf.clone(),
                notice: None,
                forms,
            }
            .render(),
        )
    };
    let Some((from, new)) = changes(t, &tariffs, fluid, &form, &mut forms[index]) else {
        return again(forms, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if new.is_empty() {
        forms[index].notice = Some(fill(t.nothing_changed, &[("date", &t.date(from))]));
        return again(forms, StatusCode::OK);
    }
    let mut rows = tariffs.rows.clone();
    rows.retain(|r| {
        !(r.fluid == fluid
            && r.valid_from == from
            && new.iter().any(|n| n.component == r.component))
    });
    rows.extend(new);
    let csv = Tariffs::from_rows(rows).to_csv();
    match services.energy.save_tariffs(&me.pod, &csv).await {
        Ok(()) => Redirect::to(&format!(
            "/app/energy/tariffs?saved={}&from={from}#{}",
            fluid.as_str(),
            fluid.as_str()
        ))
        .into_response(),
        Err(EnergyError::Tariff(e)) => {
            forms[index].error = Some(e.to_string());
            again(forms, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => failed(t, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_write_them() {
        assert_eq!(parse_amount("0,1940"), Some(194_000));
        assert_eq!(parse_amount(" 0.194 € "), Some(194_000));
        assert_eq!(parse_amount("164.64"), Some(164_640_000));
        assert_eq!(parse_amount("12"), Some(12_000_000));
        assert_eq!(parse_amount("0.1234567"), None);
        assert_eq!(parse_amount("-1"), None);
        assert_eq!(parse_amount("abc"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(micro_text(194_000, &crate::texts::FR), "0,194");
        assert_eq!(micro_text(164_640_000, &crate::texts::EN), "164.64");
        assert_eq!(micro_text(0, &crate::texts::EN), "0.00");
    }

    #[test]
    fn off_peak_hours_are_ranges() {
        let h = parse_hours("22:00-06:00  12:00-14:00").unwrap();
        assert_eq!(hours_text(&h), "22:00-06:00 12:00-14:00");
        assert!(parse_hours("22h-6h").is_none());
        assert!(parse_hours("").is_none());
    }
}
