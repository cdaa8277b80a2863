//! The PostgreSQL engine, for a city: several identical, stateless servers
//! over one PostgreSQL-compatible database (a primary and its synchronous
//! standby), where the embedded engine keeps one process's SQLite files.
//!
//! Everything the embedded engine keeps in `host.sqlite` and the pods'
//! files lives in tables here, every pod's rows beside the others' (keyed
//! by pod). The SQL keeps to what distributed PostgreSQL-compatible engines
//! also accept: every write is one SERIALIZABLE transaction, retried when
//! the engine reports a serialization failure; no correctness depends on
//! advisory locks, LISTEN/NOTIFY or sequences' order.
//!
//! Encryption at rest is kept: bodies and derived values are sealed with a
//! key derived from the pod's data key (wrapped by the master key, as in
//! the embedded engine) before they reach the database; the directory's
//! personal values (emails, second-factor secrets) with a key derived from
//! the master key. Erasing a pod destroys its wrapped key first.
//!
//! The blocking `postgres` client runs on tokio's blocking threads, as
//! SQLite does: a request's database work never holds an async thread.
//!
//! Bodies above [`crate::INLINE_LIMIT`] may go to an S3-compatible
//! object store instead ([`PgSettings::objects`]), sealed and named as the
//! embedded engine's blob files are (see `pods.rs`); the bucket belongs to
//! one database: whatever its rows do not name is swept.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use postgres::error::SqlState;
use r2d2_postgres::PostgresConnectionManager;

use crate::StoreError;
use crate::crypto::{Key32, MasterKey};

mod directory;
mod feed;
mod holders;
mod objects;
mod placement;
mod pods;
mod studies;

pub use objects::ObjectSettings;
pub use placement::{MAIN, MOVE_GRACE, Moved, PLACEMENT_TTL};

/// Connections each server keeps open at most.
pub const DEFAULT_POOL_SIZE: u32 = 16;
/// How many times a transaction is tried when the engine reports a
/// conflict with a concurrent one.
const TRIES: u32 = 16;
/// How long a request waits for a connection (the database being away,
/// say) before it is answered 503.
const CONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How connections are encrypted: TLS (rustls) when the URL's `sslmode`
/// asks for it (`require`; `prefer`, the default, when the server offers
/// it), the server's certificate checked against the public roots and the
/// operator's authority ([`PgSettings::ca_file`]).
type Tls = tokio_postgres_rustls::MakeRustlsConnect;
type Pool = r2d2::Pool<PostgresConnectionManager<Tls>>;
/// A connection of the pool.
pub(crate) type Conn = r2d2::PooledConnection<PostgresConnectionManager<Tls>>;

/// Where a server finds its database.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// A libpq URL; several hosts and `target_session_attrs=read-write`
    /// follow a failover (`postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write`).
    pub url: String,
    pub pool_size: u32,
    /// An S3-compatible object store for bodies above
    /// [`crate::INLINE_LIMIT`]; without one every body is kept in
    /// the database.
    pub objects: Option<ObjectSettings>,
    /// More database clusters for pods, by name (the main database,
    /// [`MAIN`], keeps the directory, the registries and where each pod
    /// is): see `placement.rs`.
    pub clusters: Vec<(String, String)>,
    /// The cluster new pods are created on (the main database if none).
    pub new_pods_on: Option<String>,
    /// The authority (PEM certificates) the databases' certificates are
    /// signed by, when not a public one; with `sslmode=require` in the URLs.
    pub ca_file: Option<std::path::PathBuf>,
}

impl PgSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: DEFAULT_POOL_SIZE,
            objects: None,
            clusters: Vec::new(),
            new_pods_on: None,
            ca_file: None,
        }
    }
}

/// The PostgreSQL engine: pods ([`crate::Backend`]), the directory, the
/// holders' and the studies' registries.
pub struct PgStore {
    /// The main database and the pods' other clusters.
    clusters: placement::Clusters,
    /// The index of the cluster new pods are created on.
    new_pods_on: usize,
    master: MasterKey,
    /// Bytes each pod may hold unless it has its own quota.
    pod_quota: AtomicU64,
    /// Pods' keys, unwrapped once (a pod's key never changes; an erased
    /// pod's rows are gone with it and its name is never given again).
    pod_keys: Mutex<HashMap<String, Arc<pods::PodCrypto>>>,
    /// Where large bodies go, when the operator gave an object store.
    objects: Option<objects::Objects>,
    /// The background sweep of the object store, stopped with the store.
    sweeper: Option<tokio::task::AbortHandle>,
    /// The commits this server made, and those of other servers read
    /// from the change feed, for [`crate::Backend::changes`].
    changes: tokio::sync::broadcast::Sender<Arc<crate::Committed>>,
    /// This server among those sharing the database (the feed's `origin`).
    server_id: String,
    /// The pods this server listens to (`feed.rs`).
    listening: Arc<feed::Listening>,
    /// The reader of the change feed, stopped with the store.
    feed_reader: Option<tokio::task::AbortHandle>,
}

impl Drop for PgStore {
    /// Stops the background tasks (the pools close on a thread of their
    /// own once the last holder lets go: `placement::Pools`).
    fn drop(&mut self) {
        if let Some(sweeper) = self.sweeper.take() {
            sweeper.abort();
        }
        if let Some(reader) = self.feed_reader.take() {
            reader.abort();
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// Whether an error means "try the transaction again".
fn is_conflict(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Whether an error means the database is away for now (a failover, a
/// restart, a standby reached): the request may be tried again shortly.
fn is_unavailable(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        // No SQL state: the connection (I/O), not a bad statement or value
        // of ours (those stay failures: a 500, never retried).
        None => {
            e.as_db_error().is_none()
                && std::error::Error::source(e)
                    .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
        }
        Some(c) => {
            *c == SqlState::READ_ONLY_SQL_TRANSACTION
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::TOO_MANY_CONNECTIONS
                || c.code().starts_with("08")
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        if is_conflict(&e) {
            return StoreError::Conflict;
        }
        if is_unavailable(&e) {
            return StoreError::Unavailable(e.to_string());
        }
        if e.code() == Some(&SqlState::DISK_FULL) {
            return StoreError::DiskFull;
        }
        StoreError::Io(e.to_string())
    }
}

/// Whether a database error is a unique-key violation (an email taken
/// meanwhile by another server's request, say).
pub(crate) fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

impl PgStore {
    /// Connects to the database and creates or completes its schema.
    pub async fn connect(settings: &PgSettings, master: MasterKey) -> Result<Self, StoreError> {
        let size = settings.pool_size.max(1);
        let tls = tls(settings.ca_file.as_deref())?;
        let mut list = vec![(
            placement::MAIN.to_owned(),
            open_pool(&settings.url, size, tls.clone()).await?,
        )];
        for (name, url) in &settings.clusters {
            let valid = !name.is_empty()
                && name.len() <= 63
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid || list.iter().any(|(n, _)| n == name) {
                return Err(StoreError::Io(format!(
                    "'{name}' cannot name a database cluster: names are letters, digits, '-' and '_', each used once, and '{}' is the main database",
                    placement::MAIN
                )));
            }
            list.push((name.clone(), open_pool(url, size, tls.clone()).await?));
        }
        let clusters = placement::Clusters::new(list);
        let new_pods_on = match &settings.new_pods_on {
            Some(name) => clusters.index_of(name)?,
            None => 0,
        };
        let objects = match &settings.objects {
            Some(object_settings) => {
                let objects = objects::Objects::new(object_settings)?;
                objects.check().await?;
                Some(objects)
            }
            None => None,
        };
        let (changes, _) = tokio::sync::broadcast::channel(crate::CHANGES_BACKLOG);
        let mut store = Self {
            clusters,
            new_pods_on,
            master,
            pod_quota: AtomicU64::new(u64::MAX),
            pod_keys: Mutex::new(HashMap::new()),
            objects,
            sweeper: None,
            changes,
            server_id: hex::encode(rand::random::<[u8; 12]>()),
            listening: Arc::new(feed::Listening::default()),
            feed_reader: None,
        };
        store.create_schema().await?;
        store.feed_reader = Some(feed::start_reader(
            store.clusters().clone(),
            store.listening.clone(),
            store.server_id.clone(),
            store.changes.clone(),
        ));
        if let Some(objects) = &store.objects {
            store.sweeper = Some(pods::start_sweeper(
                store.clusters().clone(),
                objects.clone(),
            ));
        }
        Ok(store)
    }

    /// The main database's pool.
    fn pool(&self) -> &Pool {
        self.clusters().main()
    }

    fn clusters(&self) -> &placement::Clusters {
        &self.clusters
    }

    /// Bytes each pod may hold unless the operator gave it its own quota.
    pub fn with_pod_quota(self, bytes: u64) -> Self {
        self.pod_quota.store(bytes, Ordering::Relaxed);
        self
    }

    pub(crate) fn default_quota(&self) -> u64 {
        self.pod_quota.load(Ordering::Relaxed)
    }

    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    async fn create_schema(&self) -> Result<(), StoreError> {
        let main = format!(
            "{} {} {} {} {} {}",
            pods::SCHEMA,
            feed::SCHEMA,
            placement::SCHEMA,
            directory::SCHEMA,
            holders::SCHEMA,
            studies::SCHEMA
        );
        schema_on(self.pool().clone(), main).await?;
        // The pods' other clusters hold pods only.
        for pool in self.clusters().pools().skip(1) {
            schema_on(pool.clone(), format!("{} {}", pods::SCHEMA, feed::SCHEMA)).await?;
        }
        Ok(())
    }

    /// Runs `f` with a connection, on a blocking thread.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        run_on(self.pool().clone(), f).await
    }

    /// Runs `f` in one SERIALIZABLE transaction on a blocking thread,
    /// trying again (up to [`TRIES`] times) when it conflicted with another
    /// ([`StoreError::Conflict`]). `f` may run more than once: it must not
    /// act outside the transaction.
    pub(crate) async fn txn<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut postgres::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.txn_at(postgres::IsolationLevel::Serializable, f).await
    }

    /// [`PgStore::txn`] at another isolation level: a pod's writes run
    /// READ COMMITTED under the pod row's lock (see `pods.rs`).
    pub(crate) async fn txn_at<T: Send + 'static>(
        &self,
        isolation: postgres::IsolationLevel,
        f: impl FnMut(&mut postgres::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        txn_on(self.pool().clone(), isolation, f).await
    }
}

/// Creates or completes a database's schema (`sql`, idempotent).
async fn schema_on(pool: Pool, sql: String) -> Result<(), StoreError> {
    // Two servers starting at once may race on CREATE … IF NOT EXISTS
    // (a unique violation in the catalogue): the loser tries again.
    let mut attempt = 0;
    loop {
        let sql = sql.clone();
        let done = run_on(pool.clone(), move |c| {
            // A transaction the client rolls back when dropped: a failed
            // attempt leaves the pooled connection clean.
            let mut tx = c.transaction()?;
            tx.batch_execute(&sql)?;
            tx.commit()?;
            Ok(())
        })
        .await;
        match done {
            Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
            Err(_) if attempt < 5 => attempt += 1,
            other => return other,
        }
    }
}

/// The TLS connector of every connection: the public roots, and the
/// certificates of `ca_file` when given.
fn tls(ca_file: Option<&std::path::Path>) -> Result<Tls, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let unreadable = |e: &dyn std::fmt::Display| {
            StoreError::Io(format!(
                "the database's certificate authority {} cannot be read: {e}",
                path.display()
            ))
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
            roots
                .add(cert.map_err(|e| unreadable(&e))?)
                .map_err(|e| unreadable(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(unreadable(&"it holds no PEM certificate"));
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Io(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A pool of connections to the database `url` names.
async fn open_pool(url: &str, size: u32, tls: Tls) -> Result<Pool, StoreError> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Io(format!("the database URL cannot be read: {e}")))?;
    let manager = PostgresConnectionManager::new(config, tls);
    tokio::task::spawn_blocking(move || {
        r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(CONNECT_WAIT)
            // A connection broken by a failover is dropped when it is
            // returned (`has_broken`); not testing each checkout saves a
            // round trip per request.
            .test_on_check_out(false)
            .build(manager)
    })
    .await
    .map_err(|e| StoreError::Io(e.to_string()))?
    .map_err(|e| StoreError::Unavailable(format!("cannot reach the database: {e}")))
}

/// [`PgStore::run`] on a pool (for tasks that outlive no store).
async fn run_on<T: Send + 'static>(
    pool: Pool,
    f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| StoreError::Unavailable(format!("no database connection: {e}")))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| StoreError::Io(e.to_string()))?
}

/// [`PgStore::txn_at`] on a pool.
async fn txn_on<T: Send + 'static>(
    pool: Pool,
    isolation: postgres::IsolationLevel,
    mut f: impl FnMut(&mut postgres::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    run_on(pool, move |conn| {
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = (|| {
                let mut tx = conn
                    .build_transaction()
                    .isolation_level(isolation)
                    .start()?;
                let out = f(&mut tx)?;
                tx.commit()?;
                Ok(out)
            })();
            match attempt {
                Err(StoreError::Conflict) if tries < TRIES => {
                    std::thread::sleep(std::time::Duration::from_millis(
                        (1u64 << tries.min(6)) + rand::random::<u64>() % 8,
                    ));
                }
                other => return other,
            }
        }
    })
    .await
}

/// For tests: databases of their own on a PostgreSQL server.
pub mod testing {
    /// The server the tests use: `SELFDATA_TEST_POSTGRES`, a URL to a
    /// database the tests may create databases from (`bash
    /// scripts/postgres.sh start` starts one and prints it).
    pub fn server_url() -> String {
        std::env::var("SELFDATA_TEST_POSTGRES").expect(
            "the PostgreSQL tests need a server: run `bash scripts/postgres.sh start` and set SELFDATA_TEST_POSTGRES to the URL it prints (scripts/test-all.sh does both)",
        )
    }

    /// Creates an empty database on the tests' server and returns its URL.
    pub fn fresh_database() -> String {
        fresh_database_on(&server_url())
    }

    /// Creates an empty database on the server (or cluster) `server` names
    /// and returns its URL.
    pub fn fresh_database_on(server: &str) -> String {
        let server = server.to_owned();
        let name = format!("sdtest_{}", hex::encode(rand::random::<[u8; 8]>()));
        // On a thread of its own: the blocking client may not run inside
        // an async test's runtime.
        let (admin_url, create) = (server.clone(), format!("CREATE DATABASE {name}"));
        std::thread::spawn(move || {
            let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
                .expect("cannot reach the tests' PostgreSQL server");
            admin
                .batch_execute(&create)
                .expect("cannot create a test database");
        })
        .join()
        .expect("creating a test database failed");
        with_database(&server, &name)
    }

    /// Creates a bucket of its own on the tests' object store (`endpoint`,
    /// SeaweedFS, which takes unsigned requests unless configured
    /// otherwise) with a plain S3 PUT Bucket request; returns its name.
    pub fn fresh_bucket(endpoint: &str) -> String {
        use std::io::{Read as _, Write as _};
        let bucket = format!("sdtest-{}", hex::encode(rand::random::<[u8; 6]>()));
        let authority = endpoint
            .split_once("://")
            .map_or(endpoint, |(_, r)| r)
            .trim_end_matches('/');
        let mut conn =
            std::net::TcpStream::connect(authority).expect("the tests' object store answers");
        write!(
            conn,
            "PUT /{bucket} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("a request to the object store");
        let mut answer = String::new();
        conn.read_to_string(&mut answer)
            .expect("an answer of the object store");
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "creating the bucket {bucket}: {answer}"
        );
        bucket
    }

    /// The tests' object store for a new server, when the run has one
    /// (`SELFDATA_TEST_S3`): a bucket of its own.
    pub fn object_store() -> Option<super::ObjectSettings> {
        let endpoint = std::env::var("SELFDATA_TEST_S3").ok()?;
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        Some(super::ObjectSettings {
            bucket: fresh_bucket(&endpoint),
            endpoint,
            access_key: "selfdata".into(),
            secret_key: "selfdata-secret".into(),
            region: "us-east-1".into(),
        })
    }

    /// `url` naming the database `name` instead of its own.
    pub fn with_database(url: &str, name: &str) -> String {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (url, None),
        };
        let authority_end = base.find("://").map_or(0, |i| i + 3);
        let base = match base[authority_end..].find('/') {
            Some(slash) => &base[..authority_end + slash],
            None => base,
        };
        match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        }
    }
}
