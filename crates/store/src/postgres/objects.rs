//! An S3-compatible object store for the large bodies of the PostgreSQL
//! engine (Apache Arrow's `object_store`): each body above
//! [`crate::INLINE_LIMIT`] is sealed and kept as one object
//! `pods/<pod>/<blob name>`, content-addressed as the embedded engine's
//! blob files are (see `pods.rs`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    ClientOptions, MultipartUpload, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig,
};

use crate::StoreError;

/// Where the object store is and how to sign in to it.
#[derive(Clone, PartialEq, Eq)]
pub struct ObjectSettings {
    /// `http://127.0.0.1:8333`, `https://s3.example.org`: requests are
    /// path-style (`<endpoint>/<bucket>/<key>`); plain http is accepted
    /// for loopback endpoints only.
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl std::fmt::Debug for ObjectSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectSettings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// One listed object.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    /// Its key, `pods/<pod>/<name>`.
    pub key: String,
    /// When it was written, in milliseconds since the epoch.
    pub modified_ms: i64,
}

/// A client of the object store.
#[derive(Debug, Clone)]
pub(crate) struct Objects {
    store: Arc<AmazonS3>,
}

/// Whether an endpoint's host is a loopback address.
fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An object store error as the store's: a missing object is damage (a
/// row names it), anything else means the store is away for now.
pub(crate) fn store_error(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { path, .. } => StoreError::Io(format!(
            "the object {path} is missing from the object store"
        )),
        other => StoreError::Unavailable(format!("the object store: {other}")),
    }
}

fn key(key: &str) -> Result<Path, StoreError> {
    Path::parse(key).map_err(|e| StoreError::Io(format!("bad object key {key}: {e}")))
}

/// Writes one object in parts as they come (see [`Objects::writer`]): a
/// body that fits one part is put at once (not replacing an object that
/// exists), a larger one is a multipart upload.
pub(crate) struct ObjectWriter {
    objects: Objects,
    key: Path,
    /// Bytes gathered for the next part.
    part: Vec<u8>,
    upload: Option<Box<dyn MultipartUpload>>,
    runtime: tokio::runtime::Handle,
}

/// Bytes of each part of a multipart upload but the last (S3 wants 5 MiB
/// at least).
const PART: usize = 8 << 20;

impl ObjectWriter {
    fn send_part(&mut self) -> std::io::Result<()> {
        let data = Bytes::from(std::mem::replace(&mut self.part, Vec::with_capacity(PART)));
        let runtime = self.runtime.clone();
        if self.upload.is_none() {
            let store = self.objects.store.clone();
            let key = self.key.clone();
            self.upload = Some(
                runtime
                    .block_on(async move { store.put_multipart(&key).await })
                    .map_err(std::io::Error::other)?,
            );
        }
        let upload = self.upload.as_mut().expect("started above");
        runtime
            .block_on(upload.put_part(PutPayload::from(data)))
            .map_err(std::io::Error::other)
    }

    /// Puts what is gathered or completes the multipart upload.
    pub(crate) fn complete(mut self) -> Result<(), StoreError> {
        match self.upload.take() {
            None => {
                let data = Bytes::from(std::mem::take(&mut self.part));
                self.runtime.block_on(self.objects.put_new(&self.key, data))
            }
            Some(mut upload) => {
                if !self.part.is_empty() {
                    let data = Bytes::from(std::mem::take(&mut self.part));
                    self.runtime
                        .block_on(upload.put_part(PutPayload::from(data)))
                        .map_err(store_error)?;
                }
                self.runtime
                    .block_on(upload.complete())
                    .map_err(store_error)?;
                Ok(())
            }
        }
    }

    /// Gives up: a multipart upload started is aborted.
    pub(crate) fn abort(mut self) {
        if let Some(mut upload) = self.upload.take() {
            let _ = self.runtime.block_on(upload.abort());
        }
    }
}

impl std::io::Write for ObjectWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.part.len() >= PART {
            self.send_part()?;
        }
        let n = data.len().min(PART - self.part.len());
        self.part.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Objects {
    /// A client (no request made yet).
    pub(crate) fn new(settings: &ObjectSettings) -> Result<Self, StoreError> {
        let endpoint = settings.endpoint.trim_end_matches('/');
        let options = ClientOptions::new()
            .with_allow_http(is_loopback(endpoint))
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(300));
        let retry = RetryConfig {
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
            ..RetryConfig::default()
        };
        let store = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_bucket_name(&settings.bucket)
            .with_access_key_id(&settings.access_key)
            .with_secret_access_key(&settings.secret_key)
            .with_region(&settings.region)
            .with_virtual_hosted_style_request(false)
            .with_client_options(options)
            .with_retry(retry)
            .build()
            .map_err(|e| StoreError::Io(format!("the object store settings: {e}")))?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// Checks the bucket answers (a listing of one key).
    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        let prefix = key("pods")?;
        match self.store.list(Some(&prefix)).next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(StoreError::Unavailable(format!(
                "cannot reach the object store's bucket: {e}"
            ))),
        }
    }

    /// Writes an object unless one exists under that key (content-addressed:
    /// the same key holds the same body).
    pub(crate) async fn put_new(&self, key_name: &Path, data: Bytes) -> Result<(), StoreError> {
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(key_name, PutPayload::from(data), options)
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }

    /// [`Objects::put_new`] of `pods/<pod>/<name>`.
    pub(crate) async fn put(&self, pod: &str, name: &str, data: Bytes) -> Result<(), StoreError> {
        self.put_new(&blob_key(pod, name)?, data).await
    }

    /// A writer of `pods/<pod>/<name>` for a blocking thread; `runtime`
    /// runs its requests.
    pub(crate) fn writer(
        &self,
        pod: &str,
        name: &str,
        runtime: tokio::runtime::Handle,
    ) -> Result<ObjectWriter, StoreError> {
        Ok(ObjectWriter {
            objects: self.clone(),
            key: blob_key(pod, name)?,
            part: Vec::with_capacity(PART.min(1 << 20)),
            upload: None,
            runtime,
        })
    }

    /// Whether `pods/<pod>/<name>` exists.
    pub(crate) async fn exists(&self, pod: &str, name: &str) -> Result<bool, StoreError> {
        match self.store.head(&blob_key(pod, name)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The object `pods/<pod>/<name>`, whole.
    pub(crate) async fn get(&self, pod: &str, name: &str) -> Result<Bytes, StoreError> {
        let got = self
            .store
            .get(&blob_key(pod, name)?)
            .await
            .map_err(store_error)?;
        got.bytes().await.map_err(store_error)
    }

    /// Deletes an object by its key; one already gone is no error.
    pub(crate) async fn delete(&self, key_name: &str) -> Result<(), StoreError> {
        match self.store.delete(&key(key_name)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Every object whose key starts with `prefix/` (a folder of keys:
    /// `pods`, `pods/<pod>`), with when it was written.
    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let prefix = key(prefix)?;
        let mut listing = self.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error)?;
            out.push(Listed {
                key: meta.location.to_string(),
                modified_ms: meta.last_modified.timestamp_millis(),
            });
        }
        Ok(out)
    }
}

/// The key of a pod's blob: `pods/<pod>/<name>`.
pub(crate) fn blob_key(pod: &str, name: &str) -> Result<Path, StoreError> {
    key(&format!("pods/{pod}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints() {
        assert!(is_loopback("http://127.0.0.1:8333"));
        assert!(is_loopback("http://localhost:8333/"));
        assert!(is_loopback("http://[::1]:8333"));
        assert!(!is_loopback("http://10.0.0.2:8333"));
        assert!(!is_loopback("https://s3.example.org"));
    }
}
