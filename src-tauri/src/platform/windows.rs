//! Windows: the foreground window through user32, the process name through
//! `QueryFullProcessImageNameW`, and the paste through `SendInput`. Compiled by the
//! Windows check leg, not run in CI. The dock thread polls like on X11 (WinEvent hooks
//! would save the polling; see ARCHITECTURE.md).
#![allow(unsafe_code)]

use anyhow::{Result, bail};
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

use super::{Desktop, WindowInfo};

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
        bail!("SendInput sent {sent} of {} key events", inputs.len());
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
            bail!("the chat window could not be brought to the front");
        }
        Ok(())
    }

    fn focus_own(&mut self) -> Result<bool> {
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
