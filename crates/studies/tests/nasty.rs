//! Nasty inputs to the aggregators' parsers, replayed: truncated and padded
//! shares, lengths that claim more than they hold, a vector study asking for
//! a billion numbers, malformed messages. None may panic; none may verify.
//! The files of `tests/nasty/` (seeds of `fuzz/fuzz_targets/studies.rs`) are
//! replayed too.

use selfdata_studies::dap::{self, HpkeKeypair, Task};
use selfdata_studies::fuzzing::{check_messages, check_shares, measures};
use selfdata_studies::vdaf::{Measure, Vdaf};

fn framed(public: &[u8], input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = vec![public.len().min(255) as u8, input.len().min(255) as u8];
    out.extend_from_slice(&public[..public.len().min(255)]);
    out.extend_from_slice(&input[..input.len().min(255)]);
    out.extend_from_slice(other);
    out
}

#[test]
fn altered_truncated_and_padded_shares_never_verify_nor_panic() {
    for measure in measures() {
        let vdaf = Vdaf::new(&measure, b"fuzz").unwrap();
        let value: Vec<u64> = match measure {
            Measure::SumVec { length, .. } => vec![1; length],
            _ => vec![1],
        };
        let s = vdaf.shard(&measure, &value, &[9; 16]).unwrap();
        for input in [&s.leader_share, &s.helper_share] {
            let n = input.len();
            let cases: Vec<Vec<u8>> = vec![
                Vec::new(),
                input[..n / 2].to_vec(),
                input[..n - 1].to_vec(),
                [input.as_slice(), &[0]].concat(),
                vec![0xff; n],
            ];
            for case in cases {
                check_shares(&framed(&s.public_share, &case, &s.leader_share));
            }
        }
        check_shares(&framed(&[], &[], &[]));
        check_shares(&[0xff; 600]);
    }
}

#[test]
fn malformed_messages_and_tasks_are_refused_without_panicking() {
    let collector = HpkeKeypair::generate(1).config;
    let huge = Task {
        id: "big".into(),
        measure: Measure::SumVec {
            length: 1_000_000_000,
            max: u64::MAX,
        },
        min_batch_size: 11,
        collector_hpke_config: collector.clone(),
        epsilon_milli: None,
    };
    assert!(
        huge.check().is_err(),
        "a billion numbers are refused before any allocation"
    );
    let task = Task {
        id: "t".into(),
        measure: Measure::Histogram { buckets: 4 },
        min_batch_size: 11,
        collector_hpke_config: collector,
        epsilon_milli: None,
    };
    let report = dap::make_report(
        &task,
        &task.collector_hpke_config,
        &task.collector_hpke_config,
        &[2],
        0,
    )
    .unwrap();
    let json = serde_json::to_vec(&report).unwrap();
    for case in [
        b"".to_vec(),
        b"{".to_vec(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
        br#"{"report_id":"!!!","time":-1}"#.to_vec(),
        br#"{"reports":[{"report_id":"AAAA"}]}"#.to_vec(),
        br#"{"id":"../x","measure":{"type":"histogram","buckets":18446744073709551615},"min_batch_size":0}"#.to_vec(),
        json[..json.len() / 2].to_vec(),
        json.clone(),
    ] {
        check_messages(&case);
    }
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nasty")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        check_messages(&bytes);
        check_shares(&bytes);
    }
}
