//! The zip container, read safely from any `Read + Seek`.
//!
//! Two passes over the central directory, one entry at a time
//! (`zip::unstable::read::ZipIterable`, so nothing grows with the number of
//! entries but a 16-byte digest and a 16-byte range per entry):
//! 1. [`Container::check`] refuses the archive before any content is
//!    decompressed: too many entries, unsafe names, symbolic links,
//!    encrypted entries, duplicate names, entries whose compressed bytes
//!    overlap (the "overlapping" zip bomb) or lie past the end of the file;
//!    it also gathers what the names hint at (see [`NameHints`]).
//! 2. [`Container::walk`] hands the entries a [`Visit`] wants to it, each
//!    through a [`Capped`] reader that counts what it decompresses and stops
//!    at the caps (per entry, in total, and the ratio to the compressed size:
//!    `selfdata_sources::caps`, which the XLSX reader checks too).
//!    An entry left half read is abandoned without reading the rest.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use selfdata_sources::caps::{CapTripped, DecompressionCaps, tripped};
use sha2::{Digest, Sha256};
use zip::read::Config;
use zip::result::ZipError;
use zip::unstable::read::ZipIterable;
use zip::{CompressionMethod, ZipReadOptions};

use crate::Limits;
use crate::error::{ArchiveError, Cap, UnsafeName};

/// Fixed part of a local file header, before its name and extra field.
const LOCAL_HEADER: u64 = 30;

/// How often the progress callback is called, at most: every this many bytes
/// of the archive.
const PROGRESS_STEP: u64 = 256 * 1024;

/// What the input has done, shared with the readers stacked on it.
#[derive(Debug, Default)]
struct InputState {
    /// Bytes read from the input since the current entry was opened.
    read: Cell<u64>,
    /// While set, every read answers "end of file": how an entry is abandoned
    /// (the zip crate drains what is left of an entry when it is dropped).
    ended: Cell<bool>,
    /// The first error of the reader handed over.
    error: RefCell<Option<String>>,
}

/// How much of the input is read at once.
const INPUT_BUFFER: usize = 64 * 1024;

/// The reader handed over, buffered, counting, and able to pretend it has
/// ended. The buffer is filled whole whatever the sizes of the reads the
/// reader answers, and kept across a seek that lands inside it (the central
/// directory is walked by seeking to each header): what the layers above
/// see depends on the bytes only, so even a damaged entry decodes the same
/// way whoever hands the bytes over.
struct Input<R> {
    inner: R,
    state: Rc<InputState>,
    buf: Box<[u8]>,
    /// The input's offset of `buf[0]`, and how many bytes of `buf` hold data.
    buf_start: u64,
    buf_len: usize,
    /// Where the next read starts.
    pos: u64,
    /// Where the reader handed over stands, when known.
    inner_pos: Option<u64>,
    /// An error met after some bytes of a fill, answered to the next one.
    pending: Option<io::Error>,
}

impl<R> Input<R> {
    fn new(inner: R, state: Rc<InputState>) -> Self {
        Input {
            inner,
            state,
            buf: vec![0; INPUT_BUFFER].into_boxed_slice(),
            buf_start: 0,
            buf_len: 0,
            pos: 0,
            inner_pos: None,
            pending: None,
        }
    }

    fn failed(&self, e: io::Error) -> io::Error {
        let mut first = self.state.error.borrow_mut();
        if first.is_none() {
            *first = Some(e.to_string());
        }
        e
    }
}

impl<R: Read + Seek> Input<R> {
    /// Fills the buffer from `pos`.
    fn refill(&mut self) -> io::Result<()> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        self.buf_start = self.pos;
        self.buf_len = 0;
        if self.inner_pos != Some(self.pos) {
            self.inner_pos = None;
            self.inner
                .seek(SeekFrom::Start(self.pos))
                .map_err(|e| self.failed(e))?;
            self.inner_pos = Some(self.pos);
        }
        while self.buf_len < self.buf.len() {
            match self.inner.read(&mut self.buf[self.buf_len..]) {
                Ok(0) => break,
                Ok(n) => self.buf_len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let e = self.failed(e);
                    self.inner_pos = None;
                    if self.buf_len == 0 {
                        return Err(e);
                    }
                    self.pending = Some(e);
                    return Ok(());
                }
            }
        }
        self.inner_pos = Some(self.buf_start + self.buf_len as u64);
        Ok(())
    }
}

impl<R: Read + Seek> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.state.ended.get() || out.is_empty() {
            return Ok(0);
        }
        let end = self.buf_start + self.buf_len as u64;
        if self.pos < self.buf_start || self.pos >= end {
            self.refill()?;
            if self.buf_len == 0 {
                return Ok(0);
            }
        }
        let at = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf_len - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        self.state.read.set(self.state.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Input<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
            })?,
            SeekFrom::End(d) => {
                self.inner_pos = None;
                let p = self
                    .inner
                    .seek(SeekFrom::End(d))
                    .map_err(|e| self.failed(e))?;
                self.inner_pos = Some(p);
                p
            }
        };
        Ok(self.pos)
    }
}

/// What the entries' names hint at; names never decide alone (see the
/// crate's documentation), they break ties between Facebook and Instagram
/// and recognise an archive that holds nothing readable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameHints {
    /// Entries under a top folder `Takeout/`.
    pub takeout: u64,
    /// Entries with a folder or file name holding "facebook".
    pub facebook: u64,
    /// Entries with a folder or file name holding "instagram".
    pub instagram: u64,
    /// Entries under a top folder Meta's exports use (`ads_information/`…).
    pub meta: u64,
    /// Files whose name ends in `.json`.
    pub json: u64,
    /// Files whose name ends in `.html` or `.htm`.
    pub html: u64,
}

/// Top folders of Facebook and Instagram exports, over the years.
const META_FOLDERS: [&str; 12] = [
    "ads_information",
    "ads_and_businesses",
    "apps_and_websites_off_of_facebook",
    "apps_and_websites_off_of_instagram",
    "your_facebook_activity",
    "your_instagram_activity",
    "logged_information",
    "personal_information",
    "security_and_login_information",
    "connections",
    "preferences",
    "your_activity_across_facebook",
];

impl NameHints {
    fn add(&mut self, name: &str) {
        let lower = name.to_lowercase();
        let first = lower.split('/').next().unwrap_or("");
        if first == "takeout" {
            self.takeout += 1;
        }
        if META_FOLDERS.contains(&first) {
            self.meta += 1;
        }
        if lower.contains("facebook") {
            self.facebook += 1;
        }
        if lower.contains("instagram") {
            self.instagram += 1;
        }
        if is_json(name) {
            self.json += 1;
        } else if is_html(name) {
            self.html += 1;
        }
    }
}

/// Whether `name` ends with `.ext`, in any case.
fn has_extension(name: &str, ext: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case(ext))
}

/// Whether `name` is a JSON file's (`.json`, in any case).
pub(crate) fn is_json(name: &str) -> bool {
    has_extension(name, "json")
}

/// Whether `name` is an HTML page's (`.html` or `.htm`, in any case).
pub(crate) fn is_html(name: &str) -> bool {
    has_extension(name, "html") || has_extension(name, "htm")
}

/// What the first pass found.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Listing {
    /// Files (folders left out).
    pub files: u64,
    pub hints: NameHints,
}

/// The decompression budget of a whole archive.
#[derive(Debug)]
struct Budget {
    caps: DecompressionCaps,
    total: u64,
    tripped: Option<(Option<String>, Cap)>,
}

/// Reports how far into the archive the reading is.
pub(crate) struct Progress<'p> {
    callback: &'p mut dyn FnMut(u64),
    reported: u64,
    at: u64,
}

impl<'p> Progress<'p> {
    pub(crate) fn new(callback: &'p mut dyn FnMut(u64)) -> Self {
        Progress {
            callback,
            reported: 0,
            at: 0,
        }
    }

    fn advance(&mut self, to: u64) {
        self.at = self.at.max(to);
        if self.at >= self.reported + PROGRESS_STEP {
            self.reported = self.at;
            (self.callback)(self.at);
        }
    }

    fn finish(&mut self, len: u64) {
        self.at = len;
        self.reported = len;
        (self.callback)(len);
    }
}

/// One entry's content: counts what it decompresses and stops at the caps.
pub(crate) struct Capped<'a, 'p, R> {
    inner: R,
    name: &'a str,
    compressed: u64,
    read: u64,
    start: u64,
    budget: &'a mut Budget,
    progress: &'a mut Progress<'p>,
    input: &'a InputState,
}

impl<R: Read> Read for Capped<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.tripped.is_some() {
            return Err(io::Error::other("cap reached"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.budget.total += n as u64;
        self.progress.advance(self.start + self.input.read.get());
        let caps = &self.budget.caps;
        if let Some(which) = tripped(self.read, self.budget.total, self.compressed, caps) {
            let cap = match which {
                CapTripped::Entry => Cap::EntrySize(caps.entry_bytes),
                CapTripped::Total => Cap::TotalSize(caps.total_bytes),
                CapTripped::Ratio => Cap::Ratio(caps.ratio),
            };
            self.budget.tripped = Some((Some(self.name.to_string()), cap));
            return Err(io::Error::other("cap reached"));
        }
        Ok(n)
    }
}

/// Why reading an entry stopped short.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The reader failed: the container tells why (a cap, the input, damage).
    Io,
    /// The visitor's own refusal.
    Archive(ArchiveError),
}

impl From<io::Error> for Fail {
    fn from(_: io::Error) -> Self {
        Fail::Io
    }
}

/// What pass 2 does with entries.
pub(crate) trait Visit {
    /// Whether to open the file `name`.
    fn wants(&mut self, name: &str) -> bool;
    /// Reads (as much as it needs of) the file `name`.
    fn read(&mut self, name: &str, content: &mut dyn Read) -> Result<(), Fail>;
}

/// A zip archive being read.
pub(crate) struct Container<R> {
    zip: ZipIterable<Input<R>>,
    state: Rc<InputState>,
    len: u64,
    limits: Limits,
}

/// The reader's own failure when it failed (the zip crate's error then
/// only follows from it), else `otherwise`.
fn read_error_or(state: &InputState, otherwise: ArchiveError) -> ArchiveError {
    state
        .error
        .borrow()
        .clone()
        .map_or(otherwise, ArchiveError::Read)
}

/// The name of an entry, as text (UTF-8, else code page 437 as zip says).
fn entry_name(raw: &[u8], decoded: Result<std::borrow::Cow<'_, str>, ZipError>) -> String {
    match decoded {
        Ok(name) => name.into_owned(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Why a name is unsafe, if it is.
pub(crate) fn check_name(raw: &[u8], max: usize) -> Result<(), UnsafeName> {
    if raw.is_empty() {
        return Err(UnsafeName::Empty);
    }
    if raw.len() > max {
        return Err(UnsafeName::TooLong(max));
    }
    if raw.iter().any(|&b| b < 0x20 || b == 0x7F) {
        return Err(UnsafeName::Control);
    }
    if raw.contains(&b'\\') {
        return Err(UnsafeName::Backslash);
    }
    if raw[0] == b'/' {
        return Err(UnsafeName::Absolute);
    }
    if raw.len() >= 2 && raw[0].is_ascii_alphabetic() && raw[1] == b':' {
        return Err(UnsafeName::Drive);
    }
    if raw.split(|&b| b == b'/').any(|segment| segment == b"..") {
        return Err(UnsafeName::Traversal);
    }
    Ok(())
}

fn digest(raw: &[u8]) -> u128 {
    let hash = Sha256::digest(raw);
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(first)
}

impl<R: Read + Seek> Container<R> {
    /// Opens `r` as a zip: finds its end record. [`ArchiveError::NotZip`]
    /// when it does not start like a zip, [`ArchiveError::Truncated`] when it
    /// does but has no end record, [`ArchiveError::TooManyEntries`] past the cap.
    pub(crate) fn open(r: R, limits: Limits) -> Result<Self, ArchiveError> {
        let state = Rc::new(InputState::default());
        let mut input = Input::new(r, state.clone());
        let start = (|| -> io::Result<(u64, [u8; 4], usize)> {
            let len = input.seek(SeekFrom::End(0))?;
            input.seek(SeekFrom::Start(0))?;
            let mut magic = [0u8; 4];
            let mut got = 0;
            while got < 4 {
                match input.read(&mut magic[got..])? {
                    0 => break,
                    n => got += n,
                }
            }
            Ok((len, magic, got))
        })();
        let (len, magic, got) = start.map_err(|e| ArchiveError::Read(e.to_string()))?;
        let zip_like = got >= 2 && magic.starts_with(b"PK");
        let zip = match ZipIterable::try_new(input, Config::default()) {
            Ok(zip) => zip,
            Err(_) if state.error.borrow().is_some() => {
                return Err(read_error_or(&state, ArchiveError::Damaged));
            }
            Err(_) if zip_like => return Err(ArchiveError::Truncated),
            Err(_) => return Err(ArchiveError::NotZip),
        };
        let count = zip.len() as u64;
        if count > limits.entries {
            return Err(ArchiveError::TooManyEntries {
                count,
                max: limits.entries,
            });
        }
        Ok(Container {
            zip,
            state,
            len,
            limits,
        })
    }

    /// Pass 1: every entry's metadata checked, nothing decompressed.
    pub(crate) fn check(&mut self) -> Result<Listing, ArchiveError> {
        let limits = self.limits;
        let mut listing = Listing::default();
        let mut seen: HashSet<u128> = HashSet::new();
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let files = self.zip.files().map_err(|_| ArchiveError::Damaged)?;
        let mut count = 0u64;
        for entry in files {
            let Ok(entry) = entry else {
                return Err(read_error_or(&self.state, ArchiveError::Damaged));
            };
            count += 1;
            if count > limits.entries {
                return Err(ArchiveError::TooManyEntries {
                    count,
                    max: limits.entries,
                });
            }
            let raw = entry.name_raw();
            let name = entry_name(raw, entry.name());
            if let Err(why) = check_name(raw, limits.name_bytes) {
                return Err(ArchiveError::UnsafeName { name, why });
            }
            if entry.is_symlink() {
                return Err(ArchiveError::Symlink { name });
            }
            if entry.encrypted() {
                return Err(ArchiveError::Encrypted { name });
            }
            if !seen.insert(digest(raw)) {
                return Err(ArchiveError::Duplicate { name });
            }
            let start = entry.header_start();
            let end = start
                .saturating_add(LOCAL_HEADER + raw.len() as u64)
                .saturating_add(entry.compressed_size());
            ranges.push((start, end));
            if !entry.is_dir() {
                listing.files += 1;
                listing.hints.add(&name);
            }
        }
        ranges.sort_unstable();
        for pair in ranges.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(ArchiveError::TooLarge {
                    name: None,
                    cap: Cap::Overlap,
                });
            }
        }
        if ranges.last().is_some_and(|&(_, end)| end > self.len) {
            return Err(ArchiveError::Truncated);
        }
        Ok(listing)
    }

    /// Pass 2: the files `visit` wants, read through the caps. Returns the
    /// bytes decompressed.
    pub(crate) fn walk(
        &mut self,
        visit: &mut dyn Visit,
        progress: &mut Progress<'_>,
    ) -> Result<u64, ArchiveError> {
        let mut budget = Budget {
            caps: DecompressionCaps {
                entry_bytes: self.limits.entry_bytes,
                total_bytes: self.limits.total_bytes,
                ratio: self.limits.ratio,
                ratio_free_bytes: self.limits.ratio_free_bytes,
            },
            total: 0,
            tripped: None,
        };
        let state = self.state.clone();
        let files = self.zip.files().map_err(|_| ArchiveError::Damaged)?;
        while let Some(entry) = files.next() {
            let Ok(entry) = entry else {
                return Err(read_error_or(&state, ArchiveError::Damaged));
            };
            let start = entry.header_start();
            let compressed = entry.compressed_size();
            let name = entry_name(entry.name_raw(), entry.name());
            if entry.is_dir() || !visit.wants(&name) {
                progress.advance(start + compressed);
                continue;
            }
            if !matches!(
                entry.compression(),
                CompressionMethod::Stored | CompressionMethod::Deflated
            ) {
                return Err(ArchiveError::Unsupported { name });
            }
            state.read.set(0);
            let file = match entry.with_reader(files.reader_mut(), ZipReadOptions::new()) {
                Ok(file) => file,
                Err(_) if state.error.borrow().is_some() => {
                    return Err(read_error_or(&state, ArchiveError::Damaged));
                }
                Err(
                    ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_),
                ) => {
                    return Err(ArchiveError::Unsupported { name });
                }
                Err(_) => return Err(ArchiveError::DamagedEntry { name }),
            };
            let mut capped = Capped {
                inner: file,
                name: &name,
                compressed,
                read: 0,
                start,
                budget: &mut budget,
                progress,
                input: &state,
            };
            let result = visit.read(&name, &mut capped);
            // Whatever is left of the entry is not read: the input pretends
            // to end while the zip crate drains it.
            state.ended.set(true);
            drop(capped);
            state.ended.set(false);
            match result {
                Ok(()) => {}
                Err(Fail::Archive(e)) => return Err(e),
                Err(Fail::Io) => {
                    if let Some((name, cap)) = budget.tripped.take() {
                        return Err(ArchiveError::TooLarge { name, cap });
                    }
                    return Err(read_error_or(&state, ArchiveError::DamagedEntry { name }));
                }
            }
            progress.advance(start + compressed);
        }
        progress.finish(self.len);
        Ok(budget.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers at most three bytes a read.
    struct Dribble(io::Cursor<Vec<u8>>);

    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3);
            self.0.read(&mut buf[..n])
        }
    }

    impl Seek for Dribble {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.0.seek(pos)
        }
    }

    #[test]
    fn the_input_reads_the_same_bytes_whatever_the_reader_answers() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut input = Input::new(Dribble(io::Cursor::new(data.clone())), Rc::default());
        assert_eq!(input.seek(SeekFrom::End(0)).unwrap(), 200_000);
        for (at, len) in [(0, 10), (70_000, 100), (65_530, 20), (5, 3), (199_990, 50)] {
            input.seek(SeekFrom::Start(at)).unwrap();
            let mut got = vec![0; len];
            let n = input.read(&mut got).unwrap();
            assert!(n > 0);
            let end = (at as usize + n).min(data.len());
            assert_eq!(&got[..n], &data[at as usize..end], "at {at}");
        }
        input.seek(SeekFrom::Start(0)).unwrap();
        let mut all = Vec::new();
        input.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        assert_eq!(input.seek(SeekFrom::Current(-10)).unwrap(), 199_990);
        assert!(input.seek(SeekFrom::Current(-300_000)).is_err());
    }

    #[test]
    fn unsafe_names_are_named_for_what_they_do() {
        let max = 1024;
        assert_eq!(check_name(b"Takeout/My Activity/a.json", max), Ok(()));
        assert_eq!(check_name(b"a/..b/c..", max), Ok(()));
        assert_eq!(
            check_name(b"a/../../etc/passwd", max),
            Err(UnsafeName::Traversal)
        );
        assert_eq!(check_name(b"..", max), Err(UnsafeName::Traversal));
        assert_eq!(check_name(b"/etc/passwd", max), Err(UnsafeName::Absolute));
        assert_eq!(check_name(b"C:/Windows", max), Err(UnsafeName::Drive));
        assert_eq!(check_name(b"a\\..\\b", max), Err(UnsafeName::Backslash));
        assert_eq!(check_name(b"a\nb", max), Err(UnsafeName::Control));
        assert_eq!(check_name(b"", max), Err(UnsafeName::Empty));
        assert_eq!(check_name(&[b'a'; 20], 10), Err(UnsafeName::TooLong(10)));
    }
}
