//! The caps a reader of an untrusted zip checks as an entry decompresses:
//! one entry's size, all the entries' size together, and the ratio to the
//! entry's compressed size once past a size where ratios mean nothing. The
//! sizes a zip declares are never trusted: the reader counts what it reads
//! and asks [`tripped`] after every read. Pure arithmetic, no zip: each
//! reader keeps its own counting wrapper and says in its own words which
//! cap was broken.

/// What the entries of one zip may decompress to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressionCaps {
    /// Most bytes one entry may decompress to.
    pub entry_bytes: u64,
    /// Most bytes all the entries read may decompress to, together.
    pub total_bytes: u64,
    /// Most times an entry may be larger than its compressed bytes, once it
    /// is past `ratio_free_bytes`.
    pub ratio: u64,
    /// Below this size an entry's compression ratio is not checked.
    pub ratio_free_bytes: u64,
}

/// Which cap was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapTripped {
    /// One entry past [`DecompressionCaps::entry_bytes`].
    Entry,
    /// All the entries read past [`DecompressionCaps::total_bytes`].
    Total,
    /// One entry past [`DecompressionCaps::ratio`] times its compressed size.
    Ratio,
}

/// The first cap broken, in the order entry, total, ratio, once `read`
/// bytes of an entry of `compressed` bytes, and `total` bytes of all the
/// entries, have been decompressed; `None` while within them all.
pub fn tripped(
    read: u64,
    total: u64,
    compressed: u64,
    caps: &DecompressionCaps,
) -> Option<CapTripped> {
    if read > caps.entry_bytes {
        Some(CapTripped::Entry)
    } else if total > caps.total_bytes {
        Some(CapTripped::Total)
    } else if read > caps.ratio_free_bytes && read > compressed.saturating_mul(caps.ratio) {
        Some(CapTripped::Ratio)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: DecompressionCaps = DecompressionCaps {
        entry_bytes: 1000,
        total_bytes: 3000,
        ratio: 10,
        ratio_free_bytes: 100,
    };

    #[test]
    fn each_cap_trips_just_past_its_value_the_entry_first() {
        assert_eq!(tripped(1000, 3000, 100, &CAPS), None);
        assert_eq!(tripped(1001, 3000, 1000, &CAPS), Some(CapTripped::Entry));
        assert_eq!(tripped(1001, 3001, 1, &CAPS), Some(CapTripped::Entry));
        assert_eq!(tripped(500, 3001, 1, &CAPS), Some(CapTripped::Total));
        assert_eq!(tripped(501, 501, 50, &CAPS), Some(CapTripped::Ratio));
        assert_eq!(tripped(500, 500, 50, &CAPS), None);
    }

    #[test]
    fn a_small_entry_may_compress_any_amount() {
        assert_eq!(tripped(100, 100, 0, &CAPS), None);
        assert_eq!(tripped(101, 101, 0, &CAPS), Some(CapTripped::Ratio));
        // A declared compressed size near the top does not overflow.
        assert_eq!(tripped(1000, 1000, u64::MAX, &CAPS), None);
    }
}
