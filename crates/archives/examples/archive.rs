//! Writes a generated archive, or reads one and prints what it names; the
//! way to look at the reader by hand and to measure it.
//!
//! ```text
//! cargo run --release -p selfdata-archives --example archive -- write takeout 200000000 /tmp/takeout.zip [SEED]
//! cargo run --release -p selfdata-archives --example archive -- read /tmp/takeout.zip
//! /usr/bin/time -v target/release/examples/archive read /tmp/takeout.zip
//! ```
//!
//! `write` streams an archive of about the size asked (shapes: `takeout`,
//! `facebook_2019`, `facebook_2021`, `facebook_2023`, `instagram_2022`,
//! `instagram_2024`) and prints the evidence it holds; `read` prints the
//! platform, the tally, the notes and one line per organisation, or the
//! refusal, with the time taken.

use std::io::{BufWriter, Write};
use std::time::Instant;

use selfdata_archives::generate::{Shape, Spec, write};
use selfdata_archives::{Lang, key, read_archive};

/// Counts what goes through (the size of an archive written to `/dev/null`).
struct Counted<W>(W, u64);

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        self.1 += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") if args.len() >= 4 => {
            let shape = Shape::ALL
                .into_iter()
                .find(|s| s.slug() == args[1])
                .expect("a shape: takeout, facebook_2019 …");
            let bytes: u64 = args[2].parse().expect("a size in bytes");
            let seed = args.get(4).map_or(1, |s| s.parse().expect("a seed"));
            let out = std::fs::File::create(&args[3]).expect("a file to write");
            let started = Instant::now();
            let mut counted = Counted(BufWriter::new(out), 0);
            let truth = write(&Spec::of_size(seed, shape, bytes), &mut counted).expect("written");
            let written = counted.1;
            println!(
                "{} bytes written in {:.1?}: {} records, {} rows of evidence",
                written,
                started.elapsed(),
                truth.items,
                truth.evidence.len()
            );
        }
        Some("read") if args.len() >= 2 => {
            let file = std::fs::File::open(&args[1]).expect("a readable file");
            let started = Instant::now();
            let result = read_archive(file, |_| {});
            let took = started.elapsed();
            match result {
                Ok(a) => {
                    println!("{} in {took:.2?}", a.platform.archive_name());
                    println!("{:?}", a.tally);
                    for note in &a.notes {
                        println!("note: {}", note.sentence(a.platform, Lang::En));
                    }
                    for e in a.evidence.iter().take(40) {
                        println!(
                            "  {} [{}]: {}",
                            e.organisation,
                            key(&e.organisation),
                            e.sentence(Lang::En)
                        );
                    }
                    if a.evidence.len() > 40 {
                        println!("  … {} rows of evidence in all", a.evidence.len());
                    }
                }
                Err(e) => println!("refused in {took:.2?}: {}", e.sentence(Lang::En)),
            }
        }
        _ => eprintln!("usage: archive write SHAPE BYTES OUT [SEED] | archive read FILE"),
    }
}
