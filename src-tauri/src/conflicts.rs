//! The editor's conflict view: conflict copies that sync made (this device's version of a
//! reply changed elsewhere at the same time) beside the current version, settled by
//! keeping the current one or taking this device's. Thin over `core::conflicts`.

use quickreply_core::proto::LibraryKind;
use serde::Serialize;
use tauri::State;

use crate::app::App;
use crate::editor::ReplyDoc;
use crate::ipc::{Res, err, parse_id};

/// A conflict copy with the current version of its reply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictView {
    copy: ReplyDoc,
    /// `None` when the reply it copies is gone.
    current: Option<ReplyDoc>,
    team: bool,
    /// False for an agent's read-only team library.
    writable: bool,
}

#[tauri::command]
pub fn conflict_list(app: State<'_, App>) -> Res<Vec<ConflictView>> {
    let inner = app.lock().map_err(err)?;
    let store = &inner.store;
    store
        .conflicts()
        .map_err(err)?
        .into_iter()
        .map(|c| {
            let lib = store.library(&c.copy.library).map_err(err)?;
            Ok(ConflictView {
                team: lib.kind == LibraryKind::Team,
                writable: store.writable(&lib).map_err(err)?,
                copy: c.copy.into(),
                current: c.original.map(ReplyDoc::from),
            })
        })
        .collect()
}

/// Keep the current version: the conflict copy is deleted.
#[tauri::command]
pub fn conflict_keep_current(app: State<'_, App>, copy: String) -> Res<()> {
    let copy = parse_id(&copy)?;
    app.lock()
        .map_err(err)?
        .store
        .keep_current(copy)
        .map_err(err)?;
    app.changed(&[copy]).map_err(err)
}

/// Take this device's version over the current one; the copy is deleted.
#[tauri::command]
pub fn conflict_take_mine(app: State<'_, App>, copy: String) -> Res<ReplyDoc> {
    let copy = parse_id(&copy)?;
    let now = app
        .lock()
        .map_err(err)?
        .store
        .take_mine(copy)
        .map_err(err)?;
    app.changed(&[copy, now.id]).map_err(err)?;
    Ok(now.into())
}
