//! The tray icon: open the panel, pause the hotkeys, settings, 多开 (Windows), quit. And starting at
//! login, which starts the app in the tray (`--hidden`): the OS's entry, set from the
//! settings and followed by them.

use std::time::Duration;

use quickreply_core::i18n::tr;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_autostart::ManagerExt;

use crate::app::{self, App};
use crate::ipc::Res;
use crate::multi_open::{self, MultiOpen};
use quickreply_desktop::multi::Family;

const TRAY: &str = "main";

fn menu(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let paused = app.state::<App>().settings().paused;
    let menu = Menu::with_items(
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
            &MenuItem::with_id(
                app,
                "setup",
                tr("店铺设置…", "Shop setup…"),
                true,
                None::<&str>,
            )?,
        ],
    )?;
    // 多开 (Windows, where the program is installed): 再开一个微信（已开 n 个）.
    let counts = app.state::<MultiOpen>().counts();
    if !counts.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (family, running) in counts {
            menu.append(&MenuItem::with_id(
                app,
                multi_id(family),
                multi_open::menu_label(family, running),
                true,
                None::<&str>,
            )?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        "quit",
        tr("退出 QuickReply", "Quit QuickReply"),
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

/// The tray menu id of a 多开 entry.
fn multi_id(family: Family) -> &'static str {
    match family {
        Family::WeChat => "multi-wechat",
        Family::WeCom => "multi-wecom",
    }
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
                if let Ok(saved) = state.save_settings(s) {
                    refresh(app);
                    crate::commands::announce(app, &saved);
                }
            }
            "editor" => {
                let _ = crate::editor::open(app);
            }
            "settings" => settings_from_menu(app),
            "setup" => {
                show_from_menu(app);
                crate::setup::open(app);
            }
            "quit" => app.exit(0),
            "multi-wechat" => multi_open::from_tray(app, Family::WeChat),
            "multi-wecom" => multi_open::from_tray(app, Family::WeCom),
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
            let _ = handle
                .state::<App>()
                .with_desktop(|d| d.focus_own(app::PANEL_TITLE));
        }
    });
}

/// Open the settings window from the menu, and for a second take the focus back to it
/// whenever the window manager moves it elsewhere as the menu's grab ends (as for the
/// panel in [`show_from_menu`]).
fn settings_from_menu(app: &AppHandle) {
    if let Err(e) = crate::settings_window::open(app) {
        eprintln!("cannot open the settings window: {e}");
        return;
    }
    let handle = app.clone();
    std::thread::spawn(move || {
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(25));
            let Some(w) = handle.get_webview_window(crate::settings_window::LABEL) else {
                break;
            };
            if !w.is_focused().unwrap_or(true) {
                let _ = w.set_focus();
            }
        }
    });
}

/// Rebuild the menu after the language or the pause state changed.
pub fn refresh(app: &AppHandle) {
    if let (Some(tray), Ok(m)) = (app.tray_by_id(TRAY), menu(app)) {
        let _ = tray.set_menu(Some(m));
    }
}

/// Turn starting at login on or off and check that it took. On Linux the entry is
/// `~/.config/autostart/QuickReply.desktop`; auto-launch makes only the last folder,
/// so `~/.config/autostart` is made first (a fresh home may have no `~/.config`).
pub fn start_at_login(handle: &AppHandle, on: bool) -> Res<()> {
    #[cfg(target_os = "linux")]
    if on && let Ok(home) = handle.path().home_dir() {
        let _ = std::fs::create_dir_all(home.join(".config").join("autostart"));
    }
    autostart(handle, on);
    if handle.autolaunch().is_enabled().unwrap_or(!on) == on {
        Ok(())
    } else {
        Err(tr(
            "设置已保存，但开机启动没有设置成功",
            "Settings saved, but start at login could not be changed",
        ))
    }
}

/// Turn starting at login on or off (best effort; the settings window shows the result).
fn autostart(app: &AppHandle, on: bool) {
    let al = app.autolaunch();
    let now = al.is_enabled().unwrap_or(false);
    let _ = match (on, now) {
        (true, false) => al.enable(),
        (false, true) => al.disable(),
        _ => Ok(()),
    };
}

/// The OS's start-at-login entry is the truth and the settings follow it: the Windows
/// installer may have written it (its 开机时启动 option writes the same Run value), or the
/// user removed it in Task Manager. Otherwise the next save of the settings would undo
/// what the installer did.
pub fn follow_start_at_login(app: &AppHandle) {
    let Ok(on) = app.autolaunch().is_enabled() else {
        return;
    };
    let state = app.state::<App>();
    let mut settings = state.settings();
    if settings.start_at_login != on {
        settings.start_at_login = on;
        if let Err(e) = state.save_settings(settings) {
            eprintln!("cannot note start at login in the settings: {e}");
        }
    }
}
