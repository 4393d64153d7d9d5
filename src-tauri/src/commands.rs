//! Tauri commands: thin wrappers that turn UI intents into calls on [`App`]. Errors reach
//! the UI as one localized sentence.

use std::collections::HashMap;

use quickreply_core::settings::{Scope, Settings};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::app::{self, App, FireOutcome, HitView, PanelState, PartView};
use crate::ipc::{Res, err, parse_id};

#[tauri::command]
pub fn panel_state(app: State<'_, App>) -> Res<PanelState> {
    app.state().map_err(err)
}

#[tauri::command]
pub fn search(app: State<'_, App>, query: String) -> Res<Vec<HitView>> {
    app.search(&query).map_err(err)
}

#[tauri::command]
pub fn prompts(app: State<'_, App>, id: String) -> Res<Vec<String>> {
    app.prompts(parse_id(&id)?).map_err(err)
}

#[tauri::command]
pub fn preview(
    app: State<'_, App>,
    id: String,
    answers: HashMap<String, String>,
    query: Option<String>,
) -> Res<Vec<PartView>> {
    app.preview(parse_id(&id)?, &answers, query.as_deref().unwrap_or(""))
        .map_err(err)
}

#[tauri::command]
pub fn fire(handle: AppHandle, id: String, answers: HashMap<String, String>) -> Res<FireOutcome> {
    let app = handle.state::<App>();
    let id = parse_id(&id)?;
    crate::compliance::refuse_blocked(&app, id, &answers).map_err(err)?;
    app.fire(&handle, id, &answers).map_err(err)
}

#[tauri::command]
pub fn next_part(handle: AppHandle) -> Res<Option<FireOutcome>> {
    let next = handle.state::<App>().next_part().map_err(err);
    crate::note::update(&handle);
    next
}

#[tauri::command]
pub fn hide_panel(handle: AppHandle) {
    app::hide_and_return(&handle);
}

#[tauri::command]
pub fn save_settings(handle: AppHandle, settings: Settings) -> Res<Settings> {
    let app = handle.state::<App>();
    let old = app.settings();
    let saved = app.save_settings(settings).map_err(err)?;
    if let Err(e) = crate::hotkeys::register(&handle, &saved) {
        // Put the old settings back: a hotkey another program holds is not saved.
        let _ = app.save_settings(old.clone());
        let _ = crate::hotkeys::register(&handle, &old);
        return Err(e.to_string());
    }
    crate::tray::refresh(&handle);
    announce(&handle, &saved);
    crate::tray::start_at_login(&handle, saved.start_at_login)?;
    Ok(saved)
}

/// Tell every open window (the panel, the editor, the settings) about saved settings, so a new
/// language or theme shows in all of them at once, not only in the one that saved it.
pub fn announce(handle: &AppHandle, saved: &Settings) {
    crate::editor::retitle(handle);
    crate::settings_window::retitle(handle);
    let _ = handle.emit("settings-changed", saved);
}

/// The panel's personal / team / all switch, kept in the settings (no hotkey is touched).
#[tauri::command]
pub fn set_scope(app: State<'_, App>, scope: Scope) -> Res<Settings> {
    let mut settings = app.settings();
    settings.scope = scope;
    app.save_settings(settings).map_err(err)
}
