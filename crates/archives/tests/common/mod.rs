//! The fixtures of `tests/fixtures/`, built here so that they can be checked
//! and rewritten (`cargo test -p selfdata-archives --test fixtures --
//! --ignored write_fixtures`): archives drawn by the generator, archives
//! written by hand around one pitfall each, and hostile zips made byte by
//! byte (a zip writer refuses to make most of them).

#![allow(dead_code)]

use std::io::Write;

use selfdata_archives::generate::{self, Language, Shape, Spec};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture file (not the expected outputs), sorted, with its bytes.
pub fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

// ------------------------------------------------------------ generated

fn generated(name: &str, spec: Spec) -> (String, Vec<u8>) {
    let mut bytes = Vec::new();
    generate::write(&spec, &mut bytes).unwrap();
    (name.to_string(), bytes)
}

/// Small specs: a few records, a few KiB of other files.
fn tiny(seed: u64, shape: Shape, language: Language, json: bool) -> Spec {
    Spec {
        language,
        json,
        advertisers: 8,
        activity: if shape == Shape::Takeout { 40 } else { 6 },
        events: 20,
        filler_bytes: 3 * 1024,
        ..Spec::small(seed, shape)
    }
}

pub fn generated_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, language) in Language::ALL.into_iter().enumerate() {
        let mut spec = tiny(100 + i as u64, Shape::Takeout, language, true);
        spec.activity = 50;
        spec.advertisers = 4;
        out.push(generated(
            &format!("gen_takeout_{}.zip", language.code()),
            spec,
        ));
    }
    out.push(generated(
        "gen_takeout_fr_html.zip",
        tiny(110, Shape::Takeout, Language::Fr, false),
    ));
    for shape in Shape::ALL.into_iter().skip(1) {
        out.push(generated(
            &format!("gen_{}.zip", shape.slug()),
            tiny(200, shape, Language::En, true),
        ));
    }
    out.push(generated(
        "gen_facebook_2023_html.zip",
        tiny(210, Shape::Facebook2023, Language::En, false),
    ));
    out.push(generated(
        "gen_instagram_2022_html.zip",
        tiny(220, Shape::Instagram2022, Language::En, false),
    ));
    out
}

// ------------------------------------------------------------ by hand

fn options(deflate: bool) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(if deflate {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        })
        .last_modified_time(DateTime::from_date_and_time(2024, 3, 1, 12, 0, 0).unwrap())
        .unix_permissions(0o644)
}

/// A zip of `(name, content)` files, deflated.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        w.start_file(*name, options(true)).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const ADS_TAKEOUT: &str = r#"[
{"header": "Search", "title": "Visited Boulanger", "titleUrl": "https://www.googleadservices.com/pagead/aclk?sa=L&ai=DChcSEw&adurl=https%3A%2F%2Fwww.boulanger.com%2Fref%2F123&ved=2ah", "time": "2023-11-02T10:15:30.123Z", "products": ["Search"], "details": [{"name": "From Google Ads"}]},
{"header": "Search", "title": "Visited Fnac", "titleUrl": "https://ad.doubleclick.net/ddm/clk/1;2;3?adurl=https://www.fnac.com/", "time": "2023-10-01T08:00:00Z", "products": ["Search"]},
{"header": "YouTube", "title": "Watched Nouvelle Clio", "titleUrl": "https://www.youtube.com/watch?v=abc", "time": "2023-09-30T20:00:00Z", "products": ["YouTube"], "details": [{"name": "From Google Ads"}]},
{"header": "Search", "title": "Visited ouigo.com", "titleUrl": "https://www.google.com/url?q=https://www.ouigo.com/promo&sa=U", "time": "2022-05-05T05:05:05Z", "products": ["Search"], "details": [{"name": "Depuis Google Ads"}]},
{"header": "Discover", "title": "Viewed a story", "titleUrl": "https://m.leboncoin.fr/annonce/1", "time": "2022-01-01T00:00:00+01:00", "products": ["Discover"], "details": [{"name": "From Google Ads"}]},
{"header": "Search", "title": "Visited lemonde.fr", "titleUrl": "https://www.google.com/url?q=https://www.lemonde.fr/&sa=U", "time": "2021-01-01T00:00:00Z", "products": ["Search"]},
{"header": "Search", "title": "Searched for boulangerie", "titleUrl": "https://www.google.com/search?q=boulangerie", "products": ["Search"]},
"a stray string",
{"header": "Search", "title": "Searched for météo", "time": "hier", "products": ["Search"]},
{"title": "Used Maps", "titleUrl": "https://maps.google.com/", "time": "2020-02-02T02:02:02Z", "products": ["Maps"]},
{"header": 42, "title": "Visited Boulanger again", "titleUrl": "https://www.googleadservices.com/pagead/aclk?adurl=https%3A%2F%2Fboulanger.com%2F", "time": "2024-01-01T00:00:00Z", "products": ["Search"], "details": [{"name": "From Google Ads"}], "subtitles": [{"name": "x", "url": "y"}], "locationInfos": [{"name": "At this general area", "url": "https://www.google.com/maps/@?api=1"}]}
]"#;

const MOJIBAKE_ADVERTISERS: &str = r#"{
  "custom_audiences_all_types_v2": [
    {"advertiser_name": "Cr\u00c3\u00a9dit Agricole", "has_data_file_custom_audience": true, "has_remarketing_custom_audience": false, "has_in_person_store_visit": false},
    {"advertiser_name": "Caf\u00c3\u00a9 No\u00c3\u00abl \u00e2\u0098\u0095", "has_data_file_custom_audience": false, "has_remarketing_custom_audience": true, "has_in_person_store_visit": true},
    {"advertiser_name": "Caf\u00e9 de Paris", "has_data_file_custom_audience": "true", "has_remarketing_custom_audience": 0, "has_in_person_store_visit": null},
    {"advertiser_name": "\u00c5\u0081\u00c3\u00b3d\u00c5\u00ba Meble Sp. z o.o."},
    {"advertiser_name": "  Trop   d'espaces\n "},
    {"advertiser_name": ""},
    {"has_data_file_custom_audience": true},
    null,
    17,
    "Bare Name Ltd",
    {"advertiser_name": "Cr\u00c3\u00a9dit Agricole", "has_data_file_custom_audience": false, "has_remarketing_custom_audience": true, "has_in_person_store_visit": false}
  ]
}"#;

const MOJIBAKE_OFF: &str = r#"{
  "off_facebook_activity_v2": [
    {"name": "M\u00c3\u00a9t\u00c3\u00a9o-France", "events": [
      {"id": 1, "type": "PAGE_VIEW", "timestamp": 1600000000},
      {"id": 2, "type": "PAGE_VIEW", "timestamp": "1600086400"},
      {"id": 3, "type": "PURCHASE", "timestamp": 1.6001e9},
      {"id": 4, "type": "CUSTOM", "timestamp": "demain"},
      {"id": 5, "timestamp": 99999999999999999},
      "not an event"
    ]},
    {"name": "zalando.fr", "events": []},
    {"name": "", "events": [{"id": 9, "type": "PAGE_VIEW", "timestamp": 1}]},
    {"events": [{"id": 9, "type": "PAGE_VIEW", "timestamp": 1}]},
    {"name": "Deezer", "events": {"unexpected": "object"}}
  ]
}"#;

/// Archives written by hand around one pitfall each.
pub fn handwritten_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    out.push((
        "hand_takeout_ads.zip".to_string(),
        zip_of(&[
            (
                "Takeout/archive_browser.html",
                b"<html><body>Takeout</body></html>",
            ),
            (
                "Takeout/Mi actividad/Varios/MiActividad.json",
                ADS_TAKEOUT.as_bytes(),
            ),
        ]),
    ));
    out.push((
        "hand_facebook_mojibake.zip".to_string(),
        zip_of(&[
            (
                "ads_information/advertisers_using_your_activity_or_information.json",
                MOJIBAKE_ADVERTISERS.as_bytes(),
            ),
            (
                "apps_and_websites_off_of_facebook/your_activity_off_meta_technologies.json",
                MOJIBAKE_OFF.as_bytes(),
            ),
        ]),
    ));
    // The key that names the section comes after others, in a file whose
    // name says nothing.
    out.push((
        "hand_meta_key_after_others.zip".to_string(),
        zip_of(&[(
            "export/part-0001.json",
            br#"{"version": 3, "notes": {"a": [1, 2, {"b": "c"}]}, "custom_audiences_v2": ["Boulanger", "Orange SA"], "trailer": true}"#,
        )]),
    ));
    let cut = &ADS_TAKEOUT[..ADS_TAKEOUT.len() / 2];
    out.push((
        "hand_takeout_damaged_json.zip".to_string(),
        zip_of(&[("Takeout/My Activity/Search/MyActivity.json", cut.as_bytes())]),
    ));
    out.push((
        "hand_takeout_bom.zip".to_string(),
        zip_of(&[(
            "Takeout/My Activity/Maps/MyActivity.json",
            "\u{feff}[{\"header\": \"Maps\", \"title\": \"Viewed Gare de Lyon\", \"time\": \"2019-06-01T10:00:00Z\"}]".as_bytes(),
        )]),
    ));
    let html_page = br#"<html><body><div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">Chrome<br></p></div></div></body></html>"#;
    out.push((
        "hand_takeout_mixed_json_html.zip".to_string(),
        zip_of(&[
            (
                "Takeout/My Activity/Maps/MyActivity.json",
                br#"[{"header": "Maps", "title": "Viewed Gare de Lyon", "time": "2019-06-01T10:00:00Z"}]"#,
            ),
            ("Takeout/My Activity/Chrome/MyActivity.html", html_page),
        ]),
    ));
    out.push((
        "hand_facebook_without_ads.zip".to_string(),
        zip_of(&[
            (
                "personal_information/profile_information/profile_information.json",
                br#"{"profile_v2": {"name": {"full_name": "H\u00c3\u00a9l\u00c3\u00a8ne"}}}"#,
            ),
            (
                "your_activity_across_facebook/messages/inbox/ami_1/message_1.json",
                br#"{"participants": [{"name": "Ami"}], "messages": []}"#,
            ),
        ]),
    ));
    out.push((
        "hand_instagram_empty_list.zip".to_string(),
        zip_of(&[(
            "ads_information/instagram_ads_and_businesses/advertisers_using_your_activity_or_information.json",
            br#"{"ig_custom_audiences_all_types": []}"#,
        )]),
    ));
    out.push((
        "hand_not_an_export.zip".to_string(),
        zip_of(&[
            ("notes.txt", b"shopping list"),
            ("data.json", br#"{"foo": [1, 2, 3]}"#),
            ("list.json", br#"[{"name": "not activity"}]"#),
            ("page.html", b"<html><body>hello</body></html>"),
        ]),
    ));
    out.push((
        "hand_not_a_zip.txt".to_string(),
        b"Date;Valeur\n2024-01-01;12\n".to_vec(),
    ));
    out
}

// ------------------------------------------------------------ hostile

/// CRC-32 (IEEE), bit by bit.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// One entry of a zip written byte by byte.
#[derive(Clone)]
pub struct Raw {
    pub name: Vec<u8>,
    /// The bytes stored (already compressed if `method` says so).
    pub data: Vec<u8>,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    pub size: u32,
    /// Upper 16 bits: the Unix mode, when `made_by` is Unix (3).
    pub external: u32,
    pub made_by: u16,
    /// Points the central directory at another entry's local header.
    pub same_header_as: Option<usize>,
}

impl Raw {
    pub fn stored(name: &[u8], data: &[u8]) -> Raw {
        Raw {
            name: name.to_vec(),
            data: data.to_vec(),
            method: 0,
            flags: 0,
            crc: crc32(data),
            size: data.len() as u32,
            external: 0o100644 << 16,
            made_by: 3 << 8 | 20,
            same_header_as: None,
        }
    }
}

fn le16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn le32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A zip of `entries`, as they say, with no checks.
pub fn raw_zip(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        if e.same_header_as.is_some() {
            offsets.push(0);
            continue;
        }
        offsets.push(out.len() as u32);
        le32(&mut out, 0x0403_4b50);
        le16(&mut out, 20);
        le16(&mut out, e.flags);
        le16(&mut out, e.method);
        le16(&mut out, 0x6000);
        le16(&mut out, 0x5861);
        le32(&mut out, e.crc);
        le32(&mut out, e.data.len() as u32);
        le32(&mut out, e.size);
        le16(&mut out, e.name.len() as u16);
        le16(&mut out, 0);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);
    }
    for (i, e) in entries.iter().enumerate() {
        if let Some(j) = e.same_header_as {
            offsets[i] = offsets[j];
        }
    }
    let cd_start = out.len() as u32;
    for (e, &offset) in entries.iter().zip(&offsets) {
        le32(&mut out, 0x0201_4b50);
        le16(&mut out, e.made_by);
        le16(&mut out, 20);
        le16(&mut out, e.flags);
        le16(&mut out, e.method);
        le16(&mut out, 0x6000);
        le16(&mut out, 0x5861);
        le32(&mut out, e.crc);
        le32(&mut out, e.data.len() as u32);
        le32(&mut out, e.size);
        le16(&mut out, e.name.len() as u16);
        le16(&mut out, 0);
        le16(&mut out, 0);
        le16(&mut out, 0);
        le16(&mut out, 0);
        le32(&mut out, e.external);
        le32(&mut out, offset);
        out.extend_from_slice(&e.name);
    }
    let cd_size = out.len() as u32 - cd_start;
    le32(&mut out, 0x0605_4b50);
    le16(&mut out, 0);
    le16(&mut out, 0);
    le16(&mut out, entries.len() as u16);
    le16(&mut out, entries.len() as u16);
    le32(&mut out, cd_size);
    le32(&mut out, cd_start);
    le16(&mut out, 0);
    out
}

const ACTIVITY: &[u8] =
    br#"[{"header": "Search", "title": "Searched for x", "time": "2024-01-01T00:00:00Z"}]"#;

/// Zips that must be refused, each for its own reason.
pub fn hostile_fixtures() -> Vec<(String, Vec<u8>)> {
    let ok = Raw::stored(b"Takeout/My Activity/Search/MyActivity.json", ACTIVITY);
    let named = |name: &[u8]| Raw {
        name: name.to_vec(),
        ..ok.clone()
    };
    let mut out = Vec::new();
    let mut push = |name: &str, bytes: Vec<u8>| out.push((name.to_string(), bytes));
    // A file of spaces: three megabytes from three kilobytes.
    let mut bomb = b"[".to_vec();
    bomb.resize(3 << 20, b' ');
    bomb.push(b']');
    push(
        "hostile_bomb_ratio.zip",
        zip_of(&[("Takeout/My Activity/YouTube/MyActivity.json", &bomb)]),
    );
    push(
        "hostile_bomb_overlap.zip",
        raw_zip(&[
            ok.clone(),
            Raw {
                same_header_as: Some(0),
                ..named(b"Takeout/My Activity/Maps/MyActivity.json")
            },
            Raw {
                same_header_as: Some(0),
                ..named(b"Takeout/My Activity/News/MyActivity.json")
            },
        ]),
    );
    push(
        "hostile_traversal_dotdot.zip",
        raw_zip(&[ok.clone(), named(b"Takeout/../../../etc/cron.d/evil.json")]),
    );
    push(
        "hostile_traversal_absolute.zip",
        raw_zip(&[named(b"/etc/passwd")]),
    );
    push(
        "hostile_traversal_drive.zip",
        raw_zip(&[named(b"C:/Windows/System32/evil.json")]),
    );
    push(
        "hostile_traversal_backslash.zip",
        raw_zip(&[named(b"..\\..\\evil.json")]),
    );
    push(
        "hostile_control_name.zip",
        raw_zip(&[named(b"Takeout/\x1b[2Jevil.json")]),
    );
    push(
        "hostile_symlink.zip",
        raw_zip(&[
            ok.clone(),
            Raw {
                external: 0o120777 << 16,
                ..Raw::stored(b"Takeout/My Activity/link.json", b"/etc/passwd")
            },
        ]),
    );
    push(
        "hostile_encrypted.zip",
        raw_zip(&[Raw {
            flags: 1,
            ..ok.clone()
        }]),
    );
    push("hostile_duplicate.zip", raw_zip(&[ok.clone(), ok.clone()]));
    push(
        "hostile_bad_checksum.zip",
        raw_zip(&[Raw {
            crc: ok.crc ^ 1,
            ..ok.clone()
        }]),
    );
    push(
        "hostile_unsupported_method.zip",
        raw_zip(&[Raw {
            method: 12,
            ..ok.clone()
        }]),
    );
    push("hostile_empty.zip", raw_zip(&[]));
    let mut whole = Vec::new();
    generate::write(
        &Spec {
            filler_bytes: 4096,
            ..Spec::small(300, Shape::Facebook2023)
        },
        &mut whole,
    )
    .unwrap();
    whole.truncate(whole.len() * 3 / 5);
    push("hostile_truncated.zip", whole);
    out
}

/// Every fixture the builders write, by file name.
pub fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut all = generated_fixtures();
    all.extend(handwritten_fixtures());
    all.extend(hostile_fixtures());
    all.sort();
    all
}
