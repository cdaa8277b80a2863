//! Turns the JSON lines of one benchmark run (each `load` line tagged with
//! `server` and `scenario`, plus the `fsync-baseline` line) into the results
//! file (every figure, the ratios selfdata/CSS and selfdata/baseline, the
//! targets of the issue and whether they were met, the machine) and a
//! markdown table for a note.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::{Map, Value, json};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The JSON lines of the run.
    #[arg(long)]
    input: PathBuf,
    /// Where to write the results JSON.
    #[arg(long)]
    json: PathBuf,
    /// Where to write the markdown table.
    #[arg(long)]
    markdown: PathBuf,
    /// `key=value` describing the machine or the run; repeatable.
    #[arg(long = "meta")]
    meta: Vec<String>,
}

/// The scenarios, in table order, with a human name.
const SCENARIOS: &[(&str, &str)] = &[
    ("get_2kb", "GET 2 KB Turtle"),
    ("put_2kb", "PUT 2 KB Turtle"),
    ("get_container_10k", "GET container, 10,000 children"),
    ("patch_n3", "N3 PATCH (insert one triple)"),
];

type Key = (String, String, u64);

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let mut runs = Vec::new();
    let mut fsync = Value::Null;
    let mut repeats: BTreeMap<Key, Vec<Value>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).with_context(|| format!("not JSON: {line}"))?;
        if v["kind"] == "fsync" {
            fsync = v.clone();
        } else if let (Some(server), Some(scenario), Some(conns)) = (
            v["server"].as_str(),
            v["scenario"].as_str(),
            v["connections"].as_u64(),
        ) {
            repeats
                .entry((scenario.to_owned(), server.to_owned(), conns))
                .or_default()
                .push(v.clone());
        }
        runs.push(v);
    }
    // A scenario measured several times (interleaved with the other servers,
    // against the machine's drift) is represented by its median-throughput run.
    let by_key: BTreeMap<Key, Value> = repeats
        .into_iter()
        .map(|(key, mut vs)| {
            let all: Vec<Value> = vs.iter().map(|v| v["rps"].clone()).collect();
            vs.sort_by(|a, b| {
                let (a, b) = (
                    a["rps"].as_f64().unwrap_or(0.0),
                    b["rps"].as_f64().unwrap_or(0.0),
                );
                a.total_cmp(&b)
            });
            let mut median = vs[vs.len() / 2].clone();
            median["repeats"] = json!(vs.len());
            median["rps_each"] = Value::Array(all);
            median["flagged"] = json!(vs.iter().any(|v| v["flagged"] == true));
            (key, median)
        })
        .collect();
    let mut machine = Map::new();
    for m in &args.meta {
        let (k, v) = m
            .split_once('=')
            .with_context(|| format!("--meta {m:?} is not key=value"))?;
        machine.insert(k.to_owned(), json!(v));
    }

    let levels: Vec<u64> = {
        let mut l: Vec<u64> = by_key.keys().map(|k| k.2).collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let get = |scenario: &str, server: &str, conns: u64| {
        by_key.get(&(scenario.to_owned(), server.to_owned(), conns))
    };
    let rps = |v: Option<&Value>| v.and_then(|v| v["rps"].as_f64());
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };

    let mut results = Map::new();
    for (scenario, _) in SCENARIOS {
        let mut per_level = Map::new();
        for &c in &levels {
            let mut cell = Map::new();
            for server in ["selfdata", "css", "baseline"] {
                if let Some(v) = get(scenario, server, c) {
                    cell.insert(server.to_owned(), summary(v));
                }
            }
            if cell.is_empty() {
                continue;
            }
            let sd = rps(get(scenario, "selfdata", c));
            cell.insert(
                "ratio_selfdata_css".into(),
                json!(ratio(sd, rps(get(scenario, "css", c))).map(round2)),
            );
            if get(scenario, "baseline", c).is_some() {
                cell.insert(
                    "ratio_selfdata_baseline".into(),
                    json!(ratio(sd, rps(get(scenario, "baseline", c))).map(round2)),
                );
            }
            per_level.insert(c.to_string(), Value::Object(cell));
        }
        results.insert((*scenario).to_owned(), Value::Object(per_level));
    }

    let top = levels.last().copied().unwrap_or(64);
    let low = levels.first().copied().unwrap_or(1);
    let p = |scenario: &str, server: &str, c: u64, field: &str| {
        get(scenario, server, c).and_then(|v| v[field].as_f64())
    };
    let sd_get = rps(get("get_2kb", "selfdata", top));
    let targets = vec![
        target(
            &format!("GET 2 KB: selfdata/CSS throughput at {top} connections"),
            ">= 300",
            ratio(sd_get, rps(get("get_2kb", "css", top))),
            |x| x >= 300.0,
        ),
        target(
            &format!("GET 2 KB: selfdata/baseline throughput at {top} connections"),
            ">= 0.5",
            ratio(sd_get, rps(get("get_2kb", "baseline", top))),
            |x| x >= 0.5,
        ),
        target(
            &format!("GET 2 KB: selfdata p99 ms at {top} connections"),
            "< 5",
            p("get_2kb", "selfdata", top, "p99_ms"),
            |x| x < 5.0,
        ),
        target(
            &format!("PUT 2 KB: selfdata/CSS throughput at {top} connections"),
            ">= 50",
            ratio(
                rps(get("put_2kb", "selfdata", top)),
                rps(get("put_2kb", "css", top)),
            ),
            |x| x >= 50.0,
        ),
        target(
            &format!("GET 10,000-child container: selfdata p50 ms at {low} connection(s)"),
            "< 20",
            p("get_container_10k", "selfdata", low, "p50_ms"),
            |x| x < 20.0,
        ),
    ];
    let flagged: Vec<Value> = runs
        .iter()
        .filter(|v| v["flagged"] == true)
        .map(|v| {
            json!({
                "server": v["server"], "scenario": v["scenario"], "connections": v["connections"],
                "errors": v["errors"], "incomplete": v["incomplete"], "statuses": v["statuses"],
                "first_error": v["first_error"],
            })
        })
        .collect();
    let put_vs_fsync = ratio(
        rps(get("put_2kb", "selfdata", top)),
        fsync["commits_per_s"].as_f64(),
    );

    let out = json!({
        "machine": machine,
        "results": results,
        "fsync_baseline": fsync,
        "selfdata_put_per_bare_commit": put_vs_fsync.map(round2),
        "targets": targets,
        "flagged_runs": flagged,
        "runs": runs,
    });
    std::fs::write(&args.json, serde_json::to_string_pretty(&out)? + "\n")
        .with_context(|| format!("cannot write {}", args.json.display()))?;

    let md = markdown(&out, &levels, &by_key);
    std::fs::write(&args.markdown, md)
        .with_context(|| format!("cannot write {}", args.markdown.display()))?;
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn summary(v: &Value) -> Value {
    json!({
        "rps": v["rps"], "p50_ms": v["p50_ms"], "p99_ms": v["p99_ms"],
        "requests": v["requests"], "errors": v["errors"], "incomplete": v["incomplete"],
        "flagged": v["flagged"], "repeats": v["repeats"], "rps_each": v["rps_each"],
    })
}

fn target(name: &str, goal: &str, measured: Option<f64>, ok: impl Fn(f64) -> bool) -> Value {
    json!({
        "target": name,
        "goal": goal,
        "measured": measured.map(round2),
        "met": measured.map(ok),
    })
}

fn fmt_num(v: &Value) -> String {
    match v.as_f64() {
        None => "–".to_owned(),
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

fn cell(v: Option<&Value>) -> [String; 3] {
    match v {
        None => ["–".into(), "–".into(), "–".into()],
        Some(v) => {
            let mark = if v["flagged"] == true { " ⚠" } else { "" };
            [
                format!("{}{mark}", fmt_num(&v["rps"])),
                fmt_num(&v["p50_ms"]),
                fmt_num(&v["p99_ms"]),
            ]
        }
    }
}

fn markdown(out: &Value, levels: &[u64], by_key: &BTreeMap<Key, Value>) -> String {
    let mut md = String::new();
    let machine = &out["machine"];
    let _ = writeln!(md, "# selfdata vs Community Solid Server: benchmark\n");
    if let Some(m) = machine.as_object() {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
            .collect();
        let _ = writeln!(md, "{}\n", parts.join("; "));
    }
    let _ = writeln!(
        md,
        "Closed loop, keep-alive HTTP/1.1, one load generator on the same machine. \
         Throughput in requests/s (2xx answers only), latency in ms. Where a scenario was run \
         several times, interleaved across servers, the run with the median throughput is shown \
         (every run is in the JSON). ⚠ = a run saw errors or abandoned requests.\n"
    );
    let _ = writeln!(
        md,
        "| scenario | conns | selfdata req/s | p50 | p99 | CSS req/s | p50 | p99 | selfdata/CSS | baseline req/s | p50 | p99 | selfdata/baseline |"
    );
    let _ = writeln!(md, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (scenario, name) in SCENARIOS {
        for &c in levels {
            let g = |server: &str| by_key.get(&((*scenario).to_owned(), server.to_owned(), c));
            if g("selfdata").is_none() && g("css").is_none() {
                continue;
            }
            let [sr, s50, s99] = cell(g("selfdata"));
            let [cr, c50, c99] = cell(g("css"));
            let [br, b50, b99] = cell(g("baseline"));
            let level = &out["results"][scenario][c.to_string()];
            let r_css = fmt_ratio(&level["ratio_selfdata_css"]);
            let r_base = fmt_ratio(&level["ratio_selfdata_baseline"]);
            let _ = writeln!(
                md,
                "| {name} | {c} | {sr} | {s50} | {s99} | {cr} | {c50} | {c99} | {r_css} | {br} | {b50} | {b99} | {r_base} |"
            );
        }
    }
    if let Some(f) = out["fsync_baseline"].as_object() {
        let _ = writeln!(
            md,
            "\nBare SQLite commit (WAL, synchronous=FULL, one INSERT per transaction): **{} commits/s**. \
             selfdata PUTs at the top level per bare commit: {}.",
            fmt_num(&f["commits_per_s"].clone()),
            fmt_ratio(&out["selfdata_put_per_bare_commit"]),
        );
    }
    let _ = writeln!(
        md,
        "\n## Targets\n\n| target | goal | measured | met |\n|---|---|--:|---|"
    );
    for t in out["targets"].as_array().into_iter().flatten() {
        let met = match t["met"].as_bool() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {met} |",
            t["target"].as_str().unwrap_or_default(),
            t["goal"].as_str().unwrap_or_default(),
            fmt_num(&t["measured"]),
        );
    }
    let flagged = out["flagged_runs"].as_array().cloned().unwrap_or_default();
    if !flagged.is_empty() {
        let _ = writeln!(md, "\n## Runs with errors or abandoned requests\n");
        for f in flagged {
            let _ = writeln!(
                md,
                "- {} {} at {} connections: {} errors, {} abandoned, statuses {}{}",
                f["server"].as_str().unwrap_or("?"),
                f["scenario"].as_str().unwrap_or("?"),
                f["connections"],
                f["errors"],
                f["incomplete"],
                f["statuses"],
                f["first_error"]
                    .as_str()
                    .map(|e| format!("; first: `{}`", e.replace(['\n', '|', '`'], " ")))
                    .unwrap_or_default(),
            );
        }
    }
    md
}

fn fmt_ratio(v: &Value) -> String {
    match v.as_f64() {
        None => "–".to_owned(),
        Some(x) if x >= 10.0 => format!("{x:.0}×"),
        Some(x) => format!("{x:.2}×"),
    }
}
