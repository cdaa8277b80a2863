//! What a study may ask each participant's pod to contribute: a figure a
//! service of the pods knows for a month (electricity, gas, water), put in a
//! bucket. A researcher picks one; the pod computes its bucket itself and only
//! the two shares of it leave, sealed.

use crate::vdaf::Measure;

/// One contribution a study may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contribution {
    /// Stable id, kept in the study.
    pub id: &'static str,
    /// The monthly figure of the pods' services it is made from.
    pub figure: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
    /// The unit buckets are shown in.
    pub unit: &'static str,
    /// Base units (Wh, litres) per shown unit.
    pub per_unit: i64,
    /// Width of a bucket, in shown units.
    pub width: u64,
    /// How many buckets; the last holds everything above.
    pub buckets: usize,
}

/// Every contribution a study may ask for.
pub const CATALOGUE: [Contribution; 3] = [
    Contribution {
        id: "electricity-month",
        figure: "electricity",
        fr: "Électricité consommée dans le mois (tranches de 50 kWh)",
        en: "Electricity used in the month (bands of 50 kWh)",
        unit: "kWh",
        per_unit: 1000,
        width: 50,
        buckets: 20,
    },
    Contribution {
        id: "gas-month",
        figure: "gas",
        fr: "Gaz consommé dans le mois (tranches de 100 kWh)",
        en: "Gas used in the month (bands of 100 kWh)",
        unit: "kWh",
        per_unit: 1000,
        width: 100,
        buckets: 20,
    },
    Contribution {
        id: "water-month",
        figure: "water",
        fr: "Eau consommée dans le mois (tranches de 1 000 litres)",
        en: "Water used in the month (bands of 1,000 litres)",
        unit: "L",
        per_unit: 1,
        width: 1000,
        buckets: 20,
    },
];

/// The contribution of this id.
pub fn contribution(id: &str) -> Option<&'static Contribution> {
    CATALOGUE.iter().find(|c| c.id == id)
}

impl Contribution {
    /// What the aggregators add up.
    pub fn measure(&self) -> Measure {
        Measure::Histogram {
            buckets: self.buckets,
        }
    }

    /// The bucket of a monthly figure in base units (a negative figure, which
    /// no meter gives, is in the first).
    pub fn bucket(&self, base: i64) -> u64 {
        let shown = u64::try_from(base.max(0) / self.per_unit.max(1)).unwrap_or(0);
        (shown / self.width.max(1)).min(self.buckets as u64 - 1)
    }

    /// The bucket's bounds in shown units: from, and to (`None` for the last).
    pub fn bounds(&self, bucket: usize) -> (u64, Option<u64>) {
        let from = bucket as u64 * self.width;
        if bucket + 1 >= self.buckets {
            (from, None)
        } else {
            (from, Some(from + self.width))
        }
    }

    /// The bucket's label, e.g. `50–100 kWh` or `≥ 950 kWh`.
    pub fn label(&self, bucket: usize) -> String {
        match self.bounds(bucket) {
            (from, Some(to)) => format!("{from}–{to} {}", self.unit),
            (from, None) => format!("≥ {from} {}", self.unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_falls_in_its_band_and_the_last_band_holds_everything_above() {
        let e = contribution("electricity-month").unwrap();
        assert_eq!(e.bucket(0), 0);
        assert_eq!(e.bucket(49_999), 0);
        assert_eq!(e.bucket(50_000), 1);
        assert_eq!(e.bucket(312_000), 6);
        assert_eq!(e.bucket(99_000_000), 19);
        assert_eq!(e.bucket(-5), 0);
        assert_eq!(e.label(1), "50–100 kWh");
        assert_eq!(e.label(19), "≥ 950 kWh");
    }
}
