//! The rules of a pod's tree of resources, written once for every engine:
//! preconditions, missing ancestor containers created, a container and a
//! document never sharing a name, auxiliary resources deleted with their
//! subject, a container's version moving with its members, the pod's
//! strictly increasing versions, and the changes told to listeners. An
//! engine supplies its rows ([`Rows`]) inside one of its transactions.

use bytes::Bytes;

use crate::{Meta, Precondition, ResourcePath, StoreError, WriteOutcome};

/// A body as an engine stores it: in the resource's row, or already written
/// apart (a blob file beside the pod's database, an object in the object
/// store) under its name, with its length.
pub(crate) enum Body {
    Inline(Bytes),
    Blob(String, u64),
}

impl Body {
    /// The body's length in bytes (its plaintext, for one written apart).
    pub(crate) fn len(&self) -> u64 {
        match self {
            Body::Inline(b) => b.len() as u64,
            Body::Blob(_, len) => *len,
        }
    }
}

/// One engine's rows of one pod, inside a transaction.
pub(crate) trait Rows {
    fn meta(&mut self, path: &ResourcePath) -> Result<Option<Meta>, StoreError>;
    fn exists(&mut self, path: &ResourcePath) -> Result<bool, StoreError>;
    /// A resource's metadata and body.
    fn read(&mut self, path: &ResourcePath) -> Result<Option<(Meta, Vec<u8>)>, StoreError>;
    /// Creates or replaces a resource (its parent named by `path.parent()`).
    fn put(
        &mut self,
        path: &ResourcePath,
        content_type: &str,
        version: u64,
        now: i64,
        body: &Body,
    ) -> Result<(), StoreError>;
    /// Moves a resource's version (a container whose members changed).
    fn touch(&mut self, path: &ResourcePath, version: u64, now: i64) -> Result<(), StoreError>;
    /// Every resource whose parent is `container`, auxiliary ones included.
    fn children(&mut self, container: &ResourcePath) -> Result<Vec<ResourcePath>, StoreError>;
    /// Removes a resource if it exists; returns its size (0 when absent).
    fn remove(&mut self, path: &ResourcePath) -> Result<u64, StoreError>;
    /// Sets or removes an entry of the pod's derived index.
    fn set_index(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), StoreError>;
    /// An entry of the pod's derived index.
    fn index(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// One write, its body as the engine stores it.
pub(crate) enum Job {
    Put {
        path: ResourcePath,
        content_type: String,
        body: Body,
        precondition: Precondition,
    },
    Delete {
        path: ResourcePath,
        precondition: Precondition,
    },
    Modify {
        path: ResourcePath,
        precondition: Precondition,
        modify: crate::ModifyFn,
    },
    Index {
        key: String,
        value: Option<Bytes>,
    },
    IndexIf {
        key: String,
        expected: Option<Bytes>,
        value: Option<Bytes>,
    },
    Restamp {
        path: ResourcePath,
        modified_ms: i64,
    },
    Batch(Vec<Job>),
}

impl Job {
    /// The job of a write that carries no body (a delete, a PATCH, an index
    /// entry); `Err` gives back a write that does (a put, a large put, a
    /// batch) for the engine to store its bodies first.
    pub(crate) fn bodiless(write: crate::Write) -> Result<Self, crate::Write> {
        use crate::Write;
        Ok(match write {
            Write::Delete { path, precondition } => Job::Delete { path, precondition },
            Write::Modify {
                path,
                precondition,
                modify,
            } => Job::Modify {
                path,
                precondition,
                modify,
            },
            Write::Index { key, value } => Job::Index { key, value },
            Write::Restamp { path, modified_ms } => Job::Restamp { path, modified_ms },
            Write::IndexIf {
                key,
                expected,
                value,
            } => Job::IndexIf {
                key,
                expected,
                value,
            },
            other @ (Write::Put { .. } | Write::PutLarge { .. } | Write::Batch(_)) => {
                return Err(other);
            }
        })
    }
}

/// A write [`Job::bodiless`] handed back that an engine's preparation did
/// not expect (it prepares puts, large puts and batches).
pub(crate) fn unexpected(write: &crate::Write) -> StoreError {
    StoreError::Io(format!("a write was prepared twice: {write:?}"))
}

/// One job being applied inside the engine's transaction.
pub(crate) struct Ctx<'a, R: Rows> {
    pub rows: &'a mut R,
    /// The pod's next version: read before, stored after the transaction.
    pub next_version: &'a mut u64,
    pub now: i64,
    /// Bytes of resources added (negative: removed) by this job.
    pub grown: i64,
    /// The resources this job changed, when someone listens.
    pub changes: Option<Vec<crate::Change>>,
}

impl<R: Rows> Ctx<'_, R> {
    /// Applies a job. A batch stops at its first failure: the engine rolls
    /// the whole job back.
    pub fn apply(&mut self, job: &Job) -> Result<WriteOutcome, StoreError> {
        match job {
            Job::Put {
                path,
                content_type,
                body,
                precondition,
            } => self.put(path, content_type, body, precondition),
            Job::Delete { path, precondition } => self.delete(path, precondition),
            Job::Modify {
                path,
                precondition,
                modify,
            } => self.modify(path, precondition, modify),
            Job::Index { key, value } => {
                self.rows.set_index(key, value.as_deref())?;
                Ok(WriteOutcome::Indexed)
            }
            Job::IndexIf {
                key,
                expected,
                value,
            } => {
                if self.rows.index(key)?.as_deref() != expected.as_deref() {
                    return Err(StoreError::PreconditionFailed);
                }
                self.rows.set_index(key, value.as_deref())?;
                Ok(WriteOutcome::Indexed)
            }
            Job::Restamp { path, modified_ms } => {
                let Some(mut meta) = self.rows.meta(path)? else {
                    return Err(StoreError::NotFound(path.clone()));
                };
                self.rows.touch(path, meta.version, *modified_ms)?;
                meta.modified_ms = *modified_ms;
                Ok(WriteOutcome::Updated(meta))
            }
            Job::Batch(jobs) => jobs
                .iter()
                .map(|j| self.apply(j))
                .collect::<Result<Vec<_>, _>>()
                .map(WriteOutcome::Batch),
        }
    }

    fn version(&mut self) -> u64 {
        let v = *self.next_version;
        *self.next_version += 1;
        v
    }

    /// Marks a container as changed because a member changed; returns its
    /// new version.
    fn touch(&mut self, container: &ResourcePath) -> Result<u64, StoreError> {
        let v = self.version();
        self.rows.touch(container, v, self.now)?;
        Ok(v)
    }

    /// Notes a change for the listeners, if any.
    fn changed(
        &mut self,
        path: &ResourcePath,
        kind: crate::ChangeKind,
        version: Option<u64>,
        parent_version: Option<u64>,
    ) {
        if let Some(changes) = &mut self.changes {
            changes.push(crate::Change {
                path: path.clone(),
                kind,
                version,
                parent_version,
            });
        }
    }

    /// Makes sure every ancestor container of `path` exists, creating missing ones.
    fn ensure_ancestors(&mut self, path: &ResourcePath) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        let mut cursor = path.parent();
        let mut existing = None;
        while let Some(container) = cursor {
            if self.rows.exists(&container)? {
                existing = Some(container);
                break;
            }
            if let Some(doc) = container.slash_twin()
                && self.rows.exists(&doc)?
            {
                return Err(StoreError::ParentIsDocument(doc));
            }
            cursor = container.parent();
            missing.push(container);
        }
        // The nearest existing ancestor gains a member: its version moves,
        // as for any other member created in it.
        let mut parent_version = match (&existing, missing.is_empty()) {
            (Some(top), false) => Some(self.touch(top)?),
            _ => None,
        };
        for container in missing.into_iter().rev() {
            let v = self.version();
            self.rows.put(
                &container,
                "text/turtle",
                v,
                self.now,
                &Body::Inline(Bytes::new()),
            )?;
            self.changed(
                &container,
                crate::ChangeKind::Created,
                Some(v),
                parent_version,
            );
            // The next one down is created in this one: its version here is
            // the one it was created with (it is touched again below when
            // the written resource is its member).
            parent_version = Some(v);
        }
        Ok(())
    }

    fn put(
        &mut self,
        path: &ResourcePath,
        content_type: &str,
        body: &Body,
        precondition: &Precondition,
    ) -> Result<WriteOutcome, StoreError> {
        let current = self.rows.meta(path)?;
        if !precondition.holds(current.as_ref()) {
            return Err(StoreError::PreconditionFailed);
        }
        self.grown -= current.as_ref().map_or(0, |m| m.size as i64);
        if current.is_none() {
            if let Some(twin) = path.slash_twin()
                && self.rows.exists(&twin)?
            {
                let kind = if twin.is_container() {
                    "container"
                } else {
                    "document"
                };
                return Err(StoreError::SlashConflict(twin, kind));
            }
            self.ensure_ancestors(path)?;
        }
        let v = self.version();
        let size = body.len();
        self.grown += size as i64;
        self.rows.put(path, content_type, v, self.now, body)?;
        let parent_version = match path.parent() {
            Some(parent) if path.auxiliary_kind().is_none() => Some(self.touch(&parent)?),
            _ => None,
        };
        let kind = if current.is_some() {
            crate::ChangeKind::Updated
        } else {
            crate::ChangeKind::Created
        };
        self.changed(path, kind, Some(v), parent_version);
        let meta = Meta {
            path: path.clone(),
            content_type: content_type.to_owned(),
            version: v,
            modified_ms: self.now,
            size,
        };
        Ok(if current.is_some() {
            WriteOutcome::Updated(meta)
        } else {
            WriteOutcome::Created(meta)
        })
    }

    fn modify(
        &mut self,
        path: &ResourcePath,
        precondition: &Precondition,
        modify: &crate::ModifyFn,
    ) -> Result<WriteOutcome, StoreError> {
        let current = self.rows.read(path)?;
        if !precondition.holds(current.as_ref().map(|(m, _)| m)) {
            return Err(StoreError::PreconditionFailed);
        }
        let (content_type, body) =
            modify(current.as_ref().map(|(m, b)| (m, &b[..]))).map_err(StoreError::Rejected)?;
        self.put(
            path,
            &content_type,
            &Body::Inline(body),
            &Precondition::None,
        )
    }

    fn remove(&mut self, path: &ResourcePath) -> Result<(), StoreError> {
        self.grown -= self.rows.remove(path)? as i64;
        Ok(())
    }

    fn delete(
        &mut self,
        path: &ResourcePath,
        precondition: &Precondition,
    ) -> Result<WriteOutcome, StoreError> {
        if path.is_root() {
            return Err(StoreError::RootDelete);
        }
        let current = self.rows.meta(path)?;
        if !precondition.holds(current.as_ref()) {
            return Err(StoreError::PreconditionFailed);
        }
        if current.is_none() {
            return Err(StoreError::NotFound(path.clone()));
        }
        if path.is_container() {
            let mut aux = Vec::new();
            for member in self.rows.children(path)? {
                if member.auxiliary_kind().is_none() {
                    return Err(StoreError::ContainerNotEmpty(path.clone()));
                }
                aux.push(member);
            }
            for member in aux {
                self.remove(&member)?;
            }
        } else if path.auxiliary_kind().is_none() {
            for kind in crate::AuxKind::ALL {
                self.remove(&path.aux(kind))?;
            }
        }
        self.remove(path)?;
        let parent_version = match path.parent() {
            Some(parent) if path.auxiliary_kind().is_none() => Some(self.touch(&parent)?),
            _ => None,
        };
        self.changed(path, crate::ChangeKind::Deleted, None, parent_version);
        Ok(WriteOutcome::Deleted)
    }
}
