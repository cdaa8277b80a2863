//! Generated bank statements in a real bank's layout, for the demo pod and
//! the benchmark; no IO.
//!
//! [`household`] gives the demo household's two Crédit Agricole accounts
//! (a current account and a Livret A) over the same years as its energy
//! demo, one Crédit Agricole CSV file (Windows-1252, preamble and all) per
//! account and calendar year: salary, rent, the EDF monthly debit of the
//! previous month's electricity and the quarterly water bill at exactly the
//! cost the energy service knows (handed in as [`KnownCost`]s, so the bill
//! matcher links them), home insurance, a telecom box, Netflix with its
//! price change, groceries, card payments, cash, bank fees and a monthly
//! transfer to the savings account. [`history`] is the benchmark's
//! generator: ten years of several busy accounts in the same layout.
//!
//! Everything is drawn from a seed: the same seed gives the same bytes.

// Amounts are cents written `euros_cents` (`1_045_20` is 1 045,20 €).
#![allow(clippy::inconsistent_digit_grouping)]

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use selfdata_sources::rng::Rng;

use crate::bills::{KnownCost, Topic};

/// A generated statement file: its name and its bytes as the bank hands them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The demo household's current account and Livret A over `years` up to
/// the day before `today`, its EDF and water debits paying the costs in
/// `known` (a month's electricity the month after, a quarter's water the
/// month after the quarter; months under 90 % coverage are not billed).
pub fn household(today: Date, years: u32, known: &[KnownCost], seed: u64) -> Vec<DemoFile> {
    if years == 0 {
        return Vec::new();
    }
    let Ok(start) = today.checked_sub(i64::from(years).years()) else {
        return Vec::new();
    };
    let person = Person {
        holder: "M. ALICE MARTIN",
        employer: "ACME SAS",
        card: "X4821",
        city: "LYON",
    };
    let current_no = account_number(seed, 1, "1");
    let savings_no = account_number(seed, 2, "7");
    let mut g = Generator::new(seed, start, today, person);
    g.known = Some(known);
    let (current, savings) = g.accounts(&savings_no, 0.0);
    let mut files = ca_files(
        "Compte de Dépôt carte",
        &current_no,
        1_850_00,
        &current,
        start,
        today,
        person,
    );
    files.extend(ca_files(
        "Livret A",
        &savings_no,
        4_200_00,
        &savings,
        start,
        today,
        person,
    ));
    files
}

/// The day [`history`] ends on (excluded): its years are whole calendar years.
pub const HISTORY_END: Date = date(2026, 1, 1);

/// The benchmark's statements: `accounts` busy Crédit Agricole current
/// accounts (about nine transactions a day each, the household's bills plus
/// everyday card payments) over `years` calendar years up to
/// [`HISTORY_END`], one CSV file per account and year. The energy and water
/// debits follow a seasonal cost of their own.
pub fn history(seed: u64, years: u32, accounts: u32) -> Vec<DemoFile> {
    let Ok(start) = HISTORY_END.checked_sub(i64::from(years).years()) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for a in 0..accounts {
        let seed = seed ^ u64::from(a).wrapping_mul(0xA24B_AED4_963E_E407);
        let person = PEOPLE[a as usize % PEOPLE.len()];
        let number = account_number(seed, 1, &(a % 10).to_string());
        let savings = account_number(seed, 2, "7");
        let g = Generator::new(seed, start, HISTORY_END, person);
        let (current, _) = g.accounts(&savings, 7.8);
        files.extend(ca_files(
            "Compte de Dépôt carte",
            &number,
            2_400_00,
            &current,
            start,
            HISTORY_END,
            person,
        ));
    }
    files
}

// ---------------------------------------------------------------------------
// Randomness

/// An eleven-digit account number, its last digits drawn from the seed
/// (`first` tells a household's accounts apart).
fn account_number(seed: u64, stream: u64, first: &str) -> String {
    let mut rng = Rng::keyed(seed, 100 + stream, 0);
    let mut n = first.to_owned();
    while n.len() < 11 {
        n.push(char::from(b'0' + (rng.next_u64() % 10) as u8));
    }
    n
}

// ---------------------------------------------------------------------------
// The transactions

/// Whose account it is, as the bank writes them.
#[derive(Debug, Clone, Copy)]
struct Person {
    holder: &'static str,
    employer: &'static str,
    card: &'static str,
    city: &'static str,
}

const PEOPLE: [Person; 3] = [
    Person {
        holder: "M. ALICE MARTIN",
        employer: "ACME SAS",
        card: "X4821",
        city: "LYON",
    },
    Person {
        holder: "M. BRUNO PETIT",
        employer: "TRANSPORTS DUVAL",
        card: "X1934",
        city: "VILLEURBANNE",
    },
    Person {
        holder: "MME CLAIRE ROUX",
        employer: "CLINIQUE DU PARC",
        card: "X7702",
        city: "BRON",
    },
];

/// One booked line: its day, its label and its signed amount in cents.
#[derive(Debug, Clone)]
struct Row {
    date: Date,
    label: String,
    cents: i64,
}

/// Where groceries are bought.
const GROCERS: [&str; 7] = [
    "CARREFOUR MARKET",
    "INTERMARCHE",
    "LIDL",
    "MONOPRIX",
    "BIOCOOP",
    "SUPER U",
    "GRAND FRAIS",
];

/// Other card payments: the payee and the range of its amounts in cents.
const SHOPS: [(&str, i64, i64); 14] = [
    ("BOULANGERIE DU MARCHE", 1_10, 9_80),
    ("PHARMACIE CENTRALE", 4_50, 38_00),
    ("SNCF INTERNET", 19_00, 96_00),
    ("AMAZON PAYMENTS", 9_99, 79_90),
    ("DECATHLON", 12_00, 89_00),
    ("FNAC", 9_90, 64_00),
    ("BRASSERIE DES HALLES", 14_50, 62_00),
    ("PIZZERIA NAPOLI", 11_00, 38_00),
    ("UBER EATS", 16_00, 42_00),
    ("TOTALENERGIES STATION", 35_00, 78_00),
    ("CINEMA PATHE", 9_50, 28_00),
    ("IKEA", 15_00, 149_00),
    ("LEROY MERLIN", 8_90, 120_00),
    ("TCL DISTRIBUTEUR", 1_90, 19_80),
];

/// Small everyday payments of the benchmark's busy accounts.
const EVERYDAY: [(&str, i64, i64); 8] = [
    ("BOULANGERIE DU MARCHE", 90, 8_40),
    ("CAFE DE LA GARE", 1_40, 6_80),
    ("TABAC PRESSE", 1_50, 12_00),
    ("FRANPRIX", 2_30, 24_00),
    ("PARKING INDIGO", 2_00, 14_00),
    ("MCDONALDS", 6_50, 21_00),
    ("STARBUCKS", 3_90, 9_80),
    ("MARCHE FORAIN", 3_00, 27_00),
];

/// The seasonal cost of a month's electricity (winter heavy) when no known
/// cost is handed in, in cents.
fn seasonal(month: Date, base: i64) -> i64 {
    let winter = [2.0, 1.8, 1.4, 1.0, 0.7, 0.55, 0.5, 0.5, 0.6, 0.9, 1.4, 1.9];
    (base as f64 * winter[month.month() as usize - 1]).round() as i64
}

/// Draws the transactions of a current account and of the savings account
/// its monthly transfers feed.
struct Generator<'a> {
    seed: u64,
    start: Date,
    end: Date,
    person: Person,
    known: Option<&'a [KnownCost]>,
}

impl<'a> Generator<'a> {
    fn new(seed: u64, start: Date, end: Date, person: Person) -> Self {
        Self {
            seed,
            start,
            end,
            person,
            known: None,
        }
    }

    /// What a month of a fluid cost: the known cost when handed in (`None`
    /// when not known well enough to be billed), else a seasonal one.
    fn cost(&self, topic: Topic, month: Date) -> Option<i64> {
        match self.known {
            Some(known) => known
                .iter()
                .find(|c| c.topic == topic && c.month == month && c.coverage >= 0.9)
                .map(|c| c.cents),
            None => Some(match topic {
                Topic::Electricity => seasonal(month, 62_00),
                Topic::Gas => seasonal(month, 48_00),
                Topic::Water => 27_40,
            }),
        }
    }

    /// The current account's rows and the savings account's, in date
    /// order; `everyday`, how many small card payments a day besides.
    fn accounts(&self, savings_no: &str, everyday: f64) -> (Vec<Row>, Vec<Row>) {
        let p = self.person;
        let mut cur = Vec::new();
        let mut sav = Vec::new();
        let mut rng = Rng::keyed(self.seed, 1, 0);
        let card = |d: Date, payee: &str, cents: i64, rng: &mut Rng| {
            let bought = d
                .checked_sub((1 + (rng.next_u64() % 2) as i64).days())
                .unwrap_or(d);
            Row {
                date: d,
                label: format!(
                    "PAIEMENT PAR CARTE {} {payee} {:02}/{:02}",
                    p.card,
                    bought.day(),
                    bought.month()
                ),
                cents: -cents,
            }
        };
        // Netflix goes up once, half way through.
        let netflix_change = self
            .start
            .checked_add(((self.end - self.start).get_days() / 2).days())
            .unwrap_or(self.start);
        let mut d = self.start;
        while d < self.end {
            let (day, month, year) = (d.day(), d.month(), d.year());
            let first = d.first_of_month();
            let years_in = i64::from(year - self.start.year());
            let previous = first.checked_sub(1.month()).unwrap_or(first);
            if day == 2 {
                let amount = 250_00;
                cur.push(Row {
                    date: d,
                    label: format!(
                        "VIREMENT EMIS VERS LIVRET A {} ; EPARGNE MENSUELLE",
                        &savings_no[7..]
                    ),
                    cents: -amount,
                });
                sav.push(Row {
                    date: d,
                    label: format!("VIREMENT EN VOTRE FAVEUR {} ; EPARGNE MENSUELLE", p.holder),
                    cents: amount,
                });
                cur.push(Row {
                    date: d,
                    label: "COTISATION OFFRE COMPTE A COMPOSER".to_owned(),
                    cents: -(2_45 + 10 * years_in),
                });
            }
            if day == 5 {
                let rent = 820_00 + 14_50 * years_in;
                cur.push(Row {
                    date: d,
                    label: format!("PRELEVEMENT FONCIA {} ; LOYER {month:02}/{year}", p.city),
                    cents: -rent,
                });
            }
            if day == 6
                && previous >= self.start.first_of_month()
                && let Some(cost) = self.cost(Topic::Electricity, previous)
            {
                cur.push(Row {
                    date: d,
                    label: format!(
                        "PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH {:02}{:02}{:02}",
                        day,
                        month,
                        year % 100
                    ),
                    cents: -cost,
                });
            }
            if day == 10 {
                cur.push(Row {
                    date: d,
                    label: format!("PRELEVEMENT FREE TELECOM ; FREEBOX {month:02}/{year}"),
                    cents: -(39_99 + if years_in > 0 { 3_00 } else { 0 }),
                });
            }
            if day == 15 && matches!(month, 1 | 4 | 7 | 10) {
                let quarter: Vec<Date> = (1..=3)
                    .filter_map(|n| first.checked_sub(n.months()).ok())
                    .collect();
                let costs: Option<Vec<i64>> = quarter
                    .iter()
                    .map(|m| {
                        (*m >= self.start.first_of_month())
                            .then(|| self.cost(Topic::Water, *m))
                            .flatten()
                    })
                    .collect();
                if let Some(costs) = costs {
                    let q = (i32::from(month) - 1) / 3;
                    let (q, qyear) = if q == 0 { (4, year - 1) } else { (q, year) };
                    cur.push(Row {
                        date: d,
                        label: format!("PRELEVEMENT EAU DU GRAND LYON ; FACTURE T{q} {qyear}"),
                        cents: -costs.iter().sum::<i64>(),
                    });
                }
            }
            if day == 18 {
                let price = if d < netflix_change { 13_49 } else { 14_99 };
                cur.push(card(d, "NETFLIX.COM", price, &mut rng));
            }
            if month == 3 && day == 12 {
                cur.push(Row {
                    date: d,
                    label: format!("PRELEVEMENT PACIFICA ; ASSURANCE HABITATION MRH {year}"),
                    cents: -(187_40 + 6_20 * years_in),
                });
            }
            if day == 28 {
                // A busy account's everyday payments come with a larger pay.
                let salary = 2_650_00 + 55_00 * years_in + (everyday * 300_00.0) as i64;
                let extra = if month == 12 { salary / 2 } else { 0 };
                cur.push(Row {
                    date: d,
                    label: format!(
                        "VIREMENT EN VOTRE FAVEUR {} ; SALAIRE {} {year}",
                        p.employer,
                        crate::payee::MONTHS[month as usize - 1]
                    ),
                    cents: salary + extra,
                });
            }
            if month == 12 && day == 31 {
                sav.push(Row {
                    date: d,
                    label: format!("INTERETS CREDITEURS ANNEE {year}"),
                    cents: 95_00 + 12_00 * years_in,
                });
            }
            // Groceries several times a week, mostly on Saturdays.
            let groceries = match d.weekday() {
                Weekday::Saturday => 0.85,
                Weekday::Tuesday | Weekday::Thursday => 0.45,
                Weekday::Sunday => 0.05,
                _ => 0.2,
            };
            if rng.uniform() < groceries {
                let shop = *rng.pick(&GROCERS);
                let cents = rng.between(8_50, 145_00);
                cur.push(card(d, &format!("{shop} {}", p.city), cents, &mut rng));
            }
            if rng.uniform() < 0.5 && d.weekday() != Weekday::Sunday {
                let (shop, lo, hi) = *rng.pick(&SHOPS);
                let cents = rng.between(lo, hi);
                cur.push(card(d, shop, cents, &mut rng));
            }
            if rng.uniform() < 0.06 {
                let cents = *rng.pick(&[20_00, 40_00, 50_00, 60_00, 100_00]);
                cur.push(Row {
                    date: d,
                    label: format!(
                        "RETRAIT AU DISTRIBUTEUR {} {} {:02}/{:02}",
                        p.card, p.city, day, month
                    ),
                    cents: -cents,
                });
            }
            let n = (everyday + rng.uniform()) as u32;
            for _ in 0..n {
                let (shop, lo, hi) = *rng.pick(&EVERYDAY);
                let cents = rng.between(lo, hi);
                cur.push(card(d, shop, cents, &mut rng));
            }
            d = match d.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        (cur, sav)
    }
}

// ---------------------------------------------------------------------------
// The Crédit Agricole CSV

/// One file per calendar year of `rows` (in date order) over `[start, end)`,
/// the account starting at `opening` cents.
fn ca_files(
    label: &str,
    number: &str,
    opening: i64,
    rows: &[Row],
    start: Date,
    end: Date,
    person: Person,
) -> Vec<DemoFile> {
    let mut files = Vec::new();
    let mut balance = opening;
    let mut rest = rows;
    let mut year = start.year();
    while year <= end.year() {
        let from = start.max(date(year, 1, 1));
        let Ok(last) = end.yesterday() else { break };
        let to = last.min(date(year, 12, 31));
        if from > to {
            break;
        }
        let split = rest.partition_point(|r| r.date <= to);
        let (these, later) = rest.split_at(split);
        rest = later;
        balance += these.iter().map(|r| r.cents).sum::<i64>();
        if !these.is_empty() {
            let downloaded = to.tomorrow().unwrap_or(to);
            let text = ca_text(label, number, person, downloaded, from, to, balance, these);
            files.push(DemoFile {
                name: format!("CA{}_{}.csv", downloaded.strftime("%Y%m%d"), &number[7..]),
                bytes: cp1252(&text),
            });
        }
        year += 1;
    }
    files
}

/// The text of one Crédit Agricole CSV export (CRLF lines).
#[allow(clippy::too_many_arguments)]
fn ca_text(
    label: &str,
    number: &str,
    person: Person,
    downloaded: Date,
    from: Date,
    to: Date,
    balance: i64,
    rows: &[Row],
) -> String {
    let dmy = |d: Date| d.strftime("%d/%m/%Y").to_string();
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push_str("\r\n");
    };
    line(&format!("Téléchargement du {};;;", dmy(downloaded)));
    line(";;;");
    line(&format!("{};;;", person.holder));
    line(&format!("{label} n° {number};;;"));
    line(&format!("Solde au {} {} €;;;", dmy(to), amount(balance)));
    line(";;;");
    line(&format!(
        "Liste des opérations du compte entre le {} et le {};;;",
        dmy(from),
        dmy(to)
    ));
    line(";;;");
    line("Date;Libellé;Débit Euros;Crédit Euros;");
    for r in rows {
        let (debit, credit) = if r.cents < 0 {
            (amount(-r.cents), String::new())
        } else {
            (String::new(), amount(r.cents))
        };
        line(&format!(
            "{};\"{}\";{debit};{credit};",
            dmy(r.date),
            r.label.replace('"', "\"\"")
        ));
    }
    out
}

/// Cents as the bank writes them: `1 045,20` (a no-break space between
/// thousands), a leading `-` when negative.
fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let euros = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{:02}", c % 100)
}

/// Windows-1252 bytes of text made of ASCII, Latin-1 letters, `€` and
/// no-break spaces (anything else becomes `?`).
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c if (c as u32) < 0x80 || (0xA0..0x100).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_as_the_bank_writes_them() {
        assert_eq!(amount(1_045_20), "1\u{a0}045,20");
        assert_eq!(amount(2340), "23,40");
        assert_eq!(amount(-123_456_789), "-1\u{a0}234\u{a0}567,89");
        assert_eq!(amount(5), "0,05");
    }

    #[test]
    fn the_household_is_two_accounts_of_one_file_a_year_each_read_back_as_written() {
        let today = date(2026, 10, 15);
        let known: Vec<KnownCost> = (0..40)
            .map(|n| KnownCost {
                topic: Topic::Electricity,
                month: date(2023, 9, 1).checked_add(n.months()).unwrap(),
                cents: 5_000 + n,
                coverage: 1.0,
            })
            .collect();
        let files = household(today, 3, &known, 7);
        assert_eq!(files, household(today, 3, &known, 7), "seeded");
        assert_eq!(files.len(), 8, "2023 to 2026, two accounts");
        let mut numbers = std::collections::BTreeSet::new();
        let mut edf = 0;
        for f in &files {
            let parsed = crate::import::import(&f.bytes).unwrap();
            assert_eq!(parsed.holder.slug, "credit-agricole");
            let st = &parsed.statements[0];
            numbers.insert(st.account.number.clone().unwrap());
            let (from, to) = st.declared.unwrap();
            assert_eq!(st.balances[0].date, to);
            assert!(
                st.transactions
                    .iter()
                    .all(|t| from <= t.date && t.date <= to)
            );
            for t in &st.transactions {
                if t.label.contains(" EDF ") {
                    let billed = t.date.first_of_month().checked_sub(1.month()).unwrap();
                    let n = (billed.year() as i64 - 2023) * 12 + billed.month() as i64 - 9;
                    assert_eq!(t.amount, -(5_000 + n), "{t:?}");
                    edf += 1;
                }
            }
        }
        assert_eq!(numbers.len(), 2);
        assert_eq!(
            edf, 36,
            "October 2023 to September 2026, each paid the month after"
        );
    }

    #[test]
    fn the_benchmark_history_is_about_100_000_transactions_of_accounts_that_stay_afloat() {
        let files = history(1, 10, 3);
        assert_eq!(files.len(), 30, "one file per account and year");
        let mut count = 0;
        for f in &files {
            let parsed = crate::import::import(&f.bytes).unwrap();
            let st = &parsed.statements[0];
            count += st.transactions.len();
            let balance = st.balances[0].amount;
            assert!(
                (-2_000_00..200_000_00).contains(&balance),
                "{}: {balance}",
                f.name
            );
        }
        assert!((90_000..110_000).contains(&count), "{count}");
    }
}
