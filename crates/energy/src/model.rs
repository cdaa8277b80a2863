//! What an import yields: readings over UTC intervals, grouped into series
//! by what they measure, with the file's layout and holder.
//!
//! Units are fixed-point integers so sums are exact: energy in milliwatt-hours
//! (a load curve's average power × its step rarely falls on a whole Wh),
//! volume in millilitres, power in volt-amperes. Shown to people as kWh,
//! litres or m³ by the callers.

use jiff::Timestamp;
use selfdata_sources::Expected;

static ENEDIS: Expected = Expected {
    holder: "Enedis",
    what_en: "an Enedis export of your electricity meter (Linky) readings, CSV or JSON",
    what_fr: "un export Enedis des relevés de votre compteur électrique (Linky), en CSV ou JSON",
    where_en: "your Enedis customer area, mon-compte-particulier.enedis.fr (your consumption, then download your data)",
    where_fr: "votre espace client Enedis, mon-compte-particulier.enedis.fr (votre consommation, puis télécharger vos données)",
};

static GRDF: Expected = Expected {
    holder: "GRDF",
    what_en: "a GRDF export of your gas meter (Gazpar) readings, XLSX or JSON",
    what_fr: "un export GRDF des relevés de votre compteur de gaz (Gazpar), en XLSX ou JSON",
    where_en: "your GRDF customer area, monespace.grdf.fr (my consumption, then download)",
    where_fr: "votre espace client GRDF, monespace.grdf.fr (ma consommation, puis télécharger)",
};

static WATER: Expected = Expected {
    holder: "water utility",
    what_en: "your water utility's export of daily meter readings, CSV or JSON",
    what_fr: "l’export des relevés quotidiens de votre compteur d’eau, en CSV ou JSON",
    where_en: "your water utility's customer area (consumption history, daily readings)",
    where_fr: "l’espace client de votre distributeur d’eau (historique de consommation, relevés journaliers)",
};

/// What is metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fluid {
    Electricity,
    Gas,
    Water,
}

impl Fluid {
    pub const ALL: [Fluid; 3] = [Fluid::Electricity, Fluid::Gas, Fluid::Water];

    /// The name used in paths and the API (`electricity`, `gas`, `water`).
    pub fn as_str(self) -> &'static str {
        match self {
            Fluid::Electricity => "electricity",
            Fluid::Gas => "gas",
            Fluid::Water => "water",
        }
    }

    pub fn parse(s: &str) -> Option<Fluid> {
        Fluid::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The physical quantity of a series, with its internal unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quantity {
    /// Electricity consumed, mWh.
    ElectricEnergy,
    /// Daily maximum apparent power, VA (not summable).
    MaxPower,
    /// Gas consumed, as energy, mWh.
    GasEnergy,
    /// Gas consumed, as volume, mL.
    GasVolume,
    /// Water consumed, mL.
    WaterVolume,
}

impl Quantity {
    pub const ALL: [Quantity; 5] = [
        Quantity::ElectricEnergy,
        Quantity::MaxPower,
        Quantity::GasEnergy,
        Quantity::GasVolume,
        Quantity::WaterVolume,
    ];

    pub fn fluid(self) -> Fluid {
        match self {
            Quantity::ElectricEnergy | Quantity::MaxPower => Fluid::Electricity,
            Quantity::GasEnergy | Quantity::GasVolume => Fluid::Gas,
            Quantity::WaterVolume => Fluid::Water,
        }
    }

    /// A short stable name, used in resource names (`energy`, `max-power`, `volume`).
    pub fn slug(self) -> &'static str {
        match self {
            Quantity::ElectricEnergy | Quantity::GasEnergy => "energy",
            Quantity::MaxPower => "max-power",
            Quantity::GasVolume | Quantity::WaterVolume => "volume",
        }
    }

    /// The unit of the stored integers.
    pub fn unit(self) -> &'static str {
        match self {
            Quantity::ElectricEnergy | Quantity::GasEnergy => "mWh",
            Quantity::MaxPower => "VA",
            Quantity::GasVolume | Quantity::WaterVolume => "mL",
        }
    }

    /// Whether values over consecutive intervals add up (energy, volume) or not (a maximum).
    pub fn is_additive(self) -> bool {
        !matches!(self, Quantity::MaxPower)
    }

    pub fn from_parts(fluid: Fluid, slug: &str) -> Option<Quantity> {
        Quantity::ALL
            .into_iter()
            .find(|q| q.fluid() == fluid && q.slug() == slug)
    }
}

/// One reading: what was measured over `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub start: Timestamp,
    pub end: Timestamp,
    /// `None` when the holder reports the interval with no value: missing, not zero.
    pub value: Option<i64>,
    /// The holder says the value is estimated rather than measured.
    pub estimated: bool,
}

/// Readings of one quantity from one meter, sorted by `start`, no two overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub quantity: Quantity,
    pub readings: Vec<Reading>,
}

/// Who holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Enedis,
    Grdf,
    /// A water utility (the Veolia portal CSV and the Suez telemetry JSON).
    Water,
}

impl Holder {
    /// The container name under `selfdata/sources/`.
    pub fn slug(self) -> &'static str {
        match self {
            Holder::Enedis => "enedis",
            Holder::Grdf => "grdf",
            Holder::Water => "water",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Holder::Enedis => "Enedis",
            Holder::Grdf => "GRDF",
            Holder::Water => "Water utility",
        }
    }

    /// Its name in French, when it differs from [`Holder::name`].
    pub fn name_fr(self) -> Option<&'static str> {
        match self {
            Holder::Water => Some("Service des eaux"),
            Holder::Enedis | Holder::Grdf => None,
        }
    }

    /// The export a resident gets from this holder, and where.
    pub fn expected(self) -> &'static Expected {
        match self {
            Holder::Enedis => &ENEDIS,
            Holder::Grdf => &GRDF,
            Holder::Water => &WATER,
        }
    }

    pub fn fluid(self) -> Fluid {
        match self {
            Holder::Enedis => Fluid::Electricity,
            Holder::Grdf => Fluid::Gas,
            Holder::Water => Fluid::Water,
        }
    }
}

/// The file layouts the importers know, detected from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Enedis portal CSV, load curve (`Horodate;Valeur`, W at 10/30/60 min).
    EnedisLoadCurveCsv,
    /// Enedis portal CSV, daily index (`Horodate;Type de releve;EAS F1…;EAS T`).
    EnedisDailyIndexCsv,
    /// Enedis portal CSV, daily maximum power (VA).
    EnedisMaxPowerCsv,
    /// Enedis flat 13-column CSV (`…;Horodate;Valeur;Nature;Pas;…`).
    EnedisFlatCsv,
    /// Older Enedis CSV (`Date de la mesure;Heure de la mesure;Valeur;…`).
    EnedisOldCsv,
    /// Enedis Data Connect v5 JSON (`meter_reading`).
    EnedisDataConnectV5,
    /// Enedis Data Connect 2026 JSON (`idPrm`, `grandeur[].points[]`).
    EnedisDataConnect2026,
    /// GRDF ADICT NDJSON (one `consommation` object per line).
    GrdfAdictNdjson,
    /// GRDF customer XLSX (header on row 9).
    GrdfXlsx,
    /// Water portal CSV in litres (`Date de relevé;Index relevé (litres);…`).
    WaterPortalCsv,
    /// Water telemetry JSON in m³ (`date`, `index`, `volume`).
    WaterTelemetryJson,
}

impl Layout {
    pub fn holder(self) -> Holder {
        match self {
            Layout::GrdfAdictNdjson | Layout::GrdfXlsx => Holder::Grdf,
            Layout::WaterPortalCsv | Layout::WaterTelemetryJson => Holder::Water,
            _ => Holder::Enedis,
        }
    }

    /// A human description, for summaries and the source description.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::EnedisLoadCurveCsv => "Enedis load curve (portal CSV)",
            Layout::EnedisDailyIndexCsv => "Enedis daily index (portal CSV)",
            Layout::EnedisMaxPowerCsv => "Enedis daily maximum power (portal CSV)",
            Layout::EnedisFlatCsv => "Enedis load curve (flat CSV)",
            Layout::EnedisOldCsv => "Enedis readings (older CSV)",
            Layout::EnedisDataConnectV5 => "Enedis Data Connect v5 (JSON)",
            Layout::EnedisDataConnect2026 => "Enedis Data Connect 2026 (JSON)",
            Layout::GrdfAdictNdjson => "GRDF ADICT daily readings (NDJSON)",
            Layout::GrdfXlsx => "GRDF customer export (XLSX)",
            Layout::WaterPortalCsv => "Water portal daily readings (CSV, litres)",
            Layout::WaterTelemetryJson => "Water telemetry (JSON, m³)",
        }
    }

    /// The media type the original file is kept under.
    pub fn media_type(self) -> &'static str {
        match self {
            Layout::EnedisDataConnectV5
            | Layout::EnedisDataConnect2026
            | Layout::WaterTelemetryJson => "application/json",
            Layout::GrdfAdictNdjson => "application/x-ndjson",
            Layout::GrdfXlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _ => "text/csv",
        }
    }

    /// The file extension for the original file.
    pub fn extension(self) -> &'static str {
        match self {
            Layout::EnedisDataConnectV5
            | Layout::EnedisDataConnect2026
            | Layout::WaterTelemetryJson => "json",
            Layout::GrdfAdictNdjson => "ndjson",
            Layout::GrdfXlsx => "xlsx",
            _ => "csv",
        }
    }
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub layout: Layout,
    /// The meter's identifier when the file names it (PRM, PCE, water meter number).
    pub meter: Option<String>,
    /// One series per quantity found, each sorted and without overlaps.
    pub series: Vec<Series>,
    /// Data rows read (including rows whose value is missing).
    pub rows: usize,
    /// The period `[start, end)` the file says it covers, when it says one
    /// (the portal CSV's `Date de debut`/`Date de fin`, Data Connect's
    /// `start`/`end`): readings stopping short of it make the import partial.
    pub declared: Option<(Timestamp, Timestamp)>,
}

/// Why a file could not be imported: the import contract's error, shared by every domain.
pub use selfdata_sources::ImportError;
