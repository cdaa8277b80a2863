//! The exclusive lock on a data folder: one process at a time.
//!
//! `serve`, `demo` and every CLI command open the folder through
//! [`crate::sqlite::SqliteBackend`], which takes this lock first, so a second
//! process (a `pod delete` while the server runs, two servers) is refused
//! before it reads or writes anything. The lock is `flock`-style
//! (`File::try_lock`) on `<data>/lock`: the kernel releases it when the
//! process ends, however it ends, so a crash never leaves the folder locked.
//! Inside one process the lock is shared: a store reopened while the previous
//! one is still being dropped (its last background task finishing) is not
//! refused.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use crate::StoreError;

/// How long a second opener waits for the lock before giving up.
const PATIENCE: Duration = Duration::from_secs(2);

/// Held for as long as the data folder is open.
#[derive(Debug, Clone)]
pub struct DataLock {
    _file: Arc<File>,
}

/// The folders this process holds, by canonical path.
static HELD: Mutex<Vec<(PathBuf, Weak<File>)>> = Mutex::new(Vec::new());

impl DataLock {
    /// Takes the lock of the folder `root` (which must exist), or fails with a
    /// sentence naming the process holding it.
    pub fn acquire(root: &Path) -> Result<Self, StoreError> {
        let canonical = root.canonicalize()?;
        let mut held = HELD.lock();
        held.retain(|(_, weak)| weak.strong_count() > 0);
        if let Some(file) = held
            .iter()
            .find(|(p, _)| p == &canonical)
            .and_then(|(_, weak)| weak.upgrade())
        {
            return Ok(Self { _file: file });
        }
        let path = root.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::Io(format!("cannot open {}: {e}", path.display())))?;
        // A holder that is closing (a store being dropped, its last
        // background task finishing) gets a moment to let go.
        let deadline = Instant::now() + PATIENCE;
        let mut attempt = file.try_lock();
        while matches!(attempt, Err(TryLockError::WouldBlock)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            attempt = file.try_lock();
        }
        match attempt {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let pid = holder.trim();
                let pid = if pid.is_empty() { "unknown" } else { pid };
                return Err(StoreError::Locked(format!(
                    "the data folder {} is in use by another selfdata process (pid {pid}); stop it first",
                    root.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Io(format!(
                    "cannot lock {}: {e}",
                    path.display()
                )));
            }
        }
        // The holder's pid, for the message above; best effort (a full disk
        // must not keep the server from starting).
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| write!(file, "{}", std::process::id()));
        let file = Arc::new(file);
        held.push((canonical, Arc::downgrade(&file)));
        Ok(Self { _file: file })
    }
}
