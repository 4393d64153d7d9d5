//! Whether this computer and the server agree: pending changes, per-library digests,
//! repair by re-reading a library, verify.

use std::collections::HashSet;

use uuid::Uuid;

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_proto::api::Digest;

use crate::accounts::{accounts, client_for, client_of};
use crate::error::Result;
use crate::links::{linked, linked_of};
use crate::model::Account;
use crate::round::{apply_items, fetch};
use crate::skips::Skipped;
use crate::tables;

/// How many local changes wait to be sent to the server (0 when nothing is synced).
pub fn pending(store: &Store) -> Result<usize> {
    tables::pending_total(store.conn())
}

/// How one synced library compares with the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryStatus {
    /// The account ([`Account::id`]) it syncs with.
    pub account: i64,
    pub name: String,
    pub remote: Uuid,
    pub writable: bool,
    pub cursor: i64,
    pub head: i64,
    /// Local changes not sent yet (refused ones not counted).
    pub pending: usize,
    /// Local changes refused and kept here (see [`crate::refused`]).
    pub refused: usize,
    pub local: Digest,
    pub server: Digest,
    /// Items this computer could not take from the server ([`crate::skipped`]).
    pub skipped: Vec<Skipped>,
    /// Whether the skipped items explain every difference between `local` and `server`
    /// (then a repair would change nothing).
    pub skips_explain: bool,
}

impl LibraryStatus {
    /// Up to date and equal to the server.
    pub fn in_sync(&self) -> bool {
        self.pending == 0
            && self.refused == 0
            && self.cursor >= self.head
            && self.local == self.server
            && self.skipped.is_empty()
    }

    /// Whether the contents differ although nothing is pending, and not only by the
    /// skipped items: a repair (a full pull) may help.
    pub fn needs_repair(&self) -> bool {
        self.pending == 0
            && self.cursor >= self.head
            && self.local != self.server
            && !self.skips_explain
    }

    /// One line for people: "in sync" or exactly what differs.
    pub fn describe(&self) -> String {
        if self.in_sync() {
            return tr(
                format!("已同步（{} 项）", self.local.count),
                format!("in sync ({} items)", self.local.count),
            );
        }
        let mut parts = Vec::new();
        if self.pending > 0 {
            parts.push(tr(
                format!("{} 个本地改动未发送", self.pending),
                format!("{} local changes not sent", self.pending),
            ));
        }
        if self.refused > 0 {
            parts.push(tr(
                format!(
                    "{} 个本地改动被拒绝，仍保留在本机（qreply refused 查看、重试或放弃）",
                    self.refused
                ),
                format!(
                    "{} local changes refused and kept here (qreply refused to see, retry or discard them)",
                    self.refused
                ),
            ));
        }
        if self.cursor < self.head {
            parts.push(tr(
                format!("落后服务器 {} 个序号", self.head - self.cursor),
                format!(
                    "{} sequence numbers behind the server",
                    self.head - self.cursor
                ),
            ));
        }
        if !self.skipped.is_empty() {
            parts.push(skipped_line(&self.skipped));
        }
        if self.needs_repair() {
            parts.push(tr(
                format!(
                    "内容不一致：本机 {} 项，服务器 {} 项（摘要 {} ≠ {}）",
                    self.local.count,
                    self.server.count,
                    &self.local.hash[..8.min(self.local.hash.len())],
                    &self.server.hash[..8.min(self.server.hash.len())]
                ),
                format!(
                    "content differs: {} items here, {} on the server (digest {} ≠ {})",
                    self.local.count,
                    self.server.count,
                    &self.local.hash[..8.min(self.local.hash.len())],
                    &self.server.hash[..8.min(self.server.hash.len())]
                ),
            ));
        }
        parts.join("；")
    }
}

/// "N items skipped: 「a」: why; 「b」: why".
fn skipped_line(skipped: &[Skipped]) -> String {
    let each = skipped
        .iter()
        .map(Skipped::describe)
        .collect::<Vec<_>>()
        .join("；");
    tr(
        format!(
            "{} 项未能同步到本机（已跳过，每次同步都会重试）：{each}",
            skipped.len()
        ),
        format!(
            "{} items could not be taken (skipped, tried again at every sync): {each}",
            skipped.len()
        ),
    )
}

/// Compare every synced library of every account with its server (digests, cursors,
/// outbox).
pub fn status(store: &Store) -> Result<Vec<LibraryStatus>> {
    let mut out = Vec::new();
    for acc in accounts(store)? {
        out.extend(account_status(store, &acc)?);
    }
    Ok(out)
}

/// Compare the synced libraries of one account with its server.
pub fn account_status(store: &Store, acc: &Account) -> Result<Vec<LibraryStatus>> {
    let client = client_for(store, acc)?;
    let skipped = crate::skipped(store)?;
    let mut out = Vec::new();
    for l in linked_of(store, acc.id)? {
        let local = tables::shadow_digest(store.conn(), l.local)?;
        let server = client.digest(l.remote)?;
        out.push(LibraryStatus {
            account: acc.id,
            name: l.name.clone(),
            remote: l.remote,
            writable: l.writable,
            cursor: l.cursor,
            head: server.head,
            pending: tables::pending_count(store.conn(), l.local)?,
            refused: tables::refused(store.conn(), Some(l.local))?.len(),
            skips_explain: local != server.digest
                && tables::digest_counting_skips(store.conn(), l.local)? == server.digest,
            local,
            server: server.digest,
            skipped: skipped
                .iter()
                .filter(|s| s.remote == l.remote && s.account == acc.id)
                .cloned()
                .collect(),
        });
    }
    Ok(out)
}

/// Re-read a library from the beginning and make the local copy equal to it: items the
/// server does not have (and that are not local changes waiting to be sent) go. Used
/// when digests disagree although nothing is pending.
pub fn repair(store: &mut Store, library_remote: Uuid) -> Result<usize> {
    let Some(link) = linked(store)?
        .into_iter()
        .find(|l| l.remote == library_remote)
    else {
        return Ok(0);
    };
    let (_, client) = client_of(store, &link)?;
    let fetched = fetch(store, &client, &link, 0)?;
    let (items, cursor) = (&fetched.items, fetched.cursor);
    let live: HashSet<&str> = items
        .iter()
        .filter(|i| !i.deleted)
        .map(|i| i.key.as_str())
        .collect();
    let stale: Vec<String> = tables::shadow_keys(store.conn(), link.local)?
        .into_iter()
        .filter(|k| !live.contains(k.as_str()))
        .collect();
    let n = items.len() + stale.len();
    apply_items(store, &link, items, &fetched.bad, cursor)?;
    let tx = store.conn_mut().transaction()?;
    for key in stale {
        if !tables::is_pending(&tx, link.local, &key)? {
            tables::apply_delete(&tx, link.local, &key)?;
            tables::set_shadow(&tx, link.local, &key, 0, None)?;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// Compare digests and repair libraries that disagree although nothing is pending.
/// Returns the status after any repair.
pub fn verify(store: &mut Store) -> Result<Vec<LibraryStatus>> {
    let before = status(store)?;
    let mut repaired = false;
    for s in &before {
        if s.needs_repair() {
            repair(store, s.remote)?;
            repaired = true;
        }
    }
    if repaired { status(store) } else { Ok(before) }
}
