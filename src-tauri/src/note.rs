//! The queue note (#19 item 9): after part 1 of a multi-part reply went to the clipboard
//! and the popup panel stepped aside, a small window near the chat window says what is
//! queued (`待发 1/3 · 尺码表图文`, what the next part is) and the key for the next part.
//!
//! It is always on top and never takes the focus (the window manager is told it accepts
//! none), so the agent's Ctrl+V still lands in the chat window. It goes when the last
//! part has been taken, when the queue is emptied (a failed fire, a one-part reply) and
//! while the panel is up (the panel's footer says the same). A docked panel stays beside
//! the chat window, so there the note is the panel's own footer and this window is never
//! shown.

use quickreply_core::Rendered;
use quickreply_core::i18n::tr;
use quickreply_core::settings::WindowMode;
use serde::Serialize;
use tauri::{
    AppHandle, Emitter, Manager, PhysicalPosition, State, WebviewUrl, WebviewWindow,
    WebviewWindowBuilder,
};

use crate::app::{App, Inner};
use quickreply_desktop::WindowInfo;

pub const NOTE: &str = "note";

/// What the note (and the panel's footer) says about the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueNote {
    pub title: String,
    /// Parts taken so far (1-based position of the one on the clipboard) and the count.
    pub index: usize,
    pub total: usize,
    /// `text` or `image`: the part the next-part hotkey gives.
    pub next: &'static str,
    pub hotkey: String,
}

impl App {
    /// The note for the queue as it stands: `None` unless a part is still waiting.
    pub fn queue_note(&self) -> Option<QueueNote> {
        note_of(&*self.lock().ok()?)
    }
}

/// The note for the queue of `inner`.
pub fn note_of(inner: &Inner) -> Option<QueueNote> {
    {
        let next = match inner.queue.upcoming()? {
            Rendered::Text(_) => "text",
            Rendered::Image { .. } => "image",
        };
        let (index, total) = inner.queue.position();
        Some(QueueNote {
            title: inner.queue.title.clone(),
            index,
            total,
            next,
            hotkey: inner.settings.next_part_hotkey.clone(),
        })
    }
}

/// The note's content, for the note window when it loads.
#[tauri::command]
pub fn queue_note(app: State<'_, App>) -> Option<QueueNote> {
    app.queue_note()
}

/// The note's size in logical pixels.
const SIZE: (f64, f64) = (340.0, 66.0);

/// Show the note when the popup panel is out of the way and a part is waiting; hide it
/// otherwise. Called after every change of the queue and every hiding of the panel.
pub fn update(app: &AppHandle) {
    // Off the caller's thread: a command may run on the event loop's thread, which must
    // not wait for the window it would create (a deadlock on Windows).
    let app = app.clone();
    std::thread::spawn(move || {
        let state = app.state::<App>();
        let popup = state.settings().mode == WindowMode::Popup;
        let panel_up = crate::app::panel(&app).is_some_and(|w| w.is_visible().unwrap_or(false));
        match state.queue_note().filter(|_| popup && !panel_up) {
            Some(note) => {
                if let Err(e) = show(&app, &note) {
                    eprintln!("could not show the queue note: {e}");
                }
            }
            None => hide(&app),
        }
    });
}

/// Hide the note (the panel is coming up, or nothing is queued).
pub fn hide(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(NOTE) {
        let _ = w.hide();
    }
}

fn window(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    if let Some(w) = app.get_webview_window(NOTE) {
        return Ok(w);
    }
    WebviewWindowBuilder::new(app, NOTE, WebviewUrl::App("index.html#/note".into()))
        .title(tr("QuickReply 待发部分", "QuickReply queued parts"))
        .inner_size(SIZE.0, SIZE.1)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .focused(false)
        .focusable(false)
        .visible(false)
        .build()
}

fn show(app: &AppHandle, note: &QueueNote) -> tauri::Result<()> {
    let w = window(app)?;
    let target = app
        .state::<App>()
        .lock()
        .ok()
        .and_then(|i| i.target.clone());
    if let Some(at) = place(app, &w, target.as_ref()) {
        w.set_position(at)?;
    }
    app.emit_to(NOTE, "queue-note", note)?;
    if !w.is_visible().unwrap_or(false) {
        w.show()?;
    }
    Ok(())
}

/// Near the chat window: inside its top right corner, where the popup panel was, clamped
/// to the work area of its monitor; without one, the work area's bottom right corner.
fn place(
    app: &AppHandle,
    w: &WebviewWindow,
    target: Option<&WindowInfo>,
) -> Option<PhysicalPosition<i32>> {
    let monitor = match target {
        Some(t) => app
            .monitor_from_point(f64::from(t.x) + 1.0, f64::from(t.y) + 1.0)
            .ok()
            .flatten(),
        None => None,
    }
    .or_else(|| w.primary_monitor().ok().flatten())?;
    let scale = monitor.scale_factor();
    let area = monitor.work_area();
    let work = (
        area.position.x,
        area.position.y,
        area.size.width,
        area.size.height,
    );
    let size = ((SIZE.0 * scale) as u32, (SIZE.1 * scale) as u32);
    Some(note_position(
        work,
        target.map(|t| (t.x, t.y, t.width, t.height)),
        size,
    ))
}

/// Where the note goes (see [`place`]).
pub fn note_position(
    work: crate::aside::Rect,
    target: Option<crate::aside::Rect>,
    size: (u32, u32),
) -> PhysicalPosition<i32> {
    let (wx, wy, ww, wh) = work;
    let (w, h) = (size.0 as i32, size.1 as i32);
    let (x, y) = match target {
        Some((tx, ty, tw, _)) if tw > 0 => (tx + tw as i32 - w - 24, ty + 48),
        _ => (wx + ww as i32 - w - 24, wy + wh as i32 - h - 24),
    };
    PhysicalPosition::new(
        x.clamp(wx, (wx + ww as i32 - w).max(wx)),
        y.clamp(wy, (wy + wh as i32 - h).max(wy)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_sits_in_the_chat_windows_top_right_corner_on_screen() {
        let work = (0, 0, 1280, 800);
        assert_eq!(
            note_position(work, Some((60, 60, 700, 600)), (340, 66)),
            PhysicalPosition::new(396, 108)
        );
        // A chat window hanging off the right edge: the note stays on screen.
        let p = note_position(work, Some((1100, 700, 600, 400)), (340, 66));
        assert!(p.x + 340 <= 1280 && p.y + 66 <= 800, "{p:?}");
        // No chat window: the bottom right corner of the work area.
        assert_eq!(
            note_position(work, None, (340, 66)),
            PhysicalPosition::new(916, 710)
        );
    }
}
