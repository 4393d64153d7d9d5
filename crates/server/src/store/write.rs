//! What an item write does, decided once for every backend: the version check, a retried
//! write answered as a replay, a conflict, deleting what does not exist or is deleted
//! already, and the item that is stored. Each backend reads the library (locked for
//! writing) and the item in its own transaction, asks [`decide`], and then stores the
//! item, its blob links, its history entry and the library's new head with its own SQL.

use quickreply_proto::api::{Item, ItemDoc, MAX_HISTORY};

use super::{ItemWrite, LibraryRow, WriteOutcome, no_item};
use crate::Error;

/// What to do with an [`ItemWrite`].
#[derive(Debug)]
pub enum Decision {
    /// Store this item: the next version, at the library's next sequence number.
    Write(Item),
    /// Write nothing and answer this: a replay of the write that made the current
    /// version, or a version conflict.
    Answer(WriteOutcome),
}

/// Decides a write to `lib` (already checked writable) of the item stored as `current`.
pub fn decide(w: &ItemWrite, lib: &LibraryRow, current: Option<Item>) -> Result<Decision, Error> {
    if w.doc.is_none() && current.is_none() {
        return Err(no_item(&w.key));
    }
    let current_version = current.as_ref().map_or(0, |c| c.version);
    if current_version != w.if_match {
        return Ok(Decision::Answer(match current {
            Some(c) if c.op == w.op => WriteOutcome::Replay(c),
            other => WriteOutcome::Conflict(other),
        }));
    }
    if w.doc.is_none() && current.as_ref().is_some_and(|c| c.deleted) {
        return Err(Error::NotFound(format!(
            "item “{}” is deleted already",
            w.key
        )));
    }
    Ok(Decision::Write(Item {
        key: w.key.clone(),
        version: current_version + 1,
        seq: lib.head + 1,
        deleted: w.doc.is_none(),
        doc: w.doc.clone(),
        updated_at: w.now,
        op: w.op.clone(),
    }))
}

/// The images a write's document refers to.
pub fn blobs(w: &ItemWrite) -> Vec<&str> {
    w.doc.as_ref().map(ItemDoc::blobs).unwrap_or_default()
}

/// A write refers to an image the server does not have.
pub fn missing_blob(sha: &str) -> Error {
    Error::BadRequest(format!(
        "image {sha} is not on the server: upload it first (PUT /v1/blobs/{sha})"
    ))
}

/// The document as stored: JSON text (`None`: a tombstone).
pub fn doc_json(w: &ItemWrite) -> Result<Option<String>, Error> {
    w.doc
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::internal(format!("cannot encode a document: {e}")))
}

/// History versions of `item` up to this one are dropped: the newest [`MAX_HISTORY`] are
/// kept.
pub fn history_drops_to(item: &Item) -> i64 {
    item.version - MAX_HISTORY as i64
}

/// The answer to a committed write: the item and the change it made to `lib`.
pub fn written(item: Item, lib: LibraryRow, change_no: i64) -> WriteOutcome {
    let change = LibraryRow {
        head: item.seq,
        last_change: change_no,
        ..lib
    }
    .change();
    WriteOutcome::Written(item, change)
}
