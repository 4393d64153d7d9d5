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

/// One line of the plan, as `qreply import --preview` prints it.
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PreviewItem {
    /// new, changed, unchanged, conflicting, or skipped (the store would refuse it).
    status: &'static str,
    folder: String,
    title: String,
    origin: String,
    note: Option<String>,
}

/// A reader's remark on a row or entry: `skipped` (not imported) or `note` (imported,
/// with a remark).
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Remark {
    kind: &'static str,
    origin: String,
    reason: String,
}

/// Most plan lines sent to the dialog (a pack may hold thousands); remarks and skipped
/// lines are always sent, first.
const SHOWN_ITEMS: usize = 500;

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    name: String,
    new: usize,
    changed: usize,
    unchanged: usize,
    conflicting: usize,
    /// Not imported: the reader's skipped rows and the plan's skipped lines.
    skipped: usize,
    /// Imported with a remark (the reader's notes).
    notes: usize,
    /// The reader's remarks, in file order.
    remarks: Vec<Remark>,
    /// The plan's lines: every skipped one, then the others up to [`SHOWN_ITEMS`].
    items: Vec<PreviewItem>,
    /// Plan lines not sent.
    more: usize,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::New => "new",
        Status::Changed => "changed",
        Status::Unchanged => "unchanged",
        Status::Conflicting => "conflicting",
        Status::Skipped => "skipped",
    }
}

/// The dialog's report of a read pack and its plan: the same lines as `qreply import
/// --preview`, with the same counts.
fn preview_of(read: &packs::ReadPack, items: &[packs::PlanItem]) -> Preview {
    let count = |s: Status| items.iter().filter(|i| i.status == s).count();
    let notes = read.skipped.iter().filter(|s| s.is_note()).count();
    let line = |i: &packs::PlanItem| PreviewItem {
        status: status_name(i.status),
        folder: i.folder.clone(),
        title: i.title.clone(),
        origin: i.origin.to_string(),
        note: i.note.clone(),
    };
    let skipped_lines = items.iter().filter(|i| i.status == Status::Skipped);
    let others = items.iter().filter(|i| i.status != Status::Skipped);
    let shown: Vec<PreviewItem> = skipped_lines
        .map(line)
        .chain(others.take(SHOWN_ITEMS).map(line))
        .collect();
    Preview {
        name: read.pack.meta.name.clone(),
        new: count(Status::New),
        changed: count(Status::Changed),
        unchanged: count(Status::Unchanged),
        conflicting: count(Status::Conflicting),
        skipped: count(Status::Skipped) + read.skipped.len() - notes,
        notes,
        remarks: read
            .skipped
            .iter()
            .map(|s| Remark {
                kind: if s.is_note() { "note" } else { "skipped" },
                origin: s.origin.to_string(),
                reason: s.reason.clone(),
            })
            .collect(),
        more: items.len() - shown.len(),
        items: shown,
    }
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
        Ok(preview_of(&read, &items))
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
            skipped: report.skipped + read.skipped.iter().filter(|s| !s.is_note()).count(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use quickreply_core::packs::common::Skipped;
    use quickreply_core::packs::{PlanItem, ReadPack};
    use quickreply_core::source::Origin;

    fn at(line: usize) -> Origin {
        Origin::File {
            path: "话术.csv".into(),
            line,
        }
    }

    fn item(status: Status, line: usize, note: Option<&str>) -> PlanItem {
        PlanItem {
            status,
            folder: "售前".into(),
            title: format!("第{line}行"),
            origin: at(line),
            note: note.map(str::to_string),
        }
    }

    #[test]
    fn the_dialog_gets_the_previews_lines_and_counts() {
        let read = ReadPack {
            skipped: vec![
                Skipped::note(at(2), "快捷方式「发货」不能作为快捷编码"),
                Skipped::not_imported(at(3), "内容为空"),
            ],
            ..ReadPack::default()
        };
        let mut items = vec![
            item(Status::New, 2, None),
            item(Status::Skipped, 4, Some("「{」没有配对的「}」")),
        ];
        items.extend((0..SHOWN_ITEMS + 5).map(|i| item(Status::Unchanged, 10 + i, None)));
        let p = preview_of(&read, &items);
        assert_eq!(
            (p.new, p.changed, p.unchanged, p.skipped, p.notes),
            (1, 0, SHOWN_ITEMS + 5, 2, 1)
        );
        assert_eq!(p.remarks[0].kind, "note");
        assert_eq!(p.remarks[1].kind, "skipped");
        assert_eq!(p.remarks[1].origin, "话术.csv:3");
        // Skipped lines come first and are never cut off; the rest up to the limit.
        assert_eq!(p.items[0].status, "skipped");
        assert_eq!(p.items[0].origin, "话术.csv:4");
        assert_eq!(p.items.len(), SHOWN_ITEMS + 1);
        assert_eq!(p.more, items.len() - p.items.len());
    }
}
