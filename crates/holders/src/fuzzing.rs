//! The properties the fuzz target checks, shared with the replay test
//! (`tests/nasty.rs`, over `tests/nasty/`) so both run the same code.
//!
//! [`check_split`] takes arbitrary bytes (the first byte chooses the chunk
//! size, the rest is the file) and panics only when an invariant breaks:
//! - the splitter never panics, and splits the same whatever the chunks;
//! - what it keeps is bounded by its caps;
//! - a kept customer's file is their header and exactly their rows, each
//!   row's source line a real line of the input, in order;
//! - refusals are sentences.
//!
//! [`check_receipt`] reads arbitrary text as a receipt: never panics, and
//! a receipt read back writes back the same text.
//!
//! [`check_signing`] reads arbitrary bytes as a holder's public key (as
//! the operator pastes it) and as a `Holder-Signature` header: never
//! panics, a key read writes back as a key that reads the same, and a
//! header that reads checks (and fails) against any key without panicking.
//!
//! [`check_identify`] reads arbitrary bytes as one customer's file (the
//! first byte chooses where the file is cut, as if only that much had
//! arrived) and panics only when an invariant breaks:
//! - the identifier readers never panic;
//! - the first bytes never say another customer than the whole file: cut
//!   anywhere, the answer is "more bytes" or the whole file's answer;
//! - an identifier found is 1 to 64 letters and digits, normalised;
//! - the whole-file check never panics, and refuses only as "more than one
//!   customer" (a fixed sentence, naming none);
//! - refusals are sentences.

use crate::identify::{Identified, IdentifyError, check_whole, identify};
use crate::receipt::Receipt;
use crate::signing::{KeyError, PushKey, SignatureError, parse_header};
use crate::split::{Caps, SplitError, Splitter, split_all};

fn wanted(id: &str) -> bool {
    // About half the customers, decided by the identifier alone.
    id.bytes().map(u32::from).sum::<u32>() % 2 == 0
}

/// See the module's documentation.
pub fn check_split(data: &[u8]) {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let caps = Caps {
        max_line: 512,
        max_kept: 4096,
        max_preamble: 5,
    };
    let whole = split_all(file, "compteur", caps, wanted);
    let chunk = usize::from(first % 16) + 1;
    let mut s = Splitter::new("compteur", caps, wanted);
    let mut by_chunks: Result<(), SplitError> = Ok(());
    for c in file.chunks(chunk) {
        by_chunks = s.feed(c);
        if by_chunks.is_err() {
            break;
        }
    }
    let by_chunks = by_chunks.and_then(|()| s.finish());
    match (&whole, &by_chunks) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.customers, b.customers, "chunks change what is kept");
            assert_eq!(a.rows, b.rows);
        }
        (Err(_), Err(_)) => {}
        _ => panic!("chunks change whether the file splits: {whole:?} / {by_chunks:?}"),
    }
    match whole {
        Ok(split) => {
            let lines = file.split(|&b| b == b'\n').count() as u64;
            let kept: usize = split.customers.iter().map(|c| c.file.len()).sum();
            assert!(kept as u64 <= caps.max_kept, "kept {kept} bytes");
            for c in &split.customers {
                assert!(wanted(&c.identifier));
                assert!(c.lines.windows(2).all(|w| w[0] < w[1]), "rows out of order");
                assert!(c.lines.iter().all(|&l| l >= 1 && l <= lines));
                let rows = c.file.iter().filter(|&&b| b == b'\n').count();
                assert_eq!(rows, c.lines.len() + 1, "header plus one line per row");
            }
        }
        Err(e) => {
            let said = e.to_string();
            assert!(said.ends_with('.') || said.ends_with('?'), "{said}");
        }
    }
}

/// See the module's documentation.
pub fn check_receipt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Receipt::parse_body(text) {
        let again = Receipt::parse_body(&r.body()).expect("a receipt written reads back");
        assert_eq!(again, r);
    }
}

/// See the module's documentation.
pub fn check_identify(data: &[u8]) {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let whole = identify(file, true);
    let cut = file.len() * usize::from(first) / 255;
    let part = identify(&file[..cut], false);
    assert!(
        part == Identified::NeedMore || part == whole,
        "cut at {cut}: {part:?}, whole: {whole:?}"
    );
    match whole {
        Identified::Customer { format, identifier } => {
            assert!((1..=64).contains(&identifier.len()), "{identifier}");
            assert!(identifier.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert_eq!(identifier, crate::identifier(&identifier));
            if let Err(e) = check_whole(file, format, &identifier) {
                // One fixed sentence per format: it cannot name a customer.
                assert_eq!(e, IdentifyError::SeveralCustomers(format));
                assert!(e.to_string().ends_with('.'));
            }
        }
        Identified::Refused(e) => {
            let said = e.to_string();
            assert!(said.ends_with('.'), "{said}");
        }
        Identified::NeedMore => panic!("a whole file is decided"),
    }
}

/// See the module's documentation.
pub fn check_signing(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match PushKey::parse(&text) {
        Ok(key) => {
            assert_eq!(PushKey::parse(&key.to_text()), Ok(key.clone()));
            assert_eq!(key.fingerprint().len(), 16);
        }
        Err(e) => assert_eq!(e, KeyError::NotAKey),
    }
    let key =
        PushKey::parse("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").expect("a fixed valid key");
    match parse_header(&text) {
        Ok(_) => assert_eq!(
            key.verify("h", "k", &[0; 32], Some(&text)),
            Err(SignatureError::Wrong)
        ),
        Err(e) => assert_eq!(e, SignatureError::Malformed),
    }
}
