//! The chart of one fluid at one scale: bars from the API's figures, the
//! period's name, previous/next links and the figures as a table.

use super::*;

pub(crate) struct Row {
    pub(crate) when: String,
    pub(crate) value: String,
    pub(crate) before: String,
}

pub(crate) struct Nav {
    pub(crate) href: Option<String>,
    pub(crate) label: String,
}

pub(crate) struct ChartView {
    pub(crate) heading: String,
    pub(crate) svg: String,
    /// What each kind of mark of the chart means (an HTML list).
    pub(crate) legend: String,
    pub(crate) note: Option<String>,
    pub(crate) prev: Nav,
    pub(crate) next: Nav,
    pub(crate) total: String,
    pub(crate) total_before: String,
    /// The same period a year earlier, named.
    pub(crate) before_heading: String,
    pub(crate) rows: Vec<Row>,
    /// The API query that gives the same figures.
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) step: &'static str,
    pub(crate) api_unit: &'static str,
    pub(crate) field: &'static str,
}

/// The figure of a bucket in the unit shown.
pub(crate) fn pick(point: &Value, field: &str) -> Option<f64> {
    point.get(field).and_then(Value::as_f64)
}

pub(crate) fn period_name(t: &Texts, res: Resolution, from: Date, to: Date) -> String {
    let last = to.yesterday().unwrap_or(to);
    match res {
        Resolution::HalfHour | Resolution::Hour => t.long_date(from),
        Resolution::Day if (to - from).get_days() == 7 => fill(
            t.week_of,
            &[("first", &t.day_month(from)), ("last", &t.date(last))],
        ),
        Resolution::Day => t.month_year(from),
        _ => from.year().to_string(),
    }
}

pub(crate) fn step_name(t: &Texts, res: Resolution) -> &'static str {
    match res {
        Resolution::HalfHour => t.step_half_hour,
        Resolution::Hour => t.step_hour,
        Resolution::Month => t.step_month,
        _ => t.step_day,
    }
}

/// Whether the latest readings of a fluid are finer than a day (judged
/// from the last day with readings, which costs a few microseconds).
pub(crate) fn has_sub_daily(book: &Book, unit: &Unit) -> bool {
    let Some(q) = book.quantity(unit.quantity) else {
        return false;
    };
    let Some(last) = q.last_day() else {
        return false;
    };
    q.aggregate(last, last.tomorrow().unwrap_or(last), Resolution::HalfHour)
        .iter()
        .any(|b| b.value.is_some())
}

pub(crate) fn chart_view(t: &Texts, view: &View, book: &Book, today: Date) -> ChartView {
    let fluid = view.fluid;
    let (unit, field) = view.unit.api(fluid);
    let q = book.quantity(unit.quantity);
    let mut note = None;
    // What one period is: the scale's, except for the day of a fluid read daily.
    let mut scale = view.scale;
    let (mut from, mut to) = scale.period(view.anchor);
    let mut res = match scale {
        Scale::Day => Resolution::HalfHour,
        Scale::Week | Scale::Month => Resolution::Day,
        Scale::Year => Resolution::Month,
    };
    let mut answer = api::consumption_json(q, fluid, &unit, from, to, res);
    if scale == Scale::Day {
        let points = answer["points"].as_array().cloned().unwrap_or_default();
        let any = points.iter().any(|p| pick(p, "value").is_some());
        let odd_empty = points
            .iter()
            .skip(1)
            .step_by(2)
            .all(|p| pick(p, "value").is_none());
        if any && odd_empty {
            res = Resolution::Hour;
            note = Some(t.hourly_only.to_owned());
            answer = api::consumption_json(q, fluid, &unit, from, to, res);
        } else if !any && !has_sub_daily(book, &unit) {
            scale = Scale::Week;
            (from, to) = scale.period(view.anchor);
            res = Resolution::Day;
            note = Some(fill(t.daily_only, &[("fluid", t.fluid(fluid))]));
            answer = api::consumption_json(q, fluid, &unit, from, to, res);
        }
    }
    let symbol = view.unit.symbol();
    let points = answer["points"].as_array().cloned().unwrap_or_default();
    let before = answer["previous_year"]["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fmt = |v: Option<f64>| match v {
        Some(v) => t.quantity(v, symbol),
        None => t.no_value.to_owned(),
    };
    let daily_only = view.scale == Scale::Day && scale == Scale::Week;
    // Days open their half-hours only when the fluid has readings finer than a day.
    let fine = res == Resolution::Day && !daily_only && has_sub_daily(book, &unit);
    let mut bars = Vec::with_capacity(points.len());
    let mut rows = Vec::with_capacity(points.len());
    let mut highlight = None;
    for (i, p) in points.iter().enumerate() {
        let start: Option<jiff::civil::DateTime> =
            p["local_start"].as_str().and_then(|s| s.parse().ok());
        let Some(start) = start else { continue };
        let day = start.date();
        let (label, when) = match res {
            Resolution::HalfHour | Resolution::Hour => {
                let time = start.time();
                let end = time
                    .checked_add(if res == Resolution::Hour {
                        60.minutes()
                    } else {
                        30.minutes()
                    })
                    .unwrap_or(time);
                let label = if time.minute() == 0 {
                    if t.lang == "fr" {
                        format!("{}\u{a0}h", time.hour())
                    } else {
                        time.strftime("%H:%M").to_string()
                    }
                } else {
                    String::new()
                };
                let when = format!("{}–{}", time.strftime("%H:%M"), end.strftime("%H:%M"));
                (label, when)
            }
            Resolution::Day if scale == Scale::Week => (t.weekday_day(day), t.long_date(day)),
            Resolution::Day => (day.day().to_string(), t.long_date(day)),
            _ => (
                t.months_short[day.month() as usize - 1].to_owned(),
                t.month_year(day),
            ),
        };
        let value = pick(p, field);
        let previous = before.get(i).and_then(|b| pick(b, field));
        let partial = value.is_some() && p["coverage"].as_f64().is_some_and(|c| c < 0.999);
        let mut title = format!("{when}{}{}", t.colon, fmt(value));
        if partial {
            title.push_str(&format!(" ({})", t.incomplete));
        }
        if let Some(prev) = previous {
            title.push_str(&format!(
                " ({}{}{})",
                t.legend_before.to_lowercase(),
                t.colon,
                fmt(Some(prev))
            ));
        }
        let drill = |scale: Scale, anchor: Date| {
            View {
                scale,
                anchor,
                ..*view
            }
            .href()
        };
        let href = match res {
            Resolution::Month => Some(drill(Scale::Month, day)),
            Resolution::Day if daily_only => None,
            Resolution::Day if fine => Some(drill(Scale::Day, day)),
            Resolution::Day if scale == Scale::Month => Some(drill(Scale::Week, day)),
            _ => None,
        };
        let is_today = match res {
            Resolution::Month => day.year() == today.year() && day.month() == today.month(),
            Resolution::Day => day == today,
            _ => false,
        };
        if is_today {
            highlight = Some(bars.len());
        }
        rows.push(Row {
            when: when.clone(),
            value: if partial {
                format!("{} ({})", fmt(value), t.incomplete)
            } else {
                fmt(value)
            },
            before: previous.map(|v| t.quantity(v, symbol)).unwrap_or_default(),
        });
        bars.push(Bar {
            label,
            title,
            value,
            previous,
            partial,
            href,
        });
    }
    let heading = period_name(t, res, from, to);
    let title = fill(
        t.chart_title,
        &[
            ("fluid", t.fluid(fluid)),
            ("period", &heading),
            ("unit", symbol),
        ],
    );
    let desc = fill(t.chart_desc, &[("step", step_name(t, res))]);
    let drawn = BarChart {
        bars: &bars,
        unit: symbol,
        title: &title,
        description: &desc,
        locale: t.locale,
        highlight,
        legend: Legend {
            bars: t.legend_now,
            highlight: if res == Resolution::Month {
                t.legend_current_month
            } else {
                t.legend_today
            },
            partial: t.legend_partial,
            missing: t.legend_missing,
            previous: t.legend_before,
        },
        empty_text: t.chart_empty,
    };
    let svg = chart::bar_chart(&drawn);
    let legend = chart::legend(&drawn);
    let total = pick(&answer["total"], field).map(|v| t.quantity(v, symbol));
    let total_before =
        pick(&answer["previous_year"]["total"], field).map(|v| t.quantity(v, symbol));
    // Previous and next periods; none after the current one, none before the first reading.
    let step = if daily_only { Scale::Week } else { view.scale };
    let first_day = q.and_then(|q| q.first_day());
    let nav = |n: i64| {
        let anchor = step.shift(view.anchor, n);
        let (a, b) = step.period(anchor);
        let open = if n > 0 {
            a <= today
        } else {
            first_day.is_some_and(|f| b > f)
        };
        let res = match step {
            Scale::Day => Resolution::HalfHour,
            Scale::Week => Resolution::Day,
            Scale::Month => Resolution::Day,
            Scale::Year => Resolution::Month,
        };
        Nav {
            href: open.then(|| View { anchor, ..*view }.href()),
            label: period_name(t, res, a, b),
        }
    };
    ChartView {
        heading,
        svg,
        legend,
        note,
        prev: nav(-1),
        next: nav(1),
        total: total.unwrap_or_else(|| t.no_value.to_owned()),
        total_before: total_before.unwrap_or_else(|| t.no_value.to_owned()),
        before_heading: period_name(
            t,
            res,
            from.checked_sub(1.year()).unwrap_or(from),
            to.checked_sub(1.year()).unwrap_or(to),
        ),
        rows,
        from: from.to_string(),
        to: to.to_string(),
        step: res.as_str(),
        api_unit: unit.name,
        field,
    }
}
