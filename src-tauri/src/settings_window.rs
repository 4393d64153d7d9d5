//! The settings window: a normal window of its own (`index.html#/settings`), opened from
//! the panel (Ctrl+,) and the tray, brought forward when already open, placed fully on
//! the screen and beside the docked panel rather than under it. Saving from it answers
//! with the problems of each field ([`Problem`]) so the window shows them where they
//! belong; the saved settings reach every window (`commands::announce`).

use std::sync::atomic::{AtomicBool, Ordering};

use quickreply_core::i18n::tr;
use quickreply_core::settings::{Problem, Settings, WindowMode};
use serde::Serialize;
use tauri::{
    AppHandle, Emitter, LogicalPosition, LogicalSize, Manager, WebviewUrl, WebviewWindow,
    WebviewWindowBuilder, WindowEvent,
};

use crate::app::{self, App};
use crate::ipc::{Res, err};

pub const LABEL: &str = "settings";
/// Whether the open settings window came from the popup panel, which stepped aside for
/// it: closing the window brings the panel back, as Esc in the old settings page did.
static FROM_POPUP: AtomicBool = AtomicBool::new(false);
/// The size the window opens with (logical pixels), when the screen has room for it.
const SIZE: (f64, f64) = (820.0, 600.0);
const MIN: (f64, f64) = (560.0, 420.0);
/// Room kept free around the window for the window manager's frame and panels.
const MARGIN: f64 = 24.0;
const TITLE_BAR: f64 = 32.0;

/// A rectangle in logical pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn right(&self) -> f64 {
        self.x + self.w
    }
    fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// Where the window goes (its inner rectangle) in the screen's work `area`: the wanted
/// size, shrunk to fit with room for the frame; centred; and when that would put it
/// under `avoid` (the always-on-top docked panel), centred in the free side beside the
/// panel that has room for it, if one has.
pub fn place(area: Rect, want: (f64, f64), avoid: Option<Rect>) -> Rect {
    let w = want.0.min(area.w - 2.0 * MARGIN).max(MIN.0.min(area.w));
    let h = want
        .1
        .min(area.h - 2.0 * MARGIN - TITLE_BAR)
        .max(MIN.1.min(area.h));
    let centred = |left: f64, width: f64| (left + (width - w) / 2.0).max(area.x);
    let y = (area.y + TITLE_BAR + (area.h - TITLE_BAR - h) / 2.0).max(area.y);
    let mut r = Rect {
        x: centred(area.x, area.w),
        y,
        w,
        h,
    };
    if let Some(p) = avoid.filter(|p| p.overlaps(&r)) {
        let left = (area.x, p.x - area.x);
        let right = (p.right(), area.right() - p.right());
        let sides = if left.1 >= right.1 {
            [left, right]
        } else {
            [right, left]
        };
        if let Some((x, width)) = sides
            .into_iter()
            .find(|(_, width)| *width >= w + 2.0 * MARGIN)
        {
            r.x = centred(x, width);
        }
    }
    r
}

/// The window's title in the current language.
fn title() -> String {
    tr("QuickReply 设置", "QuickReply settings")
}

/// Open the settings window, or bring it forward (un-minimised, focused) when it is open.
pub fn open(app: &AppHandle) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(LABEL) {
        w.unminimize()?;
        w.show()?;
        return w.set_focus();
    }
    let panel = app::panel(app);
    let monitor = panel
        .as_ref()
        .and_then(|p| p.current_monitor().ok().flatten())
        .or(app.primary_monitor().ok().flatten());
    let (area, scale) = monitor.map_or(
        (
            Rect {
                x: 0.0,
                y: 0.0,
                w: 1280.0,
                h: 800.0,
            },
            1.0,
        ),
        |m| {
            let s = m.scale_factor();
            let a = m.work_area();
            (
                Rect {
                    x: f64::from(a.position.x) / s,
                    y: f64::from(a.position.y) / s,
                    w: f64::from(a.size.width) / s,
                    h: f64::from(a.size.height) / s,
                },
                s,
            )
        },
    );
    let docked = app.state::<App>().settings().mode == WindowMode::Docked;
    let avoid = panel
        .filter(|p| docked && p.is_visible().unwrap_or(false))
        .and_then(|p| Some((p.outer_position().ok()?, p.outer_size().ok()?)))
        .map(|(pos, size)| Rect {
            x: f64::from(pos.x) / scale,
            y: f64::from(pos.y) / scale,
            w: f64::from(size.width) / scale,
            h: f64::from(size.height) / scale,
        });
    let r = place(area, SIZE, avoid);
    let w = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html#/settings".into()))
        .title(title())
        .inner_size(r.w, r.h)
        .min_inner_size(MIN.0.min(r.w), MIN.1.min(r.h))
        .position(r.x, r.y)
        .focused(true)
        .build()?;
    // The window manager may still move a window it maps; put it where it was meant to be.
    let _ = w.set_position(LogicalPosition::new(r.x, r.y));
    let _ = w.set_size(LogicalSize::new(r.w, r.h));
    follow_events(app, &w);
    Ok(())
}

/// The window manager's close button asks the page first, as Esc does: it may hold
/// changes not saved yet (the page closes the window itself, `close_settings`). And the
/// always-on-top panel (docked beside a chat window, where a small screen leaves the
/// settings no room beside it) stays on top only while the settings window is not the
/// one in use: focused, the settings window comes above it; the panel is on top again
/// as soon as the focus goes elsewhere or the window closes.
fn follow_events(app: &AppHandle, w: &WebviewWindow) {
    let (handle, window) = (app.clone(), w.clone());
    w.on_window_event(move |e| match e {
        WindowEvent::CloseRequested { api, .. } => {
            api.prevent_close();
            let _ = window.emit_to(LABEL, "settings-close-requested", ());
        }
        WindowEvent::Focused(true) => {
            if let Some(p) = app::panel(&handle)
                && p.is_always_on_top().unwrap_or(false)
            {
                let _ = p.set_always_on_top(false);
                // Out of the "above" layer the panel may still sit over this window.
                let _ = window.set_focus();
            }
        }
        WindowEvent::Destroyed => {
            // A window closed while recording a hotkey gives the hotkeys back.
            // If another program took one meanwhile, the settings say so next time, as
            // at start-up.
            if let Err(e) = crate::hotkeys::suspend(&handle, false)
                && let Ok(mut n) = handle.state::<App>().startup_note.lock()
            {
                *n = Some(e.to_string());
            }
            if let Some(p) = app::panel(&handle) {
                let _ = p.set_always_on_top(true);
            }
        }
        WindowEvent::Focused(false) => {
            if let Some(p) = app::panel(&handle) {
                let _ = p.set_always_on_top(true);
            }
        }
        _ => {}
    });
}

/// Give an open settings window its title in the language just chosen.
pub fn retitle(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.set_title(&title());
    }
}

/// The key recorder has the focus (`on`) or let go of it: the app's hotkeys are let go
/// meanwhile, so pressing the current combination records it instead of toggling the
/// panel (`hotkeys::suspend`).
#[tauri::command]
pub fn recording_hotkey(handle: AppHandle, on: bool) -> Res<()> {
    crate::hotkeys::suspend(&handle, on).map_err(err)
}

#[tauri::command]
pub fn open_settings(handle: AppHandle) -> Res<()> {
    // The popup panel steps aside for the settings, as for the editor, and comes back
    // when they close; a docked panel stays beside its chat window, and the settings
    // window opens beside it.
    let popup = handle.state::<App>().settings().mode == WindowMode::Popup;
    let shown = app::panel(&handle).is_some_and(|w| w.is_visible().unwrap_or(false));
    if popup && shown {
        app::hide_panel_window(&handle);
        FROM_POPUP.store(true, Ordering::SeqCst);
    }
    open(&handle).map_err(err)
}

/// Close the settings window (the page has asked about unsaved changes already); the
/// popup panel they were opened from comes back.
#[tauri::command]
pub fn close_settings(handle: AppHandle) -> Res<()> {
    if let Some(w) = handle.get_webview_window(LABEL) {
        w.destroy().map_err(err)?;
    }
    let popup = handle.state::<App>().settings().mode == WindowMode::Popup;
    if FROM_POPUP.swap(false, Ordering::SeqCst) && popup {
        app::show_panel(&handle).map_err(err)?;
    }
    Ok(())
}

/// What a save from the settings window answers: the settings as saved (normalised), and
/// problems that did not stop the save (start at login could not be changed).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    settings: Settings,
    warnings: Vec<Problem>,
}

/// Save from the settings window: every problem with the field it concerns, or the saved
/// settings. Nothing is saved while any field has a problem; a hotkey another program
/// holds is reported at its field and the previous settings stay.
#[tauri::command]
pub fn save_settings_form(handle: AppHandle, settings: Settings) -> Result<Saved, Vec<Problem>> {
    let general = |e: String| vec![Problem::new("general", e)];
    let checked = settings.checked()?;
    let app = handle.state::<App>();
    let old = app.settings();
    let saved = app
        .save_settings(checked)
        .map_err(|e| general(e.to_string()))?;
    if let Err(e) = crate::hotkeys::register(&handle, &saved) {
        let _ = app.save_settings(old.clone());
        let _ = crate::hotkeys::register(&handle, &old);
        let message = e.to_string();
        return Err(vec![Problem::new(hotkey_field(&saved, &message), message)]);
    }
    crate::tray::refresh(&handle);
    crate::commands::announce(&handle, &saved);
    let warnings = match crate::tray::start_at_login(&handle, saved.start_at_login) {
        Ok(()) => Vec::new(),
        Err(e) => vec![Problem::new("startAtLogin", e)],
    };
    Ok(Saved {
        settings: saved,
        warnings,
    })
}

/// The field of the hotkey a registration error names (the longest hotkey the message
/// contains, so `Ctrl+F1` is not taken for `Ctrl+F12`); the main hotkey's when none.
pub fn hotkey_field(s: &Settings, message: &str) -> String {
    std::iter::once(("hotkey".to_string(), &s.hotkey))
        .chain(std::iter::once((
            "nextPartHotkey".to_string(),
            &s.next_part_hotkey,
        )))
        .chain(
            s.favourites
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("favourite.{i}"), &f.hotkey)),
        )
        .filter(|(_, k)| message.contains(k.as_str()))
        .max_by_key(|(_, k)| k.len())
        .map_or_else(|| "hotkey".to_string(), |(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREEN: Rect = Rect {
        x: 0.0,
        y: 0.0,
        w: 1280.0,
        h: 800.0,
    };

    fn inside(r: Rect, area: Rect) -> bool {
        r.x >= area.x
            && r.y - TITLE_BAR >= area.y
            && r.right() <= area.right()
            && r.y + r.h <= area.y + area.h
    }

    #[test]
    fn opens_centred_and_whole_on_a_roomy_screen() {
        let r = place(SCREEN, SIZE, None);
        assert_eq!((r.w, r.h), SIZE);
        assert_eq!(r.x, (1280.0 - 820.0) / 2.0);
        assert!(inside(r, SCREEN), "{r:?}");
    }

    #[test]
    fn shrinks_to_a_small_screen_and_stays_on_it() {
        let small = Rect {
            x: 0.0,
            y: 30.0,
            w: 800.0,
            h: 570.0,
        };
        let r = place(small, SIZE, None);
        assert!(inside(r, small), "{r:?}");
        assert!(r.w >= MIN.0 && r.h >= MIN.1, "{r:?}");
    }

    #[test]
    fn goes_beside_a_docked_panel_not_under_it() {
        // A panel docked at the right of a chat window in the middle of the screen.
        let panel = Rect {
            x: 700.0,
            y: 60.0,
            w: 340.0,
            h: 600.0,
        };
        let wide = Rect {
            w: 1920.0,
            h: 1080.0,
            ..SCREEN
        };
        let r = place(wide, SIZE, Some(panel));
        assert!(!r.overlaps(&panel), "{r:?}");
        assert!(inside(r, wide), "{r:?}");
        // No side has room: it stays centred and whole, over the panel.
        let r = place(SCREEN, SIZE, Some(panel));
        assert!(inside(r, SCREEN), "{r:?}");
    }

    #[test]
    fn a_taken_hotkey_is_reported_at_its_own_field() {
        let mut s = Settings {
            hotkey: "Ctrl+F1".into(),
            ..Settings::default()
        };
        s.favourites.push(quickreply_core::settings::Favourite {
            hotkey: "Ctrl+F12".into(),
            snippet: uuid::Uuid::nil(),
        });
        assert_eq!(
            hotkey_field(&s, "快捷键 Ctrl+F12 已被其他程序占用"),
            "favourite.0"
        );
        assert_eq!(
            hotkey_field(&s, "hotkey Ctrl+Alt+N is taken"),
            "nextPartHotkey"
        );
        assert_eq!(hotkey_field(&s, "something else"), "hotkey");
    }
}
