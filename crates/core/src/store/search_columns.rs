//! The derived search columns of a reply (pinyin, initials, character mask), kept in
//! step with every write, and searching the store with them.

use chrono::Utc;
use rusqlite::params;
use uuid::Uuid;

use quickreply_proto::Part;

use super::{SearchOptions, Store, now_ms};
use crate::error::Result;
use crate::search::{
    Hit, Mask, Question, SYNONYMS_VARIABLE, Scorer, SearchFields, SearchIndex, Synonyms, TopK,
    merge_question_hits, normalize_text, pinyin_of, usage_boost, without_strength,
};

/// The version of the derived search columns: raise it when [`search_columns`] changes,
/// and every store computes them again when it is next opened.
pub(super) const SEARCH_COLUMNS_VERSION: i64 = 1;

pub(super) fn body_text(parts: &[Part]) -> String {
    parts
        .iter()
        .filter_map(Part::text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Derived search columns of a reply.
pub(super) struct Derived {
    pub(super) pinyin: String,
    pub(super) initials: String,
    pub(super) tags_pinyin: String,
    pub(super) mask: [i64; 4],
    /// Whether [`normalize_text`] changes the title, tags or body (the search then
    /// normalises the row as it reads it).
    pub(super) fold: bool,
}

/// Derived search columns: the title's pinyin and initials, the tags' pinyin and
/// initials together, and the character mask of everything, all of the normalised text
/// ([`normalize_text`]: what queries are compared with).
pub(super) fn search_columns(
    title: &str,
    code: Option<&str>,
    tags: &[String],
    body: &str,
) -> Derived {
    let joined = tags.join("\n");
    let fold = [title, joined.as_str(), body]
        .iter()
        .any(|t| matches!(normalize_text(t), std::borrow::Cow::Owned(_)));
    let title = &*normalize_text(title);
    let body = &*normalize_text(body);
    let tags: Vec<String> = tags
        .iter()
        .map(|t| normalize_text(t).into_owned())
        .collect();
    let (pinyin, initials) = pinyin_of(title);
    let (tp, ti) = pinyin_of(&tags.join(" "));
    let tags_pinyin = if tp.is_empty() {
        String::new()
    } else {
        format!("{tp} {ti}")
    };
    let mask = [
        title,
        code.unwrap_or(""),
        &tags.join(" "),
        body,
        &pinyin,
        &initials,
        &tags_pinyin,
    ]
    .iter()
    .fold(Mask::default(), |m, t| m.union(Mask::of(t)));
    Derived {
        pinyin,
        initials,
        tags_pinyin,
        mask: mask.0.map(|w| w as i64),
        fold,
    }
}

impl Store {
    /// Compute every reply's derived search columns again if they were made by an older
    /// program (see [`SEARCH_COLUMNS_VERSION`]). Not a change to sync: the triggers stay
    /// quiet.
    pub(super) fn refresh_search_columns(&mut self) -> Result<()> {
        let version: i64 =
            self.conn
                .query_row("SELECT version FROM search_columns_version", [], |r| {
                    r.get(0)
                })?;
        if version >= SEARCH_COLUMNS_VERSION {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE sync_mode SET applying = 1", [])?;
        {
            let mut read = tx.prepare("SELECT id, title, code, tags, body_text FROM snippets")?;
            let mut write = tx.prepare(
                "UPDATE snippets SET search_pinyin = ?2, search_initials = ?3, mask0 = ?4,
                        mask1 = ?5, mask2 = ?6, mask3 = ?7, search_tags_pinyin = ?8, search_fold = ?9
                 WHERE id = ?1",
            )?;
            let mut rows = read.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let title: String = r.get(1)?;
                let code: Option<String> = r.get(2)?;
                let tags: String = r.get(3)?;
                let body: String = r.get(4)?;
                let tags: Vec<String> = tags
                    .split('\n')
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect();
                let d = search_columns(&title, code.as_deref(), &tags, &body);
                write.execute(params![
                    id,
                    d.pinyin,
                    d.initials,
                    d.mask[0],
                    d.mask[1],
                    d.mask[2],
                    d.mask[3],
                    d.tags_pinyin,
                    d.fold
                ])?;
            }
        }
        tx.execute("UPDATE sync_mode SET applying = 0", [])?;
        tx.execute(
            "UPDATE search_columns_version SET version = ?1",
            [SEARCH_COLUMNS_VERSION],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The synonyms every library adds to the built-in table: the value of its
    /// [`SYNONYMS_VARIABLE`] variable (synced like any variable).
    pub fn search_synonyms(&self) -> Result<Synonyms> {
        let mut st = self
            .conn
            .prepare_cached("SELECT value FROM variables WHERE name = ?1 ORDER BY library_id")?;
        let mut out = Synonyms::default();
        for v in st.query_map([SYNONYMS_VARIABLE], |r| r.get::<_, String>(0))? {
            out.extend(&Synonyms::parse(&v?));
        }
        Ok(out)
    }

    /// Visit every reply's search columns and usage boost (`library` limits it). Title,
    /// tags and body come normalised ([`normalize_text`]).
    pub(super) fn for_each_search_row(
        &self,
        library: Option<Uuid>,
        needle: Mask,
        only: Option<Uuid>,
        mut f: impl FnMut(&str, &str, SearchFields<'_>, u32) -> Result<()>,
    ) -> Result<()> {
        let since = (Utc::now() - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let now = now_ms();
        let mut st = self.conn.prepare_cached(
            "SELECT s.id, s.library_id, s.title, ifnull(s.code, ''), s.tags, s.body_text, s.search_pinyin,
                    s.search_initials, u.fires, u.last_at, s.search_tags_pinyin, s.search_fold
             FROM snippets s
             LEFT JOIN (SELECT snippet_id, sum(count) AS fires, max(last_at) AS last_at FROM usage
                        WHERE day > ?2 GROUP BY snippet_id) u ON u.snippet_id = s.id
             WHERE (?1 IS NULL OR s.library_id = ?1)
               AND s.mask0 & ?3 = ?3 AND s.mask1 & ?4 = ?4 AND s.mask2 & ?5 = ?5 AND s.mask3 & ?6 = ?6
               AND (?7 IS NULL OR s.id = ?7)
             ORDER BY s.rowid",
        )?;
        let n = needle.0.map(|w| w as i64);
        let mut rows = st.query(params![
            library.map(|l| l.to_string()),
            since,
            n[0],
            n[1],
            n[2],
            n[3],
            only.map(|o| o.to_string())
        ])?;
        while let Some(r) = rows.next()? {
            let text =
                |i: usize| -> Result<&str> { Ok(r.get_ref(i)?.as_str().unwrap_or_default()) };
            let fires: Option<i64> = r.get(8)?;
            let last: Option<i64> = r.get(9)?;
            let boost = usage_boost(
                fires.unwrap_or(0).max(0) as u64,
                last.map(|l| (now - l) / 1000),
            );
            let fold: bool = r.get(11)?;
            let norm = |i: usize| -> Result<std::borrow::Cow<'_, str>> {
                let t = text(i)?;
                Ok(if fold {
                    normalize_text(t)
                } else {
                    std::borrow::Cow::Borrowed(t)
                })
            };
            let (title, tags, body) = (norm(2)?, norm(4)?, norm(5)?);
            let fields = SearchFields {
                title: &title,
                code: text(3)?,
                tags: &tags,
                body: &body,
                pinyin: text(6)?,
                initials: text(7)?,
                tags_pinyin: text(10)?,
            };
            f(text(0)?, text(1)?, fields, boost)?;
        }
        Ok(())
    }

    /// Ranked search, best first. Streams over the stored search columns, so it needs no
    /// index in memory: this is what `qreply search` runs. The desktop app keeps a
    /// [`SearchIndex`] instead; both rank the same. Replies outside their 生效 / 失效
    /// dates are found too: [`Store::search`] leaves them out.
    pub fn search_any_time(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit<Uuid>>> {
        let mut scorer = Scorer::new(query);
        // Only a question needs the synonyms (a small read).
        let question = match Question::new(query, &Synonyms::default()) {
            Some(_) => Question::new(query, &self.search_synonyms()?),
            None => None,
        };
        let mut top = TopK::new(opts.limit);
        self.for_each_search_row(opts.library, scorer.mask(), None, |id, _, f, boost| {
            let score = if scorer.is_empty() {
                Some(boost)
            } else {
                scorer.score(&f).map(|s| s + boost)
            };
            if let Some(score) = score
                && top.admits(score)
            {
                let strong = question.is_some() && scorer.is_strong(&f);
                top.push(score, (Uuid::parse_str(id).unwrap_or_default(), strong));
            }
            Ok(())
        })?;
        let strict = top.into_hits();
        let Some(question) = question else {
            return Ok(without_strength(strict));
        };
        if strict.iter().filter(|h| h.key.1).count() >= opts.limit {
            return Ok(without_strength(strict));
        }
        let mut found = Vec::new();
        let mut total = 0;
        self.for_each_search_row(opts.library, Mask::default(), None, |id, _, f, boost| {
            total += 1;
            let c = question.counts(&[f.title, f.tags], f.body);
            if c.any() {
                found.push((Uuid::parse_str(id).unwrap_or_default(), boost, c));
            }
            Ok(())
        })?;
        let ranked = question.rank(&found, total, opts.limit);
        Ok(merge_question_hits(strict, ranked, opts.limit))
    }

    /// Build the in-memory search index of every reply.
    pub fn search_index(&self) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
        index.set_synonyms(self.search_synonyms()?);
        self.for_each_search_row(None, Mask::default(), None, |id, lib, f, boost| {
            index.push(
                Uuid::parse_str(id).unwrap_or_default(),
                Uuid::parse_str(lib).unwrap_or_default(),
                &f,
                boost,
            );
            Ok(())
        })?;
        Ok(index)
    }

    /// Bring the index up to date for these replies after this process changed them
    /// (added, edited, moved or removed ones).
    pub fn reindex(&self, index: &mut SearchIndex, ids: &[Uuid]) -> Result<()> {
        for id in ids {
            index.remove(*id);
            self.for_each_search_row(None, Mask::default(), Some(*id), |_, lib, f, boost| {
                index.upsert(*id, Uuid::parse_str(lib).unwrap_or_default(), &f, boost);
                Ok(())
            })?;
        }
        Ok(())
    }
}
