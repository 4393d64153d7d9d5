//! Pushing many changes of one library at once: `POST /v1/libraries/{id}/items` with up to
//! [`MAX_BATCH`] writes (and at most [`BATCH_BYTES`] of JSON) a request, instead of one
//! `PUT`/`DELETE` each. A lead's import of 10,000 replies is then 20 requests and 20
//! server transactions, not 10,000 of each.
//!
//! Every write keeps its own semantics: its `If-Match` (the shadow's version), its op (a
//! replay is answered with the item), its own answer. What the server accepted is recorded
//! for the whole batch in one local transaction; anything else (a `412` to merge, a
//! refusal to keep) goes through the single-item path ([`round::settle`], then
//! [`round::push_one`] for a merged change to send again), exactly as before. A server
//! without the batch endpoint (older than this client) answers `404`: the batch is then
//! sent one write at a time, as older clients do, and so is a batch the server refuses
//! as a whole (too large for its body limit).

use quickreply_core::store::Store;
use quickreply_proto::api::{BatchItem, BatchResult, BatchWrite, MAX_BATCH};

use crate::error::{Result, SyncError};
use crate::http::{Client, WriteOutcome};
use crate::model::Linked;
use crate::round::{self, Next, Outgoing, Report};
use crate::tables;

/// Most bytes of JSON one batch request carries (well under the server's default 1 MiB
/// body limit; a single larger document goes alone).
pub(crate) const BATCH_BYTES: usize = 512 * 1024;

/// Send the pending changes of one library (in this order) until the server has them,
/// in batches.
pub(crate) fn push_group(
    store: &mut Store,
    client: &Client,
    link: &Linked,
    group: Vec<tables::Pending>,
    report: &mut Report,
) -> Result<()> {
    if group.len() == 1 {
        // One change: the single write says the same with less.
        for p in group {
            round::push_one(store, client, link, p, report)?;
        }
        return Ok(());
    }
    let mut rest = group.into_iter().peekable();
    while rest.peek().is_some() {
        // Read at most a batch's worth of documents at a time: memory stays bounded
        // however many changes wait.
        let mut chunk: Vec<(tables::Pending, Outgoing, BatchItem)> = Vec::new();
        for p in rest.by_ref().take(MAX_BATCH) {
            let Some(out) = round::outgoing(store, &p, report)? else {
                continue;
            };
            if let Some(doc) = &out.mine
                && let Err(e) = round::upload_blobs(store, client, link.account, doc)
            {
                // An image this computer cannot read or the server refuses: the change
                // is kept and reported as for a single write.
                again(store, client, link, &p, out, Err(e), report)?;
                continue;
            }
            let write = BatchItem {
                key: p.key.clone(),
                if_match: out.base_version,
                op: p.op.clone(),
                doc: out.mine.clone(),
            };
            chunk.push((p, out, write));
        }
        for part in split_by_bytes(chunk) {
            send(store, client, link, part, report)?;
        }
    }
    Ok(())
}

/// Cut a chunk into requests of at most [`BATCH_BYTES`] of JSON (a larger single write
/// goes alone).
fn split_by_bytes(
    chunk: Vec<(tables::Pending, Outgoing, BatchItem)>,
) -> Vec<Vec<(tables::Pending, Outgoing, BatchItem)>> {
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut bytes = 0;
    for entry in chunk {
        let size = serde_json::to_vec(&entry.2).map_or(0, |v| v.len()) + 1;
        if !part.is_empty() && bytes + size > BATCH_BYTES {
            parts.push(std::mem::take(&mut part));
            bytes = 0;
        }
        bytes += size;
        part.push(entry);
    }
    if !part.is_empty() {
        parts.push(part);
    }
    parts
}

/// Send one batch and take its answers.
fn send(
    store: &mut Store,
    client: &Client,
    link: &Linked,
    part: Vec<(tables::Pending, Outgoing, BatchItem)>,
    report: &mut Report,
) -> Result<()> {
    if part.is_empty() {
        return Ok(());
    }
    let (entries, writes): (Vec<_>, Vec<_>) =
        part.into_iter().map(|(p, out, w)| ((p, out), w)).unzip();
    let Some(answer) = client.write_items(link.remote, &BatchWrite { writes })? else {
        // No batch endpoint here (an older server), or the batch refused as a whole:
        // one write at a time.
        for (p, _) in entries {
            round::push_one(store, client, link, p, report)?;
        }
        return Ok(());
    };
    if answer.results.len() != entries.len() {
        return Err(SyncError::Protocol(format!(
            "the server answered {} of a batch of {} writes",
            answer.results.len(),
            entries.len()
        )));
    }
    // What the server took, recorded in one transaction; the rest one by one.
    let mut others = Vec::new();
    {
        let tx = store.conn_mut().transaction()?;
        for ((p, out), result) in entries.into_iter().zip(answer.results) {
            match outcome(result) {
                Ok(WriteOutcome::Done(item)) => {
                    tables::set_shadow(&tx, p.library, &p.key, item.version, item.doc.as_ref())?;
                    tables::done(&tx, &p)?;
                    report.pushed += 1;
                }
                other => others.push((p, out, other)),
            }
        }
        tx.commit()?;
    }
    for (p, out, outcome) in others {
        again(store, client, link, &p, out, outcome, report)?;
    }
    Ok(())
}

/// Settle one write's answer the single-item way, sending a merged change again.
fn again(
    store: &mut Store,
    client: &Client,
    link: &Linked,
    p: &tables::Pending,
    out: Outgoing,
    outcome: Result<WriteOutcome>,
    report: &mut Report,
) -> Result<()> {
    match round::settle(store, p, out, outcome, report)? {
        Next::Settled => Ok(()),
        Next::Again(next) => round::push_one(store, client, link, next, report),
    }
}

/// One write's answer as the single write would have had it.
fn outcome(result: BatchResult) -> Result<WriteOutcome> {
    match (result.status, result.item, result.error) {
        (200..=299, Some(item), _) => Ok(WriteOutcome::Done(item)),
        (412, _, error) => Ok(WriteOutcome::Conflict(
            error
                .and_then(|e| e.current)
                .unwrap_or_else(crate::http::absent_item),
        )),
        (status, _, Some(e)) => Err(SyncError::Server {
            status,
            code: e.code,
            message: e.message,
        }),
        (status, _, None) => Err(SyncError::Protocol(format!(
            "a write of a batch was answered {status} without a reason"
        ))),
    }
}
