//! A tamper-evident, append-only log, with no IO: RFC 6962 / RFC 9162
//! Merkle tree hashing ([`tree`]: leaf `SHA-256(0x00 ‖ entry)`, node
//! `SHA-256(0x01 ‖ left ‖ right)`), appends that write `O(log n)` nodes,
//! inclusion and consistency proofs and their verification, and signed
//! checkpoints in the C2SP `tlog-checkpoint` / `signed-note` formats with
//! Ed25519 ([`checkpoint`]).
//!
//! Whoever stores the log keeps the complete-subtree hashes by
//! [`NodeId`] and the entries' bytes; anyone holding a checkpoint and the
//! verifier key checks proofs offline.

pub mod checkpoint;
pub mod tree;

pub use checkpoint::{Checkpoint, CheckpointError, LogSigner, LogVerifier};
pub use tree::{
    EMPTY_ROOT, Frontier, Hash, MemoryTree, NodeId, NodeSource, ProofError, TreeError,
    consistency_nodes, consistency_proof, inclusion_nodes, inclusion_proof, leaf_hash, node_hash,
    root_at, root_nodes, root_of_leaves, subtree_hash, verify_consistency, verify_inclusion,
};
