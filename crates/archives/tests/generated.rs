//! The generator and the reader checked against each other: every shape,
//! language and format the generator writes reads back as exactly the
//! evidence it drew (computed apart from the reader), and an HTML-only
//! archive is refused with the sentence asking for JSON.

use std::io::Cursor;

use selfdata_archives::generate::{Language, Shape, Spec, write};
use selfdata_archives::{ArchiveError, Lang, read_archive};

#[test]
fn every_shape_reads_back_as_the_evidence_the_generator_drew() {
    for shape in Shape::ALL {
        for (i, language) in Language::ALL.into_iter().enumerate() {
            for json in [true, false] {
                let spec = Spec {
                    language,
                    json,
                    ..Spec::small(7 + i as u64, shape)
                };
                let mut bytes = Vec::new();
                let truth = write(&spec, &mut bytes).unwrap();
                let got = read_archive(Cursor::new(&bytes), |_| {});
                let what = format!("{shape:?} {language:?} json={json}");
                if truth.html_only {
                    let err = got.unwrap_err();
                    assert_eq!(
                        err,
                        ArchiveError::HtmlOnly {
                            platform: truth.platform
                        },
                        "{what}"
                    );
                    assert!(err.sentence(Lang::Fr).contains("JSON"), "{what}");
                    continue;
                }
                let archive = got.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(archive.platform, truth.platform, "{what}");
                assert_eq!(archive.tally.items, truth.items, "{what}");
                assert_eq!(archive.tally.skipped_items, 0, "{what}");
                if archive.evidence != truth.evidence {
                    for (a, b) in archive.evidence.iter().zip(&truth.evidence) {
                        if a != b {
                            panic!("{what}:\n read  {a:?}\n drawn {b:?}");
                        }
                    }
                    panic!(
                        "{what}: {} read, {} drawn",
                        archive.evidence.len(),
                        truth.evidence.len()
                    );
                }
                assert!(archive.notes.is_empty(), "{what}: {:?}", archive.notes);
            }
        }
    }
}
