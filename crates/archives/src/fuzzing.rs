//! The property the fuzz target checks, shared with the replay test
//! (`tests/prefixes.rs`, over `tests/fixtures/` cut and with bytes changed)
//! so both exercise exactly the same code.
//!
//! [`check_archive`] takes arbitrary bytes and panics only when an
//! invariant of this crate is broken; an archive that is merely refused is
//! fine:
//! - the reader never panics, and reads exactly the same whether the input
//!   hands out its bytes all at once or seven at a time;
//! - progress never goes back, never passes the input's size, and ends at
//!   it when the archive is read;
//! - a refusal is a non-empty sentence in both languages, without control
//!   characters (names from the archive are escaped);
//! - what is decompressed is bounded by the caps and the input's size: at
//!   most `RATIO_FREE_BYTES` plus a read buffer per file opened, plus
//!   `MAX_RATIO` times the input (the entries' compressed bytes do not
//!   overlap, so they add up to no more than the input);
//! - the evidence kept is within its caps, its names are clean, its times in
//!   order, its counts consistent, and it is sorted by organisation key.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use selfdata_sources::Lang;

use crate::collect::MAX_EVENT_TYPES;
use crate::model::{Archive, EvidenceKind, Note};
use crate::{ArchiveError, Limits, key, read_archive_with};

/// The most a reader above the caps asks for at once (serde's buffer).
const READ_BUFFER: u64 = 64 * 1024;

/// A seekable input that hands out at most `chunk` bytes a read.
struct Chunked<'a> {
    inner: Cursor<&'a [u8]>,
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Chunked<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn clean_sentence(s: &str) {
    assert!(!s.trim().is_empty(), "an empty sentence");
    assert!(!s.chars().any(char::is_control), "{s:?}");
}

fn check_refusal(e: &ArchiveError) {
    clean_sentence(&e.sentence(Lang::En));
    clean_sentence(&e.sentence(Lang::Fr));
}

fn check_read(a: &Archive, input: u64, limits: &Limits) {
    let t = &a.tally;
    assert!(t.read <= t.opened && t.opened <= t.entries, "{t:?}");
    let bound = t.opened * (limits.ratio_free_bytes + READ_BUFFER) + input * limits.ratio;
    assert!(
        t.decompressed <= bound,
        "{} decompressed, bound {bound}",
        t.decompressed
    );
    assert!(t.decompressed <= limits.total_bytes + READ_BUFFER);
    assert!(a.evidence.len() <= limits.evidence);
    assert!(a.files.len() <= limits.files_listed);
    assert_eq!(a.files.len() as u64 + t.files_not_listed, t.read);
    if t.files_not_listed == 0 {
        assert_eq!(a.files.iter().map(|f| f.items).sum::<u64>(), t.items);
    }
    if a.evidence.is_empty() {
        assert!(a.notes.contains(&Note::NothingFound), "{:?}", a.notes);
    }
    for note in &a.notes {
        clean_sentence(&note.sentence(a.platform, Lang::En));
        clean_sentence(&note.sentence(a.platform, Lang::Fr));
    }
    for e in &a.evidence {
        let name = &e.organisation;
        assert!(!name.is_empty() && name.trim() == name, "{name:?}");
        assert!(name.chars().count() <= limits.name_chars, "{name:?}");
        assert!(!name.chars().any(char::is_control), "{name:?}");
        clean_sentence(&e.sentence(Lang::En));
        clean_sentence(&e.sentence(Lang::Fr));
        let ordered = |first: Option<jiff::Timestamp>, last: Option<jiff::Timestamp>| {
            assert_eq!(first.is_some(), last.is_some());
            if let (Some(f), Some(l)) = (first, last) {
                assert!(f <= l, "{f} after {l}");
            }
        };
        match &e.kind {
            EvidenceKind::Audience { .. } => {}
            EvidenceKind::ActivityFromElsewhere {
                events,
                first,
                last,
                types,
            } => {
                ordered(*first, *last);
                assert!(types.len() <= MAX_EVENT_TYPES);
                assert!(types.iter().map(|(_, n)| n).sum::<u64>() <= *events);
                assert!(types.windows(2).all(|w| w[0].0 < w[1].0));
            }
            EvidenceKind::ProductActivity {
                items,
                from_ads,
                first,
                last,
                ..
            } => {
                ordered(*first, *last);
                assert!(*items >= 1 && from_ads <= items && first.is_some());
            }
            EvidenceKind::AdClicks {
                clicks,
                first,
                last,
            } => {
                ordered(*first, *last);
                assert!(*clicks >= 1 && first.is_some());
            }
        }
    }
    let keys: Vec<String> = a.evidence.iter().map(|e| key(&e.organisation)).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "not sorted by key");
}

/// The reader on any bytes, with `limits`.
pub fn check_archive_with(data: &[u8], limits: &Limits) {
    let len = data.len() as u64;
    let mut last = 0u64;
    let result = read_archive_with(Cursor::new(data), limits, |p| {
        assert!(p >= last && p <= len, "progress {p} after {last}, of {len}");
        last = p;
    });
    match &result {
        Ok(a) => {
            assert_eq!(last, len, "progress did not end at the archive's size");
            check_read(a, len, limits);
        }
        Err(e) => check_refusal(e),
    }
    let chunked = read_archive_with(
        Chunked {
            inner: Cursor::new(data),
            chunk: 7,
        },
        limits,
        |_| {},
    );
    if let Ok(a) = &chunked {
        check_read(a, len, limits);
    }
    assert_eq!(
        result, chunked,
        "read whole and seven bytes at a time differ"
    );
}

/// The reader on any bytes, with the default caps.
pub fn check_archive(data: &[u8]) {
    check_archive_with(data, &Limits::default());
}
