//! Conflict copies. When sync meets the same field of a reply changed here and on the
//! server, the server's version stays and this device's becomes a separate reply titled
//! "…（冲突副本 MM-DD HH:MM）" / "… (conflict copy MM-DD HH:MM)" (`sync::resolve`). The
//! device that made the copy remembers which reply it copies (`conflict_copies`, store
//! migration 8); a copy that reached this device by sync is recognised by its title and
//! paired with the reply of its library whose title is the copy's without the mark.
//!
//! The editor lists them ([`Store::conflicts`]) and settles each: keep the current version
//! ([`Store::keep_current`], the copy goes) or take this device's
//! ([`Store::take_mine`], the copy's content over the current reply, the copy goes). Both
//! are ordinary edits: they sync, and agents' read-only team libraries refuse them.

use std::collections::HashMap;

use rusqlite::params;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::i18n::tr;
use crate::store::{Snippet, Store};

const MARK_ZH: &str = "（冲突副本";
const MARK_EN: &str = " (conflict copy";

/// The title of a conflict copy of a reply titled `title`, made at `when` (`MM-DD HH:MM`).
pub fn conflict_title(title: &str, when: &str) -> String {
    tr(
        format!("{title}{MARK_ZH} {when}）"),
        format!("{title}{MARK_EN} {when})"),
    )
}

/// The title a conflict copy was made from, `None` for a title without the mark (in
/// either language).
pub fn base_title(title: &str) -> Option<&str> {
    let cut = |mark: &str, close: char| {
        title
            .strip_suffix(close)
            .and_then(|t| t.rfind(mark))
            .map(|i| &title[..i])
    };
    cut(MARK_ZH, '）').or_else(|| cut(MARK_EN, ')'))
}

/// A conflict copy and the reply it copies (`None` when that reply is gone).
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub copy: Snippet,
    pub original: Option<Snippet>,
}

/// Remember that `copy` is this device's version of `original` (in the sync's
/// transaction that made the copy).
pub fn record(tx: &rusqlite::Connection, copy: Uuid, original: Uuid) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO conflict_copies (copy_id, original_id, created_at)
         VALUES (?1, ?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
        params![copy.to_string(), original.to_string()],
    )?;
    Ok(())
}

impl Store {
    /// Every conflict copy in every library, newest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let mut st = self
            .conn()
            .prepare("SELECT copy_id, original_id FROM conflict_copies")?;
        let mapped: HashMap<String, String> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let all = self.snippets(None)?;
        let mut out: Vec<Conflict> = all
            .iter()
            .filter(|s| mapped.contains_key(&s.id.to_string()) || base_title(&s.title).is_some())
            .map(|s| {
                let original = match mapped.get(&s.id.to_string()) {
                    Some(o) => all.iter().find(|x| x.id.to_string() == *o),
                    None => all.iter().find(|x| {
                        x.library_id == s.library_id
                            && x.id != s.id
                            && Some(x.title.as_str()) == base_title(&s.title)
                    }),
                };
                Conflict {
                    copy: s.clone(),
                    original: original.cloned(),
                }
            })
            .collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.copy.updated_at));
        Ok(out)
    }

    fn conflict(&self, copy: Uuid) -> Result<Conflict> {
        self.conflicts()?
            .into_iter()
            .find(|c| c.copy.id == copy)
            .ok_or_else(|| Error::NoSuchSnippet(copy.to_string()))
    }

    /// Keep the current version: the conflict copy is deleted.
    pub fn keep_current(&mut self, copy: Uuid) -> Result<()> {
        self.conflict(copy)?;
        self.remove_snippet(copy)
    }

    /// Take this device's version: the copy's title (without the mark), tags, apps and
    /// parts go over the current reply (which keeps its id, folder, code and place), and
    /// the copy is deleted; one transaction. Returns the reply as it is now.
    pub fn take_mine(&mut self, copy: Uuid) -> Result<Snippet> {
        let c = self.conflict(copy)?;
        let Some(original) = c.original else {
            return Err(Error::NoSuchSnippet(tr(
                format!("「{}」的原话术已不在", c.copy.title),
                format!("the reply \"{}\" is a copy of is gone", c.copy.title),
            )));
        };
        let doc = quickreply_proto::SnippetDoc {
            id: original.id,
            folder_id: original.folder_id,
            title: base_title(&c.copy.title)
                .unwrap_or(&c.copy.title)
                .to_string(),
            code: original.code.clone(),
            tags: c.copy.tags.clone(),
            parts: c.copy.parts.clone(),
            apps: c.copy.apps.clone(),
            position: original.position,
            starts_at: None,
            ends_at: None,
        };
        let tx = self.conn_mut().transaction()?;
        Store::write_snippet_doc(&tx, original.library_id, &doc)?;
        tx.execute("DELETE FROM snippets WHERE id = ?1", [copy.to_string()])?;
        tx.commit()?;
        self.snippet(original.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{LibraryKind, Part};
    use crate::store::NewSnippet;

    fn reply(title: &str, body: &str) -> NewSnippet {
        NewSnippet {
            title: title.into(),
            code: Some(format!("c{}", body.len())),
            parts: vec![Part::Text { body: body.into() }],
            ..Default::default()
        }
    }

    #[test]
    fn titles_carry_the_mark_in_either_language() {
        assert_eq!(
            base_title("退货地址（冲突副本 11-23 20:15）"),
            Some("退货地址")
        );
        assert_eq!(
            base_title("Returns (conflict copy 11-23 20:15)"),
            Some("Returns")
        );
        assert_eq!(base_title("退货地址"), None);
        assert_eq!(base_title("退货（含运费）"), None);
        assert_eq!(
            base_title(&conflict_title("发货（快递）", "01-02 03:04")),
            Some("发货（快递）")
        );
    }

    #[test]
    fn conflicts_pair_copies_and_settle_by_keeping_or_taking() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let team = store.create_library("售后组", LibraryKind::Team)?;
        let a = store.add_snippet(&team, reply("退货地址", "寄到杭州仓"))?;
        let b = store.add_snippet(&team, reply("发货时间", "48小时内"))?;
        // A copy this device made (remembered), and one synced in (known by its title).
        let mine = store.add_snippet(
            &team,
            NewSnippet {
                code: None,
                ..reply("退货地址改名（冲突副本 11-23 20:15）", "寄到宁波仓")
            },
        )?;
        record(store.conn(), mine.id, a.id)?;
        let synced = store.add_snippet(
            &team,
            NewSnippet {
                code: None,
                ..reply("发货时间（冲突副本 11-23 20:16）", "24小时内")
            },
        )?;
        let found: Vec<_> = store
            .conflicts()?
            .into_iter()
            .map(|c| (c.copy.id, c.original.map(|o| o.id)))
            .collect();
        assert_eq!(found.len(), 2);
        assert!(found.contains(&(mine.id, Some(a.id))));
        assert!(found.contains(&(synced.id, Some(b.id))));

        // Take mine: the copy's text and title over the reply, which keeps id and code.
        let now = store.take_mine(mine.id)?;
        assert_eq!((now.id, now.code.clone()), (a.id, a.code.clone()));
        assert_eq!(now.title, "退货地址改名");
        assert_eq!(now.parts, mine.parts);
        assert!(store.snippet(mine.id).is_err());
        // Keep current: the copy goes, the reply stays as it is.
        store.keep_current(synced.id)?;
        assert!(store.snippet(synced.id).is_err());
        assert_eq!(store.snippet(b.id)?.parts, b.parts);
        assert!(store.conflicts()?.is_empty());
        // Not a conflict copy: refused.
        assert!(store.keep_current(b.id).is_err());
        Ok(())
    }
}
