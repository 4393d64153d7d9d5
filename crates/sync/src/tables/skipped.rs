//! `sync_skipped`: items of a synced library this computer could not take from the
//! server (see `crate::skips`), one row per item, the newest version the feed brought.

use rusqlite::{Connection, params};
use uuid::Uuid;

use quickreply_proto::api::{Item, ItemDoc};

use super::uuid_at;
use crate::error::Result;

/// One skipped item as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SkippedRow {
    pub library: Uuid,
    pub key: String,
    pub version: i64,
    /// The document; `None` for a deletion, or when the stored JSON no longer parses (then
    /// `deleted` is false and the row is not tried again).
    pub doc: Option<ItemDoc>,
    pub deleted: bool,
    pub title: String,
    pub reason: String,
    pub first_at: i64,
    pub last_at: i64,
}

impl SkippedRow {
    /// The item to try again, as the feed brought it.
    pub(crate) fn item(&self) -> Item {
        Item {
            key: self.key.clone(),
            version: self.version,
            seq: 0,
            deleted: self.deleted,
            doc: self.doc.clone(),
            updated_at: 0,
            op: String::new(),
        }
    }
}

/// What people call an item: a reply's title, a folder's or variable's name; the key of a
/// deletion.
pub(crate) fn title_of(item: &Item) -> String {
    match item.doc.as_ref().filter(|_| !item.deleted) {
        Some(ItemDoc::Snippet(s)) => s.title.clone(),
        Some(ItemDoc::Folder(f)) => f.name.clone(),
        Some(ItemDoc::Variable(v)) => format!("{{{}}}", v.name),
        None => item.key.clone(),
    }
}

/// Record that `item` could not be taken, and why (replacing an older skip of its key).
pub(crate) fn skip(conn: &Connection, library: Uuid, item: &Item, reason: &str) -> Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    let doc = item
        .doc
        .as_ref()
        .filter(|_| !item.deleted)
        .map(|d| serde_json::to_string(d).unwrap_or_default());
    conn.prepare_cached(
        "INSERT INTO sync_skipped (library_id, key, version, doc, title, reason, first_at, last_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (library_id, key) DO UPDATE SET version = excluded.version,
            doc = excluded.doc, title = excluded.title, reason = excluded.reason,
            last_at = excluded.last_at",
    )?
    .execute(params![
        library.to_string(),
        item.key,
        item.version,
        doc,
        title_of(item),
        reason,
        now
    ])?;
    Ok(())
}

/// Forget the skip of `key` once its version `version` (or a later one) is applied.
pub(crate) fn unskip(conn: &Connection, library: Uuid, key: &str, version: i64) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM sync_skipped WHERE library_id = ?1 AND key = ?2 AND version <= ?3",
    )?
    .execute(params![library.to_string(), key, version])?;
    Ok(())
}

/// The skipped items of one library (`Some`) or of every library, oldest first.
pub(crate) fn skipped(conn: &Connection, library: Option<Uuid>) -> Result<Vec<SkippedRow>> {
    let mut st = conn.prepare_cached(
        "SELECT library_id, key, version, doc, title, reason, first_at, last_at
         FROM sync_skipped WHERE ?1 IS NULL OR library_id = ?1 ORDER BY first_at, key",
    )?;
    let rows = st
        .query_map([library.map(|l| l.to_string())], |r| {
            let doc: Option<String> = r.get(3)?;
            Ok(SkippedRow {
                library: uuid_at(r, 0)?,
                key: r.get(1)?,
                version: r.get(2)?,
                deleted: doc.is_none(),
                doc: doc.and_then(|d| serde_json::from_str(&d).ok()),
                title: r.get(4)?,
                reason: r.get(5)?,
                first_at: r.get(6)?,
                last_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Forget every skip of the libraries of `account` (it was left).
pub(crate) fn forget_skipped(conn: &Connection, account: i64) -> Result<()> {
    conn.execute(
        "DELETE FROM sync_skipped WHERE library_id IN
            (SELECT library_id FROM sync_libraries WHERE account = ?1)",
        [account],
    )?;
    Ok(())
}

/// The shadow of a library as (key, version), as if its skipped items had been taken: the
/// digest of this equals the server's when the skips are the only difference.
pub(crate) fn digest_counting_skips(
    conn: &Connection,
    library: Uuid,
) -> Result<quickreply_proto::api::Digest> {
    let mut versions: std::collections::BTreeMap<String, i64> = conn
        .prepare_cached("SELECT key, version FROM sync_items WHERE library_id = ?1")?
        .query_map([library.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for row in skipped(conn, Some(library))? {
        if row.deleted {
            versions.remove(&row.key);
        } else {
            versions.insert(row.key, row.version);
        }
    }
    Ok(quickreply_proto::api::Digest::of(
        versions.iter().map(|(k, v)| (k.as_str(), *v)),
    ))
}
