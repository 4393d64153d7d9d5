//! Local changes that will not be taken as they are: refused by the server (a read-only
//! library, a limit of the server's configuration) or by the shared validator before
//! they were sent. They stay on this computer and in the outbox, are not sent again
//! until they change (an edit sends the new version) or the user retries them, and
//! are listed here — by `qreply status`/`qreply refused` and the app's sync indicator —
//! until then. Discarding one puts the item back as the server has it.

use std::collections::BTreeSet;

use uuid::Uuid;

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;

use crate::error::{Result, SyncError};
use crate::links::linked;
use crate::model::Linked;
use crate::round::label_of;
use crate::status::repair;
use crate::tables;

/// One refused local change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The account ([`crate::Account::id`]) of its library.
    pub account: i64,
    /// The library's name and its id on the server.
    pub library: String,
    pub remote: Uuid,
    /// The item's key (a reply's or folder's id, `var:NAME` for a variable).
    pub key: String,
    /// The reply's title, folder's or variable's name.
    pub title: String,
    /// Why, in the user's language.
    pub reason: String,
    /// When it was refused (Unix ms).
    pub at: i64,
}

/// Every refused change of every synced library, oldest first.
pub fn refused(store: &Store) -> Result<Vec<Refused>> {
    let links = linked(store)?;
    let mut out = Vec::new();
    for row in tables::refused(store.conn(), None)? {
        let Some(link) = links.iter().find(|l| l.local == row.library) else {
            continue;
        };
        let pending = tables::Pending {
            library: row.library,
            key: row.key.clone(),
            rev: 0,
            op: String::new(),
            refused: true,
        };
        let doc = tables::local_doc(store.conn(), row.library, &row.key)?;
        out.push(Refused {
            account: link.account,
            library: link.name.clone(),
            remote: link.remote,
            title: label_of(store, &pending, doc.as_ref())?,
            key: row.key,
            reason: tr(row.zh, row.en),
            at: row.at,
        });
    }
    Ok(out)
}

/// The refused changes `which` names (its key or exact title; every one with `None`).
fn chosen(store: &Store, which: Option<&str>) -> Result<Vec<(Refused, Linked)>> {
    let links = linked(store)?;
    let all = refused(store)?;
    let picked: Vec<(Refused, Linked)> = all
        .into_iter()
        .filter(|r| which.is_none_or(|w| r.key == w || r.title == w))
        .filter_map(|r| {
            let link = links.iter().find(|l| l.remote == r.remote)?.clone();
            Some((r, link))
        })
        .collect();
    if let (Some(w), true) = (which, picked.is_empty()) {
        return Err(SyncError::Unavailable(tr(
            format!("没有名为「{w}」的被拒改动（qreply refused 列出全部）"),
            format!("no refused change is called “{w}” (qreply refused lists them)"),
        )));
    }
    Ok(picked)
}

/// Send refused changes again at the next sync (after the server's limits or the
/// member's role changed). Returns how many.
pub fn retry(store: &Store, which: Option<&str>) -> Result<usize> {
    let picked = chosen(store, which)?;
    for (r, link) in &picked {
        tables::unrefuse(store.conn(), link.local, Some(&r.key))?;
    }
    Ok(picked.len())
}

/// Give up refused changes: each item goes back to the server's version (a reply made
/// here and never taken goes away), then the libraries concerned are re-read from the
/// server so they hold its newest version. Returns how many were discarded; the local
/// part stands even when the server cannot be reached (the next `qreply status`
/// re-reads the library).
pub fn discard(store: &mut Store, which: Option<&str>) -> Result<usize> {
    let picked = chosen(store, which)?;
    let tx = store.conn_mut().transaction()?;
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let mut libraries = BTreeSet::new();
    for (r, link) in &picked {
        tables::drop_pending(&tx, link.local, &r.key)?;
        match tables::shadow(&tx, link.local, &r.key)?.and_then(|(_, d)| d) {
            Some(doc) => tables::apply_doc(&tx, link.local, &doc)?,
            None => tables::apply_delete(&tx, link.local, &r.key)?,
        }
        libraries.insert((link.local, link.remote));
    }
    for (local, _) in &libraries {
        // A discarded folder may have held replies made here.
        tables::fix_orphans(&tx, *local)?;
    }
    tx.commit()?;
    for (_, remote) in libraries {
        repair(store, remote)?;
    }
    Ok(picked.len())
}
