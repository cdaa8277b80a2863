//! `selfdata migrate`: an installation moved from one engine to the other
//! (the embedded data folder to PostgreSQL, or back), and checked: every
//! pod resource by resource ([`selfdata_store::copy`]), then the directory
//! and the registries of holders and studies, each read back from the
//! target and compared with the source. The source is only read.

use std::path::Path;

use selfdata_store::copy::{CopyError, PodCopy, check_pod, copy_pod};
use selfdata_store::{PodName, Storage, StoreError};

/// What a migration did.
#[derive(Debug, Default)]
pub struct Migration {
    pub pods: Vec<(PodName, PodCopy)>,
    pub accounts: usize,
    /// Names of erased pods carried over.
    pub erased: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Copy(#[from] CopyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the target already holds {0} pods: migrate into an empty database or folder; nothing was written"
    )]
    NotEmpty(usize),
    #[error("the {0} read back from the target differs from the source's")]
    Differs(&'static str),
    #[error("cannot copy the key file {file}: {source}")]
    KeyFile {
        file: String,
        source: std::io::Error,
    },
}

/// One step done, for the operator's progress line.
pub enum Step<'a> {
    Pod {
        name: &'a PodName,
        done: usize,
        of: usize,
        copy: &'a PodCopy,
    },
    Registry(&'static str),
}

/// Copies everything `from` holds into `to`, which must be empty, and
/// checks it.
pub async fn migrate(
    from: &dyn Storage,
    to: &dyn Storage,
    mut progress: impl FnMut(Step<'_>),
) -> Result<Migration, MigrateError> {
    let there = to.list_pods().await?;
    if !there.is_empty() {
        return Err(MigrateError::NotEmpty(there.len()));
    }
    let pods = from.list_pods().await?;
    let mut migration = Migration::default();
    for (done, pod) in pods.iter().enumerate() {
        copy_pod(from, to, &pod.name).await?;
        let copy = check_pod(from, to, &pod.name).await?;
        progress(Step::Pod {
            name: &pod.name,
            done: done + 1,
            of: pods.len(),
            copy: &copy,
        });
        migration.pods.push((pod.name.clone(), copy));
    }
    // Erased pods' names, never to be given again there either (a newcomer
    // taking one would take its old WebID, which other pods' ACLs name).
    let erased = from.erased_pods().await?;
    to.remember_erased(&erased).await?;
    if to.erased_pods().await? != erased {
        return Err(MigrateError::Differs("list of erased pods"));
    }
    migration.erased = erased.len();
    use selfdata_store::{Directory, HolderRegistry, StudyRegistry};
    let directory = Directory::dump(from).await?;
    Directory::load(to, &directory).await?;
    if Directory::dump(to).await? != directory {
        return Err(MigrateError::Differs("directory"));
    }
    migration.accounts = directory.accounts.len();
    progress(Step::Registry("directory"));
    let holders = HolderRegistry::dump(from).await?;
    HolderRegistry::load(to, &holders).await?;
    if HolderRegistry::dump(to).await? != holders {
        return Err(MigrateError::Differs("holders' registry"));
    }
    progress(Step::Registry("holders"));
    let studies = StudyRegistry::dump(from).await?;
    StudyRegistry::load(to, &studies).await?;
    if StudyRegistry::dump(to).await? != studies {
        return Err(MigrateError::Differs("studies' registry"));
    }
    progress(Step::Registry("studies"));
    Ok(migration)
}

/// The keys a server keeps in its data folder besides the master key (the
/// access log's, the holders' receipts', the studies' record's): copied to
/// a new folder so that what they signed still verifies. An existing one is
/// kept.
pub fn copy_key_files(from: &Path, to: &Path) -> Result<usize, MigrateError> {
    std::fs::create_dir_all(to).map_err(|source| MigrateError::KeyFile {
        file: to.display().to_string(),
        source,
    })?;
    let mut copied = 0;
    for file in [
        selfdata_privacy_web::log::AccessLog::key_file_in(from),
        selfdata_holders_web::HoldersApp::key_file_in(from),
        selfdata_studies_web::StudiesApp::key_file_in(from),
    ] {
        let (Some(name), true) = (file.file_name(), file.exists()) else {
            continue;
        };
        let target = to.join(name);
        if target.exists() {
            continue;
        }
        std::fs::copy(&file, &target).map_err(|source| MigrateError::KeyFile {
            file: file.display().to_string(),
            source,
        })?;
        copied += 1;
    }
    Ok(copied)
}
