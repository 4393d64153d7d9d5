//! An item write in SQLite: what `Store::write_item` does inside the writer's transaction.
//! The decision (version check, replay, conflict) is the shared one ([`decide`]); here the
//! item, the library's head, the change counter, the blob links and the history move
//! together in one transaction.

use quickreply_proto::api::Me;
use rusqlite::{OptionalExtension as _, Transaction, params};

use super::pool::Cached;
use super::rows::{load_item, load_library};
use crate::Error;
use crate::store::write::{
    Decision, blobs, decide, doc_json, history_drops_to, missing_blob, written,
};
use crate::store::{ItemWrite, WriteOutcome, compliance, policy, quota};

/// Writes `w` for `me` in `tx` (the caller commits it).
pub(super) fn write_item(
    tx: &Transaction<'_>,
    me: &Me,
    w: &ItemWrite,
) -> Result<WriteOutcome, Error> {
    let lib = policy::check_write(me, load_library(tx, w.library_id)?)?;
    let current = load_item(tx, w.library_id, &w.key)?;
    let item = match decide(w, &lib, current)? {
        Decision::Write(item) => item,
        Decision::Answer(outcome) => return Ok(outcome),
    };
    let stored_policy = if compliance::needs_policy(w, &lib) {
        load_item(tx, w.library_id, &compliance::policy_key())?
    } else {
        None
    };
    compliance::check(w, &lib, stored_policy.as_ref())?;
    let blobs = blobs(w);
    for sha in &blobs {
        let present: bool = tx.row(
            "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
            [sha],
            |r| r.get(0),
        )?;
        if !present {
            return Err(missing_blob(sha));
        }
    }
    let doc_json = doc_json(w)?;
    // The quota: the writer is charged the new document, the previous writer given back
    // the old one.
    let lib_id = w.library_id.to_string();
    let user = me.user_id.to_string();
    let size = doc_json
        .as_deref()
        .map_or(0, |d| i64::try_from(d.len()).unwrap_or(i64::MAX));
    let (old_writer, old_size): (Option<String>, i64) = tx
        .row(
            "SELECT writer, size FROM items WHERE library_id = ?1 AND key = ?2",
            params![lib_id, item.key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((None, 0));
    let used: i64 = tx.row(
        "SELECT stored_bytes FROM users WHERE id = ?1",
        [&user],
        |r| r.get(0),
    )?;
    let freed = if old_writer.as_deref() == Some(user.as_str()) {
        old_size
    } else {
        0
    };
    quota::check(w.quota, used, freed, size)?;
    let change_no: i64 = tx.row(
        "UPDATE meta SET value = value + 1 WHERE key = 'change_no' RETURNING value",
        [],
        |r| r.get(0),
    )?;
    tx.exec(
        "INSERT INTO items (library_id, key, version, seq, deleted, doc, updated_at, op,
                            change_no, writer, size)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (library_id, key) DO UPDATE SET
            version = excluded.version, seq = excluded.seq, deleted = excluded.deleted,
            doc = excluded.doc, updated_at = excluded.updated_at, op = excluded.op,
            change_no = excluded.change_no, writer = excluded.writer, size = excluded.size",
        params![
            lib_id,
            item.key,
            item.version,
            item.seq,
            item.deleted,
            doc_json,
            item.updated_at,
            item.op,
            change_no,
            user,
            size
        ],
    )?;
    if let Some(old_writer) = &old_writer {
        tx.exec(
            "UPDATE users SET stored_bytes = max(stored_bytes - ?1, 0) WHERE id = ?2",
            params![old_size, old_writer],
        )?;
    }
    tx.exec(
        "UPDATE users SET stored_bytes = stored_bytes + ?1 WHERE id = ?2",
        params![size, user],
    )?;
    tx.exec(
        "UPDATE libraries SET head = ?1, last_change = ?2 WHERE id = ?3",
        params![item.seq, change_no, lib_id],
    )?;
    tx.exec(
        "DELETE FROM item_blobs WHERE library_id = ?1 AND key = ?2",
        params![lib_id, item.key],
    )?;
    for sha in &blobs {
        tx.exec(
            "INSERT OR IGNORE INTO item_blobs (library_id, key, sha256) VALUES (?1, ?2, ?3)",
            params![lib_id, item.key, sha],
        )?;
    }
    tx.exec(
        "INSERT OR REPLACE INTO item_history (library_id, key, version, deleted, doc,
                                              updated_at, device_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            lib_id,
            item.key,
            item.version,
            item.deleted,
            doc_json,
            item.updated_at,
            me.device_id.to_string()
        ],
    )?;
    tx.exec(
        "DELETE FROM item_history WHERE library_id = ?1 AND key = ?2 AND version <= ?3",
        params![lib_id, item.key, history_drops_to(&item)],
    )?;
    Ok(written(item, lib, change_no))
}
