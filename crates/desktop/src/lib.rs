//! What the app needs from the desktop OS, without the webview, so that it is tested as
//! plain OS code: the active window (to dock beside it and to know which chat app it is),
//! bringing a window back to the front, a simulated paste, the dock's change waiter, and
//! the clipboard ([`clipboard`]). One module per OS behind the [`Desktop`] trait: X11
//! (tested under Xvfb by the app's e2e tests) and Windows (tested as a Windows program
//! under Wine against stand-in chat windows: `tests/win32.rs`); elsewhere (Wayland, macOS
//! for now) the app falls back to popup mode without auto-paste and says so in the
//! settings window.

use std::time::Duration;

use serde::Serialize;

pub mod clipboard;
mod error;
pub mod multi;
#[cfg(target_os = "linux")]
mod x11;
#[cfg(target_os = "linux")]
pub mod x11_hotkeys;

#[cfg(windows)]
pub mod multi_win;
#[cfg(windows)]
pub mod win_hotkeys;
#[cfg(windows)]
pub mod windows;

pub use error::{Error, Result};

/// A top-level window. The geometry is the outer frame (decorations included), in
/// physical pixels of the virtual screen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowInfo {
    pub id: u64,
    /// Class, instance and process names, whatever the OS offers.
    pub names: Vec<String>,
    pub title: String,
    pub pid: Option<u32>,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub minimized: bool,
}

impl WindowInfo {
    pub fn name_refs(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    pub fn is_own(&self) -> bool {
        self.pid == Some(std::process::id())
    }
}

pub trait Desktop: Send {
    /// The window that has the focus.
    fn active_window(&mut self) -> Option<WindowInfo>;
    /// A window by id, `None` once it is gone.
    fn window(&mut self, id: u64) -> Option<WindowInfo>;
    /// Give a window the focus (it is raised as the window manager sees fit).
    fn activate(&mut self, id: u64) -> Result<()>;
    /// Give the focus to this process's visible window titled `title` (window managers
    /// may refuse a newly mapped window the focus; a pager-style request is honoured).
    /// The title picks the panel out of the app's other windows (editor, settings, the
    /// queue note), which may be open too. `Ok(true)` once it has the focus.
    fn focus_own(&mut self, title: &str) -> Result<bool>;
    /// Press Ctrl+V (and Enter after it when asked) in the focused window.
    fn paste(&mut self, press_enter: bool) -> Result<()>;
}

/// How the dock thread waits between looks at the desktop.
pub trait ChangeWait {
    /// Returns when the desktop may have changed (focus moved, a window moved, was
    /// minimised or restored) or after `timeout`, whichever comes first.
    fn wait(&mut self, timeout: Duration);
}

/// Polling: just sleep.
struct Sleep;

impl ChangeWait for Sleep {
    fn wait(&mut self, timeout: Duration) {
        std::thread::sleep(timeout);
    }
}

/// A waiter for the calling thread and how long one wait may last: on Windows WinEvent
/// hooks (installed for this thread, which then pumps their messages) wake it on every
/// focus change, move or (un)minimise, and where the OS raises none of those it notices
/// the change itself within 50 ms (`windows::LOOK_EVERY`), with a 1 s safety timeout; on
/// X11 it polls every 50 ms.
pub fn change_waiter() -> (Box<dyn ChangeWait>, Duration) {
    #[cfg(windows)]
    {
        if let Some(w) = windows::WinEventWait::install() {
            return (Box::new(w), Duration::from_secs(1));
        }
    }
    (Box::new(Sleep), Duration::from_millis(50))
}

/// The desktop of this session, or `None` when there is none we can drive (the reason
/// is returned for the settings window).
pub fn connect() -> Result<Box<dyn Desktop>, String> {
    #[cfg(target_os = "linux")]
    {
        if std::env::var_os("DISPLAY").is_none() {
            return Err(quickreply_core::i18n::tr(
                "未检测到 X11 显示（Wayland 下停靠和自动粘贴不可用，面板以弹出模式工作）",
                "no X11 display (on Wayland docking and auto-paste are unavailable; the panel works as a popup)",
            ));
        }
        x11::X11Desktop::connect()
            .map(|d| Box::new(d) as Box<dyn Desktop>)
            .map_err(|e| e.to_string())
    }
    #[cfg(windows)]
    {
        Ok(Box::new(windows::WinDesktop))
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        Err(quickreply_core::i18n::tr(
            "此系统暂不支持停靠和自动粘贴",
            "docking and auto-paste are not supported on this system yet",
        ))
    }
}
