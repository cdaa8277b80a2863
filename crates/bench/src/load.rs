//! The closed-loop load generator. Every connection is one keep-alive HTTP/1.1
//! connection (a bare hyper client over a tokio `TcpStream`, opened before the
//! clock starts) that sends its next request as soon as the previous answer
//! has been read whole. Each request's latency (send to last body byte) goes
//! into an HDR histogram; non-2xx answers and transport failures count as
//! errors. The placeholder `UNIQUE` in the URL or body becomes a per-request
//! token (a global sequence number, ten digits), so PUTs write their own body,
//! N3 PATCHes insert a new triple, and a PUT load with `UNIQUE` in the URL
//! seeds a container with exactly `--requests` children.
//!
//! The run stops issuing requests at `--duration` (or once `--requests` have
//! been issued); requests still in flight get `--grace` more seconds, after
//! which they are abandoned and reported as `incomplete`. Throughput (`rps`)
//! is the 2xx answers over the whole window, tail included, so a server too
//! slow to answer within the duration still gets a figure, and one answering
//! errors fast does not look fast (`all_rps` counts every answer). Latency
//! percentiles cover every answer, errors included.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, Uri, header};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;

/// The N3 Patch sent when `--method PATCH` has no `--body-file`.
pub const DEFAULT_N3_PATCH: &str = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n\
    _:p a solid:InsertDeletePatch; solid:inserts { <#s> <#p> \"UNIQUE\" . }.\n";

const PLACEHOLDER: &str = "UNIQUE";

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// The target, `http://HOST:PORT/path` (`UNIQUE` in it is replaced per request).
    #[arg(long)]
    url: String,
    /// GET, PUT, PATCH, or any other method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// An extra request header, `'Name: value'`; repeatable.
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// The request body (`UNIQUE` in it is replaced per request).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// The request body's media type (default: text/turtle for PUT, text/n3 for PATCH).
    #[arg(long)]
    content_type: Option<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Seconds to keep issuing requests.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Stop issuing after this many requests in all.
    #[arg(long)]
    requests: Option<u64>,
    /// Seconds a request in flight at the end may still take before it is abandoned.
    #[arg(long, default_value_t = 30.0)]
    grace: f64,
    /// `key=value` copied into the JSON line (a string, or a number if it parses as one); repeatable.
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Sign in with these client credentials (`ID:SECRET`) at `--token-url`,
    /// get a DPoP-bound token, and send it with a fresh DPoP proof on every
    /// request (proofs are made before the clock starts).
    #[arg(long, requires = "token_url")]
    dpop_credentials: Option<String>,
    /// The token endpoint for `--dpop-credentials`.
    #[arg(long)]
    token_url: Option<String>,
    /// How many DPoP proofs to prepare (one per request).
    #[arg(long, default_value_t = 60_000)]
    dpop_proofs: usize,
}

/// A DPoP-bound access token and one fresh proof per request.
struct Dpop {
    token: String,
    proofs: Vec<header::HeaderValue>,
}

/// What every connection shares.
struct Plan {
    method: Method,
    authority: String,
    /// The path and query, split at each placeholder.
    path_parts: Vec<String>,
    /// The body, split at each placeholder.
    body_parts: Vec<Bytes>,
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
    issued: AtomicU64,
    max_requests: u64,
    dpop: Option<Dpop>,
}

impl Plan {
    fn request(&self, seq: u64) -> anyhow::Result<Request<Full<Bytes>>> {
        let token = format!("{seq:010}");
        let path = self.path_parts.join(&token);
        let body = if self.body_parts.len() == 1 {
            self.body_parts[0].clone()
        } else {
            let mut joined = Vec::new();
            for (i, part) in self.body_parts.iter().enumerate() {
                if i > 0 {
                    joined.extend_from_slice(token.as_bytes());
                }
                joined.extend_from_slice(part);
            }
            Bytes::from(joined)
        };
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(path)
            .header(header::HOST, &self.authority);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if let Some(dpop) = &self.dpop {
            let proof = dpop
                .proofs
                .get(seq as usize)
                .context("ran out of prepared DPoP proofs: raise --dpop-proofs")?;
            builder = builder
                .header(header::AUTHORIZATION, format!("DPoP {}", dpop.token))
                .header("dpop", proof);
        }
        Ok(builder.body(Full::new(body))?)
    }
}

/// What one connection measured.
struct Tally {
    histogram: Histogram<u64>,
    errors: u64,
    transport_errors: u64,
    incomplete: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
    first_error: Option<String>,
}

impl Tally {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            // Microseconds, from 1 µs to 10 minutes, 3 significant figures.
            histogram: Histogram::new_with_bounds(1, 600_000_000, 3)?,
            errors: 0,
            transport_errors: 0,
            incomplete: 0,
            statuses: std::collections::BTreeMap::new(),
            first_error: None,
        })
    }
}

pub fn run(args: &LoadArgs) -> anyhow::Result<()> {
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let line = runtime.block_on(drive(args))?;
    println!("{line}");
    Ok(())
}

fn split_placeholder(text: &str) -> Vec<String> {
    text.split(PLACEHOLDER).map(str::to_owned).collect()
}

fn plan(args: &LoadArgs) -> anyhow::Result<Plan> {
    let uri: Uri = args
        .url
        .replace(PLACEHOLDER, "0000000000")
        .parse()
        .with_context(|| format!("invalid --url {}", args.url))?;
    if uri.scheme_str() != Some("http") {
        bail!("only http:// URLs are supported");
    }
    let authority = uri
        .authority()
        .context("the URL has no host")?
        .as_str()
        .to_owned();
    let path_start = args.url.find("://").map_or(0, |i| i + 3);
    let path = args.url[path_start..]
        .find('/')
        .map_or("/", |i| &args.url[path_start + i..]);
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())?;
    let body = match &args.body_file {
        Some(file) => std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?,
        None if method == Method::PATCH => DEFAULT_N3_PATCH.to_owned(),
        None => String::new(),
    };
    let mut headers = Vec::new();
    let content_type = args.content_type.clone().or_else(|| match method {
        Method::PUT | Method::POST => Some("text/turtle".to_owned()),
        Method::PATCH => Some("text/n3".to_owned()),
        _ => None,
    });
    if let Some(ct) = content_type
        && (!body.is_empty() || method != Method::GET)
    {
        headers.push((header::CONTENT_TYPE, ct.parse()?));
    }
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .with_context(|| format!("--header {h:?} is not 'Name: value'"))?;
        headers.push((name.trim().parse()?, value.trim().parse()?));
    }
    Ok(Plan {
        method,
        authority,
        path_parts: split_placeholder(path),
        body_parts: split_placeholder(&body)
            .into_iter()
            .map(Bytes::from)
            .collect(),
        headers,
        issued: AtomicU64::new(0),
        max_requests: args.requests.unwrap_or(u64::MAX),
        dpop: None,
    })
}

async fn connect(authority: &str) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot connect to {authority}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Gets a DPoP-bound token with client credentials and prepares the proofs.
async fn prepare_dpop(args: &LoadArgs, url: &str, method: &Method) -> anyhow::Result<Option<Dpop>> {
    use base64::Engine as _;
    let (Some(credentials), Some(token_url)) = (&args.dpop_credentials, &args.token_url) else {
        return Ok(None);
    };
    let key = selfdata_oidc::DpopKey::generate();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    };
    let uri: Uri = token_url.parse()?;
    let authority = uri
        .authority()
        .context("the token URL has no host")?
        .as_str()
        .to_owned();
    let mut sender = connect(&authority).await?;
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri.path())
        .header(header::HOST, &authority)
        .header(
            header::AUTHORIZATION,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ),
        )
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("dpop", key.proof("POST", token_url, None, now()))
        .body(Full::new(Bytes::from_static(
            b"grant_type=client_credentials",
        )))?;
    let response = sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    let answer: Value =
        serde_json::from_slice(&body).context("the token endpoint did not answer JSON")?;
    let token = answer["access_token"]
        .as_str()
        .with_context(|| format!("no access token: {answer}"))?
        .to_owned();
    let count = args.dpop_proofs;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = count.div_ceil(threads);
    let mut handles = Vec::new();
    for t in 0..threads {
        let key = key.clone();
        let (url, method, token) = (url.to_owned(), method.to_string(), token.clone());
        let n = per.min(count.saturating_sub(t * per));
        handles.push(std::thread::spawn(move || {
            (0..n)
                .map(|_| {
                    key.proof(&method, &url, Some(&token), now())
                        .parse::<header::HeaderValue>()
                })
                .collect::<Result<Vec<_>, _>>()
        }));
    }
    let mut proofs = Vec::with_capacity(count);
    for h in handles {
        proofs.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("a proof thread panicked"))??,
        );
    }
    Ok(Some(Dpop { token, proofs }))
}

async fn drive(args: &LoadArgs) -> anyhow::Result<Value> {
    let mut plan = plan(args)?;
    plan.dpop = prepare_dpop(args, &args.url, &plan.method).await?;
    if let Some(d) = &plan.dpop {
        plan.max_requests = plan.max_requests.min(d.proofs.len() as u64);
    }
    let plan = Arc::new(plan);
    // Open every connection before the clock starts.
    let mut senders = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        senders.push(connect(&plan.authority).await?);
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.duration);
    let hard_deadline = deadline + Duration::from_secs_f64(args.grace);
    let mut tasks = Vec::with_capacity(args.connections);
    for sender in senders {
        let plan = Arc::clone(&plan);
        tasks.push(tokio::spawn(connection_loop(
            plan,
            sender,
            deadline.into(),
            hard_deadline.into(),
        )));
    }
    let mut total = Tally::new()?;
    for task in tasks {
        let tally = task.await??;
        total.histogram.add(&tally.histogram)?;
        total.errors += tally.errors;
        total.transport_errors += tally.transport_errors;
        total.incomplete += tally.incomplete;
        for (status, n) in tally.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let h = &total.histogram;
    let completed = h.len();
    let ms = |v: u64| v as f64 / 1000.0;
    let quantile = |q: f64| {
        if completed == 0 {
            Value::Null
        } else {
            json!(ms(h.value_at_quantile(q)))
        }
    };
    let statuses: Map<String, Value> = total
        .statuses
        .iter()
        .map(|(s, n)| (s.to_string(), json!(n)))
        .collect();
    let errors = total.errors + total.transport_errors;
    let ok = completed - total.errors;
    let mut line = json!({
        "rps": (ok as f64 / elapsed * 10.0).round() / 10.0,
        "all_rps": (completed as f64 / elapsed * 10.0).round() / 10.0,
        "p50_ms": quantile(0.50),
        "p99_ms": quantile(0.99),
        "requests": completed,
        "errors": errors,
        "p90_ms": quantile(0.90),
        "p999_ms": quantile(0.999),
        "max_ms": if completed == 0 { Value::Null } else { json!(ms(h.max())) },
        "mean_ms": if completed == 0 { Value::Null } else { json!((h.mean()).round() / 1000.0) },
        "incomplete": total.incomplete,
        "transport_errors": total.transport_errors,
        "statuses": statuses,
        "seconds": (elapsed * 1000.0).round() / 1000.0,
        "connections": args.connections,
        "method": plan.method.as_str(),
        "url": args.url,
        "flagged": errors > 0 || total.incomplete > 0,
    });
    if let Some(e) = total.first_error {
        line["first_error"] = json!(e);
    }
    for tag in &args.tags {
        let (k, v) = tag
            .split_once('=')
            .with_context(|| format!("--tag {tag:?} is not key=value"))?;
        line[k] = v.parse::<f64>().map_or_else(|_| json!(v), |n| json!(n));
    }
    Ok(line)
}

async fn connection_loop(
    plan: Arc<Plan>,
    mut sender: SendRequest<Full<Bytes>>,
    deadline: tokio::time::Instant,
    hard_deadline: tokio::time::Instant,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::new()?;
    let mut connected = true;
    loop {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        let seq = plan.issued.fetch_add(1, Ordering::Relaxed);
        if seq >= plan.max_requests {
            break;
        }
        let request = plan.request(seq)?;
        if !connected {
            match tokio::time::timeout_at(hard_deadline, connect(&plan.authority)).await {
                Ok(Ok(s)) => {
                    sender = s;
                    connected = true;
                }
                Ok(Err(e)) => {
                    note_transport_error(&mut tally, &e.to_string());
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                Err(_) => {
                    tally.incomplete += 1;
                    break;
                }
            }
        }
        let started = Instant::now();
        let exchange = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        };
        match tokio::time::timeout_at(hard_deadline, exchange).await {
            Ok(Ok((status, body))) => {
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                tally.histogram.saturating_record(micros.max(1));
                *tally.statuses.entry(status.as_u16()).or_default() += 1;
                if !status.is_success() {
                    tally.errors += 1;
                    if tally.first_error.is_none() {
                        let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
                        tally.first_error = Some(format!("{status}: {text}"));
                    }
                }
            }
            Ok(Err(e)) => {
                note_transport_error(&mut tally, &e.to_string());
                connected = false;
            }
            Err(_) => {
                tally.incomplete += 1;
                break;
            }
        }
    }
    Ok(tally)
}

fn note_transport_error(tally: &mut Tally, error: &str) {
    tally.transport_errors += 1;
    if tally.first_error.is_none() {
        tally.first_error = Some(format!("transport: {error}"));
    }
}
