//! The tray icon: open the panel, pause the hotkeys, settings, quit.

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
            "open" => {
                let _ = app::show_panel(app);
            }
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
                let _ = app::show_panel(app);
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

/// Rebuild the menu after the language or the pause state changed.
pub fn refresh(app: &AppHandle) {
    if let (Some(tray), Ok(m)) = (app.tray_by_id(TRAY), menu(app)) {
        let _ = tray.set_menu(Some(m));
    }
}
