//! The on-disk search cache: what `qreply search` reads instead of every row of the
//! database, so that a process that searches once and exits pays for a file read, not
//! for SQLite decoding 100 000 rows.
//!
//! `quickreply.search`, beside the database, holds every reply's search fields as the
//! store's search reads them (title, tags and body already normalised), in row order, with
//! two prefilter masks per reply computed exactly as [`crate::SearchIndex`] computes them
//! (the union of the fields' [`Mask`]s, and their [`pair_mask`]). [`Store::search_cached`]
//! scans it with the same [`Scorer`], [`TopK`] and [`Question`] as [`Store::search`], in
//! the same order, so the ranking is the same by construction (and tested: see
//! `crates/core/tests/search_cache.rs`).
//!
//! Staleness: the file carries the stamp of the database it was made from, the
//! `search_stamp` row (a random name of the database and a counter that a trigger moves
//! on every insert, update and delete of a reply, whichever process writes). A file whose
//! stamp, format or search-columns version differs is not used: the rows are read again
//! (one read transaction, so the stamp and the rows agree), the file is written anew
//! (a temporary file renamed over the old, so a reader sees the old or the new file,
//! never half of one) and the search runs on it. Usage boosts change with the clock and
//! with every fire and are not cached: they are read from `usage` at each search, as are
//! the libraries' synonyms. A file that cannot be written (a read-only data directory)
//! costs nothing but speed; a damaged one is rebuilt.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::Utc;
use rusqlite::{Transaction, TransactionBehavior, params};
use uuid::Uuid;

use super::search_columns::SEARCH_COLUMNS_VERSION;
use super::{SearchOptions, Store, now_ms};
use crate::error::Result;
use crate::search::{
    Hit, Mask, Question, Scorer, SearchFields, Synonyms, TopK, TopicShape, merge_question_hits,
    normalize_text, pair_mask, topic_shape, usage_boost, without_strength,
};

/// The cache's file name, beside `quickreply.db`.
pub const CACHE_FILE: &str = "quickreply.search";

const MAGIC: &[u8; 8] = b"QRSEARCH";
/// Raise when the layout below changes: an older file is then rebuilt.
const FORMAT: u32 = 3;
/// Fields per reply in the text section, in [`SearchFields`] order.
const FIELDS: usize = 7;
const MASK: usize = 32;

/// The `search_stamp` row: which database, and how many reply changes it has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    epoch: String,
    changes: i64,
}

/// The file, read whole, with its sections located.
///
/// Layout (little-endian): header — `MAGIC`, format `u32`, search-columns version `i64`,
/// epoch (length `u32` + bytes), changes `i64`, rows `u32`, libraries `u32`; the
/// libraries (16 bytes each); per row, in row order: summary mask (32 bytes), pair mask
/// (32), the body's mask (32: the longest field, the one mask not worth computing again
/// per search), id (16), library number (`u32`), end of its text (`u64`, from the start
/// of the text section), its topic shape (`TopicShape::BYTES`: what the scan's bound
/// needs of the title and tags, as the in-memory index keeps it); then the text section: per row the seven fields of [`SearchFields`],
/// each a `u32` length and UTF-8 bytes.
struct Image {
    bytes: Vec<u8>,
    rows: usize,
    libraries: Vec<Uuid>,
    /// Where the per-row records and the text section start.
    records: usize,
    text: usize,
}

/// Bytes of one per-row record.
const RECORD: usize = 3 * MASK + 16 + 4 + 8 + TopicShape::BYTES;

/// The file is not what this program wrote (damaged, truncated, another format).
#[derive(Debug)]
struct Damaged;

fn take<'a>(b: &'a [u8], at: &mut usize, n: usize) -> std::result::Result<&'a [u8], Damaged> {
    let end = at.checked_add(n).ok_or(Damaged)?;
    let s = b.get(*at..end).ok_or(Damaged)?;
    *at = end;
    Ok(s)
}

fn u32_at(b: &[u8], at: &mut usize) -> std::result::Result<u32, Damaged> {
    let s = take(b, at, 4)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: &mut usize) -> std::result::Result<u64, Damaged> {
    let s = take(b, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Ok(u64::from_le_bytes(a))
}

fn mask_at(b: &[u8], at: usize) -> Mask {
    let mut m = [0u64; 4];
    for (i, w) in m.iter_mut().enumerate() {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at + i * 8..at + i * 8 + 8]);
        *w = u64::from_le_bytes(a);
    }
    Mask(m)
}

fn put_mask(out: &mut Vec<u8>, m: Mask) {
    for w in m.0 {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

impl Image {
    /// Check the header against the database's stamp and locate the sections; every
    /// offset is checked here or when a row is read, so a damaged file is an error, never
    /// a panic.
    fn parse(bytes: Vec<u8>, stamp: &Stamp) -> std::result::Result<Image, Damaged> {
        let b = &bytes;
        let mut at = 0;
        if take(b, &mut at, MAGIC.len())? != MAGIC
            || u32_at(b, &mut at)? != FORMAT
            || u64_at(b, &mut at)? != SEARCH_COLUMNS_VERSION as u64
        {
            return Err(Damaged);
        }
        let epoch_len = u32_at(b, &mut at)? as usize;
        if take(b, &mut at, epoch_len)? != stamp.epoch.as_bytes()
            || u64_at(b, &mut at)? != stamp.changes as u64
        {
            return Err(Damaged);
        }
        let rows = u32_at(b, &mut at)? as usize;
        let nlibs = u32_at(b, &mut at)? as usize;
        let mut libraries = Vec::with_capacity(nlibs.min(1 << 16));
        for _ in 0..nlibs {
            let s = take(b, &mut at, 16)?;
            let mut a = [0u8; 16];
            a.copy_from_slice(s);
            libraries.push(Uuid::from_bytes(a));
        }
        let records = at;
        take(b, &mut at, rows.checked_mul(RECORD).ok_or(Damaged)?)?;
        let text = at;
        let image = Image {
            rows,
            libraries,
            records,
            text,
            bytes,
        };
        // The last row's text must end inside the file (earlier ones are checked as read).
        if rows > 0 {
            image.text_range(rows - 1)?;
        }
        Ok(image)
    }

    fn record(&self, i: usize) -> usize {
        self.records + i * RECORD
    }

    fn summary(&self, i: usize) -> Mask {
        mask_at(&self.bytes, self.record(i))
    }

    fn pairs(&self, i: usize) -> Mask {
        mask_at(&self.bytes, self.record(i) + MASK)
    }

    fn body_mask(&self, i: usize) -> Mask {
        mask_at(&self.bytes, self.record(i) + 2 * MASK)
    }

    fn id(&self, i: usize) -> Uuid {
        let at = self.record(i) + 3 * MASK;
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.bytes[at..at + 16]);
        Uuid::from_bytes(a)
    }

    fn library(&self, i: usize) -> std::result::Result<Uuid, Damaged> {
        let mut at = self.record(i) + 3 * MASK + 16;
        let n = u32_at(&self.bytes, &mut at)? as usize;
        self.libraries.get(n).copied().ok_or(Damaged)
    }

    fn text_end(&self, i: usize) -> std::result::Result<usize, Damaged> {
        let mut at = self.record(i) + 3 * MASK + 20;
        usize::try_from(u64_at(&self.bytes, &mut at)?).map_err(|_| Damaged)
    }

    fn shape(&self, i: usize) -> TopicShape {
        let at = self.record(i) + 3 * MASK + 28;
        let mut a = [0u8; TopicShape::BYTES];
        a.copy_from_slice(&self.bytes[at..at + TopicShape::BYTES]);
        TopicShape::from_bytes(&a)
    }

    fn text_range(&self, i: usize) -> std::result::Result<std::ops::Range<usize>, Damaged> {
        let start = if i == 0 { 0 } else { self.text_end(i - 1)? };
        let end = self.text_end(i)?;
        let (start, end) = (
            self.text.checked_add(start).ok_or(Damaged)?,
            self.text.checked_add(end).ok_or(Damaged)?,
        );
        if start > end || end > self.bytes.len() {
            return Err(Damaged);
        }
        Ok(start..end)
    }

    /// Row `i`'s search fields.
    fn fields(&self, i: usize) -> std::result::Result<SearchFields<'_>, Damaged> {
        let range = self.text_range(i)?;
        let b = &self.bytes[range];
        let mut at = 0;
        let mut f = [""; FIELDS];
        for field in &mut f {
            let n = u32_at(b, &mut at)? as usize;
            *field = std::str::from_utf8(take(b, &mut at, n)?).map_err(|_| Damaged)?;
        }
        let [title, code, tags, body, pinyin, initials, tags_pinyin] = f;
        Ok(SearchFields {
            title,
            code,
            tags,
            body,
            pinyin,
            initials,
            tags_pinyin,
        })
    }
}

/// Accumulates the file while the rows are read.
struct Writer {
    head: Vec<u8>,
    records: Vec<u8>,
    text: Vec<u8>,
    rows: u32,
    libraries: HashMap<Uuid, u32>,
    order: Vec<Uuid>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            head: Vec::new(),
            records: Vec::new(),
            text: Vec::new(),
            rows: 0,
            libraries: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Add a row whose title, tags and body are normalised already (as
    /// `for_each_search_row` hands them over).
    fn push(&mut self, id: Uuid, library: Uuid, f: &SearchFields<'_>) {
        // Exactly the masks `SearchIndex` keeps for the same fields.
        let (title, tags, body) = (
            normalize_text(f.title),
            normalize_text(f.tags),
            normalize_text(f.body),
        );
        let normalised = SearchFields {
            title: &title,
            tags: &tags,
            body: &body,
            ..f.clone()
        };
        let texts = [&*title, &*tags, f.pinyin, f.initials, &*body, f.tags_pinyin];
        let summary = texts
            .iter()
            .fold(Mask::of(f.code), |m, t| m.union(Mask::of(t)));
        let pairs = pair_mask(
            &[&title, f.code, &tags, &body],
            &[f.pinyin, f.initials, f.tags_pinyin],
        );
        let next = self.order.len() as u32;
        let lib = *self.libraries.entry(library).or_insert_with(|| {
            self.order.push(library);
            next
        });
        for t in [
            &*title,
            f.code,
            &*tags,
            &*body,
            f.pinyin,
            f.initials,
            f.tags_pinyin,
        ] {
            self.text.extend_from_slice(&(t.len() as u32).to_le_bytes());
            self.text.extend_from_slice(t.as_bytes());
        }
        put_mask(&mut self.records, summary);
        put_mask(&mut self.records, pairs);
        put_mask(&mut self.records, Mask::of(&body));
        self.records.extend_from_slice(id.as_bytes());
        self.records.extend_from_slice(&lib.to_le_bytes());
        self.records
            .extend_from_slice(&(self.text.len() as u64).to_le_bytes());
        self.records
            .extend_from_slice(&topic_shape(&normalised).to_bytes());
        self.rows += 1;
    }

    fn finish(self, stamp: &Stamp) -> Vec<u8> {
        let mut out = self.head;
        out.reserve(64 + self.records.len() + self.text.len() + 16 * self.order.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&(SEARCH_COLUMNS_VERSION as u64).to_le_bytes());
        out.extend_from_slice(&(stamp.epoch.len() as u32).to_le_bytes());
        out.extend_from_slice(stamp.epoch.as_bytes());
        out.extend_from_slice(&(stamp.changes as u64).to_le_bytes());
        out.extend_from_slice(&self.rows.to_le_bytes());
        out.extend_from_slice(&(self.order.len() as u32).to_le_bytes());
        for l in &self.order {
            out.extend_from_slice(l.as_bytes());
        }
        out.extend_from_slice(&self.records);
        out.extend_from_slice(&self.text);
        out
    }
}

impl Store {
    /// Where the search cache of this store lives.
    pub fn search_cache_path(&self) -> PathBuf {
        self.path.with_file_name(CACHE_FILE)
    }

    fn search_stamp(&self) -> Result<Stamp> {
        Ok(self
            .conn
            .query_row("SELECT epoch, changes FROM search_stamp", [], |r| {
                Ok(Stamp {
                    epoch: r.get(0)?,
                    changes: r.get(1)?,
                })
            })?)
    }

    /// The cache file if it matches the database now, else one made from the rows (and
    /// written for the next process).
    fn search_image(&self) -> Result<Image> {
        let stamp = self.search_stamp()?;
        if let Ok(bytes) = std::fs::read(self.search_cache_path())
            && let Ok(image) = Image::parse(bytes, &stamp)
        {
            return Ok(image);
        }
        self.rebuild_search_cache()
    }

    /// Read every reply's search fields and write the cache file; returns what it wrote.
    fn rebuild_search_cache(&self) -> Result<Image> {
        // One read transaction: the stamp describes exactly the rows read.
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)?;
        let stamp = self.search_stamp()?;
        let mut w = Writer::new();
        self.for_each_search_row(None, Mask::default(), None, |id, lib, f, _| {
            w.push(
                Uuid::parse_str(id).unwrap_or_default(),
                Uuid::parse_str(lib).unwrap_or_default(),
                &f,
            );
            Ok(())
        })?;
        tx.commit()?;
        let bytes = w.finish(&stamp);
        // Best effort: a store in a read-only place still searches, from memory.
        let path = self.search_cache_path();
        let tmp = path.with_file_name(format!("{CACHE_FILE}.tmp-{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Image::parse(bytes, &stamp).map_err(|Damaged| crate::Error::Io {
            path,
            source: std::io::Error::other("the search cache just made does not read back"),
        })
    }

    /// Every reply's usage boost that is not zero's, as `for_each_search_row` computes it.
    fn usage_boosts(&self) -> Result<(HashMap<Uuid, u32>, u32)> {
        let since = (Utc::now() - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let now = now_ms();
        let mut st = self.conn.prepare_cached(
            "SELECT snippet_id, sum(count), max(last_at) FROM usage WHERE day > ?1
             GROUP BY snippet_id",
        )?;
        let mut out = HashMap::new();
        for row in st.query_map(params![since], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })? {
            let (id, fires, last) = row?;
            let boost = usage_boost(
                fires.unwrap_or(0).max(0) as u64,
                last.map(|l| (now - l) / 1000),
            );
            out.insert(Uuid::parse_str(&id).unwrap_or_default(), boost);
        }
        Ok((out, usage_boost(0, None)))
    }

    /// [`Store::search`] over the on-disk search cache (made or refreshed first when the
    /// library changed since it was written): the same results, ranked the same, without
    /// reading every row of the database. Replies outside their dates are found too:
    /// [`Store::search_cached`] leaves them out.
    pub fn search_cached_any_time(
        &self,
        query: &str,
        opts: &SearchOptions,
    ) -> Result<Vec<Hit<Uuid>>> {
        let image = self.search_image()?;
        match self.search_image_rows(&image, query, opts) {
            Ok(hits) => Ok(hits),
            // A file damaged inside a row: made again from the database.
            Err(Scan::Damaged) => {
                let image = self.rebuild_search_cache()?;
                self.search_image_rows(&image, query, opts)
                    .map_err(|e| match e {
                        Scan::Store(e) => e,
                        Scan::Damaged => crate::Error::Io {
                            path: self.search_cache_path(),
                            source: std::io::Error::other("the search cache does not read back"),
                        },
                    })
            }
            Err(Scan::Store(e)) => Err(e),
        }
    }

    fn search_image_rows(
        &self,
        image: &Image,
        query: &str,
        opts: &SearchOptions,
    ) -> std::result::Result<Vec<Hit<Uuid>>, Scan> {
        let mut scorer = Scorer::new(query);
        let question = match Question::new(query, &Synonyms::default()) {
            Some(_) => Question::new(query, &self.search_synonyms()?),
            None => None,
        };
        let (boosts, no_boost) = self.usage_boosts()?;
        let boost = |id: &Uuid| boosts.get(id).copied().unwrap_or(no_boost);
        let keep = |i: usize| -> std::result::Result<bool, Damaged> {
            Ok(match opts.library {
                Some(l) => image.library(i)? == l,
                None => true,
            })
        };
        let needle = scorer.mask();
        let pairs = scorer.pair_needle();
        let mut top = TopK::new(opts.limit);
        for i in 0..image.rows {
            if !image.summary(i).covers(needle) || !image.pairs(i).covers(pairs) || !keep(i)? {
                continue;
            }
            let id = image.id(i);
            let f = image.fields(i)?;
            let b = boost(&id);
            let score = if scorer.is_empty() {
                Some(b)
            } else {
                // As the index scans: a reply that cannot enter the full list (by its
                // masks and topic shape) is skipped, the others are scored field by
                // field where the masks allow.
                let masks = Scorer::field_masks_with_body(&f, image.body_mask(i));
                if let Some(min) = top.threshold()
                    && scorer
                        .upper_bound_shaped(f.code, &masks, &image.shape(i))
                        .saturating_add(b)
                        <= min
                {
                    continue;
                }
                scorer.score_masked(&f, &masks).map(|s| s + b)
            };
            if let Some(score) = score
                && top.admits(score)
            {
                let strong = question.is_some() && scorer.is_strong(&f);
                top.push(score, (id, strong));
            }
        }
        let strict = top.into_hits();
        let Some(question) = question else {
            return Ok(without_strength(strict));
        };
        if strict.iter().filter(|h| h.key.1).count() >= opts.limit {
            return Ok(without_strength(strict));
        }
        let mut found = Vec::new();
        let mut total = 0;
        for i in 0..image.rows {
            if !keep(i)? {
                continue;
            }
            total += 1;
            if !question.may_match(image.summary(i)) {
                continue;
            }
            let f = image.fields(i)?;
            let c = question.counts(&[f.title, f.tags], f.body);
            if c.any() {
                let id = image.id(i);
                found.push((id, boost(&id), c));
            }
        }
        let ranked = question.rank(&found, total, opts.limit);
        Ok(merge_question_hits(strict, ranked, opts.limit))
    }
}

/// Why a scan of the cache stopped.
enum Scan {
    Damaged,
    Store(crate::Error),
}

impl From<Damaged> for Scan {
    fn from(_: Damaged) -> Scan {
        Scan::Damaged
    }
}

impl From<crate::Error> for Scan {
    fn from(e: crate::Error) -> Scan {
        Scan::Store(e)
    }
}

impl From<rusqlite::Error> for Scan {
    fn from(e: rusqlite::Error) -> Scan {
        Scan::Store(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape kept in the file is the shape the in-memory index makes of the reply.
    #[test]
    fn a_reply_s_topic_shape_reads_back_from_the_file() -> Result<()> {
        let dir = tempfile::tempdir().map_err(crate::Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let lib = store.library(super::super::PERSONAL)?;
        let mut replies = crate::corpus::replies(200, 3);
        replies[0].title = "开发票".into();
        replies[0].tags = vec!["发票".into(), "开票".into(), "增值税专用发票".into()];
        replies[1].title = "Invoice please".into();
        store.add_snippets(&lib, replies)?;
        let image = store.search_image()?;
        assert_eq!(image.rows, 200);
        let mut differ = 0;
        for i in 0..image.rows {
            let f = image.fields(i).map_err(|Damaged| crate::Error::Io {
                path: store.search_cache_path(),
                source: std::io::Error::other("damaged"),
            })?;
            let shape = image.shape(i);
            assert_eq!(shape, topic_shape(&f), "row {i}");
            assert_eq!(TopicShape::from_bytes(&shape.to_bytes()), shape);
            differ += usize::from(shape != TopicShape::default());
        }
        assert_eq!(differ, 200, "every reply has a title, so a shape");
        Ok(())
    }
}
