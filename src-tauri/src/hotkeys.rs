//! Global hotkeys: the panel toggle, "next part" of a queued reply, and one per favourite
//! reply. On X11 and Windows the app's own listeners in `quickreply_desktop`
//! (`x11_hotkeys`, `win_hotkeys`: no polling, tested under Xvfb and under Wine);
//! elsewhere, or when they cannot start, tauri-plugin-global-shortcut.

use std::collections::HashMap;

use anyhow::{Result, anyhow};
use quickreply_core::i18n::tr;
use quickreply_core::settings::Settings;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

use crate::app::{self, App};

fn parse(s: &str) -> Result<Shortcut> {
    s.parse::<Shortcut>().map_err(|e| {
        anyhow!(tr(
            format!("快捷键「{s}」无法使用：{e}"),
            format!("hotkey \"{s}\" cannot be used: {e}"),
        ))
    })
}

fn names(settings: &Settings) -> Vec<&str> {
    std::iter::once(settings.hotkey.as_str())
        .chain(std::iter::once(settings.next_part_hotkey.as_str()))
        .chain(settings.favourites.iter().map(|f| f.hotkey.as_str()))
        .collect()
}

/// Register every hotkey of `settings`, replacing the previous ones. A hotkey another
/// program already holds is reported by name.
pub fn register(app: &AppHandle, settings: &Settings) -> Result<()> {
    register_names(app, &names(settings))
}

fn register_names(app: &AppHandle, names: &[&str]) -> Result<()> {
    #[cfg(target_os = "linux")]
    if let Some(x) = app.try_state::<quickreply_desktop::x11_hotkeys::X11Hotkeys>() {
        return Ok(x.register(names)?);
    }
    #[cfg(windows)]
    if let Some(w) = app.try_state::<quickreply_desktop::win_hotkeys::WinHotkeys>() {
        return Ok(w.register(names)?);
    }
    let gs = app.global_shortcut();
    gs.unregister_all()?;
    for &k in names {
        let sc = parse(k)?;
        gs.register(sc).map_err(|e| {
            anyhow!(tr(
                format!("快捷键 {k} 已被其他程序占用，请换一个（{e}）"),
                format!("hotkey {k} is taken by another program; choose another ({e})"),
            ))
        })?;
    }
    Ok(())
}

/// Let go of every hotkey while the settings window records one (`on`), so the keys the
/// agent presses reach the recorder, the app's own current combination included; grab
/// them again from the settings when recording ends (`!on`) or the window closes.
pub fn suspend(app: &AppHandle, on: bool) -> Result<()> {
    if on {
        register_names(app, &[])
    } else {
        register(app, &app.state::<App>().settings())
    }
}

/// The plugin's callback: find which of our hotkeys it was.
pub fn on_pressed(app: &AppHandle, shortcut: &Shortcut, state: ShortcutState) {
    if state != ShortcutState::Pressed {
        return;
    }
    let settings = app.state::<App>().settings();
    if let Some(name) = names(&settings)
        .into_iter()
        .find(|k| parse(k).is_ok_and(|s| s.id() == shortcut.id()))
    {
        on_hotkey(app, name);
    }
}

/// What a pressed hotkey (named as in the settings) does.
pub fn on_hotkey(app: &AppHandle, name: &str) {
    let settings = app.state::<App>().settings();
    if name == settings.hotkey {
        if let Err(e) = app::toggle_panel(app) {
            let _ = app.emit("fire-error", e.to_string());
        }
        return;
    }
    let result = if settings.paused {
        Ok(())
    } else if name == settings.next_part_hotkey {
        next_part(app)
    } else if let Some(f) = settings.favourites.iter().find(|f| f.hotkey == name) {
        fire_favourite(app, f.snippet)
    } else {
        Ok(())
    };
    // A fire that failed already says what was not sent (`App::fire`); the panel shows
    // it even when the hotkey was pressed with the panel hidden.
    if let Err(e) = result {
        app::report_failure(app, e.to_string());
    }
}

fn next_part(app: &AppHandle) -> Result<()> {
    let state = app.state::<App>();
    let title = state.lock()?.queue.title.clone();
    let next = state
        .next_part()
        .map_err(|e| anyhow!(state.fire_failed(Some(&title), &e.to_string())))?;
    // The note near the chat window moves on to the next part, or goes after the last.
    crate::note::update(app);
    if let Some(outcome) = next {
        app.emit("fired", outcome)?;
    }
    Ok(())
}

fn fire_favourite(app: &AppHandle, id: uuid::Uuid) -> Result<()> {
    let state = app.state::<App>();
    if let Some(a) = state
        .with_desktop(|d| d.active_window())
        .flatten()
        .filter(|a| !a.is_own())
    {
        state.lock()?.target = Some(a);
    }
    if !state.prompts(id)?.is_empty() || !state.unset_of(id)?.is_empty() {
        // The panel asks for the blanks first (prompts, and variables with no value
        // yet: an example is never sent).
        app::show_panel(app)?;
        app.emit("ask", id.to_string())?;
        return Ok(());
    }
    let check = crate::compliance::check_fire(&state, id, &HashMap::new())?;
    if !check.hits.is_empty() || check.clipboard.is_some() {
        // A flagged word, or the clipboard going in mid-sentence: the panel shows it and
        // the agent confirms (or cannot send a word the team blocks).
        app::show_panel(app)?;
        app.emit("ask", id.to_string())?;
        return Ok(());
    }
    let outcome = state.fire(app, id, &HashMap::new())?;
    app.emit("fired", outcome)?;
    Ok(())
}
