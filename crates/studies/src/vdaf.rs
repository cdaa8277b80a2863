//! The four Prio3 measurements a study may ask for, behind one type.
//!
//! Each participant's value is split into two shares ([`Vdaf::shard`]); each
//! aggregator checks its share with the other's help without learning the value
//! (one round of the VDAF's verification: [`Vdaf::leader_init`],
//! [`Vdaf::helper_step`], [`Vdaf::leader_finish`]) and adds it to its running
//! total; only the two totals together give the sum ([`Vdaf::unshard`]).
//! A share, a verification state or a total crosses the API as bytes (the
//! VDAF's own encoding), so the aggregators can keep them in a database and
//! send them over HTTP; anything decoded from bytes goes through the crate's
//! decoders, which refuse a wrong length instead of trusting it.

use prio::codec::{Encode, ParameterizedDecode};
use prio::flp::Type;
use prio::vdaf::prio3::{
    Prio3, Prio3Count, Prio3Histogram, Prio3InputShare, Prio3PublicShare, Prio3Sum, Prio3SumVec,
    Prio3VerifierMessage, Prio3VerifierShare, Prio3VerifyState,
};
use prio::vdaf::xof::XofTurboShake128;
use prio::vdaf::{Aggregatable, AggregateShare, Aggregator, Client, Collector, VerifyTransition};
use serde::{Deserialize, Serialize};

use crate::Error;

/// Size of a report's nonce (its id), as DAP uses it.
pub const NONCE_SIZE: usize = 16;
/// Size of the verification key the two aggregators share, per task.
pub const VERIFY_KEY_SIZE: usize = 32;

/// The largest vector a study may ask for (buckets of a histogram, entries of a
/// vector), so a task cannot make an aggregator allocate without bound.
pub const MAX_LENGTH: usize = 1000;

/// What each participant contributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Measure {
    /// Yes or no (0 or 1); the result is how many said yes.
    Count,
    /// A number from 0 to `max`; the result is the total.
    Sum { max: u64 },
    /// `length` numbers, each from 0 to `max`; the result is the total of each.
    SumVec { length: usize, max: u64 },
    /// One of `buckets` buckets (0 to buckets − 1); the result is how many fell
    /// in each bucket.
    Histogram { buckets: usize },
}

impl Measure {
    /// How many numbers the result has.
    pub fn result_len(&self) -> usize {
        match self {
            Measure::Count | Measure::Sum { .. } => 1,
            Measure::SumVec { length, .. } => *length,
            Measure::Histogram { buckets } => *buckets,
        }
    }
}

/// The two shares of one participant's value and what both aggregators see.
#[derive(Debug, Clone)]
pub struct Sharded {
    pub public_share: Vec<u8>,
    pub leader_share: Vec<u8>,
    pub helper_share: Vec<u8>,
}

/// One report as an aggregator verifies it: its nonce (the report id), the
/// public share and this aggregator's input share, decrypted.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub nonce: [u8; NONCE_SIZE],
    pub public_share: &'a [u8],
    pub input_share: &'a [u8],
}

/// The leader's first step for one report: its state (kept until the helper
/// answers) and the verifier share it sends to the helper.
#[derive(Debug, Clone)]
pub struct LeaderInit {
    pub state: Vec<u8>,
    pub verifier_share: Vec<u8>,
}

/// A Prio3 instance for one task's measurement.
#[derive(Debug, Clone)]
pub struct Vdaf {
    kind: Kind,
    ctx: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Kind {
    Count(Prio3Count),
    Sum(Prio3Sum),
    SumVec(Prio3SumVec),
    Histogram(Prio3Histogram),
}

macro_rules! with_vdaf {
    ($kind:expr, $v:ident => $body:expr) => {
        match $kind {
            Kind::Count($v) => $body,
            Kind::Sum($v) => $body,
            Kind::SumVec($v) => $body,
            Kind::Histogram($v) => $body,
        }
    };
}

fn one(value: &[u64]) -> Result<u64, Error> {
    match value {
        [v] => Ok(*v),
        _ => Err(Error::Measurement(format!(
            "one number was expected, {} were given",
            value.len()
        ))),
    }
}

/// Checks a participant's value against the measure.
fn check(measure: &Measure, value: &[u64]) -> Result<(), Error> {
    let above = |v: u64, max: u64| {
        Err(Error::Measurement(format!(
            "{v} is above the largest value, {max}"
        )))
    };
    match measure {
        Measure::Count => match one(value)? {
            0 | 1 => Ok(()),
            v => Err(Error::Measurement(format!("{v} is neither 0 nor 1"))),
        },
        Measure::Sum { max } => match one(value)? {
            v if v > *max => above(v, *max),
            _ => Ok(()),
        },
        Measure::SumVec { length, max } => {
            if value.len() != *length {
                return Err(Error::Measurement(format!(
                    "{length} numbers were expected, {} were given",
                    value.len()
                )));
            }
            match value.iter().find(|v| *v > max) {
                Some(v) => above(*v, *max),
                None => Ok(()),
            }
        }
        Measure::Histogram { buckets } => match one(value)? {
            v if v >= *buckets as u64 => Err(Error::Measurement(format!(
                "there is no bucket {v} of {buckets}"
            ))),
            _ => Ok(()),
        },
    }
}

/// The gadget chunk length the VDAF draft recommends: about the square root of
/// the encoded length.
fn chunk_length(len: usize) -> usize {
    (len as f64).sqrt().ceil().max(1.0) as usize
}

impl Vdaf {
    /// The instance for `measure`, in the application context of `task_id` (so
    /// a report made for one task fails verification in any other).
    pub fn new(measure: &Measure, task_id: &[u8]) -> Result<Vdaf, Error> {
        let bad = |e: prio::vdaf::VdafError| Error::Measure(e.to_string());
        let too_long = |n: usize| {
            if n == 0 || n > MAX_LENGTH {
                Err(Error::Measure(format!(
                    "a study asks for 1 to {MAX_LENGTH} numbers, not {n}"
                )))
            } else {
                Ok(())
            }
        };
        let kind = match measure {
            Measure::Count => Kind::Count(Prio3Count::new_count(2).map_err(bad)?),
            Measure::Sum { max } => Kind::Sum(Prio3Sum::new_sum(2, *max).map_err(bad)?),
            Measure::SumVec { length, max } => {
                too_long(*length)?;
                let bits = 64 - max.leading_zeros() as usize;
                Kind::SumVec(
                    Prio3SumVec::new_sum_vec(
                        2,
                        u128::from(*max),
                        *length,
                        chunk_length(length * bits.max(1)),
                    )
                    .map_err(bad)?,
                )
            }
            Measure::Histogram { buckets } => {
                too_long(*buckets)?;
                Kind::Histogram(
                    Prio3Histogram::new_histogram(2, *buckets, chunk_length(*buckets))
                        .map_err(bad)?,
                )
            }
        };
        let mut ctx = b"selfdata-dap/1 ".to_vec();
        ctx.extend_from_slice(task_id);
        Ok(Vdaf { kind, ctx })
    }

    /// Splits a participant's value into two shares. The value is checked
    /// against the measure first; a participant who skips the check (a
    /// malicious one) is caught by the aggregators' verification.
    pub fn shard(
        &self,
        measure: &Measure,
        value: &[u64],
        nonce: &[u8; NONCE_SIZE],
    ) -> Result<Sharded, Error> {
        check(measure, value)?;
        let v0 = value.first().copied().unwrap_or(0);
        match &self.kind {
            Kind::Count(v) => shard(v, &self.ctx, &(v0 == 1), nonce),
            Kind::Sum(v) => shard(v, &self.ctx, &v0, nonce),
            Kind::SumVec(v) => {
                let wide: Vec<u128> = value.iter().map(|x| u128::from(*x)).collect();
                shard(v, &self.ctx, &wide, nonce)
            }
            // `check` kept the bucket below `buckets`, itself at most MAX_LENGTH.
            Kind::Histogram(v) => shard(v, &self.ctx, &(v0 as usize), nonce),
        }
    }

    /// The leader's first step for each report; `None` for a report whose share
    /// does not decode or verify.
    pub fn leader_init(
        &self,
        verify_key: &[u8; VERIFY_KEY_SIZE],
        reports: &[ReportInput<'_>],
    ) -> Vec<Option<LeaderInit>> {
        with_vdaf!(&self.kind, v => reports
            .iter()
            .map(|r| leader_init(v, &self.ctx, verify_key, r))
            .collect())
    }

    /// The helper's whole part for each report with the leader's verifier share:
    /// the verifier message to send back (`None`: rejected), and the total of
    /// the accepted reports' output shares.
    pub fn helper_step(
        &self,
        verify_key: &[u8; VERIFY_KEY_SIZE],
        reports: &[(ReportInput<'_>, &[u8])],
    ) -> (Vec<Option<Vec<u8>>>, Vec<u8>) {
        with_vdaf!(&self.kind, v => helper_step(v, &self.ctx, verify_key, reports))
    }

    /// The leader's last step: with the helper's message for each report it
    /// kept, whether it was accepted and the total of the accepted ones.
    pub fn leader_finish(&self, steps: &[(&[u8], &[u8])]) -> (Vec<bool>, Vec<u8>) {
        with_vdaf!(&self.kind, v => leader_finish(v, &self.ctx, steps))
    }

    /// An empty total.
    pub fn empty_total(&self) -> Vec<u8> {
        with_vdaf!(&self.kind, v => encode(&v.aggregate_init(&())))
    }

    /// Adds two totals of the same aggregator.
    pub fn merge(&self, a: &[u8], b: &[u8]) -> Result<Vec<u8>, Error> {
        with_vdaf!(&self.kind, v => {
            let mut a = decode_total(v, a)?;
            a.merge(&decode_total(v, b)?).map_err(|e| Error::Share(e.to_string()))?;
            Ok(encode(&a))
        })
    }

    /// Adds discrete Laplace noise to one aggregator's total, for
    /// ε-differential privacy with ε = `epsilon_milli` / 1000 (each aggregator
    /// adds its own; histograms and vectors only).
    pub fn add_noise(
        &self,
        total: &[u8],
        epsilon_milli: u32,
        count: u64,
    ) -> Result<Vec<u8>, Error> {
        use prio::dp::distributions::PureDpDiscreteLaplace;
        use prio::dp::{DifferentialPrivacyStrategy, PureDpBudget, Rational};
        use prio::vdaf::AggregatorWithNoise;
        let bad = |e: &dyn std::fmt::Display| Error::Measure(format!("noise: {e}"));
        let epsilon = Rational::from_unsigned(epsilon_milli, 1000).map_err(|e| bad(&e))?;
        let strategy =
            PureDpDiscreteLaplace::from_budget(PureDpBudget::new(epsilon).map_err(|e| bad(&e))?);
        let count = usize::try_from(count).map_err(|_| Error::Share("count too large".into()))?;
        match &self.kind {
            Kind::Histogram(v) => {
                let mut share = decode_total(v, total)?;
                v.add_noise_to_agg_share(&strategy, &(), &mut share, count)
                    .map_err(|e| bad(&e))?;
                Ok(encode(&share))
            }
            Kind::SumVec(v) => {
                let mut share = decode_total(v, total)?;
                v.add_noise_to_agg_share(&strategy, &(), &mut share, count)
                    .map_err(|e| bad(&e))?;
                Ok(encode(&share))
            }
            Kind::Count(_) | Kind::Sum(_) => Err(Error::Measure(
                "noise is added to histograms and vectors only".into(),
            )),
        }
    }

    /// The result from the leader's and the helper's totals over `count`
    /// reports. With noise, an entry may come out below zero: it reads 0.
    pub fn unshard(&self, leader: &[u8], helper: &[u8], count: u64) -> Result<Vec<u128>, Error> {
        let count = usize::try_from(count).map_err(|_| Error::Share("count too large".into()))?;
        let failed = |e: prio::vdaf::VdafError| Error::Share(e.to_string());
        match &self.kind {
            Kind::Count(v) => v
                .unshard(
                    &(),
                    [decode_total(v, leader)?, decode_total(v, helper)?],
                    count,
                )
                .map(|n| vec![u128::from(n)])
                .map_err(failed),
            Kind::Sum(v) => v
                .unshard(
                    &(),
                    [decode_total(v, leader)?, decode_total(v, helper)?],
                    count,
                )
                .map(|n| vec![u128::from(n)])
                .map_err(failed),
            Kind::SumVec(v) => v
                .unshard(
                    &(),
                    [decode_total(v, leader)?, decode_total(v, helper)?],
                    count,
                )
                .map(not_below_zero)
                .map_err(failed),
            Kind::Histogram(v) => v
                .unshard(
                    &(),
                    [decode_total(v, leader)?, decode_total(v, helper)?],
                    count,
                )
                .map(not_below_zero)
                .map_err(failed),
        }
    }
}

/// A total cannot reach 2^127; an entry that large is noise below zero,
/// wrapped around the field: it reads 0.
fn not_below_zero(values: Vec<u128>) -> Vec<u128> {
    values
        .into_iter()
        .map(|v| if v >= 1 << 127 { 0 } else { v })
        .collect()
}

fn encode<T: Encode>(value: &T) -> Vec<u8> {
    // Encoding a value this crate made cannot fail: the VDAF's types always
    // know their length.
    value.get_encoded().unwrap_or_default()
}

type Prio3Of<T> = Prio3<T, XofTurboShake128, VERIFY_KEY_SIZE>;

fn decode_total<T: Type>(v: &Prio3Of<T>, bytes: &[u8]) -> Result<AggregateShare<T::Field>, Error> {
    AggregateShare::get_decoded_with_param(&(v, &()), bytes)
        .map_err(|e| Error::Share(format!("a total does not decode: {e}")))
}

fn shard<T: Type>(
    v: &Prio3Of<T>,
    ctx: &[u8],
    measurement: &T::Measurement,
    nonce: &[u8; NONCE_SIZE],
) -> Result<Sharded, Error> {
    let (public, inputs) = v
        .shard(ctx, measurement, nonce)
        .map_err(|e| Error::Measurement(e.to_string()))?;
    let [leader, helper]: [_; 2] = inputs
        .try_into()
        .map_err(|_| Error::Share("two shares were expected".into()))?;
    Ok(Sharded {
        public_share: encode(&public),
        leader_share: encode(&leader),
        helper_share: encode(&helper),
    })
}

type Init<T> = (
    <Prio3Of<T> as Aggregator<VERIFY_KEY_SIZE, NONCE_SIZE>>::VerifyState,
    <Prio3Of<T> as Aggregator<VERIFY_KEY_SIZE, NONCE_SIZE>>::VerifierShare,
);

fn init<T: Type>(
    v: &Prio3Of<T>,
    ctx: &[u8],
    verify_key: &[u8; VERIFY_KEY_SIZE],
    agg_id: usize,
    r: &ReportInput<'_>,
) -> Option<Init<T>> {
    let public = Prio3PublicShare::get_decoded_with_param(v, r.public_share).ok()?;
    let input = Prio3InputShare::get_decoded_with_param(&(v, agg_id), r.input_share).ok()?;
    v.verify_init(verify_key, ctx, agg_id, &(), &r.nonce, &public, &input)
        .ok()
}

fn leader_init<T: Type>(
    v: &Prio3Of<T>,
    ctx: &[u8],
    verify_key: &[u8; VERIFY_KEY_SIZE],
    r: &ReportInput<'_>,
) -> Option<LeaderInit> {
    let (state, share) = init(v, ctx, verify_key, 0, r)?;
    Some(LeaderInit {
        state: encode(&state),
        verifier_share: encode(&share),
    })
}

fn helper_step<T: Type>(
    v: &Prio3Of<T>,
    ctx: &[u8],
    verify_key: &[u8; VERIFY_KEY_SIZE],
    reports: &[(ReportInput<'_>, &[u8])],
) -> (Vec<Option<Vec<u8>>>, Vec<u8>) {
    let mut total = v.aggregate_init(&());
    let messages = reports
        .iter()
        .map(|(r, leader_share)| {
            let (state, own) = init(v, ctx, verify_key, 1, r)?;
            let leader = Prio3VerifierShare::get_decoded_with_param(&state, leader_share).ok()?;
            let message = v.verifier_shares_to_message(ctx, &(), [leader, own]).ok()?;
            let encoded = encode(&message);
            match v.verify_next(ctx, state, message).ok()? {
                VerifyTransition::Finish(out) => {
                    total.accumulate(&out).ok()?;
                    Some(encoded)
                }
                VerifyTransition::Continue(..) => None,
            }
        })
        .collect();
    (messages, encode(&total))
}

fn leader_finish<T: Type>(
    v: &Prio3Of<T>,
    ctx: &[u8],
    steps: &[(&[u8], &[u8])],
) -> (Vec<bool>, Vec<u8>) {
    let mut total = v.aggregate_init(&());
    let accepted = steps
        .iter()
        .map(|(state, message)| {
            let mut step = || -> Option<()> {
                let state = Prio3VerifyState::get_decoded_with_param(&(v, 0), state).ok()?;
                let message = Prio3VerifierMessage::get_decoded_with_param(&state, message).ok()?;
                match v.verify_next(ctx, state, message).ok()? {
                    VerifyTransition::Finish(out) => total.accumulate(&out).ok(),
                    VerifyTransition::Continue(..) => None,
                }
            };
            step().is_some()
        })
        .collect();
    (accepted, encode(&total))
}

/// Decodes nothing but a report id: any 16 bytes.
pub fn nonce(bytes: &[u8]) -> Option<[u8; NONCE_SIZE]> {
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changes the first number of a share by one: the value it stands for is
    /// no longer one of the measure's (a histogram entry of 2 or −1).
    fn alter(share: &mut [u8]) {
        share[0] = if share[0] == 0xff { 0xfe } else { share[0] + 1 };
    }

    fn run(measure: &Measure, values: &[Vec<u64>]) -> Vec<u128> {
        run_with(measure, values, None).1
    }

    fn run_with(
        measure: &Measure,
        values: &[Vec<u64>],
        altered: Option<usize>,
    ) -> (Vec<bool>, Vec<u128>) {
        let (vdaf, accepted, leader_total, helper_total) = aggregate(measure, values, altered);
        let count = accepted.iter().filter(|a| **a).count() as u64;
        let result = vdaf.unshard(&leader_total, &helper_total, count).unwrap();
        (accepted, result)
    }

    /// Both aggregators' part for every value (`altered`: one report's leader
    /// share changed): which reports were accepted, and the two totals.
    fn aggregate(
        measure: &Measure,
        values: &[Vec<u64>],
        altered: Option<usize>,
    ) -> (Vdaf, Vec<bool>, Vec<u8>, Vec<u8>) {
        let vdaf = Vdaf::new(measure, b"task").unwrap();
        let key = [7u8; VERIFY_KEY_SIZE];
        let reports: Vec<([u8; 16], Sharded)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut nonce = [0u8; 16];
                nonce[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let mut sharded = vdaf.shard(measure, v, &nonce).unwrap();
                if altered == Some(i) {
                    alter(&mut sharded.leader_share);
                }
                (nonce, sharded)
            })
            .collect();
        let leader_in: Vec<_> = reports
            .iter()
            .map(|(n, s)| ReportInput {
                nonce: *n,
                public_share: &s.public_share,
                input_share: &s.leader_share,
            })
            .collect();
        let inits = vdaf.leader_init(&key, &leader_in);
        let helper_in: Vec<_> = reports
            .iter()
            .zip(&inits)
            .map(|((n, s), i)| {
                (
                    ReportInput {
                        nonce: *n,
                        public_share: &s.public_share,
                        input_share: &s.helper_share,
                    },
                    i.as_ref().unwrap().verifier_share.as_slice(),
                )
            })
            .collect();
        let (messages, helper_total) = vdaf.helper_step(&key, &helper_in);
        let steps: Vec<(&[u8], &[u8])> = inits
            .iter()
            .zip(&messages)
            .filter_map(|(i, m)| Some((i.as_ref()?.state.as_slice(), m.as_ref()?.as_slice())))
            .collect();
        let (accepted, leader_total) = vdaf.leader_finish(&steps);
        let helper_accepted: Vec<bool> = messages.iter().map(Option::is_some).collect();
        assert_eq!(
            accepted.len(),
            helper_accepted.iter().filter(|a| **a).count()
        );
        (vdaf, helper_accepted, leader_total, helper_total)
    }

    #[test]
    fn a_share_altered_to_push_a_value_out_of_range_is_rejected() {
        let m = Measure::Histogram { buckets: 4 };
        let (accepted, result) = run_with(&m, &[vec![1], vec![2], vec![2]], Some(1));
        assert_eq!(accepted, vec![true, false, true]);
        assert_eq!(result, vec![0, 1, 1, 0]);
        let m = Measure::Sum { max: 100 };
        let (accepted, result) = run_with(&m, &[vec![40], vec![2]], Some(0));
        assert_eq!(accepted, vec![false, true]);
        assert_eq!(result, vec![2]);
    }

    #[test]
    fn each_measure_adds_up_to_the_sum_of_its_values() {
        assert_eq!(run(&Measure::Count, &[vec![1], vec![0], vec![1]]), vec![2]);
        assert_eq!(
            run(&Measure::Sum { max: 500 }, &[vec![120], vec![7], vec![500]]),
            vec![627]
        );
        assert_eq!(
            run(
                &Measure::SumVec { length: 3, max: 9 },
                &[vec![1, 2, 3], vec![9, 0, 1]]
            ),
            vec![10, 2, 4]
        );
        assert_eq!(
            run(
                &Measure::Histogram { buckets: 4 },
                &[vec![0], vec![3], vec![3], vec![1]]
            ),
            vec![1, 1, 0, 2]
        );
    }

    #[test]
    fn noise_moves_a_histogram_a_little_and_never_below_zero() {
        let m = Measure::Histogram { buckets: 10 };
        let values: Vec<Vec<u64>> = (0..200u64).map(|i| vec![i % 7]).collect();
        let mut exact = vec![0u128; 10];
        for v in &values {
            exact[v[0] as usize] += 1;
        }
        let (vdaf, accepted, leader_total, helper_total) = aggregate(&m, &values, None);
        assert!(accepted.iter().all(|a| *a));
        let noisy_leader = vdaf.add_noise(&leader_total, 1000, 200).unwrap();
        let noisy_helper = vdaf.add_noise(&helper_total, 1000, 200).unwrap();
        let noisy = vdaf.unshard(&noisy_leader, &noisy_helper, 200).unwrap();
        assert_ne!(noisy, exact, "noise was added");
        for (n, e) in noisy.iter().zip(&exact) {
            assert!(n.abs_diff(*e) <= 60, "{n} is far from {e}");
        }
        assert!(
            Vdaf::new(&Measure::Count, b"x")
                .unwrap()
                .add_noise(&[], 1000, 1)
                .is_err()
        );
    }

    #[test]
    fn a_value_out_of_range_is_refused_before_sharding() {
        let m = Measure::Histogram { buckets: 4 };
        let vdaf = Vdaf::new(&m, b"t").unwrap();
        assert!(vdaf.shard(&m, &[4], &[0; 16]).is_err());
        let m = Measure::Sum { max: 10 };
        let vdaf = Vdaf::new(&m, b"t").unwrap();
        assert!(vdaf.shard(&m, &[11], &[0; 16]).is_err());
        assert!(Vdaf::new(&Measure::Histogram { buckets: 100_000 }, b"t").is_err());
    }
}
