//! Windows that stay out of the way (#19 item 4).
//!
//! - The popup panel hides when another window takes the focus (a click in the chat
//!   window, like Raycast or uTools), except while the panel holds the agent's input
//!   (`hold_panel`: the `{?…}` prompts, the settings form) or the focus went to one of our
//!   own windows (the editor, a file dialog). The window the agent clicked keeps the
//!   focus; nothing is activated.
//! - The editor opens as a normal window inside the work area of the chat window's
//!   monitor, beside the docked panel rather than under it ([`editor_rect`]); while the
//!   editor has the focus the docked panel is not always-on-top, so a part of the editor
//!   that must overlap it (a screen too narrow for both) is never hidden under it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use quickreply_core::settings::WindowMode;
use tauri::{AppHandle, Manager, Window, WindowEvent};

use crate::app::{self, App, PANEL};
use crate::editor::EDITOR;

/// The popup's state for its blur rule.
#[derive(Default)]
pub struct Popup {
    /// The panel asks the agent for something (prompts, settings): a blur leaves it up.
    held: AtomicBool,
    /// Counts the panel's showings: a blur seen before the latest showing is stale.
    shown: AtomicU64,
    /// The panel is being given the focus (`show_panel`'s focus loop).
    focusing: AtomicBool,
}

impl Popup {
    /// The panel was just shown; `focusing` while the window manager is asked for the
    /// focus.
    pub fn showing(&self, focusing: bool) {
        if focusing {
            self.shown.fetch_add(1, Ordering::SeqCst);
        }
        self.focusing.store(focusing, Ordering::SeqCst);
    }
}

/// The panel holds (or no longer holds) input the agent is giving: the `{?…}` prompts,
/// the settings form, any dialog of the panel's own. While held, a click elsewhere leaves
/// the popup up, so that the agent can copy a buyer's name from the chat into it.
#[tauri::command]
pub fn hold_panel(popup: tauri::State<'_, Popup>, hold: bool) {
    popup.held.store(hold, Ordering::SeqCst);
}

/// Every window event of the app.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let app = window.app_handle();
    match (window.label(), event) {
        (PANEL, WindowEvent::Focused(false)) => blurred(app),
        (EDITOR, WindowEvent::Focused(focused)) => dock_on_top(app, !focused),
        (EDITOR, WindowEvent::Destroyed) => dock_on_top(app, true),
        _ => {}
    }
}

/// How long after losing the focus the panel looks again: a focus that only passes
/// through (the window manager settling after a show, a key grab of a global hotkey)
/// has come back by then.
const SETTLE: Duration = Duration::from_millis(150);

/// The panel lost the focus: in popup mode, once the focus has settled in a window that
/// is not ours, hide it (and count the search it ended).
fn blurred(app: &AppHandle) {
    let shown = app.state::<Popup>().shown.load(Ordering::SeqCst);
    let handle = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(SETTLE);
        let popup = handle.state::<Popup>();
        let state = handle.state::<App>();
        if state.settings().mode != WindowMode::Popup
            || popup.held.load(Ordering::SeqCst)
            || popup.focusing.load(Ordering::SeqCst)
            || popup.shown.load(Ordering::SeqCst) != shown
        {
            return;
        }
        let Some(w) = app::panel(&handle) else { return };
        if !w.is_visible().unwrap_or(false) || w.is_focused().unwrap_or(true) {
            return;
        }
        // The window manager's word: the editor, a file dialog or the panel itself (a
        // key grab that GTK saw as a focus change) keep the panel up.
        if let Some(Some(active)) = state.with_desktop(|d| d.active_window())
            && active.is_own()
        {
            return;
        }
        app::hide_on_blur(&handle);
    });
}

/// The docked panel above every window, or (while the editor has the focus) not, so that
/// it never covers the editor.
fn dock_on_top(app: &AppHandle, on_top: bool) {
    if app.state::<App>().settings().mode != WindowMode::Docked {
        return;
    }
    if let Some(w) = app::panel(app) {
        let _ = w.set_always_on_top(on_top);
    }
}

/// A rectangle in physical pixels: x, y, width, height.
pub type Rect = (i32, i32, u32, u32);

/// The window manager's frame around a window's content: left, right, top, bottom.
pub type Frame = (u32, u32, u32, u32);

/// Where the editor's frame goes: inside the work area `work`, on the wider side of the
/// docked panel `dock` (when there is one), centred there, at the size it wants (`want`,
/// its content) or smaller down to `min`. When neither side has room for `min`, the whole
/// work area is used (the dock then steps below the editor while the editor has the
/// focus, see [`on_window_event`]). Returns the content's rectangle: position of the
/// frame's top left corner, size of the content.
pub fn editor_rect(
    work: Rect,
    dock: Option<Rect>,
    want: (u32, u32),
    min: (u32, u32),
    frame: Frame,
) -> Rect {
    let (wx, wy, ww, wh) = work;
    let (fl, fr, ft, fb) = frame;
    let (fw, fh) = (fl + fr, ft + fb);
    let right_edge = wx + ww as i32;
    // The free columns of the work area left and right of the dock.
    let region = match dock {
        Some((dx, _, dw, _)) if dx < right_edge && dx + dw as i32 > wx => {
            let left = (wx, (dx - wx).max(0) as u32);
            let right_start = (dx + dw as i32).max(wx);
            let right = (right_start, (right_edge - right_start).max(0) as u32);
            let wider = if left.1 >= right.1 { left } else { right };
            if wider.1 >= min.0 + fw {
                wider
            } else {
                (wx, ww)
            }
        }
        _ => (wx, ww),
    };
    let (rx, rw) = region;
    let outer_w = (want.0 + fw).min(rw).max((min.0 + fw).min(ww));
    let outer_h = (want.1 + fh).min(wh).max((min.1 + fh).min(wh));
    let x = (rx + (rw as i32 - outer_w as i32) / 2).clamp(wx, right_edge - outer_w as i32);
    let y = (wy + (wh as i32 - outer_h as i32) / 2).max(wy);
    (x, y, outer_w.saturating_sub(fw), outer_h.saturating_sub(fh))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORK: Rect = (0, 0, 1280, 800);
    const FRAME: Frame = (1, 1, 20, 1);

    fn outer(r: Rect) -> Rect {
        (r.0, r.1, r.2 + 2, r.3 + 21)
    }

    fn inside(r: Rect, area: Rect) -> bool {
        r.0 >= area.0
            && r.1 >= area.1
            && r.0 + r.2 as i32 <= area.0 + area.2 as i32
            && r.1 + r.3 as i32 <= area.1 + area.3 as i32
    }

    fn overlap(a: Rect, b: Rect) -> bool {
        a.0 < b.0 + b.2 as i32
            && b.0 < a.0 + a.2 as i32
            && a.1 < b.1 + b.3 as i32
            && b.1 < a.1 + a.3 as i32
    }

    #[test]
    fn without_a_dock_the_editor_is_centred_and_fully_on_screen() {
        let r = editor_rect(WORK, None, (980, 680), (640, 420), FRAME);
        assert_eq!(r, (149, 49, 980, 680));
        assert!(inside(outer(r), WORK));
        // A small screen with a panel at its top: the editor shrinks to the work area.
        let small = (0, 30, 1024, 600);
        let r = editor_rect(small, None, (980, 680), (640, 420), FRAME);
        assert!(inside(outer(r), small), "{r:?}");
        assert_eq!(outer(r).3, 600);
    }

    #[test]
    fn beside_a_docked_panel_the_editor_takes_the_wider_side_and_never_overlaps_it() {
        // Chat window at 80..680, the dock on its right (680..1060): 680 px free on the left.
        let dock = (680, 60, 380, 560);
        let r = editor_rect(WORK, Some(dock), (980, 680), (640, 420), FRAME);
        assert!(inside(outer(r), WORK), "{r:?}");
        assert!(!overlap(outer(r), dock), "{r:?} overlaps {dock:?}");
        assert_eq!(outer(r).2, 680);
        // The dock on the left of a chat window at the right: the editor goes right.
        let dock = (200, 60, 320, 560);
        let r = editor_rect(WORK, Some(dock), (980, 680), (640, 420), FRAME);
        assert!(inside(outer(r), WORK) && !overlap(outer(r), dock), "{r:?}");
        assert!(r.0 >= 520);
    }

    #[test]
    fn a_screen_too_narrow_for_both_uses_the_whole_work_area() {
        let dock = (500, 60, 380, 560);
        let r = editor_rect(WORK, Some(dock), (980, 680), (640, 420), FRAME);
        assert!(inside(outer(r), WORK), "{r:?}");
        assert_eq!(r.2, 980);
    }
}
