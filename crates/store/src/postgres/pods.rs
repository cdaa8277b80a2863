//! Pods and their resources on PostgreSQL ([`crate::Backend`]).

use super::*;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS pod (
    name TEXT COLLATE "C" PRIMARY KEY,
    created BIGINT NOT NULL,
    -- The pod's own quota in bytes (NULL: the server's default).
    quota BIGINT,
    -- The next version number to hand out, advanced in each write.
    next_version BIGINT NOT NULL,
    -- Bytes of the pod's resources as of its last write.
    used BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pod_tombstone (
    name TEXT COLLATE "C" PRIMARY KEY,
    erased BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS pod_key (
    pod TEXT COLLATE "C" PRIMARY KEY,
    wrapped BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS resource (
    pod TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    parent TEXT COLLATE "C",
    content_type TEXT NOT NULL,
    version BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    size BIGINT NOT NULL,
    -- Sealed with the pod's body key, the path bound.
    body BYTEA NOT NULL,
    PRIMARY KEY (pod, path)
);
CREATE INDEX IF NOT EXISTS resource_parent ON resource (pod, parent, path);
CREATE TABLE IF NOT EXISTS derived (
    pod TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    -- Sealed with the pod's body key, the key bound.
    value BYTEA NOT NULL,
    PRIMARY KEY (pod, key)
);
"#;
