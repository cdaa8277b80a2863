//! Room kept aside so that a full disk never leaves the owner stuck.
//!
//! At open, the store writes a file of [`RESERVE_BYTES`] in the data folder
//! (`<data>/reserve`). The first time a write fails because the disk is full
//! (`SQLITE_FULL`, `ENOSPC`, `EDQUOT`), every reserve of the process is
//! deleted, which gives SQLite room for what frees space or must not fail on
//! a full disk: deletes, sign-ins (a session row), token issuance. The failing
//! write itself is answered "storage full" (HTTP 507). The reserve is written
//! again by [`Reserve::replenish`] once the disk has room for it and a margin.
//! Opening a data folder never depends on the reserve: when it cannot be
//! written, the store starts without it and says so in the log.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;

/// Size of the reserve file.
pub const RESERVE_BYTES: u64 = 8 * 1024 * 1024;
/// Free space wanted beyond the reserve before writing it again.
const MARGIN_BYTES: u64 = 32 * 1024 * 1024;

/// The reserve files of the data folders open in this process.
static RESERVES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// How many times a reserve was released, so that a writer can tell that
/// its failed commit released room and is worth trying once more.
static RELEASES: AtomicU64 = AtomicU64::new(0);

/// Whether a reserve is released and not yet written again: until then,
/// writes that may grow a pod are refused up front, so the room is kept for
/// deletes and sign-ins.
static RELEASED: AtomicBool = AtomicBool::new(false);

/// The number of releases so far (see [`disk_full`]).
pub fn releases() -> u64 {
    RELEASES.load(Ordering::Relaxed)
}

/// Whether the disk was found full and the reserve is not back yet.
pub fn is_released() -> bool {
    RELEASED.load(Ordering::Relaxed)
}

/// Whether an IO error says the disk (or the user's disk quota) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28 | 122)) // ENOSPC, EDQUOT
}

/// Called on every "disk full" error: releases the reserves so that the
/// next requests (a delete, a sign-in) find room.
pub fn disk_full() {
    RELEASED.store(true, Ordering::Relaxed);
    for path in RESERVES.lock().iter() {
        match fs::remove_file(path) {
            Ok(()) => {
                RELEASES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    file = %path.display(),
                    "the disk is full: released the reserve so that deletes and sign-ins still work; free some space"
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "could not release the reserve"),
        }
    }
}

/// The reserve of one data folder.
#[derive(Debug)]
pub struct Reserve {
    path: PathBuf,
    root: PathBuf,
}

impl Reserve {
    /// Registers the reserve of `root` and writes it if it is missing; a
    /// full disk is logged, not an error.
    pub fn open(root: &Path) -> Self {
        let reserve = Self {
            path: root.join("reserve"),
            root: root.to_owned(),
        };
        RESERVES.lock().push(reserve.path.clone());
        let room = crate::sys::available_space(root).unwrap_or(u64::MAX);
        if room < RESERVE_BYTES / 2 {
            // Full already: the reserve gives the databases room to open.
            tracing::warn!(
                "the disk is full at start; using the reserve so that the server can start"
            );
            disk_full();
        } else if !reserve.is_whole()
            && let Err(e) = reserve.write()
        {
            tracing::warn!(
                error = %e,
                "could not write the {} MiB reserve (disk full?); starting without it",
                RESERVE_BYTES >> 20
            );
        }
        reserve
    }

    /// Whether the reserve file is there, at full size.
    pub fn is_whole(&self) -> bool {
        fs::metadata(&self.path)
            .map(|m| m.len() >= RESERVE_BYTES)
            .unwrap_or(false)
    }

    /// Writes the reserve again once the disk has room for it and a margin.
    /// Cheap when nothing was released.
    pub fn replenish(&self) {
        if self.is_whole() {
            RELEASED.store(false, Ordering::Relaxed);
            return;
        }
        let room = crate::sys::available_space(&self.root).unwrap_or(0);
        if room < RESERVE_BYTES + MARGIN_BYTES {
            return;
        }
        match self.write() {
            Ok(()) => {
                RELEASED.store(false, Ordering::Relaxed);
                tracing::info!("the disk has room again: the reserve is back");
            }
            Err(e) => tracing::warn!(error = %e, "could not write the reserve again"),
        }
    }

    /// Real bytes (not a sparse file), written durably; a partial file is removed.
    fn write(&self) -> std::io::Result<()> {
        let tmp = self.path.with_extension("writing");
        let result = (|| {
            let mut file = fs::File::create(&tmp)?;
            let chunk = vec![0u8; 1024 * 1024];
            for _ in 0..RESERVE_BYTES / chunk.len() as u64 {
                file.write_all(&chunk)?;
            }
            file.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        let mut all = RESERVES.lock();
        if let Some(i) = all.iter().position(|p| p == &self.path) {
            all.swap_remove(i);
        }
    }
}
