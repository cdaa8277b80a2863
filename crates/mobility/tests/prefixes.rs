//! What a cut-off download or a damaged file does to the importers: every
//! prefix of every fixture, and every fixture with a byte changed, keeps
//! the invariants of `selfdata_mobility::fuzzing` (read, or refused with a
//! line of the file, never a panic), and a `Records.json` streamed through a reader gives exactly the
//! points it gives read whole, whatever the reader's chunk size.

use std::io::Read;
use std::path::Path;

use selfdata_mobility::fuzzing::check_import;
use selfdata_mobility::import::{Layout, import, records_from_reader};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_file_cut_anywhere_is_refused_with_a_line_or_read_never_a_panic() {
    for (name, bytes) in fixtures() {
        let whole = import(&bytes);
        for cut in 0..bytes.len() {
            check_import(&bytes[..cut]);
            if let Ok(p) = import(&bytes[..cut]) {
                assert!(
                    whole.is_ok(),
                    "{name} cut at {cut} read as {:?} though the whole file is refused",
                    p.layout
                );
            }
        }
    }
}

#[test]
fn a_file_with_a_byte_flipped_anywhere_keeps_the_importers_invariants() {
    for (_, bytes) in fixtures() {
        for at in 0..bytes.len() {
            for flip in [b'"', b'9', b'}'] {
                let mut damaged = bytes.clone();
                damaged[at] = flip;
                check_import(&damaged);
            }
        }
    }
}

/// Hands out at most `n` bytes a read.
struct Chunks<'a>(&'a [u8], usize);

impl Read for Chunks<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(out.len()).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn a_records_file_streamed_in_any_chunks_gives_the_points_read_whole() {
    let mut compared = 0;
    for (name, bytes) in fixtures() {
        let Ok(whole) = import(&bytes) else { continue };
        if whole.layout != Layout::Records {
            continue;
        }
        for chunk in [1, 7, 4096] {
            let mut streamed = Vec::new();
            let n = records_from_reader(Chunks(&bytes, chunk), |p| streamed.push(p)).unwrap();
            assert_eq!(n, whole.rows, "{name}");
            assert_eq!(streamed, whole.points, "{name} in chunks of {chunk}");
        }
        compared += 1;
    }
    assert!(compared >= 3, "only {compared} Records fixtures");
}
