//! What the aggregators do with bytes from outside, checked for the fuzzer
//! (`fuzz/fuzz_targets/studies.rs`) and the nasty cases of
//! `tests/nasty.rs`: no panic, nothing allocated from what the bytes claim,
//! garbage never verifies.

use crate::dap::{AggregateShareReq, AggregationJobInit, Collection, Report, Task};
use crate::vdaf::{Measure, ReportInput, VERIFY_KEY_SIZE, Vdaf};

/// The measures the checks use, small enough to be quick.
pub fn measures() -> [Measure; 4] {
    [
        Measure::Count,
        Measure::Sum { max: 1000 },
        Measure::SumVec { length: 3, max: 7 },
        Measure::Histogram { buckets: 5 },
    ]
}

/// Splits `data` in three parts at its first two bytes' positions.
fn parts(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (head, rest) = data.split_at(data.len().min(2));
    let a = usize::from(head.first().copied().unwrap_or(0)).min(rest.len());
    let (x, rest) = rest.split_at(a);
    let b = usize::from(head.get(1).copied().unwrap_or(0)).min(rest.len());
    let (y, z) = rest.split_at(b);
    (x, y, z)
}

/// Shares, states, messages and totals from the bytes: every step refuses
/// or succeeds, none panics, and bytes nobody sharded never verify.
pub fn check_shares(data: &[u8]) {
    let (public, input, other) = parts(data);
    let key = [3u8; VERIFY_KEY_SIZE];
    for measure in measures() {
        let Ok(vdaf) = Vdaf::new(&measure, b"fuzz") else {
            continue;
        };
        let report = ReportInput {
            nonce: [9; 16],
            public_share: public,
            input_share: input,
        };
        let first = vdaf.leader_init(&key, std::slice::from_ref(&report));
        let (messages, total) = vdaf.helper_step(&key, &[(report, other)]);
        assert!(
            messages.iter().all(Option::is_none) || input.is_empty() && public.is_empty(),
            "a helper share nobody made verified"
        );
        // The empty total a rejection leaves decodes as a total.
        assert!(vdaf.merge(&total, &vdaf.empty_total()).is_ok());
        // The leader's state is its own (never read from outside); the
        // helper's message is: any bytes as the message of a state the
        // leader made must not panic. (Whether they finish is the helper's
        // word: Prio3 is robust only when both aggregators are honest.)
        if let Some(Some(first)) = first.first() {
            let _ = vdaf.leader_finish(&[(&first.state, other)]);
        }
        let _ = vdaf.merge(input, other);
        let _ = vdaf.unshard(input, other, 11);
    }
}

/// The DAP messages from the bytes, as JSON: parsed or refused, and a task
/// that parses is checked without panicking.
pub fn check_messages(data: &[u8]) {
    let _ = serde_json::from_slice::<Report>(data);
    let _ = serde_json::from_slice::<Vec<Report>>(data);
    let _ = serde_json::from_slice::<AggregationJobInit>(data);
    let _ = serde_json::from_slice::<AggregateShareReq>(data);
    let _ = serde_json::from_slice::<Collection>(data);
    if let Ok(task) = serde_json::from_slice::<Task>(data) {
        let _ = task.check();
    }
}
