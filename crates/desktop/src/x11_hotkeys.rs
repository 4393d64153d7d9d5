//! Global hotkeys on X11 without polling: passive key grabs on the root window and a
//! thread blocked on the X connection, so a press reaches the app at once. (The
//! `global-hotkey` crate behind the Tauri plugin polls every 50 ms, which alone would
//! break the hotkey → clipboard target; the plugin still serves the other systems.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{Error, Result};
use quickreply_core::i18n::tr;
use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{ConnectionExt as _, GrabMode, ModMask, Window};
use x11rb::rust_connection::RustConnection;

/// The keysym of a key name as `settings::normalize_hotkey` writes it.
fn keysym(key: &str) -> Option<u32> {
    Some(match key {
        "Space" => 0x20,
        "Enter" => 0xff0d,
        "Tab" => 0xff09,
        "Escape" | "Esc" => 0xff1b,
        "Backspace" => 0xff08,
        "Up" => 0xff52,
        "Down" => 0xff54,
        "Left" => 0xff51,
        "Right" => 0xff53,
        "Home" => 0xff50,
        "End" => 0xff57,
        "Pageup" => 0xff55,
        "Pagedown" => 0xff56,
        "Insert" => 0xff63,
        "Delete" => 0xffff,
        k if k.len() == 1 => {
            let c = k.chars().next()?.to_ascii_lowercase();
            c.is_ascii_alphanumeric().then_some(u32::from(c))?
        }
        k if k.starts_with('F') => 0xffbe + k[1..].parse::<u32>().ok()?.checked_sub(1)?,
        _ => return None,
    })
}

/// Modifiers and keysym of `Ctrl+Alt+Space`.
fn parse(hotkey: &str) -> Option<(ModMask, u32)> {
    let mut mods = ModMask::default();
    let mut sym = None;
    for part in hotkey.split('+') {
        match part {
            "Ctrl" => mods |= ModMask::CONTROL,
            "Alt" => mods |= ModMask::M1,
            "Shift" => mods |= ModMask::SHIFT,
            "Super" => mods |= ModMask::M4,
            k => sym = Some(keysym(k)?),
        }
    }
    Some((mods, sym?))
}

/// The modifiers that matter (Caps Lock and Num Lock do not).
fn relevant(state: u16) -> u16 {
    state & u16::from(ModMask::CONTROL | ModMask::M1 | ModMask::SHIFT | ModMask::M4)
}

pub struct X11Hotkeys {
    conn: Arc<RustConnection>,
    root: Window,
    /// (keycode, modifiers) → hotkey as written in the settings.
    grabbed: Arc<Mutex<HashMap<(u8, u16), String>>>,
}

impl X11Hotkeys {
    /// Connect and start the listening thread; `on_press` gets the hotkey's name.
    pub fn start(on_press: impl Fn(&str) + Send + 'static) -> Result<X11Hotkeys> {
        let (conn, screen) = x11rb::connect(None)?;
        let root = conn.setup().roots[screen].root;
        let conn = Arc::new(conn);
        let grabbed: Arc<Mutex<HashMap<(u8, u16), String>>> = Arc::default();
        let (c, g) = (conn.clone(), grabbed.clone());
        std::thread::Builder::new()
            .name("x11-hotkeys".into())
            .spawn(move || {
                while let Ok(ev) = c.wait_for_event() {
                    if let Event::KeyPress(k) = ev {
                        let name = g
                            .lock()
                            .ok()
                            .and_then(|m| m.get(&(k.detail, relevant(k.state.into()))).cloned());
                        if let Some(name) = name {
                            on_press(&name);
                        }
                    }
                }
            })?;
        Ok(X11Hotkeys {
            conn,
            root,
            grabbed,
        })
    }

    /// Replace every grab with `hotkeys`. A hotkey that another program holds is an error
    /// naming it; the ones before it stay grabbed.
    pub fn register(&self, hotkeys: &[&str]) -> Result<()> {
        let mut grabbed = self
            .grabbed
            .lock()
            .map_err(|_| Error::X11("hotkey lock poisoned".into()))?;
        for (code, mods) in grabbed.keys() {
            for extra in [
                0u16,
                ModMask::LOCK.into(),
                ModMask::M2.into(),
                u16::from(ModMask::LOCK | ModMask::M2),
            ] {
                let _ = self
                    .conn
                    .ungrab_key(*code, self.root, ModMask::from(mods | extra));
            }
        }
        grabbed.clear();
        for name in hotkeys {
            let (mods, sym) = parse(name).ok_or_else(|| {
                Error::Refused(tr(
                    format!("快捷键 {name} 无法在 X11 上注册"),
                    format!("hotkey {name} cannot be registered on X11"),
                ))
            })?;
            let code = crate::x11::keycode(self.conn.as_ref(), sym)?;
            for extra in [
                ModMask::default(),
                ModMask::LOCK,
                ModMask::M2,
                ModMask::LOCK | ModMask::M2,
            ] {
                let res = self
                    .conn
                    .grab_key(
                        true,
                        self.root,
                        mods | extra,
                        code,
                        GrabMode::ASYNC,
                        GrabMode::ASYNC,
                    )?
                    .check();
                match res {
                    Ok(()) => {}
                    Err(ReplyError::X11Error(_)) => {
                        return Err(Error::Refused(tr(
                            format!("快捷键 {name} 已被其他程序占用，请换一个"),
                            format!("hotkey {name} is taken by another program; choose another"),
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            grabbed.insert((code, u16::from(mods)), (*name).to_string());
        }
        self.conn.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotkey_names_map_to_modifiers_and_keysyms() {
        assert_eq!(
            parse("Ctrl+Alt+Space"),
            Some((ModMask::CONTROL | ModMask::M1, 0x20))
        );
        assert_eq!(
            parse("Ctrl+Alt+1"),
            Some((ModMask::CONTROL | ModMask::M1, 0x31))
        );
        assert_eq!(parse("Super+Q"), Some((ModMask::M4, u32::from(b'q'))));
        assert_eq!(parse("Shift+F12"), Some((ModMask::SHIFT, 0xffc9)));
        assert_eq!(parse("Ctrl+Pagedown"), Some((ModMask::CONTROL, 0xff56)));
        assert_eq!(parse("Ctrl+€"), None);
        // Caps Lock and Num Lock do not change which hotkey was pressed.
        let with_locks = u16::from(ModMask::CONTROL | ModMask::LOCK | ModMask::M2);
        assert_eq!(relevant(with_locks), u16::from(ModMask::CONTROL));
    }
}
