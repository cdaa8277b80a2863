//! Meter file importers: [`detect`] the layout from the content, then
//! [`parse`]; or [`import`] both at once, refusing with a sentence that says
//! which holder's export was expected and where to download it. Each
//! [`Layout`] is an importer of the shared contract
//! ([`selfdata_sources::Importer`]), listed in [`IMPORTERS`].
//!
//! Every layout the holders hand back (see `model::Layout`) is recognised by
//! its header line, JSON keys or spreadsheet header, never by file name, and
//! read into series of exact integers (mWh, mL, VA) over UTC intervals.
//! Parsing is pure and total: any input gives `Ok` or an [`ImportError`]
//! naming the line and what was expected, never a panic, and a file cut short
//! is an error rather than a silent partial import.
//!
//! `parse` returns [`ImportError::Unrecognised`] exactly when `detect`
//! returns `None`: both go through the same sniffing step. A zip container
//! is only ever read as a GRDF workbook, through the capped reader of
//! [`xlsx`]; one too large to read safely is detected as that layout and
//! refused by `parse` with [`ImportError::Invalid`] saying which cap it broke.

mod enedis_csv;
mod enedis_json;
mod grdf;
mod series;
mod water;
pub mod xlsx;

use std::borrow::Cow;

use selfdata_sources::{Expected, Importer, Refusal, text, time};

use crate::model::{ImportError, Layout, Parsed};

/// Every layout, in the order files are offered to them.
pub static IMPORTERS: [Layout; 11] = [
    Layout::EnedisLoadCurveCsv,
    Layout::EnedisDailyIndexCsv,
    Layout::EnedisMaxPowerCsv,
    Layout::EnedisFlatCsv,
    Layout::EnedisOldCsv,
    Layout::EnedisDataConnectV5,
    Layout::EnedisDataConnect2026,
    Layout::GrdfAdictNdjson,
    Layout::GrdfXlsx,
    Layout::WaterPortalCsv,
    Layout::WaterTelemetryJson,
];

impl Importer for Layout {
    type Output = Parsed;

    fn expected(&self) -> &'static Expected {
        self.holder().expected()
    }

    fn detect(&self, bytes: &[u8]) -> bool {
        detect(bytes) == Some(*self)
    }

    fn parse(&self, bytes: &[u8]) -> Result<Parsed, ImportError> {
        let parsed = parse(bytes)?;
        if parsed.layout != *self {
            return Err(ImportError::Unrecognised);
        }
        Ok(parsed)
    }
}

/// The importers as the contract lists them.
pub fn importers() -> Vec<&'static dyn Importer<Output = Parsed>> {
    IMPORTERS
        .iter()
        .map(|l| l as &'static dyn Importer<Output = Parsed>)
        .collect()
}

/// Detects and parses a file in one pass (what [`selfdata_sources::import`]
/// does over [`IMPORTERS`], sniffing once): a refusal names the export
/// expected and where a resident downloads it.
pub fn import(bytes: &[u8]) -> Result<Parsed, Refusal> {
    let all = || selfdata_sources::contract::expected_of(&importers());
    match sniff(bytes) {
        None => Err(Refusal {
            error: if selfdata_sources::contract::is_blank(bytes) {
                ImportError::EmptyFile
            } else {
                ImportError::Unrecognised
            },
            expected: all(),
        }),
        Some(sniffed) => {
            let expected = vec![sniffed.layout().holder().expected()];
            parse_sniffed(sniffed).map_err(|error| Refusal { error, expected })
        }
    }
}

/// What sniffing found: the layout, with what it already had to load.
enum Sniffed<'a> {
    Text(Layout, Cow<'a, str>),
    Xlsx(grdf::Sheet),
    /// A workbook refused before it was read whole (too large to read safely).
    Refused(ImportError),
}

impl Sniffed<'_> {
    fn layout(&self) -> Layout {
        match self {
            Sniffed::Text(layout, _) => *layout,
            // A zip container is only ever read as a GRDF workbook.
            Sniffed::Xlsx(_) | Sniffed::Refused(_) => Layout::GrdfXlsx,
        }
    }
}

/// The layout of a file, judged from its content (never its name), or `None`.
pub fn detect(bytes: &[u8]) -> Option<Layout> {
    sniff(bytes).map(|s| s.layout())
}

/// Parses a file of any known layout.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    match sniff(bytes) {
        Some(sniffed) => parse_sniffed(sniffed),
        None if selfdata_sources::contract::is_blank(bytes) => Err(ImportError::EmptyFile),
        None => Err(ImportError::Unrecognised),
    }
}

fn parse_sniffed(sniffed: Sniffed<'_>) -> Result<Parsed, ImportError> {
    let parsed = match sniffed {
        Sniffed::Xlsx(sheet) => grdf::parse_xlsx(sheet)?,
        Sniffed::Refused(error) => return Err(error),
        Sniffed::Text(layout, text) => match layout {
            Layout::EnedisLoadCurveCsv
            | Layout::EnedisDailyIndexCsv
            | Layout::EnedisMaxPowerCsv => enedis_csv::parse_portal(&text, layout)?,
            Layout::EnedisFlatCsv => enedis_csv::parse_flat(&text)?,
            Layout::EnedisOldCsv => enedis_csv::parse_old(&text)?,
            Layout::EnedisDataConnectV5 => enedis_json::parse_v5(&text)?,
            Layout::EnedisDataConnect2026 => enedis_json::parse_2026(&text)?,
            Layout::GrdfAdictNdjson => grdf::parse_ndjson(&text)?,
            Layout::WaterPortalCsv => water::parse_csv(&text)?,
            Layout::WaterTelemetryJson => water::parse_json(&text)?,
            Layout::GrdfXlsx => unreachable_layout()?,
        },
    };
    if parsed.series.iter().all(|s| s.readings.is_empty()) {
        return Err(ImportError::Empty);
    }
    Ok(parsed)
}

/// Text sniffing never yields the XLSX layout; kept as an error, not a panic.
fn unreachable_layout() -> Result<Parsed, ImportError> {
    Err(ImportError::Invalid(
        "an XLSX layout was found in a text file".into(),
    ))
}

/// The period `[start, end)` a file declares: dates are Paris days, an end
/// date is the midnight that starts it (exclusive); instants are kept.
/// `None` when either is missing or unreadable, or the period is empty.
pub(crate) fn declared_period(
    start: Option<&str>,
    end: Option<&str>,
) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
    let mut paris = time::Paris::new().ok()?;
    let mut at = |s: &str| -> Option<i64> {
        match time::parse_when(s)? {
            time::When::Instant(t) => Some(t),
            time::When::Local { day, sod: 0, .. } => paris.day_bounds(day).ok().map(|b| b.0),
            time::When::Local { day, sod, .. } => paris.fixed(day, sod).ok(),
        }
    };
    let (a, b) = (at(start?)?, at(end?)?);
    (a < b).then_some((time::ts(a)?, time::ts(b)?))
}

/// How far into a text file a CSV header is looked for.
const HEADER_SCAN_LINES: usize = 40;

fn sniff(bytes: &[u8]) -> Option<Sniffed<'_>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return match grdf::sniff_xlsx(bytes) {
            Ok(sheet) => sheet.map(Sniffed::Xlsx),
            Err(error) => Some(Sniffed::Refused(error)),
        };
    }
    let text = text::decode(bytes);
    let layout = sniff_text(&text)?;
    Some(Sniffed::Text(layout, text))
}

fn sniff_text(text: &str) -> Option<Layout> {
    let start = text.trim_start();
    if start.starts_with('{') || start.starts_with('[') {
        return sniff_json(start);
    }
    sniff_csv(text)
}

/// JSON layouts by their keys, looked up as text so that a file cut short
/// is still recognised (and then reported as cut short).
fn sniff_json(text: &str) -> Option<Layout> {
    let has = |key: &str| text.contains(key);
    if has("\"meter_reading\"") {
        Some(Layout::EnedisDataConnectV5)
    } else if has("\"idPrm\"") || (has("\"grandeur\"") && has("\"points\"")) {
        Some(Layout::EnedisDataConnect2026)
    } else if has("\"consommation\"") {
        Some(Layout::GrdfAdictNdjson)
    } else if has("\"volume\"") && has("\"date\"") {
        Some(Layout::WaterTelemetryJson)
    } else {
        None
    }
}

fn sniff_csv(text: &str) -> Option<Layout> {
    let mut portal = false;
    let mut portal_kind: Option<String> = None;
    let mut portal_unit: Option<String> = None;
    let mut metadata: Option<Vec<String>> = None;
    for (_, line) in text::lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .take(HEADER_SCAN_LINES)
    {
        let fields = text::header_fields(line);
        let first = fields.first().map(String::as_str).unwrap_or("");
        let second = fields.get(1).map(String::as_str).unwrap_or("");
        if portal {
            if first == "horodate" && second == "type de releve" {
                return Some(Layout::EnedisDailyIndexCsv);
            }
            if first == "horodate" && second == "valeur" {
                return Some(portal_values_layout(
                    portal_kind.as_deref(),
                    portal_unit.as_deref(),
                ));
            }
            // The metadata values line follows the metadata header.
            if let Some(names) = metadata.take() {
                portal_kind =
                    text::column(&names, &["type de donnees"]).and_then(|i| fields.get(i).cloned());
                portal_unit = text::column(&names, &["unite"]).and_then(|i| fields.get(i).cloned());
            }
            continue;
        }
        let has = |name: &str| fields.iter().any(|f| f == name);
        if has("horodate") && has("valeur") && has("nature") && has("pas") {
            return Some(Layout::EnedisFlatCsv);
        }
        if first == "identifiant prm" && second == "type de donnees" {
            portal = true;
            metadata = Some(fields);
            continue;
        }
        if first == "date de la mesure" && second == "heure de la mesure" {
            return Some(Layout::EnedisOldCsv);
        }
        if first == "date de releve" && second.starts_with("index releve") {
            return Some(Layout::WaterPortalCsv);
        }
    }
    if !portal {
        return None;
    }
    // A portal metadata block without its data header: judge by the declared type.
    let kind = portal_kind.unwrap_or_default();
    if kind.contains("index") {
        Some(Layout::EnedisDailyIndexCsv)
    } else {
        Some(portal_values_layout(Some(&kind), portal_unit.as_deref()))
    }
}

fn portal_values_layout(kind: Option<&str>, unit: Option<&str>) -> Layout {
    let kind = kind.unwrap_or("");
    if kind.contains("puissance max") || unit == Some("va") || unit == Some("kva") {
        Layout::EnedisMaxPowerCsv
    } else {
        Layout::EnedisLoadCurveCsv
    }
}
