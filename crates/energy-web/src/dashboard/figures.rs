//! The dashboard's figures beside the chart: this month's tiles against a
//! year earlier, the alerts (leaks, standby), which days are missing, and
//! electricity's peaks.

use super::*;

pub(crate) struct Figure {
    /// The figure as the API gives it (for `<data value>`).
    pub(crate) raw: f64,
    pub(crate) text: String,
}

pub(crate) struct Tile {
    pub(crate) fluid: &'static str,
    pub(crate) name: &'static str,
    pub(crate) href: String,
    pub(crate) current: bool,
    pub(crate) value: Option<Figure>,
    pub(crate) euros: Option<Figure>,
    pub(crate) before: Option<String>,
    pub(crate) change: Option<String>,
    pub(crate) empty: bool,
}

pub(crate) fn figure(v: &Value, field: &str, unit: &str, t: &Texts) -> Option<Figure> {
    let raw = v.get(field)?.as_f64()?;
    Some(Figure {
        raw,
        text: t.quantity(raw, unit),
    })
}

pub(crate) fn tile(t: &Texts, fluid: Fluid, summary: &Value, view: &View) -> Tile {
    let unit = Shown::of(fluid)[0].symbol();
    let now = &summary["this_month"];
    let before = &summary["same_month_last_year"];
    let value = figure(now, "value", unit, t);
    let euros = figure(now, "euros", "€", t);
    let before_value = figure(before, "value", unit, t);
    let before_euros = figure(before, "euros", "€", t);
    let before_text = before_value.as_ref().map(|v| match &before_euros {
        Some(e) => format!("{} · {}", v.text, e.text),
        None => v.text.clone(),
    });
    let change = match (&value, &before_value) {
        (Some(a), Some(b)) if b.raw > 0.0 => {
            let p = (a.raw - b.raw) / b.raw * 100.0;
            Some(if p.abs() < 2.0 {
                t.same_as_last_year.to_owned()
            } else if p > 0.0 {
                fill(t.more_than_last_year, &[("p", &t.percent(p))])
            } else {
                fill(t.less_than_last_year, &[("p", &t.percent(-p))])
            })
        }
        _ => None,
    };
    Tile {
        fluid: fluid_class(fluid),
        name: t.fluid(fluid),
        href: view.with_fluid(fluid).href(),
        current: view.fluid == fluid,
        empty: summary["readings"].as_u64().unwrap_or(0) == 0,
        value,
        euros,
        before: before_text,
        change,
    }
}

// ------------------------------------------------------------------ alerts

pub(crate) struct AlertView {
    pub(crate) text: String,
    pub(crate) href: String,
    pub(crate) link: &'static str,
}

pub(crate) fn date_of(v: &Value) -> Option<Date> {
    v.as_str()?.parse().ok()
}

pub(crate) fn alerts(t: &Texts, summaries: &[(Fluid, Value)]) -> Vec<AlertView> {
    let mut out = Vec::new();
    for (fluid, summary) in summaries {
        let Some(list) = summary["alerts"].as_array() else {
            continue;
        };
        for a in list {
            match a["kind"].as_str() {
                Some("possible-leak") => {
                    let (Some(first), Some(last)) =
                        (date_of(&a["first_day"]), date_of(&a["last_day"]))
                    else {
                        continue;
                    };
                    let extra = t.quantity(
                        (a["extra_litres_per_day"].as_f64().unwrap_or(0.0) / 10.0).round() * 10.0,
                        "L",
                    );
                    let text = if a["ongoing"].as_bool() == Some(true) {
                        fill(
                            t.leak_ongoing,
                            &[("extra", &extra), ("first", &t.day_month(first))],
                        )
                    } else {
                        fill(
                            t.leak,
                            &[
                                ("extra", &extra),
                                ("first", &t.day_month(first)),
                                ("last", &t.short_date(last)),
                            ],
                        )
                    };
                    let view = View {
                        fluid: *fluid,
                        scale: Scale::Month,
                        unit: Shown::of(*fluid)[0],
                        anchor: first,
                    };
                    out.push(AlertView {
                        text,
                        href: view.href(),
                        link: t.see_those_days,
                    });
                }
                Some("unusual-standby") => {
                    let since = date_of(&a["since"]);
                    let w = |k: &str| t.quantity(a[k].as_f64().unwrap_or(0.0), "W");
                    let text = fill(
                        t.standby,
                        &[
                            ("recent", &w("recent_watts")),
                            ("usual", &w("usual_watts")),
                            ("since", &since.map(|d| t.day_month(d)).unwrap_or_default()),
                        ],
                    );
                    let view = View {
                        fluid: *fluid,
                        scale: Scale::Week,
                        unit: Shown::Kwh,
                        anchor: since.unwrap_or_default(),
                    };
                    out.push(AlertView {
                        text,
                        href: view.href(),
                        link: t.see_those_days,
                    });
                }
                _ => {}
            }
        }
    }
    out
}

// ------------------------------------------------------------------ coverage

/// Missing days written compactly: consecutive days as one range.
pub(crate) fn day_ranges(t: &Texts, mut days: Vec<Date>) -> String {
    days.sort_unstable();
    let mut ranges: Vec<(Date, Date)> = Vec::new();
    for d in days {
        match ranges.last_mut() {
            Some((_, last)) if last.tomorrow().ok() == Some(d) => *last = d,
            _ => ranges.push((d, d)),
        }
    }
    ranges
        .into_iter()
        .map(|(a, b)| t.day_range(a, b))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn coverage(t: &Texts, summary: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if summary["readings"].as_u64().unwrap_or(0) == 0 {
        return out;
    }
    let local = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|ts| ts.to_zoned_datetime(selfdata_energy::files::paris()))
    };
    if let (Some(first), Some(last)) = (local(&summary["first"]), local(&summary["last"])) {
        // `last` is the end of the last reading: its day is the one before when it ends at midnight.
        let last_day = last
            .checked_sub(1.second())
            .map(|z| z.date())
            .unwrap_or(last.date());
        out.push(fill(
            t.readings_span,
            &[
                ("first", &t.date(first.date())),
                ("last", &t.date(last_day)),
            ],
        ));
    }
    let count = summary["missing_days_last_year"].as_u64().unwrap_or(0) as usize;
    let listed: Vec<Date> = summary["missing_days"]
        .as_array()
        .map(|a| a.iter().filter_map(date_of).collect())
        .unwrap_or_default();
    let mut list = day_ranges(t, listed.clone());
    if count > listed.len() {
        list = format!(
            "{list} ({})",
            fill(
                t.missing_more,
                &[("n", &(count - listed.len()).to_string())]
            )
        );
    }
    out.push(match count {
        0 => t.missing_none.to_owned(),
        1 => fill(t.missing_one, &[("list", &list)]),
        n => fill(t.missing_many, &[("n", &n.to_string()), ("list", &list)]),
    });
    let partial = summary["partial_days_last_year"].as_u64().unwrap_or(0);
    if partial > 0 {
        out.push(fill(t.partial_days, &[("n", &partial.to_string())]));
    }
    out
}

pub(crate) fn electricity_stats(t: &Texts, summary: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(w) = summary["baseload_watts"].as_f64() {
        out.push(fill(t.baseload, &[("w", &t.quantity(w, "W"))]));
    }
    if let (Some(w), Some(at)) = (
        summary["peak_watts"].as_f64(),
        summary["peak_at"]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok()),
    ) {
        let z = at.to_zoned_datetime(selfdata_energy::files::paris());
        let when = format!("{} {}", t.short_date(z.date()), z.strftime("%H:%M"));
        let power = if w >= 1000.0 {
            t.quantity(w / 1000.0, "kW")
        } else {
            t.quantity(w, "W")
        };
        out.push(fill(t.peak, &[("w", &power), ("when", &when)]));
    }
    out
}
