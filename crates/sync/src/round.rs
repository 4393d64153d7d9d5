//! One sync round: link libraries, push the outbox (with three-way merge and conflict
//! copies), pull each library's changes from its cursor and apply them, move the images
//! both ways; also applying live events that carry their item inline.

use uuid::Uuid;

use quickreply_core::i18n::tr;
use quickreply_core::store::{self, Store};
use quickreply_proto::api::{HeadEvent, Item, ItemDoc, MAX_PAGE, PutItem};

use crate::accounts::{account_by_id, accounts, client_for};
use crate::error::{Result, SyncError};
use crate::http::{Client, WriteOutcome};
use crate::links::{
    has_pending, is_primary, link_libraries, linked_of, publish_local_team_libraries,
};
use crate::merge::{Merged, merge};
use crate::model::Linked;
use crate::reports::{report_missed, report_status, report_usage};
use crate::skips;
use crate::tables;

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Local changes the server accepted.
    pub pushed: usize,
    /// Server changes applied here.
    pub pulled: usize,
    /// Titles of replies saved as conflict copies, and other conflicts resolved.
    pub conflicts: Vec<String>,
    /// Local changes the server refused (for example a read-only library), with why.
    pub refused: Vec<String>,
    /// Libraries of the server not synced on this computer, with why (an id that
    /// another team's library has here).
    pub skipped: Vec<String>,
    /// The changes came inline with live events: applied without asking the server.
    pub live: bool,
}

impl Report {
    /// Whether anything changed locally.
    pub fn changed(&self) -> bool {
        self.pulled > 0 || !self.conflicts.is_empty()
    }

    pub(crate) fn add(&mut self, other: Report) {
        self.pushed += other.pushed;
        self.pulled += other.pulled;
        self.conflicts.extend(other.conflicts);
        self.refused.extend(other.refused);
        self.skipped.extend(other.skipped);
    }
}

/// One full round with every account (see [`sync_account`]). A server that cannot be
/// reached does not keep the others from syncing; the first error is returned after
/// all were tried.
pub fn sync_once(store: &mut Store) -> Result<Report> {
    let all = accounts(store)?;
    if all.is_empty() {
        return Err(SyncError::NotJoined);
    }
    let mut report = Report::default();
    let mut first_error = None;
    for acc in all {
        match sync_account(store, acc.id) {
            Ok(r) => report.add(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// One full round with one account: link libraries, push the outbox, pull every
/// library, report usage and status.
pub fn sync_account(store: &mut Store, account: i64) -> Result<Report> {
    let acc = account_by_id(store, account)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(store, &acc)?;
    let primary = is_primary(store, &acc)?;
    let mut report = Report::default();
    let remote = client.libraries()?;
    report.skipped = link_libraries(store, &acc, primary, &remote)?;
    publish_local_team_libraries(store, &acc, primary, &client)?;
    push(store, &client, acc.id, &mut report)?;
    pull_behind(store, &client, acc.id, &mut report)?;
    // Items skipped before (an image missing on the server, …): tried again.
    for l in linked_of(store, acc.id)? {
        report.pulled += skips::retry(store, &client, &l)?;
    }
    // Pulls may have queued local fixes (merged folders, freed codes, replies whose
    // folder is missing): send them too, and take back the new heads they made, so the
    // round ends level with the server.
    if has_pending(store, acc.id)? {
        push(store, &client, acc.id, &mut report)?;
        pull_behind(store, &client, acc.id, &mut report)?;
    }
    // Suggestions queued here go out, and the server's list (outcomes, a lead's inbox)
    // comes back (`suggest`).
    crate::suggest::sync(store, &client, acc.id)?;
    report_usage(store, &client, acc.id, &mut report)?;
    report_missed(store, &client, acc.id)?;
    report_status(store, &client, acc.id)?;
    touch_last_sync(store, acc.id)?;
    Ok(report)
}

/// Pull every library of the account whose server head is past its cursor.
fn pull_behind(
    store: &mut Store,
    client: &Client,
    account: i64,
    report: &mut Report,
) -> Result<()> {
    let heads = client.libraries()?;
    for l in linked_of(store, account)? {
        let head = heads.iter().find(|h| h.id == l.remote).map(|h| h.head);
        if head.is_some_and(|h| h > l.cursor) {
            report.pulled += pull(store, client, &l)?;
        }
    }
    Ok(())
}

pub(crate) fn touch_last_sync(store: &Store, account: i64) -> Result<()> {
    tables::touch_last_sync(store.conn(), account)
}

/// Apply `head` events that carry their item inline, without asking the server: only
/// when nothing local is pending and each item is exactly the next change of its
/// library here. `Ok(None)`: some event does not qualify, a full round is needed (the
/// events applied before it stay applied; the round's pull starts after them).
pub(crate) fn apply_inline(
    store: &mut Store,
    client: &Client,
    account: i64,
    events: &[HeadEvent],
) -> Result<Option<usize>> {
    if events.is_empty() || has_pending(store, account)? {
        return Ok(None);
    }
    let mut applied = 0;
    for ev in events {
        let Some(link) = linked_of(store, account)?
            .into_iter()
            .find(|l| l.remote == ev.library_id)
        else {
            return Ok(None);
        };
        if link.cursor >= ev.head {
            continue;
        }
        let Some(item) = ev.next_after(link.cursor) else {
            return Ok(None);
        };
        if let Some(doc) = item.doc.as_ref().filter(|_| !item.deleted)
            && skips::fetch_images(store, client, account, doc)?.is_err()
        {
            // An item this computer cannot take: the round's pull skips and records it.
            return Ok(None);
        }
        apply_items(
            store,
            &link,
            std::slice::from_ref(item),
            &skips::Bad::new(),
            ev.head,
        )?;
        applied += 1;
    }
    touch_last_sync(store, account)?;
    Ok(Some(applied))
}

/// Note that `account`'s server has an image.
pub(crate) fn server_has_blob(store: &Store, account: i64, sha: &str) -> Result<()> {
    tables::note_server_blob(store.conn(), account, sha)
}

pub(crate) fn upload_blobs(
    store: &Store,
    client: &Client,
    account: i64,
    doc: &ItemDoc,
) -> Result<()> {
    for sha in doc.blobs() {
        let known = tables::server_has_blob(store.conn(), account, sha)?;
        if !known {
            let bytes = store.blobs().get(sha).map_err(|e| SyncError::LocalImage {
                sha: sha.to_string(),
                reason: e.to_string(),
            })?;
            client.put_blob(sha, bytes)?;
            server_has_blob(store, account, sha)?;
        }
    }
    Ok(())
}

/// Send order: folders before the replies in them, deletions of replies before the
/// deletion of their folders.
pub(crate) fn push_rank(doc: &Option<ItemDoc>, key: &str) -> u8 {
    match doc {
        Some(ItemDoc::Folder(_)) => 0,
        Some(ItemDoc::Variable(_)) => 1,
        Some(ItemDoc::Snippet(_)) => 2,
        None if key.starts_with(quickreply_proto::api::VAR_PREFIX) => 3,
        None => 4,
    }
}

pub(crate) fn push(
    store: &mut Store,
    client: &Client,
    account: i64,
    report: &mut Report,
) -> Result<()> {
    let links = linked_of(store, account)?;
    let mut work: Vec<(u8, tables::Pending, Option<ItemDoc>)> = Vec::new();
    for p in tables::outbox(store.conn())? {
        let doc = tables::local_doc(store.conn(), p.library, &p.key)?;
        // A deleted folder's shadow tells whether it is a folder (sent last).
        let rank = match (&doc, tables::shadow(store.conn(), p.library, &p.key)?) {
            (None, Some((_, Some(ItemDoc::Folder(_))))) => 5,
            _ => push_rank(&doc, &p.key),
        };
        work.push((rank, p, doc));
    }
    work.sort_by_key(|(rank, p, _)| (*rank, p.library));
    // Consecutive changes of one library go together, in this order, in batches
    // ([`crate::batch`]).
    let mut group: Vec<tables::Pending> = Vec::new();
    let mut group_link: Option<&Linked> = None;
    for (_, p, doc) in work {
        let Some(link) = links.iter().find(|l| l.local == p.library) else {
            continue;
        };
        if p.refused {
            // Kept and shown until it changes, is retried or is discarded.
            continue;
        }
        if !link.writable {
            // Queued before the library became read-only: the server would refuse it.
            let why = Why::new(
                "这个话术库现在只读（你的角色不能修改它）",
                "this library is read-only now (your role cannot change it)",
            );
            keep_refused(store, &p, doc.as_ref(), report, &why)?;
            continue;
        }
        if let Some(prev) = group_link
            && prev.local != link.local
        {
            crate::batch::push_group(store, client, prev, std::mem::take(&mut group), report)?;
        }
        group_link = Some(link);
        group.push(p);
    }
    if let Some(link) = group_link {
        crate::batch::push_group(store, client, link, group, report)?;
    }
    Ok(())
}

/// Why a change is refused: kept in both languages; `said` is the round's report line
/// after the item's name.
struct Why {
    zh: String,
    en: String,
    said: String,
}

impl Why {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Why {
        let (zh, en) = (zh.into(), en.into());
        Why {
            said: tr(&zh, &en),
            zh,
            en,
        }
    }
}

/// Keep a change that will not be taken as it is ([`tables::refuse`]) and say so in the
/// round's report.
fn keep_refused(
    store: &Store,
    p: &tables::Pending,
    doc: Option<&ItemDoc>,
    report: &mut Report,
    why: &Why,
) -> Result<()> {
    let label = label_of(store, p, doc)?;
    report.refused.push(format!("{label}: {}", why.said));
    tables::refuse(store.conn(), p, &why.zh, &why.en)
}

/// A person's name for a pending item: the reply's title, the folder's or variable's
/// name (from the server's last copy when it was deleted here), else its key.
pub(crate) fn label_of(
    store: &Store,
    p: &tables::Pending,
    doc: Option<&ItemDoc>,
) -> Result<String> {
    let shadow = match doc {
        Some(_) => None,
        None => tables::shadow(store.conn(), p.library, &p.key)?.and_then(|(_, d)| d),
    };
    Ok(match doc.or(shadow.as_ref()) {
        Some(ItemDoc::Snippet(s)) => s.title.clone(),
        Some(ItemDoc::Folder(f)) => f.name.clone(),
        Some(ItemDoc::Variable(v)) => v.name.clone(),
        None => p.key.clone(),
    })
}

pub(crate) fn conflict_title(title: &str) -> String {
    let when = chrono::Local::now().format("%m-%d %H:%M").to_string();
    quickreply_core::conflicts::conflict_title(title, &when)
}

/// What a pending item sends now: this device's document (`None`: a deletion) and the
/// server's version it was based on.
pub(crate) struct Outgoing {
    pub mine: Option<ItemDoc>,
    pub base_version: i64,
    pub base_doc: Option<ItemDoc>,
}

/// What a pending item is to send, or `None` when it is settled here: nothing to send
/// (created and deleted before it was sent, or changed back) or a document the server
/// would refuse (kept and reported).
pub(crate) fn outgoing(
    store: &Store,
    p: &tables::Pending,
    report: &mut Report,
) -> Result<Option<Outgoing>> {
    let mine = tables::local_doc(store.conn(), p.library, &p.key)?;
    let shadow = tables::shadow(store.conn(), p.library, &p.key)?;
    if mine.is_none() && shadow.is_none()
        || mine.is_some() && shadow.as_ref().is_some_and(|(_, d)| *d == mine)
    {
        // Created and deleted before it was ever sent, or changed back: nothing to send.
        tables::done(store.conn(), p)?;
        return Ok(None);
    }
    if let Some(Err(invalid)) = mine.as_ref().map(quickreply_proto::check::item) {
        // The server would refuse it (an old client's data, an import): keep it here,
        // do not send it, and say so until it is fixed or discarded.
        let why = Why::new(invalid.zh(), invalid.en());
        keep_refused(store, p, mine.as_ref(), report, &why)?;
        return Ok(None);
    }
    let (base_version, base_doc) = shadow.unwrap_or((0, None));
    Ok(Some(Outgoing {
        mine,
        base_version,
        base_doc,
    }))
}

/// After a write was answered: settled, or to be sent again (merged after a `412`).
pub(crate) enum Next {
    Settled,
    Again(tables::Pending),
}

/// Take the server's answer to a pending item's write: record what it accepted, merge a
/// conflict, keep what it refuses (reported), or fail the round (the network, `5xx`, a
/// revoked token).
pub(crate) fn settle(
    store: &mut Store,
    p: &tables::Pending,
    out: Outgoing,
    outcome: Result<WriteOutcome>,
    report: &mut Report,
) -> Result<Next> {
    let Outgoing { mine, base_doc, .. } = out;
    let outcome = match outcome {
        Ok(o) => o,
        Err(SyncError::LocalImage { sha, reason }) => {
            // Its picture is gone from this computer: kept and shown, not sent (the
            // user puts the picture back in the editor, or discards the change).
            let why = Why::new(
                format!(
                    "图片 {sha} 在本机读不出来（{reason}）：在编辑器里重新放入图片，或放弃这个改动"
                ),
                format!(
                    "the image {sha} cannot be read on this computer ({reason}): put the \
                     picture back in the editor, or discard this change"
                ),
            );
            keep_refused(store, p, mine.as_ref(), report, &why)?;
            return Ok(Next::Settled);
        }
        Err(SyncError::Server {
            status, message, ..
        }) if (400..500).contains(&status) && status != 401 && status != 429 => {
            // The server will not take this change as it is (refused, not a network
            // fault): keep it locally, stop sending it until it changes or is
            // retried, and keep saying so.
            let why = Why {
                zh: format!("服务器未接受：{message}"),
                en: format!("refused by the server: {message}"),
                // The round's report says "refused by the server" itself.
                said: message,
            };
            keep_refused(store, p, mine.as_ref(), report, &why)?;
            return Ok(Next::Settled);
        }
        Err(SyncError::Server {
            status: 507,
            message,
            ..
        }) => {
            // Over the member's storage quota: kept in the outbox and tried again at
            // the next round (room may have been made by then); the rest of the round
            // (other changes, every pull) goes on.
            let label = label_of(store, p, mine.as_ref())?;
            report.refused.push(format!("{label}: {message}"));
            return Ok(Next::Settled);
        }
        Err(e) => return Err(e),
    };
    let tx = store.conn_mut().transaction()?;
    match outcome {
        WriteOutcome::Done(item) => {
            tables::set_shadow(&tx, p.library, &p.key, item.version, item.doc.as_ref())?;
            tables::done(&tx, p)?;
            tx.commit()?;
            report.pushed += 1;
            Ok(Next::Settled)
        }
        WriteOutcome::Conflict(current) => {
            let next = resolve(&tx, p, mine, base_doc, &current, report)?;
            tx.commit()?;
            Ok(next.map_or(Next::Settled, Next::Again))
        }
    }
}

/// Send one pending item until the server has it, merging with concurrent edits.
pub(crate) fn push_one(
    store: &mut Store,
    client: &Client,
    link: &Linked,
    mut p: tables::Pending,
    report: &mut Report,
) -> Result<()> {
    for _attempt in 0..5 {
        let Some(out) = outgoing(store, &p, report)? else {
            return Ok(());
        };
        // An image the server refuses (415/422/413) refuses the reply with it.
        let outcome = match &out.mine {
            Some(doc) => upload_blobs(store, client, link.account, doc).and_then(|()| {
                let put = PutItem {
                    op: p.op.clone(),
                    doc: doc.clone(),
                };
                client.put_item(link.remote, &p.key, out.base_version, &put)
            }),
            None => client.delete_item(link.remote, &p.key, out.base_version, &p.op),
        };
        match settle(store, &p, out, outcome, report)? {
            Next::Settled => return Ok(()),
            Next::Again(next) => p = next,
        }
    }
    Err(SyncError::Protocol(format!(
        "{}: the item keeps changing on the server",
        p.key
    )))
}

/// Handle a `412`: returns the pending entry to send again, or `None` when settled.
pub(crate) fn resolve(
    tx: &rusqlite::Transaction<'_>,
    p: &tables::Pending,
    mine: Option<ItemDoc>,
    base: Option<ItemDoc>,
    current: &Item,
    report: &mut Report,
) -> Result<Option<tables::Pending>> {
    let lib = p.library;
    // From now on the server's current item is the base.
    tables::set_shadow(
        tx,
        lib,
        &p.key,
        current.version,
        current.doc.as_ref().filter(|_| !current.deleted),
    )?;
    let theirs = current.doc.as_ref().filter(|_| !current.deleted);
    let again = |tx: &rusqlite::Transaction<'_>| -> Result<Option<tables::Pending>> {
        tables::renew_op(tx, p)?;
        let op = tables::queued_op(tx, lib, &p.key)?;
        Ok(Some(tables::Pending { op, ..p.clone() }))
    };
    match (mine, theirs) {
        // Edited here, deleted there: bring it back with this device's version.
        (Some(_), None) => again(tx),
        // Deleted here, edited there: the edit wins.
        (None, Some(t)) => {
            tables::apply_doc(tx, lib, t)?;
            tables::done(tx, p)?;
            report.conflicts.push(tr(
                format!("{}：已在别处修改，保留", p.key),
                format!("{}: changed elsewhere, kept", p.key),
            ));
            Ok(None)
        }
        (None, None) => {
            tables::done(tx, p)?;
            Ok(None)
        }
        (Some(m), Some(t)) => match merge(base.as_ref(), &m, t) {
            Merged::Clean(merged) => {
                if &merged == t {
                    tables::done(tx, p)?;
                    tables::apply_doc(tx, lib, t)?;
                    return Ok(None);
                }
                tables::apply_doc(tx, lib, &merged)?;
                again(tx)
            }
            Merged::Conflict(_) => {
                tables::apply_doc(tx, lib, t)?;
                tables::done(tx, p)?;
                if let ItemDoc::Snippet(mut s) = m {
                    let original = s.id;
                    s.id = Uuid::now_v7();
                    s.code = None;
                    s.title = conflict_title(&s.title);
                    report.conflicts.push(s.title.clone());
                    // A local change: queued by the triggers, sent in this round.
                    store::Store::write_snippet_doc(tx, lib, &s)?;
                    quickreply_core::conflicts::record(tx, s.id, original)?;
                } else {
                    report.conflicts.push(p.key.clone());
                }
                Ok(None)
            }
        },
    }
}

/// Pull a library from its cursor; everything fetched is applied with the new cursor
/// in one transaction, but for the items that cannot be taken (skipped and recorded, see
/// [`skips`]). Returns the number of changes applied.
pub(crate) fn pull(store: &mut Store, client: &Client, link: &Linked) -> Result<usize> {
    let fetched = fetch(store, client, link, link.cursor)?;
    apply_items(store, link, &fetched.items, &fetched.bad, fetched.cursor)
}

/// What a library's change feed held after a cursor.
pub(crate) struct Fetched {
    pub items: Vec<Item>,
    /// Where the next pull starts.
    pub cursor: i64,
    /// Items whose images cannot be had, with why.
    pub bad: skips::Bad,
}

/// Every change of a library after `since`, page by page, with the images they need
/// downloaded (an item whose image cannot be had is in [`Fetched::bad`]).
pub(crate) fn fetch(store: &Store, client: &Client, link: &Linked, since: i64) -> Result<Fetched> {
    let mut items = Vec::new();
    let mut cursor = since;
    loop {
        let page = client.changes(link.remote, cursor, MAX_PAGE)?;
        cursor = page.cursor.max(cursor);
        let more = page.more;
        items.extend(page.items);
        if !more {
            break;
        }
    }
    let mut bad = skips::Bad::new();
    for item in &items {
        if let Some(doc) = item.doc.as_ref().filter(|_| !item.deleted)
            && let Err(reason) = skips::fetch_images(store, client, link.account, doc)?
        {
            bad.insert((item.key.clone(), item.version), reason);
        }
    }
    Ok(Fetched { items, cursor, bad })
}

/// Apply server items and move the library's cursor to `cursor`, in one transaction;
/// items that cannot be taken are skipped and recorded ([`skips::apply_checked`]).
/// Returns how many were applied.
pub(crate) fn apply_items(
    store: &mut Store,
    link: &Linked,
    items: &[Item],
    bad: &skips::Bad,
    cursor: i64,
) -> Result<usize> {
    let blobs = store.blobs().clone();
    let mut tx = store.conn_mut().transaction()?;
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let lib = link.local;
    let applied = skips::apply_checked(&mut tx, &blobs, lib, items, bad)?;
    tables::fix_orphans(&tx, lib)?;
    tables::set_cursor(&tx, lib, cursor)?;
    tx.commit()?;
    Ok(applied)
}
