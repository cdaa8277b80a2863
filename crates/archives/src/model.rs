//! What an archive tells about who holds data on the resident: plain values,
//! times in UTC, organisations as the archive writes them (text repaired).

use jiff::Timestamp;
use selfdata_sources::Lang;

/// The platform an archive, or one piece of evidence, comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// Google Takeout.
    Google,
    /// Facebook "Download your information".
    Facebook,
    /// Instagram "Download your information".
    Instagram,
}

impl Platform {
    /// The platform's name: "Google", "Facebook", "Instagram".
    pub fn name(self) -> &'static str {
        match self {
            Platform::Google => "Google",
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
        }
    }

    /// The archive, as a resident knows it: "Google Takeout", "Facebook", "Instagram".
    pub fn archive_name(self) -> &'static str {
        match self {
            Platform::Google => "Google Takeout",
            p => p.name(),
        }
    }

    /// The organisation that runs the platform and holds the archive's data
    /// ("Google", "Meta Platforms").
    pub fn holder(self) -> &'static str {
        match self {
            Platform::Google => "Google",
            Platform::Facebook | Platform::Instagram => "Meta Platforms",
        }
    }
}

/// One organisation known to hold data on the resident, and how we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The organisation as the archive writes it, mojibake repaired, spaces
    /// collapsed, at most [`crate::MAX_NAME_CHARS`] characters. Group
    /// organisations across sources with [`crate::key`].
    pub organisation: String,
    /// The platform whose archive names it.
    pub platform: Platform,
    pub kind: EvidenceKind,
}

/// How an archive shows that an organisation holds data on the resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceKind {
    /// Facebook/Instagram "advertisers using your activity or information":
    /// the advertiser has the resident in one of its audiences.
    /// `data_file`: it uploaded a list holding their details (email, phone);
    /// `remarketing`: it targets them from their visits to its site or app;
    /// `store_visit`: from a visit to one of its shops. All three false: the
    /// archive says only that it used their activity or information. The
    /// oldest archives listed only advertisers who uploaded a contact list:
    /// those read as `data_file`.
    Audience {
        data_file: bool,
        remarketing: bool,
        store_visit: bool,
    },
    /// Facebook/Instagram activity off the platform: the organisation sent
    /// Meta `events` records of the resident's activity on its site or app
    /// (`types` counts them by type, such as `PAGE_VIEW` or `PURCHASE`).
    ActivityFromElsewhere {
        events: u64,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        types: Vec<(String, u64)>,
    },
    /// Google's own record of the resident's activity in one product
    /// (`product` as the archive's header names it, in the archive's
    /// language): `items` records, `from_ads` of them marked as coming from
    /// Google Ads. The organisation is always Google.
    ProductActivity {
        product: String,
        items: u64,
        from_ads: u64,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
    },
    /// Google My Activity shows the resident followed `clicks` ads to this
    /// organisation's site (the ad link's destination): Google passed each
    /// click on to it. The organisation is the site's host name, `www.` removed.
    AdClicks {
        clicks: u64,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
    },
}

impl EvidenceKind {
    /// The order kinds are listed in for one organisation.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            EvidenceKind::Audience { .. } => 0,
            EvidenceKind::ActivityFromElsewhere { .. } => 1,
            EvidenceKind::AdClicks { .. } => 2,
            EvidenceKind::ProductActivity { .. } => 3,
        }
    }
}

fn month(t: Timestamp, lang: Lang) -> String {
    let d = jiff::tz::TimeZone::UTC.to_datetime(t).date();
    format!("{} {}", lang.month(d.month()), d.year())
}

/// `n` and its noun, singular or plural (`1 record`, `2 records`).
fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn since(first: Option<Timestamp>, lang: Lang) -> String {
    match (first, lang) {
        (Some(t), Lang::En) => format!(", since {}", month(t, lang)),
        (Some(t), Lang::Fr) => format!(", depuis {}", month(t, lang)),
        (None, _) => String::new(),
    }
}

impl Evidence {
    /// How we know, in plain words, for a resident ("uploaded a list with
    /// your details to Facebook").
    pub fn sentence(&self, lang: Lang) -> String {
        let p = self.platform.name();
        match (&self.kind, lang) {
            (
                EvidenceKind::Audience {
                    data_file,
                    remarketing,
                    store_visit,
                },
                _,
            ) => {
                let mut ways = Vec::new();
                let en = lang == Lang::En;
                if *data_file {
                    ways.push(if en {
                        format!("uploaded a list with your details to {p}")
                    } else {
                        format!("a envoyé à {p} une liste contenant vos coordonnées")
                    });
                }
                if *remarketing {
                    ways.push(if en {
                        format!("shows you ads on {p} from your visits to its site or app")
                    } else {
                        format!(
                            "vous montre des publicités sur {p} d’après vos visites sur son site \
                             ou son application"
                        )
                    });
                }
                if *store_visit {
                    ways.push(if en {
                        format!("shows you ads on {p} after a visit to one of its shops")
                    } else {
                        format!("vous montre des publicités sur {p} après une visite en magasin")
                    });
                }
                if ways.is_empty() {
                    ways.push(if en {
                        format!("uses your activity or information to show you ads on {p}")
                    } else {
                        format!(
                            "utilise votre activité ou vos informations pour vous montrer des \
                             publicités sur {p}"
                        )
                    });
                }
                ways.join(if en { "; " } else { " ; " })
            }
            (EvidenceKind::ActivityFromElsewhere { events, first, .. }, Lang::En) => format!(
                "sent {p} {} of your activity on its site or app{}",
                count(*events, "record", "records"),
                since(*first, lang)
            ),
            (EvidenceKind::ActivityFromElsewhere { events, first, .. }, Lang::Fr) => format!(
                "a transmis à {p} {} de votre activité sur son site ou son application{}",
                count(*events, "trace", "traces"),
                since(*first, lang)
            ),
            (
                EvidenceKind::ProductActivity {
                    product,
                    items,
                    first,
                    ..
                },
                Lang::En,
            ) => format!(
                "keeps {} of your activity in {product}{}",
                count(*items, "record", "records"),
                since(*first, lang)
            ),
            (
                EvidenceKind::ProductActivity {
                    product,
                    items,
                    first,
                    ..
                },
                Lang::Fr,
            ) => format!(
                "conserve {} de votre activité dans {product}{}",
                count(*items, "trace", "traces"),
                since(*first, lang)
            ),
            (EvidenceKind::AdClicks { clicks, first, .. }, Lang::En) => format!(
                "received {} from you through ads shown by {p}{}",
                count(*clicks, "visit", "visits"),
                since(*first, lang)
            ),
            (EvidenceKind::AdClicks { clicks, first, .. }, Lang::Fr) => format!(
                "a reçu {} de votre part par des publicités de {p}{}",
                count(*clicks, "visite", "visites"),
                since(*first, lang)
            ),
        }
    }
}

/// The part of an archive a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// A Google My Activity file (one product).
    MyActivity,
    /// Advertisers using the resident's activity or information (or, in old
    /// archives, advertisers who uploaded a contact list).
    Advertisers,
    /// Activity off Facebook / off Meta technologies.
    OffPlatform,
}

impl Section {
    pub fn describe(self) -> &'static str {
        match self {
            Section::MyActivity => "My Activity",
            Section::Advertisers => "advertisers using your activity or information",
            Section::OffPlatform => "activity off Meta technologies",
        }
    }
}

/// One file evidence was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    /// Its path inside the archive.
    pub path: String,
    pub section: Section,
    /// Records read (activity items, advertisers, organisations).
    pub items: u64,
    /// Records left out: not an object, no name, no readable time.
    pub skipped: u64,
}

/// What the reader went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files in the archive (folders left out).
    pub entries: u64,
    /// Files opened to look at their content (JSON and HTML).
    pub opened: u64,
    /// Files read as evidence.
    pub read: u64,
    /// Records read from them.
    pub items: u64,
    /// Records left out (see [`FileRead::skipped`]).
    pub skipped_items: u64,
    /// Bytes decompressed, all files together.
    pub decompressed: u64,
    /// Files read as evidence but not listed in [`Archive::files`] (past
    /// [`crate::Limits::files_listed`]).
    pub files_not_listed: u64,
}

/// Something a resident should know about an archive that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Some activity was in HTML pages, which are not read: `pages` of them
    /// were seen (the sniffing stops at [`crate::Limits::html_pages`]).
    HtmlParts { pages: u64 },
    /// The archive was recognised but holds no file that names organisations.
    NothingFound,
    /// More organisations than [`crate::Limits::evidence`]: `dropped` records
    /// naming others were counted, not kept.
    OverCap { dropped: u64 },
}

impl Note {
    /// The note for a resident, a whole sentence.
    pub fn sentence(&self, platform: Platform, lang: Lang) -> String {
        let archive = platform.archive_name();
        match (self, lang) {
            (Note::HtmlParts { pages }, Lang::En) => format!(
                "This archive also holds activity as web pages (HTML), which were not read \
                 ({} seen): ask for it again in JSON to see it here.",
                count(*pages, "page", "pages")
            ),
            (Note::HtmlParts { pages }, Lang::Fr) => format!(
                "Cette archive contient aussi de l’activité en pages web (HTML), qui n’ont pas \
                 été lues ({} vues) : redemandez-la au format JSON pour la voir ici.",
                count(*pages, "page", "pages")
            ),
            (Note::NothingFound, Lang::En) => match platform {
                Platform::Google => format!(
                    "This {archive} archive holds no “My Activity” in JSON: include My Activity \
                     when you ask for your data."
                ),
                _ => format!(
                    "This {archive} archive names no advertiser: include “Ads information” and \
                     “Apps and websites off of {}” when you ask for your data.",
                    platform.name()
                ),
            },
            (Note::NothingFound, Lang::Fr) => match platform {
                Platform::Google => format!(
                    "Cette archive {archive} ne contient pas « Mon activité » en JSON : incluez \
                     Mon activité quand vous demandez vos données."
                ),
                _ => format!(
                    "Cette archive {archive} ne nomme aucun annonceur : incluez « Informations \
                     sur les publicités » et « Applications et sites web hors de {} » quand vous \
                     demandez vos données.",
                    platform.name()
                ),
            },
            (Note::OverCap { dropped }, Lang::En) => format!(
                "This archive names more organisations than selfdata keeps from one archive; \
                 {} about the others were left out.",
                count(*dropped, "record", "records")
            ),
            (Note::OverCap { dropped }, Lang::Fr) => format!(
                "Cette archive nomme plus d’organisations que selfdata n’en garde d’une archive ; \
                 {} concernant les autres ont été laissées de côté.",
                count(*dropped, "trace", "traces")
            ),
        }
    }
}

/// An archive read: which platform's, who holds data on the resident, and
/// what was read and left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub platform: Platform,
    /// Sorted by organisation key ([`crate::key`]), then name, platform and kind.
    pub evidence: Vec<Evidence>,
    /// The files evidence was read from, in the archive's order.
    pub files: Vec<FileRead>,
    pub tally: Tally,
    pub notes: Vec<Note>,
}
