//! The budget service over a pod: what it takes in from bank statements
//! (its [`Intake`], run by the shared import pipeline for every way a file
//! arrives), the rebuild of its derived index, and the cached [`Book`] that
//! answers the API and the pages.
//!
//! A merge reads the pod's accounts, balances and the index entries of the
//! years the statement touches, and plans for the pipeline's one batch: the
//! merged transactions CSV of each account and year touched (with its index
//! entry), `accounts.csv` when an account is new, `balances.csv` when a
//! balance is, the CSVW metadata, and the bank's source description.
//! Importing the same or an overlapping statement again writes nothing
//! when nothing is new. A statement for an account the pod does not know
//! opens it (and says so): it is never kept apart, since a resident has
//! several accounts and each is its own series.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use jiff::Timestamp;
use parking_lot::Mutex;
use selfdata_budget::accounts::{self, Account};
use selfdata_budget::book::{self, Book, Stated};
use selfdata_budget::categorise::{self, Scope};
use selfdata_budget::describe::{
    self, ACCOUNTS, COUNT_PREFIX, FileKey, INDEX_PREFIX, TRANSACTIONS,
};
use selfdata_budget::ledger::{self, Entry};
use selfdata_budget::rules::{self, Correction};
use selfdata_budget::{Holder, Parsed, import};
use selfdata_service::put_file as put;
use selfdata_service::{
    Accepts, ImportFailure, Intake, Original, Pipeline, Plan, Summary, Told, Upload,
};
use selfdata_site::{Lang, fill};
use selfdata_sources::describe::Held;
use selfdata_store::{Backend, PodName, ResourcePath, StoreError, Write};

use crate::texts::Texts;

/// Where the balances the banks stated are kept.
pub const BALANCES: &str = "selfdata/budget/balances.csv";
/// The resident's own categorisation rules (and those learned from them).
pub const RULES: &str = "selfdata/budget/rules.csv";
/// The category tree, written at the first import for the resident to read.
pub const CATEGORIES: &str = "selfdata/budget/categories.csv";
/// The resident's choice of category for single transactions.
pub const CORRECTIONS: &str = "selfdata/budget/corrections.csv";
/// The container of everything the service writes (other than sources).
pub const BUDGET: &str = "selfdata/budget/";

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Damaged(String),
}

impl From<BudgetError> for ImportFailure {
    fn from(e: BudgetError) -> Self {
        match e {
            BudgetError::Store(e) => ImportFailure::Store(e),
            BudgetError::Damaged(d) => ImportFailure::Damaged(d),
        }
    }
}

/// Media types a statement may arrive with.
pub const STATEMENT_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "application/octet-stream",
    "application/vnd.ms-excel",
    "application/x-ofx",
    "application/ofx",
    "application/vnd.intu.qfx",
    "application/qif",
    "application/x-qif",
    "application/xml",
    "text/xml",
];

/// The book of a pod with the versions it was built from.
type Cached = (u64, u64, Arc<Book>);

/// The service, shared by the HTTP handlers, the pipeline and the command line.
pub struct Budget {
    store: Arc<dyn Backend>,
    base_url: String,
    books: Mutex<HashMap<PodName, Cached>>,
    /// Imports and reindexing take the same per-pod lock. Weak: the
    /// pipeline holds this service as one of its intakes.
    pipeline: Weak<Pipeline>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget").finish_non_exhaustive()
    }
}

fn path(p: &str) -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(&format!(
        "/{}",
        p.trim_start_matches('/')
    ))?)
}

fn damaged(what: &str, e: impl std::fmt::Display) -> BudgetError {
    BudgetError::Damaged(format!(
        "{what} cannot be read back ({e}); correct it or run `selfdata reindex`"
    ))
}

/// Midnight in Paris starting `d`, as an instant.
fn start_of(d: jiff::civil::Date) -> Option<Timestamp> {
    selfdata_sources::time::paris()
        .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
        .ok()
}

impl Accepts for Budget {
    fn service(&self) -> &'static str {
        "budget"
    }

    fn media_types(&self) -> &'static [&'static str] {
        STATEMENT_TYPES
    }

    fn recognises(&self, file: &Upload) -> bool {
        let judged = file.judged();
        import::importers()
            .iter()
            .any(|i| selfdata_sources::Importer::detect(*i, &judged))
    }

    fn expected(&self) -> Vec<&'static selfdata_sources::Expected> {
        selfdata_sources::contract::expected_of(&import::importers())
    }
}

#[async_trait::async_trait]
impl Intake for Budget {
    type Parsed = Parsed;

    fn parse(file: &Upload) -> Result<Parsed, selfdata_sources::Refusal> {
        import::import(&file.whole_or_refusal()?)
    }

    fn original(&self, parsed: &Parsed, file: &Upload) -> Result<Original, ImportFailure> {
        let days = parsed
            .statements
            .iter()
            .flat_map(|s| &s.transactions)
            .map(|t| t.date);
        let first = days.clone().min().and_then(start_of);
        let last = days
            .max()
            .and_then(|d| d.tomorrow().ok())
            .and_then(start_of);
        let name = selfdata_sources::raw::raw_file_name(
            first,
            last,
            &file.sha256(),
            parsed.layout.extension(),
        );
        let container = format!("selfdata/sources/{}/", parsed.holder.slug);
        Ok(Original::new(
            path(&format!("{container}raw/{name}"))?,
            path(&format!("{container}apart/{name}"))?,
            parsed.layout.media_type(),
        ))
    }

    async fn merge(
        &self,
        pod: &PodName,
        parsed: Parsed,
        original: &Original,
        _confirmed: bool,
    ) -> Result<Plan, ImportFailure> {
        Ok(self.plan(pod, parsed, original).await?)
    }

    fn written(&self, pod: &PodName) {
        self.books.lock().remove(pod);
    }
}

/// What one import did to one account.
struct AccountResult {
    id: String,
    name: String,
    new: bool,
    added: usize,
}

impl Budget {
    pub fn new(store: Arc<dyn Backend>, base_url: &str, pipeline: &Arc<Pipeline>) -> Self {
        Self {
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
            books: Mutex::new(HashMap::new()),
            pipeline: Arc::downgrade(pipeline),
        }
    }

    async fn read(&self, pod: &PodName, p: &str) -> Result<Option<Bytes>, BudgetError> {
        Ok(self.store.get(pod, &path(p)?).await?.map(|(_, b)| b))
    }

    /// The accounts the pod knows.
    pub async fn accounts(&self, pod: &PodName) -> Result<Vec<Account>, BudgetError> {
        match self.read(pod, ACCOUNTS).await? {
            Some(b) => accounts::from_csv(&b).map_err(|e| damaged(ACCOUNTS, e)),
            None => Ok(Vec::new()),
        }
    }

    async fn balances(&self, pod: &PodName) -> Result<Vec<Stated>, BudgetError> {
        match self.read(pod, BALANCES).await? {
            Some(b) => book::balances_from_csv(&b).map_err(|e| damaged(BALANCES, e)),
            None => Ok(Vec::new()),
        }
    }

    /// How many transactions each file holds, from the derived index.
    async fn counts(&self, pod: &PodName) -> Result<BTreeMap<FileKey, usize>, BudgetError> {
        let mut out = BTreeMap::new();
        for (key, value) in self.store.index_scan(pod, COUNT_PREFIX).await? {
            let n = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.parse().ok());
            match (FileKey::from_count_key(&key), n) {
                (Some(k), Some(n)) => {
                    out.insert(k, n);
                }
                _ => return Err(damaged(&key, "not a count")),
            }
        }
        Ok(out)
    }

    /// One account's year from the derived index.
    async fn load_file(&self, pod: &PodName, key: &FileKey) -> Result<Vec<Entry>, BudgetError> {
        match self.store.index_get(pod, &key.index_key()).await? {
            Some(v) => ledger::from_csv(&v).map_err(|e| damaged(&key.index_key(), e)),
            None => Ok(Vec::new()),
        }
    }

    /// Plans merging a parsed statement file into the pod (see the module's documentation).
    async fn plan(
        &self,
        pod: &PodName,
        parsed: Parsed,
        original: &Original,
    ) -> Result<Plan, BudgetError> {
        let mut accounts = self.accounts(pod).await?;
        let mut balances = self.balances(pod).await?;
        let known_before = accounts.len();
        let mut files: BTreeMap<FileKey, Vec<Entry>> = BTreeMap::new();
        let mut touched = BTreeSet::new();
        let mut results: Vec<AccountResult> = Vec::new();
        let mut balances_changed = false;
        let (mut first, mut last) = (None, None);
        for statement in &parsed.statements {
            let (i, new) =
                accounts::find_or_open(&mut accounts, &parsed.holder, &statement.account);
            let id = accounts[i].id.clone();
            let mut by_year: BTreeMap<FileKey, Vec<Entry>> = BTreeMap::new();
            for e in ledger::entries(&statement.transactions) {
                first = first.min(Some(e.date)).or(Some(e.date));
                last = last.max(Some(e.date));
                by_year.entry(FileKey::of(&id, e.date)).or_default().push(e);
            }
            let mut added = 0;
            for (key, incoming) in by_year {
                if !files.contains_key(&key) {
                    let existing = self.load_file(pod, &key).await?;
                    files.insert(key.clone(), existing);
                }
                let existing = &files[&key];
                let (merged, n) = ledger::merge(existing, &incoming);
                if n > 0 {
                    added += n;
                    touched.insert(key.clone());
                    files.insert(key, merged);
                }
            }
            balances_changed |= book::add_balances(&mut balances, &id, &statement.balances);
            match results.iter_mut().find(|r| r.id == id) {
                Some(r) => r.added += added,
                None => results.push(AccountResult {
                    name: accounts[i].name(),
                    id,
                    new,
                    added,
                }),
            }
        }
        let mut writes = Vec::new();
        // How many transactions each file holds, this import's files included.
        let mut counts = self.counts(pod).await?;
        for key in &touched {
            let csv = ledger::to_csv(&files[key]);
            writes.push(put(&key.path(), "text/csv", csv.clone())?);
            writes.extend(index_writes(key, csv, files[key].len()));
            counts.insert(key.clone(), files[key].len());
        }
        if !touched.is_empty() {
            let keys: Vec<FileKey> = counts.keys().cloned().collect();
            writes.push(put(
                &format!("{TRANSACTIONS}csv-metadata.json"),
                "application/csvm+json",
                describe::csvw_metadata(&keys),
            )?);
        }
        if accounts.len() > known_before {
            writes.push(put(ACCOUNTS, "text/csv", accounts::to_csv(&accounts))?);
        }
        if balances_changed {
            writes.push(put(BALANCES, "text/csv", book::balances_to_csv(&balances))?);
        }
        if known_before == 0 && !accounts.is_empty() {
            // The categories, as a document the resident owns beside their rules.
            writes.push(put(
                CATEGORIES,
                "text/csv",
                selfdata_budget::category::tree_to_csv(),
            )?);
        }
        if !writes.is_empty() || original.is_new {
            let period = first
                .and_then(start_of)
                .zip(last.and_then(|d| d.tomorrow().ok()).and_then(start_of));
            writes.push(
                self.source_description(
                    pod,
                    &parsed.holder,
                    &accounts,
                    original.raw.as_str(),
                    period,
                    &counts,
                )
                .await?,
            );
        }
        let changed: usize = results.iter().map(|r| r.added).sum();
        let tell = |lang: Lang| told(lang.words(), parsed.rows, changed, &results);
        let mut details = serde_json::Map::new();
        details.insert(
            "accounts".into(),
            results
                .iter()
                .map(|r| serde_json::json!({"account": r.id, "name": r.name, "new": r.new, "added": r.added}))
                .collect::<Vec<_>>()
                .into(),
        );
        details.insert(
            "notes".into(),
            parsed
                .notes
                .iter()
                .map(|n| n.en.clone())
                .collect::<Vec<_>>()
                .into(),
        );
        let more = |lang: Lang| {
            let t: &Texts = lang.words();
            let mut s = parsed.layout.describe().to_owned();
            if let (Some(a), Some(b)) = (first, last) {
                s.push_str(&format!(" · {} – {}", t.date(a), t.date(b)));
            }
            for n in &parsed.notes {
                s.push_str(" · ");
                s.push_str(if lang == Lang::Fr { &n.fr } else { &n.en });
            }
            s
        };
        Ok(Plan::Merge {
            writes,
            summary: Box::new(Summary {
                service: "budget",
                layout: parsed.layout.describe().to_owned(),
                holder: parsed.holder.name.clone(),
                readings: parsed.rows,
                changed,
                first: first.and_then(start_of).map(|t| t.to_string()),
                last: last
                    .and_then(|d| d.tomorrow().ok())
                    .and_then(start_of)
                    .map(|t| t.to_string()),
                days_missing: 0,
                original: String::new(),
                new_original: false,
                partial: None,
                details,
                told: Told::new(tell(Lang::Fr), tell(Lang::En)),
                told_more: Some(Told::new(more(Lang::Fr), more(Lang::En))),
                link: Some("/app/budget".to_owned()),
            }),
        })
    }

    /// The bank's source description: its accounts, the originals kept and
    /// the transactions files derived from them.
    async fn source_description(
        &self,
        pod: &PodName,
        holder: &Holder,
        accounts: &[Account],
        new_original: &str,
        period: Option<(Timestamp, Timestamp)>,
        counts: &BTreeMap<FileKey, usize>,
    ) -> Result<Write, BudgetError> {
        let base = format!("{}/{}/", self.base_url, pod);
        let period =
            selfdata_service::held_period(&*self.store, pod, &base, &holder.slug, period).await?;
        let originals =
            selfdata_service::kept_originals(&*self.store, pod, &holder.slug, new_original).await?;
        let mine: Vec<String> = accounts
            .iter()
            .filter(|a| a.holder.slug == holder.slug)
            .map(|a| a.id.clone())
            .collect();
        let of_mine = counts.iter().filter(|(k, _)| mine.contains(&k.account));
        let normalised: Vec<String> = of_mine.clone().map(|(k, _)| k.path()).collect();
        let transactions = of_mine.map(|(_, n)| n).sum();
        let held = Held {
            meter: None,
            accounts: &mine,
            first: period.map(|p| p.0),
            last: period.map(|p| p.1),
            readings: transactions,
            updated: Timestamp::now(),
            originals: &originals,
            normalised: &normalised,
        };
        let turtle = describe::source_description(&base, holder, held)
            .map_err(|e| BudgetError::Damaged(format!("the source description: {e}")))?;
        Ok(put(&describe::about_path(holder), "text/turtle", turtle)?)
    }

    /// The pod's money, rebuilt only when its files changed since the last call.
    pub async fn book(&self, pod: &PodName) -> Result<Arc<Book>, BudgetError> {
        let version = |p: &'static str| async move {
            Ok::<u64, BudgetError>(
                self.store
                    .meta(pod, &path(p)?)
                    .await?
                    .map(|m| m.version)
                    .unwrap_or(0),
            )
        };
        let (data, docs) = (version(TRANSACTIONS).await?, version(BUDGET).await?);
        if let Some((d, v, book)) = self.books.lock().get(pod)
            && (*d, *v) == (data, docs)
        {
            return Ok(book.clone());
        }
        let accounts = self.accounts(pod).await?;
        let balances = self.balances(pod).await?;
        let mut per_account: Vec<(String, Vec<Entry>)> = Vec::new();
        for (key, value) in self.store.index_scan(pod, INDEX_PREFIX).await? {
            let file = FileKey::from_index_key(&key)
                .ok_or_else(|| damaged(&key, "not an account and year"))?;
            let entries = ledger::from_csv(&value).map_err(|e| damaged(&key, e))?;
            per_account.push((file.account, entries));
        }
        let rules = match self.read(pod, RULES).await? {
            Some(b) => rules::rules_from_csv(&b).map_err(|e| damaged(RULES, e))?,
            None => Vec::new(),
        };
        let corrections = match self.read(pod, CORRECTIONS).await? {
            Some(b) => rules::corrections_from_csv(&b).map_err(|e| damaged(CORRECTIONS, e))?,
            None => Vec::new(),
        };
        let book = Arc::new(
            tokio::task::spawn_blocking(move || {
                Book::new(accounts, per_account, balances, rules, corrections)
            })
            .await
            .map_err(|e| BudgetError::Damaged(e.to_string()))?,
        );
        self.books
            .lock()
            .insert(pod.clone(), (data, docs, book.clone()));
        Ok(book)
    }

    /// Rebuilds the derived index of `pod` from its transactions CSVs;
    /// returns how many transactions it holds.
    pub async fn reindex(&self, pod: &PodName) -> Result<usize, BudgetError> {
        let pipeline = self
            .pipeline
            .upgrade()
            .ok_or_else(|| BudgetError::Damaged("the server is stopping".into()))?;
        let mut turn = pipeline.turn(pod).await?;
        let mut writes = Vec::new();
        for (key, _) in self.store.index_scan(pod, "budget/").await? {
            writes.push(Write::Index { key, value: None });
        }
        let members = match self.store.members(pod, &path(TRANSACTIONS)?).await {
            Ok(m) => m,
            Err(StoreError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut count = 0;
        for m in members {
            let name = m.path.as_str().rsplit('/').next().unwrap_or("");
            let Some(key) = FileKey::from_file_name(name) else {
                continue;
            };
            let Some((_, body)) = self.store.get(pod, &m.path).await? else {
                continue;
            };
            let entries = ledger::from_csv(&body).map_err(|e| damaged(m.path.as_str(), e))?;
            count += entries.len();
            writes.extend(index_writes(&key, ledger::to_csv(&entries), entries.len()));
        }
        if !writes.is_empty() {
            pipeline.commit(&mut turn, writes).await?;
        }
        self.books.lock().remove(pod);
        Ok(count)
    }

    /// The resident puts one transaction in `category` (`scope` One), or
    /// every transaction of its payee (`scope` Payee, a learned rule): the
    /// correction and the rules are written in one batch under the pod's
    /// lock. Returns how many transactions the learned rule takes (1 for
    /// `One`), or `None` when no transaction is known by `key`.
    pub async fn correct(
        &self,
        pod: &PodName,
        key: &RowKey,
        category: &'static str,
        scope: Scope,
    ) -> Result<Option<usize>, BudgetError> {
        let pipeline = self
            .pipeline
            .upgrade()
            .ok_or_else(|| BudgetError::Damaged("the server is stopping".into()))?;
        let mut turn = pipeline.turn(pod).await?;
        let book = self.book(pod).await?;
        let Some(i) = book.rows.iter().position(|r| key.is(&book, r)) else {
            return Ok(None);
        };
        let view = book.tx_view(i);
        let (correction, rule) = categorise::learn(&view, category, scope, Timestamp::now());
        let mut corrections: Vec<Correction> = book
            .corrections
            .iter()
            .filter(|c| {
                !(c.account == correction.account
                    && c.date == correction.date
                    && c.amount == correction.amount
                    && c.seq == correction.seq
                    && c.label == correction.label)
            })
            .cloned()
            .collect();
        corrections.push(correction);
        let mut writes = vec![put(
            CORRECTIONS,
            "text/csv",
            rules::corrections_to_csv(&corrections),
        )?];
        let mut taken = 1;
        if let Some(rule) = rule {
            taken = (0..book.rows.len())
                .filter(|&j| categorise::applies(&rule, &book.tx_view(j)))
                .count()
                .max(1);
            let rules = categorise::keep_learned(&book.rules, &corrections, &view, rule);
            writes.push(put(RULES, "text/csv", rules::rules_to_csv(&rules))?);
        }
        pipeline.commit(&mut turn, writes).await?;
        self.books.lock().remove(pod);
        Ok(Some(taken))
    }

    /// Forgets what is cached about a pod (it was erased).
    pub fn forget_pod(&self, pod: &PodName) {
        self.books.lock().remove(pod);
    }
}

/// The index entries of one file: its rows, and how many they are.
fn index_writes(key: &FileKey, csv: Vec<u8>, rows: usize) -> [Write; 2] {
    [
        Write::Index {
            key: key.index_key(),
            value: Some(Bytes::from(csv)),
        },
        Write::Index {
            key: key.count_key(),
            value: Some(Bytes::from(rows.to_string())),
        },
    ]
}

/// A transaction as a form names it: its account, day, amount, rank among
/// identical ones that day, and label.
#[derive(Debug, Clone)]
pub struct RowKey {
    pub account: String,
    pub date: jiff::civil::Date,
    /// Cents.
    pub amount: i64,
    pub seq: u32,
    pub label: String,
}

impl RowKey {
    /// The key of a book's row.
    pub fn of(book: &Book, r: &book::Row) -> RowKey {
        RowKey {
            account: book.accounts[r.account].id.clone(),
            date: r.entry.date,
            amount: r.entry.amount,
            seq: r.entry.seq,
            label: r.entry.label.clone(),
        }
    }

    fn is(&self, book: &Book, r: &book::Row) -> bool {
        r.entry.date == self.date
            && r.entry.amount == self.amount
            && r.entry.seq == self.seq
            && r.entry.label == self.label
            && book.accounts[r.account].id == self.account
    }
}

/// What the resident reads about an imported statement.
fn told(t: &Texts, rows: usize, changed: usize, results: &[AccountResult]) -> String {
    let n = selfdata_site::count(rows as u64, Lang::parse(t.lang).unwrap_or_default());
    let mut s = if changed == 0 {
        fill(t.unchanged, &[("n", &n)])
    } else {
        let added = selfdata_site::count(changed as u64, Lang::parse(t.lang).unwrap_or_default());
        fill(t.imported, &[("n", &n), ("added", &added)])
    };
    for r in results.iter().filter(|r| r.new) {
        s.push_str(if t.lang == "fr" { "\u{a0}; " } else { "; " });
        s.push_str(&fill(t.new_account, &[("name", &r.name)]));
    }
    s
}
