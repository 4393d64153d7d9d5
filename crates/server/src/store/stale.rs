//! Stale replies and the archive folder (`crate::stale` has the endpoints): what both
//! backends ask their database ([`stale_sql`], [`folders_sql`]) and what they decide alike
//! ([`archive_folder`], [`plan_archive`]). Each backend implements [`StaleStore`] with its
//! own SQL and transaction: SQLite in `sqlite/stale.rs`, PostgreSQL in `postgres/stale.rs`.
//!
//! Only documents are read, never parsed in SQL: a stored document is serde's JSON of an
//! [`ItemDoc`], which always starts `{"kind":"snippet"` or `{"kind":"folder"`, and a
//! reply's folder is its field `"folder_id":"<uuid>"` (inside a text the quotes would be
//! escaped, so the pattern matches only the field). Both backends run the same query.

use quickreply_proto::FolderDoc;
use quickreply_proto::api::{
    ARCHIVE_FOLDER, ArchiveResult, Item, ItemDoc, Me, StaleReplies, StaleReply,
};
use uuid::Uuid;

use super::rows::Cells;
use super::{Change, ItemWrite, WriteOutcome, no_item};
use crate::Error;

/// A stale-replies question, its period already turned into the team's dates.
#[derive(Clone, Debug)]
pub struct StaleAsk {
    pub library_id: Uuid,
    pub days: u32,
    /// The first day of the period (`YYYY-MM-DD`): a fire on it or later keeps a reply.
    pub since_day: String,
    /// Unix ms: a reply created at or after this is not stale.
    pub created_before: i64,
    pub limit: usize,
    pub offset: usize,
}

/// Moving replies into the archive folder.
#[derive(Clone, Debug)]
pub struct ArchiveAsk {
    pub library_id: Uuid,
    pub keys: Vec<String>,
    pub now: i64,
    /// The writer's storage quota ([`ItemWrite::quota`]).
    pub quota: u64,
    /// Distinguishes this request's write ids (`archive:<batch>:<n>`).
    pub batch: Uuid,
    /// The id of the folder if one has to be created.
    pub new_folder: Uuid,
}

/// What a backend keeps of stale replies and the archive folder.
pub trait StaleStore {
    /// The stale replies of a library `me` can write, one page of them, with the total.
    fn stale(&self, me: &Me, ask: &StaleAsk) -> Result<StaleReplies, Error>;

    /// Moves the replies into the archive folder (creating it when the library has none)
    /// in one transaction, every move an ordinary item write; any refusal (a key that is
    /// no live reply, the compliance check, the quota) writes nothing. `on_commit` is
    /// called once with the last change (SQLite; PostgreSQL sends one `NOTIFY`).
    fn archive(
        &self,
        me: &Me,
        ask: &ArchiveAsk,
        on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<ArchiveResult, Error>;
}

/// The live folders of library `mark`1: (key, document) rows.
pub fn folders_sql(mark: char) -> String {
    format!(
        "SELECT key, doc FROM items
         WHERE library_id = {mark}1 AND NOT deleted AND doc LIKE '{{\"kind\":\"folder\"%'"
    )
}

/// The stale replies of a library, one page: parameters 1 library, 2 `since_day`, 3
/// `created_before`, 4 a `LIKE` pattern of the documents to leave out (the archive
/// folder's replies; `''` leaves none out), 5 limit, 6 offset. Columns: key, version,
/// doc, created, last day fired, total. `key_order` is how keys sort bytewise (`""` for
/// SQLite, ` COLLATE "C"` for PostgreSQL).
pub fn stale_sql(mark: char, key_order: &str) -> String {
    format!(
        "SELECT key, version, doc, created, last_day, count(*) OVER () FROM (
             SELECT i.key, i.version, i.doc,
                 coalesce((SELECT min(h.updated_at) FROM item_history h
                           WHERE h.library_id = i.library_id AND h.key = i.key),
                          i.updated_at) AS created,
                 (SELECT max(u.day) FROM usage u
                  WHERE u.library_id = i.library_id AND u.key = i.key AND u.count > 0) AS last_day
             FROM items i
             WHERE i.library_id = {mark}1 AND NOT i.deleted
               AND i.doc LIKE '{{\"kind\":\"snippet\"%' AND i.doc NOT LIKE {mark}4
         ) AS replies
         WHERE created < {mark}3 AND (last_day IS NULL OR last_day < {mark}2)
         ORDER BY (last_day IS NOT NULL), last_day, created, key{key_order}
         LIMIT {mark}5 OFFSET {mark}6"
    )
}

/// The first day the library has usage counts of: parameter 1 the library.
pub fn usage_since_sql(mark: char) -> String {
    format!("SELECT min(day) FROM usage WHERE library_id = {mark}1 AND count > 0")
}

/// The `LIKE` pattern of the replies in `folder` (`''`, which no document is, for none).
pub fn in_folder_pattern(folder: Option<Uuid>) -> String {
    folder.map_or_else(String::new, |id| format!("%\"folder_id\":\"{id}\"%"))
}

/// A row of [`folders_sql`] as a folder (`None`: a document that is no folder).
pub fn folder_from<C: Cells>(c: &C) -> Result<Option<FolderDoc>, C::Error> {
    Ok(match c.doc(1)? {
        Some(ItemDoc::Folder(f)) => Some(f),
        _ => None,
    })
}

/// A row of [`stale_sql`] as a stale reply (its folder's name from `folders`) and the
/// total.
pub fn stale_from<C: Cells>(
    c: &C,
    folders: &[FolderDoc],
) -> Result<Option<(StaleReply, u64)>, C::Error> {
    let total = u64::try_from(c.int(5)?).unwrap_or(0);
    let Some(ItemDoc::Snippet(s)) = c.doc(2)? else {
        return Ok(None);
    };
    let folder = s
        .folder_id
        .and_then(|id| folders.iter().find(|f| f.id == id))
        .map(|f| f.name.clone());
    Ok(Some((
        StaleReply {
            key: c.text(0)?,
            version: c.int(1)?,
            title: s.title,
            code: s.code,
            folder_id: s.folder_id,
            folder,
            created_at: c.int(3)?,
            last_fired: c.opt_text(4)?,
        },
        total,
    )))
}

/// The answer, from the page's rows.
pub fn replies(
    ask: &StaleAsk,
    rows: Vec<(StaleReply, u64)>,
    usage_since: Option<String>,
    archive: Option<Uuid>,
) -> StaleReplies {
    let total = rows.first().map_or(0, |(_, t)| *t);
    StaleReplies {
        days: ask.days,
        since_day: ask.since_day.clone(),
        created_before: ask.created_before,
        usage_since,
        archive_folder: archive,
        total,
        replies: rows.into_iter().map(|(r, _)| r).collect(),
    }
}

/// The library's archive folder among its live folders: the first top-level folder named
/// [`ARCHIVE_FOLDER`] (by position, then id).
pub fn archive_folder(folders: &[FolderDoc]) -> Option<&FolderDoc> {
    folders
        .iter()
        .filter(|f| f.parent_id.is_none() && f.name.trim() == ARCHIVE_FOLDER)
        .min_by_key(|f| (f.position, f.id))
}

/// The writes of an archive: the new folder (if the library has none) first, then each
/// reply not in it yet with its folder changed.
#[derive(Debug)]
pub struct ArchivePlan {
    pub folder_id: Uuid,
    pub folder_created: bool,
    pub writes: Vec<ItemWrite>,
    pub moved: Vec<String>,
    pub already: Vec<String>,
}

/// Decides an archive of `items` (each key as stored, `None`: never there) of a library
/// whose live folders are `folders`.
pub fn plan_archive(
    ask: &ArchiveAsk,
    folders: &[FolderDoc],
    items: Vec<(String, Option<Item>)>,
) -> Result<ArchivePlan, Error> {
    let op = |n: usize| format!("archive:{}:{n}", ask.batch);
    let write = |key: String, if_match: i64, doc: ItemDoc, n: usize| ItemWrite {
        library_id: ask.library_id,
        key,
        if_match,
        op: op(n),
        doc: Some(doc),
        now: ask.now,
        quota: ask.quota,
    };
    let mut writes = Vec::with_capacity(items.len() + 1);
    let (folder_id, folder_created) = match archive_folder(folders) {
        Some(f) => (f.id, false),
        None => {
            let position = folders
                .iter()
                .filter(|f| f.parent_id.is_none())
                .map(|f| f.position)
                .max()
                .map_or(0, |p| p.saturating_add(1));
            let doc = ItemDoc::Folder(FolderDoc {
                id: ask.new_folder,
                parent_id: None,
                name: ARCHIVE_FOLDER.to_string(),
                position,
                starts_at: None,
                ends_at: None,
            });
            writes.push(write(doc.key(), 0, doc, 0));
            (ask.new_folder, true)
        }
    };
    let (mut moved, mut already) = (Vec::new(), Vec::new());
    for (key, item) in items {
        let item = item.ok_or_else(|| no_item(&key))?;
        let Some(ItemDoc::Snippet(mut doc)) = item.doc else {
            return Err(if item.deleted {
                Error::NotFound(format!(
                    "reply “{key}” is deleted: nothing to archive (nothing was moved)"
                ))
            } else {
                Error::BadRequest(format!(
                    "“{key}” is not a reply: only replies are archived (nothing was moved)"
                ))
            });
        };
        if doc.folder_id == Some(folder_id) {
            already.push(key);
            continue;
        }
        doc.folder_id = Some(folder_id);
        let n = writes.len() + 1;
        writes.push(write(key.clone(), item.version, ItemDoc::Snippet(doc), n));
        moved.push(key);
    }
    Ok(ArchivePlan {
        folder_id,
        folder_created,
        writes,
        moved,
        already,
    })
}

/// A write of an archive that was not written: the transaction is given up. It cannot
/// happen (the items were read in the same transaction, with the library locked); should
/// it, nothing is written and the lead is asked to try again.
pub fn not_written(outcome: &WriteOutcome) -> Error {
    let key = match outcome {
        WriteOutcome::Written(item, _) | WriteOutcome::Replay(item) => item.key.clone(),
        WriteOutcome::Conflict(item) => item.as_ref().map(|i| i.key.clone()).unwrap_or_default(),
    };
    Error::Conflict(format!(
        "“{key}” changed while it was being archived: nothing was moved, try again"
    ))
}

/// The answer to a committed archive plan.
pub fn result(plan: ArchivePlan, head: i64) -> ArchiveResult {
    ArchiveResult {
        folder_id: plan.folder_id,
        folder_created: plan.folder_created,
        moved: plan.moved,
        already: plan.already,
        head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickreply_proto::{Part, SnippetDoc};

    fn folder(name: &str, parent: Option<Uuid>, position: i64) -> FolderDoc {
        FolderDoc {
            id: Uuid::now_v7(),
            parent_id: parent,
            name: name.into(),
            position,
            starts_at: None,
            ends_at: None,
        }
    }

    fn reply(folder_id: Option<Uuid>) -> Item {
        let id = Uuid::now_v7();
        Item {
            key: id.to_string(),
            version: 3,
            seq: 7,
            deleted: false,
            doc: Some(ItemDoc::Snippet(SnippetDoc {
                id,
                folder_id,
                title: "旧活动".into(),
                code: None,
                tags: vec![],
                parts: vec![Part::Text { body: "亲".into() }],
                apps: vec![],
                position: 0,
                starts_at: None,
                ends_at: None,
            })),
            updated_at: 1,
            op: "o".into(),
        }
    }

    fn ask(keys: &[&str]) -> ArchiveAsk {
        ArchiveAsk {
            library_id: Uuid::now_v7(),
            keys: keys.iter().map(|k| (*k).to_string()).collect(),
            now: 5,
            quota: 0,
            batch: Uuid::now_v7(),
            new_folder: Uuid::now_v7(),
        }
    }

    #[test]
    fn the_archive_is_the_first_top_level_folder_named_so() {
        let top = folder("售后", None, 0);
        let nested = folder(ARCHIVE_FOLDER, Some(top.id), 0);
        let second = folder(ARCHIVE_FOLDER, None, 5);
        let first = folder(ARCHIVE_FOLDER, None, 2);
        let folders = vec![top, nested, second, first.clone()];
        assert_eq!(archive_folder(&folders).map(|f| f.id), Some(first.id));
        assert_eq!(archive_folder(&folders[..2]).map(|f| f.id), None);
    }

    #[test]
    fn a_plan_creates_the_folder_once_and_skips_what_is_archived_already() -> Result<(), Error> {
        let a = reply(None);
        let ask = ask(&[&a.key]);
        let plan = plan_archive(
            &ask,
            &[folder("售后", None, 4)],
            vec![(a.key.clone(), Some(a))],
        )?;
        assert!(plan.folder_created);
        assert_eq!(plan.folder_id, ask.new_folder);
        assert_eq!(plan.writes.len(), 2);
        assert!(matches!(&plan.writes[0].doc, Some(ItemDoc::Folder(f))
            if f.name == ARCHIVE_FOLDER && f.position == 5 && f.parent_id.is_none()));
        assert_eq!(plan.writes[0].if_match, 0);
        assert!(matches!(&plan.writes[1].doc, Some(ItemDoc::Snippet(s))
            if s.folder_id == Some(ask.new_folder)));
        assert_eq!(plan.writes[1].if_match, 3);
        assert_ne!(plan.writes[0].op, plan.writes[1].op);

        let archive = folder(ARCHIVE_FOLDER, None, 0);
        let inside = reply(Some(archive.id));
        let plan = plan_archive(
            &ask,
            std::slice::from_ref(&archive),
            vec![(inside.key.clone(), Some(inside.clone()))],
        )?;
        assert!(!plan.folder_created);
        assert!(plan.writes.is_empty());
        assert_eq!(plan.already, vec![inside.key]);
        Ok(())
    }

    #[test]
    fn a_plan_refuses_what_is_no_live_reply() {
        let ask = ask(&["x"]);
        assert!(matches!(
            plan_archive(&ask, &[], vec![("x".into(), None)]),
            Err(Error::NotFound(_))
        ));
        let mut gone = reply(None);
        gone.deleted = true;
        gone.doc = None;
        assert!(matches!(
            plan_archive(&ask, &[], vec![("g".into(), Some(gone))]),
            Err(Error::NotFound(m)) if m.contains("deleted")
        ));
    }

    #[test]
    fn the_folder_pattern_matches_only_the_field() {
        let id = Uuid::now_v7();
        let pattern = in_folder_pattern(Some(id));
        assert_eq!(pattern, format!("%\"folder_id\":\"{id}\"%"));
        assert_eq!(in_folder_pattern(None), "");
    }
}
