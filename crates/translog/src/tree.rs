//! RFC 6962 / RFC 9162 Merkle trees over a store of complete-subtree hashes.
//!
//! A node is named by [`NodeId`] `(level, index)`: it covers the leaves
//! `[index << level, (index + 1) << level)`. Only *complete* subtrees are
//! ever stored, so a node, once written, never changes: appending a leaf
//! writes the leaf and the nodes it completes (at most `log2(n) + 1`), and
//! any subtree hash the proofs need is a fold over `O(log n)` stored nodes.
//! Storage is the caller's: the functions here read through [`NodeSource`]
//! and return the nodes to write, so this crate does no IO. A caller whose
//! storage is asynchronous asks first which nodes a proof will read
//! ([`inclusion_nodes`], [`consistency_nodes`], [`root_nodes`]), fetches
//! them, then computes the proof from what it fetched.

use std::cell::RefCell;
use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf: `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// A complete subtree: `2^level` leaves starting at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u32,
    pub index: u64,
}

impl NodeId {
    pub fn new(level: u32, index: u64) -> Self {
        Self { level, index }
    }
}

/// Where stored node hashes are read from.
pub trait NodeSource {
    /// The hash of a complete subtree, if stored.
    fn node(&self, id: NodeId) -> Option<Hash>;
}

impl NodeSource for HashMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

/// Why a tree could not be read or a proof not computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("the tree's node at level {} index {} is missing from storage", .0.level, .0.index)]
    MissingNode(NodeId),
    #[error("leaf {index} is not in a tree of {size} entries")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of {from} entries cannot be compared with a later tree of {to}")]
    BadRange { from: u64, to: u64 },
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("entry {index} cannot be in a log of {size} entries")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the proof has {got} hashes where a proof for these sizes has {expected}")]
    WrongLength { got: usize, expected: usize },
    #[error(
        "the proof leads to a root hash different from the checkpoint's: the log or the entry was changed"
    )]
    RootMismatch,
    #[error("the old tree size {from} is larger than the new one {to}")]
    BadRange { from: u64, to: u64 },
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The right edge of a tree: the roots of its maximal complete subtrees,
/// largest first (one per bit set in its size). Enough to append and to
/// compute the root without reading anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (level, hash), levels strictly decreasing.
    nodes: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The nodes a tree of `size` leaves keeps on its right edge.
    pub fn node_ids(size: u64) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                out.push(NodeId::new(level, start >> level));
                start += 1u64 << level;
            }
        }
        out
    }

    /// Reads the right edge of a stored tree of `size` leaves.
    pub fn load(size: u64, source: &impl NodeSource) -> Result<Self, TreeError> {
        let mut nodes = Vec::new();
        for id in Self::node_ids(size) {
            let hash = source.node(id).ok_or(TreeError::MissingNode(id))?;
            nodes.push((id.level, hash));
        }
        Ok(Self { size, nodes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree's root hash (RFC 9162 MTH).
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some((_, last)) = it.next() else {
            return EMPTY_ROOT;
        };
        it.fold(*last, |acc, (_, left)| node_hash(left, &acc))
    }

    /// Appends a leaf (its [`leaf_hash`]) and returns the nodes to store:
    /// the leaf itself and every subtree it completes.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let index = self.size;
        let mut written = vec![(NodeId::new(0, index), leaf)];
        let (mut level, mut hash) = (0u32, leaf);
        while let Some(&(l, left)) = self.nodes.last() {
            if l != level {
                break;
            }
            self.nodes.pop();
            hash = node_hash(&left, &hash);
            level += 1;
            written.push((NodeId::new(level, index >> level), hash));
        }
        self.nodes.push((level, hash));
        self.size += 1;
        written
    }
}

/// The hash of the leaves `[start, end)` (a range of the RFC's recursion:
/// `start` is a multiple of the largest power of two not above `end - start`).
pub fn subtree_hash(source: &impl NodeSource, start: u64, end: u64) -> Result<Hash, TreeError> {
    let len = end - start;
    if len.is_power_of_two() && start.is_multiple_of(len) {
        let level = len.trailing_zeros();
        let id = NodeId::new(level, start >> level);
        return source.node(id).ok_or(TreeError::MissingNode(id));
    }
    let k = split(len);
    let left = subtree_hash(source, start, start + k)?;
    let right = subtree_hash(source, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root hash of the tree's first `size` leaves.
pub fn root_at(source: &impl NodeSource, size: u64) -> Result<Hash, TreeError> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    subtree_hash(source, 0, size)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves
/// (RFC 9162 §2.1.3.1), leaf-side first.
pub fn inclusion_proof(
    source: &impl NodeSource,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError> {
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    path(source, index, 0, size, &mut out)?;
    Ok(out)
}

fn path(
    source: &impl NodeSource,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), TreeError> {
    let n = end - start;
    if n == 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(source, m, start, start + k, out)?;
        out.push(subtree_hash(source, start + k, end)?);
    } else {
        path(source, m - k, start + k, end, out)?;
        out.push(subtree_hash(source, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof between the tree of `from` leaves and the tree
/// of `to` leaves (RFC 9162 §2.1.4.1). Empty when `from` is 0 or equals `to`.
pub fn consistency_proof(
    source: &impl NodeSource,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, TreeError> {
    if from > to {
        return Err(TreeError::BadRange { from, to });
    }
    let mut out = Vec::new();
    if from == 0 || from == to {
        return Ok(out);
    }
    subproof(source, from, 0, to, true, &mut out)?;
    Ok(out)
}

fn subproof(
    source: &impl NodeSource,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), TreeError> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(subtree_hash(source, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(source, m, start, start + k, whole, out)?;
        out.push(subtree_hash(source, start + k, end)?);
    } else {
        subproof(source, m - k, start + k, end, false, out)?;
        out.push(subtree_hash(source, start, start + k)?);
    }
    Ok(())
}

/// A source that answers every read with zeros and remembers what was read:
/// the access pattern of the proofs does not depend on hash values.
struct Recorder(RefCell<Vec<NodeId>>);

impl NodeSource for Recorder {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.0.borrow_mut().push(id);
        Some([0; 32])
    }
}

fn recorded(run: impl FnOnce(&Recorder)) -> Vec<NodeId> {
    let recorder = Recorder(RefCell::new(Vec::new()));
    run(&recorder);
    let mut ids = recorder.0.into_inner();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The stored nodes [`inclusion_proof`] reads (`O(log n)` of them).
pub fn inclusion_nodes(index: u64, size: u64) -> Vec<NodeId> {
    recorded(|r| {
        let _ = inclusion_proof(r, index, size);
    })
}

/// The stored nodes [`consistency_proof`] reads.
pub fn consistency_nodes(from: u64, to: u64) -> Vec<NodeId> {
    recorded(|r| {
        let _ = consistency_proof(r, from, to);
    })
}

/// The stored nodes [`root_at`] reads.
pub fn root_nodes(size: u64) -> Vec<NodeId> {
    recorded(|r| {
        let _ = root_at(r, size);
    })
}

/// The root of a list of leaf hashes, computed from scratch (for checking a
/// whole downloaded log against a checkpoint).
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    let mut frontier = Frontier::new();
    for leaf in leaves {
        frontier.append(*leaf);
    }
    frontier.root()
}

/// Checks that `leaf` (a [`leaf_hash`]) is entry `index` of the tree of
/// `size` entries whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                expected: inclusion_len(index, size),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            expected: inclusion_len(index, size),
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

fn inclusion_len(index: u64, size: u64) -> usize {
    inclusion_proof(&Recorder(RefCell::new(Vec::new())), index, size)
        .map(|p| p.len())
        .unwrap_or(0)
}

fn consistency_len(from: u64, to: u64) -> usize {
    consistency_proof(&Recorder(RefCell::new(Vec::new())), from, to)
        .map(|p| p.len())
        .unwrap_or(0)
}

/// Checks that the tree of `from` entries with root `old_root` is a prefix
/// of the tree of `to` entries with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    from: u64,
    to: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::BadRange { from, to });
    }
    let wrong_length = || ProofError::WrongLength {
        got: proof.len(),
        expected: consistency_len(from, to),
    };
    if from == to {
        if !proof.is_empty() {
            return Err(wrong_length());
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if from == 0 {
        // Every tree extends the empty one.
        if !proof.is_empty() {
            return Err(wrong_length());
        }
        return if *old_root == EMPTY_ROOT {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(wrong_length());
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (from - 1, to - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(wrong_length());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_length());
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// A tree held in memory (tests, benchmarks, tools): the leaves' hashes
/// and every complete subtree, by level.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Appends an entry's bytes; returns its index.
    pub fn push(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf(leaf_hash(entry))
    }

    /// Appends a leaf hash; returns its index.
    pub fn push_leaf(&mut self, leaf: Hash) -> u64 {
        let index = self.frontier.size();
        for (id, hash) in self.frontier.append(leaf) {
            let level = id.level as usize;
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            debug_assert_eq!(self.levels[level].len() as u64, id.index);
            self.levels[level].push(hash);
        }
        index
    }
}

impl NodeSource for MemoryTree {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.levels
            .get(id.level as usize)
            .and_then(|l| l.get(id.index as usize))
            .copied()
    }
}
