//! The Certificate Transparency reference vectors (RFC 6962 trees of 1..8
//! leaves, inclusion and consistency proofs), every proof of every tree up to
//! 70 leaves against a naive recursive implementation, tampering, and
//! signed checkpoints.

use selfdata_translog::*;

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn reference() -> MemoryTree {
    let mut t = MemoryTree::new();
    for l in LEAVES {
        t.push(&hex::decode(l).unwrap());
    }
    t
}

#[test]
fn roots_match_rfc6962() {
    let t = reference();
    for (size, want) in ROOTS.iter().enumerate() {
        assert_eq!(root_at(&t, size as u64).unwrap(), h(want), "size {size}");
    }
    let mut f = Frontier::new();
    assert_eq!(f.root(), h(ROOTS[0]));
    for (i, l) in LEAVES.iter().enumerate() {
        f.append(leaf_hash(&hex::decode(l).unwrap()));
        assert_eq!(f.root(), h(ROOTS[i + 1]));
    }
}

#[test]
fn inclusion_vectors() {
    let t = reference();
    let cases: [(u64, u64, &[&str]); 2] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (index, size, want) in cases {
        let proof = inclusion_proof(&t, index, size).unwrap();
        assert_eq!(proof, want.iter().map(|s| h(s)).collect::<Vec<_>>());
        let leaf = leaf_hash(&hex::decode(LEAVES[index as usize]).unwrap());
        verify_inclusion(&leaf, index, size, &proof, &h(ROOTS[size as usize])).unwrap();
    }
}

#[test]
fn consistency_vectors() {
    let t = reference();
    let cases: [(u64, u64, &[&str]); 3] = [
        (
            2,
            8,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (from, to, want) in cases {
        let proof = consistency_proof(&t, from, to).unwrap();
        assert_eq!(
            proof,
            want.iter().map(|s| h(s)).collect::<Vec<_>>(),
            "{from}->{to}"
        );
        verify_consistency(
            from,
            to,
            &h(ROOTS[from as usize]),
            &h(ROOTS[to as usize]),
            &proof,
        )
        .unwrap();
    }
}

/// RFC 9162's definitions, straight from the text, over a list of leaf hashes.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => EMPTY_ROOT,
        1 => d[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

fn naive_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return vec![];
    }
    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
    if m < k {
        let mut p = naive_path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

fn naive_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
    if m <= k {
        let mut p = naive_subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = naive_subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

#[test]
fn every_proof_up_to_70_leaves_matches_the_rfc_and_tampering_fails() {
    let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut t = MemoryTree::new();
    for l in &leaves {
        t.push_leaf(*l);
    }
    for n in 1..=leaves.len() {
        let root = mth(&leaves[..n]);
        assert_eq!(root_at(&t, n as u64).unwrap(), root);
        for m in 0..n {
            let proof = inclusion_proof(&t, m as u64, n as u64).unwrap();
            assert_eq!(proof, naive_path(m, &leaves[..n]));
            verify_inclusion(&leaves[m], m as u64, n as u64, &proof, &root).unwrap();
            // Another entry, another index, a changed hash, a short or long proof: refused.
            let other = leaves[(m + 1) % n];
            if n > 1 {
                assert!(verify_inclusion(&other, m as u64, n as u64, &proof, &root).is_err());
                let wrong = ((m + 1) % n) as u64;
                assert!(verify_inclusion(&leaves[m], wrong, n as u64, &proof, &root).is_err());
                let mut bad = proof.clone();
                bad[0][5] ^= 1;
                assert!(verify_inclusion(&leaves[m], m as u64, n as u64, &bad, &root).is_err());
                assert!(
                    verify_inclusion(&leaves[m], m as u64, n as u64, &proof[1..], &root).is_err()
                );
            }
            let mut long = proof.clone();
            long.push([7; 32]);
            assert!(verify_inclusion(&leaves[m], m as u64, n as u64, &long, &root).is_err());
            // The nodes the proof reads are the ones announced.
            let needed = inclusion_nodes(m as u64, n as u64);
            let only: std::collections::HashMap<NodeId, Hash> = needed
                .iter()
                .map(|id| (*id, t.node(*id).unwrap()))
                .collect();
            assert_eq!(inclusion_proof(&only, m as u64, n as u64).unwrap(), proof);
        }
        for m in 0..=n {
            let old = mth(&leaves[..m]);
            let proof = consistency_proof(&t, m as u64, n as u64).unwrap();
            if m > 0 && m < n {
                assert_eq!(proof, naive_subproof(m, &leaves[..n], true));
            }
            verify_consistency(m as u64, n as u64, &old, &root, &proof).unwrap();
            if m > 0 && m < n {
                let mut bad = proof.clone();
                bad[0][0] ^= 0x80;
                assert!(verify_consistency(m as u64, n as u64, &old, &root, &bad).is_err());
                assert!(verify_consistency(m as u64, n as u64, &old, &root, &proof[1..]).is_err());
                // A rewritten history: a different old root is refused.
                let forged = mth(&leaves[1..=m]);
                assert!(verify_consistency(m as u64, n as u64, &forged, &root, &proof).is_err());
                let needed = consistency_nodes(m as u64, n as u64);
                let only: std::collections::HashMap<NodeId, Hash> = needed
                    .iter()
                    .map(|id| (*id, t.node(*id).unwrap()))
                    .collect();
                assert_eq!(consistency_proof(&only, m as u64, n as u64).unwrap(), proof);
            }
        }
        // The frontier read back from storage continues the same tree.
        let f = Frontier::load(n as u64, &t).unwrap();
        assert_eq!(f.root(), root);
        let only: std::collections::HashMap<NodeId, Hash> = root_nodes(n as u64)
            .iter()
            .map(|id| (*id, t.node(*id).unwrap()))
            .collect();
        assert_eq!(root_at(&only, n as u64).unwrap(), root);
    }
    assert_eq!(root_of_leaves(&leaves), mth(&leaves));
}

#[test]
fn missing_nodes_are_reported() {
    let empty = std::collections::HashMap::<NodeId, Hash>::new();
    assert!(matches!(
        inclusion_proof(&empty, 3, 8),
        Err(TreeError::MissingNode(_))
    ));
    assert!(matches!(
        inclusion_proof(&empty, 8, 8),
        Err(TreeError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        consistency_proof(&empty, 9, 8),
        Err(TreeError::BadRange { .. })
    ));
}

#[test]
fn signed_checkpoints_verify_and_tampering_is_caught() {
    let signer = LogSigner::from_seed("pods.example.org/log", &[9; 32]).unwrap();
    let verifier = LogVerifier::parse(&signer.verifier_key()).unwrap();
    let cp = Checkpoint {
        origin: "pods.example.org/alice".into(),
        size: 8,
        root: h(ROOTS[8]),
    };
    let note = signer.sign(&cp);
    assert!(note.starts_with("pods.example.org/alice\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} pods.example.org/log "));
    assert_eq!(verifier.verify(&note).unwrap(), cp);
    // A changed size or root breaks the signature.
    let forged = note.replacen("\n8\n", "\n9\n", 1);
    assert!(matches!(
        verifier.verify(&forged),
        Err(CheckpointError::BadSignature(_))
    ));
    // Another key's signature is not this log's.
    let other = LogSigner::from_seed("pods.example.org/log", &[8; 32]).unwrap();
    assert!(matches!(
        verifier.verify(&other.sign(&cp)),
        Err(CheckpointError::NoSignature(_))
    ));
    // A mangled key is refused.
    let vkey = signer.verifier_key();
    assert!(LogVerifier::parse(&vkey.replacen("pods", "pots", 1)).is_err());
    assert!(LogVerifier::parse("nonsense").is_err());
    assert!(LogSigner::from_seed("two words", &[1; 32]).is_err());
    // Keys whose base64 holds '+' or '/' parse too.
    for seed in 0..64u8 {
        let signer = LogSigner::from_seed("h/log", &[seed; 32]).unwrap();
        let verifier = LogVerifier::parse(&signer.verifier_key()).unwrap();
        verifier.verify(&signer.sign(&cp)).unwrap();
    }
}
