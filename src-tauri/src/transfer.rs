//! Import and export in the desktop app (the editor's dialogs): preview what a pack would
//! change, import it with a progress bar, export a library. The formats and the rules
//! are `core::packs`'s; this only moves data and reports progress as `import-progress`
//! events.

use std::path::PathBuf;

use quickreply_core::i18n::tr;
use quickreply_core::packs::{self, Format, Policy, Status};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

use crate::app::App;
use crate::ipc::{Res, err};

fn format(f: Option<String>) -> Res<Option<Format>> {
    f.filter(|s| !s.is_empty() && s != "auto")
        .map(|s| {
            Format::parse(&s).ok_or_else(|| {
                tr(
                    format!("不认识的格式「{s}」"),
                    format!("unknown format \"{s}\""),
                )
            })
        })
        .transpose()
}

fn policy(p: &str) -> Res<Policy> {
    Policy::parse(p).ok_or_else(|| {
        tr(
            format!("不认识的冲突处理方式「{p}」"),
            format!("unknown conflict policy \"{p}\""),
        )
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewItem {
    status: &'static str,
    folder: String,
    title: String,
    origin: String,
    note: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    name: String,
    new: usize,
    changed: usize,
    unchanged: usize,
    conflicting: usize,
    /// The first items, for the list (a pack may hold thousands).
    items: Vec<PreviewItem>,
    /// Rows or entries that cannot be imported, with their place and reason.
    skipped: Vec<String>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    done: usize,
    total: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    added: usize,
    updated: usize,
    unchanged: usize,
    kept: usize,
    variables_added: usize,
    skipped: usize,
}

/// What importing `path` into `library` would do; nothing is written.
#[tauri::command]
pub async fn pack_preview(
    handle: AppHandle,
    path: String,
    library: String,
    on_conflict: String,
    format: Option<String>,
) -> Res<Preview> {
    let (fmt, pol) = (self::format(format)?, policy(&on_conflict)?);
    tauri::async_runtime::spawn_blocking(move || {
        let read = packs::read_path(&PathBuf::from(path.trim()), fmt).map_err(err)?;
        let app = handle.state::<App>();
        let inner = app.lock().map_err(err)?;
        let lib = inner.store.library(&library).map_err(err)?;
        let items = packs::preview(&inner.store, &read.pack, &lib, pol).map_err(err)?;
        let count = |s: Status| items.iter().filter(|i| i.status == s).count();
        Ok(Preview {
            name: read.pack.meta.name.clone(),
            new: count(Status::New),
            changed: count(Status::Changed),
            unchanged: count(Status::Unchanged),
            conflicting: count(Status::Conflicting),
            items: items
                .iter()
                .take(300)
                .map(|i| PreviewItem {
                    status: match i.status {
                        Status::New => "new",
                        Status::Changed => "changed",
                        Status::Unchanged => "unchanged",
                        Status::Conflicting => "conflicting",
                    },
                    folder: i.folder.clone(),
                    title: i.title.clone(),
                    origin: i.origin.to_string(),
                    note: i.note.clone(),
                })
                .collect(),
            skipped: read
                .skipped
                .iter()
                .map(|s| format!("{}：{}", s.origin, s.reason))
                .collect(),
        })
    })
    .await
    .map_err(err)?
}

/// Import `path` into `library` in one transaction, sending `import-progress` events.
#[tauri::command]
pub async fn pack_import(
    handle: AppHandle,
    path: String,
    library: String,
    on_conflict: String,
    format: Option<String>,
) -> Res<Imported> {
    let (fmt, pol) = (self::format(format)?, policy(&on_conflict)?);
    tauri::async_runtime::spawn_blocking(move || {
        let read = packs::read_path(&PathBuf::from(path.trim()), fmt).map_err(err)?;
        let app = handle.state::<App>();
        let report = {
            let mut inner = app.lock().map_err(err)?;
            let lib = inner.store.library(&library).map_err(err)?;
            let h = handle.clone();
            packs::import_with_progress(
                &mut inner.store,
                &read.pack,
                &lib,
                pol,
                &mut |done, total| {
                    let _ = h.emit("import-progress", Progress { done, total });
                },
            )
            .map_err(err)?
        };
        app.reload_index().map_err(err)?;
        Ok(Imported {
            added: report.added,
            updated: report.updated,
            unchanged: report.unchanged,
            kept: report.kept,
            variables_added: report.variables_added,
            skipped: read.skipped.len(),
        })
    })
    .await
    .map_err(err)?
}

/// Export `library` to `path` (format from `format` or the extension); returns what the
/// format could not carry, if anything.
#[tauri::command]
pub async fn pack_export(
    app: State<'_, App>,
    path: String,
    library: String,
    format: Option<String>,
) -> Res<Option<String>> {
    let path = PathBuf::from(path.trim());
    let fmt = self::format(format)?
        .or_else(|| Format::from_extension(&path))
        .unwrap_or(Format::Qrpack);
    let inner = app.lock().map_err(err)?;
    let lib = inner.store.library(&library).map_err(err)?;
    let pack = packs::from_library(&inner.store, &lib).map_err(err)?;
    packs::write_path(&pack, Some(inner.store.blobs()), &path, fmt).map_err(err)
}
