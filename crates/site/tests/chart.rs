//! Tests of the server-drawn SVG bar charts and of the number formatting the
//! pages share with them. Each chart is parsed with quick-xml into a small
//! element tree, so the tests check what a resident would see or hear (how
//! many bars, their heights, the labels shown, the texts read out) rather
//! than the exact markup; a chart that is not well-formed XML fails to parse.
//! Horizontal positions are percentages of the chart's width: `num` reads
//! them as pixels at the narrowest width the chart is laid out for.

use quick_xml::Reader;
use quick_xml::events::Event;
use selfdata_site::chart::{
    Bar, BarChart, FONT_SIZE, HEIGHT, Legend, Locale, MIN_WIDTH, WIDE_WIDTH, bar_chart,
    format_number, legend, nice_ticks,
};

/// One parsed element: name, attributes, direct text and children.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn num(&self, key: &str) -> f64 {
        let v = self
            .attr(key)
            .unwrap_or_else(|| panic!("{} has no {key}", self.name));
        let number = |n: &str| {
            n.parse::<f64>()
                .unwrap_or_else(|_| panic!("{key}={v:?} is not a number"))
        };
        match v.strip_suffix('%') {
            Some(percent) => number(percent) / 100.0 * MIN_WIDTH,
            None => number(v),
        }
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == class))
    }

    /// This element and all below it, in document order.
    fn all(&self) -> Vec<&El> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }

    fn with_class(&self, class: &str) -> Vec<&El> {
        self.all()
            .into_iter()
            .filter(|e| e.has_class(class))
            .collect()
    }

    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    fn text_content(&self) -> String {
        let mut s = self.text.clone();
        for c in &self.children {
            s.push_str(&c.text_content());
        }
        s
    }
}

/// Parses `xml` into its root element, panicking unless it is one
/// well-formed element.
fn parse(xml: &str) -> El {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<El> = Vec::new();
    let mut roots: Vec<El> = Vec::new();
    let open = |e: &quick_xml::events::BytesStart, reader: &Reader<&[u8]>| El {
        name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.decode_and_unescape_value(reader.decoder())
                        .expect("well-formed attribute value")
                        .into_owned(),
                )
            })
            .collect(),
        ..El::default()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let el = open(&e, &reader);
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = open(&e, &reader);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => roots.push(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().expect("an end tag closes an open one");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => roots.push(el),
                }
            }
            Event::Text(t) => {
                let text = t.decode().unwrap();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None => assert!(text.trim().is_empty(), "text outside the root: {text:?}"),
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().unwrap().unwrap().to_string()
                } else {
                    match &*r.decode().unwrap() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("undeclared entity &{other};"),
                    }
                    .to_owned()
                };
                stack
                    .last_mut()
                    .expect("a reference inside the root")
                    .text
                    .push_str(&resolved);
            }
            Event::Eof => break,
            Event::CData(_) | Event::Comment(_) | Event::PI(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(roots.len(), 1, "one root element");
    let root = roots.pop().unwrap();
    assert!(
        root.name == "svg" || root.name == "ul",
        "a chart or its legend"
    );
    root
}

fn bar(label: &str, value: Option<f64>) -> Bar {
    Bar {
        label: label.to_owned(),
        title: format!("{label}: {value:?}"),
        value,
        ..Bar::default()
    }
}

fn chart(bars: &[Bar]) -> BarChart<'_> {
    BarChart {
        bars,
        unit: "kWh",
        title: "Electricity",
        description: "Monthly electricity use",
        locale: Locale::En,
        highlight: None,
        legend: LEGEND,
        empty_text: "No data yet",
    }
}

const LEGEND: Legend<'static> = Legend {
    bars: "this period",
    highlight: "this month",
    partial: "incomplete",
    missing: "no readings",
    previous: "a year earlier",
};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn months(values: &[Option<f64>]) -> Vec<Bar> {
    values
        .iter()
        .zip(MONTHS.iter().cycle())
        .map(|(&v, m)| bar(m, v))
        .collect()
}

/// Rects that stand for a period: bars with a value and missing markers.
fn slots(svg: &El) -> Vec<&El> {
    svg.all()
        .into_iter()
        .filter(|e| e.name == "rect" && (e.has_class("bar") || e.has_class("bar-missing")))
        .collect()
}

fn bars(svg: &El) -> Vec<&El> {
    svg.all()
        .into_iter()
        .filter(|e| e.name == "rect" && e.has_class("bar"))
        .collect()
}

/// The period labels shown under the bars on a phone.
fn period_labels(svg: &El) -> Vec<&El> {
    labels_but(svg, "wide")
}

/// The period labels shown under the bars on a wide screen.
fn wide_labels(svg: &El) -> Vec<&El> {
    labels_but(svg, "narrow")
}

fn labels_but<'a>(svg: &'a El, hidden: &str) -> Vec<&'a El> {
    svg.children
        .iter()
        .filter(|g| g.has_class("axis") && g.attr("text-anchor") == Some("middle"))
        .flat_map(|g| g.children.iter())
        .filter(|t| !t.has_class(hidden))
        .collect()
}

/// The y of each gridline, top first.
fn gridlines(svg: &El) -> Vec<f64> {
    let mut ys: Vec<f64> = svg.with_class("grid")[0]
        .children
        .iter()
        .map(|l| l.num("y1"))
        .collect();
    ys.sort_by(f64::total_cmp);
    ys
}

fn baseline(svg: &El) -> f64 {
    svg.all()
        .into_iter()
        .find(|e| e.name == "line" && e.has_class("axis"))
        .expect("a zero line")
        .num("y1")
}

fn empty_text(svg: &El) -> Option<String> {
    svg.with_class("empty").first().map(|e| e.text_content())
}

#[test]
fn one_bar_per_period_with_its_value_and_title() {
    let values: Vec<Option<f64>> = (1..=12).map(|m| Some(f64::from(m) * 100.5)).collect();
    let bars_in = months(&values);
    let svg = parse(&bar_chart(&chart(&bars_in)));
    let drawn = bars(&svg);
    assert_eq!(drawn.len(), 12);
    for (rect, b) in drawn.iter().zip(&bars_in) {
        assert_eq!(rect.num("data-value"), b.value.unwrap());
        assert_eq!(rect.child("title").unwrap().text_content(), b.title);
    }
    // Left to right, in order.
    let xs: Vec<f64> = drawn.iter().map(|r| r.num("x")).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    assert!(empty_text(&svg).is_none());
}

#[test]
fn heights_are_proportional_and_the_tallest_reaches_the_top_tick() {
    let values = [
        Some(812.0),
        Some(760.0),
        Some(400.0),
        Some(35.5),
        Some(1234.0),
        Some(0.0),
    ];
    let svg = parse(&bar_chart(&chart(&months(&values))));
    let drawn = bars(&svg);
    let base = baseline(&svg);
    let grid = gridlines(&svg);
    let top_tick = grid[0];
    let next_tick = grid[1];
    for rect in &drawn {
        // Every bar stands on the zero line.
        assert!((rect.num("y") + rect.num("height") - base).abs() <= 0.1);
    }
    let tallest = drawn
        .iter()
        .find(|r| r.num("data-value") == 1234.0)
        .unwrap();
    let y = tallest.num("y");
    assert!(
        y >= top_tick - 0.05 && y < next_tick,
        "top {y} not between {top_tick} and {next_tick}"
    );
    let per_unit = tallest.num("height") / 1234.0;
    for rect in &drawn {
        let expected = rect.num("data-value") * per_unit;
        assert!(
            (rect.num("height") - expected).abs() <= 0.1,
            "height {} for {}",
            rect.num("height"),
            rect.num("data-value")
        );
    }
    // 1234 kWh: ticks 0, 250 … 1250, labelled in English.
    let ticks: Vec<String> = svg
        .children
        .iter()
        .filter(|g| g.has_class("axis") && g.attr("text-anchor") == Some("end"))
        .flat_map(|g| g.children.iter())
        .filter(|t| !t.has_class("unit"))
        .map(El::text_content)
        .collect();
    assert_eq!(ticks, ["0", "250", "500", "750", "1,000", "1,250"]);
    assert_eq!(svg.with_class("unit")[0].text_content(), "kWh");
}

#[test]
fn missing_values_are_drawn_as_missing_markers() {
    let values = [
        Some(10.0),
        None,
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(5.0),
    ];
    let svg = parse(&bar_chart(&chart(&months(&values))));
    let all = slots(&svg);
    assert_eq!(all.len(), 5, "one mark per period, present or not");
    let missing: Vec<bool> = all.iter().map(|r| r.has_class("bar-missing")).collect();
    assert_eq!(missing, [false, true, true, true, false]);
    for m in all.iter().filter(|r| r.has_class("bar-missing")) {
        assert!(m.attr("data-value").is_none());
        assert!(!m.has_class("bar"));
        assert!(m.num("height") > 0.0, "a gap is visible");
        assert!(m.child("title").is_some());
    }
    assert!(empty_text(&svg).is_none());
}

#[test]
fn previous_year_markers_carry_their_values_on_the_same_scale() {
    let mut bars_in = months(&[Some(100.0), Some(200.0), Some(50.0), None]);
    bars_in[0].previous = Some(200.0);
    bars_in[1].previous = Some(150.0);
    bars_in[3].previous = Some(80.0);
    bars_in[2].previous = Some(f64::NAN);
    let svg = parse(&bar_chart(&chart(&bars_in)));
    let markers: Vec<&El> = svg
        .all()
        .into_iter()
        .filter(|e| e.has_class("previous"))
        .collect();
    let values: Vec<f64> = markers.iter().map(|m| m.num("data-value")).collect();
    assert_eq!(values, [200.0, 150.0, 80.0]);
    // Last year's 200 sits level with this year's 200.
    let bar_200 = bars(&svg)
        .into_iter()
        .find(|r| r.num("data-value") == 200.0)
        .unwrap();
    assert!((markers[0].num("y1") - bar_200.num("y")).abs() <= 0.1);
    // Each marker spans its own slot.
    let all = slots(&svg);
    for (m, slot) in markers.iter().zip([all[0], all[1], all[3]]) {
        let centre = slot.num("x") + slot.num("width") / 2.0;
        assert!(m.num("x1") < centre && centre < m.num("x2"));
    }
    // Both legend entries are shown.
    let legend = parse(&legend(&chart(&bars_in))).text_content();
    assert!(
        legend.contains("this period") && legend.contains("a year earlier"),
        "{legend}"
    );
}

#[test]
fn no_previous_year_legend_without_markers() {
    let bars_in = months(&[Some(1.0), Some(2.0)]);
    let svg = parse(&bar_chart(&chart(&bars_in)));
    assert!(svg.with_class("previous").is_empty());
    let legend = parse(&legend(&chart(&bars_in))).text_content();
    assert!(!legend.contains("a year earlier"), "{legend}");
}

/// The legend's entries, by kind, in order.
fn legend_kinds(c: &BarChart) -> Vec<(String, String)> {
    parse(&legend(c))
        .children
        .iter()
        .map(|li| {
            assert!(li.child("svg").is_some(), "each entry has its swatch");
            (
                li.attr("class")
                    .unwrap()
                    .trim_start_matches("legend-")
                    .to_owned(),
                li.text_content(),
            )
        })
        .collect()
}

#[test]
fn the_legend_names_every_kind_of_mark_drawn_and_no_other() {
    let mut bars_in = months(&[Some(3.0), Some(4.0), None, Some(5.0)]);
    bars_in[1].partial = true;
    bars_in[0].previous = Some(2.0);
    let all = BarChart {
        highlight: Some(3),
        ..chart(&bars_in)
    };
    let kinds: Vec<String> = legend_kinds(&all).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        ["bar", "highlight", "partial", "missing", "previous"]
    );
    let texts: Vec<String> = legend_kinds(&all).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        texts,
        [
            "this period",
            "this month",
            "incomplete",
            "no readings",
            "a year earlier"
        ]
    );
    // Plain full bars: only "this period"; a highlight on a missing bar is not drawn.
    let plain = months(&[Some(3.0), None]);
    let kinds: Vec<String> = legend_kinds(&BarChart {
        highlight: Some(1),
        ..chart(&plain)
    })
    .into_iter()
    .map(|(k, _)| k)
    .collect();
    assert_eq!(kinds, ["bar", "missing"]);
    // No data: no legend (the chart says there is nothing).
    assert_eq!(legend(&chart(&months(&[None]))), "");
}

#[test]
fn every_label_for_twelve_months_on_a_wide_screen_every_other_on_a_phone() {
    let values: Vec<Option<f64>> = (0..12).map(|m| Some(f64::from(m))).collect();
    let svg = parse(&bar_chart(&chart(&months(&values))));
    let text = |labels: Vec<&El>| labels.iter().map(|t| t.text_content()).collect::<Vec<_>>();
    assert_eq!(text(wide_labels(&svg)), MONTHS);
    assert_eq!(
        text(period_labels(&svg)),
        ["Jan", "Mar", "May", "Jul", "Sep", "Nov"]
    );
}

/// Shown labels must not overlap on a chart `width` pixels wide: their
/// centres are at least their estimated width (0.6 em a character) apart.
fn assert_legible(labels: &[&El], font_size: f64, width: f64) {
    for w in labels.windows(2) {
        let (a, b) = (w[0], w[1]);
        let need = (a.text_content().chars().count() + b.text_content().chars().count()) as f64
            / 2.0
            * font_size
            * 0.6;
        assert!(
            (b.num("x") - a.num("x")) * width / MIN_WIDTH >= need,
            "{:?} and {:?} overlap",
            a.text_content(),
            b.text_content()
        );
    }
}

#[test]
fn labels_thin_out_when_there_are_many_bars() {
    for (n, label) in [
        (
            365,
            (|i: usize| format!("{}", i % 31 + 1)) as fn(usize) -> String,
        ),
        (48, |i| format!("{:02}:{:02}", i / 2, i % 2 * 30)),
        (31, |i| format!("{}", i + 1)),
        (53, |i| format!("W{}", i + 1)),
        (10, |i| format!("{}", 2017 + i)),
    ] {
        let bars_in: Vec<Bar> = (0..n).map(|i| bar(&label(i), Some(i as f64))).collect();
        let svg = parse(&bar_chart(&chart(&bars_in)));
        assert_eq!(bars(&svg).len(), n);
        let shown = period_labels(&svg);
        let font_size: f64 = svg.attr("font-size").unwrap().parse().unwrap();
        assert!(
            shown.len() >= 4.min(n),
            "{n} bars: only {} labels",
            shown.len()
        );
        if n > 24 {
            assert!(shown.len() < n, "{n} bars: every label shown");
        }
        assert_legible(&shown, font_size, MIN_WIDTH);
        assert_legible(&wide_labels(&svg), font_size, WIDE_WIDTH);
        // Evenly spaced: every k-th label.
        let texts: Vec<String> = shown.iter().map(|t| t.text_content()).collect();
        let indices: Vec<usize> = texts
            .iter()
            .map(|t| (0..n).find(|&i| label(i) == *t).unwrap())
            .collect();
        if n != 365 {
            let steps: Vec<usize> = indices.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(steps.windows(2).all(|w| w[0] == w[1]), "{n}: {texts:?}");
        }
    }
}

#[test]
fn half_hours_are_labelled_on_round_hours() {
    let bars_in: Vec<Bar> = (0..48)
        .map(|i| bar(&format!("{:02}:{:02}", i / 2, i % 2 * 30), Some(1.0)))
        .collect();
    let svg = parse(&bar_chart(&chart(&bars_in)));
    let labels: Vec<String> = period_labels(&svg)
        .iter()
        .map(|t| t.text_content())
        .collect();
    assert_eq!(labels[0], "00:00");
    assert!(labels.iter().all(|l| l.ends_with(":00")), "{labels:?}");
}

#[test]
fn sparse_labels_are_all_shown_when_they_fit() {
    // A year of days labelled only on the first of each month.
    let mut day = 0;
    let mut bars_in = Vec::new();
    for (m, len) in MONTHS
        .iter()
        .zip([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    {
        for d in 0..len {
            bars_in.push(bar(if d == 0 { m } else { "" }, Some(f64::from(day % 7))));
            day += 1;
        }
    }
    let svg = parse(&bar_chart(&chart(&bars_in)));
    assert_eq!(bars(&svg).len(), 365);
    let labels: Vec<String> = wide_labels(&svg).iter().map(|t| t.text_content()).collect();
    assert_eq!(labels, MONTHS);
}

#[test]
fn the_highlighted_bar_and_its_label_stand_out() {
    let bars_in: Vec<Bar> = (0..31)
        .map(|i| bar(&format!("{}", i + 1), Some(1.0)))
        .collect();
    for h in [0, 12, 17, 30] {
        let svg = parse(&bar_chart(&BarChart {
            highlight: Some(h),
            ..chart(&bars_in)
        }));
        let highlighted: Vec<f64> = svg
            .with_class("bar-highlight")
            .iter()
            .map(|r| r.num("x"))
            .collect();
        assert_eq!(highlighted, [bars(&svg)[h].num("x")]);
        let shown = period_labels(&svg);
        let label = shown
            .iter()
            .find(|t| t.text_content() == format!("{}", h + 1))
            .expect("the highlighted bar's label is shown");
        assert_eq!(label.attr("font-weight"), Some("bold"));
    }
    // Out of range: ignored.
    let svg = parse(&bar_chart(&BarChart {
        highlight: Some(99),
        ..chart(&bars_in)
    }));
    assert!(svg.with_class("bar-highlight").is_empty());
}

#[test]
fn partial_bars_are_marked() {
    let mut bars_in = months(&[Some(3.0), Some(4.0)]);
    bars_in[1].partial = true;
    let svg = parse(&bar_chart(&chart(&bars_in)));
    let partial: Vec<bool> = bars(&svg)
        .iter()
        .map(|r| r.has_class("bar-partial"))
        .collect();
    assert_eq!(partial, [false, true]);
    let lighter = bars(&svg)[1]
        .attr("fill-opacity")
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert!(lighter < 1.0);
}

#[test]
fn links_wrap_bars_and_make_the_chart_a_group() {
    let mut bars_in = months(&[Some(3.0), None, Some(4.0)]);
    bars_in[0].href = Some("/energy/2026/01".into());
    bars_in[1].href = Some("/energy/2026/02".into());
    let svg = parse(&bar_chart(&chart(&bars_in)));
    // An image cannot contain links (axe: nested-interactive).
    assert_eq!(svg.attr("role"), Some("group"));
    let links: Vec<&El> = svg.all().into_iter().filter(|e| e.name == "a").collect();
    assert_eq!(links.len(), 2);
    for (a, b) in links.iter().zip(&bars_in) {
        assert_eq!(a.attr("href"), b.href.as_deref());
        assert_eq!(a.attr("aria-label"), Some(b.title.as_str()));
        assert_eq!(
            a.children
                .iter()
                .filter(|r| r.has_class("bar") || r.has_class("bar-missing"))
                .count(),
            1
        );
    }
    assert_eq!(slots(&svg).len(), 3);
    // Without links it is an image.
    let svg = parse(&bar_chart(&chart(&months(&[Some(3.0)]))));
    assert_eq!(svg.attr("role"), Some("img"));
}

#[test]
fn the_chart_is_named_described_and_responsive() {
    let bars_in = months(&[Some(3.0), Some(4.0)]);
    let svg = parse(&bar_chart(&chart(&bars_in)));
    assert!(svg.has_class("chart"));
    assert_eq!(svg.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
    assert_eq!(svg.attr("width"), Some("100%"));
    assert_eq!(svg.num("height"), HEIGHT);
    // No view box: the text is never scaled down with the width.
    assert!(svg.attr("viewBox").is_none());
    let font_size: f64 = svg.attr("font-size").unwrap().parse().unwrap();
    assert!((12.0..=16.0).contains(&font_size));
    assert_eq!(font_size, FONT_SIZE);
    let by_id = |id: &str| svg.all().into_iter().find(|e| e.attr("id") == Some(id));
    let name = by_id(svg.attr("aria-labelledby").unwrap()).unwrap();
    assert_eq!(name.name, "title");
    assert_eq!(name.text_content(), "Electricity");
    let desc = by_id(svg.attr("aria-describedby").unwrap()).unwrap();
    assert_eq!(desc.name, "desc");
    assert_eq!(desc.text_content(), "Monthly electricity use");
    // Everything drawn stays inside the drawing, across as a share of its width.
    for e in svg.all() {
        for key in ["x", "x1", "x2"] {
            if e.attr(key).is_some() {
                let v = e.num(key);
                assert!((0.0..=MIN_WIDTH).contains(&v), "{key}={v}");
            }
        }
        for key in ["y", "y1", "y2"] {
            if e.attr(key).is_some() {
                let v = e.num(key);
                assert!((0.0..=HEIGHT).contains(&v), "{key}={v}");
            }
        }
    }
}

#[test]
fn two_charts_on_a_page_have_different_ids() {
    let a = months(&[Some(3.0)]);
    let b = months(&[Some(4.0)]);
    let ids = |bars: &[Bar]| {
        let svg = parse(&bar_chart(&chart(bars)));
        svg.all()
            .into_iter()
            .filter_map(|e| e.attr("id").map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let (ia, ib) = (ids(&a), ids(&b));
    assert!(!ia.is_empty());
    assert!(ia.iter().all(|i| !ib.contains(i)), "{ia:?} {ib:?}");
    assert_eq!(ia, ids(&a), "ids are deterministic");
}

#[test]
fn every_inserted_string_is_escaped() {
    let nasty = r#"<b>Tom & "Jerry" 's</b> ]]> &amp;"#;
    let bars_in = vec![
        Bar {
            label: nasty.to_owned(),
            title: nasty.to_owned(),
            value: Some(1.0),
            previous: Some(2.0),
            partial: false,
            href: Some(format!("/day?a=1&b=\"{nasty}")),
        },
        Bar {
            label: nasty.to_owned(),
            title: nasty.to_owned(),
            ..Bar::default()
        },
    ];
    let c = BarChart {
        unit: nasty,
        title: nasty,
        description: nasty,
        legend: Legend {
            bars: nasty,
            previous: nasty,
            ..LEGEND
        },
        ..chart(&bars_in)
    };
    let out = bar_chart(&c);
    assert!(!out.contains("<b>"), "raw markup leaked");
    let svg = parse(&out);
    assert_eq!(svg.child("title").unwrap().text_content(), nasty);
    assert_eq!(svg.child("desc").unwrap().text_content(), nasty);
    assert_eq!(svg.with_class("unit")[0].text_content(), nasty);
    let a = svg.all().into_iter().find(|e| e.name == "a").unwrap();
    assert_eq!(a.attr("href"), bars_in[0].href.as_deref());
    assert_eq!(a.attr("aria-label"), Some(nasty));
    for rect in slots(&svg) {
        assert_eq!(rect.child("title").unwrap().text_content(), nasty);
    }
    assert!(
        period_labels(&svg)
            .iter()
            .any(|t| t.text_content() == nasty)
    );
    assert_eq!(
        parse(&legend(&c)).text_content(),
        format!("{nasty}no readings{nasty}")
    );
    // Characters XML cannot carry are dropped rather than breaking it.
    let bars_in = vec![bar("a\u{1}b", Some(1.0))];
    let svg = parse(&bar_chart(&chart(&bars_in)));
    assert_eq!(period_labels(&svg)[0].text_content(), "ab");
}

#[test]
fn french_and_english_numbers() {
    let nnbsp = '\u{202F}';
    assert_eq!(
        format_number(1234.5, 1, Locale::Fr),
        format!("1{nnbsp}234,5")
    );
    assert_eq!(format_number(1234.5, 1, Locale::En), "1,234.5");
    assert_eq!(
        format_number(1_234_567.891, 2, Locale::Fr),
        format!("1{nnbsp}234{nnbsp}567,89")
    );
    assert_eq!(format_number(1_234_567.891, 0, Locale::En), "1,234,568");
    assert_eq!(format_number(999.96, 1, Locale::En), "1,000.0");
    assert_eq!(format_number(12.5, 2, Locale::Fr), "12,50");
    assert_eq!(format_number(0.0, 0, Locale::Fr), "0");
    assert_eq!(format_number(-0.04, 1, Locale::En), "0.0");
    assert_eq!(
        format_number(-1234.0, 0, Locale::Fr),
        format!("-1{nnbsp}234")
    );
    assert_eq!(format_number(100.0, 0, Locale::En), "100");
    assert_eq!(format_number(f64::NAN, 1, Locale::En), "\u{2013}");
}

#[test]
fn french_charts_label_ticks_in_french() {
    let bars_in = months(&[Some(12_345.0), Some(2.5)]);
    let svg = parse(&bar_chart(&BarChart {
        locale: Locale::Fr,
        ..chart(&bars_in)
    }));
    let labels: Vec<String> = svg
        .children
        .iter()
        .filter(|g| g.has_class("axis") && g.attr("text-anchor") == Some("end"))
        .flat_map(|g| g.children.iter())
        .filter(|t| !t.has_class("unit"))
        .map(El::text_content)
        .collect();
    assert_eq!(labels.last().unwrap(), "12\u{202F}500");
    // Raw values stay machine-readable.
    assert_eq!(bars(&svg)[1].attr("data-value"), Some("2.5"));

    let small = months(&[Some(0.7)]);
    let svg = parse(&bar_chart(&BarChart {
        locale: Locale::Fr,
        ..chart(&small)
    }));
    let text = svg.text_content();
    assert!(text.contains("0,2") && !text.contains("0.2"), "{text}");
}

fn assert_nice(max: f64) {
    let ticks = nice_ticks(max);
    assert_eq!(ticks[0], 0.0, "{max}: {ticks:?}");
    assert!((4..=7).contains(&ticks.len()), "{max}: {ticks:?}");
    let step = ticks[1];
    for (i, t) in ticks.iter().enumerate() {
        assert!(
            (t - step * i as f64).abs() <= step * 1e-9,
            "{max}: {ticks:?}"
        );
    }
    let exponent = step.log10().floor();
    let mantissa = step / 10f64.powf(exponent);
    assert!(
        [1.0, 2.0, 2.5, 5.0]
            .iter()
            .any(|m| (mantissa - m).abs() < 1e-9),
        "{max}: step {step}"
    );
    let last = *ticks.last().unwrap();
    if max.is_finite() && max >= 1e-9 {
        assert!(last >= max, "{max}: {ticks:?}");
        assert!(last < max * 2.0, "{max}: {ticks:?}");
    }
}

#[test]
fn nice_ticks_are_round_and_cover_the_maximum() {
    assert_eq!(nice_ticks(7.3), [0.0, 2.0, 4.0, 6.0, 8.0]);
    assert_eq!(
        nice_ticks(1234.0),
        [0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]
    );
    assert_eq!(nice_ticks(10.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(nice_ticks(0.6), [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    assert_eq!(nice_ticks(0.7), [0.0, 0.2, 0.4, 0.6, 0.8]);
    let zero = nice_ticks(0.0);
    assert_eq!(zero[0], 0.0);
    assert!(
        zero.len() >= 4 && zero.windows(2).all(|w| w[0] < w[1]),
        "{zero:?}"
    );
    for max in [0.0, -5.0, f64::NAN, f64::INFINITY, 1e-12] {
        assert_nice(max);
    }
    let mut max = 0.000_37;
    while max < 1e9 {
        assert_nice(max);
        max *= 1.07;
    }
}

#[test]
fn bad_values_and_empty_input_still_draw() {
    // Negative values are drawn as zero; the figure stays as given.
    let svg = parse(&bar_chart(&chart(&months(&[Some(-3.0), Some(6.0)]))));
    let drawn = bars(&svg);
    assert_eq!(drawn[0].num("height"), 0.0);
    assert_eq!(drawn[0].num("data-value"), -3.0);
    assert!(drawn[1].num("height") > 0.0);

    let cases: [Vec<Bar>; 4] = [
        Vec::new(),
        months(&[None, None, None]),
        months(&[Some(f64::NAN), Some(f64::NEG_INFINITY)]),
        months(&[Some(f64::NAN), None])
            .into_iter()
            .map(|b| Bar {
                previous: Some(4.0),
                ..b
            })
            .collect(),
    ];
    for bars_in in &cases {
        let svg = parse(&bar_chart(&chart(bars_in)));
        assert_eq!(empty_text(&svg).as_deref(), Some("No data yet"));
        assert!(bars(&svg).is_empty());
        assert_eq!(slots(&svg).len(), bars_in.len());
        assert!(svg.with_class("grid").is_empty(), "no ticks without data");
        assert!(svg.with_class("previous").is_empty());
        let desc = svg.child("desc").unwrap().text_content();
        assert!(desc.contains("No data yet"), "{desc}");
    }
    // All zero: a flat chart, not an empty one.
    let svg = parse(&bar_chart(&chart(&months(&[Some(0.0), Some(0.0)]))));
    assert!(empty_text(&svg).is_none());
    assert!(bars(&svg).iter().all(|r| r.num("height") == 0.0));
}

#[test]
fn a_day_of_half_hours_stays_compact() {
    let bars_in: Vec<Bar> = (0..48)
        .map(|i| Bar {
            label: format!("{:02}:{:02}", i / 2, i % 2 * 30),
            title: format!(
                "{:02}:{:02}: 0.42 kWh (last year 0.40 kWh)",
                i / 2,
                i % 2 * 30
            ),
            value: Some(f64::from(10 + i) / 100.0),
            previous: Some(0.4),
            partial: i == 47,
            href: None,
        })
        .collect();
    let out = bar_chart(&BarChart {
        highlight: Some(47),
        ..chart(&bars_in)
    });
    assert!(out.len() < 13_000, "{} bytes", out.len());
    let svg = parse(&out);
    assert_eq!(bars(&svg).len(), 48);
    // Coordinates carry at most two decimals.
    for e in svg.all() {
        for key in ["x", "y", "width", "height", "x1", "x2", "y1", "y2"] {
            if let Some(v) = e.attr(key) {
                let v = v.trim_end_matches('%');
                assert!(
                    v.split_once('.').is_none_or(|(_, d)| d.len() <= 2),
                    "{key}={v}"
                );
            }
        }
    }
}
