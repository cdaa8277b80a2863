//! What a cut-off download or a damaged archive does to the reader: every
//! fixture cut short at many places, and with bytes changed at many places,
//! keeps the invariants of `selfdata_archives::fuzzing` (read, or refused
//! with a sentence, never a panic; the same read whole or a few bytes at a
//! time; decompression bounded by the caps and the input's size).
//!
//! The places: spread over the file, and every one of its last bytes, where
//! the end record and the central directory (names, sizes, offsets) are.
//! The caps on what is read before a file is judged are smaller than the
//! defaults (64 KiB), so that the zip bomb is refused after 64 KiB, not a
//! megabyte, on each of its hundreds of replays.

mod common;

use selfdata_archives::Limits;
use selfdata_archives::fuzzing::check_archive_with;

fn limits() -> Limits {
    Limits {
        ratio_free_bytes: 64 << 10,
        sniff_bytes: 64 << 10,
        ..Limits::default()
    }
}

/// About `spread` places over `0..len`, the first 16 and the last `tail`.
fn places(len: usize, spread: usize, tail: usize) -> Vec<usize> {
    let step = (len / spread).max(1);
    let mut at: Vec<usize> = (0..len.min(16))
        .chain(len.saturating_sub(tail)..len)
        .chain((0..len).step_by(step))
        .collect();
    at.sort_unstable();
    at.dedup();
    at
}

#[test]
fn an_archive_cut_anywhere_keeps_the_invariants() {
    let limits = limits();
    for (_, bytes) in common::fixture_files() {
        check_archive_with(&bytes, &limits);
        for cut in places(bytes.len(), 40, 48) {
            check_archive_with(&bytes[..cut], &limits);
        }
    }
}

#[test]
fn an_archive_with_a_byte_changed_anywhere_keeps_the_invariants() {
    let limits = limits();
    for (_, bytes) in common::fixture_files() {
        for at in places(bytes.len(), 20, 40) {
            for flip in [0x00, 0xFF, b'"'] {
                let mut damaged = bytes.clone();
                damaged[at] = flip;
                check_archive_with(&damaged, &limits);
            }
        }
    }
}
