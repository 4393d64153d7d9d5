//! An item write in PostgreSQL: what `Store::write_item` does inside its transaction.
//! The decision (version check, replay, conflict) is the shared one ([`decide`]); what is
//! PostgreSQL's own is the locking that keeps sequence and change numbers in commit order
//! across instances (see the `postgres` module) and the pipelining: the statements are
//! prepared first and then sent together, one round trip for the reads and one for the
//! writes, the `NOTIFY` among them.

use deadpool_postgres::Transaction;
use futures_util::future::{try_join, try_join_all, try_join4};
use quickreply_proto::LibraryKind;
use quickreply_proto::api::Me;
use tokio_postgres::types::ToSql;

use super::listener::NOTIFY_CHANGE;
use super::rows::{item_from_row, library_from_row};
use crate::Error;
use crate::store::rows::{ITEM_COLUMNS, LIBRARY_COLUMNS};
use crate::store::write::{Decision, decide, history_drops_to, missing_blob, written};
use crate::store::{ItemWrite, WriteOutcome, compliance, policy, quota};

/// Writes `w` for `me` in `tx` (the caller commits it): `blobs` are the images its
/// document refers to, `doc_json` the document as stored. With `notify` the write sends
/// its own `NOTIFY`; a batch sends one for all its writes instead ([`notify_change`]).
/// A refusal (see `Error::is_refusal`) is answered before anything is written.
pub(super) async fn write_item(
    tx: &Transaction<'_>,
    me: &Me,
    w: &ItemWrite,
    blobs: &[String],
    doc_json: Option<&str>,
    notify: bool,
) -> Result<WriteOutcome, Error> {
    // Statements are prepared first, then sent together (pipelined, in order): one
    // round trip for the reads and one for the writes.
    let (s_lib, s_item, s_blobs, s_used) = try_join4(
        tx.prepare_cached(&format!(
            "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = $1 FOR NO KEY UPDATE"
        )),
        tx.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS}, writer, size FROM items WHERE library_id = $1 AND key = $2"
        )),
        tx.prepare_cached("SELECT sha256 FROM blobs WHERE sha256 = ANY($1)"),
        tx.prepare_cached("SELECT stored_bytes FROM users WHERE id = $1"),
    )
    .await?;
    // The library row lock comes first: the item and head are read after any
    // other write to this library has committed.
    let (lib, current, present, used) = try_join4(
        tx.query_opt(&s_lib, &[&w.library_id]),
        tx.query_opt(&s_item, &[&w.library_id, &w.key]),
        tx.query(&s_blobs, &[&blobs]),
        tx.query_opt(&s_used, &[&me.user_id]),
    )
    .await?;
    // The quota (`store::quota`): who wrote the current version, and its bytes.
    let (old_writer, old_size): (Option<uuid::Uuid>, i64) = match &current {
        Some(r) => (r.try_get("writer")?, r.try_get("size")?),
        None => (None, 0),
    };
    let used: i64 = used.map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
    let lib = policy::check_write(me, lib.map(|r| library_from_row(&r)).transpose()?)?;
    let current = current.map(|r| item_from_row(&r)).transpose()?;
    let item = match decide(w, &lib, current)? {
        Decision::Write(item) => item,
        Decision::Answer(outcome) => return Ok(outcome),
    };
    let stored_policy = if compliance::needs_policy(w, &lib) {
        tx.query_opt(&s_item, &[&w.library_id, &compliance::policy_key()])
            .await?
            .map(|r| item_from_row(&r))
            .transpose()?
    } else {
        None
    };
    compliance::check(w, &lib, stored_policy.as_ref())?;
    let present = present
        .iter()
        .map(|r| r.try_get::<_, String>(0))
        .collect::<Result<std::collections::HashSet<_>, _>>()?;
    if let Some(sha) = blobs.iter().find(|s| !present.contains(*s)) {
        return Err(missing_blob(sha));
    }
    let size = doc_json.map_or(0, |d| i64::try_from(d.len()).unwrap_or(i64::MAX));
    let freed = if old_writer == Some(me.user_id) {
        old_size
    } else {
        0
    };
    quota::check(w.quota, used, freed, size)?;
    let personal_user = match lib.kind {
        LibraryKind::Personal => lib.owner_user,
        LibraryKind::Team => None,
    };
    let statements = try_join_all([
        tx.prepare_cached(
            "UPDATE meta SET value = value + 1 WHERE key = 'change_no' RETURNING value",
        ),
        tx.prepare_cached(
            "INSERT INTO items (library_id, key, version, seq, deleted, doc, updated_at,
                                op, change_no, writer, size)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                     (SELECT value FROM meta WHERE key = 'change_no'), $9, $10)
             ON CONFLICT (library_id, key) DO UPDATE SET
                version = excluded.version, seq = excluded.seq,
                deleted = excluded.deleted, doc = excluded.doc,
                updated_at = excluded.updated_at, op = excluded.op,
                change_no = excluded.change_no, writer = excluded.writer,
                size = excluded.size",
        ),
        tx.prepare_cached(
            "UPDATE libraries
             SET head = $1, last_change = (SELECT value FROM meta WHERE key = 'change_no')
             WHERE id = $2",
        ),
        tx.prepare_cached("DELETE FROM item_blobs WHERE library_id = $1 AND key = $2"),
        tx.prepare_cached(
            "INSERT INTO item_blobs (library_id, key, sha256)
             SELECT $1::uuid, $2::text, unnest($3::text[])
             ON CONFLICT DO NOTHING",
        ),
        tx.prepare_cached(NOTIFY_CHANGE),
        tx.prepare_cached(
            "INSERT INTO item_history (library_id, key, version, deleted, doc,
                                       updated_at, device_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (library_id, key, version) DO UPDATE SET
                deleted = excluded.deleted, doc = excluded.doc,
                updated_at = excluded.updated_at, device_id = excluded.device_id",
        ),
        tx.prepare_cached(
            "DELETE FROM item_history WHERE library_id = $1 AND key = $2 AND version <= $3",
        ),
        tx.prepare_cached(
            "UPDATE users SET stored_bytes = greatest(stored_bytes - $1, 0) WHERE id = $2",
        ),
        tx.prepare_cached("UPDATE users SET stored_bytes = stored_bytes + $1 WHERE id = $2"),
    ])
    .await?;
    let [
        s_counter,
        s_upsert,
        s_head,
        s_unlink,
        s_link,
        s_notify,
        s_history,
        s_prune,
        s_uncharge,
        s_charge,
    ] = &statements[..]
    else {
        return Err(Error::internal("prepared statements went missing"));
    };
    // The counter row is locked from here until the commit: change numbers follow
    // commit order.
    let upsert: [&(dyn ToSql + Sync); 10] = [
        &w.library_id,
        &item.key,
        &item.version,
        &item.seq,
        &item.deleted,
        &doc_json,
        &item.updated_at,
        &item.op,
        &me.user_id,
        &size,
    ];
    let head: [&(dyn ToSql + Sync); 2] = [&item.seq, &w.library_id];
    let unlink: [&(dyn ToSql + Sync); 2] = [&w.library_id, &item.key];
    let link: [&(dyn ToSql + Sync); 3] = [&w.library_id, &item.key, &blobs];
    let inline = serde_json::to_string(&item)
        .ok()
        .filter(|json| json.len() <= quickreply_proto::api::MAX_INLINE_ITEM);
    let notify_args: [&(dyn ToSql + Sync); 5] = [
        &w.library_id,
        &item.seq,
        &lib.team_id,
        &personal_user,
        &inline,
    ];
    let history: [&(dyn ToSql + Sync); 7] = [
        &w.library_id,
        &item.key,
        &item.version,
        &item.deleted,
        &doc_json,
        &item.updated_at,
        &me.device_id,
    ];
    let oldest_dropped = history_drops_to(&item);
    let prune: [&(dyn ToSql + Sync); 3] = [&w.library_id, &item.key, &oldest_dropped];
    let uncharge: [&(dyn ToSql + Sync); 2] = [&old_size, &old_writer];
    let charge: [&(dyn ToSql + Sync); 2] = [&size, &me.user_id];
    let mut writes = vec![
        tx.execute(s_upsert, &upsert),
        tx.execute(s_head, &head),
        tx.execute(s_unlink, &unlink),
    ];
    if !blobs.is_empty() {
        writes.push(tx.execute(s_link, &link));
    }
    writes.push(tx.execute(s_history, &history));
    writes.push(tx.execute(s_prune, &prune));
    if notify {
        writes.push(tx.execute(s_notify, &notify_args));
    }
    // After the counter (sent first below), whose lock every write takes: the user rows
    // are updated one write at a time, so two writers never wait on each other's row.
    if old_writer.is_some() {
        writes.push(tx.execute(s_uncharge, &uncharge));
    }
    writes.push(tx.execute(s_charge, &charge));
    let (counter, _) = try_join(tx.query_one(s_counter, &[]), try_join_all(writes)).await?;
    let change_no: i64 = counter.try_get(0)?;
    Ok(written(item, lib, change_no))
}

/// The one `NOTIFY` of a batch of writes: the library's head after its last written
/// `item` (inline when small enough, as a single write's), sent in the batch's transaction
/// after the writes, so the change number is the batch's last.
pub(super) async fn notify_change(
    tx: &Transaction<'_>,
    change: &crate::store::Change,
    item: &quickreply_proto::api::Item,
) -> Result<(), Error> {
    let inline = serde_json::to_string(item)
        .ok()
        .filter(|json| json.len() <= quickreply_proto::api::MAX_INLINE_ITEM);
    let statement = tx.prepare_cached(NOTIFY_CHANGE).await?;
    tx.execute(
        &statement,
        &[
            &change.library_id,
            &change.head,
            &change.team_id,
            &change.personal_user,
            &inline,
        ],
    )
    .await?;
    Ok(())
}
