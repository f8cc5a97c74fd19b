//! The listing index: every available item held in memory, so the listings neighbours browse
//! (the home page, a 동네 radius, a category, search words, a price range, any sort, a viewer's
//! blocks) are answered without SQL. A listing through SQL costs about 1.3 ms of CPU on this
//! machine kind, most of it SQLite's row lookups and the hand-off to its worker thread; here it is
//! a walk over a few arrays (BENCHMARKS.md, issue #16).
//!
//! A snapshot answers exactly what `store::list` would, for the listings it serves
//! ([`serves`]): the same matches (substring words in the title or description, every word,
//! wildcards literal), the same orders with the same ties (id, newest first), the same capped
//! count and blocked matches.
//!
//! When it may answer: only while made under the current content generation, so after a write on
//! this instance listings go to SQL until the index is refreshed. A refresh first reads the
//! database's catalog version (`catalog_version`, moved by triggers on every change to what
//! listings show, by any process): unchanged, the snapshot is kept and only re-dated; changed, it
//! is rebuilt from one statement, off the async runtime. A snapshot is re-checked once it is
//! `TTL_MS` old (it keeps answering meanwhile), which bounds what other instances' and the CLI's
//! changes take to show, as for cached pages. Refreshes run one at a time, in the background,
//! spaced by twice the last one's duration.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::model::{has_words, ItemRow, ListQuery, Section, Sort, StatusFilter, COUNT_UP_TO};

/// How long a snapshot answers before its version is checked again (as long as a cached page
/// lives).
pub const TTL_MS: i64 = super::cache::TTL_MS;
/// Refreshes start at most this often, and no sooner than twice the last one's duration after it,
/// so writes arriving all the time cost the index at most a third of a core.
const MIN_GAP: Duration = Duration::from_millis(250);
/// Items a listing may test one-character words on (about 0.1 µs each) before it goes to SQL.
pub const SHORT_WORD_TESTS: usize = 5_000;

/// What the index answers: available items, not one owner's (their index is small), not
/// filtered by the owners' 동네 verification (which changes without an item write).
pub fn serves(q: &ListQuery) -> bool {
    q.status == StatusFilter::Available && q.owner_id.is_none() && q.verified_since.is_none()
}

struct Entry {
    /// The listing's row, without its description (pages carry none).
    row: ItemRow,
    /// Lowercased, for words.
    title: Box<str>,
    description: Box<str>,
}

/// What filters test, packed apart from the rows: a walk reads 32 bytes per item, not a row's
/// scattered strings.
#[derive(Clone, Copy)]
struct Key {
    category: i64,
    owner: i64,
    /// `i64::MIN` when the item has no price (no range includes it).
    price: i64,
    region: u32,
    section: Section,
}

/// The orders other than newest first (which is the entries' own order).
#[derive(Clone, Copy)]
enum Order {
    Popular = 0,
    PriceAsc = 1,
    PriceDesc = 2,
}

impl Order {
    fn of(sort: Sort) -> Option<Order> {
        match sort {
            Sort::Recent => None,
            Sort::Popular => Some(Order::Popular),
            Sort::PriceAsc => Some(Order::PriceAsc),
            Sort::PriceDesc => Some(Order::PriceDesc),
        }
    }
}

/// The available items at one moment, with their orders and inverted lists.
pub struct Snapshot {
    /// The content generation it answers for (moved on when a refresh finds nothing changed).
    generation: AtomicU64,
    /// The database's catalog version its rows were read at or after.
    version: i64,
    /// When its version was last found current.
    checked_at: AtomicI64,
    /// Newest first (id descending): a position in this list is an item's number everywhere else.
    entries: Vec<Entry>,
    keys: Vec<Key>,
    /// Positions in each `Order`, with the SQL order's ties (id descending).
    orders: [Vec<u32>; 3],
    /// Per position, its place in each `Order`.
    ranks: Vec<[u32; 3]>,
    categories: HashMap<i64, Vec<u32>>,
    region_numbers: HashMap<String, u32>,
    /// Per region number, its items' positions (ascending).
    regions: Vec<Vec<u32>>,
    owners: HashMap<i64, Vec<u32>>,
    /// Per pair of characters inside a word of the title or description, the items having it.
    grams: HashMap<u64, Vec<u32>>,
}

/// A page as the index finds it, in `store::Listed`'s terms.
pub struct Found {
    pub rows: Vec<ItemRow>,
    /// The open listing's matches, counted up to `COUNT_UP_TO + 1`.
    pub matched: i64,
    /// The viewer's blocked owners' items among all matches.
    pub blocked: i64,
}

fn gram(a: char, b: char) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// The character pairs of `text` as the database's bigram index has them (`db::char_pairs`).
fn grams_of(text: &str, out: &mut Vec<u64>) {
    out.extend(crate::db::char_pairs(text).map(|(a, b)| gram(a, b)));
}

fn popularity(r: &ItemRow) -> i64 {
    r.bookmark_count + r.chat_count
}

impl Snapshot {
    /// Builds a snapshot of `rows` (the available items, with descriptions), read after
    /// `generation` was current and `version` was read at `now`. CPU-bound: run it off the async
    /// runtime.
    pub fn build(mut rows: Vec<ItemRow>, generation: u64, version: i64, now: i64) -> Snapshot {
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.id));
        let n = rows.len();
        let mut entries = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        let mut categories: HashMap<i64, Vec<u32>> = HashMap::new();
        let mut region_numbers: HashMap<String, u32> = HashMap::new();
        let mut regions: Vec<Vec<u32>> = Vec::new();
        let mut owners: HashMap<i64, Vec<u32>> = HashMap::new();
        let mut grams: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut mine = Vec::new();
        for (pos, mut row) in rows.into_iter().enumerate() {
            let pos = pos as u32;
            let title = row.title.to_lowercase();
            let description = std::mem::take(&mut row.description).to_lowercase();
            mine.clear();
            grams_of(&title, &mut mine);
            grams_of(&description, &mut mine);
            mine.sort_unstable();
            mine.dedup();
            for g in &mine {
                grams.entry(*g).or_default().push(pos);
            }
            let region = match region_numbers.get(&row.region_code) {
                Some(r) => *r,
                None => {
                    let r = regions.len() as u32;
                    region_numbers.insert(row.region_code.clone(), r);
                    regions.push(Vec::new());
                    r
                }
            };
            regions[region as usize].push(pos);
            categories.entry(row.category_id).or_default().push(pos);
            owners.entry(row.owner_id).or_default().push(pos);
            keys.push(Key {
                category: row.category_id,
                owner: row.owner_id,
                price: row.price.unwrap_or(i64::MIN),
                region,
                section: Section::parse(&row.section),
            });
            entries.push(Entry {
                title: title.into(),
                description: description.into(),
                row,
            });
        }
        // Stable sorts of positions (already newest first) keep SQL's last term, `id DESC`.
        let all: Vec<u32> = (0..n as u32).collect();
        let by = |key: &dyn Fn(&ItemRow) -> (bool, i64)| {
            let mut order = all.clone();
            order.sort_by_key(|p| key(&entries[*p as usize].row));
            order
        };
        let orders = [
            by(&|r| (false, -popularity(r))),
            // `(price IS NULL), price ASC`: items without a price last.
            by(&|r| (r.price.is_none(), r.price.unwrap_or(0))),
            by(&|r| (r.price.is_none(), -r.price.unwrap_or(0))),
        ];
        let mut ranks = vec![[0u32; 3]; n];
        for (k, order) in orders.iter().enumerate() {
            for (rank, p) in order.iter().enumerate() {
                ranks[*p as usize][k] = rank as u32;
            }
        }
        Snapshot {
            generation: AtomicU64::new(generation),
            version,
            checked_at: AtomicI64::new(now),
            entries,
            keys,
            orders,
            ranks,
            categories,
            region_numbers,
            regions,
            owners,
            grams,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    /// Nothing listings show has changed since it was made (the database's version is still its
    /// own, read after `generation` was current): it answers for `generation` from `now` on.
    pub fn confirm(&self, generation: u64, now: i64) {
        self.generation.fetch_max(generation, Ordering::AcqRel);
        self.checked_at.fetch_max(now, Ordering::AcqRel);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The page `store::list` would give for `q` (which the index must serve, see [`serves`]);
    /// `None` for a one-character word nothing narrows (see `SHORT_WORD_TESTS`).
    pub fn list(&self, q: &ListQuery) -> Option<Found> {
        let words: Vec<String> = q.words.iter().map(|w| w.to_lowercase()).collect();
        // A radius's codes or a 시군구's prefix, as a set of region numbers.
        let under = |code: &str| {
            q.region_prefix
                .as_ref()
                .is_none_or(|pre| code.starts_with(pre.as_str()))
        };
        let in_regions: Option<Vec<bool>> = match (&q.region_codes, &q.region_prefix) {
            (None, None) => None,
            (Some(codes), _) => {
                let mut set = vec![false; self.regions.len()];
                for code in codes.iter().filter(|c| under(c)) {
                    if let Some(r) = self.region_numbers.get(code) {
                        set[*r as usize] = true;
                    }
                }
                Some(set)
            }
            (None, Some(_)) => {
                let mut set = vec![false; self.regions.len()];
                for (code, r) in &self.region_numbers {
                    set[*r as usize] = under(code);
                }
                Some(set)
            }
        };
        let (offset, limit) = (q.offset.max(0) as usize, q.limit.max(0) as usize);
        let order = Order::of(q.sort);
        let n = self.entries.len();
        // Words of two characters or more: exactly the items having them all, from the pair
        // lists. One-character words have no pair and are checked on each candidate.
        let (long, short): (Vec<String>, Vec<String>) =
            words.into_iter().partition(|w| w.chars().count() >= 2);
        let with_words = (!long.is_empty()).then(|| self.with_words(&long));
        let candidates = match &with_words {
            Some(w) if w.is_empty() => Candidates::None,
            Some(w) => Candidates::Some(w.as_slice().into()),
            None => self.candidates(q, in_regions.as_deref()),
        };
        // A one-character word is a substring test per item it may match (filters are tested
        // first). Past `SHORT_WORD_TESTS` of them the listing goes to SQL, where the slow
        // family's permits and time limit hold it, rather than holding a runtime thread.
        let tested = match &candidates {
            Candidates::None => 0,
            Candidates::Some(c) => c.len(),
            Candidates::All => n,
        };
        if !short.is_empty() && tested > SHORT_WORD_TESTS {
            return None;
        }
        // Many of them in an order of their own: the sort's order is walked, testing each item
        // against them as a set.
        let in_words: Option<Vec<bool>> = with_words
            .as_ref()
            .filter(|w| order.is_some() && w.len().saturating_mul(8) > n)
            .map(|w| {
                let mut set = vec![false; n];
                for p in w {
                    set[*p as usize] = true;
                }
                set
            });
        let (min, max) = (q.min_price, q.max_price);
        let matches = |p: u32| {
            let k = &self.keys[p as usize];
            q.section.is_none_or(|s| k.section == s)
                && q.category_id.is_none_or(|c| k.category == c)
                && in_regions.as_ref().is_none_or(|set| set[k.region as usize])
                && min.is_none_or(|m| k.price != i64::MIN && k.price >= m)
                && max.is_none_or(|m| k.price != i64::MIN && k.price <= m)
                && in_words.as_ref().is_none_or(|set| set[p as usize])
                && (short.is_empty() || self.has_words(p, &short))
        };
        let blocked_owners: HashSet<i64> = q.exclude_owners.iter().copied().collect();
        let open = |p: u32| !blocked_owners.contains(&self.keys[p as usize].owner);
        let blocked = blocked_owners
            .iter()
            .filter_map(|o| self.owners.get(o))
            .flat_map(|ps| ps.iter())
            // `matches` leaves the words to the candidates when they give every match.
            .filter(|p| {
                matches(**p)
                    && with_words
                        .as_ref()
                        .is_none_or(|w| w.binary_search(p).is_ok())
            })
            .count() as i64;
        let walk_all = |order: Option<Order>| {
            let walk: Box<dyn Iterator<Item = u32>> = match order {
                None => Box::new(0..n as u32),
                Some(o) => Box::new(self.orders[o as usize].iter().copied()),
            };
            self.walk(walk, &matches, &open, offset, limit, blocked)
        };
        let mut all: Vec<u32> = match candidates {
            Candidates::None => Vec::new(),
            // Newest first is the candidates' own order: walk them as the whole list would be.
            Candidates::Some(c) if order.is_none() => {
                return Some(self.walk(c.iter().copied(), &matches, &open, offset, limit, blocked))
            }
            // Few candidates in another order: all their matches, then the page by rank.
            Candidates::Some(c) if c.len().saturating_mul(8) <= n => {
                c.iter().copied().filter(|p| matches(*p)).collect()
            }
            // Many: the sort's order finds a page and the capped count sooner.
            Candidates::Some(_) | Candidates::All => return Some(walk_all(order)),
        };
        let matched = (all.len() as i64).min(COUNT_UP_TO + 1);
        all.retain(|p| open(*p));
        let k = order.map(|o| o as usize).unwrap_or(0);
        let rank = |p: &u32| self.ranks[*p as usize][k];
        let end = offset.saturating_add(limit);
        if all.len() > end {
            all.select_nth_unstable_by_key(end, rank);
            all.truncate(end);
        }
        all.sort_unstable_by_key(rank);
        Some(Found {
            rows: all
                .iter()
                .skip(offset)
                .map(|p| self.entries[*p as usize].row.clone())
                .collect(),
            matched,
            blocked,
        })
    }

    fn has_words(&self, p: u32, words: &[String]) -> bool {
        let e = &self.entries[p as usize];
        has_words(words, &e.title, &e.description)
    }

    /// The items having every word (each of two characters or more), newest first: the
    /// intersection of their pairs' lists is exact for two-character words (a pair lies inside
    /// one whitespace-separated word of the text), and longer words are checked whole.
    fn with_words(&self, words: &[String]) -> Vec<u32> {
        let mut lists: Vec<&[u32]> = Vec::new();
        let mut pairs = Vec::new();
        for w in words {
            pairs.clear();
            grams_of(w, &mut pairs);
            for g in &pairs {
                match self.grams.get(g) {
                    Some(list) => lists.push(list),
                    None => return Vec::new(),
                }
            }
        }
        lists.sort_unstable_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return Vec::new();
        };
        let longer: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() > 2)
            .cloned()
            .collect();
        first
            .iter()
            .copied()
            .filter(|p| rest.iter().all(|l| l.binary_search(p).is_ok()))
            .filter(|p| longer.is_empty() || self.has_words(*p, &longer))
            .collect()
    }

    /// Walks `order`, taking the page of open matches and counting matches up to the cap.
    fn walk(
        &self,
        order: impl Iterator<Item = u32>,
        matches: &dyn Fn(u32) -> bool,
        open: &dyn Fn(u32) -> bool,
        offset: usize,
        limit: usize,
        blocked: i64,
    ) -> Found {
        let (mut matched, mut seen) = (0i64, 0usize);
        let mut rows = Vec::with_capacity(limit.min(100));
        for p in order {
            if !matches(p) {
                continue;
            }
            matched += 1;
            if open(p) {
                if seen >= offset && rows.len() < limit {
                    rows.push(self.entries[p as usize].row.clone());
                }
                seen += 1;
            }
            if matched > COUNT_UP_TO && rows.len() >= limit {
                break;
            }
        }
        Found {
            rows,
            matched,
            blocked,
        }
    }

    /// The smallest list that holds every match, when a category or a place gives one (words
    /// give theirs through `with_words`).
    fn candidates<'a>(&'a self, q: &ListQuery, in_regions: Option<&[bool]>) -> Candidates<'a> {
        let best: Option<&'a [u32]> = match q.category_id {
            Some(c) => match self.categories.get(&c) {
                Some(list) => Some(list),
                None => return Candidates::None,
            },
            None => None,
        };
        // A radius or a 시군구: its regions' items, merged into one list when that is smaller.
        let Some(set) = in_regions else {
            return best.map_or(Candidates::All, |b| Candidates::Some(b.into()));
        };
        let chosen: Vec<&Vec<u32>> = set
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(r, _)| &self.regions[r])
            .collect();
        let size: usize = chosen.iter().map(|l| l.len()).sum();
        if size == 0 {
            return Candidates::None;
        }
        if let Some(b) = best.filter(|b| b.len() <= size) {
            return Candidates::Some(b.into());
        }
        // Most of the items: merging and sorting them costs more than the walk skips.
        if size.saturating_mul(4) > self.entries.len() {
            return best.map_or(Candidates::All, |b| Candidates::Some(b.into()));
        }
        let mut merged: Vec<u32> = chosen.into_iter().flatten().copied().collect();
        merged.sort_unstable();
        Candidates::Some(merged.into())
    }
}

enum Candidates<'a> {
    /// Nothing can match.
    None,
    /// Every item may match: walk the sort's order.
    All,
    /// Every match is in this list (positions ascending, that is newest first).
    Some(std::borrow::Cow<'a, [u32]>),
}

/// The current snapshot and the rebuilds that replace it.
#[derive(Default)]
pub struct ListingIndex {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    building: AtomicBool,
    /// When the last rebuild ended and how long it took (ms), for spacing them.
    last_end: std::sync::Mutex<Option<(Instant, Duration)>>,
    /// Listings answered here, and those that went to SQL although the index serves them (a
    /// write since the last refresh, no snapshot yet, or a one-character word too wide).
    answered: AtomicU64,
    missed: AtomicU64,
}

/// What the index can do for a listing now.
pub struct Lookup {
    /// The snapshot, when it may answer.
    pub snapshot: Option<Arc<Snapshot>>,
    /// A new snapshot should be built.
    pub refresh: bool,
}

impl ListingIndex {
    /// The snapshot if it answers for `generation`, and whether a refresh is due (a write since,
    /// or its version not checked for `TTL_MS`).
    pub fn lookup(&self, generation: u64, now: i64) -> Lookup {
        let snapshot = self.current();
        match snapshot {
            Some(s) if s.generation.load(Ordering::Acquire) == generation => {
                let checked = s.checked_at.load(Ordering::Acquire);
                let refresh = now < checked || now - checked >= TTL_MS;
                Lookup {
                    snapshot: Some(s),
                    refresh: refresh && self.due(),
                }
            }
            _ => Lookup {
                snapshot: None,
                refresh: self.due(),
            },
        }
    }

    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// No refresh is running and the last one ended long enough ago.
    fn due(&self) -> bool {
        if self.building.load(Ordering::Acquire) {
            return false;
        }
        match self.last_end.lock().map(|l| *l) {
            Ok(Some((end, took))) => end.elapsed() >= MIN_GAP.max(took * 2),
            _ => true,
        }
    }

    /// Claims the one refresh allowed now: `None` when one is running or the last ended too
    /// recently. The refresh ends when the returned guard drops (whatever happened to it).
    pub fn begin(&self) -> Option<Refresh<'_>> {
        if !self.due() || self.building.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(Refresh {
            index: self,
            started: Instant::now(),
        })
    }

    /// Puts in `snapshot` unless a newer one is already in.
    fn put(&self, snapshot: Snapshot) {
        if let Ok(mut current) = self.snapshot.write() {
            let key = |s: &Snapshot| {
                (
                    s.generation.load(Ordering::Acquire),
                    s.checked_at.load(Ordering::Acquire),
                )
            };
            let newer = current.as_ref().is_some_and(|c| key(c) > key(&snapshot));
            if !newer {
                *current = Some(Arc::new(snapshot));
            }
        }
    }

    /// Counts a listing the index serves as answered here or gone to SQL.
    pub fn count(&self, answered: bool) {
        let counter = if answered {
            &self.answered
        } else {
            &self.missed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `(name, answered, went to SQL)` since start, for `/metrics` (as a cache's hits and misses).
    pub fn stats(&self, name: &'static str) -> (&'static str, u64, u64) {
        (
            name,
            self.answered.load(Ordering::Relaxed),
            self.missed.load(Ordering::Relaxed),
        )
    }
}

/// A refresh in progress (see [`ListingIndex::begin`]).
pub struct Refresh<'a> {
    index: &'a ListingIndex,
    started: Instant,
}

impl Refresh<'_> {
    pub fn finish(self, snapshot: Snapshot) {
        self.index.put(snapshot);
    }
}

impl Drop for Refresh<'_> {
    fn drop(&mut self) {
        if let Ok(mut last) = self.index.last_end.lock() {
            *last = Some((Instant::now(), self.started.elapsed()));
        }
        self.index.building.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, owner: i64, title: &str, price: Option<i64>, popularity: i64) -> ItemRow {
        ItemRow {
            id,
            owner_id: owner,
            section: "lend".into(),
            category_id: 1 + id % 2,
            category_slug: String::new(),
            category_name: String::new(),
            title: title.into(),
            description: "Coleman 캠핑 용품 100%".into(),
            price,
            price_unit: None,
            deposit: 0,
            region_code: format!("11440{}", 69000 + id % 3),
            hidden: 0,
            rented: 0,
            listed: 1,
            thumb_key: None,
            bookmark_count: popularity,
            chat_count: 0,
            view_count: 0,
            created_at: id,
            deleted_at: None,
            moderation: None,
            min_days: None,
            max_days: None,
        }
    }

    fn ids(f: &Found) -> Vec<i64> {
        f.rows.iter().map(|r| r.id).collect()
    }

    fn snapshot() -> Snapshot {
        let rows = vec![
            row(1, 10, "전동 드릴", Some(5000), 3),
            row(2, 11, "캠핑 의자", None, 3),
            row(3, 10, "드릴 비트 세트", Some(1000), 0),
            row(4, 12, "프로젝터", Some(5000), 7),
            row(5, 11, "100%_할인 텐트", Some(3000), 1),
        ];
        Snapshot::build(rows, 0, 0, 0)
    }

    fn query(f: impl FnOnce(&mut ListQuery)) -> ListQuery {
        let mut q = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };
        f(&mut q);
        q
    }

    #[test]
    fn sorts_break_ties_newest_first_and_put_unpriced_items_last() {
        let s = snapshot();
        assert_eq!(ids(&s.list(&query(|_| {})).unwrap()), [5, 4, 3, 2, 1]);
        let by = |sort| ids(&s.list(&query(|q| q.sort = sort)).unwrap());
        assert_eq!(by(Sort::Popular), [4, 2, 1, 5, 3]);
        assert_eq!(by(Sort::PriceAsc), [3, 5, 4, 1, 2]);
        assert_eq!(by(Sort::PriceDesc), [4, 1, 5, 3, 2]);
    }

    #[test]
    fn words_match_substrings_in_title_or_description_literally() {
        let s = snapshot();
        let find = |words: &[&str]| {
            let words = words.iter().map(|w| w.to_string()).collect();
            ids(&s.list(&query(|q| q.words = words)).unwrap())
        };
        assert_eq!(find(&["드릴"]), [3, 1]);
        assert_eq!(find(&["드릴", "비트"]), [3]);
        assert_eq!(find(&["coleman"]), [5, 4, 3, 2, 1], "case folds");
        assert_eq!(find(&["%_"]), [5], "wildcards are literal");
        assert_eq!(find(&["릴"]), [3, 1], "one character has no pair");
        assert!(find(&["드릴비트"]).is_empty(), "not across a space");
        assert!(find(&["없는말"]).is_empty());
    }

    #[test]
    fn pages_counts_and_blocks_are_those_of_the_sql() {
        let s = snapshot();
        let q = query(|q| {
            q.sort = Sort::PriceAsc;
            q.limit = 2;
            q.offset = 1;
            q.exclude_owners = Arc::from([10]);
        });
        let found = s.list(&q).unwrap();
        // Open matches by price: 5 (3000), 4 (5000), 2 (no price); owner 10's two are left out.
        assert_eq!(
            (ids(&found), found.matched, found.blocked),
            (vec![4, 2], 5, 2)
        );
        // Blocked matches are counted by the words too, not by the owner alone.
        let drills = s
            .list(&query(|q| {
                q.words = vec!["드릴".into()];
                q.exclude_owners = Arc::from([11]);
            }))
            .unwrap();
        assert_eq!(
            (ids(&drills), drills.matched, drills.blocked),
            (vec![3, 1], 2, 0)
        );
        let ranged = s
            .list(&query(|q| {
                q.min_price = Some(2000);
                q.max_price = Some(5000);
                q.category_id = Some(2);
            }))
            .unwrap();
        assert_eq!((ids(&ranged), ranged.matched), (vec![5, 1], 2));
        let near = s
            .list(&query(|q| q.region_codes = Some(vec!["1144069001".into()])))
            .unwrap();
        assert_eq!(ids(&near), [4, 1]);
        let prefix = s
            .list(&query(|q| q.region_prefix = Some("11440".into())))
            .unwrap();
        assert_eq!(prefix.matched, 5);
        assert!(s
            .list(&query(|q| q.category_id = Some(99)))
            .unwrap()
            .rows
            .is_empty());
    }

    #[test]
    fn one_character_words_over_too_many_items_go_to_sql() {
        let rows = (1..=SHORT_WORD_TESTS as i64 + 1)
            .map(|id| row(id, 10, "물건", None, 0))
            .collect();
        let s = Snapshot::build(rows, 0, 0, 0);
        let one = |f: fn(&mut ListQuery)| {
            s.list(&query(|q| {
                q.words = vec!["릴".into()];
                f(q)
            }))
        };
        assert!(one(|_| {}).is_none(), "every item would be tested");
        // Narrowed first (a category holds half, a longer word none): answered here.
        assert!(one(|q| q.category_id = Some(1)).is_some());
        assert!(one(|q| q.words.push("드릴".into())).is_some_and(|f| f.rows.is_empty()));
    }

    #[test]
    fn one_rebuild_at_a_time_and_a_newer_snapshot_is_kept() {
        let index = ListingIndex::default();
        assert!(index.lookup(0, 0).refresh);
        let first = index.begin().expect("free");
        assert!(index.begin().is_none(), "one at a time");
        first.finish(Snapshot::build(vec![], 2, 7, 10));
        index.put(Snapshot::build(vec![], 1, 7, 20));
        let now = index.lookup(2, 11);
        assert!(now.snapshot.is_some() && !now.refresh);
        assert!(index.lookup(3, 11).snapshot.is_none(), "a write since");
        assert!(index.begin().is_none(), "spaced");
        assert!(!index.lookup(2, 10 + TTL_MS).refresh, "due, but spaced");
        // Found unchanged: it answers for the new generation, checked now.
        index.current().unwrap().confirm(3, 15);
        let now = index.lookup(3, 16);
        assert!(now.snapshot.is_some_and(|s| s.version() == 7));
        assert!(
            index.lookup(2, 16).snapshot.is_none(),
            "never back to an older one"
        );
    }
}
