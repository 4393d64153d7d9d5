//! A reply's history as the server keeps it, and restoring an old version as a local
//! edit.

use quickreply_core::i18n::tr;
use quickreply_core::store::{self, Store};
use quickreply_proto::Part;
use quickreply_proto::api::{ItemDoc, ItemVersion};

use crate::accounts::client_of;
use crate::error::{Result, SyncError};
use crate::links::linked;
use crate::tables;

/// The server's kept versions of a reply of a synced library, newest first: who changed
/// it from which computer, and when.
pub fn history(store: &Store, snippet: &store::Snippet) -> Result<Vec<ItemVersion>> {
    let link = linked(store)?
        .into_iter()
        .find(|l| l.local == snippet.library_id)
        .ok_or_else(|| SyncError::NotSynced(snippet.library.clone()))?;
    let (_, client) = client_of(store, &link)?;
    client.history(link.remote, &snippet.id.to_string())
}

/// Put a reply back as it was in `version` of its history: an ordinary local edit (queued
/// for the server like any other, refused for read-only team libraries), so it syncs and
/// appears in the history as a new version. A folder that no longer exists is replaced by
/// the library root, a shortcut code taken by another reply is dropped. Returns the
/// restored document.
pub fn restore(
    store: &mut Store,
    snippet: &store::Snippet,
    version: i64,
) -> Result<quickreply_proto::SnippetDoc> {
    let versions = history(store, snippet)?;
    let found = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or_else(|| {
            SyncError::Unavailable(tr(
                format!("这条话术没有第 {version} 版"),
                format!("this reply has no version {version}"),
            ))
        })?;
    let Some(ItemDoc::Snippet(mut doc)) = found.doc.clone().filter(|_| !found.deleted) else {
        return Err(SyncError::Unavailable(tr(
            format!("第 {version} 版是删除记录，没有内容可恢复"),
            format!("version {version} is a deletion: nothing to restore"),
        )));
    };
    let tx = store.conn_mut().transaction()?;
    if let Some(folder) = doc.folder_id {
        if !tables::folder_in(&tx, snippet.library_id, folder)? {
            doc.folder_id = None;
        }
    }
    if let Some(code) = &doc.code {
        if tables::code_taken(&tx, snippet.library_id, code, doc.id)? {
            doc.code = None;
        }
    }
    Store::write_snippet_doc(&tx, snippet.library_id, &doc)?;
    tx.commit()?;
    Ok(doc)
}

/// What a version of a reply says, for a history list: its title, its text parts joined
/// by blank lines, and how many images it has. `None` for a deletion.
pub fn version_text(v: &ItemVersion) -> Option<(String, String, usize)> {
    match (&v.doc, v.deleted) {
        (Some(ItemDoc::Snippet(d)), false) => {
            let texts: Vec<&str> = d.parts.iter().filter_map(Part::text).collect();
            let images = d.parts.len() - texts.len();
            Some((d.title.clone(), texts.join("\n\n"), images))
        }
        _ => None,
    }
}
