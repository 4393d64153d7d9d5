//! An item write in SQLite: what `Store::write_item` does inside the writer's transaction.
//! The decision (version check, replay, conflict) is the shared one ([`decide`]); here the
//! item, the library's head, the change counter, the blob links and the history move
//! together in one transaction.

use quickreply_proto::api::Me;
use rusqlite::{Transaction, params};

use super::pool::Cached;
use super::rows::{load_item, load_library};
use crate::Error;
use crate::store::write::{
    Decision, blobs, decide, doc_json, history_drops_to, missing_blob, written,
};
use crate::store::{ItemWrite, WriteOutcome, policy};

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
    let change_no: i64 = tx.row(
        "UPDATE meta SET value = value + 1 WHERE key = 'change_no' RETURNING value",
        [],
        |r| r.get(0),
    )?;
    let lib_id = w.library_id.to_string();
    tx.exec(
        "INSERT INTO items (library_id, key, version, seq, deleted, doc, updated_at, op,
                            change_no)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (library_id, key) DO UPDATE SET
            version = excluded.version, seq = excluded.seq, deleted = excluded.deleted,
            doc = excluded.doc, updated_at = excluded.updated_at, op = excluded.op,
            change_no = excluded.change_no",
        params![
            lib_id,
            item.key,
            item.version,
            item.seq,
            item.deleted,
            doc_json,
            item.updated_at,
            item.op,
            change_no
        ],
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
