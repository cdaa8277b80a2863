//! Seeded archives in the platforms' layouts, for tests, the demo and the
//! benchmark: Google Takeout (folder, file and product names in English,
//! French, German or Spanish; My Activity in JSON or HTML) and Facebook or
//! Instagram "Download your information" in the shapes of several years
//! (paths and keys of 2019, 2021, 2023; Instagram 2022 and 2024), text
//! written as Meta writes it (mojibake), HTML or JSON, with the files around
//! them that a reader must leave alone (photos, location history, messages).
//!
//! [`write()`] streams the zip to any `Write` (no `Seek`: entries carry data
//! descriptors), one record at a time, so an archive of a gigabyte is written
//! without holding it: only the zip's list of entries (about a hundred bytes
//! each) grows. It returns the [`Truth`]: the evidence a correct reader finds,
//! computed as the records are drawn, independently of the reader.
//!
//! Every draw comes from [`Rng`] keyed by the seed, so a spec writes the same
//! bytes on every machine.

use std::collections::BTreeMap;
use std::io::{self, Write};

use jiff::Timestamp;
use selfdata_sources::rng::Rng;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::model::{Evidence, EvidenceKind, Platform};

/// The archive's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Google Takeout: `Takeout/My Activity/<Product>/MyActivity.json`, localised.
    Takeout,
    /// Facebook, 2019: `ads_and_businesses/`, `custom_audiences` (names),
    /// `off_facebook_activity`.
    Facebook2019,
    /// Facebook, 2021: `ads_information/advertisers_who_uploaded_a_contact_list…`
    /// (`custom_audiences_v2`, names), `apps_and_websites_off_of_facebook/`
    /// (`off_facebook_activity_v2`).
    Facebook2021,
    /// Facebook, 2023: `advertisers_using_your_activity_or_information.json`
    /// (`custom_audiences_all_types_v2`), `your_activity_off_meta_technologies.json`.
    Facebook2023,
    /// Instagram, 2022: `ig_custom_audiences_all_types`,
    /// `apps_and_websites_off_meta_activity`.
    Instagram2022,
    /// Instagram, 2024: advertisers under `custom_audiences_all_types_v2`
    /// (the key does not say Instagram; the folders do), no off-platform file.
    Instagram2024,
}

impl Shape {
    pub const ALL: [Shape; 6] = [
        Shape::Takeout,
        Shape::Facebook2019,
        Shape::Facebook2021,
        Shape::Facebook2023,
        Shape::Instagram2022,
        Shape::Instagram2024,
    ];

    pub fn platform(self) -> Platform {
        match self {
            Shape::Takeout => Platform::Google,
            Shape::Facebook2019 | Shape::Facebook2021 | Shape::Facebook2023 => Platform::Facebook,
            Shape::Instagram2022 | Shape::Instagram2024 => Platform::Instagram,
        }
    }

    /// A short name, for file names: `takeout`, `facebook_2019`…
    pub fn slug(self) -> &'static str {
        match self {
            Shape::Takeout => "takeout",
            Shape::Facebook2019 => "facebook_2019",
            Shape::Facebook2021 => "facebook_2021",
            Shape::Facebook2023 => "facebook_2023",
            Shape::Instagram2022 => "instagram_2022",
            Shape::Instagram2024 => "instagram_2024",
        }
    }
}

/// The language of a Takeout's folder, file and product names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Fr,
    De,
    Es,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::En, Language::Fr, Language::De, Language::Es];

    fn i(self) -> usize {
        self as usize
    }

    pub fn code(self) -> &'static str {
        ["en", "fr", "de", "es"][self.i()]
    }
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub seed: u64,
    pub shape: Shape,
    /// Takeout only: the language of its names.
    pub language: Language,
    /// JSON (true) or HTML pages only (false), as the resident chose.
    pub json: bool,
    /// Facebook/Instagram: advertisers listed. Takeout: sites of ads followed.
    pub advertisers: usize,
    /// Takeout: My Activity records. Facebook/Instagram: organisations off
    /// the platform.
    pub activity: usize,
    /// Facebook/Instagram: events off the platform, all organisations together.
    pub events: usize,
    /// Bytes of other files around them (photos, location history, messages).
    pub filler_bytes: u64,
}

impl Spec {
    /// A small archive: dozens of records, 64 KiB of other files.
    pub fn small(seed: u64, shape: Shape) -> Spec {
        Spec {
            seed,
            shape,
            language: Language::En,
            json: true,
            advertisers: 12,
            activity: if shape == Shape::Takeout { 60 } else { 15 },
            events: 80,
            filler_bytes: 64 * 1024,
        }
    }

    /// An archive of about `bytes` bytes: up to a fifth of it activity (at
    /// most two million records, a decade of heavy use; JSON compresses
    /// about twelvefold, so that is a few times its size once decompressed),
    /// the rest photos and other files.
    pub fn of_size(seed: u64, shape: Shape, bytes: u64) -> Spec {
        // A My Activity record is about 26 bytes once compressed.
        let records = (bytes / 5 / 26).min(2_000_000);
        Spec {
            seed,
            shape,
            language: Language::Fr,
            json: true,
            advertisers: 2_000,
            activity: if shape == Shape::Takeout {
                records as usize
            } else {
                3_000
            },
            events: records as usize,
            filler_bytes: bytes.saturating_sub(records * 26),
        }
    }
}

/// What a correct reader finds in the archive written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    pub platform: Platform,
    /// Empty when the archive is HTML only.
    pub evidence: Vec<Evidence>,
    /// The archive is HTML only: a reader refuses it, asking for JSON.
    pub html_only: bool,
    /// Records written in the files of evidence.
    pub items: u64,
}

// ---------------------------------------------------------------- names

/// Advertisers as residents meet them: accents, legal forms, brands.
const ADVERTISERS: &[&str] = &[
    "Boulanger SA",
    "Crédit Agricole",
    "Société Générale",
    "Decathlon France",
    "FNAC DARTY",
    "L'Oréal Paris",
    "Nestlé S.A.",
    "Müller GmbH & Co. KG",
    "Zalando SE",
    "Vinted UAB",
    "Électricité de France",
    "Leroy Merlin France SAS",
    "Maison du Monde",
    "Airbnb, Inc.",
    "The North Face",
    "Yves Rocher",
    "Carrefour",
    "Orange",
    "SFR",
    "Bouygues Telecom",
    "La Redoute",
    "Galeries Lafayette",
    "Sephora",
    "Intermarché",
    "Groupama Assurances",
    "MAIF",
    "Cdiscount",
    "Veepee",
    "Blablacar",
    "Spotify AB",
    "Netflix, Inc.",
    "Deliveroo",
    "Uber B.V.",
    "Booking.com B.V.",
    "ebay.de",
    "Łódź Meble Sp. z o.o.",
    "Café Noël ☕",
    "Ñandú Viajes S.L.",
    "Björn Borg AB",
    "Dr. Oetker",
];

/// Sites and apps that send Meta their visitors' activity.
const OFF_PLATFORM: &[&str] = &[
    "zalando.fr",
    "Vinted",
    "leboncoin",
    "SNCF Connect",
    "Deezer",
    "Doctolib",
    "Le Monde",
    "Marmiton",
    "Yves Rocher",
    "booking.com",
    "Decathlon",
    "ouigo.com",
    "Météo-France",
    "Back Market",
    "Shein",
    "Candy Crush Saga",
    "Duolingo",
    "ManoMano",
    "Rakuten France",
    "Fnac",
];

/// Sites Google ads lead to.
const AD_SITES: &[&str] = &[
    "boulanger.com",
    "fnac.com",
    "cdiscount.com",
    "decathlon.fr",
    "ouigo.com",
    "booking.com",
    "zalando.fr",
    "leroymerlin.fr",
    "ikea.com",
    "darty.com",
    "sncf-connect.com",
    "lemonde.fr",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ve", "no", "ti", "sa", "du", "pe", "ri", "bo", "la", "fe", "zu", "an",
    "or", "el", "ma", "ni",
];

const FORMS: &[&str] = &[
    "", "", "", " SAS", " SARL", " SA", " GmbH", " Ltd", " Inc.", " S.p.A.", " BV", " AG", " LLC",
];

/// The `i`-th synthetic name: distinct syllables for every `i`.
fn synthetic(i: usize, rng: &mut Rng) -> String {
    let mut n = i;
    let mut word = String::new();
    loop {
        word.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
        if n == 0 {
            break;
        }
    }
    word.push_str(SYLLABLES[(i * 7 + 3) % SYLLABLES.len()]);
    let mut name = String::new();
    let mut chars = word.chars();
    if let Some(c) = chars.next() {
        name.extend(c.to_uppercase());
        name.push_str(chars.as_str());
    }
    let form: &&str = rng.pick(FORMS);
    name.push_str(form);
    name
}

/// The `i`-th name of `list`, then synthetic ones (all distinct).
fn nth_name(list: &[&str], i: usize, rng: &mut Rng, site: bool) -> String {
    match list.get(i) {
        Some(name) => name.to_string(),
        None if site => {
            let mut s = synthetic(i, rng);
            s.retain(|c| c.is_ascii_alphanumeric());
            format!("{}-shop{i}.fr", s.to_lowercase())
        }
        None => synthetic(i, rng),
    }
}

// ---------------------------------------------------------------- Takeout names

/// One Google product: its name in each language, and how a record's title
/// starts.
struct Product {
    names: [&'static str; 4],
    verb: [&'static str; 4],
    /// Share of the records (per thousand).
    weight: u64,
}

const PRODUCTS: &[Product] = &[
    Product {
        names: ["YouTube", "YouTube", "YouTube", "YouTube"],
        verb: ["Watched", "Vous avez regardé", "Angesehen:", "Has visto"],
        weight: 450,
    },
    Product {
        names: ["Search", "Recherche", "Suche", "Búsqueda"],
        verb: [
            "Searched for",
            "Vous avez recherché",
            "Gesucht nach",
            "Has buscado",
        ],
        weight: 250,
    },
    Product {
        names: ["Maps", "Maps", "Maps", "Maps"],
        verb: ["Viewed", "Vous avez consulté", "Angesehen:", "Has visto"],
        weight: 90,
    },
    Product {
        names: ["Chrome", "Chrome", "Chrome", "Chrome"],
        verb: ["Visited", "Vous avez consulté", "Besucht:", "Has visitado"],
        weight: 80,
    },
    Product {
        names: [
            "Google Play Store",
            "Google Play Store",
            "Google Play Store",
            "Google Play Store",
        ],
        verb: ["Used", "Vous avez utilisé", "Verwendet:", "Has usado"],
        weight: 50,
    },
    Product {
        names: ["Ads", "Annonces", "Anzeigen", "Anuncios"],
        verb: ["Visited", "Vous avez consulté", "Besucht:", "Has visitado"],
        weight: 40,
    },
    Product {
        names: [
            "Image Search",
            "Recherche d'images",
            "Bildersuche",
            "Búsqueda de imágenes",
        ],
        verb: [
            "Searched for",
            "Vous avez recherché",
            "Gesucht nach",
            "Has buscado",
        ],
        weight: 20,
    },
    Product {
        names: ["News", "Actualités", "Nachrichten", "Noticias"],
        verb: ["Viewed", "Vous avez consulté", "Angesehen:", "Has visto"],
        weight: 20,
    },
];

const MY_ACTIVITY: [&str; 4] = [
    "My Activity",
    "Mon activité",
    "Meine Aktivitäten",
    "Mi actividad",
];
const MY_ACTIVITY_FILE: [&str; 4] = [
    "MyActivity",
    "MonActivité",
    "MeineAktivitäten",
    "MiActividad",
];
const FROM_ADS: [&str; 4] = [
    "From Google Ads",
    "Depuis Google Ads",
    "Von Google Ads",
    "De Google Ads",
];
const PHOTOS: [&str; 4] = [
    "Google Photos",
    "Google Photos",
    "Google Fotos",
    "Google Fotos",
];
const PHOTOS_FROM: [&str; 4] = ["Photos from", "Photos de", "Fotos aus", "Fotos de"];
const LOCATION: [&str; 4] = [
    "Location History",
    "Historique des positions",
    "Standortverlauf",
    "Historial de ubicaciones",
];

// ---------------------------------------------------------------- writing

/// The period records are drawn in: 2015-01-01 to 2024-06-30 UTC.
const START: i64 = 1_420_070_400;
const END: i64 = 1_719_705_600;

fn options(deflate: bool) -> SimpleFileOptions {
    let time = DateTime::from_date_and_time(2024, 7, 1, 9, 30, 0).unwrap_or_default();
    SimpleFileOptions::default()
        .compression_method(if deflate {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        })
        .last_modified_time(time)
        .unix_permissions(0o644)
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        e => io::Error::other(e.to_string()),
    }
}

/// Writes `s` as a JSON string; with `mojibake`, each UTF-8 byte of a
/// non-ASCII character as its own `\u00XX`, as Meta does.
fn json_string(out: &mut String, s: &str, mojibake: bool) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if mojibake && !c.is_ascii() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\u00{b:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// HTML-escaped text.
fn html_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn ts(seconds: i64, millis: i64) -> Timestamp {
    Timestamp::new(seconds, (millis * 1_000_000) as i32).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Events one organisation sent: count, first, last, count by type.
type Sent = (
    u64,
    Option<Timestamp>,
    Option<Timestamp>,
    BTreeMap<String, u64>,
);

/// The evidence gathered as records are drawn, by hand (not with the
/// reader's collector).
#[derive(Default)]
struct Oracle {
    products: BTreeMap<String, (u64, u64, Option<Timestamp>, Option<Timestamp>)>,
    sites: BTreeMap<String, (u64, Option<Timestamp>, Option<Timestamp>)>,
    audiences: BTreeMap<String, (bool, bool, bool)>,
    elsewhere: BTreeMap<String, Sent>,
    items: u64,
}

fn widen(first: &mut Option<Timestamp>, last: &mut Option<Timestamp>, t: Timestamp) {
    if first.is_none_or(|f| t < f) {
        *first = Some(t);
    }
    if last.is_none_or(|l| t > l) {
        *last = Some(t);
    }
}

impl Oracle {
    fn evidence(self, platform: Platform) -> Vec<Evidence> {
        let mut out = Vec::new();
        for (organisation, (data_file, remarketing, store_visit)) in self.audiences {
            out.push(Evidence {
                organisation,
                platform,
                kind: EvidenceKind::Audience {
                    data_file,
                    remarketing,
                    store_visit,
                },
            });
        }
        for (organisation, (events, first, last, types)) in self.elsewhere {
            out.push(Evidence {
                organisation,
                platform,
                kind: EvidenceKind::ActivityFromElsewhere {
                    events,
                    first,
                    last,
                    types: types.into_iter().collect(),
                },
            });
        }
        for (product, (items, from_ads, first, last)) in self.products {
            out.push(Evidence {
                organisation: "Google".into(),
                platform,
                kind: EvidenceKind::ProductActivity {
                    product,
                    items,
                    from_ads,
                    first,
                    last,
                },
            });
        }
        for (organisation, (clicks, first, last)) in self.sites {
            out.push(Evidence {
                organisation,
                platform,
                kind: EvidenceKind::AdClicks {
                    clicks,
                    first,
                    last,
                },
            });
        }
        crate::collect::sort(&mut out);
        out
    }
}

struct Out<W: Write> {
    zip: ZipWriter<zip::write::StreamWriter<W>>,
    buf: String,
}

impl<W: Write> Out<W> {
    fn start(&mut self, name: &str, deflate: bool) -> io::Result<()> {
        self.zip.start_file(name, options(deflate)).map_err(zip_err)
    }

    /// Writes the buffer when it is large, or always with `force`.
    fn flush(&mut self, force: bool) -> io::Result<()> {
        if force || self.buf.len() >= 64 * 1024 {
            self.zip.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// A file of `len` incompressible bytes (a photo), stored.
    fn random_file(&mut self, name: &str, len: u64, rng: &mut Rng) -> io::Result<()> {
        self.start(name, false)?;
        let mut chunk = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            for word in chunk[..n].chunks_mut(8) {
                let bytes = rng.next_u64().to_le_bytes();
                word.copy_from_slice(&bytes[..word.len()]);
            }
            if n >= 4 && left == len {
                chunk[..4].copy_from_slice(b"\xFF\xD8\xFF\xE0");
            }
            self.zip.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        Ok(())
    }
}

/// Writes the archive `spec` describes to `out`, streaming, and returns what
/// a correct reader finds in it.
pub fn write<W: Write>(spec: &Spec, out: W) -> io::Result<Truth> {
    let mut o = Out {
        zip: ZipWriter::new_stream(out),
        buf: String::with_capacity(128 * 1024),
    };
    let platform = spec.shape.platform();
    let mut oracle = Oracle::default();
    match spec.shape {
        Shape::Takeout => takeout(spec, &mut o, &mut oracle)?,
        _ => meta(spec, &mut o, &mut oracle)?,
    }
    o.zip.finish().map_err(zip_err)?.flush()?;
    let items = oracle.items;
    Ok(Truth {
        platform,
        evidence: if spec.json {
            oracle.evidence(platform)
        } else {
            Vec::new()
        },
        html_only: !spec.json,
        items,
    })
}

fn takeout<W: Write>(spec: &Spec, o: &mut Out<W>, oracle: &mut Oracle) -> io::Result<()> {
    let l = spec.language.i();
    let root = "Takeout";
    // The archive's own index page: HTML, but not an activity page.
    o.start(&format!("{root}/archive_browser.html"), true)?;
    o.buf.push_str(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Takeout</title></head>\
         <body><h1>Takeout</h1><ul>",
    );
    for p in PRODUCTS {
        o.buf.push_str("<li>");
        html_text(&mut o.buf, p.names[l]);
        o.buf.push_str("</li>");
    }
    o.buf.push_str("</ul></body></html>");
    o.flush(true)?;

    let total_weight: u64 = PRODUCTS.iter().map(|p| p.weight).sum();
    let mut site_rng = Rng::keyed(spec.seed, 11, 0);
    let sites: Vec<String> = (0..spec.advertisers.max(1))
        .map(|i| nth_name(AD_SITES, i, &mut site_rng, true))
        .collect();
    for (pi, product) in PRODUCTS.iter().enumerate() {
        let n = (spec.activity as u64 * product.weight / total_weight).max(1);
        let folder = format!("{root}/{}/{}", MY_ACTIVITY[l], product.names[l]);
        let ext = if spec.json { "json" } else { "html" };
        o.start(&format!("{folder}/{}.{ext}", MY_ACTIVITY_FILE[l]), true)?;
        if spec.json {
            o.buf.push('[');
        } else {
            o.buf.push_str(
                "<html><head><meta charset=\"utf-8\"><style>.mdl-grid{}</style></head>\
                 <body><div class=\"mdl-grid\">",
            );
        }
        let step = (END - START) / n as i64;
        for i in 0..n {
            let mut rng = Rng::keyed(spec.seed, 20 + pi as u64, i as i64);
            // Newest first, as Takeout lists them.
            let seconds = END - step * i as i64 - rng.between(0, step.max(1) - 1);
            let t = ts(seconds, rng.between(0, 999));
            // Every record of the Ads product is an ad.
            let ad = pi == 5 || rng.chance(0.06);
            let url_only_ad = !ad && rng.chance(0.01);
            let topic = format!("{} {}", synthetic(rng.below(500) as usize, &mut rng), i);
            let title = format!("{} {topic}", product.verb[l]);
            let site = if ad || url_only_ad {
                // A video ad on YouTube leads to YouTube: no site.
                (pi == 5 || url_only_ad || !rng.chance(0.3))
                    .then(|| sites[rng.below(sites.len() as u64) as usize].clone())
            } else {
                None
            };
            let url = match &site {
                Some(site) => format!(
                    "https://www.googleadservices.com/pagead/aclk?sa=L&ai=C{i}&adurl=https%3A%2F%2Fwww.{site}%2Foffre%3Fid%3D{i}"
                ),
                // Chrome visits sites, but not through an ad: no evidence.
                None if pi == 3 => format!(
                    "https://www.{}/article{i}",
                    sites[rng.below(sites.len() as u64) as usize]
                ),
                None if pi == 1 || pi == 6 => {
                    format!("https://www.google.com/search?q=topic{i}")
                }
                None => format!("https://www.youtube.com/watch?v=v{pi}x{i}"),
            };
            if spec.json {
                if i > 0 {
                    o.buf.push(',');
                }
                o.buf.push_str("{\n  \"header\": ");
                json_string(&mut o.buf, product.names[l], false);
                o.buf.push_str(",\n  \"title\": ");
                json_string(&mut o.buf, &title, false);
                o.buf.push_str(",\n  \"titleUrl\": ");
                json_string(&mut o.buf, &url, false);
                if pi == 0 && !ad {
                    o.buf.push_str(",\n  \"subtitles\": [{\"name\": ");
                    json_string(&mut o.buf, &format!("Chaîne {}", i % 17), false);
                    o.buf
                        .push_str(", \"url\": \"https://www.youtube.com/channel/UC0\"}]");
                }
                o.buf.push_str(",\n  \"time\": \"");
                o.buf.push_str(&t.to_string());
                o.buf.push_str("\",\n  \"products\": [");
                json_string(&mut o.buf, product.names[l], false);
                o.buf.push(']');
                if ad {
                    o.buf.push_str(",\n  \"details\": [{\"name\": ");
                    json_string(&mut o.buf, FROM_ADS[l], false);
                    o.buf.push_str("}]");
                }
                o.buf
                    .push_str(",\n  \"activityControls\": [\"Web & App Activity\"]\n}");
            } else {
                o.buf.push_str(
                    "<div class=\"outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp\">\
                     <div class=\"header-cell mdl-cell mdl-cell--12-col\">\
                     <p class=\"mdl-typography--title\">",
                );
                html_text(&mut o.buf, product.names[l]);
                o.buf.push_str(
                    "<br></p></div><div class=\"content-cell mdl-cell mdl-cell--6-col \
                     mdl-typography--body-1\">",
                );
                html_text(&mut o.buf, &title);
                o.buf.push_str("<br>");
                o.buf.push_str(&t.to_string());
                o.buf.push_str("</div></div>");
            }
            o.flush(false)?;
            if spec.json {
                oracle.items += 1;
                let e = oracle
                    .products
                    .entry(product.names[l].to_string())
                    .or_default();
                e.0 += 1;
                e.1 += u64::from(ad || url_only_ad);
                widen(&mut e.2, &mut e.3, t);
                if let Some(site) = site {
                    let s = oracle.sites.entry(site).or_default();
                    s.0 += 1;
                    widen(&mut s.1, &mut s.2, t);
                }
            }
        }
        o.buf.push_str(if spec.json {
            "]"
        } else {
            "</div></body></html>"
        });
        o.flush(true)?;
    }

    // Around them: photos with their JSON sidecars, the location history.
    let mut rng = Rng::keyed(spec.seed, 3, 0);
    let location_bytes = spec.filler_bytes / 4;
    let mut photo_bytes = spec.filler_bytes - location_bytes;
    let mut i = 0u64;
    while photo_bytes > 0 {
        let year = 2015 + i % 10;
        let len = photo_bytes.min(rng.between(200_000, 4_000_000) as u64);
        let name = format!(
            "{root}/{}/{} {year}/IMG_{year}{:04}.jpg",
            PHOTOS[l], PHOTOS_FROM[l], i
        );
        o.random_file(&name, len, &mut rng)?;
        o.start(&format!("{name}.json"), true)?;
        o.buf.push_str(&format!(
            "{{\n  \"title\": \"IMG_{year}{i:04}.jpg\",\n  \"description\": \"\",\n  \"imageViews\": \"0\",\n  \"photoTakenTime\": {{\"timestamp\": \"{}\", \"formatted\": \"\"}},\n  \"geoData\": {{\"latitude\": 46.16, \"longitude\": -1.15}}\n}}",
            START + rng.between(0, END - START)
        ));
        o.flush(true)?;
        photo_bytes -= len;
        i += 1;
    }
    o.start(&format!("{root}/{}/Records.json", LOCATION[l]), true)?;
    o.buf.push_str("{\n  \"locations\": [");
    let mut written = 0u64;
    let mut k = 0i64;
    while written < location_bytes.max(1) {
        let before = o.buf.len();
        if k > 0 {
            o.buf.push(',');
        }
        let t = ts(START + k * 60, 0);
        o.buf.push_str(&format!(
            "{{\n    \"latitudeE7\": {},\n    \"longitudeE7\": {},\n    \"accuracy\": {},\n    \"source\": \"WIFI\",\n    \"timestamp\": \"{t}\"\n  }}",
            461_500_000 + rng.between(-50_000, 50_000),
            -11_500_000 + rng.between(-50_000, 50_000),
            rng.between(3, 60)
        ));
        // Location JSON compresses about tenfold.
        written += (o.buf.len() - before) as u64 / 10;
        k += 1;
        o.flush(false)?;
    }
    o.buf.push_str("]\n}");
    o.flush(true)?;
    Ok(())
}

/// Meta's paths and keys, by shape.
struct MetaLayout {
    advertisers_path: &'static str,
    advertisers_key: &'static str,
    /// The advertisers are bare names (the contact-list uploads).
    names_only: bool,
    off_path: Option<&'static str>,
    off_key: &'static str,
    messages: &'static str,
    profile: (&'static str, &'static str),
    photos: &'static str,
}

fn meta_layout(shape: Shape) -> MetaLayout {
    match shape {
        Shape::Facebook2019 => MetaLayout {
            advertisers_path: "ads_and_businesses/advertisers_who_uploaded_a_contact_list_with_your_information",
            advertisers_key: "custom_audiences",
            names_only: true,
            off_path: Some("ads_and_businesses/your_off-facebook_activity"),
            off_key: "off_facebook_activity",
            messages: "messages/inbox",
            profile: ("profile_information/profile_information", "profile"),
            photos: "photos_and_videos/album",
        },
        Shape::Facebook2021 => MetaLayout {
            advertisers_path: "ads_information/advertisers_who_uploaded_a_contact_list_with_your_information",
            advertisers_key: "custom_audiences_v2",
            names_only: true,
            off_path: Some("apps_and_websites_off_of_facebook/your_off-facebook_activity"),
            off_key: "off_facebook_activity_v2",
            messages: "messages/inbox",
            profile: ("profile_information/profile_information", "profile_v2"),
            photos: "posts/media",
        },
        Shape::Facebook2023 => MetaLayout {
            advertisers_path: "ads_information/advertisers_using_your_activity_or_information",
            advertisers_key: "custom_audiences_all_types_v2",
            names_only: false,
            off_path: Some("apps_and_websites_off_of_facebook/your_activity_off_meta_technologies"),
            off_key: "off_facebook_activity_v2",
            messages: "your_activity_across_facebook/messages/inbox",
            profile: (
                "personal_information/profile_information/profile_information",
                "profile_v2",
            ),
            photos: "your_activity_across_facebook/posts/media",
        },
        Shape::Instagram2022 | Shape::Instagram2024 => MetaLayout {
            advertisers_path: "ads_information/instagram_ads_and_businesses/advertisers_using_your_activity_or_information",
            advertisers_key: if shape == Shape::Instagram2022 {
                "ig_custom_audiences_all_types"
            } else {
                "custom_audiences_all_types_v2"
            },
            names_only: false,
            off_path: (shape == Shape::Instagram2022).then_some(
                "apps_and_websites_off_of_instagram/apps_and_websites/your_activity_off_meta_technologies",
            ),
            off_key: "apps_and_websites_off_meta_activity",
            messages: "your_instagram_activity/messages/inbox",
            profile: (
                "personal_information/personal_information/personal_information",
                "profile_user",
            ),
            photos: "media/posts",
        },
        Shape::Takeout => unreachable!("not a Meta shape"),
    }
}

const EVENT_TYPES: &[&str] = &[
    "PAGE_VIEW",
    "VIEW_CONTENT",
    "ADD_TO_CART",
    "PURCHASE",
    "SEARCH",
    "CUSTOM",
    "ACTIVATE_APP",
    "COMPLETE_REGISTRATION",
    "INITIATE_CHECKOUT",
    "LEAD",
];

/// A Meta HTML page around `body`.
fn meta_page(o: &mut String, platform: Platform, title: &str) {
    o.push_str("<html><head><meta charset=\"utf-8\"><title>");
    html_text(o, title);
    o.push_str("</title></head><body class=\"_5vb_ _2yq _a7o5\"><div class=\"_a705\"><div class=\"_a706\" role=\"main\"><h1>");
    html_text(o, platform.name());
    o.push_str("</h1>");
}

fn meta<W: Write>(spec: &Spec, o: &mut Out<W>, oracle: &mut Oracle) -> io::Result<()> {
    let layout = meta_layout(spec.shape);
    let platform = spec.shape.platform();
    let ext = if spec.json { "json" } else { "html" };

    // Advertisers.
    o.start(&format!("{}.{ext}", layout.advertisers_path), true)?;
    if spec.json {
        o.buf.push_str("{\n  \"");
        o.buf.push_str(layout.advertisers_key);
        o.buf.push_str("\": [");
    } else {
        meta_page(
            &mut o.buf,
            platform,
            "Advertisers using your activity or information",
        );
    }
    for i in 0..spec.advertisers {
        let mut rng = Rng::keyed(spec.seed, 30, i as i64);
        let name = nth_name(ADVERTISERS, i, &mut rng, false);
        let (data_file, remarketing, store_visit) = if layout.names_only {
            (true, false, false)
        } else {
            (rng.chance(0.5), rng.chance(0.6), rng.chance(0.05))
        };
        if spec.json {
            if i > 0 {
                o.buf.push(',');
            }
            o.buf.push_str("\n    ");
            if layout.names_only {
                json_string(&mut o.buf, &name, true);
            } else {
                o.buf.push_str("{\n      \"advertiser_name\": ");
                json_string(&mut o.buf, &name, true);
                o.buf.push_str(&format!(
                    ",\n      \"has_data_file_custom_audience\": {data_file},\n      \"has_remarketing_custom_audience\": {remarketing},\n      \"has_in_person_store_visit\": {store_visit}\n    }}"
                ));
            }
            oracle.items += 1;
            let flags = oracle.audiences.entry(name).or_default();
            flags.0 |= data_file;
            flags.1 |= remarketing;
            flags.2 |= store_visit;
        } else {
            o.buf.push_str(
                "<div class=\"pam _3-95 _2ph- _a6-g uiBoxWhite noborder\"><div class=\"_2pin\">",
            );
            html_text(&mut o.buf, &name);
            o.buf.push_str("</div></div>");
        }
        o.flush(false)?;
    }
    o.buf.push_str(if spec.json {
        "\n  ]\n}"
    } else {
        "</div></div></body></html>"
    });
    o.flush(true)?;

    // Activity off the platform.
    if let Some(path) = layout.off_path {
        o.start(&format!("{path}.{ext}"), true)?;
        if spec.json {
            o.buf.push_str("{\n  \"");
            o.buf.push_str(layout.off_key);
            o.buf.push_str("\": [");
        } else {
            meta_page(&mut o.buf, platform, "Your activity off Meta technologies");
        }
        let orgs = spec.activity.max(1);
        for i in 0..orgs {
            let mut rng = Rng::keyed(spec.seed, 40, i as i64);
            let name = nth_name(
                OFF_PLATFORM,
                i,
                &mut rng,
                i >= OFF_PLATFORM.len() && i % 2 == 0,
            );
            let mean = (spec.events / orgs).max(1) as i64;
            let n = rng.between(1, 2 * mean - 1) as u64;
            if spec.json {
                if i > 0 {
                    o.buf.push(',');
                }
                o.buf.push_str("\n    {\n      \"name\": ");
                json_string(&mut o.buf, &name, true);
                o.buf.push_str(",\n      \"events\": [");
            } else {
                o.buf.push_str("<div class=\"pam _3-95 _2ph- _a6-g uiBoxWhite noborder\"><div class=\"_a6-h _a6-i\">");
                html_text(&mut o.buf, &name);
                o.buf.push_str("</div></div>");
            }
            let mut record = (0u64, None, None, BTreeMap::new());
            for k in 0..n {
                let t = START + rng.between(0, END - START);
                let kind = *rng.pick(EVENT_TYPES);
                if spec.json {
                    if k > 0 {
                        o.buf.push(',');
                    }
                    o.buf.push_str(&format!(
                        "\n        {{\n          \"id\": {},\n          \"type\": \"{kind}\",\n          \"timestamp\": {t}\n        }}",
                        100_000_000_000_000 + rng.below(900_000_000_000_000)
                    ));
                    o.flush(false)?;
                }
                record.0 += 1;
                widen(&mut record.1, &mut record.2, ts(t, 0));
                *record.3.entry(kind.to_string()).or_insert(0) += 1;
            }
            if spec.json {
                o.buf.push_str("\n      ]\n    }");
                oracle.items += 1;
                oracle.elsewhere.insert(name, record);
            }
            o.flush(false)?;
        }
        o.buf.push_str(if spec.json {
            "\n  ]\n}"
        } else {
            "</div></div></body></html>"
        });
        o.flush(true)?;
    }

    // Around them: the profile, messages (mojibake), photos.
    let mut rng = Rng::keyed(spec.seed, 5, 0);
    o.start(&format!("{}.{ext}", layout.profile.0), true)?;
    if spec.json {
        o.buf.push_str("{\n  \"");
        o.buf.push_str(layout.profile.1);
        o.buf.push_str("\": {\n    \"name\": {\"full_name\": ");
        json_string(&mut o.buf, "Hélène Dupré", true);
        o.buf
            .push_str("},\n    \"registration_timestamp\": 1262304000\n  }\n}");
    } else {
        meta_page(&mut o.buf, platform, "Profile information");
        o.buf
            .push_str("<div class=\"_a6-g\">Hélène Dupré</div></div></div></body></html>");
    }
    o.flush(true)?;
    let message_bytes = spec.filler_bytes / 3;
    let mut photo_bytes = spec.filler_bytes - message_bytes;
    let mut thread = 0u64;
    let mut written = 0u64;
    while written < message_bytes.max(1) {
        o.start(
            &format!(
                "{}/ami{thread}_{}/message_1.{ext}",
                layout.messages,
                1000 + thread
            ),
            true,
        )?;
        let before_thread = written;
        if spec.json {
            o.buf.push_str("{\n  \"participants\": [{\"name\": ");
            json_string(&mut o.buf, &format!("Ami {thread}"), true);
            o.buf.push_str("}, {\"name\": ");
            json_string(&mut o.buf, "Hélène Dupré", true);
            o.buf.push_str("}],\n  \"messages\": [");
        } else {
            meta_page(&mut o.buf, platform, "Messages");
        }
        let mut m = 0u64;
        while written < message_bytes.max(1) && written - before_thread < 2_000_000 {
            let before = o.buf.len();
            let text = format!(
                "Ça va ? On se voit à {}h près du café 😀 ({})",
                rng.between(8, 22),
                synthetic(rng.below(400) as usize, &mut rng)
            );
            if spec.json {
                if m > 0 {
                    o.buf.push(',');
                }
                o.buf.push_str("\n    {\n      \"sender_name\": ");
                json_string(&mut o.buf, "Hélène Dupré", true);
                o.buf.push_str(&format!(
                    ",\n      \"timestamp_ms\": {},\n      \"content\": ",
                    (START + rng.between(0, END - START)) * 1000
                ));
                json_string(&mut o.buf, &text, true);
                o.buf.push_str("\n    }");
            } else {
                o.buf.push_str("<div class=\"_a6-g\">");
                html_text(&mut o.buf, &text);
                o.buf.push_str("</div>");
            }
            written += (o.buf.len() - before) as u64 / 6;
            m += 1;
            o.flush(false)?;
        }
        o.buf.push_str(if spec.json {
            "\n  ],\n  \"title\": \"Ami\",\n  \"thread_path\": \"inbox/ami\"\n}"
        } else {
            "</div></div></body></html>"
        });
        o.flush(true)?;
        thread += 1;
    }
    let mut i = 0u64;
    while photo_bytes > 0 {
        let len = photo_bytes.min(rng.between(100_000, 3_000_000) as u64);
        o.random_file(
            &format!("{}/{}_{i}.jpg", layout.photos, 10_000_000 + i),
            len,
            &mut rng,
        )?;
        photo_bytes -= len;
        i += 1;
    }
    Ok(())
}
