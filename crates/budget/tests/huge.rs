//! A file far past what a statement holds (100 MB of Crédit Agricole rows,
//! generated here, never committed) is refused at the row where the cap of
//! transactions per file is passed, and memory stays bounded by that cap,
//! not by the file: no decoded copy of the file, no rows kept past the cap.
//! Memory is measured for the whole process: this file holds one test.

use selfdata_budget::import::{MAX_TRANSACTIONS, import};
use selfdata_budget::sources::Lang;

/// A `kB` line of `/proc/self/status`, in bytes.
fn status(key: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    let kb: usize = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

/// The most memory the process held while `f` ran, above what it held
/// before (Linux: the peak resident size, reset through `clear_refs`).
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status("VmRSS:");
    let out = f();
    (out, status("VmHWM:").saturating_sub(before))
}

const MB: usize = 1024 * 1024;

#[test]
fn a_100_mb_statement_is_refused_at_the_row_past_the_cap_in_bounded_memory() {
    let mut body: Vec<u8> = b"T\xe9l\xe9chargement du 03/10/2021;;;\r\n\
        Compte de D\xe9p\xf4t carte n\xb0 12345678901;;;\r\n\
        Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\r\n"
        .to_vec();
    let header_line = 3;
    let row = b"27/09/2021;\"PAIEMENT PAR CARTE X1234 INTERMARCHE 25/09\";1\xa0045,20;;\r\n";
    body.reserve(100 * MB);
    while body.len() + row.len() <= 100 * MB {
        body.extend_from_slice(row);
    }
    assert!(body.len() / row.len() > 3 * MAX_TRANSACTIONS);

    let (result, peak) = peak_during(|| import(&body));
    let refusal = result.unwrap_err();
    assert_eq!(
        refusal.error.line(),
        Some(header_line + MAX_TRANSACTIONS + 1),
        "{refusal}"
    );
    let en = refusal.sentence(Lang::En);
    assert!(en.contains("more than 500,000 transactions"), "{en}");
    // Bounded by the cap, not the file: about 200 bytes per transaction
    // kept (the struct and its label). A decoded copy of the file (+100 MB)
    // or every row kept (1.7 million) would be far above.
    let bound = MAX_TRANSACTIONS * 300;
    assert!(
        peak < bound,
        "{} MB held while reading a {} MB file (bound {} MB)",
        peak / MB,
        body.len() / MB,
        bound / MB
    );
}
