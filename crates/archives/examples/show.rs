//! Prints what the reader finds in an archive: `cargo run -p selfdata-archives --example show -- FILE.zip`.
fn main() {
    let path = std::env::args().nth(1).expect("an archive");
    let file = std::fs::File::open(&path).expect("readable");
    match selfdata_archives::read_archive(std::io::BufReader::new(file), |_| {}) {
        Ok(a) => {
            println!("{:?} {:?} {:?}", a.platform, a.tally, a.notes);
            for f in &a.files {
                println!("  file {f:?}");
            }
            for e in &a.evidence {
                println!(
                    "  {} [{}]: {}",
                    e.organisation,
                    selfdata_archives::key(&e.organisation),
                    e.sentence(selfdata_archives::Lang::En)
                );
            }
        }
        Err(e) => println!("refused: {}", e.sentence(selfdata_archives::Lang::En)),
    }
}
