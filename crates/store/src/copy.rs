//! Copying pods from one engine to another (`selfdata migrate`), resource
//! by resource, through [`Backend`] only: every resource with its media
//! type and bytes, auxiliary resources (ACLs, descriptions) included, the
//! derived index and the pod's own quota; then checked against the source.
//! Bodies are decrypted by the source and encrypted by the target with the
//! pod's new data key there. Modification times are the source's (what a
//! resident's file list and `Last-Modified` show does not change with the
//! engine); versions, and so entity tags, are the target's own: a client
//! holding an old ETag fetches the resource again.

use bytes::Bytes;

use crate::{AuxKind, Backend, Meta, PodName, Precondition, ResourcePath, StoreError, Write};

/// What copying one pod did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodCopy {
    /// Resources copied (containers and auxiliary resources included).
    pub resources: u64,
    /// Bytes of their bodies.
    pub bytes: u64,
    /// Entries of the derived index.
    pub index_entries: u64,
}

/// Why a copy is not what its source holds.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the pod '{pod}': {path} differs between the source and the copy ({what})")]
    Differs {
        pod: String,
        path: String,
        what: &'static str,
    },
}

/// Every resource of a pod, containers before their members, each with
/// its auxiliary resources: its metadata and body.
async fn walk(
    store: &dyn Backend,
    pod: &PodName,
    mut each: impl AsyncFnMut(Meta, Bytes) -> Result<(), CopyError>,
) -> Result<(), CopyError> {
    let mut containers = vec![ResourcePath::root()];
    while let Some(container) = containers.pop() {
        let mut paths = vec![container.clone()];
        for member in store.members(pod, &container).await? {
            if member.is_container() {
                containers.push(member.path);
            } else {
                paths.push(member.path);
            }
        }
        for path in paths {
            let aux = AuxKind::ALL.map(|k| path.aux(k));
            for p in std::iter::once(path).chain(aux) {
                if let Some((meta, body)) = store.get(pod, &p).await? {
                    each(meta, body).await?;
                }
            }
        }
    }
    Ok(())
}

/// Copies `pod` from `from` into `to`, where it must not exist yet.
pub async fn copy_pod(
    from: &dyn Backend,
    to: &dyn Backend,
    pod: &PodName,
) -> Result<PodCopy, CopyError> {
    to.create_pod(pod).await?;
    let mut report = PodCopy::default();
    let mut times = Vec::new();
    walk(from, pod, async |meta, body| {
        report.resources += 1;
        report.bytes += body.len() as u64;
        times.push((meta.path.clone(), meta.modified_ms));
        to.write(
            pod,
            Write::Put {
                path: meta.path,
                content_type: meta.content_type,
                body,
                precondition: Precondition::None,
            },
        )
        .await?;
        Ok(())
    })
    .await?;
    // Once every member is in (each moved its container's time).
    for chunk in times.chunks(500) {
        let writes = chunk
            .iter()
            .map(|(path, modified_ms)| Write::Restamp {
                path: path.clone(),
                modified_ms: *modified_ms,
            })
            .collect();
        to.write(pod, Write::Batch(writes)).await?;
    }
    let index = from.index_scan(pod, "").await?;
    report.index_entries = index.len() as u64;
    for chunk in index.chunks(500) {
        let writes = chunk
            .iter()
            .map(|(key, value)| Write::Index {
                key: key.clone(),
                value: Some(value.clone()),
            })
            .collect();
        to.write(pod, Write::Batch(writes)).await?;
    }
    let usage = from.usage(pod).await?;
    if usage.own_quota {
        to.set_quota(pod, Some(usage.quota)).await?;
    }
    Ok(report)
}

/// Checks that `to` holds `pod` exactly as `from` does: every resource of
/// either with the same media type and bytes, the same index, the same
/// quota. Returns what was compared.
pub async fn check_pod(
    from: &dyn Backend,
    to: &dyn Backend,
    pod: &PodName,
) -> Result<PodCopy, CopyError> {
    let differs = |path: &ResourcePath, what| CopyError::Differs {
        pod: pod.to_string(),
        path: path.to_string(),
        what,
    };
    let mut compared = PodCopy::default();
    walk(from, pod, async |source, body| {
        let path = source.path;
        let Some((meta, copy)) = to.get(pod, &path).await? else {
            return Err(differs(&path, "missing from the copy"));
        };
        if meta.content_type != source.content_type {
            return Err(differs(&path, "media type"));
        }
        if meta.modified_ms != source.modified_ms {
            return Err(differs(&path, "modification time"));
        }
        if copy != body {
            return Err(differs(&path, "bytes"));
        }
        compared.resources += 1;
        compared.bytes += body.len() as u64;
        Ok(())
    })
    .await?;
    // Nothing in the copy that the source does not hold.
    let mut in_copy = 0;
    walk(to, pod, async |_, _| {
        in_copy += 1;
        Ok(())
    })
    .await?;
    if in_copy != compared.resources {
        return Err(differs(
            &ResourcePath::root(),
            "the copy holds more resources",
        ));
    }
    let (a, b) = (
        from.index_scan(pod, "").await?,
        to.index_scan(pod, "").await?,
    );
    if a != b {
        return Err(differs(&ResourcePath::root(), "derived index"));
    }
    compared.index_entries = a.len() as u64;
    let (a, b) = (from.usage(pod).await?, to.usage(pod).await?);
    if (a.own_quota, a.used) != (b.own_quota, b.used) || (a.own_quota && a.quota != b.quota) {
        return Err(differs(&ResourcePath::root(), "usage or quota"));
    }
    Ok(compared)
}
