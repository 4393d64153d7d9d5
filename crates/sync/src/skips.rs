//! One bad item never stops a library: an item this computer cannot take from the server
//! (its image missing there or no image, a document the local store refuses) is skipped,
//! the rest of the pull is applied and the cursor moves on. The skipped item is recorded
//! (`sync_skipped`, newest version only), tried again at every sync until it is applied
//! or a later version (a fix, a deletion) supersedes it, and reported: [`skipped`] for
//! `qreply status` and the app's indicator, the status report for the lead's board.
//!
//! What is the item's fault and what is not: a missing image (`404`), bytes that are no
//! usable image or not the image named, any other `4xx` for the image but `401`/`408`/`429`,
//! a document under another key, and a store refusal of the document itself (a constraint,
//! a value too big) skip the item. The network, the server's `5xx`, a revoked token and
//! this computer's own disk stop the round as before (nothing is skipped for those: the
//! next round tries again).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Transaction;
use uuid::Uuid;

use quickreply_core::blob::BlobDir;
use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_proto::Part;
use quickreply_proto::api::{Item, ItemDoc};

use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::model::Linked;
use crate::tables;

/// Items of one pull that cannot be taken, by (key, version), with why.
pub(crate) type Bad = HashMap<(String, i64), String>;

/// An item this computer could not take from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The account ([`crate::Account::id`]) of its library.
    pub account: i64,
    /// The local library's name.
    pub library: String,
    /// The server's id of the library.
    pub remote: Uuid,
    pub key: String,
    /// The server's version that was skipped.
    pub version: i64,
    /// The reply's title (a folder's or variable's name; the key of a deletion).
    pub title: String,
    /// Why, in this computer's language.
    pub reason: String,
    /// Unix ms: first skipped, last tried.
    pub first_at: i64,
    pub last_at: i64,
}

impl Skipped {
    /// One line for people: "「title」：reason".
    pub fn describe(&self) -> String {
        tr(
            format!("「{}」：{}", self.title, self.reason),
            format!("\"{}\": {}", self.title, self.reason),
        )
    }
}

/// Every item skipped on this computer, of every synced library, oldest first.
pub fn skipped(store: &Store) -> Result<Vec<Skipped>> {
    let links = tables::linked(store.conn())?;
    Ok(tables::skipped(store.conn(), None)?
        .into_iter()
        .filter_map(|row| {
            let link = links.iter().find(|l| l.local == row.library)?;
            Some(Skipped {
                account: link.account,
                library: link.name.clone(),
                remote: link.remote,
                key: row.key,
                version: row.version,
                title: row.title,
                reason: row.reason,
                first_at: row.first_at,
                last_at: row.last_at,
            })
        })
        .collect())
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Whether an image download failed through the item's fault (`Ok(reason)`) or not.
fn image_fault(sha: &str, e: SyncError) -> Result<String> {
    match e {
        SyncError::Server { status: 404, .. } => Ok(tr(
            format!("图片 {} 在服务器上不存在", short(sha)),
            format!("its image {} is missing on the server", short(sha)),
        )),
        SyncError::Server {
            status, message, ..
        } if (400..500).contains(&status) && ![401, 408, 429].contains(&status) => Ok(tr(
            format!("服务器不给图片 {}（{status}）：{message}", short(sha)),
            format!(
                "the server refuses its image {} ({status}): {message}",
                short(sha)
            ),
        )),
        SyncError::Core(quickreply_core::Error::BadImage { reason, .. }) => Ok(tr(
            format!("服务器上的图片 {} 不能用：{reason}", short(sha)),
            format!(
                "its image {} on the server is unusable: {reason}",
                short(sha)
            ),
        )),
        other => Err(other),
    }
}

/// Downloads the images `doc` needs that are not here yet. `Ok(Err(reason))`: the item
/// cannot be taken (see the module doc); `Err`: the round stops.
pub(crate) fn fetch_images(
    store: &Store,
    client: &Client,
    account: i64,
    doc: &ItemDoc,
) -> Result<std::result::Result<(), String>> {
    let ItemDoc::Snippet(s) = doc else {
        return Ok(Ok(()));
    };
    for p in &s.parts {
        let Part::Image { sha256, .. } = p else {
            continue;
        };
        if store.blobs().verify(sha256) {
            continue;
        }
        let bytes = match client.get_blob(sha256) {
            Ok(b) => b,
            Err(e) => return image_fault(sha256, e).map(Err),
        };
        let info = match quickreply_core::blob::inspect_image(&bytes, Path::new(sha256)) {
            Ok(info) => info,
            Err(e) => return image_fault(sha256, e.into()).map(Err),
        };
        if info.sha256 != *sha256 {
            return Ok(Err(tr(
                format!("服务器上的图片 {} 已损坏（内容与名称不符）", short(sha256)),
                format!(
                    "its image {} on the server is damaged (the content is not the image named)",
                    short(sha256)
                ),
            )));
        }
        store.put_image_bytes(&bytes, &info)?;
        tables::note_server_blob(store.conn(), account, sha256)?;
    }
    Ok(Ok(()))
}

/// Why an item cannot be applied before trying: a document under another key, an image
/// that is not here (and valid).
pub(crate) fn check_item(blobs: &BlobDir, item: &Item) -> Option<String> {
    let doc = item.doc.as_ref().filter(|_| !item.deleted)?;
    if doc.key() != item.key {
        return Some(tr(
            format!("内容属于另一个键 {}", doc.key()),
            format!("its document belongs under another key, {}", doc.key()),
        ));
    }
    let missing = doc.blobs().into_iter().find(|sha| !blobs.verify(sha))?;
    Some(tr(
        format!("图片 {} 不在本机", short(missing)),
        format!("its image {} is not on this computer", short(missing)),
    ))
}

/// Why an item must not be applied here although it is well formed: its id is that of a
/// reply or folder of another library on this computer (a teammate's server, or a hostile
/// one, sending the id of someone's personal reply would otherwise move that reply into
/// the team library, or rename that folder).
pub(crate) fn foreign_id(
    conn: &rusqlite::Connection,
    lib: Uuid,
    item: &Item,
) -> Result<Option<String>> {
    let folder = match item.doc.as_ref().filter(|_| !item.deleted) {
        Some(ItemDoc::Snippet(_)) => false,
        Some(ItemDoc::Folder(_)) => true,
        _ => return Ok(None),
    };
    let elsewhere = tables::library_elsewhere(conn, lib, &item.key, folder)?;
    Ok(elsewhere.map(|name| {
        tr(
            format!("它的编号属于本机另一个话术库「{name}」里的内容，不能拿过来"),
            format!("its id belongs to an item of another library here, “{name}”: not taken"),
        )
    }))
}

/// Whether a failure to apply an item is the item's fault (the store refuses this
/// document: a constraint, a value too big or of the wrong type), not this computer's.
pub(crate) fn apply_fault(e: &SyncError) -> Option<String> {
    use rusqlite::ErrorCode as C;
    let SyncError::Core(quickreply_core::Error::Db(rusqlite::Error::SqliteFailure(f, _))) = e
    else {
        return None;
    };
    matches!(
        f.code,
        C::ConstraintViolation | C::TooBig | C::TypeMismatch | C::ParameterOutOfRange
    )
    .then(|| {
        tr(
            format!("本机的话术库不接受它：{e}"),
            format!("this computer's store refuses it: {e}"),
        )
    })
}

/// Apply one server item in the caller's transaction (no checks).
fn apply_one(tx: &rusqlite::Connection, lib: Uuid, item: &Item) -> Result<()> {
    match item.doc.as_ref().filter(|_| !item.deleted) {
        Some(doc) => {
            tables::apply_doc(tx, lib, doc)?;
            tables::set_shadow(tx, lib, &item.key, item.version, Some(doc))?;
        }
        None => {
            tables::apply_delete(tx, lib, &item.key)?;
            tables::set_shadow(tx, lib, &item.key, item.version, None)?;
        }
    }
    Ok(())
}

/// Apply server items to library `lib` in `tx`, each on its own savepoint: an item in
/// `bad`, one [`check_item`] refuses or one the store refuses ([`apply_fault`]) is
/// recorded as skipped and the others are applied; any other failure is returned.
/// Items waiting behind a local change are left for the push's merge. Returns how many
/// were applied.
pub(crate) fn apply_checked(
    tx: &mut Transaction<'_>,
    blobs: &BlobDir,
    lib: Uuid,
    items: &[Item],
    bad: &Bad,
) -> Result<usize> {
    let mut applied = 0;
    for item in items {
        if tables::is_pending(tx, lib, &item.key)? {
            // A local change waits for this item: the next push meets the server's
            // version (412) and merges; the shadow keeps the old base until then.
            continue;
        }
        let refused = match bad
            .get(&(item.key.clone(), item.version))
            .cloned()
            .or_else(|| check_item(blobs, item))
        {
            Some(reason) => Some(reason),
            None => foreign_id(tx, lib, item)?,
        };
        if let Some(reason) = refused {
            tables::skip(tx, lib, item, &reason)?;
            continue;
        }
        let sp = tx.savepoint()?;
        match apply_one(&sp, lib, item) {
            Ok(()) => {
                sp.commit()?;
                tables::unskip(tx, lib, &item.key, item.version)?;
                applied += 1;
            }
            Err(e) => match apply_fault(&e) {
                Some(reason) => {
                    // Dropping the savepoint rolls the item's writes back.
                    drop(sp);
                    tables::skip(tx, lib, item, &reason)?;
                }
                None => return Err(e),
            },
        }
    }
    Ok(applied)
}

/// Try the skipped items of a library again (their images may be on the server now, a
/// fixed store may take them), after its pull. A row superseded by what the shadow holds
/// goes. Returns how many were applied now.
pub(crate) fn retry(store: &mut Store, client: &Client, link: &Linked) -> Result<usize> {
    let rows = tables::skipped(store.conn(), Some(link.local))?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut items = Vec::new();
    let mut bad = Bad::new();
    for row in rows {
        let shadow = tables::shadow(store.conn(), link.local, &row.key)?;
        if shadow.is_some_and(|(v, _)| v >= row.version) {
            tables::unskip(store.conn(), link.local, &row.key, row.version)?;
            continue;
        }
        if !row.deleted && row.doc.is_none() {
            // Its stored document no longer parses: left as it is until a later version.
            continue;
        }
        let item = row.item();
        if let Some(doc) = &row.doc
            && let Err(reason) = fetch_images(store, client, link.account, doc)?
        {
            bad.insert((item.key.clone(), item.version), reason);
        }
        items.push(item);
    }
    let blobs = store.blobs().clone();
    let mut tx = store.conn_mut().transaction()?;
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let applied = apply_checked(&mut tx, &blobs, link.local, &items, &bad)?;
    tables::fix_orphans(&tx, link.local)?;
    tx.commit()?;
    Ok(applied)
}

#[cfg(test)]
#[path = "skips_tests.rs"]
mod tests;
