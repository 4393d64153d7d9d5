//! The editor window: library tree, reply editor with text and image parts, live preview,
//! reordering, copying a team reply to the personal library. Commands are thin wrappers
//! over `Store`; the search index follows every change.

use std::collections::HashMap;

use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::PERSONAL;
use quickreply_core::{NewSnippet, Snippet, SnippetEdit};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State, WebviewUrl, WebviewWindowBuilder};
use uuid::Uuid;

use crate::app::{App, PartView};
use crate::ipc::{Res, err, parse_id};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LibraryView {
    name: String,
    team: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeReply {
    id: String,
    title: String,
    code: Option<String>,
    folder: String,
    parts: usize,
    /// Where it stands when its dates (or its folder's) bound it (`crate::dates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    dates: Option<crate::dates::DatedView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tree {
    libraries: Vec<LibraryView>,
    folders: Vec<String>,
    replies: Vec<TreeReply>,
}

/// A reply as the editor edits it; `id` is `None` for a new one.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDoc {
    id: Option<String>,
    library: String,
    folder: String,
    title: String,
    code: Option<String>,
    tags: Vec<String>,
    parts: Vec<Part>,
}

impl From<Snippet> for ReplyDoc {
    fn from(s: Snippet) -> Self {
        ReplyDoc {
            id: Some(s.id.to_string()),
            library: s.library,
            folder: s.folder,
            title: s.title,
            code: s.code,
            tags: s.tags,
            parts: s.parts,
        }
    }
}

pub const EDITOR: &str = "editor";

/// The editor's content size: wanted and least (logical pixels).
const WANT: (f64, f64) = (980.0, 680.0);
const MIN: (f64, f64) = (640.0, 420.0);

/// Open (or bring forward) the editor window: a normal window, fully inside the work
/// area of the chat window's monitor and beside the docked panel, not under it
/// ([`crate::aside::editor_rect`]).
pub fn open(app: &AppHandle) -> tauri::Result<()> {
    open_at(app, None)
}

/// The event an open editor gets when the panel asks it to show a reply (its id).
pub const SELECT_EVENT: &str = "editor-select";

/// Open (or bring forward) the editor window on the reply `select` (the one selected in
/// the panel): a new window finds it in its address (`#/editor?select=ID`), an open one
/// is sent [`SELECT_EVENT`]. `None` leaves an open editor where it was.
pub fn open_at(app: &AppHandle, select: Option<Uuid>) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(EDITOR) {
        w.show()?;
        w.set_focus()?;
        if let Some(id) = select {
            w.emit_to(EDITOR, SELECT_EVENT, id.to_string())?;
        }
        return Ok(());
    }
    let url = match select {
        Some(id) => format!("index.html#/editor?select={id}"),
        None => "index.html#/editor".to_string(),
    };
    let mut builder = WebviewWindowBuilder::new(app, EDITOR, WebviewUrl::App(url.into()))
        .title(title())
        .min_inner_size(MIN.0, MIN.1);
    // Before the window is mapped its frame is unknown: a usual title bar and border,
    // corrected once the window manager has framed it.
    let guess = (1, 1, 28, 1);
    builder = match placement(app, guess) {
        Some((rect, scale)) => builder
            .position(f64::from(rect.0) / scale, f64::from(rect.1) / scale)
            .inner_size(f64::from(rect.2) / scale, f64::from(rect.3) / scale),
        None => builder.inner_size(WANT.0, WANT.1),
    };
    let w = builder.build()?;
    let handle = app.clone();
    std::thread::spawn(move || settle(&handle, &w, guess));
    Ok(())
}

/// The editor's rectangle for the frame `frame` (physical pixels) and the monitor's scale.
fn placement(app: &AppHandle, frame: crate::aside::Frame) -> Option<(crate::aside::Rect, f64)> {
    let state = app.state::<App>();
    let panel = crate::app::panel(app);
    let target = state.lock().ok().and_then(|i| i.target.clone());
    let monitor = target
        .as_ref()
        .and_then(|t| {
            app.monitor_from_point(f64::from(t.x) + 1.0, f64::from(t.y) + 1.0)
                .ok()
                .flatten()
        })
        .or_else(|| {
            panel
                .as_ref()
                .and_then(|p| p.current_monitor().ok().flatten())
        })
        .or_else(|| app.primary_monitor().ok().flatten())?;
    let scale = monitor.scale_factor();
    let area = monitor.work_area();
    let work = (
        area.position.x,
        area.position.y,
        area.size.width,
        area.size.height,
    );
    let docked = state.settings().mode == quickreply_core::settings::WindowMode::Docked;
    let dock = panel
        .filter(|p| docked && p.is_visible().unwrap_or(false))
        .and_then(|p| Some((p.outer_position().ok()?, p.outer_size().ok()?)))
        .map(|(at, size)| (at.x, at.y, size.width, size.height));
    let px = |v: f64| (v * scale).round() as u32;
    Some((
        crate::aside::editor_rect(
            work,
            dock,
            (px(WANT.0), px(WANT.1)),
            (px(MIN.0), px(MIN.1)),
            frame,
        ),
        scale,
    ))
}

/// Once the window manager has framed the new editor: place it again with its real
/// frame, so that the whole frame is on screen (a window manager that pushed it back on
/// screen itself left WebKit with a part it never repainted).
fn settle(app: &AppHandle, w: &tauri::WebviewWindow, guess: crate::aside::Frame) {
    for _ in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if !w.is_visible().unwrap_or(false) {
            continue;
        }
        let (Ok(outer), Ok(inner), Ok(osize), Ok(isize)) = (
            w.outer_position(),
            w.inner_position(),
            w.outer_size(),
            w.inner_size(),
        ) else {
            return;
        };
        let left = (inner.x - outer.x).max(0) as u32;
        let top = (inner.y - outer.y).max(0) as u32;
        let frame = (
            left,
            osize.width.saturating_sub(isize.width + left),
            top,
            osize.height.saturating_sub(isize.height + top),
        );
        if frame == (0, 0, 0, 0) && guess != frame {
            // Not framed yet.
            continue;
        }
        if let Some((rect, _)) = placement(app, frame)
            && (rect != (outer.x, outer.y, isize.width, isize.height))
        {
            let _ = w.set_size(tauri::PhysicalSize::new(rect.2, rect.3));
            let _ = w.set_position(tauri::PhysicalPosition::new(rect.0, rect.1));
        }
        return;
    }
}

/// A title for the reply the editor makes next (新建此话术 in the panel), taken by the
/// editor when it loads or when it is told `editor-new-reply`.
static NEW_TITLE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Open the editor on a new reply titled `title` (the panel's search that found
/// nothing).
#[tauri::command]
pub fn new_reply_titled(handle: AppHandle, title: String) -> Res<()> {
    if let Ok(mut t) = NEW_TITLE.lock() {
        *t = Some(title.trim().to_string());
    }
    let open_already = handle.get_webview_window(EDITOR).is_some();
    open_editor(handle.clone(), None)?;
    if open_already {
        handle
            .emit_to(EDITOR, "editor-new-reply", ())
            .map_err(err)?;
    }
    Ok(())
}

/// The title of the new reply the panel asked for, once.
#[tauri::command]
pub fn take_new_reply() -> Option<String> {
    NEW_TITLE.lock().ok().and_then(|mut t| t.take())
}

/// The editor window's title in the current language.
fn title() -> String {
    quickreply_core::i18n::tr("QuickReply 话术编辑", "QuickReply editor")
}

/// Give an open editor window its title in the language just chosen (the page itself
/// follows the `settings-changed` event).
pub fn retitle(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(EDITOR) {
        let _ = w.set_title(&title());
    }
}

/// Open the editor from the panel, on the reply selected there (`select`, if any).
#[tauri::command]
pub fn open_editor(handle: AppHandle, select: Option<String>) -> Res<()> {
    let select = select.as_deref().map(parse_id).transpose()?;
    // The popup panel steps aside for the editor.
    if handle.state::<App>().settings().mode == quickreply_core::settings::WindowMode::Popup {
        crate::app::hide_panel_window(&handle);
    }
    open_at(&handle, select).map_err(err)
}

/// How many replies the editor's search box shows at most (best first).
const SEARCH_SHOWN: usize = 2000;

/// The editor's search box: the replies of `library` that the panel's search finds for
/// `query` (title, code, tags, body, pinyin and initials; the same ranking), best first,
/// as ids. The tree shows only these.
#[tauri::command]
pub fn editor_search(app: State<'_, App>, library: String, query: String) -> Res<Vec<String>> {
    app.refresh().map_err(err)?;
    let lib = app
        .lock()
        .map_err(err)?
        .store
        .library(&library)
        .map_err(err)?;
    Ok(app
        .search_library(lib.id, &query, SEARCH_SHOWN)
        .map_err(err)?
        .into_iter()
        .map(|id| id.to_string())
        .collect())
}

#[tauri::command]
pub fn editor_tree(app: State<'_, App>, library: String) -> Res<Tree> {
    let mut dated = crate::dates::dated_map(&app, &library)?;
    let inner = app.lock().map_err(err)?;
    let libs = inner.store.libraries().map_err(err)?;
    let lib = inner.store.library(&library).map_err(err)?;
    let folders = inner.store.folders(&lib).map_err(err)?;
    // Only what the tree shows: a library may hold 100 000 replies.
    let replies = inner.store.tree_rows(&lib).map_err(err)?;
    Ok(Tree {
        libraries: libs
            .into_iter()
            .map(|l| LibraryView {
                team: l.kind == LibraryKind::Team,
                name: l.name,
            })
            .collect(),
        folders: folders.into_iter().map(|f| f.path).collect(),
        replies: replies
            .into_iter()
            .map(|s| TreeReply {
                dates: dated.remove(&s.id.to_string()),
                id: s.id.to_string(),
                parts: s.parts,
                title: s.title,
                code: s.code,
                folder: s.folder,
            })
            .collect(),
    })
}

#[tauri::command]
pub fn get_reply(app: State<'_, App>, id: String) -> Res<ReplyDoc> {
    let inner = app.lock().map_err(err)?;
    inner
        .store
        .snippet(parse_id(&id)?)
        .map(ReplyDoc::from)
        .map_err(err)
}

/// Why a reply was not saved, and which field is wrong, so the editor marks that field
/// (`aria-invalid`) and puts the message beside it.
#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FieldProblem {
    /// `title`, `code`, `folder`, `tags`, `part.N` (N from 0) or `general`.
    field: String,
    message: String,
    /// For a shortcut code already used: the reply that holds it.
    holder: Option<Holder>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    id: String,
    title: String,
}

impl FieldProblem {
    fn general(e: impl std::fmt::Display) -> FieldProblem {
        FieldProblem {
            field: "general".into(),
            message: e.to_string(),
            holder: None,
        }
    }
}

/// The field of `doc` that the store's refusal `e` is about.
fn field_of(doc: &ReplyDoc, e: &quickreply_core::Error) -> String {
    use quickreply_core::Error as E;
    use quickreply_core::proto::check::{Invalid, NameOf};
    // The first text part that is empty or not a template (what the store checks first).
    let bad_part = || {
        doc.parts
            .iter()
            .position(|p| {
                p.text().is_some_and(|t| {
                    t.trim().is_empty() || quickreply_core::template::parse(t).is_err()
                })
            })
            .map_or("general".to_string(), |i| format!("part.{i}"))
    };
    match e {
        E::CodeTaken { .. } | E::InvalidCode(_) | E::Invalid(Invalid::Code(_)) => "code".into(),
        E::Invalid(
            Invalid::Empty(NameOf::Title)
            | Invalid::TooLong {
                of: NameOf::Title, ..
            }
            | Invalid::LineBreak(NameOf::Title),
        ) => "title".into(),
        E::Invalid(
            Invalid::Empty(NameOf::Folder)
            | Invalid::TooLong {
                of: NameOf::Folder, ..
            }
            | Invalid::LineBreak(NameOf::Folder)
            | Invalid::OwnParent,
        ) => "folder".into(),
        E::Invalid(Invalid::EmptyText(n) | Invalid::ImageRef(n, _)) => {
            format!("part.{}", n.saturating_sub(1))
        }
        E::Empty(_) if doc.title.trim().is_empty() => "title".into(),
        E::InvalidName(name) if name.trim() == doc.title.trim() => "title".into(),
        E::InvalidName(_) => "folder".into(),
        E::Empty(_) | E::Template(_) => bad_part(),
        _ => "general".into(),
    }
}

#[tauri::command]
pub fn save_reply(app: State<'_, App>, doc: ReplyDoc) -> Result<ReplyDoc, FieldProblem> {
    let saved = {
        let mut inner = app.lock().map_err(FieldProblem::general)?;
        let lib = inner
            .store
            .library(&doc.library)
            .map_err(FieldProblem::general)?;
        let code = doc.code.clone().filter(|c| !c.trim().is_empty());
        let written = match &doc.id {
            Some(existing) => inner.store.edit_snippet(
                parse_id(existing).map_err(FieldProblem::general)?,
                SnippetEdit {
                    title: Some(doc.title.clone()),
                    code: Some(code),
                    tags: Some(doc.tags.clone()),
                    folder: Some(doc.folder.clone()),
                    parts: Some(doc.parts.clone()),
                    apps: None,
                },
            ),
            None => inner.store.add_snippet(
                &lib,
                NewSnippet {
                    title: doc.title.clone(),
                    code,
                    tags: doc.tags.clone(),
                    folder: doc.folder.clone(),
                    parts: doc.parts.clone(),
                    apps: Vec::new(),
                },
            ),
        };
        match written {
            Ok(s) => s,
            Err(e) => {
                // A taken code names the reply that holds it, so the editor can open it.
                let holder = match &e {
                    quickreply_core::Error::CodeTaken { code, .. } => inner
                        .store
                        .resolve(Some(&lib), code)
                        .ok()
                        .filter(|s| s.code.as_deref() == Some(code.as_str()))
                        .map(|s| Holder {
                            id: s.id.to_string(),
                            title: s.title,
                        }),
                    _ => None,
                };
                return Err(FieldProblem {
                    field: field_of(&doc, &e),
                    message: e.to_string(),
                    holder,
                });
            }
        }
    };
    app.changed(&[saved.id]).map_err(FieldProblem::general)?;
    Ok(saved.into())
}

#[tauri::command]
pub fn delete_reply(app: State<'_, App>, id: String) -> Res<()> {
    let id = parse_id(&id)?;
    app.lock()
        .map_err(err)?
        .store
        .remove_snippet(id)
        .map_err(err)?;
    app.changed(&[id]).map_err(err)
}

#[tauri::command]
pub fn reorder(app: State<'_, App>, library: String, folder: String, ids: Vec<String>) -> Res<()> {
    let ids = ids.iter().map(|s| parse_id(s)).collect::<Res<Vec<_>>>()?;
    {
        let mut inner = app.lock().map_err(err)?;
        let lib = inner.store.library(&library).map_err(err)?;
        inner.store.reorder(&lib, &folder, &ids).map_err(err)?;
    }
    app.changed(&ids).map_err(err)
}

#[tauri::command]
pub fn copy_to_personal(app: State<'_, App>, id: String) -> Res<ReplyDoc> {
    let copy = {
        let mut inner = app.lock().map_err(err)?;
        let personal = inner.store.library(PERSONAL).map_err(err)?;
        inner
            .store
            .copy_to(parse_id(&id)?, &personal)
            .map_err(err)?
    };
    app.changed(&[copy.id]).map_err(err)?;
    Ok(copy.into())
}

/// Store pasted or dropped image bytes; returns the image part to insert.
#[tauri::command]
pub fn add_image(app: State<'_, App>, bytes: Vec<u8>, name: String) -> Res<Part> {
    let inner = app.lock().map_err(err)?;
    inner.store.add_image_bytes(&bytes, &name).map_err(err)
}

/// Store an image file dropped onto the editor (WebKitGTK gives the page no dropped
/// files, so the drop comes as Tauri's drag-drop event with paths); returns its part.
#[tauri::command]
pub fn add_image_file(app: State<'_, App>, path: String) -> Res<Part> {
    let inner = app.lock().map_err(err)?;
    inner
        .store
        .add_image(std::path::Path::new(&path))
        .map_err(err)
}

/// The clipboard's image, stored as an image part (`None` when the clipboard holds no
/// image): what Ctrl+V in the reply editor adds when the page itself gets no file.
#[tauri::command]
pub fn paste_image(app: State<'_, App>) -> Res<Option<Part>> {
    let Some(png) = app.clipboard.image_png() else {
        return Ok(None);
    };
    let inner = app.lock().map_err(err)?;
    inner
        .store
        .add_image_bytes(&png, "clipboard.png")
        .map(Some)
        .map_err(err)
}

/// The bytes of a stored image, for thumbnails.
#[tauri::command]
pub fn image_bytes(app: State<'_, App>, sha256: String) -> Res<tauri::ipc::Response> {
    let inner = app.lock().map_err(err)?;
    inner
        .store
        .blobs()
        .get(&sha256)
        .map(tauri::ipc::Response::new)
        .map_err(err)
}

/// Render unsaved parts as the library would (variables filled, prompts shown as
/// «name», variables with no value yet as 【name】, never their example), for the live
/// preview.
#[tauri::command]
pub fn render_draft(app: State<'_, App>, library: String, parts: Vec<Part>) -> Res<Vec<PartView>> {
    let inner = app.lock().map_err(err)?;
    let lib = inner.store.library(&library).map_err(err)?;
    let mut prompts = HashMap::new();
    for body in parts.iter().filter_map(Part::text) {
        for p in quickreply_core::template::prompts(body).map_err(err)? {
            prompts.insert(p.clone(), format!("«{p}»"));
        }
    }
    let rendered = inner
        .store
        .render_preview(lib.id, &parts, &prompts, None)
        .map_err(err)?;
    Ok(PartView::all(&parts, rendered))
}

/// The variables `parts` use that a reply of `library` cannot fill in (set nowhere, not
/// built in): the editor warns of them when the reply is saved, since firing it would
/// fail until they are set.
#[tauri::command]
pub fn unknown_vars(app: State<'_, App>, library: String, parts: Vec<Part>) -> Res<Vec<String>> {
    let inner = app.lock().map_err(err)?;
    let lib = inner.store.library(&library).map_err(err)?;
    inner.store.unknown_variables(lib.id, &parts).map_err(err)
}

/// A library's variables as the editor's variables section shows them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VarsView {
    library: String,
    team: bool,
    /// False for an agent's copy of a team library: values shown, not editable.
    writable: bool,
    vars: Vec<VarView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VarView {
    name: String,
    value: String,
    overridable: bool,
    /// In a team library: the personal library's value of the same name (which replaces
    /// the team's when the variable is overridable).
    mine: Option<String>,
    /// The variable has no value yet (`value` is empty): only this example, a hint.
    example: Option<String>,
}

fn vars_view(store: &quickreply_core::Store, library: &str) -> Res<VarsView> {
    let lib = store.library(library).map_err(err)?;
    let team = lib.kind == LibraryKind::Team;
    // For a team library: this member's personal values of the same names.
    let personal: HashMap<String, String> = if team {
        let p = store.library(PERSONAL).map_err(err)?;
        store.vars(&p).map_err(err)?.into_iter().collect()
    } else {
        HashMap::new()
    };
    Ok(VarsView {
        team,
        writable: store.writable(&lib).map_err(err)?,
        vars: store
            .variable_list(&lib)
            .map_err(err)?
            .into_iter()
            // The team's compliance settings have a section of their own (合规设置).
            .filter(|v| v.name != quickreply_core::compliance::POLICY_VAR)
            .map(|v| VarView {
                mine: personal.get(&v.name).cloned(),
                name: v.name,
                overridable: v.overridable,
                example: v.example.then(|| v.value.clone()),
                value: if v.example { String::new() } else { v.value },
            })
            .collect(),
        library: lib.name,
    })
}

#[tauri::command]
pub fn library_vars(app: State<'_, App>, library: String) -> Res<VarsView> {
    let inner = app.lock().map_err(err)?;
    vars_view(&inner.store, &library)
}

/// One row of the variables table as the editor sends it to [`save_vars`].
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct VarRow {
    /// The index of the row in the editor's table (problems name it).
    row: usize,
    /// Its saved name, `None` for a new row.
    old: Option<String>,
    name: String,
    value: String,
    overridable: bool,
}

/// A row [`save_vars`] refused, and why.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RowProblem {
    /// The row's index in the editor's table; `None` for what concerns no row.
    row: Option<usize>,
    message: String,
}

/// Save every changed row of a library's variables with one action (the editor's 保存 /
/// Ctrl+S), in one transaction: all rows or none; refused with every wrong row.
#[tauri::command]
pub fn save_vars(
    app: State<'_, App>,
    library: String,
    rows: Vec<VarRow>,
) -> Result<VarsView, Vec<RowProblem>> {
    let general = |e: String| {
        vec![RowProblem {
            row: None,
            message: e,
        }]
    };
    let mut inner = app.lock().map_err(|e| general(err(e)))?;
    let lib = inner.store.library(&library).map_err(|e| general(err(e)))?;
    let before = inner
        .store
        .variable_list(&lib)
        .map_err(|e| general(err(e)))?;
    let changes: Vec<quickreply_core::store::VariableChange> = rows
        .iter()
        .map(|r| {
            // A variable with no value yet, saved with its value still blank (its flag
            // ticked, say), stays unset with its example; a value typed in sets it.
            let name = r.name.trim().to_string();
            let was = before
                .iter()
                .find(|v| v.name == r.old.as_deref().unwrap_or(&name));
            let still_unset = r.value.trim().is_empty() && was.is_some_and(|v| v.example);
            quickreply_core::store::VariableChange {
                old: r.old.clone(),
                var: quickreply_core::store::Variable {
                    name,
                    value: match (was, still_unset) {
                        (Some(w), true) => w.value.clone(),
                        _ => r.value.clone(),
                    },
                    overridable: r.overridable,
                    example: still_unset,
                },
            }
        })
        .collect();
    match inner.store.save_variables(&lib, &changes) {
        Ok(()) => {
            drop(inner);
            app.variables_changed().map_err(|e| general(err(e)))?;
            vars_view(&app.lock().map_err(|e| general(err(e)))?.store, &library).map_err(general)
        }
        Err(quickreply_core::store::SaveVariablesError::Rows(problems)) => Err(problems
            .into_iter()
            .map(|(i, e)| RowProblem {
                row: rows.get(i).map(|r| r.row),
                message: e.to_string(),
            })
            .collect()),
        Err(e) => Err(general(err(e))),
    }
}

#[tauri::command]
pub fn delete_var(app: State<'_, App>, library: String, name: String) -> Res<VarsView> {
    let mut inner = app.lock().map_err(err)?;
    let lib = inner.store.library(&library).map_err(err)?;
    inner.store.unset_var(&lib, &name).map_err(err)?;
    drop(inner);
    app.variables_changed().map_err(err)?;
    vars_view(&app.lock().map_err(err)?.store, &library)
}
