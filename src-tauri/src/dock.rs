//! Docked mode: a slim sidebar glued to the edge of the active chat window, following it
//! when it moves or resizes and hidden while it is minimised. A background thread looks
//! at the active window whenever `quickreply_desktop::change_waiter` wakes it (X11: every 50 ms,
//! cheap: a few X round trips; Windows: on WinEvent hooks) and moves the panel.

use quickreply_core::settings::{DockSide, WindowMode};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, PhysicalPosition, PhysicalSize};

use crate::app::{App, panel};
use quickreply_desktop::WindowInfo;

/// Where the docked panel goes beside `t` on a screen `screen_w` wide: on the chosen
/// side when it fits, otherwise on the other side, otherwise over the window's edge.
pub fn dock_rect(
    t: &WindowInfo,
    side: DockSide,
    width: u32,
    screen_w: u32,
) -> (i32, i32, u32, u32) {
    let w = width as i32;
    let right = t.x + t.width as i32;
    let left = t.x - w;
    let fits_right = right + w <= screen_w as i32;
    let fits_left = left >= 0;
    let x = match side {
        DockSide::Right if fits_right => right,
        DockSide::Left if fits_left => left,
        DockSide::Right if fits_left => left,
        DockSide::Left if fits_right => right,
        DockSide::Right => right - w,
        DockSide::Left => t.x,
    };
    (x, t.y, width, t.height.max(200))
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DockedTo {
    id: u64,
    title: String,
    profile: Option<String>,
}

pub fn spawn(app: AppHandle) {
    std::thread::Builder::new()
        .name("dock".into())
        .spawn(move || {
            let mut last: Option<(u64, i32, i32, u32, u32, bool)> = None;
            let (mut waiter, timeout) = quickreply_desktop::change_waiter();
            loop {
                waiter.wait(timeout);
                last = step(&app, last);
            }
        })
        .ok();
}

fn step(
    app: &AppHandle,
    last: Option<(u64, i32, i32, u32, u32, bool)>,
) -> Option<(u64, i32, i32, u32, u32, bool)> {
    let state = app.state::<App>();
    let settings = state.settings();
    if settings.mode != WindowMode::Docked {
        return None;
    }
    let active = state.with_desktop(|d| d.active_window()).flatten();
    // A newly active chat window becomes the target; our own panel or another app leaves
    // the panel where it is, beside the last chat window.
    if let Some(a) =
        active.filter(|a| !a.is_own() && settings.profile_for(&a.name_refs(), &a.title).is_some())
    {
        if let Ok(mut inner) = state.lock()
            && inner.target.as_ref().map(|t| t.id) != Some(a.id)
        {
            inner.target = Some(a.clone());
            let profile = settings
                .profile_for(&a.name_refs(), &a.title)
                .map(|p| p.name.clone());
            let _ = app.emit(
                "docked-to",
                DockedTo {
                    id: a.id,
                    title: a.title.clone(),
                    profile,
                },
            );
        }
    }
    let target_id = state.lock().ok()?.target.as_ref()?.id;
    let w = panel(app)?;
    let Some(t) = state.with_desktop(|d| d.window(target_id)).flatten() else {
        // The chat window is gone.
        let _ = w.hide();
        if let Ok(mut inner) = state.lock() {
            inner.target = None;
        }
        return None;
    };
    let key = (t.id, t.x, t.y, t.width, t.height, t.minimized);
    if last == Some(key) {
        return last;
    }
    if t.minimized {
        let _ = w.hide();
        return Some(key);
    }
    let screen_w = w
        .current_monitor()
        .ok()
        .flatten()
        .or(w.primary_monitor().ok().flatten())
        .map_or(1280, |m| m.size().width);
    let width = w.outer_size().map_or(320, |s| s.width).min(420);
    let (x, y, width, height) = dock_rect(&t, settings.dock_side, width, screen_w);
    let _ = w.set_size(PhysicalSize::new(width, height));
    let _ = w.set_position(PhysicalPosition::new(x, y));
    if !w.is_visible().unwrap_or(true) {
        let _ = w.show();
        // Showing must not take the focus from the chat window.
        state.with_desktop(|d| d.activate(t.id));
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(x: i32, width: u32) -> WindowInfo {
        WindowInfo {
            x,
            y: 40,
            width,
            height: 600,
            ..WindowInfo::default()
        }
    }

    #[test]
    fn docks_on_the_chosen_side_when_it_fits() {
        assert_eq!(
            dock_rect(&win(100, 700), DockSide::Right, 300, 1280),
            (800, 40, 300, 600)
        );
        assert_eq!(
            dock_rect(&win(400, 700), DockSide::Left, 300, 1280),
            (100, 40, 300, 600)
        );
    }

    #[test]
    fn flips_or_overlaps_when_the_screen_is_too_small() {
        // No room on the right: goes left.
        assert_eq!(
            dock_rect(&win(400, 800), DockSide::Right, 300, 1280),
            (100, 40, 300, 600)
        );
        // No room on the left: goes right.
        assert_eq!(
            dock_rect(&win(100, 600), DockSide::Left, 300, 1280),
            (700, 40, 300, 600)
        );
        // No room anywhere: over the window's own edge.
        assert_eq!(
            dock_rect(&win(0, 1280), DockSide::Right, 300, 1280),
            (980, 40, 300, 600)
        );
    }
}
