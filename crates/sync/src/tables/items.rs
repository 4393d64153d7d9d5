//! The item side of the sync tables: items as documents, the shadow copy of the server's
//! items, the outbox, and applying server changes. Everything here runs inside a
//! transaction the caller owns.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use quickreply_proto::api::{Digest, ItemDoc, VAR_PREFIX, VariableDoc};
use quickreply_proto::{FolderDoc, SnippetDoc};

use quickreply_core::store::Store;

use super::uuid_at;
use crate::error::Result;

/// Whether the triggers should treat the following writes as coming from the server
/// (no outbox entry, no read-only guard).
pub(crate) fn set_applying(conn: &Connection, on: bool) -> Result<()> {
    conn.execute("UPDATE sync_mode SET applying = ?1", [on as i64])?;
    Ok(())
}

fn split_list(s: &str) -> Vec<String> {
    s.split('\n')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn uuid(s: Option<String>) -> Option<Uuid> {
    s.and_then(|s| Uuid::parse_str(&s).ok())
}

/// The local item `key` of a library as a document; `None` when it does not exist.
pub(crate) fn local_doc(conn: &Connection, library: Uuid, key: &str) -> Result<Option<ItemDoc>> {
    let lib = library.to_string();
    if let Some(name) = key.strip_prefix(VAR_PREFIX) {
        return Ok(conn
            .prepare_cached(
                "SELECT value, description, overridable, example FROM variables
                 WHERE library_id = ?1 AND name = ?2",
            )?
            .query_row(params![lib, name], |r| {
                Ok(ItemDoc::Variable(VariableDoc {
                    name: name.to_string(),
                    value: r.get(0)?,
                    description: r.get(1)?,
                    overridable: r.get(2)?,
                    example: r.get(3)?,
                }))
            })
            .optional()?);
    }
    let snippet = conn
        .prepare_cached(
            "SELECT id, folder_id, title, code, tags, parts, apps, position, starts_at, ends_at FROM snippets
             WHERE library_id = ?1 AND id = ?2",
        )?
        .query_row(params![lib, key], |r| {
            let parts: String = r.get(5)?;
            Ok(ItemDoc::Snippet(SnippetDoc {
                id: uuid_at(r, 0)?,
                folder_id: uuid(r.get(1)?),
                title: r.get(2)?,
                code: r.get(3)?,
                tags: split_list(&r.get::<_, String>(4)?),
                parts: serde_json::from_str(&parts).unwrap_or_default(),
                apps: split_list(&r.get::<_, String>(6)?),
                position: r.get(7)?,
                starts_at: r.get(8)?,
                ends_at: r.get(9)?,
            }))
        })
        .optional()?;
    if snippet.is_some() {
        return Ok(snippet);
    }
    Ok(conn
        .prepare_cached(
            "SELECT id, parent_id, name, position, starts_at, ends_at FROM folders
             WHERE library_id = ?1 AND id = ?2",
        )?
        .query_row(params![lib, key], |r| {
            Ok(ItemDoc::Folder(FolderDoc {
                id: uuid_at(r, 0)?,
                parent_id: uuid(r.get(1)?),
                name: r.get(2)?,
                position: r.get(3)?,
                starts_at: r.get(4)?,
                ends_at: r.get(5)?,
            }))
        })
        .optional()?)
}

/// What this device last knew the server to hold for `key`: (version, document).
pub(crate) fn shadow(
    conn: &Connection,
    library: Uuid,
    key: &str,
) -> Result<Option<(i64, Option<ItemDoc>)>> {
    Ok(conn
        .prepare_cached("SELECT version, doc FROM sync_items WHERE library_id = ?1 AND key = ?2")?
        .query_row(params![library.to_string(), key], |r| {
            let doc: String = r.get(1)?;
            Ok((r.get(0)?, serde_json::from_str(&doc).ok()))
        })
        .optional()?)
}

/// Record the server's state of `key`: a live document at `version`, or gone (`None`).
pub(crate) fn set_shadow(
    conn: &Connection,
    library: Uuid,
    key: &str,
    version: i64,
    doc: Option<&ItemDoc>,
) -> Result<()> {
    match doc {
        Some(doc) => {
            conn.prepare_cached(
                "INSERT INTO sync_items (library_id, key, version, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (library_id, key) DO UPDATE SET version = excluded.version, doc = excluded.doc",
            )?
            .execute(params![
                library.to_string(),
                key,
                version,
                serde_json::to_string(doc).unwrap_or_default()
            ])?;
        }
        None => {
            conn.prepare_cached("DELETE FROM sync_items WHERE library_id = ?1 AND key = ?2")?
                .execute(params![library.to_string(), key])?;
        }
    }
    Ok(())
}

/// The digest of what this device believes the server holds for a library.
pub(crate) fn shadow_digest(conn: &Connection, library: Uuid) -> Result<Digest> {
    let mut st =
        conn.prepare_cached("SELECT key, version FROM sync_items WHERE library_id = ?1")?;
    let rows = st
        .query_map([library.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Digest::of(rows.iter().map(|(k, v)| (k.as_str(), *v))))
}

/// Keys of the shadow of a library.
pub(crate) fn shadow_keys(conn: &Connection, library: Uuid) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached("SELECT key FROM sync_items WHERE library_id = ?1")?;
    let rows = st
        .query_map([library.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// One pending local change.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub library: Uuid,
    pub key: String,
    pub rev: i64,
    pub op: String,
    /// Refused as it is now (see [`refuse`]): not sent again until it changes or the
    /// user retries it.
    pub refused: bool,
}

/// `o`'s outbox row is refused as it is now.
pub(crate) const IS_REFUSED: &str = "(SELECT r.rev = o.rev FROM sync_refused r
                          WHERE r.library_id = o.library_id AND r.key = o.key)";

pub(crate) fn outbox(conn: &Connection) -> Result<Vec<Pending>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT o.library_id, o.key, o.rev, o.op, ifnull({IS_REFUSED}, 0) FROM outbox o
         JOIN sync_libraries l ON l.library_id = o.library_id ORDER BY o.queued_at, o.key"
    ))?;
    let rows = st
        .query_map([], |r| {
            Ok(Pending {
                library: uuid_at(r, 0)?,
                key: r.get(1)?,
                rev: r.get(2)?,
                op: r.get(3)?,
                refused: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Local changes of a library waiting to be sent (refused ones not counted).
pub(crate) fn pending_count(conn: &Connection, library: Uuid) -> Result<usize> {
    let n: i64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM outbox o WHERE o.library_id = ?1 AND NOT ifnull({IS_REFUSED}, 0)"
        ),
        [library.to_string()],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or_default())
}

/// Whether a local change of this item waits (to be sent, or refused and kept): a pull
/// leaves the item alone then.
pub(crate) fn is_pending(conn: &Connection, library: Uuid, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE library_id = ?1 AND key = ?2")?
        .exists(params![library.to_string(), key])?)
}

/// Forget a pending change, unless it changed again since `rev` was read; a refusal of
/// it goes with it.
pub(crate) fn done(conn: &Connection, p: &Pending) -> Result<()> {
    let n = conn
        .prepare_cached("DELETE FROM outbox WHERE library_id = ?1 AND key = ?2 AND rev = ?3")?
        .execute(params![p.library.to_string(), p.key, p.rev])?;
    if n > 0 {
        conn.prepare_cached("DELETE FROM sync_refused WHERE library_id = ?1 AND key = ?2")?
            .execute(params![p.library.to_string(), p.key])?;
    }
    Ok(())
}

/// Keep a change that will not be taken as it is: it stays in the outbox, is not sent
/// again until it changes (or [`unrefuse`]), and is listed by [`refused`].
pub(crate) fn refuse(conn: &Connection, p: &Pending, zh: &str, en: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_refused (library_id, key, rev, message_zh, message_en, at)
         VALUES (?1, ?2, ?3, ?4, ?5, CAST(unixepoch('subsec') * 1000 AS INTEGER))
         ON CONFLICT (library_id, key) DO UPDATE SET rev = excluded.rev,
            message_zh = excluded.message_zh, message_en = excluded.message_en, at = excluded.at",
    )?
    .execute(params![p.library.to_string(), p.key, p.rev, zh, en])?;
    Ok(())
}

/// A refused local change as stored: library, key, reason (zh, en), when (Unix ms).
pub(crate) struct RefusedRow {
    pub library: Uuid,
    pub key: String,
    pub zh: String,
    pub en: String,
    pub at: i64,
}

/// The refused changes of a library (all synced libraries with `None`), oldest first.
pub(crate) fn refused(conn: &Connection, library: Option<Uuid>) -> Result<Vec<RefusedRow>> {
    let mut st = conn.prepare_cached(
        "SELECT r.library_id, r.key, r.message_zh, r.message_en, r.at FROM sync_refused r
         JOIN outbox o ON o.library_id = r.library_id AND o.key = r.key AND o.rev = r.rev
         JOIN sync_libraries l ON l.library_id = r.library_id
         WHERE ?1 IS NULL OR r.library_id = ?1 ORDER BY r.at, r.key",
    )?;
    let rows = st
        .query_map([library.map(|l| l.to_string())], |r| {
            Ok(RefusedRow {
                library: uuid_at(r, 0)?,
                key: r.get(1)?,
                zh: r.get(2)?,
                en: r.get(3)?,
                at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Send a refused change again at the next round (one key, or all of a library).
pub(crate) fn unrefuse(conn: &Connection, library: Uuid, key: Option<&str>) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM sync_refused WHERE library_id = ?1 AND (?2 IS NULL OR key = ?2)",
        params![library.to_string(), key],
    )?)
}

/// Drop a local change altogether (the item goes back to the server's version).
pub(crate) fn drop_pending(conn: &Connection, library: Uuid, key: &str) -> Result<()> {
    let lib = library.to_string();
    conn.execute(
        "DELETE FROM outbox WHERE library_id = ?1 AND key = ?2",
        params![lib, key],
    )?;
    conn.execute(
        "DELETE FROM sync_refused WHERE library_id = ?1 AND key = ?2",
        params![lib, key],
    )?;
    Ok(())
}

/// Give a pending change a new op id (its next attempt is a different write).
pub(crate) fn renew_op(conn: &Connection, p: &Pending) -> Result<()> {
    conn.execute(
        "UPDATE outbox SET op = lower(hex(randomblob(16))) WHERE library_id = ?1 AND key = ?2",
        params![p.library.to_string(), p.key],
    )?;
    Ok(())
}

/// Queue every item of a library (a library that starts to sync uploads what it has).
pub(crate) fn enqueue_all(conn: &Connection, library: Uuid) -> Result<()> {
    let lib = library.to_string();
    for sql in [
        "SELECT id FROM folders WHERE library_id = ?1 ORDER BY parent_id IS NOT NULL, position",
        "SELECT id FROM snippets WHERE library_id = ?1",
        "SELECT 'var:' || name AS id FROM variables WHERE library_id = ?1",
    ] {
        conn.execute(
            &format!(
                "INSERT INTO outbox (library_id, key, op, queued_at)
                 SELECT ?1, k.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER)
                 FROM ({sql}) k WHERE 1
                 ON CONFLICT (library_id, key) DO NOTHING"
            ),
            [&lib],
        )?;
    }
    Ok(())
}

/// The name of the library other than `lib` that holds the reply (or with `folder`, the
/// folder) whose id is `key`, if one does.
pub(crate) fn library_elsewhere(
    conn: &Connection,
    lib: Uuid,
    key: &str,
    folder: bool,
) -> Result<Option<String>> {
    let sql = if folder {
        "SELECT l.name FROM folders t JOIN libraries l ON l.id = t.library_id
         WHERE t.id = ?1 AND t.library_id != ?2"
    } else {
        "SELECT l.name FROM snippets t JOIN libraries l ON l.id = t.library_id
         WHERE t.id = ?1 AND t.library_id != ?2"
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![key, lib.to_string()], |r| r.get(0))
        .optional()?)
}

/// Make the local library hold `doc` (a change from the server). Clashes with local
/// items that are not on the server yet (a folder of the same name, a reply with the
/// same shortcut code) are resolved in favour of the server: the local folder is
/// merged into the server's, the local reply loses its code. Those local fixes are
/// ordinary local changes (queued), so the caller must have applying mode on only
/// around the write itself, which this function manages.
pub(crate) fn apply_doc(conn: &Connection, library: Uuid, doc: &ItemDoc) -> Result<()> {
    let lib = library.to_string();
    match doc {
        ItemDoc::Variable(v) => {
            set_applying(conn, true)?;
            conn.prepare_cached(
                "INSERT INTO variables (library_id, name, value, description, overridable, example)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value,
                    description = excluded.description, overridable = excluded.overridable,
                    example = excluded.example",
            )?
            .execute(params![
                lib,
                v.name,
                v.value,
                v.description,
                v.overridable,
                v.example
            ])?;
        }
        ItemDoc::Folder(f) => {
            // A local folder with the same name and place but another id: merge it.
            let twin: Option<String> = conn
                .prepare_cached(
                    "SELECT id FROM folders WHERE library_id = ?1 AND parent_id IS ?2 AND name = ?3 AND id != ?4",
                )?
                .query_row(
                    params![
                        lib,
                        f.parent_id.map(|p| p.to_string()),
                        f.name,
                        f.id.to_string()
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(twin) = &twin {
                set_applying(conn, false)?;
                // Kept within the shared name limit (the suffix is 10 characters).
                conn.execute(
                    "UPDATE folders SET name = substr(name, 1, ?2) || ' ~' || substr(id, 1, 8)
                     WHERE id = ?1",
                    params![twin, quickreply_proto::check::MAX_NAME - 10],
                )?;
            }
            set_applying(conn, true)?;
            conn.prepare_cached(
                "INSERT INTO folders (id, library_id, parent_id, name, position, starts_at, ends_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,
                    position = excluded.position, starts_at = excluded.starts_at,
                    ends_at = excluded.ends_at",
            )?
            .execute(params![
                f.id.to_string(),
                lib,
                f.parent_id.map(|p| p.to_string()),
                f.name,
                f.position,
                f.starts_at,
                f.ends_at
            ])?;
            if let Some(twin) = twin {
                set_applying(conn, false)?;
                let id = f.id.to_string();
                conn.execute(
                    "UPDATE snippets SET folder_id = ?2 WHERE folder_id = ?1",
                    params![twin, id],
                )?;
                conn.execute(
                    "UPDATE folders SET parent_id = ?2 WHERE parent_id = ?1",
                    params![twin, id],
                )?;
                conn.execute("DELETE FROM folders WHERE id = ?1", [twin])?;
            }
        }
        ItemDoc::Snippet(s) => {
            if let Some(code) = &s.code {
                set_applying(conn, false)?;
                conn.execute(
                    "UPDATE snippets SET code = NULL WHERE library_id = ?1 AND code = ?2 AND id != ?3",
                    params![lib, code, s.id.to_string()],
                )?;
            }
            set_applying(conn, true)?;
            Store::write_snippet_doc(conn, library, s)?;
        }
    }
    set_applying(conn, false)?;
    Ok(())
}

/// Remove the local item `key` (deleted on the server). Replies and subfolders still in
/// a removed folder move to the library root as local changes, so nothing is lost.
/// Set the mode for a fix a pulled change forces on local items (replies of a deleted
/// or missing folder move to the root). Where this computer may write, the fix is a
/// local change (queued and sent, so the server's copy is mended too); in a library it
/// only reads, it is this copy's own repair, which must not be refused as a write to a
/// read-only library (that failed the whole pull).
fn local_fix_mode(conn: &Connection, library: Uuid) -> Result<()> {
    let writable: bool = conn
        .prepare_cached("SELECT writable FROM sync_libraries WHERE library_id = ?1")?
        .query_row([library.to_string()], |r| r.get(0))
        .optional()?
        .unwrap_or(true);
    set_applying(conn, !writable)
}

pub(crate) fn apply_delete(conn: &Connection, library: Uuid, key: &str) -> Result<()> {
    let lib = library.to_string();
    if let Some(name) = key.strip_prefix(VAR_PREFIX) {
        set_applying(conn, true)?;
        conn.execute(
            "DELETE FROM variables WHERE library_id = ?1 AND name = ?2",
            params![lib, name],
        )?;
    } else {
        local_fix_mode(conn, library)?;
        conn.execute(
            "UPDATE snippets SET folder_id = NULL WHERE library_id = ?1 AND folder_id = ?2",
            params![lib, key],
        )?;
        conn.execute(
            "UPDATE folders SET parent_id = NULL WHERE library_id = ?1 AND parent_id = ?2",
            params![lib, key],
        )?;
        set_applying(conn, true)?;
        conn.execute(
            "DELETE FROM snippets WHERE library_id = ?1 AND id = ?2",
            params![lib, key],
        )?;
        conn.execute(
            "DELETE FROM folders WHERE library_id = ?1 AND id = ?2",
            params![lib, key],
        )?;
    }
    set_applying(conn, false)?;
    Ok(())
}

/// Replies whose folder is not in the library (the folder was deleted on another
/// machine while a reply was added to it here, or a teammate's client named a folder of
/// another library, which must not pull the reply into that library's tree) move to the
/// root, as local changes; so do folders in a loop (see [`folder_loops`]).
pub(crate) fn fix_orphans(conn: &Connection, library: Uuid) -> Result<()> {
    local_fix_mode(conn, library)?;
    let cuts = folder_loops(conn, library)?;
    for id in &cuts {
        conn.execute(
            "UPDATE folders SET parent_id = NULL WHERE library_id = ?1 AND id = ?2",
            params![library.to_string(), id],
        )?;
    }
    conn.execute(
        "UPDATE snippets SET folder_id = NULL WHERE library_id = ?1 AND folder_id IS NOT NULL
           AND folder_id NOT IN (SELECT id FROM folders WHERE library_id = ?1)",
        [library.to_string()],
    )?;
    conn.execute(
        "UPDATE folders SET parent_id = NULL WHERE library_id = ?1 AND parent_id IS NOT NULL
           AND parent_id NOT IN (SELECT id FROM folders WHERE library_id = ?1)",
        [library.to_string()],
    )?;
    set_applying(conn, false)?;
    Ok(())
}

/// Folders of a library that are their own ancestors, one per loop (the first of the
/// loop in id order): a folder moved into itself, or two folders moved into each other at
/// the same time on two computers (each move is valid alone; the server keeps both). No
/// folder of a loop can be reached from the top, so the tree would hide them and every
/// reply in them; cutting the loop there puts that folder at the top. Linear in the
/// library's folders.
pub(crate) fn folder_loops(conn: &Connection, library: Uuid) -> Result<Vec<String>> {
    let mut st =
        conn.prepare_cached("SELECT id, parent_id FROM folders WHERE library_id = ?1 ORDER BY id")?;
    let rows = st
        .query_map([library.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let index: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let parent: Vec<Option<usize>> = rows
        .iter()
        .map(|(_, p)| p.as_deref().and_then(|p| index.get(p).copied()))
        .collect();
    // 0: not visited, 1: on the path being followed, 2: done.
    let mut state = vec![0u8; rows.len()];
    let mut cuts = Vec::new();
    for start in 0..rows.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                0 => {
                    state[i] = 1;
                    path.push(i);
                    at = parent[i];
                }
                1 => {
                    // Back on this path: the loop is the path from `i` on.
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    if let Some(&first) = path[from..].iter().min() {
                        cuts.push(rows[first].0.clone());
                    }
                    break;
                }
                _ => break,
            }
        }
        for i in path {
            state[i] = 2;
        }
    }
    Ok(cuts)
}

/// Fire counts of a library's replies that changed after `since` (Unix ms of a fire),
/// each the whole day's count, and the newest fire among them.
pub(crate) fn usage_since(
    conn: &Connection,
    library: Uuid,
    since: i64,
) -> Result<(Vec<quickreply_proto::api::UsageCount>, i64)> {
    let mut st = conn.prepare_cached(
        "SELECT u.snippet_id, u.day, u.count, u.last_at FROM usage u JOIN snippets s ON s.id = u.snippet_id
         WHERE s.library_id = ?1 AND u.last_at > ?2 ORDER BY u.day, u.snippet_id",
    )?;
    let mut newest = since;
    let rows = st
        .query_map(params![library.to_string(), since], |r| {
            Ok((
                quickreply_proto::api::UsageCount {
                    key: r.get(0)?,
                    day: r.get(1)?,
                    count: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
                },
                r.get::<_, i64>(3)?,
            ))
        })?
        .map(|row| {
            row.map(|(count, at)| {
                newest = newest.max(at);
                count
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, newest))
}
