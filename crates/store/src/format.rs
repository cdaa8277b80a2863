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
//! Before the first step, the folder as it was is kept in
//! `before-upgrade/format-N-<UTC time>/` ([`keep_before_upgrade`]): its
//! databases and keys copied, its blob files (never changed once written)
//! linked. An operator who wants the older version back stops the server
//! and moves that folder's contents back; once satisfied, they delete it.
//!
//! Folders written before this file existed (format 0) hold their version
//! in each database (`PRAGMA user_version`), which opening already brings
//! forward, so the step from 0 to 1 only writes the file. Format 2 adds to
//! the host database what an older binary must not ignore: accounts the
//! operator suspended, per-pod quotas, the operator's audit log (an older
//! binary would let a suspended resident sign in) and the e-mail notices
//! residents asked for. The tables and
//! columns are added as the host database opens (idempotent, so a crash
//! between the file and the database is harmless); the step only records
//! the format.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::StoreError;

/// The format this build writes.
pub const DATA_FORMAT: u32 = 2;

/// The file's name inside the data folder.
pub const FORMAT_FILE: &str = "format";

const PREFIX: &str = "selfdata data folder, format ";

/// A migration from format `n` to `n + 1` (index `n`).
type Migration = fn(&Path) -> Result<(), StoreError>;

/// The steps forward, index `n` taking format `n` to `n + 1`.
const MIGRATIONS: [Migration; DATA_FORMAT as usize] = [from_0_to_1, from_1_to_2];

/// Format 0 (no file) to 1: the databases bring themselves forward as they
/// open; nothing else changed.
fn from_0_to_1(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Format 1 to 2: the host database's new tables and columns are made as
/// it opens (`sqlite_directory::upgrade_host`).
fn from_1_to_2(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Where the folder as it was before an upgrade is kept.
pub const BEFORE_UPGRADE: &str = "before-upgrade";

/// Files of the data folder that are not data: the lock, the disk reserve,
/// the control socket, uploads in progress, files being written.
fn is_not_data(name: &str) -> bool {
    matches!(
        name,
        "lock" | "reserve" | "control.sock" | "spool" | BEFORE_UPGRADE
    ) || name.ends_with(".writing")
        || name.ends_with(".tmp")
}

/// Keeps the folder at `root` (of format `format`) as it is, before it is
/// brought forward: `before-upgrade/format-N-<UTC>/`, written as
/// `….partial` and renamed once whole. Databases and keys are copied; the
/// files under a `blobs` folder, never changed once written, are linked
/// (copied where links are refused). Returns the copy's folder.
pub fn keep_before_upgrade(root: &Path, format: u32) -> Result<std::path::PathBuf, StoreError> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let parent = root.join(BEFORE_UPGRADE);
    fs::create_dir_all(&parent)?;
    let done = parent.join(format!("format-{format}-{stamp}"));
    let partial = parent.join(format!("format-{format}-{stamp}.partial"));
    if partial.exists() {
        fs::remove_dir_all(&partial)?;
    }
    copy_tree(root, &partial, false, true)?;
    fs::rename(&partial, &done)?;
    if let Ok(dir) = fs::File::open(&parent) {
        let _ = dir.sync_all();
    }
    tracing::info!(copy = %done.display(), "the data folder as it was is kept before the upgrade");
    Ok(done)
}

/// Copies the data under `from` into `to` (made), durably; files inside a
/// `blobs` folder are linked.
fn copy_tree(from: &Path, to: &Path, in_blobs: bool, top: bool) -> Result<(), StoreError> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(text) = name.to_str() else { continue };
        if top && is_not_data(text) {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, in_blobs || text == "blobs", false)?;
        } else if kind.is_file() && !(in_blobs && fs::hard_link(entry.path(), &target).is_ok()) {
            fs::copy(entry.path(), &target)?;
            fs::File::open(&target)?.sync_all()?;
        }
    }
    if let Ok(dir) = fs::File::open(to) {
        let _ = dir.sync_all();
    }
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
    if format < DATA_FORMAT {
        keep_before_upgrade(root, format)?;
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
        assert!(!dir.path().join(BEFORE_UPGRADE).exists(), "nothing to keep");
        let old = tempfile::tempdir().unwrap();
        fs::write(old.path().join("host.sqlite"), b"old").unwrap();
        fs::create_dir_all(old.path().join("pods/camille/blobs/ab")).unwrap();
        fs::write(old.path().join("pods/camille/blobs/ab/cd"), b"blob").unwrap();
        fs::write(old.path().join("lock"), b"").unwrap();
        assert_eq!(read(old.path()).unwrap(), Some(0));
        open(old.path()).unwrap();
        assert_eq!(read(old.path()).unwrap(), Some(DATA_FORMAT));
        // The folder as it was, kept.
        let kept: Vec<_> = fs::read_dir(old.path().join(BEFORE_UPGRADE))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(kept.len(), 1);
        let name = kept[0].file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("format-0-") && !name.ends_with(".partial"),
            "{name}"
        );
        assert_eq!(fs::read(kept[0].join("host.sqlite")).unwrap(), b"old");
        assert_eq!(
            fs::read(kept[0].join("pods/camille/blobs/ab/cd")).unwrap(),
            b"blob"
        );
        assert!(!kept[0].join("lock").exists() && !kept[0].join(FORMAT_FILE).exists());
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
