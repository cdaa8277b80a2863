//! The JSON files of an archive, streamed and recognised by their content.
//!
//! A file is read through a [`Guard`] that follows JSON strings byte by byte:
//! no string may be longer than [`crate::Limits::text_bytes`] (serde_json
//! would hold it whole: a file of ours with one is refused, any other file
//! is left), and until the file is recognised at most
//! [`crate::Limits::sniff_bytes`] are read, so a 500 MB `Records.json` costs
//! one megabyte, not five hundred. What recognises a file:
//! - a root **array** whose first element is an object with `header`,
//!   `title` and `time`: Google My Activity, whatever the file and folder
//!   are called;
//! - a root **object** with a key starting `custom_audiences` or
//!   `ig_custom_audiences` (advertisers) or holding `off_facebook_activity` or
//!   `off_meta_activity` (activity off the platform), whatever comes before
//!   it (other keys are skipped while the sniffing budget lasts).
//!
//! Records are then read one at a time into small lenient structs and added
//! to the [`Collector`]; nothing keeps a list of them.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufReader, Read};

use jiff::Timestamp;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use crate::Limits;
use crate::collect::{Collector, Events, Flags, MAX_EVENT_TYPE_CHARS};
use crate::container::Fail;
use crate::error::{ArchiveError, Cap};
use crate::lenient::{Bool, FirstStr, FromGoogleAds, Int, Object, Str, otherwise};
use crate::model::{Platform, Section};
use crate::text::{clean_name, host, is_ad_click_host, is_google_host, query_param, site};

/// The most characters a product name keeps.
const MAX_PRODUCT_CHARS: usize = 100;

/// Why the guard stopped a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trip {
    /// Not recognised within the sniffing budget: not ours.
    Sniff,
    /// A string past the text cap.
    Text,
}

/// What the guard has seen of the file.
#[derive(Debug)]
struct GuardState {
    bytes: Cell<u64>,
    sniffing: Cell<bool>,
    sniff_bytes: u64,
    text_bytes: u64,
    in_string: Cell<bool>,
    escape: Cell<bool>,
    run: Cell<u64>,
    tripped: Cell<Option<Trip>>,
}

/// Follows the JSON text as it is read (see the module's documentation).
struct Guard<'r, 's> {
    inner: &'r mut dyn Read,
    st: &'s GuardState,
}

impl Read for Guard<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let st = self.st;
        if st.tripped.get().is_none() && st.sniffing.get() && st.bytes.get() > st.sniff_bytes {
            st.tripped.set(Some(Trip::Sniff));
        }
        if st.tripped.get().is_some() {
            return Err(io::Error::other("stopped"));
        }
        // While sniffing, never read past the budget (and stop at the read
        // after it): the file is left at the same byte whatever the sizes of
        // the reads, once the parser has seen every byte before.
        let room = if st.sniffing.get() {
            (st.sniff_bytes + 1).saturating_sub(st.bytes.get())
        } else {
            u64::MAX
        };
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        let (mut in_string, mut escape, mut run) =
            (st.in_string.get(), st.escape.get(), st.run.get());
        // A string past the cap ends the bytes handed over, just past the
        // byte that broke it: the parser stops there, having recognised the
        // file or not from what came before, whatever the sizes of the reads.
        let mut given = n;
        for (i, &b) in buf[..n].iter().enumerate() {
            if in_string {
                if escape {
                    escape = false;
                } else if b == b'\\' {
                    escape = true;
                } else if b == b'"' {
                    in_string = false;
                    continue;
                }
                run += 1;
                if run > st.text_bytes {
                    given = i + 1;
                    st.tripped.set(Some(Trip::Text));
                    break;
                }
            } else if b == b'"' {
                in_string = true;
                run = 0;
            }
        }
        st.in_string.set(in_string);
        st.escape.set(escape);
        st.run.set(run);
        st.bytes.set(st.bytes.get() + given as u64);
        Ok(given)
    }
}

/// What a JSON file turned out to be.
#[derive(Debug, Default)]
pub(crate) struct JsonFile {
    /// The section recognised, if any.
    pub section: Option<Section>,
    /// The platform its keys name, when they do.
    pub platform: Option<Platform>,
    pub items: u64,
    pub skipped: u64,
    /// Keys seen that Google's other files use (`locations`, `photoTakenTime`…).
    pub google_keys: u64,
    /// Keys seen that Meta's other files use (`…_v2`, `ig_…`, `participants`…).
    pub meta_keys: u64,
}

struct Ctx<'c> {
    collect: &'c mut Collector,
    guard: &'c GuardState,
    /// The folder the file is in, the product's name when items have none.
    folder: String,
    name_chars: usize,
    file: JsonFile,
}

impl Ctx<'_> {
    fn recognise(&mut self, section: Section, platform: Option<Platform>) {
        self.guard.sniffing.set(false);
        self.file.section.get_or_insert(section);
        if self.file.platform.is_none() {
            self.file.platform = platform;
        }
    }
}

/// Reads the JSON file `name` from `r`. A file that is not one of ours (or
/// is not JSON at all, and was not recognised) is a [`JsonFile`] without a
/// section, holding the hints its keys gave before it was left; a file
/// recognised and then broken is [`ArchiveError::DamagedJson`].
pub(crate) fn read(
    r: &mut dyn Read,
    name: &str,
    collect: &mut Collector,
    limits: &Limits,
) -> Result<JsonFile, Fail> {
    let st = GuardState {
        bytes: Cell::new(0),
        sniffing: Cell::new(true),
        sniff_bytes: limits.sniff_bytes,
        text_bytes: limits.text_bytes,
        in_string: Cell::new(false),
        escape: Cell::new(false),
        run: Cell::new(0),
        tripped: Cell::new(None),
    };
    let folder = name
        .trim_end_matches('/')
        .rsplit('/')
        .nth(1)
        .and_then(|f| clean_name(f, MAX_PRODUCT_CHARS))
        .unwrap_or_else(|| "?".to_string());
    let mut ctx = Ctx {
        collect,
        guard: &st,
        folder,
        name_chars: limits.name_chars,
        file: JsonFile::default(),
    };
    let mut guard = Guard { inner: r, st: &st };
    let result = bom_skipped(&mut guard)
        .map_err(serde_json::Error::io)
        .and_then(|head| {
            let buffered = BufReader::with_capacity(64 * 1024, head.chain(&mut guard));
            let mut de = serde_json::Deserializer::from_reader(buffered);
            Root(&mut ctx).deserialize(&mut de)?;
            de.end()
        });
    let Err(e) = result else {
        return Ok(ctx.file);
    };
    let file = ctx.file;
    let recognised = file.section.is_some();
    match st.tripped.get() {
        Some(Trip::Text) if recognised => {
            return Err(Fail::Archive(ArchiveError::TooLarge {
                name: Some(name.to_string()),
                cap: Cap::Text(limits.text_bytes),
            }));
        }
        // Not recognised within the sniffing budget, or a long text in a
        // file not recognised (a photo embedded in some JSON the resident
        // keeps in Drive): not ours, with the hints its keys gave so far.
        Some(Trip::Sniff | Trip::Text) => return Ok(file),
        None => {}
    }
    if e.is_io() {
        return Err(Fail::Io);
    }
    if !recognised {
        // Never recognised (not JSON, several JSON values, or a first
        // element that is not ours): not ours, whatever it holds, and left
        // where the parser stopped, within the sniffing budget.
        return Ok(file);
    }
    // A file of ours that breaks off: a damaged entry, or damaged JSON?
    // Reading the rest (its checksum is checked at the end) tells.
    if io::copy(r, &mut io::sink()).is_err() {
        return Err(Fail::Io);
    }
    Err(Fail::Archive(ArchiveError::DamagedJson {
        name: name.to_string(),
        line: e.line(),
    }))
}

/// The first bytes of the file, a UTF-8 byte order mark left out (the reads
/// may hand them out one at a time).
fn bom_skipped(r: &mut impl Read) -> io::Result<io::Cursor<Vec<u8>>> {
    let mut head = Vec::with_capacity(3);
    r.take(3).read_to_end(&mut head)?;
    if head == b"\xEF\xBB\xBF" {
        head.clear();
    }
    Ok(io::Cursor::new(head))
}

/// The root value: an array (Google My Activity?) or an object (Meta?).
struct Root<'x, 'c>(&'x mut Ctx<'c>);

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.0;
        let Some(Object(first)) = seq.next_element::<Object<ActivityItem>>()? else {
            return Ok(());
        };
        let Some(first) = first.filter(|i| i.is_activity()) else {
            return Err(de::Error::custom("not My Activity"));
        };
        ctx.recognise(Section::MyActivity, Some(Platform::Google));
        activity(ctx, first);
        while let Some(Object(item)) = seq.next_element::<Object<ActivityItem>>()? {
            match item {
                Some(item) => activity(ctx, item),
                None => ctx.file.skipped += 1,
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match section_of(&key) {
                Some((section, platform)) => {
                    ctx.recognise(section, platform);
                    map.next_value_seed(List {
                        ctx: &mut *ctx,
                        section,
                        platform,
                    })?;
                }
                None => {
                    weak_hint(&mut ctx.file, &key);
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The section a root key holds, and the platform it names if it does.
fn section_of(key: &str) -> Option<(Section, Option<Platform>)> {
    let k = key.to_ascii_lowercase();
    if k.starts_with("ig_custom_audiences") {
        Some((Section::Advertisers, Some(Platform::Instagram)))
    } else if k.starts_with("custom_audiences") {
        Some((Section::Advertisers, None))
    } else if k.contains("off_facebook_activity") {
        Some((Section::OffPlatform, Some(Platform::Facebook)))
    } else if k.contains("off_instagram_activity") || k == "apps_and_websites_off_meta_activity" {
        Some((Section::OffPlatform, Some(Platform::Instagram)))
    } else if k.contains("off_meta_activity") {
        Some((Section::OffPlatform, None))
    } else {
        None
    }
}

/// Keys of the platforms' other files, which say whose archive this is
/// when nothing in it names an organisation.
fn weak_hint(file: &mut JsonFile, key: &str) {
    const GOOGLE: [&str; 7] = [
        "photoTakenTime",
        "googlePhotosOrigin",
        "locations",
        "timelineObjects",
        "semanticSegments",
        "rawSignals",
        "Browser History",
    ];
    const META: [&str; 7] = [
        "participants",
        "thread_path",
        "string_map_data",
        "string_list_data",
        "label_values",
        "media_map_data",
        "profile_user",
    ];
    if GOOGLE.contains(&key) {
        file.google_keys += 1;
    } else if META.contains(&key) || key.ends_with("_v2") || key.starts_with("ig_") {
        file.meta_keys += 1;
    }
}

/// One Google My Activity record, as much of it as is read.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ActivityItem {
    header: Str,
    title: Str,
    #[serde(rename = "titleUrl")]
    title_url: Str,
    time: Str,
    products: FirstStr,
    details: FromGoogleAds,
}

impl ActivityItem {
    fn is_activity(&self) -> bool {
        self.header.0.is_some() && self.title.0.is_some() && self.time.0.is_some()
    }
}

/// Where an ad link leads, as an organisation's site; `None` when it leads
/// to Google itself (a YouTube video ad names no advertiser) or nowhere.
fn ad_destination(url: &str) -> Option<String> {
    let h = host(url)?;
    if !is_google_host(&h) {
        return Some(site(&h));
    }
    let target = query_param(url, &["adurl", "q", "url"])?;
    let h = host(&target)?;
    (!is_google_host(&h)).then(|| site(&h))
}

fn activity(ctx: &mut Ctx<'_>, item: ActivityItem) {
    let Some(t) = item.time.0.and_then(|t| t.trim().parse::<Timestamp>().ok()) else {
        ctx.file.skipped += 1;
        return;
    };
    let product = item
        .header
        .0
        .or(item.products.0)
        .and_then(|p| clean_name(&p, MAX_PRODUCT_CHARS))
        .unwrap_or_else(|| ctx.folder.clone());
    let url = item.title_url.0.unwrap_or_default();
    let ad = item.details.0 || host(&url).is_some_and(|h| is_ad_click_host(&h));
    ctx.collect.product(&product, t, ad);
    if ad && let Some(site) = ad_destination(&url) {
        ctx.collect.ad_click(site, t);
    }
    ctx.file.items += 1;
}

/// The list under a Meta key.
struct List<'x, 'c> {
    ctx: &'x mut Ctx<'c>,
    section: Section,
    platform: Option<Platform>,
}

impl<'de> DeserializeSeed<'de> for List<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let max = ctx.name_chars;
        match self.section {
            Section::Advertisers => {
                while let Some(item) = seq.next_element::<AudienceItem>()? {
                    match item.0.and_then(|(n, f)| Some((clean_name(&n, max)?, f))) {
                        Some((name, flags)) => {
                            ctx.collect.audience(self.platform, name, flags);
                            ctx.file.items += 1;
                        }
                        None => ctx.file.skipped += 1,
                    }
                }
            }
            Section::OffPlatform | Section::MyActivity => {
                while let Some(Object(item)) = seq.next_element::<Object<OffItem>>()? {
                    match item.and_then(|i| Some((clean_name(&i.name.0?, max)?, i.events.0))) {
                        Some((name, events)) => {
                            ctx.collect.elsewhere(self.platform, name, events);
                            ctx.file.items += 1;
                        }
                        None => ctx.file.skipped += 1,
                    }
                }
            }
        }
        Ok(())
    }

    otherwise!((); bool, i64, u64, f64, str, unit, map);
}

/// One advertiser: a bare name (the oldest archives' contact-list uploads)
/// or an object with its ways.
struct AudienceItem(Option<(String, Flags)>);

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct RawAudience {
    advertiser_name: Str,
    name: Str,
    has_data_file_custom_audience: Bool,
    has_remarketing_custom_audience: Bool,
    has_in_person_store_visit: Bool,
}

impl<'de> Deserialize<'de> for AudienceItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AudienceItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an advertiser")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AudienceItem, E> {
                let flags = Flags {
                    data_file: true,
                    ..Flags::default()
                };
                Ok(AudienceItem(Some((v.to_string(), flags))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AudienceItem, A::Error> {
                let raw = RawAudience::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let flags = Flags {
                    data_file: raw.has_data_file_custom_audience.0.unwrap_or(false),
                    remarketing: raw.has_remarketing_custom_audience.0.unwrap_or(false),
                    store_visit: raw.has_in_person_store_visit.0.unwrap_or(false),
                };
                Ok(AudienceItem(
                    raw.advertiser_name.0.or(raw.name.0).map(|n| (n, flags)),
                ))
            }
            otherwise!(AudienceItem(None); bool, i64, u64, f64, unit, seq);
        }
        d.deserialize_any(V)
    }
}

/// One organisation of the activity off Meta technologies.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct OffItem {
    name: Str,
    events: EventList,
}

/// Its events, counted as they stream by.
#[derive(Debug, Default)]
struct EventList(Events);

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: Str,
    timestamp: Int,
}

impl<'de> Deserialize<'de> for EventList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EventList, A::Error> {
                let mut events = Events::default();
                while let Some(Object(event)) = seq.next_element::<Object<RawEvent>>()? {
                    let Some(event) = event else { continue };
                    events.count += 1;
                    if let Some(t) = event
                        .timestamp
                        .0
                        .and_then(|s| Timestamp::from_second(s).ok())
                    {
                        events.span.add(t);
                    }
                    if let Some(kind) = event
                        .kind
                        .0
                        .and_then(|k| clean_name(&k, MAX_EVENT_TYPE_CHARS))
                    {
                        events.add_type(kind);
                    }
                }
                Ok(EventList(events))
            }
            otherwise!(EventList::default(); bool, i64, u64, f64, str, unit, map);
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out one byte a read.
    struct Bytewise<'a>(&'a [u8]);

    impl Read for Bytewise<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Some((&b, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            out[0] = b;
            self.0 = rest;
            Ok(1)
        }
    }

    fn guarded(json: &[u8], one_byte: bool) -> (io::Result<Vec<u8>>, Option<Trip>) {
        let st = GuardState {
            bytes: Cell::new(0),
            sniffing: Cell::new(false),
            sniff_bytes: 0,
            text_bytes: 10,
            in_string: Cell::new(false),
            escape: Cell::new(false),
            run: Cell::new(0),
            tripped: Cell::new(None),
        };
        let mut whole: &[u8] = json;
        let mut bytewise = Bytewise(json);
        let inner: &mut dyn Read = if one_byte { &mut bytewise } else { &mut whole };
        let mut out = Vec::new();
        let got = Guard { inner, st: &st }.read_to_end(&mut out).map(|_| out);
        (got, st.tripped.get())
    }

    #[test]
    fn the_text_cap_counts_each_string_whatever_the_reads() {
        for one_byte in [false, true] {
            let (ok, trip) = guarded(br#"["0123456789", "0123456789", "a\"b\\c"]"#, one_byte);
            assert!(ok.is_ok() && trip.is_none());
            let (err, trip) = guarded(br#"["short", "0123456789x", "z"]"#, one_byte);
            assert!(err.is_err());
            assert_eq!(trip, Some(Trip::Text));
            // Escaped quotes do not end a string.
            let (_, trip) = guarded(br#"["0123\"4567\"89"]"#, one_byte);
            assert_eq!(trip, Some(Trip::Text));
        }
    }
}
