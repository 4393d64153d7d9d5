//! X11: EWMH (`_NET_ACTIVE_WINDOW`, `_NET_FRAME_EXTENTS`, `_NET_WM_STATE`), `WM_CLASS`,
//! and XTEST for the simulated paste.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, MapState, Window,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use crate::{Desktop, Error, Result, WindowInfo};

x11rb::atom_manager! {
    Atoms: AtomsCookie {
        _NET_ACTIVE_WINDOW,
        _NET_CLIENT_LIST,
        _NET_WM_PID,
        _NET_FRAME_EXTENTS,
        _NET_WM_STATE,
        _NET_WM_STATE_HIDDEN,
        _NET_WM_NAME,
        UTF8_STRING,
        WM_STATE,
    }
}

const XK_CONTROL_L: u32 = 0xffe3;
const XK_V: u32 = 0x0076;
const XK_RETURN: u32 = 0xff0d;

/// The keycode that produces `keysym` in the current keyboard mapping.
pub(super) fn keycode(conn: &impl Connection, keysym: u32) -> Result<u8> {
    let setup = conn.setup();
    let (min, max) = (setup.min_keycode, setup.max_keycode);
    let map = conn.get_keyboard_mapping(min, max - min + 1)?.reply()?;
    let per = usize::from(map.keysyms_per_keycode.max(1));
    map.keysyms
        .chunks(per)
        .position(|syms| syms.contains(&keysym))
        .and_then(|i| u8::try_from(usize::from(min) + i).ok())
        .ok_or_else(|| Error::X11(format!("no key produces keysym {keysym:#x}")))
}

pub struct X11Desktop {
    conn: RustConnection,
    root: Window,
    atoms: Atoms,
}

impl X11Desktop {
    pub fn connect() -> Result<X11Desktop> {
        let (conn, screen) = x11rb::connect(None)
            .map_err(|e| Error::X11(format!("cannot connect to the X server: {e}")))?;
        let root = conn.setup().roots[screen].root;
        let atoms = Atoms::new(&conn)?.reply()?;
        Ok(X11Desktop { conn, root, atoms })
    }

    fn card32s(&self, win: Window, prop: u32, ty: impl Into<u32>, len: u32) -> Vec<u32> {
        self.conn
            .get_property(false, win, prop, ty, 0, len)
            .ok()
            .and_then(|c| c.reply().ok())
            .and_then(|r| r.value32().map(|v| v.collect()))
            .unwrap_or_default()
    }

    fn string(&self, win: Window, prop: u32, ty: impl Into<u32>) -> Vec<u8> {
        self.conn
            .get_property(false, win, prop, ty, 0, 1024)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|r| r.value)
            .unwrap_or_default()
    }

    /// Whether the keyboard focus is in `win` (on it or one of its descendants).
    fn has_focus(&self, win: Window) -> bool {
        let Some(mut w) = self
            .conn
            .get_input_focus()
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|f| f.focus)
        else {
            return false;
        };
        // 0 is None, 1 PointerRoot.
        while w > 1 && w != self.root {
            if w == win {
                return true;
            }
            match self.conn.query_tree(w).ok().and_then(|c| c.reply().ok()) {
                Some(t) => w = t.parent,
                None => return false,
            }
        }
        false
    }

    fn info(&self, win: Window) -> Option<WindowInfo> {
        let attrs = self.conn.get_window_attributes(win).ok()?.reply().ok()?;
        let geo = self.conn.get_geometry(win).ok()?.reply().ok()?;
        let pos = self
            .conn
            .translate_coordinates(win, self.root, 0, 0)
            .ok()?
            .reply()
            .ok()?;
        let ext = self.card32s(win, self.atoms._NET_FRAME_EXTENTS, AtomEnum::CARDINAL, 4);
        let [left, right, top, bottom] = <[u32; 4]>::try_from(ext).unwrap_or([0; 4]);
        let class = self.string(win, AtomEnum::WM_CLASS.into(), AtomEnum::STRING);
        let names: Vec<String> = class
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        let mut title = self.string(win, self.atoms._NET_WM_NAME, self.atoms.UTF8_STRING);
        if title.is_empty() {
            title = self.string(win, AtomEnum::WM_NAME.into(), AtomEnum::STRING);
        }
        let pid = self
            .card32s(win, self.atoms._NET_WM_PID, AtomEnum::CARDINAL, 1)
            .first()
            .copied();
        let state = self.card32s(win, self.atoms._NET_WM_STATE, AtomEnum::ATOM, 32);
        let iconic = self
            .card32s(win, self.atoms.WM_STATE, self.atoms.WM_STATE, 2)
            .first()
            == Some(&3);
        Some(WindowInfo {
            id: u64::from(win),
            names,
            title: String::from_utf8_lossy(&title).into_owned(),
            pid,
            x: i32::from(pos.dst_x) - left as i32,
            y: i32::from(pos.dst_y) - top as i32,
            width: u32::from(geo.width) + left + right,
            height: u32::from(geo.height) + top + bottom,
            minimized: iconic
                || state.contains(&self.atoms._NET_WM_STATE_HIDDEN)
                || attrs.map_state != MapState::VIEWABLE,
        })
    }

    fn key(&self, code: u8, press: bool) -> Result<()> {
        // 2 = KeyPress, 3 = KeyRelease.
        let kind = if press { 2 } else { 3 };
        self.conn
            .xtest_fake_input(kind, code, x11rb::CURRENT_TIME, self.root, 0, 0, 0)?;
        Ok(())
    }
}

impl Desktop for X11Desktop {
    fn active_window(&mut self) -> Option<WindowInfo> {
        let id = *self
            .card32s(
                self.root,
                self.atoms._NET_ACTIVE_WINDOW,
                AtomEnum::WINDOW,
                1,
            )
            .first()?;
        if id == 0 {
            return None;
        }
        self.info(id)
    }

    fn window(&mut self, id: u64) -> Option<WindowInfo> {
        self.info(u32::try_from(id).ok()?)
    }

    fn activate(&mut self, id: u64) -> Result<()> {
        let win = u32::try_from(id).map_err(|_| Error::X11(format!("no such window {id}")))?;
        // Source indication 2: a pager / tool acting for the user, which window managers
        // obey without focus-stealing prevention.
        let ev = ClientMessageEvent::new(
            32,
            win,
            self.atoms._NET_ACTIVE_WINDOW,
            [2, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        self.conn.send_event(
            false,
            self.root,
            EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY,
            ev,
        )?;
        self.conn.sync()?;
        Ok(())
    }

    fn focus_own(&mut self, title: &str) -> Result<bool> {
        let me = std::process::id();
        let clients = self.card32s(
            self.root,
            self.atoms._NET_CLIENT_LIST,
            AtomEnum::WINDOW,
            4096,
        );
        let own = clients.into_iter().find(|w| {
            self.info(*w)
                .is_some_and(|i| i.pid == Some(me) && !i.minimized && i.title == title)
        });
        let Some(own) = own else { return Ok(false) };
        // The window manager's word is not enough: after a tray menu closes, openbox may
        // call the panel active while the keyboard focus sits on its own fallback window.
        if self.active_window().map(|a| a.id) == Some(u64::from(own)) && self.has_focus(own) {
            return Ok(true);
        }
        self.activate(u64::from(own))?;
        Ok(false)
    }

    fn paste(&mut self, press_enter: bool) -> Result<()> {
        let ctrl = keycode(&self.conn, XK_CONTROL_L)?;
        let v = keycode(&self.conn, XK_V)?;
        self.key(ctrl, true)?;
        self.key(v, true)?;
        self.key(v, false)?;
        self.key(ctrl, false)?;
        self.conn.sync()?;
        if press_enter {
            // Give the chat app a moment to insert the pasted content before sending.
            std::thread::sleep(std::time::Duration::from_millis(120));
            let ret = keycode(&self.conn, XK_RETURN)?;
            self.key(ret, true)?;
            self.key(ret, false)?;
            self.conn.sync()?;
        }
        Ok(())
    }
}
