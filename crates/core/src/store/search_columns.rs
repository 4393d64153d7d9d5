//! The derived search columns of a reply (pinyin, initials, character mask), kept in
//! step with every write, and searching the store with them.

use chrono::Utc;
use rusqlite::params;
use uuid::Uuid;

use quickreply_proto::Part;

use super::{SearchOptions, Store, now_ms};
use crate::error::Result;
use crate::search::{
    Hit, Mask, Question, Scorer, SearchFields, SearchIndex, TopK, pinyin_of, usage_boost,
    with_question_hits,
};

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
}

/// Derived search columns: the title's pinyin and initials, the tags' pinyin and
/// initials together, and the character mask of everything.
pub(super) fn search_columns(
    title: &str,
    code: Option<&str>,
    tags: &[String],
    body: &str,
) -> Derived {
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
    }
}

impl Store {
    /// Visit every reply's search columns and usage boost (`library` limits it).
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
                    s.search_initials, u.fires, u.last_at, s.search_tags_pinyin
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
            let fields = SearchFields {
                title: text(2)?,
                code: text(3)?,
                tags: text(4)?,
                body: text(5)?,
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
    /// [`SearchIndex`] instead; both rank the same.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit<Uuid>>> {
        let mut scorer = Scorer::new(query);
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
                top.push(score, Uuid::parse_str(id).unwrap_or_default());
            }
            Ok(())
        })?;
        let strict = top.into_hits();
        let Some(question) = Question::new(query).filter(|_| strict.len() < opts.limit) else {
            return Ok(strict);
        };
        let mut found = Vec::new();
        let mut total = 0;
        self.for_each_search_row(opts.library, Mask::default(), None, |id, _, f, boost| {
            total += 1;
            let p = question.presence(&[f.title, f.tags], f.body);
            if p.iter().any(|v| *v > 0) {
                found.push((Uuid::parse_str(id).unwrap_or_default(), boost, p));
            }
            Ok(())
        })?;
        let ranked = question.rank(&found, total, opts.limit);
        Ok(with_question_hits(strict, ranked, opts.limit))
    }

    /// Build the in-memory search index of every reply.
    pub fn search_index(&self) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
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
