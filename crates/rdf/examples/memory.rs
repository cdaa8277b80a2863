//! Measures the peak memory of the RDF paths a large document takes, before
//! and after the frugal path, in one run, and prints the figures as JSON.
//!
//! ```text
//! cargo run -p selfdata-rdf --example memory -- [ITEMS]
//! ```
//!
//! The document is a Turtle list of `ITEMS` integers (default 200,000: about
//! 1.3 MB and 400,001 triples), the shape of the amplification found in
//! issue 9. Each path runs in a child process of its own (this program run
//! again with `--phase NAME`), which reports the growth of its peak resident
//! set (`VmHWM` in `/proc/self/status`, Linux only) over what it had once the
//! body was built. The paths, old and new, are:
//! - `put_graph`: validating a PUT by parsing into a graph (before);
//!   `put_stream`: [`selfdata_rdf::check_document`] (after);
//! - `jsonld_graph`: serving as JSON-LD by parsing, then serialising the
//!   graph (before); `jsonld_stream`: [`selfdata_rdf::convert`] (after);
//! - `turtle_graph` / `turtle_stream`: the same, to Turtle;
//! - `patch_graph`: a PATCH (`INSERT DATA` of one triple) applied to the
//!   document parsed into an `oxrdf::Graph`, then written as Turtle (before);
//!   `patch_document`: the same on a [`selfdata_rdf::Document`] (after).
//!
//! `memory.json` beside this file holds the figures of one run (debug build,
//! default size).

use selfdata_rdf::{
    Budget, Document, Limits, Patch, RdfFormat, check_document, convert, parse, serialize,
};
use std::process::Command;
use std::time::Instant;

const BASE: &str = "https://pod.example/alice/list.ttl";
const PHASES: [&str; 8] = [
    "put_graph",
    "put_stream",
    "jsonld_graph",
    "jsonld_stream",
    "turtle_graph",
    "turtle_stream",
    "patch_graph",
    "patch_document",
];
const PATCH: &[u8] = b"INSERT DATA { <#list> <#size> 200000 }";

fn body(items: usize) -> String {
    let mut body = String::with_capacity(items * 8 + 64);
    body.push_str("<#list> <#items> (");
    for i in 0..items {
        body.push(' ');
        body.push_str(&i.to_string());
    }
    body.push_str(" ).\n");
    body
}

/// A field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn run_phase(phase: &str, items: usize) {
    let body = body(items);
    let bytes = body.as_bytes();
    // Forget the peak of building the body: "5" resets VmHWM to VmRSS.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_bytes("VmRSS:");
    let started = Instant::now();
    // On a thread of its own, as a request is served, so that what the
    // allocator keeps after the work is done shows in `retained_bytes`.
    let (triples, output) = std::thread::scope(|scope| {
        scope
            .spawn(|| work(phase, bytes, items))
            .join()
            .expect("the phase ran")
    });
    let millis = started.elapsed().as_millis();
    let peak = status_bytes("VmHWM:");
    let retained = status_bytes("VmRSS:").saturating_sub(before);
    println!(
        "{{\"triples\":{triples},\"output_bytes\":{output},\"peak_growth_bytes\":{},\"retained_bytes\":{retained},\"millis\":{millis}}}",
        peak.saturating_sub(before)
    );
}

/// Runs one path; returns the triples seen and the output's length.
fn work(phase: &str, bytes: &[u8], items: usize) -> (u64, usize) {
    let limits = Limits::UNLIMITED;
    match phase {
        "put_graph" => (
            parse(bytes, RdfFormat::Turtle, BASE).unwrap().len() as u64,
            0,
        ),
        "put_stream" => {
            let mut budget = Budget::new(limits);
            let n = check_document(bytes, RdfFormat::Turtle, BASE, &mut budget, |_| {}).unwrap();
            (n, 0)
        }
        "jsonld_graph" | "turtle_graph" => {
            let format = if phase == "jsonld_graph" {
                RdfFormat::JsonLd
            } else {
                RdfFormat::Turtle
            };
            let graph = parse(bytes, RdfFormat::Turtle, BASE).unwrap();
            let out = serialize(&graph, format, BASE).unwrap();
            (graph.len() as u64, out.len())
        }
        "jsonld_stream" | "turtle_stream" => {
            let format = if phase == "jsonld_stream" {
                RdfFormat::JsonLd
            } else {
                RdfFormat::Turtle
            };
            let out = convert(bytes, RdfFormat::Turtle, format, BASE).unwrap();
            (2 * items as u64 + 1, out.len())
        }
        "patch_graph" => {
            let mut graph = parse(bytes, RdfFormat::Turtle, BASE).unwrap();
            let patch = Patch::parse_sparql_update(PATCH, BASE).unwrap();
            let _ = patch
                .apply_within(&mut graph, &mut Budget::new(limits))
                .unwrap();
            let out = serialize(&graph, RdfFormat::Turtle, BASE).unwrap();
            (graph.len() as u64, out.len())
        }
        "patch_document" => {
            let mut document = Document::parse(bytes, RdfFormat::Turtle, BASE).unwrap();
            let patch = Patch::parse_sparql_update(PATCH, BASE).unwrap();
            let _ = patch
                .apply_to_document(&mut document, &mut Budget::new(limits))
                .unwrap();
            let out = document.serialize(RdfFormat::Turtle, BASE).unwrap();
            (document.len() as u64, out.len())
        }
        other => panic!("unknown phase {other}"),
    }
}

fn field(json: &str, name: &str) -> u64 {
    let key = format!("\"{name}\":");
    json.split(&key)
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, phase, items] = args.as_slice()
        && flag == "--phase"
    {
        run_phase(phase, items.parse().expect("ITEMS is a number"));
        return;
    }
    let items: usize = args
        .first()
        .map_or(200_000, |n| n.parse().expect("ITEMS is a number"));
    let exe = std::env::current_exe().expect("own path");
    let mut results = Vec::new();
    for phase in PHASES {
        let output = Command::new(&exe)
            .args(["--phase", phase, &items.to_string()])
            .output()
            .expect("child runs");
        assert!(output.status.success(), "phase {phase} failed");
        let json = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        results.push((phase, json));
    }
    let growth = |name: &str| {
        results
            .iter()
            .find(|(p, _)| *p == name)
            .map_or(0, |(_, json)| field(json, "peak_growth_bytes"))
    };
    let triples = 2 * items as u64 + 1;
    let per_triple = |name: &str| growth(name) as f64 / triples as f64;
    let ratio = |old: &str, new: &str| growth(old) as f64 / growth(new).max(1) as f64;
    let phases = results
        .iter()
        .map(|(phase, json)| {
            format!(
                "    \"{phase}\": {{\"bytes_per_triple\": {:.0}, \"detail\": {json}}}",
                per_triple(phase)
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    println!(
        "{{\n  \"items\": {items},\n  \"triples\": {triples},\n  \"body_bytes\": {},\n  \"phases\": {{\n{phases}\n  }},\n  \"ratios_before_over_after\": {{\"put\": {:.1}, \"serve_jsonld\": {:.1}, \"serve_turtle\": {:.1}, \"patch\": {:.1}}}\n}}",
        body(items).len(),
        ratio("put_graph", "put_stream"),
        ratio("jsonld_graph", "jsonld_stream"),
        ratio("turtle_graph", "turtle_stream"),
        ratio("patch_graph", "patch_document"),
    );
}
