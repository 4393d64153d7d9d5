//! Global hotkeys on Windows without polling, the twin of `x11_hotkeys`: `RegisterHotKey`
//! on a thread of our own whose message loop receives `WM_HOTKEY` the moment Windows
//! posts it. Hotkeys belong to the thread that registered them, so [`WinHotkeys::register`]
//! hands the new list to that thread (a posted message) and waits for its answer.
//! The desktop app uses it on Windows instead of the global-shortcut plugin, and the Wine
//! leg drives it with real key presses (`examples/fire_harness.rs`, `tests/windows.rs`).
#![allow(unsafe_code)]

use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use quickreply_core::i18n::tr;
use windows_sys::Win32::System::Threading::GetCurrentThreadId;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    HOT_KEY_MODIFIERS, MOD_ALT, MOD_CONTROL, MOD_NOREPEAT, MOD_SHIFT, MOD_WIN, RegisterHotKey,
    UnregisterHotKey,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    GetMessageW, MSG, PM_NOREMOVE, PeekMessageW, PostThreadMessageW, WM_APP, WM_HOTKEY, WM_USER,
};

use crate::{Error, Result};

/// Asks the hotkey thread to take the pending list.
const WM_REGISTER: u32 = WM_APP + 0x51;

/// The virtual-key code of a key name as `settings::normalize_hotkey` writes it.
fn vk(key: &str) -> Option<u32> {
    Some(match key {
        "Space" => 0x20,
        "Enter" => 0x0d,
        "Tab" => 0x09,
        "Escape" | "Esc" => 0x1b,
        "Backspace" => 0x08,
        "Up" => 0x26,
        "Down" => 0x28,
        "Left" => 0x25,
        "Right" => 0x27,
        "Home" => 0x24,
        "End" => 0x23,
        "Pageup" => 0x21,
        "Pagedown" => 0x22,
        "Insert" => 0x2d,
        "Delete" => 0x2e,
        k if k.len() == 1 => {
            let c = k.chars().next()?.to_ascii_uppercase();
            // VK_0..VK_9 and VK_A..VK_Z are the ASCII codes of '0'..'9' and 'A'..'Z'.
            c.is_ascii_alphanumeric().then_some(u32::from(c))?
        }
        k if k.starts_with('F') => {
            let n = k[1..].parse::<u32>().ok()?;
            (1..=24).contains(&n).then_some(0x70 + n - 1)?
        }
        _ => return None,
    })
}

/// Modifiers and virtual key of `Ctrl+Alt+Space`.
fn parse(hotkey: &str) -> Option<(HOT_KEY_MODIFIERS, u32)> {
    let mut mods = 0;
    let mut key = None;
    for part in hotkey.split('+') {
        match part {
            "Ctrl" => mods |= MOD_CONTROL,
            "Alt" => mods |= MOD_ALT,
            "Shift" => mods |= MOD_SHIFT,
            "Super" => mods |= MOD_WIN,
            k => key = Some(vk(k)?),
        }
    }
    Some((mods, key?))
}

struct Request {
    hotkeys: Vec<String>,
    reply: Sender<Result<()>>,
}

/// The hotkey thread; hotkeys stay registered while the app runs.
pub struct WinHotkeys {
    thread: u32,
    /// Lists for the thread to take, in order; each waits for its own answer.
    requests: Sender<Request>,
}

impl WinHotkeys {
    /// Start the hotkey thread; `on_press` gets the hotkey's name as in the settings.
    pub fn start(on_press: impl Fn(&str) + Send + 'static) -> Result<WinHotkeys> {
        let (requests, taken) = channel::<Request>();
        let (ready, id) = channel();
        std::thread::Builder::new()
            .name("win-hotkeys".into())
            .spawn(move || {
                // SAFETY: MSG is plain data; the loop only reads this thread's queue.
                unsafe {
                    let mut msg: MSG = std::mem::zeroed();
                    // Make the thread's message queue before anyone posts to it.
                    PeekMessageW(
                        &mut msg,
                        std::ptr::null_mut(),
                        WM_USER,
                        WM_USER,
                        PM_NOREMOVE,
                    );
                    let _ = ready.send(GetCurrentThreadId());
                    let mut names: Vec<String> = Vec::new();
                    while GetMessageW(&mut msg, std::ptr::null_mut(), 0, 0) > 0 {
                        match msg.message {
                            WM_HOTKEY => {
                                if let Some(n) =
                                    msg.wParam.checked_sub(1).and_then(|i| names.get(i))
                                {
                                    on_press(n);
                                }
                            }
                            WM_REGISTER => {
                                for req in taken.try_iter() {
                                    let _ = req.reply.send(replace(&mut names, &req.hotkeys));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            })?;
        let thread = id
            .recv_timeout(Duration::from_secs(5))
            .map_err(|_| Error::Win32("the hotkey thread did not start".into()))?;
        Ok(WinHotkeys { thread, requests })
    }

    /// Replace every hotkey with `hotkeys`. A hotkey that another program holds is an
    /// error naming it; the ones before it stay registered.
    pub fn register(&self, hotkeys: &[&str]) -> Result<()> {
        let (reply, answer) = channel();
        self.requests
            .send(Request {
                hotkeys: hotkeys.iter().map(|s| (*s).to_string()).collect(),
                reply,
            })
            .map_err(|_| Error::Win32("the hotkey thread is gone".into()))?;
        // SAFETY: posting a message without pointers to a thread id.
        if unsafe { PostThreadMessageW(self.thread, WM_REGISTER, 0, 0) } == 0 {
            return Err(Error::Win32("the hotkey thread is gone".into()));
        }
        answer
            .recv_timeout(Duration::from_secs(5))
            .map_err(|_| Error::Win32("the hotkey thread did not answer".into()))?
    }
}

/// On the hotkey thread: drop the old hotkeys, register the new ones (ids 1, 2, …).
fn replace(names: &mut Vec<String>, wanted: &[String]) -> Result<()> {
    for id in 1..=names.len() {
        // SAFETY: ids this thread registered; an unknown id only fails.
        unsafe {
            UnregisterHotKey(std::ptr::null_mut(), i32::try_from(id).unwrap_or(i32::MAX));
        }
    }
    names.clear();
    for name in wanted {
        let (mods, key) = parse(name).ok_or_else(|| {
            Error::Refused(tr(
                format!("快捷键 {name} 无法在 Windows 上注册"),
                format!("hotkey {name} cannot be registered on Windows"),
            ))
        })?;
        let id = i32::try_from(names.len() + 1).unwrap_or(i32::MAX);
        // SAFETY: a thread hotkey (no window); Windows refuses one another program holds.
        if unsafe { RegisterHotKey(std::ptr::null_mut(), id, mods | MOD_NOREPEAT, key) } == 0 {
            return Err(Error::Refused(tr(
                format!("快捷键 {name} 已被其他程序占用，请换一个"),
                format!("hotkey {name} is taken by another program; choose another"),
            )));
        }
        names.push(name.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotkey_names_map_to_modifiers_and_virtual_keys() {
        assert_eq!(parse("Ctrl+Alt+Space"), Some((MOD_CONTROL | MOD_ALT, 0x20)));
        assert_eq!(parse("Ctrl+Alt+1"), Some((MOD_CONTROL | MOD_ALT, 0x31)));
        assert_eq!(parse("Super+q"), Some((MOD_WIN, 0x51)));
        assert_eq!(parse("Shift+F12"), Some((MOD_SHIFT, 0x7b)));
        assert_eq!(parse("Ctrl+Pagedown"), Some((MOD_CONTROL, 0x22)));
        assert_eq!(parse("Ctrl+€"), None);
        assert_eq!(parse("Ctrl+F25"), None);
    }

    /// The app keeps it in Tauri's state, which shares it between threads.
    #[test]
    fn can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<WinHotkeys>();
    }

    /// Two hotkeys of one thread, then the same list again: registering replaces.
    #[test]
    fn registers_replaces_and_refuses_a_taken_hotkey() {
        let a = WinHotkeys::start(|_| {}).expect("start");
        a.register(&["Ctrl+Alt+F9", "Ctrl+Alt+F10"])
            .expect("register");
        a.register(&["Ctrl+Alt+F9", "Ctrl+Alt+F10"]).expect("again");
        // Another registrant (another program, as far as Windows knows) is refused it.
        let b = WinHotkeys::start(|_| {}).expect("start");
        let e = b.register(&["Ctrl+Alt+F10"]).expect_err("taken");
        assert!(matches!(e, Error::Refused(_)), "{e}");
        a.register(&[]).expect("release");
        b.register(&["Ctrl+Alt+F10"]).expect("free now");
    }
}
