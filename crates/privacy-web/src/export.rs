//! Portability: a whole pod as one archive its owner downloads, and the
//! import that restores it, identically and all or nothing, on another
//! selfdata instance.
//!
//! - `GET /{pod}/selfdata/export` — for whoever holds `acl:Read` and
//!   `acl:Control` on the pod's root (its owner), with an access token like
//!   any Solid request;
//! - `GET /app/privacy/export` — the signed-in resident's own pod, from the
//!   built-in pages (session cookie).
//!
//! The archive is a POSIX tar file, laid out as its [`README`] says. The
//! derived store is not exported, except the access log (`log/` entries):
//! holder tokens (`connect/`) are secrets that must not leave, and the energy
//! index (`energy/`) is rebuilt from the CSV files on import.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use selfdata_rdf::TurtleWriter;
use selfdata_rdf::oxrdf::vocab::{rdf, xsd};
use selfdata_rdf::oxrdf::{Graph, Literal, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_store::{
    AuxKind, Backend, PodName, Precondition, ReservedNames, ResourcePath, StoreError, Write,
};
use selfdata_wac::ModeSet;
use sha2::{Digest, Sha256};

use crate::PrivacyApp;
use selfdata_service::Registry;

/// The tar reader and writer used here (for tools and tests that build archives).
pub use tar;

/// The archive's media type.
pub const MEDIA_TYPE: &str = "application/x-tar";
/// The version of the layout below; an import refuses any other.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's vocabulary.
pub const NS: &str = crate::vocab::SD;
use crate::vocab::DCT as DCTERMS;
/// Where consent records live in a pod (they travel as ordinary resources).
pub const CONSENTS: &str = "/selfdata/consents/";
/// The prefix of the derived entries that are exported: the access log.
pub const LOG_PREFIX: &str = "log/";

/// The archive's `README.md`: what it holds and how.
pub const README: &str = "# A selfdata pod export

This archive holds a whole Solid pod, as its owner downloaded it from a
selfdata server. `selfdata pod import FILE` restores it on another selfdata
instance, all or nothing. Format version 1.

## Layout

- `README.md` — this file.
- `manifest.ttl` — Turtle (vocabulary `https://selfdata.example/ns#`, prefix
  `sd:`) describing the export (`sd:PodExport`: pod name, server, owner's
  WebID, date) and every resource (`sd:Resource`): its path in the pod
  (`sd:path`), media type (`dcterms:format`), size in bytes (`sd:size`),
  SHA-256 of its bytes (`sd:sha256`, hex), last modification
  (`dcterms:modified`, xsd:dateTime, UTC), whether it is a container
  (`sd:container`), the file holding it (`sd:file`), its own access control
  list (`sd:acl`, the path of its `.acl` resource) or the ancestor's ACL it
  inherits (`sd:inheritsAcl`). Consent records are `sd:ConsentRecord`s too;
  the access log entries are `sd:LogEntry`s (`sd:key`, `sd:file`, `sd:size`,
  `sd:sha256`).
- `resources/…` — every document of the pod, auxiliary `.acl` and `.meta`
  resources included, in its original bytes and format, at its path in the
  pod (`/profile/card` is `resources/profile/card`).
- `containers/<sha256>.ttl` — the triples a container holds of its own
  (beyond containment), when it has any, named by their SHA-256 (a
  container's name cannot be used as a file name: it is a folder).
- `log/…` — the pod's access log and its latest checkpoint: one file per
  entry of the pod's derived store whose key starts with `log/`, named by the
  key with every byte other than `A-Z a-z 0-9 _ -` written `%XX`.

Consent records are ordinary resources under `selfdata/consents/`, so they are
in `resources/selfdata/consents/`.

## Not in the archive

- Holder connections (`connect/…` derived entries): their tokens are secrets
  that must not leave the server; connect the holders again after an import.
- The energy index (`energy/…` derived entries): it is rebuilt from the CSV
  files under `resources/selfdata/energy/` on import.
- Accounts and passwords, which live with the server, not in the pod.

## Identity

Resources are restored byte for byte: the profile card and the ACLs still name
the WebID of the server this pod was exported from. Imported on a server with
another address (or under another pod name), those WebIDs name the old server.
Modification dates and entity tags are new after an import; the manifest keeps
the original dates.
";

// ------------------------------------------------------------------ errors

/// Why an export or an import failed.
#[derive(Debug, thiserror::Error)]
pub enum PortabilityError {
    /// The archive is not a whole, intact selfdata export (the sentence says why).
    #[error("the archive cannot be imported: {0}")]
    Archive(String),
    #[error("a pod named '{0}' exists already; nothing was imported (choose another name)")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the imported energy files could not be indexed: {0}")]
    Reindex(String),
}

fn bad(sentence: impl Into<String>) -> PortabilityError {
    PortabilityError::Archive(sentence.into())
}

// ------------------------------------------------------------------ export

/// One resource read from the pod.
struct Item {
    path: ResourcePath,
    content_type: String,
    modified_ms: i64,
    body: Bytes,
}

/// Every resource of `pod`, auxiliary ones included, ordered by path.
async fn resources(store: &dyn Backend, pod: &PodName) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    let mut todo = vec![ResourcePath::root()];
    while let Some(path) = todo.pop() {
        let mut paths = vec![path.clone()];
        paths.extend(AuxKind::ALL.map(|k| path.aux(k)));
        for p in paths {
            if let Some((meta, body)) = store.get(pod, &p).await? {
                out.push(Item {
                    path: p,
                    content_type: meta.content_type,
                    modified_ms: meta.modified_ms,
                    body,
                });
            }
        }
        if path.is_container() {
            todo.extend(store.members(pod, &path).await?.into_iter().map(|m| m.path));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The archive file of a resource.
fn file_of(path: &ResourcePath, sha256: &str, size: u64) -> Option<String> {
    if path.is_container() {
        (size > 0).then(|| format!("containers/{sha256}.ttl"))
    } else {
        Some(format!("resources{path}"))
    }
}

/// The archive file of a log entry: its key, escaped into one file name.
pub fn log_file(key: &str) -> String {
    let mut out = String::from(LOG_PREFIX);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn datetime(ms: i64) -> Literal {
    let t = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    TurtleWriter::typed(
        &t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        xsd::DATE_TIME.as_str(),
    )
}

fn integer(n: impl ToString) -> Literal {
    TurtleWriter::typed(&n.to_string(), xsd::INTEGER.as_str())
}

/// The ACL governing `path`: its own, or the nearest ancestor's.
/// Returns the manifest's predicate (`acl` or `inheritsAcl`) and the ACL's path.
fn acl_statement(path: &ResourcePath, present: &BTreeSet<&str>) -> Option<(&'static str, String)> {
    if path.auxiliary_kind().is_some() {
        return None;
    }
    let own = path.aux(AuxKind::Acl);
    if present.contains(own.as_str()) {
        return Some(("acl", own.as_str().to_owned()));
    }
    let mut at = path.parent();
    while let Some(p) = at {
        let acl = p.aux(AuxKind::Acl);
        if present.contains(acl.as_str()) {
            return Some(("inheritsAcl", acl.as_str().to_owned()));
        }
        at = p.parent();
    }
    None
}

/// Writes the whole of `pod` as a tar archive (in memory).
pub async fn export_pod(
    store: &dyn Backend,
    pod: &PodName,
    base_url: &str,
) -> Result<Vec<u8>, StoreError> {
    if store.pod(pod).await?.is_none() {
        return Err(StoreError::NoSuchPod(pod.to_string()));
    }
    let items = resources(store, pod).await?;
    let log = store.index_scan(pod, LOG_PREFIX).await?;
    let now = jiff::Timestamp::now();
    let base_url = base_url.trim_end_matches('/');
    let webid = selfdata_solid::provision::webid_of(base_url, pod);

    let mut manifest = TurtleWriter::new("manifest.ttl")
        .prefix("sd", NS)
        .prefix("dcterms", DCTERMS);
    let text = TurtleWriter::literal;
    let sd = |local: &str| format!("{NS}{local}");
    let rdf_type = rdf::TYPE.as_str();
    let export = manifest.blank();
    manifest.add(export.clone(), rdf_type, manifest.iri(&sd("PodExport")));
    manifest.add(
        export.clone(),
        &sd("formatVersion"),
        integer(FORMAT_VERSION),
    );
    manifest.add(export.clone(), &sd("pod"), text(pod.as_str()));
    manifest.add(export.clone(), &sd("server"), text(base_url));
    manifest.add(export.clone(), &sd("owner"), text(&webid));
    manifest.add(
        export.clone(),
        &format!("{DCTERMS}created"),
        datetime(now.as_millisecond()),
    );
    manifest.add(export.clone(), &sd("resources"), integer(items.len()));
    manifest.add(export.clone(), &sd("logEntries"), integer(log.len()));
    manifest.add(export.clone(), &sd("consentRecords"), text(CONSENTS));
    manifest.add(
        export,
        "http://www.w3.org/2000/01/rdf-schema#comment",
        text(
            "Every resource of the pod, its access control lists and its consent records \
             (the resources under /selfdata/consents/), and the pod's access log with its \
             latest checkpoint. Holder connection tokens and the energy index are not exported.",
        ),
    );
    let present: BTreeSet<&str> = items.iter().map(|i| i.path.as_str()).collect();
    let mut files: BTreeMap<String, (Bytes, i64)> = BTreeMap::new();
    for item in &items {
        let sha = sha256_hex(&item.body);
        let size = item.body.len() as u64;
        let consent = item.path.as_str().starts_with(CONSENTS) && !item.path.is_container();
        let resource = manifest.blank();
        manifest.add(resource.clone(), rdf_type, manifest.iri(&sd("Resource")));
        if consent {
            manifest.add(
                resource.clone(),
                rdf_type,
                manifest.iri(&sd("ConsentRecord")),
            );
        }
        manifest.add(resource.clone(), &sd("path"), text(item.path.as_str()));
        manifest.add(
            resource.clone(),
            &format!("{DCTERMS}format"),
            text(&item.content_type),
        );
        manifest.add(resource.clone(), &sd("size"), integer(size));
        manifest.add(resource.clone(), &sd("sha256"), text(&sha));
        manifest.add(
            resource.clone(),
            &format!("{DCTERMS}modified"),
            datetime(item.modified_ms),
        );
        manifest.add(
            resource.clone(),
            &sd("container"),
            Literal::from(item.path.is_container()),
        );
        if let Some(file) = file_of(&item.path, &sha, size) {
            manifest.add(resource.clone(), &sd("file"), text(&file));
            files.insert(file, (item.body.clone(), item.modified_ms));
        }
        if let Some((predicate, acl)) = acl_statement(&item.path, &present) {
            manifest.add(resource, &sd(predicate), text(&acl));
        }
    }
    for (key, value) in &log {
        let file = log_file(key);
        let entry = manifest.blank();
        manifest.add(entry.clone(), rdf_type, manifest.iri(&sd("LogEntry")));
        manifest.add(entry.clone(), &sd("key"), text(key));
        manifest.add(entry.clone(), &sd("file"), text(&file));
        manifest.add(entry.clone(), &sd("size"), integer(value.len()));
        manifest.add(entry, &sd("sha256"), text(&sha256_hex(value)));
        files.insert(file, (value.clone(), now.as_millisecond()));
    }
    let manifest = manifest.finish();

    let io = |e: std::io::Error| StoreError::Io(format!("the archive could not be written: {e}"));
    let mut tar = tar::Builder::new(Vec::new());
    let mut append = |name: &str, body: &[u8], ms: i64| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(u64::try_from(ms / 1000).unwrap_or(0));
        tar.append_data(&mut header, name, body).map_err(io)
    };
    append("README.md", README.as_bytes(), now.as_millisecond())?;
    append("manifest.ttl", manifest.as_bytes(), now.as_millisecond())?;
    for (name, (body, ms)) in &files {
        append(name, body, *ms)?;
    }
    tar.into_inner().map_err(io)
}

/// The file name offered for a download.
pub fn download_name(pod: &PodName) -> String {
    let date = jiff::Timestamp::now().strftime("%Y-%m-%d");
    format!("{pod}-{date}.tar")
}

// ------------------------------------------------------------------ import

/// A resource as the manifest describes it.
#[derive(Debug)]
struct Listed {
    path: ResourcePath,
    content_type: String,
    body: Bytes,
}

/// An archive read and checked whole.
#[derive(Debug)]
pub struct CheckedArchive {
    /// The pod's name at the source.
    pub pod: String,
    /// The source server's base URL.
    pub server: String,
    /// The owner's WebID at the source.
    pub owner: String,
    resources: Vec<Listed>,
    log: Vec<(String, Bytes)>,
}

impl CheckedArchive {
    /// The resources to restore: path, media type (as it will be stored), body.
    pub fn resources(&self) -> impl Iterator<Item = (&ResourcePath, &str, &[u8])> {
        self.resources
            .iter()
            .map(|r| (&r.path, r.content_type.as_str(), r.body.as_ref()))
    }
}

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    pub pod: PodName,
    pub resources: usize,
    pub log_entries: usize,
    /// Energy readings indexed again.
    pub readings: usize,
    /// The owner's WebID named in the restored profile and ACLs.
    pub original_webid: String,
    /// The WebID this server gives the pod's owner.
    pub webid_here: String,
}

impl Imported {
    /// Whether the restored resources name another server's (or pod's) WebID.
    pub fn webid_changed(&self) -> bool {
        self.original_webid != self.webid_here
    }
}

fn sd(term: &str) -> String {
    format!("{NS}{term}")
}

/// The one value of `predicate` on `subject`, as a literal's lexical form.
fn one<'g>(
    graph: &'g Graph,
    subject: NamedOrBlankNodeRef<'g>,
    predicate: &str,
    what: &str,
) -> Result<&'g str, PortabilityError> {
    let p = NamedNodeRef::new(predicate).map_err(|_| bad("the manifest vocabulary is invalid"))?;
    let mut values = graph.objects_for_subject_predicate(subject, p);
    let value = values.next();
    if values.next().is_some() {
        return Err(bad(format!(
            "an entry of the manifest has two values for <{predicate}> ({what})"
        )));
    }
    match value {
        Some(TermRef::Literal(l)) => Ok(l.value()),
        Some(TermRef::NamedNode(n)) => Ok(n.as_str()),
        _ => Err(bad(format!(
            "an entry of the manifest lacks <{predicate}> ({what})"
        ))),
    }
}

fn of_type<'g>(graph: &'g Graph, class: &str) -> Vec<NamedOrBlankNodeRef<'g>> {
    match NamedNodeRef::new(class) {
        Ok(c) => graph.subjects_for_predicate_object(rdf::TYPE, c).collect(),
        Err(_) => Vec::new(),
    }
}

/// Most files an archive may hold (resources, log entries, README, manifest).
pub const MAX_ENTRIES: usize = 2_000_000;
/// Most bytes one file of an archive may hold.
pub const MAX_ENTRY_BYTES: u64 = 1024 * 1024 * 1024;
/// Most bytes of a media type in the manifest.
pub const MAX_MEDIA_TYPE_BYTES: usize = 255;

/// The files of a tar archive held in memory, read with caps: at most
/// [`MAX_ENTRIES`] files; a file's declared size at most [`MAX_ENTRY_BYTES`]
/// and at most what is left of the archive after its header; its bytes read
/// through a reader that stops at that size (never allocated from the
/// header). Only plain files (and directories, skipped) are accepted.
pub fn read_tar(archive: &[u8]) -> Result<HashMap<String, Vec<u8>>, PortabilityError> {
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    let total = archive.len() as u64;
    let mut reader = tar::Archive::new(archive);
    let entries = reader
        .entries()
        .map_err(|e| bad(format!("it is not a tar archive ({e})")))?;
    let mut count = 0usize;
    for entry in entries {
        let entry = entry.map_err(|e| bad(format!("it is damaged or truncated ({e})")))?;
        count += 1;
        if count > MAX_ENTRIES {
            return Err(bad(format!(
                "it holds more than {MAX_ENTRIES} files, more than a pod export may"
            )));
        }
        let name = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| bad("a file name in it is not UTF-8"))?;
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Directory => continue,
            other => {
                return Err(bad(format!(
                    "{name:?} is not a plain file ({other:?}); an export holds only files"
                )));
            }
        }
        let declared = entry.size();
        let left = total.saturating_sub(entry.raw_file_position());
        if declared > MAX_ENTRY_BYTES {
            return Err(bad(format!(
                "{name:?} declares {declared} bytes, more than the {} MiB a file of an export may hold",
                MAX_ENTRY_BYTES / (1024 * 1024)
            )));
        }
        if declared > left {
            return Err(bad(format!(
                "it is damaged or truncated at {name:?} (it declares {declared} bytes,                  {left} are left in the archive)"
            )));
        }
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(entry, declared), &mut body)
            .map_err(|e| bad(format!("it is damaged or truncated at {name:?} ({e})")))?;
        if body.len() as u64 != declared {
            return Err(bad(format!("it is damaged or truncated at {name:?}")));
        }
        if files.insert(name.clone(), body).is_some() {
            return Err(bad(format!("it holds {name:?} twice")));
        }
    }
    Ok(files)
}

/// The media type to store for `path`, from the manifest's claim: it must be
/// a media type (`type/subtype` and parameters, printable ASCII, at most
/// [`MAX_MEDIA_TYPE_BYTES`]); RDF types are re-derived to their canonical
/// form, and containers and auxiliary resources must be RDF (as the store
/// requires when they are written over HTTP).
pub fn media_type_of(
    path: &ResourcePath,
    claimed: &str,
    body: &[u8],
) -> Result<String, PortabilityError> {
    let refuse = || {
        bad(format!(
            "the media type of {path} in its manifest, {:?}, is not a media type",
            claimed.chars().take(80).collect::<String>()
        ))
    };
    if claimed.is_empty()
        || claimed.len() > MAX_MEDIA_TYPE_BYTES
        || !claimed.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return Err(refuse());
    }
    let parsed: mime::Mime = claimed.parse().map_err(|_| refuse())?;
    if parsed.type_() == mime::STAR || parsed.subtype() == mime::STAR {
        return Err(refuse());
    }
    let must_be_rdf = path.is_container() || path.auxiliary_kind().is_some();
    match selfdata_rdf::RdfFormat::from_media_type(claimed) {
        Some(format) => Ok(format.media_type().to_owned()),
        None if must_be_rdf && body.is_empty() => Ok("text/turtle".to_owned()),
        None if must_be_rdf => Err(bad(format!(
            "{path} holds RDF in a pod, but its manifest says it is {claimed:?}"
        ))),
        None => Ok(parsed.to_string()),
    }
}

/// Reads and checks a whole archive, before anything is written: the
/// manifest parses, every file it lists is there with its size and SHA-256,
/// no file is unlisted or twice, every path is a valid pod path, every media
/// type is one (see [`media_type_of`]). The tar is read by [`read_tar`].
pub fn check_archive(archive: &[u8]) -> Result<CheckedArchive, PortabilityError> {
    let mut files = read_tar(archive)?;
    files.remove("README.md");
    let manifest = files
        .remove("manifest.ttl")
        .ok_or_else(|| bad("it has no manifest.ttl; is it a selfdata export?"))?;
    let graph = selfdata_rdf::parse(
        &manifest,
        selfdata_rdf::RdfFormat::Turtle,
        "urn:selfdata:export:manifest",
    )
    .map_err(|e| bad(format!("its manifest.ttl is not valid Turtle ({e})")))?;

    let exports = of_type(&graph, &sd("PodExport"));
    let [export] = exports[..] else {
        return Err(bad("its manifest does not describe exactly one pod export"));
    };
    let version = one(&graph, export, &sd("formatVersion"), "format version")?;
    if version != FORMAT_VERSION.to_string() {
        return Err(bad(format!(
            "it is in format version {version}; this server reads version {FORMAT_VERSION}"
        )));
    }
    let pod = one(&graph, export, &sd("pod"), "pod name")?.to_owned();
    let server = one(&graph, export, &sd("server"), "server")?.to_owned();
    let owner = one(&graph, export, &sd("owner"), "owner")?.to_owned();

    let mut take = |file: &str, size: &str, sha: &str| -> Result<Bytes, PortabilityError> {
        let body = files
            .remove(file)
            .ok_or_else(|| bad(format!("{file:?} is listed in the manifest but missing")))?;
        if size.parse::<u64>().ok() != Some(body.len() as u64) {
            return Err(bad(format!(
                "{file:?} holds {} bytes where the manifest says {size}",
                body.len()
            )));
        }
        if !sha.eq_ignore_ascii_case(&sha256_hex(&body)) {
            return Err(bad(format!(
                "{file:?} does not match its SHA-256 in the manifest (it was changed or damaged)"
            )));
        }
        Ok(Bytes::from(body))
    };

    let mut resources = Vec::new();
    let mut seen = BTreeSet::new();
    let mut shared: HashMap<String, Bytes> = HashMap::new();
    for node in of_type(&graph, &sd("Resource")) {
        let raw = one(&graph, node, &sd("path"), "path")?;
        let path = ResourcePath::parse(raw)
            .map_err(|e| bad(format!("{raw:?} is not a valid path in a pod ({e})")))?;
        if !seen.insert(path.clone()) {
            return Err(bad(format!("{path} is listed twice")));
        }
        let content_type = one(
            &graph,
            node,
            "http://purl.org/dc/terms/format",
            "media type",
        )?;
        let size = one(&graph, node, &sd("size"), "size")?;
        let sha = one(&graph, node, &sd("sha256"), "SHA-256")?;
        let container = one(&graph, node, &sd("container"), "container")?;
        if (container == "true") != path.is_container() {
            return Err(bad(format!(
                "{path} is wrongly marked as a container or not"
            )));
        }
        let expected = file_of(&path, &sha.to_ascii_lowercase(), size.parse().unwrap_or(1));
        let listed = match graph
            .objects_for_subject_predicate(node, NamedNodeRef::new_unchecked(&sd("file")))
            .next()
        {
            Some(TermRef::Literal(l)) => Some(l.value()),
            _ => None,
        };
        if listed != expected.as_deref() {
            return Err(bad(format!(
                "the file of {path} should be {expected:?}, the manifest says {listed:?}"
            )));
        }
        let body = match &expected {
            // Containers with the same triples share one file.
            Some(file) if path.is_container() => match shared.get(file) {
                Some(b) => b.clone(),
                None => {
                    let b = take(file, size, sha)?;
                    shared.insert(file.clone(), b.clone());
                    b
                }
            },
            Some(file) => take(file, size, sha)?,
            None => {
                if size != "0" || !sha.eq_ignore_ascii_case(&sha256_hex(b"")) {
                    return Err(bad(format!("{path} has no file but is not empty")));
                }
                Bytes::new()
            }
        };
        let content_type = media_type_of(&path, content_type, &body)?;
        resources.push(Listed {
            path,
            content_type,
            body,
        });
    }
    if !seen.contains(&ResourcePath::root()) {
        return Err(bad("its manifest does not list the pod's root container"));
    }
    for path in &seen {
        if let Some(parent) = path.parent()
            && !seen.contains(&parent)
        {
            return Err(bad(format!(
                "{path} is listed without its container {parent}"
            )));
        }
        if let Some(twin) = path.slash_twin()
            && seen.contains(&twin)
        {
            return Err(bad(format!("{path} and {twin} cannot both exist")));
        }
    }

    let mut log = Vec::new();
    let mut keys = BTreeSet::new();
    for node in of_type(&graph, &sd("LogEntry")) {
        let key = one(&graph, node, &sd("key"), "log key")?;
        if !key.starts_with(LOG_PREFIX) {
            return Err(bad(format!("{key:?} is not an access log entry")));
        }
        if !keys.insert(key.to_owned()) {
            return Err(bad(format!("the log entry {key:?} is listed twice")));
        }
        let file = log_file(key);
        if one(&graph, node, &sd("file"), "log file")? != file {
            return Err(bad(format!("the log entry {key:?} should be in {file:?}")));
        }
        let size = one(&graph, node, &sd("size"), "size")?;
        let sha = one(&graph, node, &sd("sha256"), "SHA-256")?;
        log.push((key.to_owned(), take(&file, size, sha)?));
    }
    if let Some(extra) = files.keys().min() {
        return Err(bad(format!(
            "it holds {extra:?}, which its manifest does not list"
        )));
    }
    resources.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(CheckedArchive {
        pod,
        server,
        owner,
        resources,
        log,
    })
}

/// Restores an archive as the pod `name` (default: the name it was exported
/// under): the whole archive is checked first, then the pod is created and
/// everything written in one batch, then every service rebuilds what it
/// derives (the energy index…).
/// `base_url` is this server's, to tell whether the WebIDs still fit;
/// `reserved`, the names of the server's routes, which no pod may take.
pub async fn import_pod(
    store: &dyn Backend,
    services: &Registry,
    archive: &[u8],
    name: Option<&PodName>,
    base_url: &str,
    reserved: &ReservedNames,
) -> Result<Imported, PortabilityError> {
    let checked = check_archive(archive)?;
    let pod = match name {
        Some(n) => reserved.new_pod(n.as_str()).map_err(StoreError::from)?,
        None => reserved.new_pod(&checked.pod).map_err(|e| {
            bad(format!(
                "its pod name {:?} is not valid here ({e})",
                checked.pod
            ))
        })?,
    };
    if store.pod(&pod).await?.is_some() {
        return Err(PortabilityError::Exists(pod.to_string()));
    }
    match store.create_pod(&pod).await {
        Ok(_) => {}
        Err(StoreError::PodExists(n)) => return Err(PortabilityError::Exists(n)),
        Err(e) => return Err(e.into()),
    }
    let resources = checked.resources.len();
    let log_entries = checked.log.len();
    let mut writes = Vec::with_capacity(resources + log_entries);
    for r in checked.resources {
        writes.push(Write::Put {
            path: r.path,
            content_type: r.content_type,
            body: r.body,
            precondition: Precondition::None,
        });
    }
    for (key, value) in checked.log {
        writes.push(Write::Index {
            key,
            value: Some(value),
        });
    }
    if let Err(e) = store.write(&pod, Write::Batch(writes)).await {
        remove_failed(store, &pod).await;
        return Err(e.into());
    }
    let readings = match services.reindex(&pod).await {
        Ok(counts) => counts.iter().map(|(_, n)| n).sum(),
        Err(e) => {
            remove_failed(store, &pod).await;
            return Err(PortabilityError::Reindex(e.to_string()));
        }
    };
    let webid_here = selfdata_solid::provision::webid_of(base_url, &pod);
    Ok(Imported {
        pod,
        resources,
        log_entries,
        readings,
        original_webid: checked.owner,
        webid_here,
    })
}

/// After a failed import: its batch wrote nothing, so the pod is empty;
/// it is removed so that the name is free again.
async fn remove_failed(store: &dyn Backend, pod: &PodName) {
    if let Err(e) = store.delete_pod(pod).await {
        tracing::warn!(%pod, error = %e, "import failed; the empty pod could not be removed");
    }
}

// ------------------------------------------------------------------ HTTP

/// This module's routes.
pub fn routes() -> Router<Arc<PrivacyApp>> {
    Router::new()
        .route("/{pod}/selfdata/export", get(owner_export))
        .route("/app/privacy/export", get(session_export))
}

fn download(pod: &PodName, archive: Vec<u8>) -> Response {
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, MEDIA_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        archive,
    )
        .into_response();
    let disposition = format!("attachment; filename=\"{}\"", download_name(pod));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `GET /{pod}/selfdata/export`: for the holder of Read and Control on the root.
async fn owner_export(
    State(services): State<Arc<PrivacyApp>>,
    access: PodAccess,
) -> Result<Response, ApiError> {
    let pod = access
        .require("/", ModeSet::READ.with(selfdata_wac::Mode::Control))
        .await?;
    let state = &services.ctx.solid;
    let archive = export_pod(services.ctx.store.as_ref(), &pod, &state.config().base_url).await?;
    Ok(download(&pod, archive))
}

/// `GET /app/privacy/export`: the signed-in resident's pod.
async fn session_export(
    State(services): State<Arc<PrivacyApp>>,
    me: selfdata_site::Resident,
) -> Response {
    match export_pod(
        services.ctx.store.as_ref(),
        &me.pod,
        &services.ctx.solid.config().base_url,
    )
    .await
    {
        Ok(archive) => download(&me.pod, archive),
        Err(e) => ApiError::from(e).into_response(),
    }
}

// ------------------------------------------------------------------ fuzzing

/// Property checks shared by the `tar_import` fuzz target (`fuzz/`) and the
/// corpus replay test (`tests/archives.rs`): on any bytes, reading an
/// archive never panics nor allocates what a header merely claims, and what
/// it accepts keeps the caps.
pub mod fuzzing {
    use super::{
        MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_MEDIA_TYPE_BYTES, check_archive, media_type_of, read_tar,
    };

    /// The tar reader and the archive check on any bytes.
    pub fn check_tar(data: &[u8]) {
        if let Ok(files) = read_tar(data) {
            assert!(files.len() <= MAX_ENTRIES);
            let total: u64 = files.values().map(|b| b.len() as u64).sum();
            assert!(
                total <= data.len() as u64,
                "{total} bytes from {}",
                data.len()
            );
            assert!(files.values().all(|b| b.len() as u64 <= MAX_ENTRY_BYTES));
        }
        if let Ok(checked) = check_archive(data) {
            for r in &checked.resources {
                let t = &r.content_type;
                assert!(t.len() <= MAX_MEDIA_TYPE_BYTES, "{t:?}");
                assert!(t.bytes().all(|b| (0x20..0x7f).contains(&b)), "{t:?}");
                // What is stored is a media type that reads back as itself.
                match media_type_of(&r.path, t, &r.body) {
                    Ok(again) => assert_eq!(&again, t),
                    Err(e) => panic!("{t:?} stored for {} but refused again: {e}", r.path),
                }
                if r.path.is_container() || r.path.auxiliary_kind().is_some() {
                    assert!(
                        selfdata_rdf::RdfFormat::from_media_type(t).is_some(),
                        "{} stored as {t:?}",
                        r.path
                    );
                }
            }
        }
    }
}
