//! Campaign dates in the store (生效 / 失效, see [`quickreply_proto::schedule`]): setting
//! them on a reply or a folder, the window that counts for a reply (its own narrowed by
//! each folder above it), which replies are hidden now, and the refusal to fire one.
//!
//! Only dated rows are read (partial indexes `snippets_dated`, `folders_dated`), so the
//! panel can ask at every search which replies are hidden at that moment: a boundary that
//! passes while the panel is open takes effect at the next keystroke or opening.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use quickreply_proto::schedule::{Status, Window, display_end, display_start, format_instant};

use super::{Library, SearchOptions, Snippet, Store, now_ms};
use crate::error::{Error, Result};
use crate::search::Hit;

/// A reply whose window is not always open, with where it stands (the editor's 未生效 /
/// 已过期 groups, `qreply list --dates`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedReply {
    pub id: Uuid,
    pub library_id: Uuid,
    pub title: String,
    pub code: Option<String>,
    /// The window that counts (own ∩ folders').
    pub window: Window,
    pub status: Status,
}

impl DatedReply {
    /// 生效 as a lead reads it (team zone), if bounded.
    pub fn shown_start(&self) -> Option<String> {
        self.window.start.map(|ms| display_start(&stored(ms)))
    }

    /// 失效 as a lead reads it: the last day shown (or the instant), if bounded.
    pub fn shown_end(&self) -> Option<String> {
        self.window.end.map(|ms| display_end(&stored(ms)))
    }
}

fn stored(ms: i64) -> String {
    format_instant(ms, quickreply_proto::schedule::TEAM_OFFSET_MINUTES)
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap_or_default()
}

impl Store {
    /// Set (or clear, with `None`) a reply's own 生效 / 失效, as stored (RFC 3339; see
    /// [`quickreply_proto::schedule::parse_inputs`] for what a lead types). Checked like
    /// the server checks it; a change of a synced library is queued like any edit.
    pub fn set_reply_dates(
        &mut self,
        id: Uuid,
        starts_at: Option<&str>,
        ends_at: Option<&str>,
    ) -> Result<Snippet> {
        quickreply_proto::check::dates(starts_at, ends_at)?;
        let n = self.conn.execute(
            "UPDATE snippets SET starts_at = ?2, ends_at = ?3, version = version + 1, updated_at = ?4
             WHERE id = ?1",
            params![id.to_string(), starts_at, ends_at, now_ms()],
        )?;
        if n == 0 {
            return Err(Error::NoSuchSnippet(id.to_string()));
        }
        self.snippet(id)
    }

    /// Set (or clear) a folder's 生效 / 失效: they apply to every reply inside it,
    /// sub-folders included.
    pub fn set_folder_dates(
        &mut self,
        folder: Uuid,
        starts_at: Option<&str>,
        ends_at: Option<&str>,
    ) -> Result<()> {
        quickreply_proto::check::dates(starts_at, ends_at)?;
        let n = self.conn.execute(
            "UPDATE folders SET starts_at = ?2, ends_at = ?3 WHERE id = ?1",
            params![folder.to_string(), starts_at, ends_at],
        )?;
        if n == 0 {
            return Err(Error::NoSuchFolder(folder.to_string()));
        }
        Ok(())
    }

    /// Every folder whose window is narrowed by its own dates or an ancestor's, with that
    /// window (an unreadable stored date is left open: lint reports it).
    fn folder_windows(&self) -> Result<HashMap<Uuid, Window>> {
        let dated: Vec<(String, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT id, starts_at, ends_at FROM folders
                 WHERE starts_at IS NOT NULL OR ends_at IS NOT NULL",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if dated.is_empty() {
            return Ok(HashMap::new());
        }
        let own: HashMap<Uuid, Window> = dated
            .iter()
            .map(|(id, s, e)| (uuid(id), Window::lenient(s.as_deref(), e.as_deref())))
            .collect();
        let mut children: HashMap<Option<Uuid>, Vec<Uuid>> = HashMap::new();
        for row in self
            .conn
            .prepare_cached("SELECT id, parent_id FROM folders")?
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?
        {
            let (id, parent) = row?;
            children
                .entry(parent.as_deref().map(uuid))
                .or_default()
                .push(uuid(&id));
        }
        // From each root down, narrowing as we go.
        let mut out = HashMap::new();
        let mut stack: Vec<(Uuid, Window)> = children
            .get(&None)
            .into_iter()
            .flatten()
            .map(|id| (*id, Window::default()))
            .collect();
        while let Some((id, above)) = stack.pop() {
            let w = own.get(&id).map_or(above, |o| o.intersect(above));
            if !w.is_open() {
                out.insert(id, w);
            }
            for child in children.get(&Some(id)).into_iter().flatten() {
                stack.push((*child, w));
            }
        }
        Ok(out)
    }

    /// The window of every reply that is not always shown (its own dates, or a folder's
    /// above it), of one library or all.
    pub fn reply_windows(&self, library: Option<Uuid>) -> Result<HashMap<Uuid, Window>> {
        let folders = self.folder_windows()?;
        let lib = library.map(|l| l.to_string());
        let mut out = HashMap::new();
        let mut st = self.conn.prepare_cached(
            "SELECT id, folder_id, starts_at, ends_at FROM snippets
             WHERE (starts_at IS NOT NULL OR ends_at IS NOT NULL) AND (?1 IS NULL OR library_id = ?1)",
        )?;
        let rows = st.query_map([&lib], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        for row in rows {
            let (id, folder, s, e) = row?;
            let above = folder
                .and_then(|f| folders.get(&uuid(&f)).copied())
                .unwrap_or_default();
            out.insert(
                uuid(&id),
                Window::lenient(s.as_deref(), e.as_deref()).intersect(above),
            );
        }
        let mut st = self.conn.prepare_cached(
            "SELECT id FROM snippets WHERE folder_id = ?1 AND (?2 IS NULL OR library_id = ?2)
               AND starts_at IS NULL AND ends_at IS NULL",
        )?;
        for (folder, w) in &folders {
            for id in st.query_map(params![folder.to_string(), lib], |r| r.get::<_, String>(0))? {
                out.insert(uuid(&id?), *w);
            }
        }
        Ok(out)
    }

    /// Ranked search of the replies shown now ([`Store::search_any_time`] without those
    /// outside their dates).
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit<Uuid>>> {
        self.shown_only(opts, |o| self.search_any_time(query, o))
    }

    /// [`Store::search`] over the on-disk search cache (what `qreply search` runs).
    pub fn search_cached(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit<Uuid>>> {
        self.shown_only(opts, |o| self.search_cached_any_time(query, o))
    }

    /// Runs a search for as many more hits as there are hidden replies and drops those,
    /// so a list of `limit` stays full. (A whole question is ranked over every reply,
    /// hidden ones counted in its word statistics: a difference of a few replies.)
    fn shown_only(
        &self,
        opts: &SearchOptions,
        search: impl FnOnce(&SearchOptions) -> Result<Vec<Hit<Uuid>>>,
    ) -> Result<Vec<Hit<Uuid>>> {
        let hidden = self.hidden_replies(now_ms())?;
        if hidden.is_empty() {
            return search(opts);
        }
        let wider = SearchOptions {
            limit: opts.limit + hidden.len(),
            ..opts.clone()
        };
        let mut hits = search(&wider)?;
        hits.retain(|h| !hidden.contains(&h.key));
        hits.truncate(opts.limit);
        Ok(hits)
    }

    /// The replies not shown at `now` (Unix ms): before their 生效 or from their 失效.
    /// The panel leaves them out of every search.
    pub fn hidden_replies(&self, now: i64) -> Result<HashSet<Uuid>> {
        Ok(self
            .reply_windows(None)?
            .into_iter()
            .filter(|(_, w)| !w.contains(now))
            .map(|(id, _)| id)
            .collect())
    }

    /// The window that counts for one reply.
    pub fn reply_window(&self, id: Uuid) -> Result<Window> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached("SELECT folder_id, starts_at, ends_at FROM snippets WHERE id = ?1")?
            .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((folder, s, e)) = row else {
            return Err(Error::NoSuchSnippet(id.to_string()));
        };
        let own = Window::lenient(s.as_deref(), e.as_deref());
        let above = match folder {
            Some(f) => self
                .folder_windows()?
                .get(&uuid(&f))
                .copied()
                .unwrap_or_default(),
            None => Window::default(),
        };
        Ok(own.intersect(above))
    }

    /// Refuse to fire a reply outside its dates: 未生效 with its 生效, 已过期 with its
    /// last day.
    pub fn check_in_window(&self, reply: &Snippet, now: i64) -> Result<()> {
        let w = self.reply_window(reply.id)?;
        match w.status(now) {
            Status::Active => Ok(()),
            Status::Upcoming => Err(Error::NotYetStarted {
                title: reply.title.clone(),
                from: w
                    .start
                    .map(|ms| display_start(&stored(ms)))
                    .unwrap_or_default(),
            }),
            Status::Expired => Err(Error::Expired {
                title: reply.title.clone(),
                until: w.end.map(|ms| display_end(&stored(ms))).unwrap_or_default(),
            }),
        }
    }

    /// The replies of a library that are not always shown, with where they stand at
    /// `now`, in title order.
    pub fn dated_replies(&self, library: &Library, now: i64) -> Result<Vec<DatedReply>> {
        let windows = self.reply_windows(Some(library.id))?;
        let mut out = Vec::with_capacity(windows.len());
        let mut st = self
            .conn
            .prepare_cached("SELECT title, code FROM snippets WHERE id = ?1")?;
        for (id, window) in windows {
            let Some((title, code)) = st
                .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
            else {
                continue;
            };
            out.push(DatedReply {
                id,
                library_id: library.id,
                title,
                code,
                window,
                status: window.status(now),
            });
        }
        out.sort_by(|a, b| a.title.cmp(&b.title));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewSnippet, PERSONAL};
    use quickreply_proto::Part;
    use quickreply_proto::schedule::format_instant;

    const DAY: i64 = 86_400_000;

    fn at(ms: i64) -> String {
        format_instant(ms, 480)
    }

    fn reply(title: &str, folder: &str) -> NewSnippet {
        NewSnippet {
            title: title.into(),
            folder: folder.into(),
            parts: vec![Part::Text {
                body: format!("{title}的内容"),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_folder_window_narrows_the_replies_inside_it() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tempdir"))?;
        let mut store = Store::open(dir.path())?;
        let lib = store.library(PERSONAL)?;
        let now = now_ms();
        let plain = store.add_snippet(&lib, reply("平常", ""))?;
        let inner = store.add_snippet(&lib, reply("预售", "双11/预售"))?;
        let own = store.add_snippet(&lib, reply("定金", "双11/预售"))?;
        assert!(store.hidden_replies(now)?.is_empty());

        let folder = store
            .folders(&lib)?
            .into_iter()
            .find(|f| f.path == "双11")
            .map(|f| f.id)
            .ok_or(Error::NoSuchFolder("双11".into()))?;
        // The folder ran until yesterday: everything inside, sub-folders too, is hidden.
        store.set_folder_dates(folder, Some(&at(now - 3 * DAY)), Some(&at(now - DAY)))?;
        store.set_reply_dates(own.id, Some(&at(now - 2 * DAY)), None)?;
        let hidden = store.hidden_replies(now)?;
        assert_eq!(hidden, HashSet::from([inner.id, own.id]));
        // Search (rows and on-disk cache) leaves them out; the editor's search does not.
        let opts = SearchOptions::default();
        for hits in [store.search("", &opts)?, store.search_cached("", &opts)?] {
            assert_eq!(
                hits.iter().map(|h| h.key).collect::<Vec<_>>(),
                vec![plain.id]
            );
        }
        assert_eq!(store.search_any_time("", &opts)?.len(), 3);
        assert_eq!(store.search_cached_any_time("", &opts)?.len(), 3);
        assert!(!hidden.contains(&plain.id));
        // The reply's own start narrows the folder's.
        assert_eq!(
            store.reply_window(own.id)?,
            Window {
                start: Some(now - 2 * DAY - (now - 2 * DAY).rem_euclid(1000)),
                end: Some(now - DAY - (now - DAY).rem_euclid(1000)),
            }
        );
        let dated = store.dated_replies(&lib, now)?;
        assert_eq!(dated.len(), 2);
        assert!(dated.iter().all(|d| d.status == Status::Expired));
        let e = store.check_in_window(&store.snippet(inner.id)?, now);
        assert!(matches!(e, Err(Error::Expired { .. })), "{e:?}");

        // Opened again: shown again.
        store.set_folder_dates(folder, None, Some(&at(now + DAY)))?;
        store.set_reply_dates(own.id, None, None)?;
        assert!(store.hidden_replies(now)?.is_empty());
        assert_eq!(store.search_cached("", &opts)?.len(), 3);
        Ok(())
    }

    #[test]
    fn a_reply_before_its_start_is_refused_with_the_date() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tempdir"))?;
        let mut store = Store::open(dir.path())?;
        let lib = store.library(PERSONAL)?;
        let r = store.add_snippet(&lib, reply("双11预售", ""))?;
        let s = store.set_reply_dates(r.id, Some("2099-11-11T00:00:00+08:00"), None)?;
        assert_eq!(s.starts_at.as_deref(), Some("2099-11-11T00:00:00+08:00"));
        match store.check_in_window(&s, now_ms()) {
            Err(e @ Error::NotYetStarted { .. }) => assert!(e.to_string().contains("2099-11-11")),
            other => panic!("expected not yet started, got {other:?}"),
        }
        // Bad dates are refused before anything is written.
        assert!(matches!(
            store.set_reply_dates(
                r.id,
                Some("2099-11-12T00:00:00+08:00"),
                Some("2099-11-11T00:00:00+08:00")
            ),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            store.set_reply_dates(r.id, Some("双11"), None),
            Err(Error::Invalid(_))
        ));
        assert_eq!(store.snippet(r.id)?.starts_at, s.starts_at);
        Ok(())
    }
}
