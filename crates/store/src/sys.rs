//! What the store asks the operating system: the descriptor limit (raised to
//! its hard maximum at start) and the free space of the data folder's disk.
//! Safe wrappers only (`rustix`); the workspace forbids `unsafe`.

use std::path::Path;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Raises the soft limit on open file descriptors to the hard limit and
/// returns the limit now in force (`None`: unlimited or unknown).
pub fn raise_fd_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "could not raise the open-file limit");
        }
    }
    fd_limit()
}

/// The soft limit on open file descriptors (`None`: unlimited).
pub fn fd_limit() -> Option<u64> {
    getrlimit(Resource::Nofile).current
}

/// Lowers the calling thread's CPU priority (nice 10), for long work in the
/// background of a server (a backup) that must not slow its requests. On
/// Linux a thread's nice value is its own. Best effort: a refusal is ignored.
pub fn lower_this_threads_priority() {
    let _ = rustix::process::setpriority_process(None, 10);
}

/// Bytes of the whole disk holding `path`.
pub fn total_space(path: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_blocks.saturating_mul(s.f_frsize))
}

/// Bytes an unprivileged process may still write on the disk holding `path`.
pub fn available_space(path: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}
