//! The ceilings the pod server is measured against, in the same run on the
//! same machine. [`serve`] is the least a server can do to answer a GET of a
//! stored document: a bare axum handler that reads the body from SQLite (one
//! read-only connection per runtime worker thread, a cached prepared
//! statement) and returns it. [`fsync`] is the least a durable write costs: a
//! bare SQLite commit with WAL and `synchronous = FULL`, one INSERT per
//! transaction, back to back.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _};
use serde_json::json;

/// A Turtle document of about `bytes` bytes: a small profile-like description
/// and enough list items to reach the size. Holds the placeholder `UNIQUE` once.
pub fn turtle_template(bytes: usize) -> String {
    let mut doc = String::from(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
         @prefix schema: <http://schema.org/>.\n\
         @prefix dct: <http://purl.org/dc/terms/>.\n\n\
         <#me> a foaf:Person, schema:Person;\n\
         \x20   foaf:name \"Benchmark Resident\";\n\
         \x20   dct:identifier \"UNIQUE\";\n\
         \x20   schema:email <mailto:resident@example.org>.\n",
    );
    let mut i = 0;
    // Each item is about 100 bytes; stop before overshooting.
    while doc.len() + 110 < bytes {
        let _ = writeln!(
            doc,
            "<#item{i:03}> a schema:Thing; schema:name \"Item number {i:03} of the resident's list\"; schema:position {i}."
        );
        i += 1;
    }
    while doc.len() < bytes {
        // Pad with a comment line so the size is exact.
        let room = bytes - doc.len();
        if room < 3 {
            doc.push_str(&"\n".repeat(room));
        } else {
            doc.push('#');
            doc.push_str(&"x".repeat(room - 2));
            doc.push('\n');
        }
    }
    doc
}

const SELECT: &str = "SELECT body FROM t WHERE id = 1";

thread_local! {
    static READER: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

fn read_body(db: &Path) -> anyhow::Result<Vec<u8>> {
    READER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let conn = Connection::open_with_flags(
                db,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            *slot = Some(conn);
        }
        let conn = slot.as_ref().context("no connection")?;
        let mut stmt = conn.prepare_cached(SELECT)?;
        Ok(stmt.query_row([], |row| row.get::<_, Vec<u8>>(0))?)
    })
}

async fn handler(State(db): State<Arc<PathBuf>>) -> Response {
    match read_body(&db) {
        Ok(body) => ([(header::CONTENT_TYPE, "text/turtle")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The headers a selfdata GET of a document carries besides the body's own.
const SELFDATA_LIKE_HEADERS: &[(&str, &str)] = &[
    ("link", "<http://www.w3.org/ns/ldp#Resource>; rel=\"type\""),
    ("link", "<http://www.w3.org/ns/ldp#RDFSource>; rel=\"type\""),
    (
        "link",
        "<http://127.0.0.1:38401/bench/doc.ttl.acl>; rel=\"acl\"",
    ),
    (
        "link",
        "<http://127.0.0.1:38401/bench/doc.ttl.meta>; rel=\"describedby\"",
    ),
    (
        "link",
        "<http://127.0.0.1:38401/bench/.well-known/solid>; rel=\"http://www.w3.org/ns/solid/terms#storageDescription\"",
    ),
    ("allow", "OPTIONS, HEAD, GET, PUT, PATCH, DELETE"),
    ("accept-patch", "text/n3, application/sparql-update"),
    ("accept-put", "*/*"),
    ("etag", "\"9\""),
    ("last-modified", "Tue, 24 Nov 2026 03:13:18 GMT"),
];

async fn add_header(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .append(header::VARY, header::HeaderValue::from_static("Origin"));
    response
}

async fn add_vary(mut response: Response) -> Response {
    response.headers_mut().append(
        header::VARY,
        header::HeaderValue::from_static("Accept, Authorization"),
    );
    response
}

/// The bare handler, wrapped in the layers named (see the `--layers` help).
fn router(db: Arc<PathBuf>, layers: &[String]) -> anyhow::Result<Router> {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let all = layers.iter().any(|l| l == "all");
    let on = |name: &str| all || layers.iter().any(|l| l == name);
    for l in layers {
        if !matches!(
            l.as_str(),
            "all" | "trace" | "request-id" | "catch-panic" | "from-fn" | "map-response" | "headers"
        ) {
            anyhow::bail!("unknown layer {l:?}");
        }
    }
    let mut app = if on("headers") {
        Router::new().fallback(headers_handler)
    } else {
        Router::new().fallback(handler)
    }
    .with_state(db);
    if on("from-fn") {
        app = app.layer(axum::middleware::from_fn(add_header));
    }
    if on("catch-panic") {
        app = app.layer(tower_http::catch_panic::CatchPanicLayer::new());
    }
    if on("trace") {
        let trace = tower_http::trace::TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            },
        );
        app = app.layer(trace);
    }
    if on("request-id") {
        let name = header::HeaderName::from_static("x-request-id");
        app = app
            .layer(PropagateRequestIdLayer::new(name.clone()))
            .layer(SetRequestIdLayer::new(name, MakeRequestUuid));
    }
    if on("map-response") {
        app = app.layer(axum::middleware::map_response(add_vary));
    }
    Ok(app)
}

async fn headers_handler(State(db): State<Arc<PathBuf>>) -> Response {
    let mut response = handler(State(db)).await;
    let headers = response.headers_mut();
    for (name, value) in SELFDATA_LIKE_HEADERS {
        // Built per request, as the pod server builds them.
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            header::HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    response
}

/// Seeds the database and serves `GET <any path>` until killed.
pub fn serve(
    addr: SocketAddr,
    db: &Path,
    body_file: Option<&Path>,
    layers: &[String],
    log: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(level) = log {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .with_writer(std::io::stderr)
            .init();
    }
    let conn = Connection::open(db).with_context(|| format!("cannot open {}", db.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; \
         CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
    )?;
    let body = match body_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?,
        ),
        None => {
            let existing: Option<i64> = conn
                .query_row("SELECT id FROM t WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            existing.is_none().then(|| turtle_template(2048))
        }
    };
    if let Some(body) = body {
        let body = body.replace("UNIQUE", "0000000000");
        conn.execute(
            "INSERT OR REPLACE INTO t (id, body) VALUES (1, ?1)",
            [body.as_bytes()],
        )?;
    }
    drop(conn);
    let db = Arc::new(db.to_path_buf());
    let app = router(db, layers)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        println!("baseline listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// Commits one INSERT per transaction for `seconds`; prints one JSON line.
pub fn fsync(db: &Path, seconds: f64) -> anyhow::Result<()> {
    let conn = Connection::open(db).with_context(|| format!("cannot open {}", db.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
    )?;
    let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
    let payload = vec![b'x'; 2048];
    let mut stmt = conn.prepare("INSERT INTO c (body) VALUES (?1)")?;
    let start = Instant::now();
    let until = Duration::from_secs_f64(seconds);
    let mut commits: u64 = 0;
    while start.elapsed() < until {
        // Autocommit: every execute is its own transaction, fsynced at commit.
        stmt.execute([&payload])?;
        commits += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "kind": "fsync",
            "commits_per_s": (commits as f64 / elapsed).round(),
            "commits": commits,
            "seconds": (elapsed * 1000.0).round() / 1000.0,
            "synchronous": synchronous,
            "journal_mode": "wal",
            "payload_bytes": payload.len(),
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::turtle_template;

    #[test]
    fn template_has_the_asked_size_and_one_placeholder() {
        for size in [512, 2048, 4096] {
            let doc = turtle_template(size);
            assert_eq!(doc.len(), size);
            assert_eq!(doc.matches("UNIQUE").count(), 1);
        }
    }
}
