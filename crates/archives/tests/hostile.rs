//! Hostile and damaged zips are refused for what they are (the sentences
//! themselves are in the fixtures' expected files), the caps hold with
//! small limits, and what the reader costs does not follow what the archive
//! holds but what it reads.

mod common;

use std::io::Cursor;

use common::{Raw, raw_zip, zip_of};
use selfdata_archives::generate::{Shape, Spec, write};
use selfdata_archives::{ArchiveError, Cap, Limits, UnsafeName, read_archive, read_archive_with};

fn read(bytes: &[u8]) -> Result<selfdata_archives::Archive, ArchiveError> {
    read_archive(Cursor::new(bytes), |_| {})
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join(name)).unwrap()
}

#[test]
fn each_hostile_fixture_is_refused_for_its_own_reason() {
    let activity = "Takeout/My Activity/Search/MyActivity.json".to_string();
    let cases: Vec<(&str, ArchiveError)> = vec![
        (
            "hostile_bomb_ratio.zip",
            ArchiveError::TooLarge {
                name: Some("Takeout/My Activity/YouTube/MyActivity.json".into()),
                cap: Cap::Ratio(200),
            },
        ),
        (
            "hostile_bomb_overlap.zip",
            ArchiveError::TooLarge {
                name: None,
                cap: Cap::Overlap,
            },
        ),
        (
            "hostile_traversal_dotdot.zip",
            ArchiveError::UnsafeName {
                name: "Takeout/../../../etc/cron.d/evil.json".into(),
                why: UnsafeName::Traversal,
            },
        ),
        (
            "hostile_traversal_absolute.zip",
            ArchiveError::UnsafeName {
                name: "/etc/passwd".into(),
                why: UnsafeName::Absolute,
            },
        ),
        (
            "hostile_traversal_drive.zip",
            ArchiveError::UnsafeName {
                name: "C:/Windows/System32/evil.json".into(),
                why: UnsafeName::Drive,
            },
        ),
        (
            "hostile_traversal_backslash.zip",
            ArchiveError::UnsafeName {
                name: "..\\..\\evil.json".into(),
                why: UnsafeName::Backslash,
            },
        ),
        (
            "hostile_control_name.zip",
            ArchiveError::UnsafeName {
                name: "Takeout/\u{1b}[2Jevil.json".into(),
                why: UnsafeName::Control,
            },
        ),
        (
            "hostile_symlink.zip",
            ArchiveError::Symlink {
                name: "Takeout/My Activity/link.json".into(),
            },
        ),
        (
            "hostile_encrypted.zip",
            ArchiveError::Encrypted {
                name: activity.clone(),
            },
        ),
        (
            "hostile_duplicate.zip",
            ArchiveError::Duplicate {
                name: activity.clone(),
            },
        ),
        (
            "hostile_bad_checksum.zip",
            ArchiveError::DamagedEntry {
                name: activity.clone(),
            },
        ),
        (
            "hostile_unsupported_method.zip",
            ArchiveError::Unsupported {
                name: activity.clone(),
            },
        ),
        ("hostile_empty.zip", ArchiveError::Empty),
        ("hostile_truncated.zip", ArchiveError::Truncated),
        ("hand_not_a_zip.txt", ArchiveError::NotZip),
        ("hand_not_an_export.zip", ArchiveError::Unrecognised),
        (
            "hand_takeout_damaged_json.zip",
            ArchiveError::DamagedJson {
                name: activity,
                line: 6,
            },
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(read(&fixture(name)).unwrap_err(), expected, "{name}");
    }
}

#[test]
fn nothing_of_an_archive_with_one_unsafe_entry_is_read() {
    // The unsafe entry comes last, after one of ours whose checksum is
    // wrong: had the first been read before every name was checked, the
    // archive would be refused as damaged, not for the unsafe name.
    let first = Raw::stored(
        b"ads_information/advertisers_using_your_activity_or_information.json",
        br#"{"custom_audiences_all_types_v2": [{"advertiser_name": "Boulanger"}]}"#,
    );
    let damaged = Raw {
        crc: first.crc ^ 1,
        ..first.clone()
    };
    assert_eq!(
        read(&raw_zip(std::slice::from_ref(&damaged))).unwrap_err(),
        ArchiveError::DamagedEntry {
            name: "ads_information/advertisers_using_your_activity_or_information.json".into(),
        }
    );
    let unsafe_entry = Raw {
        name: b"ads_information/../../x.json".to_vec(),
        ..first
    };
    assert_eq!(
        read(&raw_zip(&[damaged, unsafe_entry])).unwrap_err(),
        ArchiveError::UnsafeName {
            name: "ads_information/../../x.json".into(),
            why: UnsafeName::Traversal,
        }
    );
}

#[test]
fn a_zip_cut_anywhere_is_refused_never_read_in_part() {
    let mut whole = Vec::new();
    write(&Spec::small(4, Shape::Facebook2023), &mut whole).unwrap();
    assert!(read(&whole).is_ok());
    for cut in (0..whole.len()).step_by(97) {
        match read(&whole[..cut]) {
            Err(ArchiveError::Truncated | ArchiveError::NotZip | ArchiveError::Damaged) => {}
            other => panic!("cut at {cut} of {}: {other:?}", whole.len()),
        }
    }
}

#[test]
fn the_caps_hold_whatever_the_zip_declares() {
    // The long title is in the second record: the first makes the file ours.
    let json = format!(
        r#"[{{"header": "Search", "title": "a", "time": "2024-01-01T00:00:00Z"}},
            {{"header": "Search", "title": "{}", "time": "2024-01-01T00:00:00Z"}}]"#,
        "x".repeat(5000)
    );
    let zip = zip_of(&[
        (
            "Takeout/My Activity/Search/MyActivity.json",
            json.as_bytes(),
        ),
        ("Takeout/My Activity/Maps/MyActivity.json", json.as_bytes()),
    ]);
    let with = |limits: Limits| read_archive_with(Cursor::new(&zip), &limits, |_| {});
    assert!(with(Limits::default()).is_ok());
    let small = Limits {
        ratio_free_bytes: 0,
        ..Limits::default()
    };
    assert_eq!(
        with(Limits {
            entry_bytes: 4000,
            ..small
        })
        .unwrap_err(),
        ArchiveError::TooLarge {
            name: Some("Takeout/My Activity/Search/MyActivity.json".into()),
            cap: Cap::EntrySize(4000),
        }
    );
    assert_eq!(
        with(Limits {
            total_bytes: 8000,
            ..small
        })
        .unwrap_err(),
        ArchiveError::TooLarge {
            name: Some("Takeout/My Activity/Maps/MyActivity.json".into()),
            cap: Cap::TotalSize(8000),
        }
    );
    assert_eq!(
        with(Limits { ratio: 2, ..small }).unwrap_err(),
        ArchiveError::TooLarge {
            name: Some("Takeout/My Activity/Search/MyActivity.json".into()),
            cap: Cap::Ratio(2),
        }
    );
    assert_eq!(
        with(Limits {
            text_bytes: 1000,
            ..Limits::default()
        })
        .unwrap_err(),
        ArchiveError::TooLarge {
            name: Some("Takeout/My Activity/Search/MyActivity.json".into()),
            cap: Cap::Text(1000),
        }
    );
    assert_eq!(
        with(Limits {
            entries: 1,
            ..Limits::default()
        })
        .unwrap_err(),
        ArchiveError::TooManyEntries { count: 2, max: 1 }
    );
    assert_eq!(
        with(Limits {
            name_bytes: 20,
            ..Limits::default()
        })
        .unwrap_err(),
        ArchiveError::UnsafeName {
            name: "Takeout/My Activity/Search/MyActivity.json".into(),
            why: UnsafeName::TooLong(20),
        }
    );
}

#[test]
fn a_long_text_in_a_file_that_is_not_ours_leaves_the_file_not_the_archive() {
    let long = format!(r#"{{"photo": "{}"}}"#, "A".repeat(5000));
    let zip = zip_of(&[
        ("Takeout/Drive/scan.json", long.as_bytes()),
        (
            "Takeout/My Activity/Maps/MyActivity.json",
            br#"[{"header": "Maps", "title": "Viewed", "time": "2024-01-01T00:00:00Z"}]"#,
        ),
    ]);
    let limits = Limits {
        text_bytes: 1000,
        ..Limits::default()
    };
    let a = read_archive_with(Cursor::new(&zip), &limits, |_| {}).unwrap();
    assert_eq!(a.tally.read, 1);
    assert_eq!(a.evidence.len(), 1);
    // In the first record, before the file is known to be ours: left too.
    let first = format!(
        r#"[{{"header": "Search", "title": "{}", "time": "2024-01-01T00:00:00Z"}}]"#,
        "x".repeat(5000)
    );
    let zip = zip_of(&[(
        "Takeout/My Activity/Search/MyActivity.json",
        first.as_bytes(),
    )]);
    let a = read_archive_with(Cursor::new(&zip), &limits, |_| {}).unwrap();
    assert_eq!((a.tally.read, a.evidence.len()), (0, 0));
}

#[test]
fn past_the_evidence_cap_organisations_are_counted_not_kept() {
    let spec = Spec {
        advertisers: 50,
        ..Spec::small(9, Shape::Instagram2024)
    };
    let mut zip = Vec::new();
    write(&spec, &mut zip).unwrap();
    let limits = Limits {
        evidence: 20,
        files_listed: 0,
        ..Limits::default()
    };
    let a = read_archive_with(Cursor::new(&zip), &limits, |_| {}).unwrap();
    assert_eq!(a.evidence.len(), 20);
    assert_eq!(a.tally.items, 50);
    assert!(a.files.is_empty());
    assert_eq!(a.tally.files_not_listed, 1);
    assert_eq!(
        a.notes,
        vec![selfdata_archives::Note::OverCap { dropped: 30 }]
    );
}

#[test]
fn a_large_file_that_is_not_ours_costs_only_its_first_megabyte() {
    // A Takeout whose location history is tens of megabytes once
    // decompressed: it is recognised as not ours and left after its start.
    let spec = Spec {
        filler_bytes: 24 << 20,
        ..Spec::small(5, Shape::Takeout)
    };
    let mut zip = Vec::new();
    write(&spec, &mut zip).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    let name = z
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .find(|n| n.ends_with("Records.json"))
        .unwrap();
    let records = z.by_name(&name).unwrap().size();
    assert!(records > 20 << 20, "{records}");
    let a = read(&zip).unwrap();
    assert!(
        a.tally.decompressed < (2 << 20),
        "{} bytes decompressed",
        a.tally.decompressed
    );
}

#[test]
fn a_large_json_file_that_does_not_parse_as_one_value_is_left_after_the_sniffing_budget() {
    // Newline-delimited JSON, then text that is not JSON at all, each just
    // under the per-file cap: both are left where the parser stopped, not
    // decompressed to the end.
    let limits = Limits {
        entry_bytes: 4 << 20,
        sniff_bytes: 64 << 10,
        ..Limits::default()
    };
    let lines = |line: fn(u32) -> String| {
        let mut out = String::new();
        let mut i = 0;
        while out.len() < (4 << 20) - 200 {
            out.push_str(&line(i));
            i += 1;
        }
        out
    };
    let ndjson = lines(|i| {
        format!(
            "{{\"id\": {i}, \"seen\": \"2024-01-01T{:02}:00:00Z\"}}\n",
            i % 24
        )
    });
    let text = lines(|i| format!("{i};{};a line of a spreadsheet\n", i * 7 % 1000));
    for content in [ndjson, text] {
        let zip = zip_of(&[
            ("Takeout/Fit/activities.json", content.as_bytes()),
            (
                "Takeout/My Activity/Maps/MyActivity.json",
                br#"[{"header": "Maps", "title": "Viewed", "time": "2024-01-01T00:00:00Z"}]"#,
            ),
        ]);
        let a = read_archive_with(Cursor::new(&zip), &limits, |_| {}).unwrap();
        assert_eq!((a.tally.opened, a.tally.read), (2, 1));
        assert!(
            a.tally.decompressed <= 2 * limits.sniff_bytes,
            "{} bytes decompressed",
            a.tally.decompressed
        );
    }
}

#[test]
fn a_file_left_at_a_cap_still_says_whose_archive_it_is() {
    // A location history past the sniffing budget, and a photo's metadata
    // with a long text, in folders that name no platform: the keys read
    // before each file was left say Google.
    let limits = Limits {
        sniff_bytes: 64 << 10,
        text_bytes: 1000,
        ..Limits::default()
    };
    let point = r#"{"latitudeE7": 458000000, "longitudeE7": 48000000, "accuracy": 20}"#;
    let records = format!(r#"{{"locations": [{}]}}"#, vec![point; 4000].join(","));
    assert!(records.len() as u64 > 2 * limits.sniff_bytes);
    let photo = format!(
        r#"{{"photoTakenTime": {{"timestamp": "1700000000"}}, "thumbnail": "{}"}}"#,
        "A".repeat(5000)
    );
    for (name, content) in [
        ("Location History/Records.json", records),
        ("Photos/IMG_0001.jpg.json", photo),
    ] {
        let zip = zip_of(&[(name, content.as_bytes())]);
        let a = read_archive_with(Cursor::new(&zip), &limits, |_| {}).unwrap();
        assert_eq!(a.platform, selfdata_archives::Platform::Google, "{name}");
        assert_eq!(a.notes, vec![selfdata_archives::Note::NothingFound]);
    }
}

#[test]
fn progress_never_goes_back_and_ends_at_the_archive_size() {
    let spec = Spec {
        filler_bytes: 3 << 20,
        ..Spec::small(6, Shape::Facebook2021)
    };
    let mut zip = Vec::new();
    write(&spec, &mut zip).unwrap();
    let mut seen = Vec::new();
    read_archive(Cursor::new(&zip), |p| seen.push(p)).unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last().copied(), Some(zip.len() as u64));
}
