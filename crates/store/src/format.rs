//! The data folder's format version: `<data>/format`, one line of text
//! (`selfdata data folder, format 1`), readable without the master key.
//!
//! Opening a folder (after taking its lock, before any database is
//! touched):
//! - a new folder gets the current format;
//! - a folder of an earlier format is brought forward by [`MIGRATIONS`],
//!   one step at a time, the file rewritten after each step (so a crash
//!   between two steps resumes at the right one);
//! - a folder written by a newer selfdata is refused with a sentence that
//!   says so, and nothing in it is changed: an older binary must not guess
//!   at a layout it does not know.
//!
//! Folders written before this file existed (format 0) hold their version
//! in each database (`PRAGMA user_version`), which opening already brings
//! forward, so the step from 0 to 1 only writes the file.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::StoreError;

/// The format this build writes.
pub const DATA_FORMAT: u32 = 1;

/// The file's name inside the data folder.
pub const FORMAT_FILE: &str = "format";

const PREFIX: &str = "selfdata data folder, format ";

/// A migration from format `n` to `n + 1` (index `n`).
type Migration = fn(&Path) -> Result<(), StoreError>;

/// The steps forward, index `n` taking format `n` to `n + 1`.
const MIGRATIONS: [Migration; DATA_FORMAT as usize] = [from_0_to_1];

/// Format 0 (no file) to 1: the databases bring themselves forward as they
/// open; nothing else changed.
fn from_0_to_1(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// The format of the folder at `root`: `None` for a new folder (nothing in
/// it yet), 0 for a folder of the versions before the file.
pub fn read(root: &Path) -> Result<Option<u32>, StoreError> {
    let path = root.join(FORMAT_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .strip_prefix(PREFIX)
            .and_then(|n| n.parse().ok())
            .map(Some)
            .ok_or_else(|| {
                StoreError::Io(format!(
                    "{} is damaged: it should say \"{PREFIX}N\"; restore it from a backup of this folder",
                    path.display()
                ))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(root.join("host.sqlite").exists().then_some(0))
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes the format file durably (a new file renamed over the old one).
pub(crate) fn write(root: &Path, format: u32) -> Result<(), StoreError> {
    let tmp = root.join("format.writing");
    {
        let mut f = fs::File::create(&tmp)?;
        writeln!(f, "{PREFIX}{format}")?;
        f.sync_all()?;
    }
    fs::rename(&tmp, root.join(FORMAT_FILE))?;
    if let Ok(dir) = fs::File::open(root) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Brings the folder at `root` to [`DATA_FORMAT`], or refuses a newer one.
/// Call with the folder's lock held, before opening any database.
pub fn open(root: &Path) -> Result<(), StoreError> {
    let Some(mut format) = read(root)? else {
        return write(root, DATA_FORMAT);
    };
    if format > DATA_FORMAT {
        return Err(StoreError::NewerFormat {
            found: format,
            supported: DATA_FORMAT,
        });
    }
    while format < DATA_FORMAT {
        tracing::info!(
            from = format,
            to = format + 1,
            "bringing the data folder forward"
        );
        MIGRATIONS[format as usize](root)?;
        format += 1;
        write(root, format)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_folder_gets_the_current_format_and_an_old_one_is_brought_forward() {
        let dir = tempfile::tempdir().unwrap();
        open(dir.path()).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(DATA_FORMAT));
        let old = tempfile::tempdir().unwrap();
        fs::write(old.path().join("host.sqlite"), b"").unwrap();
        assert_eq!(read(old.path()).unwrap(), Some(0));
        open(old.path()).unwrap();
        assert_eq!(read(old.path()).unwrap(), Some(DATA_FORMAT));
    }

    #[test]
    fn a_newer_or_damaged_format_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FORMAT_FILE), format!("{PREFIX}99\n")).unwrap();
        let e = open(dir.path()).unwrap_err();
        assert!(e.to_string().contains("newer selfdata"), "{e}");
        assert_eq!(read(dir.path()).unwrap(), Some(99));
        fs::write(dir.path().join(FORMAT_FILE), "hello").unwrap();
        let e = open(dir.path()).unwrap_err();
        assert!(e.to_string().contains("is damaged"), "{e}");
    }
}
