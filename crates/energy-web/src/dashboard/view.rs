//! What the dashboard shows: the fluid, the scale (day, week, month,
//! year), the unit and the day anchoring the period, read from the query
//! and written back into links.

use super::*;

/// The scale of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Day,
    Week,
    Month,
    Year,
}

impl Scale {
    pub(crate) const ALL: [Scale; 4] = [Scale::Day, Scale::Week, Scale::Month, Scale::Year];

    pub(crate) fn parse(s: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scale::Day => "day",
            Scale::Week => "week",
            Scale::Month => "month",
            Scale::Year => "year",
        }
    }

    pub(crate) fn name(self, t: &Texts) -> &'static str {
        match self {
            Scale::Day => t.scale_day,
            Scale::Week => t.scale_week,
            Scale::Month => t.scale_month,
            Scale::Year => t.scale_year,
        }
    }

    /// The local days `[from, to)` of the period holding `d`.
    pub(crate) fn period(self, d: Date) -> (Date, Date) {
        let from = match self {
            Scale::Day => d,
            Scale::Week => Resolution::Week.bucket_start(d),
            Scale::Month => d.first_of_month(),
            Scale::Year => d.first_of_year(),
        };
        let to = match self {
            Scale::Day => from.tomorrow().unwrap_or(from),
            Scale::Week => from.checked_add(1.week()).unwrap_or(from),
            Scale::Month => from.checked_add(1.month()).unwrap_or(from),
            Scale::Year => from.checked_add(1.year()).unwrap_or(from),
        };
        (from, to)
    }

    /// The same day one period later (`n = 1`) or earlier (`n = -1`).
    pub(crate) fn shift(self, d: Date, n: i64) -> Date {
        let span = match self {
            Scale::Day => n.days(),
            Scale::Week => n.weeks(),
            Scale::Month => n.months(),
            Scale::Year => n.years(),
        };
        d.checked_add(span).unwrap_or(d)
    }
}

/// What the chart's values are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    Kwh,
    Litres,
    CubicMetres,
    Euros,
}

impl Shown {
    pub(crate) fn parse(s: &str) -> Option<Shown> {
        Some(match s {
            "kWh" => Shown::Kwh,
            "L" => Shown::Litres,
            "m3" | "m³" => Shown::CubicMetres,
            "EUR" | "€" => Shown::Euros,
            _ => return None,
        })
    }

    /// The query value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Shown::Kwh => "kWh",
            Shown::Litres => "L",
            Shown::CubicMetres => "m3",
            Shown::Euros => "EUR",
        }
    }

    /// The symbol shown.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Shown::Kwh => "kWh",
            Shown::Litres => "L",
            Shown::CubicMetres => "m³",
            Shown::Euros => "€",
        }
    }

    /// The units offered for a fluid, the first being the default.
    pub(crate) fn of(fluid: Fluid) -> &'static [Shown] {
        match fluid {
            Fluid::Electricity | Fluid::Gas => &[Shown::Kwh, Shown::Euros],
            Fluid::Water => &[Shown::Litres, Shown::CubicMetres, Shown::Euros],
        }
    }

    /// The API unit the figures are asked in, and the JSON field to read.
    pub(crate) fn api(self, fluid: Fluid) -> (Unit, &'static str) {
        let name = match self {
            Shown::CubicMetres => Some("m3"),
            Shown::Litres => Some("L"),
            Shown::Kwh => Some("kWh"),
            Shown::Euros => None,
        };
        let field = if self == Shown::Euros {
            "euros"
        } else {
            "value"
        };
        let unit = Unit::parse(fluid, name).unwrap_or_else(|_| default_unit(fluid));
        (unit, field)
    }
}

pub(crate) fn default_unit(fluid: Fluid) -> Unit {
    Unit::parse(fluid, None).unwrap_or(Unit {
        name: "kWh",
        quantity: selfdata_energy::analysis::main_quantity(fluid),
        per: 1e6,
    })
}

/// The dashboard's query.
#[derive(Debug, Default, Deserialize)]
pub struct DashQuery {
    pub(crate) fluid: Option<String>,
    pub(crate) scale: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) date: Option<String>,
}

/// What is shown: a fluid, at a scale, in a unit, around a day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub(crate) fluid: Fluid,
    pub(crate) scale: Scale,
    pub(crate) unit: Shown,
    pub(crate) anchor: Date,
}

/// The month view of a fluid around `anchor` (where an import's "see this
/// data" leads).
pub(crate) fn month_view_href(fluid: Fluid, anchor: Date) -> String {
    View {
        fluid,
        scale: Scale::Month,
        unit: Shown::of(fluid)[0],
        anchor,
    }
    .href()
}

impl View {
    pub(crate) fn href(&self) -> String {
        format!(
            "/app/energy?fluid={}&scale={}&unit={}&date={}",
            self.fluid.as_str(),
            self.scale.as_str(),
            self.unit.as_str(),
            self.anchor
        )
    }

    pub(crate) fn with_fluid(self, fluid: Fluid) -> View {
        let unit = if Shown::of(fluid).contains(&self.unit) {
            self.unit
        } else {
            Shown::of(fluid)[0]
        };
        View {
            fluid,
            unit,
            ..self
        }
    }
}

pub(crate) fn fluid_class(fluid: Fluid) -> &'static str {
    fluid.as_str()
}
