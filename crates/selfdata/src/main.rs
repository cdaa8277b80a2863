//! The `selfdata` binary: command-line parsing and wiring, nothing else.
//! Errors become a plain sentence on stderr and a non-zero exit code.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{CommandFactory, Parser, Subcommand};
use selfdata::{App, Options, Upload};
use selfdata_idp::SignupMode;
use selfdata_store::{Directory, PodName};

mod config;

/// selfdata: a personal data store. Residents gather the data organisations
/// hold about them in a pod of their own, speaking the Solid Protocol.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// The configuration file: `setting = value` lines named like these
    /// options (default: /etc/selfdata/selfdata.toml if it exists). Flags
    /// and environment variables win over it.
    #[arg(long, global = true, env = "SELFDATA_CONFIG")]
    config: Option<PathBuf>,
    /// Folder holding all the pods (created if missing).
    #[arg(
        long,
        global = true,
        env = "SELFDATA_DATA",
        default_value = "selfdata-data"
    )]
    data: PathBuf,
    /// File holding the host master key (64 hex digits) that protects every
    /// pod's data key (default: DATA/master.key, created on first use).
    #[arg(long, global = true, env = "SELFDATA_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// The host master key itself (64 hex digits), instead of a file.
    #[arg(
        long,
        global = true,
        env = "SELFDATA_MASTER_KEY",
        hide_env_values = true
    )]
    master_key: Option<String>,
    /// Keep everything in this PostgreSQL database instead of the data
    /// folder's SQLite files, so that several servers can share it: a libpq
    /// URL, several hosts allowed
    /// (`postgres://selfdata@db1,db2/selfdata?target_session_attrs=read-write`).
    /// Every server must then have the same master key.
    #[arg(
        long,
        global = true,
        env = "SELFDATA_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// With --database-url: keep bodies above 512 KiB in this S3-compatible
    /// object store (`https://s3.example.org`; http only on loopback)
    /// instead of the database, sealed as in the data folder.
    #[arg(long, global = true, env = "SELFDATA_OBJECT_STORE_URL")]
    object_store_url: Option<String>,
    /// The object store's bucket (one per installation).
    #[arg(
        long,
        global = true,
        env = "SELFDATA_OBJECT_STORE_BUCKET",
        default_value = "selfdata"
    )]
    object_store_bucket: String,
    /// The object store's access key id.
    #[arg(
        long,
        global = true,
        env = "SELFDATA_OBJECT_STORE_ACCESS_KEY",
        default_value = ""
    )]
    object_store_access_key: String,
    /// The object store's secret key.
    #[arg(
        long,
        global = true,
        env = "SELFDATA_OBJECT_STORE_SECRET_KEY",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true
    )]
    object_store_secret_key: String,
    /// The object store's region.
    #[arg(
        long,
        global = true,
        env = "SELFDATA_OBJECT_STORE_REGION",
        default_value = "us-east-1"
    )]
    object_store_region: String,
    /// With --database-url: another database cluster for pods, as
    /// NAME=URL (repeatable; the --database-url one is named `main` and
    /// keeps the accounts, the registries and where each pod is). Every
    /// server must be given the same clusters.
    #[arg(
        long = "pod-database",
        global = true,
        env = "SELFDATA_POD_DATABASES",
        value_delimiter = ' ',
        value_parser = named_database,
        hide_env_values = true
    )]
    pod_databases: Vec<(String, String)>,
    /// With --pod-database: the cluster new pods are created on (default:
    /// main); set it to another when one is full.
    #[arg(long, global = true, env = "SELFDATA_NEW_PODS_ON")]
    new_pods_on: Option<String>,
    /// With --database-url: the certificate authority (a PEM file) the
    /// databases' certificates are signed by, when it is not a public one.
    /// Put `sslmode=require` in the URLs so that no connection goes
    /// unencrypted.
    #[arg(long, global = true, env = "SELFDATA_DATABASE_CA_FILE")]
    database_ca_file: Option<PathBuf>,
    /// Connections each server keeps to the database at most.
    #[arg(long, global = true, env = "SELFDATA_DATABASE_POOL", default_value_t = selfdata_store::postgres::DEFAULT_POOL_SIZE)]
    database_pool: u32,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// The master key, from the variable or a given file (`None`: the default file).
    fn master(&self) -> anyhow::Result<Option<selfdata_store::crypto::MasterKey>> {
        use selfdata_store::crypto::MasterKey;
        if let Some(hex) = &self.master_key {
            return Ok(Some(
                MasterKey::from_hex(hex).context("SELFDATA_MASTER_KEY is not a key")?,
            ));
        }
        match &self.master_key_file {
            Some(file) => Ok(Some(MasterKey::load_or_create(file)?)),
            None => Ok(None),
        }
    }

    /// The PostgreSQL database, when one is given.
    fn database(&self) -> Option<selfdata_store::postgres::PgSettings> {
        self.database_url.as_ref().map(|url| {
            let mut settings = selfdata_store::postgres::PgSettings::new(url);
            settings.pool_size = self.database_pool;
            settings.objects = self.objects();
            settings.clusters = self.pod_databases.clone();
            settings.new_pods_on = self.new_pods_on.clone();
            settings.ca_file = self.database_ca_file.clone();
            settings
        })
    }

    /// The object store for large bodies, when one is given.
    fn objects(&self) -> Option<selfdata_store::postgres::ObjectSettings> {
        self.object_store_url
            .as_ref()
            .map(|endpoint| selfdata_store::postgres::ObjectSettings {
                endpoint: endpoint.clone(),
                bucket: self.object_store_bucket.clone(),
                access_key: self.object_store_access_key.clone(),
                secret_key: self.object_store_secret_key.clone(),
                region: self.object_store_region.clone(),
            })
    }
}

// Parsed once at start and matched once: the size of its largest variant
// (`serve`'s options) costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// The configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run the server: every pod in the data folder, over HTTP.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "SELFDATA_ADDR", default_value = "127.0.0.1:8000")]
        addr: SocketAddr,
        /// Public address of this server as clients see it (default: http://ADDR).
        #[arg(long, env = "SELFDATA_BASE_URL", value_parser = public_url)]
        base_url: Option<String>,
        /// Put the resident pages and the identity provider on an origin of
        /// their own (e.g. https://my.city.example, pods staying at
        /// --base-url); both names must reach this server.
        #[arg(long, env = "SELFDATA_PAGES_URL", value_parser = public_url)]
        pages_url: Option<String>,
        /// Largest request body accepted, in bytes (files uploaded to
        /// import have their own limit).
        #[arg(long, default_value_t = 64 * 1024 * 1024)]
        max_body_bytes: usize,
        /// Largest upload of files to import, all files together, in MiB
        /// (spooled to disk sealed, never held in memory).
        #[arg(long, default_value_t = selfdata::DEFAULT_MAX_UPLOAD_BYTES / (1024 * 1024))]
        max_upload_mib: u64,
        /// Who may create an account: open, invite (with a code from
        /// `selfdata invite create`) or closed (only `selfdata account create`).
        #[arg(long, env = "SELFDATA_SIGNUP", default_value = "open")]
        signup: SignupMode,
        /// Accept tokens of this other Solid-OIDC issuer too (repeatable), for
        /// residents whose WebID lives elsewhere. None by default.
        #[arg(long = "trusted-issuer")]
        trusted_issuers: Vec<String>,
        /// Write logs as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
        /// Serve the monitoring endpoints (/metrics for Prometheus, /health,
        /// /ready) on this address of the operator's network; none by default.
        #[arg(long, env = "SELFDATA_METRICS_ADDR")]
        metrics_addr: Option<SocketAddr>,
        #[command(flatten)]
        tls: Box<TlsArgs>,
        /// A reverse proxy in front of this server (repeatable): from its
        /// address, the client is the one it appends to X-Forwarded-For
        /// (for rate limits and sign-in lockouts). None by default: the
        /// header is then ignored.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,

        /// Storage each pod may use, in MiB (its resources, large files
        /// included); a write beyond it is answered 507. Deletes always work.
        #[arg(long, env = "SELFDATA_POD_QUOTA_MIB", default_value_t = 1024)]
        pod_quota_mib: u64,
        /// Pods kept open at once (default: derived from the open-file limit,
        /// at most 256: each open pod holds 300 to 450 KB of memory).
        #[arg(long, env = "SELFDATA_MAX_OPEN_PODS")]
        max_open_pods: Option<usize>,
        #[command(flatten)]
        enedis: EnedisArgs,
        #[command(flatten)]
        grdf: Box<GrdfArgs>,
        #[command(flatten)]
        studies: Box<StudiesArgs>,
        /// The hour (0–23, Paris time) at which every connected meter is
        /// brought up to date each day.
        #[arg(long, env = "SELFDATA_PULL_HOUR", default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..24))]
        pull_hour: u8,
        /// SMTP relay (host:port) through which password-reset links are
        /// mailed; without it, `selfdata account reset-code` issues codes.
        #[arg(long, env = "SELFDATA_SMTP_RELAY", requires = "smtp_from")]
        smtp_relay: Option<String>,
        /// The address reset messages come from.
        #[arg(long, env = "SELFDATA_SMTP_FROM", requires = "smtp_relay")]
        smtp_from: Option<String>,
        /// Sign-ups allowed per client address per hour.
        #[arg(long, default_value_t = 10)]
        signups_per_hour: u32,
        /// Pods one account may own.
        #[arg(long, default_value_t = 5)]
        pods_per_account: usize,
        /// Let apps use Client ID Documents over plain http or on loopback
        /// and private hosts (development only: it lets the provider fetch
        /// local addresses).
        #[arg(long)]
        allow_http_client_ids: bool,
        /// An origin Solid Notifications webhooks may be sent to besides
        /// the subscribing app's own (`https://hooks.example.org`);
        /// repeat for several.
        #[arg(long = "webhook-origin", value_parser = public_url)]
        webhook_origins: Vec<String>,
        #[command(flatten)]
        map: Box<MapArgs>,
        #[command(flatten)]
        backup: BackupArgs,
        /// Take a backup into --backup-dir every this many hours (none by
        /// default; `selfdata backup` takes one whenever asked).
        #[arg(long, requires = "backup_dir", value_parser = clap::value_parser!(u64).range(1..))]
        backup_every_hours: Option<u64>,
    },
    /// Create a demo pod holding three years of a synthetic household's
    /// electricity, gas and water, bank accounts and trips (imported through
    /// the normal importers), then run the server and print where to look.
    Demo {
        /// Address and port to listen on.
        #[arg(long, env = "SELFDATA_ADDR", default_value = "127.0.0.1:8000")]
        addr: SocketAddr,
        /// Public address of this server as clients see it (default: http://ADDR).
        #[arg(long, env = "SELFDATA_BASE_URL", value_parser = public_url)]
        base_url: Option<String>,
        /// Years of history to generate.
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// Prepare the demo pod and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Import files from the data holders (meter exports from Enedis, GRDF
    /// or the water utility; bank statements) into a pod. Each file is
    /// imported whole or not at all; each gets a line saying the layout
    /// recognised and how many records it added.
    Import {
        /// The pod to import into.
        #[arg(long)]
        pod: String,
        /// Print one JSON object per file instead of a sentence.
        #[arg(long)]
        json: bool,
        /// The files, in any layout selfdata knows (detected from content).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Rebuild the derived time-series index from the pods' CSV files (run
    /// it with the server stopped).
    Reindex {
        /// Only this pod (default: every pod).
        #[arg(long)]
        pod: Option<String>,
    },
    /// Create and list pods.
    #[command(subcommand)]
    Pod(PodCommand),
    /// Create accounts (for a server whose sign-up is closed).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Create invitation codes (for a server whose sign-up is by invitation).
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Manage the identity provider's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check a pod's access log offline.
    #[command(subcommand)]
    Log(LogCommand),
    /// Register the data holders that push their exports to the pods.
    #[command(subcommand)]
    Holder(HolderCommand),
    /// The app directory residents browse (`/account/apps`).
    #[command(subcommand)]
    App(AppCommand),
    /// Who may use the operator's console.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Collective studies: who may propose them (researchers) and decide
    /// and collect them (stewards).
    #[command(subcommand)]
    Studies(StudiesCommand),
    /// Check a holder's delivery receipt offline.
    #[command(subcommand)]
    Receipt(ReceiptCommand),
    /// Run one of the two aggregators of collective studies: a process of its
    /// own, with its own database and key, meant to be run by another
    /// organisation than the other one (the city and a university, say).
    Aggregator {
        /// leader (takes the reports, answers the collector) or helper.
        #[arg(long)]
        role: AggregatorRole,
        /// Address and port to listen on.
        #[arg(
            long,
            env = "SELFDATA_AGGREGATOR_ADDR",
            default_value = "127.0.0.1:8100"
        )]
        addr: SocketAddr,
        /// This aggregator's database (made on first start, with its key).
        #[arg(long, env = "SELFDATA_AGGREGATOR_DB")]
        db: PathBuf,
        /// The leader's: the helper's address.
        #[arg(long, env = "SELFDATA_AGGREGATOR_PEER_URL")]
        peer_url: Option<String>,
        /// The secret the two aggregators' operators share (at least 16
        /// characters); give it in the environment, not on the command line.
        #[arg(long, env = "SELFDATA_AGGREGATOR_PEER_SECRET", hide_env_values = true)]
        peer_secret: String,
        /// The token of the collector (the pods' server), at least 16
        /// characters; in the environment too.
        #[arg(long, env = "SELFDATA_AGGREGATOR_TOKEN", hide_env_values = true)]
        token: String,
        /// Write logs as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
    },
    /// Take a backup now: a consistent snapshot of every pod and of the
    /// host database, encrypted, into --backup-dir (through the running
    /// server when there is one, which goes on serving).
    Backup {
        #[command(flatten)]
        backup: BackupArgs,
    },
    /// Copy this installation to the other engine, and check the copy: the
    /// data folder (--data) to a PostgreSQL database (--to-database), or the
    /// PostgreSQL database (--database-url) to a new data folder
    /// (--to-data). The source is only read; stop its servers first. Both
    /// sides use the same master key.
    Migrate {
        /// The PostgreSQL database to copy the data folder into (empty).
        #[arg(long, conflicts_with = "to_data", required_unless_present = "to_data")]
        to_database: Option<String>,
        /// The data folder to copy the PostgreSQL database into (new or empty).
        #[arg(long)]
        to_data: Option<PathBuf>,
    },
    /// Restore a backup's snapshot (a folder of --backup-dir) into --data,
    /// a new or empty folder; pods erased since the snapshot stay erased.
    Restore {
        /// The snapshot's folder.
        snapshot: PathBuf,
        /// The backup key's file.
        #[arg(long, env = "SELFDATA_BACKUP_KEY_FILE")]
        backup_key_file: Option<PathBuf>,
        /// Only check the snapshot (every file against its checksum, the
        /// pods it could restore); nothing is written.
        #[arg(long)]
        check: bool,
        /// Public address of the restored server (its residents' WebIDs
        /// are under it).
        #[arg(long, env = "SELFDATA_BASE_URL", default_value = "http://127.0.0.1:8000", value_parser = public_url)]
        base_url: String,
    },
}

/// Where backups go.
#[derive(Debug, clap::Args)]
struct BackupArgs {
    /// The backup destination: a folder on another disk or machine,
    /// holding the snapshots and the pods' keys.
    #[arg(long, env = "SELFDATA_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// The backup key's file (64 hex digits; `selfdata keys new-backup-key
    /// FILE` makes one). Keep a copy away from this server: without the key
    /// no backup can be restored.
    #[arg(long, env = "SELFDATA_BACKUP_KEY_FILE")]
    backup_key_file: Option<PathBuf>,
    /// Snapshots kept in the destination; older ones are removed.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..))]
    backup_keep: u64,
}

impl BackupArgs {
    /// The plan, when a destination is given.
    fn plan(&self) -> anyhow::Result<Option<selfdata::backup::Plan>> {
        let Some(dir) = &self.backup_dir else {
            return Ok(None);
        };
        Ok(Some(selfdata::backup::Plan {
            dir: dir.clone(),
            key: backup_key(self.backup_key_file.as_deref())?,
            keep: usize::try_from(self.backup_keep).unwrap_or(usize::MAX),
        }))
    }
}

fn backup_key(file: Option<&std::path::Path>) -> anyhow::Result<selfdata_store::crypto::Key32> {
    let Some(file) = file else {
        anyhow::bail!(
            "backups need a backup key: make one with `selfdata keys new-backup-key FILE`, keep a copy away from this server, and give --backup-key-file FILE"
        );
    };
    selfdata_store::crypto::Key32::read_file(file)
        .with_context(|| format!("cannot read the backup key in {}", file.display()))
}

#[derive(Debug, Subcommand)]
enum AppCommand {
    /// List an app (or update its entry) by its Client ID Document, fetched
    /// now: its name, logo and start page come from it; what it reads and
    /// writes, and why, from you.
    Add {
        /// Its Client ID: the https address of its Client ID Document.
        client_id: String,
        /// What it does for a resident, in a sentence or two.
        #[arg(long)]
        description: String,
        /// What it reads in a pod, and why (repeatable):
        /// `/selfdata/energy/=to draw your consumption`.
        #[arg(long = "reads")]
        reads: Vec<String>,
        /// What it writes in a pod, and why (repeatable).
        #[arg(long = "writes")]
        writes: Vec<String>,
        /// Fetch a Client ID Document over plain http or on a loopback or
        /// private host (development only).
        #[arg(long)]
        allow_http: bool,
    },
    /// The apps listed.
    List,
    /// Take an app out of the directory (residents using it keep their
    /// consent until they withdraw it).
    Remove { client_id: String },
}

/// HTTPS served directly.
#[derive(Debug, clap::Args)]
struct TlsArgs {
    /// Serve HTTPS directly with this certificate chain (PEM), reloaded
    /// when the file changes; without it, plain HTTP (behind the
    /// operator's reverse proxy, which terminates TLS).
    #[arg(long, env = "SELFDATA_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "SELFDATA_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// How often, in seconds, the certificate files are checked for a
    /// renewal.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    tls_check_secs: u64,
}

impl TlsArgs {
    fn tls(self) -> Option<selfdata::tls::Tls> {
        let check_every = std::time::Duration::from_secs(self.tls_check_secs);
        self.tls_cert
            .zip(self.tls_key)
            .map(|(cert, key)| selfdata::tls::Tls {
                cert,
                key,
                check_every,
            })
    }
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Say which configuration file is in force and explain each problem in
    /// it (an unknown setting, a value an option would refuse).
    Check,
}

#[derive(Debug, Subcommand)]
enum HolderCommand {
    /// Register a holder (or replace one of the same id, with a new secret);
    /// prints its client id and secret, shown once.
    #[command(group = clap::ArgGroup::new("sends").required(true).args(["categories", "receives_only"]))]
    Add {
        /// Its id: lower-case letters, digits and '-' (e.g. eau-grand-lyon).
        #[arg(long)]
        id: String,
        /// Its name as residents know it.
        #[arg(long)]
        name: String,
        /// Its data protection contact (an e-mail address or a URL).
        #[arg(long)]
        contact: String,
        /// What it delivers (repeatable): water, electricity, gas or bank.
        #[arg(long = "category")]
        categories: Vec<String>,
        /// It delivers nothing: it only receives what residents give it by
        /// direct transfer (an energy-advice association, an app's publisher).
        #[arg(long, conflicts_with_all = ["categories", "identifier", "column"])]
        receives_only: bool,
        /// How residents are known there, in words residents read ("Numéro de compteur").
        #[arg(long, required_unless_present = "receives_only")]
        identifier: Option<String>,
        /// How its pushes are laid out: `column` (one CSV for many
        /// customers, a column naming each row's customer) or
        /// `file-per-customer` (a multipart body, one file per customer: a
        /// meter's Enedis export, an account's OFX statement, each file's
        /// customer read from its content).
        #[arg(long, value_enum, default_value_t = LayoutArg::Column)]
        layout: LayoutArg,
        /// With `--layout column`: the column of its files that names the
        /// customer (default: the identifier's words).
        #[arg(long)]
        column: Option<String>,
        /// Pushes it may begin in any hour (default 24, or what it had).
        #[arg(long)]
        pushes_per_hour: Option<u32>,
        /// Pushes it may have under way at once (default 2, or what it had).
        #[arg(long)]
        at_once: Option<u32>,
        /// The largest push it may send, in MiB (default 2048, or what it had).
        #[arg(long)]
        max_push_mib: Option<u32>,
        /// A file holding the Ed25519 public key its pushes must be signed
        /// with (PEM, or its 32 bytes in base64); default: none, or the
        /// key it had.
        #[arg(long, value_name = "FILE")]
        push_key: Option<PathBuf>,
    },
    /// Set the Ed25519 public key a holder's pushes must be signed with
    /// (from its next push on), or remove it.
    PushKey {
        id: String,
        /// A file holding the key: PEM (`openssl pkey -pubout`) or its 32
        /// bytes in base64.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "remove",
            conflicts_with = "remove"
        )]
        file: Option<PathBuf>,
        /// Remove the key: the client secret alone is checked again.
        #[arg(long)]
        remove: bool,
    },
    /// List the registered holders.
    List,
    /// Remove a holder: its residents disconnected (their consent records
    /// withdrawn), then its pushes refused.
    Remove { id: String },
}

/// A holder's push layout on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LayoutArg {
    Column,
    FilePerCustomer,
}

#[derive(Debug, Subcommand)]
enum StudiesCommand {
    /// Give an account a role: researcher (proposes studies) or steward
    /// (approves or refuses them, closes votes, collects).
    Grant { role: StudyRole, email: String },
    /// Take a role away from an account.
    Revoke { role: StudyRole, email: String },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StudyRole {
    Researcher,
    Steward,
}

impl StudyRole {
    fn as_str(self) -> &'static str {
        match self {
            StudyRole::Researcher => "researcher",
            StudyRole::Steward => "steward",
        }
    }
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Let an account use the operator's console (/app/operator); the
    /// account needs a second factor to open it.
    Add { email: String },
    /// Take the console away from an account.
    Remove { email: String },
    /// List the operator's accounts.
    List,
}

#[derive(Debug, Subcommand)]
enum ReceiptCommand {
    /// Check a receipt's signature (the JSON a push answered, or the bare
    /// signed note) and print what it says; exits non-zero when it fails.
    Verify {
        /// The receipt file.
        #[arg(long)]
        receipt: PathBuf,
        /// The verifier key to trust (`GET /holders/v1/receipt-key`); by
        /// default the one in the JSON answer.
        #[arg(long)]
        key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Check a downloaded checkpoint's signature and, if given, an
    /// inclusion proof and a consistency proof; exits non-zero with a
    /// sentence when anything fails.
    Verify {
        /// The checkpoint (`GET /{pod}/selfdata/log/checkpoint`).
        #[arg(long)]
        checkpoint: PathBuf,
        /// The verifier key to trust (`<name>+<hash>+<key>`); by default the
        /// one in the checkpoint file.
        #[arg(long)]
        key: Option<String>,
        /// An inclusion proof (`GET …/log/proof/inclusion?index=N&size=S`).
        #[arg(long)]
        inclusion: Option<PathBuf>,
        /// The entry's exact bytes; by default the entry inside the proof.
        #[arg(long, requires = "inclusion")]
        entry: Option<PathBuf>,
        /// A consistency proof (`GET …/log/proof/consistency?from=A&to=B`).
        #[arg(long, requires = "old_checkpoint")]
        consistency: Option<PathBuf>,
        /// The older checkpoint the consistency proof starts from.
        #[arg(long, requires = "consistency")]
        old_checkpoint: Option<PathBuf>,
    },
}

/// Enedis Data Connect: without a client id, residents import files instead.
/// The mobility maps' background.
#[derive(Debug, clap::Args)]
struct MapArgs {
    /// A tile server for the mobility maps' background, as
    /// https://host/…{z}/{x}/{y}….png (the OpenStreetMap layout). The
    /// server sees the areas residents look at; without it, maps are
    /// drawn with no background and nothing is fetched.
    #[arg(long, env = "SELFDATA_MAP_TILES")]
    map_tiles: Option<String>,
    /// Who to credit for the map tiles (default: their host), e.g.
    /// "OpenStreetMap contributors".
    #[arg(
        long,
        env = "SELFDATA_MAP_TILES_CREDIT",
        default_value = "",
        requires = "map_tiles"
    )]
    map_tiles_credit: String,
}

#[derive(Debug, clap::Args)]
struct EnedisArgs {
    /// The operator's Data Connect client id.
    #[arg(long, env = "SELFDATA_ENEDIS_CLIENT_ID")]
    enedis_client_id: Option<String>,
    /// The operator's Data Connect client secret.
    #[arg(long, env = "SELFDATA_ENEDIS_CLIENT_SECRET", hide_env_values = true)]
    enedis_client_secret: Option<String>,
    /// The Data Connect API base URL (default: Enedis production).
    #[arg(long, env = "SELFDATA_ENEDIS_API_BASE")]
    enedis_api_base: Option<String>,
    /// The consent page URL (default: Enedis production).
    #[arg(long, env = "SELFDATA_ENEDIS_AUTHORIZE_URL")]
    enedis_authorize_url: Option<String>,
    /// The token endpoint URL (default: Enedis production).
    #[arg(long, env = "SELFDATA_ENEDIS_TOKEN_URL")]
    enedis_token_url: Option<String>,
}

/// Collective studies: who decides, and the two aggregators.
#[derive(Debug, clap::Args)]
struct StudiesArgs {
    /// Who decides whether a study runs: trust (a steward approves or
    /// refuses with a reason), cooperative (the members vote) or both.
    #[arg(long, env = "SELFDATA_STUDIES_GOVERNANCE", default_value = "trust")]
    studies_governance: GovernanceArg,
    /// For a vote: the share of members who must vote, in percent.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=100))]
    studies_quorum: u8,
    /// For a vote: more than this share of the votes must be for, in percent.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=99))]
    studies_majority: u8,
    /// The leader aggregator's address (`selfdata aggregator --role leader`).
    #[arg(long, env = "SELFDATA_STUDIES_LEADER")]
    studies_leader: Option<String>,
    /// The helper aggregator's address.
    #[arg(long, env = "SELFDATA_STUDIES_HELPER")]
    studies_helper: Option<String>,
    /// The token both aggregators were started with (SELFDATA_AGGREGATOR_TOKEN there).
    #[arg(long, env = "SELFDATA_STUDIES_TOKEN", hide_env_values = true)]
    studies_token: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GovernanceArg {
    Trust,
    Cooperative,
    Both,
}

impl StudiesArgs {
    fn config(self) -> anyhow::Result<selfdata_studies_web::StudiesConfig> {
        use selfdata_studies::governance::Governance;
        let (quorum_percent, majority_percent) = (self.studies_quorum, self.studies_majority);
        let governance = match self.studies_governance {
            GovernanceArg::Trust => Governance::Trust,
            GovernanceArg::Cooperative => Governance::Cooperative {
                quorum_percent,
                majority_percent,
            },
            GovernanceArg::Both => Governance::Both {
                quorum_percent,
                majority_percent,
            },
        };
        let aggregators = match (self.studies_leader, self.studies_helper, self.studies_token) {
            (Some(l), Some(h), Some(t)) => Some((l, h, t)),
            (None, None, _) => None,
            _ => anyhow::bail!(
                "studies need both aggregators' addresses (--studies-leader, --studies-helper) and their token (SELFDATA_STUDIES_TOKEN)"
            ),
        };
        Ok(selfdata_studies_web::StudiesConfig {
            governance,
            aggregators,
        })
    }
}

/// GRDF ADICT: without a client id, residents import files instead.
#[derive(Debug, clap::Args)]
struct GrdfArgs {
    /// The operator's ADICT client id (GRDF partner, scope /adict/v2).
    #[arg(long, env = "SELFDATA_GRDF_CLIENT_ID")]
    grdf_client_id: Option<String>,
    /// The operator's ADICT client secret.
    #[arg(long, env = "SELFDATA_GRDF_CLIENT_SECRET", hide_env_values = true)]
    grdf_client_secret: Option<String>,
    /// The ADICT API base URL (default: GRDF production).
    #[arg(long, env = "SELFDATA_GRDF_API_BASE")]
    grdf_api_base: Option<String>,
    /// The token endpoint URL (default: GRDF production).
    #[arg(long, env = "SELFDATA_GRDF_TOKEN_URL")]
    grdf_token_url: Option<String>,
}

impl GrdfArgs {
    fn config(self) -> Option<selfdata_connect::AdictConfig> {
        let id = self.grdf_client_id?;
        let secret = self.grdf_client_secret.unwrap_or_default();
        let mut config = selfdata_connect::AdictConfig::grdf(&id, &secret);
        if let Some(u) = self.grdf_api_base {
            config.api_base = u;
        }
        if let Some(u) = self.grdf_token_url {
            config.token_url = u;
        }
        Some(config)
    }
}

impl EnedisArgs {
    fn config(self, base_url: &str) -> Option<selfdata_connect::DataConnectConfig> {
        let id = self.enedis_client_id?;
        let secret = self.enedis_client_secret.unwrap_or_default();
        // The address registered with Enedis: the old one, which redirects
        // (308, query kept) to `/app/energy/connect/enedis/callback`, so an
        // operator's registration keeps working.
        let redirect = format!("{base_url}/energy/connect/enedis/callback");
        let mut config = selfdata_connect::DataConnectConfig::enedis(&id, &secret, &redirect);
        if let Some(u) = self.enedis_api_base {
            config.api_base = u;
        }
        if let Some(u) = self.enedis_authorize_url {
            config.authorize_url = u;
        }
        if let Some(u) = self.enedis_token_url {
            config.token_url = u;
        }
        Some(config)
    }
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account with its pod. The password is read from the first
    /// line of standard input.
    Create {
        /// The resident's email address (their login).
        email: String,
        /// The name of the resident's pod.
        #[arg(long)]
        pod: String,
        /// Public address of the server.
        #[arg(
            long,
            env = "SELFDATA_BASE_URL",
            value_parser = public_url,
            default_value = "http://127.0.0.1:8000"
        )]
        base_url: String,
    },
    /// Print a one-time code with which the resident of EMAIL chooses a new
    /// password on /account/reset (valid once, for 24 hours). For servers
    /// that send no e-mail.
    ResetCode {
        /// The resident's email address (their login).
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum InviteCommand {
    /// Print a new single-use invitation code.
    Create,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Make a new signing key current; tokens signed by the old one stay valid until they expire.
    Rotate,
    /// Re-wrap every pod's data key under a new host master key (pod data is
    /// not re-encrypted). Run it with the server stopped. The new key comes
    /// from --new-key-file or SELFDATA_NEW_MASTER_KEY, or is generated; it
    /// replaces the key file (or is printed when the key came from SELFDATA_MASTER_KEY).
    RotateMaster {
        /// File holding the new key (64 hex digits).
        #[arg(long)]
        new_key_file: Option<PathBuf>,
        /// The new key itself (64 hex digits).
        #[arg(long, env = "SELFDATA_NEW_MASTER_KEY", hide_env_values = true)]
        new_key: Option<String>,
    },
    /// Write a new random backup key into FILE (mode 0600; never replaces
    /// a file). Keep a copy away from the server.
    NewBackupKey { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum PodCommand {
    /// Create a pod (without an account) and print keys for its owner's
    /// scripts: a client id and secret for the client-credentials grant.
    Create {
        /// The pod's name: 2 to 63 lowercase letters, digits and hyphens.
        name: String,
        /// Public address of the server, used in the pod's profile.
        #[arg(
            long,
            env = "SELFDATA_BASE_URL",
            value_parser = public_url,
            default_value = "http://127.0.0.1:8000"
        )]
        base_url: String,
    },
    /// List the pods in the data folder (or the database, and on which
    /// cluster each is).
    List,
    /// Move a pod to another database cluster (--pod-database) with the
    /// servers running: its writes pause while it is copied (its reads go
    /// on), then go to the new cluster; the old copy is removed half a
    /// minute later. Run it again to finish a move that was stopped.
    Move {
        /// The pod to move.
        name: String,
        /// The cluster to move it to (`main` or a --pod-database name).
        #[arg(long)]
        to: String,
        /// Seconds the old copy is kept after the switch, for requests that
        /// started before it (at least 5).
        #[arg(long, default_value_t = selfdata_store::postgres::MOVE_GRACE.as_secs(), value_parser = clap::value_parser!(u64).range(5..))]
        grace_seconds: u64,
    },
    /// Erase a pod for good: its data key is destroyed first, so copies and
    /// backups of its files become unreadable, then its files. Prints a receipt.
    Delete {
        /// The pod to erase.
        name: String,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Write a whole pod to a tar archive: every resource in its original
    /// format, a Turtle manifest, ACLs, consent records and the access log.
    Export {
        /// The pod to export.
        name: String,
        /// The archive to write.
        #[arg(long, short)]
        output: PathBuf,
        /// Public address of this server (named in the manifest).
        #[arg(
            long,
            env = "SELFDATA_BASE_URL",
            value_parser = public_url,
            default_value = "http://127.0.0.1:8000"
        )]
        base_url: String,
    },
    /// Restore a pod from an archive written by `pod export` (or downloaded
    /// by its owner), all or nothing.
    Import {
        /// The archive.
        file: PathBuf,
        /// The new pod's name (default: the name it was exported under).
        #[arg(long)]
        name: Option<String>,
        /// Public address of this server.
        #[arg(
            long,
            env = "SELFDATA_BASE_URL",
            value_parser = public_url,
            default_value = "http://127.0.0.1:8000"
        )]
        base_url: String,
    },
}

/// `selfdata config check`.
fn check_config(given: Option<&std::path::Path>) -> anyhow::Result<()> {
    let Some(path) = config::locate(given) else {
        println!(
            "No configuration file: none was given (--config, SELFDATA_CONFIG) and {} does not exist. Every setting has its default unless a flag or a variable sets it.",
            config::DEFAULT_PATH
        );
        return Ok(());
    };
    let problems = config::check(&Cli::command(), &path)?;
    if problems.is_empty() {
        println!("{}: no problem found.", path.display());
        return Ok(());
    }
    for problem in &problems {
        println!("{}: {problem}", path.display());
    }
    anyhow::bail!(
        "{} problem(s) in {}; the server would not start with them",
        problems.len(),
        path.display()
    )
}

fn main() -> std::process::ExitCode {
    let argv = match config::with_file(&Cli::command(), std::env::args_os().collect()) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("selfdata: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(argv);
    // Every open pod holds a few files: use all the descriptors the system
    // allows (the open-pod cap is derived from the limit in force).
    selfdata_store::sys::raise_fd_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("selfdata: could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("selfdata: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AggregatorRole {
    Leader,
    Helper,
}

/// `selfdata aggregator`: serves until stopped. Needs no data folder.
async fn run_aggregator(command: Command) -> anyhow::Result<()> {
    let Command::Aggregator {
        role,
        addr,
        db,
        peer_url,
        peer_secret,
        token,
        log_json,
    } = command
    else {
        anyhow::bail!("not the aggregator command");
    };
    init_logs(log_json);
    let config = selfdata_aggregator::Config {
        role: match role {
            AggregatorRole::Leader => selfdata_aggregator::Role::Leader,
            AggregatorRole::Helper => selfdata_aggregator::Role::Helper,
        },
        peer_url,
        peer_secret: peer_secret.into_bytes(),
        admin_token: token,
    };
    let aggregator = selfdata_aggregator::Aggregator::open(config, &db)
        .with_context(|| format!("cannot open the aggregator's database {}", db.display()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    aggregator.spawn_worker();
    tracing::info!(%addr, role = ?role, "aggregator listening");
    axum::serve(listener, aggregator.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The PostgreSQL engine alone (for the operator's commands on clusters),
/// with the given master key or the data folder's.
async fn pg_store(
    data: &std::path::Path,
    settings: &selfdata_store::postgres::PgSettings,
    master: Option<selfdata_store::crypto::MasterKey>,
) -> anyhow::Result<selfdata_store::postgres::PgStore> {
    let master = given_or_folder_key(data, master)?;
    Ok(selfdata_store::postgres::PgStore::connect(settings, master).await?)
}

/// The master key given, or the data folder's (never a new one).
fn given_or_folder_key(
    data: &std::path::Path,
    master: Option<selfdata_store::crypto::MasterKey>,
) -> anyhow::Result<selfdata_store::crypto::MasterKey> {
    use selfdata_store::crypto::{MasterKey, default_key_file};
    match master {
        Some(key) => Ok(key),
        None => MasterKey::read_file(&default_key_file(data)).with_context(|| {
            format!(
                "no master key: give it (--master-key-file, SELFDATA_MASTER_KEY) or keep it in {}",
                default_key_file(data).display()
            )
        }),
    }
}

/// `selfdata migrate`: opens both engines and copies one into the other.
async fn migrate(
    data: &std::path::Path,
    database: Option<selfdata_store::postgres::PgSettings>,
    // How to reach the database --to-database names: pool, object store,
    // certificate authority (its URL is that one).
    reach: selfdata_store::postgres::PgSettings,
    master_given: bool,
    master: Option<selfdata_store::crypto::MasterKey>,
    to_database: Option<String>,
    to_data: Option<PathBuf>,
) -> anyhow::Result<()> {
    use std::sync::Arc;

    use selfdata_store::Storage;
    use selfdata_store::crypto::default_key_file;
    use selfdata_store::postgres::{PgSettings, PgStore};
    use selfdata_store::sqlite::SqliteBackend;
    let master = given_or_folder_key(data, master)?;
    let postgres = |url: &str| PgSettings {
        url: url.to_owned(),
        ..reach.clone()
    };
    let (from, to, target): (Arc<dyn Storage>, Arc<dyn Storage>, String) =
        match (database, to_database, to_data) {
            (None, Some(url), None) => (
                Arc::new(SqliteBackend::open_with_key(data, master.clone())?),
                Arc::new(PgStore::connect(&postgres(&url), master.clone()).await?),
                "the PostgreSQL database".to_owned(),
            ),
            (Some(source), None, Some(dir)) => {
                let copied = selfdata::migrate::copy_key_files(data, &dir)?;
                if copied > 0 {
                    println!(
                        "Copied {copied} signing keys from {} to {}.",
                        data.display(),
                        dir.display()
                    );
                }
                if !master_given {
                    master.write_file(&default_key_file(&dir))?;
                }
                (
                    // Every cluster's pods.
                    Arc::new(PgStore::connect(&source, master.clone()).await?),
                    Arc::new(SqliteBackend::open_with_key(&dir, master.clone())?),
                    dir.display().to_string(),
                )
            }
            (None, None, Some(_)) => anyhow::bail!(
                "--to-data copies a PostgreSQL installation: say which with --database-url"
            ),
            (Some(_), Some(_), None) => anyhow::bail!(
                "this installation is on PostgreSQL already: --to-data copies it to a data folder"
            ),
            _ => anyhow::bail!("say where to copy to: --to-database URL or --to-data FOLDER"),
        };
    let migration = selfdata::migrate::migrate(from.as_ref(), to.as_ref(), |step| match step {
        selfdata::migrate::Step::Pod {
            name,
            done,
            of,
            copy,
        } => println!(
            "[{done}/{of}] pod {name}: {} resources, {}, {} index entries: copied and checked",
            copy.resources,
            selfdata_site::human_bytes(copy.bytes),
            copy.index_entries
        ),
        selfdata::migrate::Step::Registry(what) => println!("{what}: copied and checked"),
    })
    .await?;
    println!(
        "Migrated {} pods and {} accounts into {target} ({} names of erased pods kept from being given again); every resource and record was read back and matches.",
        migration.pods.len(),
        migration.accounts,
        migration.erased
    );
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.clone();
    let master = cli.master()?;
    // `app add` opens the folder with its own options (`--allow-http`).
    let (apps_data, apps_master) = (data.clone(), master.clone());
    let database = cli.database();
    let objects = cli.objects();
    let open = |base_url: &str| {
        let mut options = Options::new(&data, base_url);
        options.master_key = master.clone();
        options.database = database.clone();
        async move {
            App::open(options)
                .await
                .with_context(|| format!("cannot open the data folder {}", data.display()))
        }
    };
    match cli.command {
        Command::Config(ConfigCommand::Check) => check_config(cli.config.as_deref())?,
        command @ Command::Aggregator { .. } => run_aggregator(command).await?,
        Command::Serve {
            addr,
            base_url,
            pages_url,
            max_body_bytes,
            max_upload_mib,
            signup,
            trusted_issuers,
            log_json,
            metrics_addr,
            tls,
            trusted_proxies,
            pod_quota_mib,
            max_open_pods,
            enedis,
            grdf,
            studies,
            pull_hour,
            smtp_relay,
            smtp_from,
            signups_per_hour,
            pods_per_account,
            allow_http_client_ids,
            webhook_origins,
            map,
            backup,
            backup_every_hours,
        } => {
            init_logs(log_json);
            let backups = backup.plan()?;
            if backups.is_some() && database.is_some() {
                anyhow::bail!(
                    "selfdata backs up a data folder; on PostgreSQL, back up the database itself (pg_basebackup, WAL archiving): its bodies and personal values are encrypted as in the folder"
                );
            }
            let tls = tls.tls();
            let scheme = if tls.is_some() { "https" } else { "http" };
            let base_url = base_url.unwrap_or_else(|| format!("{scheme}://{addr}"));
            let mut options = Options::new(&cli.data, &base_url);
            options.master_key = master.clone();
            options.database = database.clone();
            options.max_body_bytes = max_body_bytes;
            options.max_upload_bytes = max_upload_mib.saturating_mul(1024 * 1024);
            options.signup = signup;
            options.trusted_issuers = trusted_issuers;
            options.trusted_proxies = trusted_proxies;
            options.pod_quota_bytes = pod_quota_mib.saturating_mul(1024 * 1024);
            options.max_open_pods = max_open_pods;
            options.pages_url = pages_url;
            options.enedis = enedis.config(options.pages_url());
            options.grdf = grdf.config();
            options.studies = studies.config()?;
            options.pull_hour = pull_hour;
            options.signups_per_hour = signups_per_hour;
            options.pods_per_account = pods_per_account;
            options.allow_http_client_ids = allow_http_client_ids;
            options.notifications.webhook_origins = webhook_origins;
            options.map_tiles = map
                .map_tiles
                .map(|t| selfdata_mobility_web::map::Tiles::parse(&t, &map.map_tiles_credit))
                .transpose()?;
            if let (Some(relay), Some(from)) = (smtp_relay, smtp_from) {
                options.smtp = Some(selfdata_idp::reset::SmtpRelay::new(&relay, &from)?);
            }
            let pages = options.pages_url().to_owned();
            let app = App::open(options)
                .await
                .with_context(|| format!("cannot open the data folder {}", cli.data.display()))?;
            if let (Some(plan), Some(hours)) = (backups, backup_every_hours) {
                println!(
                    "backups into {} every {hours} h, the {} newest kept",
                    plan.dir.display(),
                    plan.keep
                );
                app.backups
                    .spawn_schedule(plan, std::time::Duration::from_secs(hours * 3600));
            }
            serve(
                &app,
                Listen {
                    addr,
                    metrics: metrics_addr,
                    tls,
                },
                &format!("Create an account at {pages}/account/signup"),
            )
            .await?;
        }
        Command::Demo {
            addr,
            base_url,
            years,
            no_serve,
        } => {
            init_logs(false);
            let base_url = base_url.unwrap_or_else(|| format!("http://{addr}"));
            let app = open(&base_url).await?;
            demo(&app, years).await?;
            let hello = format!(
                "Open {base_url}/app/energy and sign in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}"
            );
            if no_serve {
                println!("{hello} once the server runs (selfdata serve).");
            } else {
                let listen = Listen {
                    addr,
                    metrics: None,
                    tls: None,
                };
                serve(&app, listen, &hello).await?;
            }
        }
        Command::Import { pod, json, files } => {
            let pod = PodName::parse(&pod).context("invalid pod name")?;
            let app = open("http://127.0.0.1:8000").await?;
            if app.store.pod(&pod).await?.is_none() {
                anyhow::bail!("there is no pod named '{pod}' (see selfdata pod list)");
            }
            let mut failed = 0;
            for file in &files {
                let name = file.display().to_string();
                let path = file.clone();
                let read = tokio::task::spawn_blocking(move || Upload::from_path(&path)).await?;
                let done = match read {
                    Ok(upload) => app.import_file(&pod, upload).await,
                    Err(e) => Err(selfdata_service::ImportFailure::Damaged(format!(
                        "cannot read the file: {e}"
                    ))),
                };
                match (done, json) {
                    (Ok(s), false) => println!("{name}: {}", summary_line(&s)),
                    (Ok(s), true) => println!("{}", summary_json(&name, &s)),
                    (Err(e), json) => {
                        failed += 1;
                        if json {
                            println!("{}", failure_json(&name, &e));
                        } else {
                            eprintln!("{name}: not imported: {e}");
                        }
                    }
                }
            }
            if failed > 0 {
                anyhow::bail!(
                    "{failed} of {} files could not be imported; nothing of them was kept",
                    files.len()
                );
            }
        }
        Command::Reindex { pod } => {
            let app = open("http://127.0.0.1:8000").await?;
            let pods = match pod {
                Some(p) => vec![PodName::parse(&p).context("invalid pod name")?],
                None => app
                    .store
                    .list_pods()
                    .await?
                    .into_iter()
                    .map(|p| p.name)
                    .collect(),
            };
            for pod in pods {
                let counts = app
                    .reindex(&pod)
                    .await
                    .with_context(|| format!("pod {pod}"))?;
                for (service, n) in counts {
                    println!("{pod}: {service}: {n} records indexed");
                }
            }
        }
        Command::Pod(PodCommand::Create { name, base_url }) => {
            let name = PodName::parse(&name).context("invalid pod name")?;
            let app = open(&base_url).await?;
            let pod = app.create_pod(&name).await?;
            println!("Created pod '{name}' at {}", pod.root_uri);
            println!("WebID: {}", pod.webid);
            println!("Keys for the owner's scripts (the secret is shown only once):");
            println!("client_id={}", pod.client_id);
            println!("client_secret={}", pod.client_secret);
            println!();
            println!("Get an access token with:");
            println!(
                "  curl -u '{}:{}' -d grant_type=client_credentials {base_url}/idp/token",
                pod.client_id, pod.client_secret
            );
        }
        Command::Pod(PodCommand::List) => {
            let app = open("http://127.0.0.1:8000").await?;
            let pods = app.store.list_pods().await?;
            if pods.is_empty() {
                println!("No pods yet. Create one with: selfdata pod create NAME");
            }
            let clusters = match &database {
                Some(settings) if !settings.clusters.is_empty() => {
                    Some(pg_store(&cli.data, settings, master.clone()).await?)
                }
                _ => None,
            };
            for pod in pods {
                let created = jiff::Timestamp::from_millisecond(pod.created_ms)
                    .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                match &clusters {
                    Some(store) => println!(
                        "{}\tcreated {created}\ton {}",
                        pod.name,
                        store.placement(&pod.name).await?
                    ),
                    None => println!("{}\tcreated {created}", pod.name),
                }
            }
        }
        Command::Pod(PodCommand::Move {
            name,
            to,
            grace_seconds,
        }) => {
            let name = PodName::parse(&name).context("invalid pod name")?;
            let settings = database.as_ref().context(
                "`pod move` moves a pod between the database clusters of an installation on PostgreSQL: give --database-url and its --pod-database clusters",
            )?;
            let store = pg_store(&cli.data, settings, master.clone()).await?;
            let known = store.cluster_names();
            if !known.contains(&to) {
                anyhow::bail!(
                    "no database cluster is named '{to}': this installation has {} (--pod-database NAME=URL adds one)",
                    known.join(", ")
                );
            }
            let from = store.placement(&name).await?;
            if from == to {
                println!("Pod '{name}' is on '{to}'; finishing any move left halfway.");
            } else {
                println!(
                    "Moving pod '{name}' from '{from}' to '{to}': its writes pause while it is copied."
                );
            }
            let moved = store
                .move_pod(&name, &to, std::time::Duration::from_secs(grace_seconds))
                .await?;
            if moved.from != moved.to {
                println!(
                    "Copied {} resources and {} index entries to '{}', checked against the source; writes resumed there.",
                    moved.resources, moved.index_entries, moved.to
                );
            }
            println!("Pod '{name}' is on '{}' only.", moved.to);
        }
        Command::Pod(PodCommand::Export {
            name,
            output,
            base_url,
        }) => {
            let name = PodName::parse(&name).context("invalid pod name")?;
            let app = open(&base_url).await?;
            let archive = app.export_pod(&name).await?;
            std::fs::write(&output, &archive)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "Exported the pod '{name}' to {} ({} bytes)",
                output.display(),
                archive.len()
            );
        }
        Command::Pod(PodCommand::Import {
            file,
            name,
            base_url,
        }) => {
            let name = name
                .map(|n| PodName::parse(&n).context("invalid pod name"))
                .transpose()?;
            let archive =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&base_url).await?;
            let done = app.import_pod(&archive, name.as_ref()).await?;
            println!(
                "Imported the pod '{}': {} resources, {} access log entries, {} records indexed by the services.",
                done.pod, done.resources, done.log_entries, done.readings
            );
            if done.webid_changed() {
                println!(
                    "Note: its profile and access control lists are restored byte for byte, so they \
                     still name the WebID {} of the server it came from; here the owner's WebID is {}. \
                     The owner cannot reach the pod on this server until its ACLs name that WebID.",
                    done.original_webid, done.webid_here
                );
            }
            println!(
                "Holder connections (their tokens) are not exported: connect the holders again."
            );
        }
        Command::Account(AccountCommand::Create {
            email,
            pod,
            base_url,
        }) => {
            let pod = PodName::parse(&pod).context("invalid pod name")?;
            let email = selfdata_idp::accounts::normalize_email(&email).with_context(|| {
                format!("'{email}' is not an email address (or holds invisible characters)")
            })?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < selfdata_idp::accounts::MIN_PASSWORD_LEN {
                anyhow::bail!(
                    "the password needs at least {} characters",
                    selfdata_idp::accounts::MIN_PASSWORD_LEN
                );
            }
            let app = open(&base_url).await?;
            app.idp.create_account(&email, password, &pod).await?;
            println!("Created the account {email} with the pod {base_url}/{pod}/");
        }
        Command::Account(AccountCommand::ResetCode { email }) => {
            let app = open("http://127.0.0.1:8000").await?;
            let directory = app.store.as_ref() as &dyn Directory;
            let account = selfdata_idp::accounts::normalize_email(&email)
                .map(|e| async move { directory.account_by_email(&e).await });
            let account = match account {
                Some(found) => found.await?,
                None => None,
            }
            .with_context(|| format!("no account uses the email address {email}"))?;
            let code = app
                .idp
                .reset_code(selfdata_idp::operate::COMMAND_LINE, &account)
                .await?;
            println!("{code}");
        }
        Command::Operator(command) => {
            let app = open("http://127.0.0.1:8000").await?;
            let directory = app.store.as_ref() as &dyn Directory;
            let account_of = |email: String| async move {
                directory
                    .account_by_email(&email)
                    .await?
                    .with_context(|| format!("no account uses the email address {email}"))
            };
            match command {
                OperatorCommand::Add { email } => {
                    let account = account_of(email).await?;
                    directory.set_operator(account.id, true).await?;
                    println!("{} may now use the operator's console", account.email);
                    if account.totp_secret.is_none() {
                        println!(
                            "(it must first turn on a second factor on its account page: the console refuses accounts without one)"
                        );
                    }
                }
                OperatorCommand::Remove { email } => {
                    let account = account_of(email).await?;
                    directory.set_operator(account.id, false).await?;
                    println!("{} no longer uses the operator's console", account.email);
                }
                OperatorCommand::List => {
                    for a in directory.operators().await? {
                        let factor = if a.totp_secret.is_some() {
                            "second factor on"
                        } else {
                            "NO second factor: the console refuses it"
                        };
                        println!("{}\t{factor}", a.email);
                    }
                }
            }
        }
        Command::Studies(command) => {
            use selfdata_store::StudyRegistry;
            let app = open("http://127.0.0.1:8000").await?;
            let directory = app.store.as_ref() as &dyn Directory;
            let (role, email, on) = match command {
                StudiesCommand::Grant { role, email } => (role, email, true),
                StudiesCommand::Revoke { role, email } => (role, email, false),
            };
            let account = directory
                .account_by_email(&email)
                .await?
                .with_context(|| format!("no account uses the email address {email}"))?;
            let role = role.as_str();
            directory
                .record_operator_action(&selfdata_store::directory::OperatorAction::new(
                    selfdata_idp::operate::COMMAND_LINE,
                    if on {
                        "grant study role"
                    } else {
                        "revoke study role"
                    },
                    format!("{role} {}", account.email),
                ))
                .await?;
            (app.store.as_ref() as &dyn StudyRegistry)
                .set_study_role(account.id, role, on)
                .await?;
            if on {
                println!("{} is now a {role} of studies", account.email);
            } else {
                println!("{} is no longer a {role} of studies", account.email);
            }
        }
        Command::Invite(InviteCommand::Create) => {
            let app = open("http://127.0.0.1:8000").await?;
            let code = app.idp.invite(selfdata_idp::operate::COMMAND_LINE).await?;
            println!("{code}");
        }
        Command::Pod(PodCommand::Delete { name, yes }) => {
            let name = PodName::parse(&name).context("invalid pod name")?;
            if !yes {
                anyhow::bail!(
                    "erasing the pod '{name}' cannot be undone; run again with --yes to confirm"
                );
            }
            let app = open("http://127.0.0.1:8000").await?;
            let receipt = app.delete_pod(&name).await?;
            print!("{receipt}");
        }
        Command::Keys(KeysCommand::RotateMaster {
            new_key_file,
            new_key,
        }) => {
            use selfdata_store::crypto::{MasterKey, default_key_file};
            let data = cli.data.clone();
            let from_env = cli.master_key.is_some();
            let key_file = cli
                .master_key_file
                .clone()
                .unwrap_or_else(|| default_key_file(&data));
            let old = match &master {
                Some(k) => k.clone(),
                None => MasterKey::read_file(&key_file)?,
            };
            let new = match (new_key_file, new_key) {
                (Some(file), _) => MasterKey::read_file(&file)?,
                (None, Some(hex)) => {
                    MasterKey::from_hex(&hex).context("SELFDATA_NEW_MASTER_KEY is not a key")?
                }
                (None, None) => MasterKey::random(),
            };
            let key_file = (!from_env).then_some(key_file.as_path());
            let n = selfdata::rotate_master_key(&data, key_file, &old, &new)?;
            match key_file {
                None => {
                    println!(
                        "Re-wrapped {n} pod data keys. Set SELFDATA_MASTER_KEY to the new key:"
                    );
                    println!("{}", new.to_hex());
                }
                Some(file) => println!(
                    "Re-wrapped {n} pod data keys under the new master key, now in {}.",
                    file.display()
                ),
            }
        }
        Command::Keys(KeysCommand::NewBackupKey { file }) => {
            if file.exists() {
                anyhow::bail!(
                    "{} exists already: a backup key is never replaced (backups taken under it could no longer be restored)",
                    file.display()
                );
            }
            selfdata_store::crypto::Key32::random().write_file(&file)?;
            println!(
                "A new backup key is in {}. Keep a copy away from this server: without it no backup can be restored.",
                file.display()
            );
        }
        Command::Backup { backup } => {
            let Some(plan) = backup.plan()? else {
                anyhow::bail!(
                    "say where backups go: --backup-dir FOLDER (or backup-dir in the configuration file)"
                );
            };
            let mut shown = ProgressLine::default();
            let report = match selfdata::backup::ask(&cli.data, &plan, |p| shown.show(&p)).await {
                Ok(report) => report,
                Err(selfdata::backup::AskError::NotRunning) => {
                    let app = open("http://127.0.0.1:8000").await?;
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                    let taking = app.backups.take(&plan, move |p| {
                        let _ = tx.send(p);
                    });
                    tokio::pin!(taking);
                    loop {
                        tokio::select! {
                            result = &mut taking => break result?,
                            Some(p) = rx.recv() => shown.show(&p),
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            };
            shown.end();
            println!(
                "Backed up {} pods ({} files, {}) into {}{}.",
                report.pods,
                report.files,
                selfdata_site::human_bytes(report.bytes),
                report.snapshot.display(),
                match report.pruned {
                    0 => String::new(),
                    n => format!("; {n} older snapshot(s) removed"),
                }
            );
        }
        Command::Migrate {
            to_database,
            to_data,
        } => {
            let given = cli.master_key.is_some() || cli.master_key_file.is_some();
            let mut reach = selfdata_store::postgres::PgSettings::new("");
            reach.pool_size = cli.database_pool;
            reach.objects = objects.clone();
            reach.ca_file = cli.database_ca_file.clone();
            migrate(
                &cli.data,
                database.clone(),
                reach,
                given,
                master,
                to_database,
                to_data,
            )
            .await?;
        }
        Command::Restore {
            snapshot,
            backup_key_file,
            check,
            base_url,
        } => {
            use selfdata_store::sqlite::backup;
            let key = backup_key(backup_key_file.as_deref())?;
            let mut shown = ProgressLine::default();
            if check {
                let report = backup::check(&snapshot, &key, &mut |p| shown.show(&p))?;
                shown.end();
                println!(
                    "The snapshot of {} is whole: {} files ({}) match their checksums; {} pods can be restored{}.",
                    utc(report.created_ms),
                    report.files,
                    selfdata_site::human_bytes(report.bytes),
                    report.pods,
                    match report.erased {
                        0 => String::new(),
                        n => format!(", {n} erased since will not be"),
                    }
                );
                return Ok(());
            }
            let report = backup::restore(&snapshot, &key, &cli.data, master.clone(), &mut |p| {
                shown.show(&p)
            })?;
            shown.end();
            if !report.erased.is_empty() {
                let app = open(&base_url).await?;
                app.forget_erased(&report.erased).await?;
            }
            println!(
                "Restored {} pods ({} files, {}) from the snapshot of {} into {}{}.",
                report.pods,
                report.files,
                selfdata_site::human_bytes(report.bytes),
                utc(report.created_ms),
                cli.data.display(),
                match report.erased.len() {
                    0 => String::new(),
                    n => format!(
                        "; {n} pod(s) erased since the snapshot were not restored and their names stay erased"
                    ),
                }
            );
        }
        Command::Keys(KeysCommand::Rotate) => {
            let app = open("http://127.0.0.1:8000").await?;
            let kid = selfdata_idp::rotate_keys(app.store.as_ref() as &dyn Directory).await?;
            println!("The new signing key {kid} is current; restart the server to use it.");
        }
        Command::Holder(HolderCommand::Add {
            id,
            name,
            contact,
            categories,
            receives_only,
            identifier,
            layout,
            column,
            pushes_per_hour,
            at_once,
            max_push_mib,
            push_key,
        }) => {
            let push_key = push_key
                .map(|p| {
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("cannot read {}", p.display()))
                })
                .transpose()?;
            let layout = match (layout, &column) {
                (LayoutArg::Column, _) => selfdata_store::holders::Layout::Column,
                (LayoutArg::FilePerCustomer, None) => {
                    selfdata_store::holders::Layout::FilePerCustomer
                }
                (LayoutArg::FilePerCustomer, Some(_)) => anyhow::bail!(
                    "--column names the customer column of a CSV for many customers; a holder with --layout file-per-customer sends one file per customer, whose customer is read from the file itself: leave --column out"
                ),
            };
            let app = open("http://127.0.0.1:8000").await?;
            let new = selfdata_holders_web::operator::NewHolder {
                id: id.clone(),
                name,
                contact,
                categories,
                receives_only,
                layout,
                identifier: identifier.unwrap_or_default(),
                column: column.unwrap_or_default(),
                // What is not given stays as the holder had it (or the defaults).
                limits: selfdata_holders_web::operator::LimitChanges {
                    pushes_per_hour,
                    at_once,
                    max_push_mib,
                },
                push_key,
            };
            let secret = selfdata_holders_web::operator::register(&app.holders, new, true).await?;
            println!("holder {id} registered");
            println!("client id:     {id}");
            println!("client secret: {secret}");
            println!("(the secret is shown once; run this again to replace it)");
        }
        Command::App(AppCommand::Add {
            client_id,
            description,
            reads,
            writes,
            allow_http,
        }) => {
            let parse = |given: Vec<String>| -> anyhow::Result<Vec<_>> {
                Ok(given
                    .iter()
                    .map(|u| selfdata_idp::apps::parse_use(u))
                    .collect::<Result<_, _>>()?)
            };
            let (reads, writes) = (parse(reads)?, parse(writes)?);
            let mut options = Options::new(&apps_data, "http://127.0.0.1:8000");
            options.master_key = apps_master;
            options.database = database.clone();
            options.allow_http_client_ids = allow_http;
            let app = App::open(options)
                .await
                .with_context(|| format!("cannot open the data folder {}", apps_data.display()))?;
            let listed = app
                .idp
                .list_app(&client_id, &description, reads, writes)
                .await?;
            println!(
                "listed {} ({}), started at {}",
                listed.name, listed.client_id, listed.start_url
            );
        }
        Command::App(AppCommand::List) => {
            let app = open("http://127.0.0.1:8000").await?;
            for a in app.idp.listed_apps().await? {
                let uses = |u: &[selfdata_store::directory::AppUse]| {
                    u.iter()
                        .map(|u| u.path.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                println!(
                    "{}\t{}\treads {}\twrites {}\t{}",
                    a.client_id,
                    a.name,
                    uses(&a.reads),
                    uses(&a.writes),
                    a.start_url
                );
            }
        }
        Command::App(AppCommand::Remove { client_id }) => {
            let app = open("http://127.0.0.1:8000").await?;
            if !app.idp.unlist_app(&client_id).await? {
                anyhow::bail!("no app with the Client ID {client_id} is listed");
            }
            println!("{client_id} is no longer listed");
        }
        Command::Holder(HolderCommand::List) => {
            let app = open("http://127.0.0.1:8000").await?;
            for h in selfdata_store::HolderRegistry::holders(app.store.as_ref()).await? {
                let layout = match h.layout {
                    selfdata_store::holders::Layout::Column => format!("column \"{}\"", h.column),
                    other => other.name().to_owned(),
                };
                let signed = match &h.push_key {
                    Some(_) => "signed pushes",
                    None => "secret only",
                };
                println!(
                    "{}\t{}\t{}\t{layout}\t{}\t{} pushes/hour, {} at once, {} MiB each\t{signed}",
                    h.id,
                    h.name,
                    if h.receives_only() {
                        "receives only".to_owned()
                    } else {
                        h.categories.join(",")
                    },
                    h.contact,
                    h.limits.pushes_per_hour,
                    h.limits.at_once,
                    h.limits.max_push_mib
                );
            }
        }
        Command::Holder(HolderCommand::PushKey { id, file, remove }) => {
            let key = match (&file, remove) {
                (Some(p), false) => Some(
                    std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?,
                ),
                _ => None,
            };
            let app = open("http://127.0.0.1:8000").await?;
            match selfdata_holders_web::operator::set_push_key(&app.holders, &id, key.as_deref())
                .await?
            {
                Some(fingerprint) => println!(
                    "holder {id}: its pushes must be signed by the key {fingerprint} from now on"
                ),
                None => println!("holder {id}: its signing key was removed; its secret is enough"),
            }
        }
        Command::Holder(HolderCommand::Remove { id }) => {
            let app = open("http://127.0.0.1:8000").await?;
            let n = selfdata_holders_web::operator::remove(&app.holders, &id).await?;
            println!("holder {id} removed; {n} resident(s) disconnected");
        }
        Command::Receipt(ReceiptCommand::Verify { receipt, key }) => {
            let text = std::fs::read_to_string(&receipt)
                .with_context(|| format!("cannot read {}", receipt.display()))?;
            let (note, served_key) = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => (
                    v["receipt"].as_str().unwrap_or_default().to_owned(),
                    v["verifier_key"].as_str().map(str::to_owned),
                ),
                Err(_) => (text, None),
            };
            let Some(key) = key.or(served_key) else {
                anyhow::bail!(
                    "give the server's receipt key with --key (GET /holders/v1/receipt-key)"
                );
            };
            let verifier = selfdata_translog::LogVerifier::parse(&key)
                .map_err(|e| anyhow::anyhow!("verification FAILED: {e}"))?;
            let r = selfdata_holders::receipt::Receipt::verify(&note, &verifier)
                .map_err(|e| anyhow::anyhow!("verification FAILED: {e}"))?;
            println!("receipt signed by {}: OK", verifier.name());
            println!(
                "holder {}, push {} (key {}), received {}",
                r.holder, r.push, r.key, r.received
            );
            println!(
                "{} {}, customers delivered {}, skipped for lack of consent {}, failed {}",
                r.unit.count_name(),
                r.rows,
                r.delivered,
                r.skipped,
                r.failed
            );
            for f in &r.failures {
                println!("{} {}: {}", r.unit.position_name(), f.line, f.why);
            }
        }
        Command::Log(LogCommand::Verify {
            checkpoint,
            key,
            inclusion,
            entry,
            consistency,
            old_checkpoint,
        }) => {
            let text = |p: &PathBuf| {
                std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
            };
            let input = selfdata_privacy_web::log::VerifyInput {
                checkpoint: text(&checkpoint)?,
                key,
                inclusion: inclusion.as_ref().map(text).transpose()?,
                entry: entry
                    .as_ref()
                    .map(|p| {
                        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
                    })
                    .transpose()?,
                consistency: consistency.as_ref().map(text).transpose()?,
                old_checkpoint: old_checkpoint.as_ref().map(text).transpose()?,
            };
            match selfdata_privacy_web::log::verify_offline(&input) {
                Ok(lines) => {
                    for line in lines {
                        println!("{line}");
                    }
                }
                Err(why) => anyhow::bail!("verification FAILED: {why}"),
            }
        }
    }
    Ok(())
}

const DEMO_POD: &str = "demo";
const DEMO_EMAIL: &str = "demo@selfdata.local";
/// A demo account's password is no secret: the demo runs on the loopback address.
const DEMO_PASSWORD: &str = "selfdata-demo";

/// Creates the demo account and pod if needed, and imports every service's demo files.
async fn demo(app: &App, years: u32) -> anyhow::Result<()> {
    let pod = PodName::parse(DEMO_POD)?;
    let demo = app.demo(DEMO_EMAIL, DEMO_PASSWORD, &pod, years).await?;
    if demo.created {
        println!("Created the demo account {DEMO_EMAIL} and its pod '{pod}'.");
    }
    for (name, summary) in &demo.files {
        println!("{name}: {}", summary_line(summary));
    }
    Ok(())
}

/// A public address given on the command line (`--base-url`,
/// `--pages-url`): an http(s) URL, kept without its trailing slashes so the
/// addresses built on it (and printed) have none doubled.
/// `--pod-database NAME=URL`.
fn named_database(given: &str) -> Result<(String, String), String> {
    match given.split_once('=') {
        Some((name, url)) if !name.is_empty() && url.starts_with("postgres") => {
            Ok((name.to_owned(), url.to_owned()))
        }
        _ => {
            Err("a pod database is NAME=URL (east=postgres://selfdata@db-east/selfdata)".to_owned())
        }
    }
}

fn public_url(given: &str) -> Result<String, String> {
    let url = given.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("it must start with http:// or https://")?;
    if rest.is_empty()
        || rest
            .chars()
            .any(|c| c.is_whitespace() || c == '?' || c == '#')
    {
        return Err("it must be a server's address, like https://pods.example.org".into());
    }
    Ok(url.to_owned())
}

/// What an import gave, in a line of the terminal (English): the layout
/// recognised, the records added, then what the service said.
fn summary_line(s: &selfdata_service::Summary) -> String {
    format!(
        "{}: {} of {} records added. {}",
        s.layout,
        s.changed,
        s.readings,
        s.told.en.trim_end_matches('.')
    )
}

/// What an import gave, as one JSON object: the summary the inbox answers
/// with, the file's name and the service's sentence.
fn summary_json(file: &str, s: &selfdata_service::Summary) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    v["file"] = file.into();
    v["message"] = s.told.en.clone().into();
    v
}

/// Why a file was not imported, as one JSON object (`line` when the file
/// was refused at one).
fn failure_json(file: &str, e: &selfdata_service::ImportFailure) -> serde_json::Value {
    let line = match e {
        selfdata_service::ImportFailure::Refused(r) => r.error.line(),
        _ => None,
    };
    serde_json::json!({"file": file, "error": e.to_string(), "line": line})
}

/// Where `serve` listens.
struct Listen {
    addr: SocketAddr,
    /// The monitoring endpoints' address, if any.
    metrics: Option<SocketAddr>,
    /// HTTPS served directly, if the operator gave a certificate.
    tls: Option<selfdata::tls::Tls>,
}

async fn serve(app: &App, listen: Listen, hello: &str) -> anyhow::Result<()> {
    let router = app.router();
    app.spawn_background();
    // `selfdata backup` asks the running server, which holds the folder.
    if let Err(e) = app.backups.listen(&app.options.data) {
        tracing::warn!(error = %e, "no control socket: `selfdata backup` cannot reach this server");
    }
    if let Some(metrics) = listen.metrics {
        let listener = tokio::net::TcpListener::bind(metrics)
            .await
            .with_context(|| format!("cannot listen on {metrics} for the monitoring"))?;
        let local = listener.local_addr()?;
        let monitoring = selfdata::metrics::router(app);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, monitoring).await {
                tracing::error!(error = %e, "the monitoring listener stopped");
            }
        });
        tracing::info!(%local, "monitoring: /metrics, /health, /ready");
        println!("monitoring on http://{local}/metrics (and /health, /ready)");
    }
    let addr = listen.addr;
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let said = |scheme: &str, local: SocketAddr| {
        tracing::info!(%local, data = %app.options.data.display(), "selfdata is listening");
        println!(
            "selfdata is listening on {scheme}://{local} (data in {})",
            app.options.data.display()
        );
        println!("{hello}");
    };
    match listen.tls {
        Some(tls) => {
            let config = tls.load().await?;
            tls.watch(config.clone());
            let handle = axum_server::Handle::new();
            let stopping = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                stopping.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
            });
            let server = tokio::spawn(
                axum_server::bind_rustls(addr, config)
                    .handle(handle.clone())
                    .serve(service),
            );
            match handle.listening().await {
                Some(local) => said("https", local),
                None => {
                    server
                        .await?
                        .with_context(|| format!("cannot listen on {addr}"))?;
                    anyhow::bail!("cannot listen on {addr}");
                }
            }
            server.await?.context("the server stopped")?;
        }
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            said("http", listener.local_addr()?);
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("the server stopped")?;
        }
    }
    // Decisions still waiting for their batch are written before the folder closes.
    app.access_log.flush().await;
    Ok(())
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SELFDATA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// One line of progress on a terminal, rewritten in place.
#[derive(Default)]
struct ProgressLine {
    shown: bool,
}

impl ProgressLine {
    fn show(&mut self, p: &selfdata_store::sqlite::backup::Progress) {
        use std::io::Write as _;
        if p.pods == 0 {
            return;
        }
        let mut err = std::io::stderr();
        let _ = write!(err, "\r{} of {} pods", p.pods_done, p.pods);
        let _ = err.flush();
        self.shown = true;
    }

    fn end(&mut self) {
        if std::mem::take(&mut self.shown) {
            eprintln!();
        }
    }
}

fn utc(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}
