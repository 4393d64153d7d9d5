//! Windows: the foreground window through user32, the process name through
//! `QueryFullProcessImageNameW`, and the paste through `SendInput`. Tested under Wine
//! against stand-in chat windows (`tests/win32.rs`). The dock thread's [`WinEventWait`]
//! hooks focus changes, window moves and (un)minimising (`SetWinEventHook`, out of
//! context) and wakes it when one happens, and looks at the foreground window itself
//! every [`LOOK_EVERY`] where the OS raises none of those events.
#![allow(unsafe_code)]

use windows_sys::Win32::Foundation::{CloseHandle, HWND, RECT};
use windows_sys::Win32::System::Threading::{
    OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION, QueryFullProcessImageNameW,
};
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    INPUT, INPUT_0, INPUT_KEYBOARD, KEYBDINPUT, KEYEVENTF_KEYUP, SendInput, VK_CONTROL, VK_RETURN,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    GetClassNameW, GetForegroundWindow, GetWindowRect, GetWindowTextW, GetWindowThreadProcessId,
    IsIconic, IsWindow, SetForegroundWindow,
};

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use windows_sys::Win32::UI::Accessibility::{HWINEVENTHOOK, SetWinEventHook, UnhookWinEvent};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CHILDID_SELF, DispatchMessageW, EVENT_OBJECT_LOCATIONCHANGE, EVENT_SYSTEM_FOREGROUND,
    EVENT_SYSTEM_MINIMIZEEND, EVENT_SYSTEM_MINIMIZESTART, MSG, MsgWaitForMultipleObjects,
    OBJID_WINDOW, PM_REMOVE, PeekMessageW, QS_ALLINPUT, TranslateMessage, WINEVENT_OUTOFCONTEXT,
    WINEVENT_SKIPOWNPROCESS,
};

use crate::{ChangeWait, Desktop, Error, Result, WindowInfo};

/// Set by the hook callback, taken by [`WinEventWait::wait`].
static CHANGED: AtomicBool = AtomicBool::new(false);

unsafe extern "system" fn on_event(
    _hook: HWINEVENTHOOK,
    _event: u32,
    hwnd: HWND,
    id_object: i32,
    id_child: i32,
    _thread: u32,
    _time: u32,
) {
    // Location changes also come for carets, cursors and controls: only whole windows.
    if !hwnd.is_null() && id_object == OBJID_WINDOW && id_child == CHILDID_SELF as i32 {
        CHANGED.store(true, Ordering::Relaxed);
    }
}

/// WinEvent hooks of the thread that installed them (out-of-context hooks deliver
/// through that thread's message queue, which [`ChangeWait::wait`] pumps).
///
/// Not every Windows raises every event: Wine 8 raises none of the foreground,
/// location or minimise events (only `EVENT_OBJECT_CREATE`; seen in our Wine leg), and a
/// hook can miss events of some windows. So the waiter also looks at the foreground
/// window every [`LOOK_EVERY`] (three local user32 calls, no round trip) and wakes when
/// it, its frame or its minimised state changed: docking never lags by more than that,
/// and where the hooks work they wake it at once.
pub struct WinEventWait {
    hooks: Vec<HWINEVENTHOOK>,
    last: Option<Look>,
}

/// How often the waiter looks at the foreground window itself.
pub const LOOK_EVERY: Duration = Duration::from_millis(50);

/// The foreground window as the waiter last saw it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Look {
    hwnd: usize,
    rect: (i32, i32, i32, i32),
    minimized: bool,
}

fn look() -> Look {
    // SAFETY: no arguments / a RECT we own; a stale handle only makes the calls fail.
    unsafe {
        let h = GetForegroundWindow();
        let mut r = RECT {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        };
        if !h.is_null() {
            GetWindowRect(h, &mut r);
        }
        Look {
            hwnd: h as usize,
            rect: (r.left, r.top, r.right, r.bottom),
            minimized: !h.is_null() && IsIconic(h) != 0,
        }
    }
}

impl WinEventWait {
    /// `None` when Windows refuses every hook (the caller polls instead).
    pub fn install() -> Option<Self> {
        let ranges = [
            (EVENT_SYSTEM_FOREGROUND, EVENT_SYSTEM_FOREGROUND),
            (EVENT_SYSTEM_MINIMIZESTART, EVENT_SYSTEM_MINIMIZEEND),
            (EVENT_OBJECT_LOCATIONCHANGE, EVENT_OBJECT_LOCATIONCHANGE),
        ];
        let hooks: Vec<HWINEVENTHOOK> = ranges
            .iter()
            .map(|&(min, max)| {
                // SAFETY: a plain callback with the WINEVENTPROC signature, no module
                // (out of context), all processes and threads but our own.
                unsafe {
                    SetWinEventHook(
                        min,
                        max,
                        std::ptr::null_mut(),
                        Some(on_event),
                        0,
                        0,
                        WINEVENT_OUTOFCONTEXT | WINEVENT_SKIPOWNPROCESS,
                    )
                }
            })
            .filter(|h| !h.is_null())
            .collect();
        (!hooks.is_empty()).then_some(Self {
            hooks,
            last: Some(look()),
        })
    }

    /// Whether the foreground window, its frame or its state differ from the last look.
    fn looked_changed(&mut self) -> bool {
        let now = look();
        let changed = self.last != Some(now);
        self.last = Some(now);
        changed
    }
}

impl ChangeWait for WinEventWait {
    fn wait(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            // SAFETY: MSG is plain data; the loop only dispatches this thread's messages.
            unsafe {
                let mut msg: MSG = std::mem::zeroed();
                while PeekMessageW(&mut msg, std::ptr::null_mut(), 0, 0, PM_REMOVE) != 0 {
                    TranslateMessage(&msg);
                    DispatchMessageW(&msg);
                }
            }
            if CHANGED.swap(false, Ordering::Relaxed) {
                self.last = Some(look());
                return;
            }
            if self.looked_changed() {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let ms = u32::try_from(left.min(LOOK_EVERY).as_millis()).unwrap_or(u32::MAX);
            // SAFETY: no handles; wakes on any input or posted message (the hooks').
            unsafe {
                MsgWaitForMultipleObjects(0, std::ptr::null(), 0, ms, QS_ALLINPUT);
            }
        }
    }
}

impl Drop for WinEventWait {
    fn drop(&mut self) {
        for h in &self.hooks {
            // SAFETY: hooks this value installed, removed once.
            unsafe {
                UnhookWinEvent(*h);
            }
        }
    }
}

pub struct WinDesktop;

fn hwnd(id: u64) -> HWND {
    id as usize as HWND
}

fn wide(buf: &[u16], len: i32) -> String {
    String::from_utf16_lossy(&buf[..usize::try_from(len).unwrap_or(0).min(buf.len())])
}

fn process_name(pid: u32) -> Option<String> {
    // SAFETY: plain Win32 calls with a buffer we own; the handle is closed below.
    unsafe {
        let h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if h.is_null() {
            return None;
        }
        let mut buf = [0u16; 520];
        let mut len = buf.len() as u32;
        let ok = QueryFullProcessImageNameW(h, PROCESS_NAME_WIN32, buf.as_mut_ptr(), &mut len);
        CloseHandle(h);
        if ok == 0 {
            return None;
        }
        let path = wide(&buf, len as i32);
        path.rsplit('\\').next().map(str::to_string)
    }
}

fn info(h: HWND) -> Option<WindowInfo> {
    // SAFETY: `h` is checked with IsWindow; every buffer is ours and sized.
    unsafe {
        if h.is_null() || IsWindow(h) == 0 {
            return None;
        }
        let mut r = RECT {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        };
        if GetWindowRect(h, &mut r) == 0 {
            return None;
        }
        let mut class = [0u16; 256];
        let n = GetClassNameW(h, class.as_mut_ptr(), class.len() as i32);
        let mut title = [0u16; 512];
        let t = GetWindowTextW(h, title.as_mut_ptr(), title.len() as i32);
        let mut pid = 0u32;
        GetWindowThreadProcessId(h, &mut pid);
        let mut names = vec![wide(&class, n)];
        if let Some(p) = process_name(pid) {
            names.push(p);
        }
        Some(WindowInfo {
            id: h as usize as u64,
            names,
            title: wide(&title, t),
            pid: Some(pid),
            x: r.left,
            y: r.top,
            width: u32::try_from(r.right - r.left).unwrap_or(0),
            height: u32::try_from(r.bottom - r.top).unwrap_or(0),
            minimized: IsIconic(h) != 0,
        })
    }
}

fn key(vk: u16, up: bool) -> INPUT {
    INPUT {
        r#type: INPUT_KEYBOARD,
        Anonymous: INPUT_0 {
            ki: KEYBDINPUT {
                wVk: vk,
                wScan: 0,
                dwFlags: if up { KEYEVENTF_KEYUP } else { 0 },
                time: 0,
                dwExtraInfo: 0,
            },
        },
    }
}

fn send(inputs: &[INPUT]) -> Result<()> {
    // SAFETY: the slice is valid for its length; the size is that of INPUT.
    let sent = unsafe {
        SendInput(
            inputs.len() as u32,
            inputs.as_ptr(),
            std::mem::size_of::<INPUT>() as i32,
        )
    };
    if sent as usize != inputs.len() {
        return Err(Error::Win32(format!(
            "SendInput sent {sent} of {} key events",
            inputs.len()
        )));
    }
    Ok(())
}

impl Desktop for WinDesktop {
    fn active_window(&mut self) -> Option<WindowInfo> {
        // SAFETY: no arguments.
        info(unsafe { GetForegroundWindow() })
    }

    fn window(&mut self, id: u64) -> Option<WindowInfo> {
        info(hwnd(id))
    }

    fn activate(&mut self, id: u64) -> Result<()> {
        // SAFETY: an invalid handle only makes the call fail.
        if unsafe { SetForegroundWindow(hwnd(id)) } == 0 {
            return Err(Error::Win32(
                "the chat window could not be brought to the front".into(),
            ));
        }
        Ok(())
    }

    fn focus_own(&mut self, _title: &str) -> Result<bool> {
        // Windows lets the app that received the hotkey take the foreground itself.
        Ok(true)
    }

    fn paste(&mut self, press_enter: bool) -> Result<()> {
        let v = u16::from(b'V');
        send(&[
            key(VK_CONTROL, false),
            key(v, false),
            key(v, true),
            key(VK_CONTROL, true),
        ])?;
        if press_enter {
            std::thread::sleep(std::time::Duration::from_millis(120));
            send(&[key(VK_RETURN, false), key(VK_RETURN, true)])?;
        }
        Ok(())
    }
}
