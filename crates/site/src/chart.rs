//! SVG bar charts drawn by the server, and the number formatting they share
//! with the pages. [`bar_chart`] is a pure function: it takes the bars of one
//! period (48 half-hours, 31 days, 53 weeks, 12 months, 10 years…) and returns
//! inline `<svg>` markup that needs no script, fills the width of its
//! container while its text keeps one size in CSS pixels (no `viewBox`:
//! horizontal positions are percentages of the width, heights are pixels, so
//! a phone shows the same 13-pixel text as a desktop), names itself for
//! assistive technology (`<title>`, `<desc>`), and carries every figure in a
//! `data-value` attribute. [`legend`] is the chart's legend as an HTML list,
//! naming every kind of mark the chart draws (bars, the highlighted one, pale
//! ones, missing ones, last year's lines) with a swatch drawn like it.
//! Colours come from presentation attributes that a stylesheet overrides
//! through the classes `chart`, `bar`, `bar-partial`, `bar-missing`,
//! `bar-highlight`, `previous`, `grid`, `axis` (and `hit`, `empty`,
//! `chart-legend`, `swatch`). Every string inserted is XML-escaped, so the
//! output is well-formed XML as well as valid HTML.

use std::fmt::{self, Write as _};

/// The narrowest the chart is laid out for, in CSS pixels (a 360-pixel
/// phone less the page's margins): the room of the value axis and which
/// period labels fit are decided at this width, so they fit at any wider
/// one. Horizontal positions are written as percentages of the width.
pub const MIN_WIDTH: f64 = 320.0;
/// The width from which the page's stylesheet shows the labels laid out for
/// a wide chart (class `wide`) instead of the phone's (class `narrow`):
/// a chart is at least this wide on a screen of 40rem and more.
pub const WIDE_WIDTH: f64 = 600.0;
/// Height of the drawing in CSS pixels.
pub const HEIGHT: f64 = 240.0;
/// Font size of every text in CSS pixels, whatever the chart's width.
pub const FONT_SIZE: f64 = 13.0;

/// Estimated advance of one character, in user units, used to lay out text
/// without measuring it (digits are about 0.55–0.64 em in common sans fonts).
const CHAR_WIDTH: f64 = FONT_SIZE * 0.6;
/// Baseline of the unit, above the plot.
const UNIT_BASELINE: f64 = 15.0;
/// Top of the plot area (the highest tick).
const PLOT_TOP: f64 = 32.0;
/// Bottom of the plot area (the zero line).
const PLOT_BOTTOM: f64 = HEIGHT - 24.0;
/// Right edge of the plot area (at [`MIN_WIDTH`]).
const PLOT_RIGHT: f64 = MIN_WIDTH - 8.0;
/// Height of the hatched marker drawn where a bar has no data.
const MISSING_HEIGHT: f64 = 6.0;
/// Smallest height of a bar whose value is above zero, so it stays visible.
const MIN_BAR_HEIGHT: f64 = 0.5;
/// Share of a slot that a bar fills; the rest is the gap between bars.
const BAR_SHARE: f64 = 0.75;

/// Below this slot width, bars are drawn without gaps.
const DENSE_SLOT: f64 = 3.0;

/// Default fill of a bar (contrast 5.4:1 on white).
const BAR_FILL: &str = "#3366a8";
/// Default fill of the highlighted bar (contrast 5:1 on white).
const HIGHLIGHT_FILL: &str = "#b45309";
/// Default colour of the hatching of missing bars.
const MISSING_FILL: &str = "#8a8a8a";

/// The language numbers are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    /// French: `1 234,5`, groups separated by a narrow no-break space (U+202F).
    #[default]
    Fr,
    /// English: `1,234.5`.
    En,
}

/// One bar: one period (a half-hour, a day, a week, a month, a year).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bar {
    /// Short axis label, such as `Jan`, `12` or `Mon 3`; may be empty.
    pub label: String,
    /// Full text of the tooltip, also the link's accessible name, such as
    /// `January 2026: 812 kWh (last year 760 kWh)`.
    pub title: String,
    /// The figure, or `None` when there is no data: a small hatched marker is
    /// drawn so that the gap shows. Non-finite values count as missing;
    /// negative ones are drawn as zero.
    pub value: Option<f64>,
    /// The figure of the same period a year earlier, drawn as a thin
    /// horizontal marker across the bar's slot.
    pub previous: Option<f64>,
    /// The period is not fully covered by data: the bar is drawn lighter.
    pub partial: bool,
    /// Where a click on the bar leads (drill-down), if anywhere.
    pub href: Option<String>,
}

/// A bar chart: what [`bar_chart`] draws.
#[derive(Clone, Copy, Debug)]
pub struct BarChart<'a> {
    /// The bars, left to right.
    pub bars: &'a [Bar],
    /// Unit of the values, shown above the y axis: `kWh`, `€`, `L`, `m³`.
    pub unit: &'a str,
    /// Accessible name of the chart (its `<title>`).
    pub title: &'a str,
    /// Accessible description of the chart (its `<desc>`).
    pub description: &'a str,
    /// Language of the numbers on the y axis.
    pub locale: Locale,
    /// Index of a bar to emphasise (today, this month); its label is always
    /// shown and in bold.
    pub highlight: Option<usize>,
    /// What [`legend`] says of each kind of mark.
    pub legend: Legend<'a>,
    /// Text shown, and appended to the description, when no bar has a value.
    pub empty_text: &'a str,
}

/// What the legend says of each kind of mark; a kind is listed only when the
/// chart draws it, and an empty text leaves it out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Legend<'a> {
    /// The bars ("this period").
    pub bars: &'a str,
    /// The highlighted bar ("today", "this month").
    pub highlight: &'a str,
    /// A pale bar: its period is not fully covered by readings.
    pub partial: &'a str,
    /// The hatched marker of a period without readings.
    pub missing: &'a str,
    /// The line marking the same period a year earlier.
    pub previous: &'a str,
}

/// Formats `v` with exactly `decimals` decimals and grouped thousands:
/// `1 234,5` (with U+202F between groups) in French, `1,234.5` in English.
///
/// A value that rounds to zero has no minus sign; a non-finite value is
/// written as an en dash.
pub fn format_number(v: f64, decimals: usize, locale: Locale) -> String {
    if !v.is_finite() {
        return "\u{2013}".to_owned();
    }
    let (group, point) = match locale {
        Locale::Fr => ('\u{202F}', ','),
        Locale::En => (',', '.'),
    };
    let digits = format!("{:.*}", decimals, v.abs());
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let negative = v < 0.0 && digits.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if negative {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// The ticks of a value axis that starts at zero and covers `max`: `0` and
/// then 3 to 6 equal steps of 1, 2, 2.5 or 5 × 10ⁿ, the last tick at or just
/// above `max`.
///
/// `nice_ticks(7.3)` is `[0, 2, 4, 6, 8]`, `nice_ticks(1234.0)` is
/// `[0, 250, 500, 750, 1000, 1250]`. A `max` that is zero, negative, tiny or
/// not finite is taken as 1: `[0, 0.2, 0.4, 0.6, 0.8, 1]`.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    let max = if max.is_finite() && max >= 1e-9 {
        max.min(1e300)
    } else {
        1.0
    };
    // A step is m10 × 10^(p - 1), with m10 one of 10, 20, 25, 50.
    let start = (max / 6.0).log10().floor() as i32 - 1;
    for p in start..start + 4 {
        for m10 in [10_i64, 20, 25, 50] {
            let step = scaled(m10, p - 1);
            let count = (max / step * (1.0 - 1e-12)).ceil().max(1.0);
            if count <= 6.0 {
                return (0..=count as i64).map(|i| scaled(i * m10, p - 1)).collect();
            }
        }
    }
    unreachable!("a step of 10^(floor(log10(max / 6)) + 1) gives at most 6 ticks")
}

/// `k × 10^p`, computed so that decimal steps come out as the nearest
/// doubles (`0.6`, not `0.6000000000000001`).
fn scaled(k: i64, p: i32) -> f64 {
    if p >= 0 {
        k as f64 * 10f64.powi(p)
    } else {
        k as f64 / 10f64.powi(-p)
    }
}

/// How many decimals the labels of ticks `step` apart need (at most 6).
fn step_decimals(step: f64) -> usize {
    (0..6)
        .find(|&d| {
            let x = step * 10f64.powi(d as i32);
            (x - x.round()).abs() <= x.abs() * 1e-9
        })
        .unwrap_or(6)
}

/// Draws `c` as inline SVG markup.
///
/// The output is one `<svg>` element, well-formed XML, with:
/// - `role="img"`, or `role="group"` when some bar has a link (an image may
///   not contain links); `aria-labelledby` and `aria-describedby` point to its
///   `<title>` and `<desc>`; ids are derived from a hash of the content, so
///   two different charts on one page do not share them;
/// - per bar with a value, a `<rect>` of class `bar` (plus `bar-partial`,
///   `bar-highlight`) with `data-value` (the value as given, in plain
///   `1234.5` notation) and a `<title>` child; per bar without one, a hatched
///   `<rect class="bar-missing">` with a `<title>` and no `data-value`; a bar
///   with `href` is wrapped in `<a href aria-label>` together with an
///   invisible `<rect class="hit">` that makes its whole column clickable;
/// - per previous-year figure, a `<line class="previous" data-value>`;
/// - gridlines (`<g class="grid">`), tick and period labels
///   (`<g class="axis">`), the unit above the y axis, all `aria-hidden`
///   (the legend is [`legend`], beside the drawing);
/// - when no bar has a value, the missing markers, the period labels and a
///   `<text class="empty">` with [`BarChart::empty_text`], but no ticks and
///   no previous-year markers.
pub fn bar_chart(c: &BarChart) -> String {
    let id = chart_id(c);
    let n = c.bars.len();
    let values: Vec<Option<f64>> = c.bars.iter().map(|b| clean(b.value)).collect();
    let has_data = values.iter().any(Option::is_some);
    let previous: Vec<Option<f64>> = if has_data {
        c.bars.iter().map(|b| clean(b.previous)).collect()
    } else {
        vec![None; n]
    };
    let has_previous = previous.iter().any(Option::is_some);
    let has_missing = values.iter().any(Option::is_none);
    let has_links = c.bars.iter().any(|b| b.href.is_some());

    // The value axis.
    let ticks = if has_data {
        let max = values
            .iter()
            .chain(&previous)
            .flatten()
            .fold(0.0_f64, |a, &b| a.max(b));
        nice_ticks(max)
    } else {
        Vec::new()
    };
    let top = ticks.last().copied().unwrap_or(1.0);
    let decimals = if ticks.len() > 1 {
        step_decimals(ticks[1] - ticks[0])
    } else {
        0
    };
    let tick_labels: Vec<String> = ticks
        .iter()
        .map(|&t| format_number(t, if t == 0.0 { 0 } else { decimals }, c.locale))
        .collect();
    let unit_shown = has_data && !c.unit.is_empty();
    let left_text = tick_labels
        .iter()
        .map(|l| text_width(l))
        .chain(unit_shown.then(|| text_width(c.unit)))
        .fold(0.0_f64, f64::max);
    let plot_left = (left_text + 10.0).clamp(10.0, MIN_WIDTH / 3.0);
    let plot_height = PLOT_BOTTOM - PLOT_TOP;
    let y_of = |v: f64| PLOT_BOTTOM - v / top * plot_height;

    // The period axis.
    let slot = (PLOT_RIGHT - plot_left) / n.max(1) as f64;
    // Thin bars touch (overlapping a little, against seams): gaps of a
    // fraction of a pixel would only shimmer.
    let bar_width = if slot < DENSE_SLOT {
        slot + 0.1
    } else {
        slot * BAR_SHARE
    };
    let highlight = c.highlight.filter(|&h| h < n);
    // Labels that fit on a phone, and those that fit on a wide screen: a
    // label of one set only carries the class the stylesheet shows it by.
    let narrow = shown_labels(c.bars, slot, highlight);
    let wide = shown_labels(c.bars, slot * WIDE_WIDTH / MIN_WIDTH, highlight);
    let mut shown: Vec<usize> = narrow.iter().chain(&wide).copied().collect();
    shown.sort_unstable();
    shown.dedup();

    let mut s =
        String::with_capacity(1024 + n * (160 + 2 * c.bars.first().map_or(0, |b| b.title.len())));
    let description = if has_data || c.empty_text.is_empty() {
        esc(c.description)
    } else if c.description.is_empty() {
        esc(c.empty_text)
    } else {
        format!("{} {}", esc(c.description), esc(c.empty_text))
    };
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" height="{H}" role="{role}" aria-labelledby="{id}-t" aria-describedby="{id}-d" font-family="system-ui,sans-serif" font-size="{F}"><title id="{id}-t">{title}</title><desc id="{id}-d">{description}</desc>"##,
        H = N(HEIGHT),
        F = N(FONT_SIZE),
        role = if has_links { "group" } else { "img" },
        title = esc(c.title),
    );
    if has_missing {
        let _ = write!(
            s,
            r##"<defs><pattern id="{id}-h" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="1.5" height="4" fill="{MISSING_FILL}"/></pattern></defs>"##
        );
    }

    // Gridlines and tick labels.
    if !ticks.is_empty() {
        let _ = write!(
            s,
            r#"<g class="grid" stroke="currentColor" stroke-opacity="0.15" aria-hidden="true">"#
        );
        for &t in &ticks[1..] {
            let y = N(y_of(t));
            let _ = write!(
                s,
                r#"<line x1="{}" x2="{}" y1="{y}" y2="{y}"/>"#,
                P(plot_left),
                P(PLOT_RIGHT)
            );
        }
        s.push_str("</g>");
        let _ = write!(
            s,
            r#"<g class="axis" fill="currentColor" text-anchor="end" aria-hidden="true">"#
        );
        // Right-aligned 6 pixels left of the plot, at any width.
        let x = P(plot_left);
        for (&t, label) in ticks.iter().zip(&tick_labels) {
            let _ = write!(
                s,
                r#"<text x="{x}" dx="-6" y="{}">{label}</text>"#,
                N(y_of(t) + FONT_SIZE * 0.35)
            );
        }
        if unit_shown {
            let _ = write!(
                s,
                r#"<text class="unit" x="{x}" dx="-6" y="{}">{}</text>"#,
                N(UNIT_BASELINE),
                esc(c.unit)
            );
        }
        s.push_str("</g>");
    }

    // Period labels.
    if !shown.is_empty() {
        let _ = write!(
            s,
            r#"<g class="axis" fill="currentColor" text-anchor="middle" aria-hidden="true">"#
        );
        let y = N(PLOT_BOTTOM + 17.0);
        for i in shown {
            let b = &c.bars[i];
            let half = text_width(&b.label) / 2.0;
            let (on_phone, on_wide) = (narrow.contains(&i), wide.contains(&i));
            // Kept inside the right edge at the narrowest width it is shown.
            let edge = if on_phone {
                MIN_WIDTH - half - 1.0
            } else {
                (WIDE_WIDTH - half - 1.0) * MIN_WIDTH / WIDE_WIDTH
            };
            let x = (plot_left + slot * (i as f64 + 0.5)).min(edge);
            let bold = if highlight == Some(i) {
                r#" font-weight="bold""#
            } else {
                ""
            };
            let class = match (on_phone, on_wide) {
                (true, false) => r#" class="narrow""#,
                (false, true) => r#" class="wide""#,
                _ => "",
            };
            let _ = write!(
                s,
                r#"<text x="{}" y="{y}"{class}{bold}>{}</text>"#,
                P(x),
                esc(&b.label)
            );
        }
        s.push_str("</g>");
    }

    // Bars.
    let _ = write!(s, r#"<g class="bars" fill="{BAR_FILL}">"#);
    for (i, (b, v)) in c.bars.iter().zip(&values).enumerate() {
        let slot_x = plot_left + slot * i as f64;
        if let Some(href) = &b.href {
            let _ = write!(
                s,
                r#"<a href="{}" aria-label="{}"><rect class="hit" x="{}" y="{}" width="{}" height="{}" fill-opacity="0"/>"#,
                esc(href),
                esc(&b.title),
                P(slot_x),
                N(PLOT_TOP),
                P(slot),
                N(plot_height)
            );
        }
        let x = P(slot_x + (slot - bar_width) / 2.0);
        let w = P(bar_width);
        match v {
            Some(v) => {
                let h = if *v > 0.0 {
                    (v / top * plot_height).max(MIN_BAR_HEIGHT)
                } else {
                    0.0
                };
                let highlighted = highlight == Some(i);
                let _ = write!(
                    s,
                    r#"<rect class="bar{}{}" x="{x}" y="{}" width="{w}" height="{}" data-value="{}""#,
                    if b.partial { " bar-partial" } else { "" },
                    if highlighted { " bar-highlight" } else { "" },
                    N(PLOT_BOTTOM - h),
                    N(h),
                    // The value as given: a clamped negative keeps its sign here.
                    b.value.unwrap_or(*v)
                );
                let fill = if highlighted {
                    HIGHLIGHT_FILL
                } else {
                    BAR_FILL
                };
                if highlighted {
                    let _ = write!(s, r#" fill="{fill}""#);
                }
                if b.partial {
                    let _ = write!(
                        s,
                        r#" fill-opacity="0.45" stroke="{fill}" stroke-width="1""#
                    );
                }
            }
            None => {
                let _ = write!(
                    s,
                    r##"<rect class="bar-missing" x="{x}" y="{}" width="{w}" height="{}" fill="url(#{id}-h)""##,
                    N(PLOT_BOTTOM - MISSING_HEIGHT),
                    N(MISSING_HEIGHT)
                );
            }
        }
        let _ = write!(s, "><title>{}</title></rect>", esc(&b.title));
        if b.href.is_some() {
            s.push_str("</a>");
        }
    }
    s.push_str("</g>");

    // Previous-year markers, above the bars, letting clicks through.
    if has_previous {
        let _ = write!(
            s,
            r#"<g stroke="currentColor" stroke-width="2" pointer-events="none">"#
        );
        for (i, (b, p)) in c.bars.iter().zip(&previous).enumerate() {
            let Some(p) = p else { continue };
            let slot_x = plot_left + slot * i as f64;
            let y = N(y_of(*p));
            let _ = write!(
                s,
                r#"<line class="previous" x1="{}" x2="{}" y1="{y}" y2="{y}" data-value="{}"/>"#,
                P(slot_x + slot * 0.04),
                P(slot_x + slot * 0.96),
                b.previous.unwrap_or(*p)
            );
        }
        s.push_str("</g>");
    }

    // The zero line.
    let _ = write!(
        s,
        r#"<line class="axis" x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="currentColor" aria-hidden="true"/>"#,
        P(plot_left),
        P(PLOT_RIGHT),
        y = N(PLOT_BOTTOM)
    );

    if !has_data {
        let _ = write!(
            s,
            r#"<text class="empty" x="{}" y="{}" text-anchor="middle" fill="currentColor" aria-hidden="true">{}</text>"#,
            P((plot_left + PLOT_RIGHT) / 2.0),
            N((PLOT_TOP + PLOT_BOTTOM) / 2.0),
            esc(c.empty_text)
        );
    }
    s.push_str("</svg>");
    s
}

/// The legend of `c` as an HTML list (`<ul class="chart-legend">`): one item
/// per kind of mark the chart draws, with a swatch drawn as the chart draws
/// it and the text of [`BarChart::legend`]: the bars, the highlighted bar
/// (when it has a value), pale bars (a period not fully covered), hatched
/// markers (no readings), the year-earlier line. Empty when no bar has a
/// value (the chart then says so itself).
pub fn legend(c: &BarChart) -> String {
    let values: Vec<Option<f64>> = c.bars.iter().map(|b| clean(b.value)).collect();
    if values.iter().all(Option::is_none) {
        return String::new();
    }
    let highlight = c
        .highlight
        .filter(|&h| values.get(h).is_some_and(Option::is_some));
    let partial = c
        .bars
        .iter()
        .zip(&values)
        .any(|(b, v)| b.partial && v.is_some());
    let missing = values.iter().any(Option::is_none);
    let previous = c.bars.iter().any(|b| clean(b.previous).is_some());
    let id = chart_id(c);
    let rect = |fill: &str, extra: &str| {
        format!(r#"<rect x="1" y="1" width="14" height="10" fill="{fill}"{extra}/>"#)
    };
    let hatch = format!(
        r##"<defs><pattern id="{id}-lh" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="1.5" height="4" fill="{MISSING_FILL}"/></pattern></defs><rect x="1" y="5" width="14" height="6" fill="url(#{id}-lh)"/>"##
    );
    let entries = [
        (true, "bar", c.legend.bars, rect(BAR_FILL, "")),
        (
            highlight.is_some(),
            "highlight",
            c.legend.highlight,
            rect(HIGHLIGHT_FILL, ""),
        ),
        (
            partial,
            "partial",
            c.legend.partial,
            rect(
                BAR_FILL,
                &format!(r#" fill-opacity="0.45" stroke="{BAR_FILL}" stroke-width="1""#),
            ),
        ),
        (missing, "missing", c.legend.missing, hatch),
        (
            previous,
            "previous",
            c.legend.previous,
            r#"<line x1="1" x2="15" y1="6" y2="6" stroke="currentColor" stroke-width="2"/>"#
                .to_owned(),
        ),
    ];
    let mut s = String::from(r#"<ul class="chart-legend">"#);
    for (shown, kind, text, swatch) in entries {
        if shown && !text.is_empty() {
            let _ = write!(
                s,
                r#"<li class="legend-{kind}"><svg class="swatch" width="16" height="12" aria-hidden="true" focusable="false">{swatch}</svg>{}</li>"#,
                esc(text)
            );
        }
    }
    s.push_str("</ul>");
    s
}

/// The indices of the bars whose label is shown: every k-th one, k being
/// the smallest of 1, 2, 3, 4, 6, 12, 24, 48… that keeps labels apart; when
/// some labels are empty (a caller labelling only the first day of each
/// month), as many of the others as fit, left to right. The highlighted
/// bar's label is always shown, in place of the neighbours it would touch.
fn shown_labels(bars: &[Bar], slot: f64, highlight: Option<usize>) -> Vec<usize> {
    const GAP: f64 = 6.0;
    let mut widths: Vec<f64> = bars.iter().map(|b| text_width(&b.label)).collect();
    if let Some(h) = highlight {
        widths[h] *= 1.1; // bold
    }
    let widest = widths.iter().copied().fold(0.0_f64, f64::max);
    if widest == 0.0 {
        return Vec::new();
    }
    let every = if widths.contains(&0.0) {
        1
    } else {
        let need = ((widest + GAP) / slot).ceil() as usize;
        match [1, 2, 3, 4, 6, 12].into_iter().find(|&k| k >= need) {
            Some(k) => k,
            None => 12 * need.div_ceil(12).next_power_of_two(),
        }
    };
    let apart =
        |a: usize, b: usize| slot * a.abs_diff(b) as f64 >= (widths[a] + widths[b]) / 2.0 + GAP;
    let mut shown: Vec<usize> = Vec::new();
    for i in (0..bars.len()).step_by(every.max(1)) {
        if widths[i] > 0.0 && shown.last().is_none_or(|&last| apart(last, i)) {
            shown.push(i);
        }
    }
    if let Some(h) = highlight
        && widths[h] > 0.0
        && !shown.contains(&h)
    {
        shown.retain(|&i| apart(i, h));
        shown.push(h);
        shown.sort_unstable();
    }
    shown
}

/// A finite value clamped at zero, or `None`.
fn clean(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite()).map(|v| v.max(0.0))
}

/// Estimated width of `text` in user units.
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// An id prefix for the chart's `<title>`, `<desc>` and pattern, derived from
/// its content (FNV-1a, stable across builds) so that two charts on one page
/// differ.
fn chart_id(c: &BarChart) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(c.title.as_bytes());
    eat(c.description.as_bytes());
    eat(c.unit.as_bytes());
    for b in c.bars {
        eat(b.label.as_bytes());
        eat(b.title.as_bytes());
        eat(&b.value.unwrap_or(f64::NAN).to_bits().to_le_bytes());
        eat(&b.previous.unwrap_or(f64::NAN).to_bits().to_le_bytes());
    }
    format!("chart-{:012x}", h >> 16)
}

/// A coordinate, written with at most one decimal and no trailing zero.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = (self.0 * 10.0).round() / 10.0;
        if r == 0.0 || !r.is_finite() {
            f.write_str("0")
        } else {
            write!(f, "{r}")
        }
    }
}

/// A horizontal position or width, given in pixels at [`MIN_WIDTH`], written
/// as a percentage of the chart's width (two decimals: a hundredth of a
/// percent is a tenth of a pixel on a 1000-pixel screen).
struct P(f64);

impl fmt::Display for P {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = (self.0 / MIN_WIDTH * 10_000.0).round() / 100.0;
        if r == 0.0 || !r.is_finite() {
            f.write_str("0")
        } else {
            write!(f, "{r}%")
        }
    }
}

/// `text` escaped for XML content and attribute values, without the
/// characters XML 1.0 forbids (controls other than tab and newlines).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}
