//! The `selfdata` binary: command-line parsing and wiring, nothing else.
//! Errors become a plain sentence on stderr and a non-zero exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use selfdata_solid::{AppState, Config, provision};
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName};

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
        /// Write logs as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
    },
    /// Create and list pods.
    #[command(subcommand)]
    Pod(PodCommand),
}

#[derive(Debug, Subcommand)]
enum PodCommand {
    /// Create a pod and print the owner's access token (shown only once).
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
    let open = || {
        SqliteBackend::open(&cli.data)
            .with_context(|| format!("cannot open the data folder {}", cli.data.display()))
    };
    match cli.command {
        Command::Serve {
            addr,
            base_url,
            max_body_bytes,
            log_json,
        } => {
            init_logs(log_json);
            let store: Arc<dyn Backend> = Arc::new(open()?);
            let base_url = base_url.unwrap_or_else(|| format!("http://{addr}"));
            let mut config = Config::new(&base_url);
            config.max_body_bytes = max_body_bytes;
            let app = selfdata_solid::router(AppState::new(store, config));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            tracing::info!(%local, data = %cli.data.display(), "selfdata is listening");
            println!(
                "selfdata is listening on http://{local} (data in {})",
                cli.data.display()
            );
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("the server stopped")?;
        }
        Command::Pod(PodCommand::Create { name, base_url }) => {
            let name = PodName::parse(&name).context("invalid pod name")?;
            let store = open()?;
            let pod = provision::create_pod(&store, &base_url, &name).await?;
            println!("Created pod '{name}' at {}", pod.root_uri);
            println!("WebID: {}", pod.webid);
            println!("Owner token (shown only once; keep it secret):");
            println!("{}", pod.owner_token);
            println!();
            println!(
                "Try: curl -H 'Authorization: Bearer {}' {}profile/card",
                pod.owner_token, pod.root_uri
            );
        }
        Command::Pod(PodCommand::List) => {
            let store = open()?;
            let pods = store.list_pods().await?;
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
