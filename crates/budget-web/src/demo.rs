//! The demo household's bank accounts as the service's demo files: the
//! pure generator (`selfdata_budget::demo::household`) handed the energy
//! demo's monthly costs, so that its EDF and water debits are the energy
//! service's bills to the cent.

use selfdata_budget::bills::KnownCost;
use selfdata_service::{DemoFile, MonthlyCost};

/// The seed of the demo household (the energy demo's too).
const SEED: u64 = 2026;

/// Two Crédit Agricole accounts over `years` up to `today`, paying `known`.
pub fn files(today: jiff::civil::Date, years: u32, known: &[MonthlyCost]) -> Vec<DemoFile> {
    let known: Vec<KnownCost> = known.iter().map(crate::housing::known_cost).collect();
    selfdata_budget::demo::household(today, years, &known, SEED)
        .into_iter()
        .map(|f| DemoFile {
            name: f.name,
            body: f.bytes.into(),
        })
        .collect()
}
