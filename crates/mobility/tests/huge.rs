//! A `Records.json` of about 60 MB, produced on the fly by a reader (never
//! written to disk, never held whole), is streamed by
//! `records_from_reader` one location at a time: every point arrives, in
//! order, and the memory the process holds meanwhile stays a small fraction
//! of the file. Memory is measured for the whole process: this file holds
//! one test.

use std::io::Read;

use selfdata_mobility::import::records_from_reader;

/// A `kB` line of `/proc/self/status`, in bytes.
fn status(key: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    let kb: usize = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

/// The most memory the process held while `f` ran, above what it held
/// before (Linux: the peak resident size, reset through `clear_refs`).
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status("VmRSS:");
    let out = f();
    (out, status("VmHWM:").saturating_sub(before))
}

const MB: usize = 1024 * 1024;
/// 2022-01-01T00:00:00Z.
const T0: i64 = 1_640_995_200;

/// A Takeout `Records.json` of `n` locations, one a minute, written as
/// Takeout writes it (pretty-printed, an activity list on every tenth),
/// produced as it is read.
struct Records {
    n: usize,
    next: usize,
    buf: Vec<u8>,
    pos: usize,
    produced: usize,
    done: bool,
}

impl Records {
    fn new(n: usize) -> Records {
        Records {
            n,
            next: 0,
            buf: b"{\n  \"locations\": [".to_vec(),
            pos: 0,
            produced: 0,
            done: false,
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if self.next == self.n {
            if !self.done {
                self.buf.extend_from_slice(b"]\n}\n");
                self.done = true;
            }
            return;
        }
        let i = self.next as i64;
        let sep = if self.next == 0 { "" } else { ", " };
        let t = jiff::Timestamp::from_second(T0 + i * 60).unwrap();
        let activity = if self.next.is_multiple_of(10) {
            format!(
                ",\n    \"activity\": [{{\n      \"timestamp\": \"{t}\",\n      \"activity\": [{{\n        \"type\": \"STILL\",\n        \"confidence\": 100\n      }}]\n    }}]"
            )
        } else {
            String::new()
        };
        let entry = format!(
            "{sep}{{\n    \"latitudeE7\": {},\n    \"longitudeE7\": {},\n    \"accuracy\": {},\n    \"source\": \"WIFI\",\n    \"deviceTag\": -1234567890,\n    \"platformType\": \"ANDROID\",\n    \"timestamp\": \"{t}\"{activity}\n  }}",
            461_600_000 + (i % 5_000),
            -11_500_000 - (i % 7_000),
            10 + i % 40,
        );
        self.buf.extend_from_slice(entry.as_bytes());
        self.next += 1;
    }
}

impl Read for Records {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.refill();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.produced += n;
        Ok(n)
    }
}

#[test]
fn a_60_mb_records_json_is_streamed_one_location_at_a_time_in_bounded_memory() {
    let n = 300_000;
    let mut reader = Records::new(n);
    let mut seen = 0usize;
    let mut last_t = i64::MIN;
    let mut in_order = true;
    let (count, peak) = peak_during(|| {
        records_from_reader(&mut reader, |p| {
            in_order &= p.t > last_t;
            last_t = p.t;
            seen += 1;
        })
    });
    let size = reader.produced;
    assert!(size > 50 * MB, "only {} MB generated", size / MB);
    assert_eq!(count.unwrap(), n);
    assert_eq!(seen, n);
    assert!(in_order);
    assert_eq!(last_t, T0 + (n as i64 - 1) * 60);
    // A buffer and one location; a copy of the file, or the points kept
    // (24 bytes each, 7 MB), would be far above.
    let bound = 4 * MB;
    assert!(
        peak < bound,
        "{} kB held while streaming a {} MB file (bound {} MB)",
        peak / 1024,
        size / MB,
        bound / MB
    );
}
