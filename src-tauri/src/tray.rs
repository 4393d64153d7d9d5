//! The tray icon: open the panel, pause the hotkeys, settings, quit.

use std::time::Duration;

use quickreply_core::i18n::tr;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::app::{self, App};

const TRAY: &str = "main";

fn menu(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let paused = app.state::<App>().settings().paused;
    Menu::with_items(
        app,
        &[
            &MenuItem::with_id(
                app,
                "open",
                tr("打开面板", "Open panel"),
                true,
                None::<&str>,
            )?,
            &CheckMenuItem::with_id(
                app,
                "pause",
                tr("暂停快捷键", "Pause hotkeys"),
                true,
                paused,
                None::<&str>,
            )?,
            &MenuItem::with_id(
                app,
                "settings",
                tr("设置…", "Settings…"),
                true,
                None::<&str>,
            )?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(
                app,
                "quit",
                tr("退出 QuickReply", "Quit QuickReply"),
                true,
                None::<&str>,
            )?,
        ],
    )
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("QuickReply")
        .menu(&menu(app)?)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_from_menu(app),
            "pause" => {
                let state = app.state::<App>();
                let mut s = state.settings();
                s.paused = !s.paused;
                if state.save_settings(s).is_ok() {
                    refresh(app);
                }
            }
            "editor" => {
                let _ = crate::editor::open(app);
            }
            "settings" => {
                show_from_menu(app);
                let _ = app.emit("open-settings", ());
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Show the panel from the menu. The menu's keyboard grab ends as it closes, and the
/// window manager may then move the focus off the panel just shown (openbox puts it on
/// a window of its own while still calling the panel active); so for a second the
/// panel takes the focus back whenever it is visible without it.
fn show_from_menu(app: &AppHandle) {
    let _ = app::show_panel(app);
    let handle = app.clone();
    std::thread::spawn(move || {
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(25));
            let visible = app::panel(&handle).is_some_and(|w| w.is_visible().unwrap_or(false));
            if !visible {
                break;
            }
            let _ = handle.state::<App>().with_desktop(|d| d.focus_own());
        }
    });
}

/// Rebuild the menu after the language or the pause state changed.
pub fn refresh(app: &AppHandle) {
    if let (Some(tray), Ok(m)) = (app.tray_by_id(TRAY), menu(app)) {
        let _ = tray.set_menu(Some(m));
    }
}
