//! The `selfdata` binary: command-line parsing and wiring, nothing else.
//! Errors become a plain sentence on stderr and a non-zero exit code.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use selfdata::{App, Options};
use selfdata_idp::SignupMode;
use selfdata_store::{Backend, Directory, PodName};

/// selfdata: a personal data store. Residents gather the data organisations
/// hold about them in a pod of their own, speaking the Solid Protocol.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Folder holding all the pods (created if missing).
    #[arg(
        long,
        global = true,
        env = "SELFDATA_DATA",
        default_value = "selfdata-data"
    )]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: every pod in the data folder, over HTTP.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "SELFDATA_ADDR", default_value = "127.0.0.1:8000")]
        addr: SocketAddr,
        /// Public address of this server as clients see it (default: http://ADDR).
        #[arg(long, env = "SELFDATA_BASE_URL")]
        base_url: Option<String>,
        /// Largest request body accepted, in bytes.
        #[arg(long, default_value_t = 64 * 1024 * 1024)]
        max_body_bytes: usize,
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
            default_value = "http://127.0.0.1:8000"
        )]
        base_url: String,
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
            default_value = "http://127.0.0.1:8000"
        )]
        base_url: String,
    },
    /// List the pods in the data folder.
    List,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.clone();
    let open = |base_url: &str| {
        let options = Options::new(&data, base_url);
        async move {
            App::open(options)
                .await
                .with_context(|| format!("cannot open the data folder {}", data.display()))
        }
    };
    match cli.command {
        Command::Serve {
            addr,
            base_url,
            max_body_bytes,
            signup,
            trusted_issuers,
            log_json,
        } => {
            init_logs(log_json);
            let base_url = base_url.unwrap_or_else(|| format!("http://{addr}"));
            let mut options = Options::new(&cli.data, &base_url);
            options.max_body_bytes = max_body_bytes;
            options.signup = signup;
            options.trusted_issuers = trusted_issuers;
            let app = App::open(options)
                .await
                .with_context(|| format!("cannot open the data folder {}", cli.data.display()))?;
            let router = app.router();
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            tracing::info!(%local, data = %cli.data.display(), "selfdata is listening");
            println!(
                "selfdata is listening on http://{local} (data in {})",
                cli.data.display()
            );
            println!("Create an account at {base_url}/account/signup");
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the server stopped")?;
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
            for pod in pods {
                let created = jiff::Timestamp::from_millisecond(pod.created_ms)
                    .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                println!("{}\tcreated {created}", pod.name);
            }
        }
        Command::Account(AccountCommand::Create {
            email,
            pod,
            base_url,
        }) => {
            let pod = PodName::parse(&pod).context("invalid pod name")?;
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
        Command::Invite(InviteCommand::Create) => {
            let app = open("http://127.0.0.1:8000").await?;
            let code = selfdata_idp::new_invite(app.store.as_ref() as &dyn Directory).await?;
            println!("{code}");
        }
        Command::Keys(KeysCommand::Rotate) => {
            let app = open("http://127.0.0.1:8000").await?;
            let kid = selfdata_idp::rotate_keys(app.store.as_ref() as &dyn Directory).await?;
            println!("The new signing key {kid} is current; restart the server to use it.");
        }
    }
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
