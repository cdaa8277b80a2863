//! The access log's Merkle tree at scale: builds a log of N entries (in
//! memory, with [`selfdata_translog::MemoryTree`]: the same append code the
//! pods use, without the store), then measures proof sizes and verification
//! times at N. Prints one JSON line.

use std::time::Instant;

use selfdata_translog::{self as translog, LogSigner, LogVerifier, MemoryTree};

fn entry(i: u64) -> Vec<u8> {
    // The shape and size of a real entry.
    format!(
        r#"{{"time_ms":{},"webid":"https://pods.example.org/bob/profile/card#me","client_id":"https://app.example/id","resource":"https://pods.example.org/alice/selfdata/energy/electricity/consumption-PT30M-{}.csv","modes":["read"],"allowed":true}}"#,
        1_767_225_600_000u64 + i * 1000,
        2016 + i % 10
    )
    .into_bytes()
}

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A cheap deterministic spread of indexes.
fn pick(k: u64, n: u64) -> u64 {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) % n
}

pub fn run(entries: u64, samples: u64) -> anyhow::Result<()> {
    anyhow::ensure!(entries >= 2, "at least two entries");
    let started = Instant::now();
    let mut tree = MemoryTree::new();
    for i in 0..entries {
        tree.push(&entry(i));
    }
    let build_s = started.elapsed().as_secs_f64();
    let root = tree.root();

    let signer = LogSigner::from_seed("pods.example.org/log", &[7; 32])?;
    let verifier = LogVerifier::parse(&signer.verifier_key())?;
    let note = signer.sign(&translog::Checkpoint {
        origin: "pods.example.org/alice".into(),
        size: entries,
        root,
    });
    let mut checkpoint_us = Vec::new();
    for _ in 0..samples.min(1000) {
        let t = Instant::now();
        verifier.verify(&note)?;
        checkpoint_us.push(t.elapsed().as_secs_f64() * 1e6);
    }

    let (mut incl_bytes, mut incl_gen_us, mut incl_us) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..samples {
        let index = pick(k, entries);
        let t = Instant::now();
        let proof = translog::inclusion_proof(&tree, index, entries)?;
        incl_gen_us.push(t.elapsed().as_secs_f64() * 1e6);
        incl_bytes.push((proof.len() * 32) as f64);
        let leaf_bytes = entry(index);
        let t = Instant::now();
        translog::verify_inclusion(
            &translog::leaf_hash(&leaf_bytes),
            index,
            entries,
            &proof,
            &root,
        )?;
        incl_us.push(t.elapsed().as_secs_f64() * 1e6);
    }

    let (mut cons_bytes, mut cons_gen_us, mut cons_us) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..samples {
        let from = 1 + pick(k, entries - 1);
        let old_root = translog::root_at(&tree, from)?;
        let t = Instant::now();
        let proof = translog::consistency_proof(&tree, from, entries)?;
        cons_gen_us.push(t.elapsed().as_secs_f64() * 1e6);
        cons_bytes.push((proof.len() * 32) as f64);
        let t = Instant::now();
        translog::verify_consistency(from, entries, &old_root, &root, &proof)?;
        cons_us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let line = serde_json::json!({
        "bench": "translog",
        "storage": "memory (MemoryTree: the pods' append code, no store)",
        "entries": entries,
        "samples": samples,
        "build_s": build_s,
        "appends_per_s": entries as f64 / build_s,
        "checkpoint_bytes": note.len(),
        "checkpoint_verify_us_p50": p50(checkpoint_us),
        "inclusion_proof_bytes_p50": p50(incl_bytes.clone()),
        "inclusion_proof_bytes_max": max(&incl_bytes),
        "inclusion_generate_us_p50": p50(incl_gen_us),
        "inclusion_verify_us_p50": p50(incl_us),
        "consistency_proof_bytes_p50": p50(cons_bytes.clone()),
        "consistency_proof_bytes_max": max(&cons_bytes),
        "consistency_generate_us_p50": p50(cons_gen_us),
        "consistency_verify_us_p50": p50(cons_us),
    });
    println!("{line}");
    Ok(())
}
