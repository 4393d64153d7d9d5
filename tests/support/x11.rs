//! Stand-in chat windows and window queries on the test's X display, with x11rb.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConfigureWindowAux, ConnectionExt as _, CreateWindowAux,
    EventMask, KeyButMask, MapState, PropMode, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

x11rb::atom_manager! {
    pub Atoms: AtomsCookie {
        _NET_ACTIVE_WINDOW,
        _NET_FRAME_EXTENTS,
        _NET_WM_NAME,
        _NET_SUPPORTING_WM_CHECK,
        _NET_CLIENT_LIST,
        _NET_CLIENT_LIST_STACKING,
        _NET_CLOSE_WINDOW,
        WM_CHANGE_STATE,
        UTF8_STRING,
        CLIPBOARD,
        PASTED,
        MANAGER,
        _NET_SYSTEM_TRAY_S0,
        _NET_SYSTEM_TRAY_OPCODE,
        _XEMBED,
    }
}

pub struct Conn {
    pub conn: RustConnection,
    pub root: Window,
    pub atoms: Atoms,
}

/// A rectangle on screen: x, y, width, height.
pub type Rect = (i32, i32, u32, u32);

impl Conn {
    pub fn open(display: &str) -> Result<Conn> {
        let (conn, screen) =
            x11rb::connect(Some(display)).with_context(|| format!("cannot open {display}"))?;
        let root = conn.setup().roots[screen].root;
        let atoms = Atoms::new(&conn)?.reply()?;
        Ok(Conn { conn, root, atoms })
    }

    fn prop32(&self, win: Window, prop: u32, ty: impl Into<u32>, len: u32) -> Vec<u32> {
        self.conn
            .get_property(false, win, prop, ty, 0, len)
            .ok()
            .and_then(|c| c.reply().ok())
            .and_then(|r| r.value32().map(|v| v.collect()))
            .unwrap_or_default()
    }

    /// The keycode that produces `keysym` in the display's keyboard mapping.
    pub fn keycode(&self, keysym: u32) -> Result<u8> {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)?
            .reply()?;
        let per = usize::from(map.keysyms_per_keycode.max(1));
        map.keysyms
            .chunks(per)
            .position(|s| s.contains(&keysym))
            .and_then(|i| u8::try_from(usize::from(min) + i).ok())
            .ok_or_else(|| anyhow!("no key for {keysym:#x}"))
    }

    pub fn wm_running(&self) -> bool {
        !self
            .prop32(
                self.root,
                self.atoms._NET_SUPPORTING_WM_CHECK,
                AtomEnum::WINDOW,
                1,
            )
            .is_empty()
    }

    /// A top-level window with this class and title, mapped at (x, y).
    pub fn stand_in(&self, class: &str, title: &str, rect: Rect) -> Result<Window> {
        let win = self.conn.generate_id()?;
        let (x, y, w, h) = rect;
        self.conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            win,
            self.root,
            x as i16,
            y as i16,
            w as u16,
            h as u16,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new()
                .background_pixel(0x00dd_eedd)
                .event_mask(
                    EventMask::KEY_PRESS | EventMask::STRUCTURE_NOTIFY | EventMask::PROPERTY_CHANGE,
                ),
        )?;
        let wm_class = format!("{}\0{}\0", class.to_lowercase(), class);
        self.conn.change_property8(
            PropMode::REPLACE,
            win,
            AtomEnum::WM_CLASS,
            AtomEnum::STRING,
            wm_class.as_bytes(),
        )?;
        self.conn.change_property8(
            PropMode::REPLACE,
            win,
            self.atoms._NET_WM_NAME,
            self.atoms.UTF8_STRING,
            title.as_bytes(),
        )?;
        self.conn.change_property8(
            PropMode::REPLACE,
            win,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            title.as_bytes(),
        )?;
        self.conn.map_window(win)?;
        self.conn.sync()?;
        Ok(win)
    }

    fn client_message(&self, win: Window, ty: u32, data: [u32; 5]) -> Result<()> {
        let ev = ClientMessageEvent::new(32, win, ty, data);
        self.conn.send_event(
            false,
            self.root,
            EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY,
            ev,
        )?;
        self.conn.sync()?;
        Ok(())
    }

    /// Ask the window manager to close `win`, as its close button does.
    pub fn close(&self, win: Window) -> Result<()> {
        self.client_message(win, self.atoms._NET_CLOSE_WINDOW, [0, 2, 0, 0, 0])
    }

    pub fn activate(&self, win: Window) -> Result<()> {
        self.client_message(win, self.atoms._NET_ACTIVE_WINDOW, [2, 0, 0, 0, 0])
    }

    pub fn move_to(&self, win: Window, x: i32, y: i32) -> Result<()> {
        self.conn
            .configure_window(win, &ConfigureWindowAux::new().x(x).y(y))?;
        self.conn.sync()?;
        Ok(())
    }

    /// Resize as the program itself would (a configure request the window manager
    /// honours).
    pub fn resize(&self, win: Window, width: u32, height: u32) -> Result<()> {
        self.conn
            .configure_window(win, &ConfigureWindowAux::new().width(width).height(height))?;
        self.conn.sync()?;
        Ok(())
    }

    /// Minimise (ICCCM `WM_CHANGE_STATE` to IconicState).
    pub fn iconify(&self, win: Window) -> Result<()> {
        self.client_message(win, self.atoms.WM_CHANGE_STATE, [3, 0, 0, 0, 0])
    }

    /// The outer frame of a window (decorations included), as the app computes it.
    pub fn frame(&self, win: Window) -> Result<Rect> {
        let geo = self.conn.get_geometry(win)?.reply()?;
        let pos = self
            .conn
            .translate_coordinates(win, self.root, 0, 0)?
            .reply()?;
        let ext = self.prop32(win, self.atoms._NET_FRAME_EXTENTS, AtomEnum::CARDINAL, 4);
        let [l, r, t, b] = <[u32; 4]>::try_from(ext).unwrap_or([0; 4]);
        Ok((
            i32::from(pos.dst_x) - l as i32,
            i32::from(pos.dst_y) - t as i32,
            u32::from(geo.width) + l + r,
            u32::from(geo.height) + t + b,
        ))
    }

    fn title(&self, win: Window) -> String {
        let v = self
            .conn
            .get_property(
                false,
                win,
                self.atoms._NET_WM_NAME,
                self.atoms.UTF8_STRING,
                0,
                256,
            )
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|r| r.value)
            .unwrap_or_default();
        String::from_utf8_lossy(&v).into_owned()
    }

    /// The managed (mapped) top-level window titled `title`, if any.
    pub fn find_titled(&self, title: &str) -> Option<Window> {
        self.prop32(
            self.root,
            self.atoms._NET_CLIENT_LIST,
            AtomEnum::WINDOW,
            4096,
        )
        .into_iter()
        .find(|w| self.title(*w) == title)
    }

    /// Whether the window manager stacks `upper` above `lower` (both managed windows).
    pub fn stacked_above(&self, upper: Window, lower: Window) -> bool {
        let order = self.prop32(
            self.root,
            self.atoms._NET_CLIENT_LIST_STACKING,
            AtomEnum::WINDOW,
            4096,
        );
        let at = |w| order.iter().position(|o| *o == w);
        matches!((at(upper), at(lower)), (Some(u), Some(l)) if u > l)
    }

    /// Hold Ctrl+Alt+`keysym` as another program would (a passive grab on the root).
    pub fn grab_ctrl_alt(&self, keysym: u32) -> Result<()> {
        let code = self.keycode(keysym)?;
        self.conn
            .grab_key(
                true,
                self.root,
                x11rb::protocol::xproto::ModMask::CONTROL | x11rb::protocol::xproto::ModMask::M1,
                code,
                x11rb::protocol::xproto::GrabMode::ASYNC,
                x11rb::protocol::xproto::GrabMode::ASYNC,
            )?
            .check()?;
        Ok(())
    }

    pub fn is_viewable(&self, win: Window) -> bool {
        self.conn
            .get_window_attributes(win)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE)
    }

    /// The mapped override-redirect windows on the root (menus, tooltips, the tray).
    pub fn popups(&self) -> Vec<Window> {
        let Some(tree) = self
            .conn
            .query_tree(self.root)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return Vec::new();
        };
        tree.children
            .into_iter()
            .filter(|w| {
                self.conn
                    .get_window_attributes(*w)
                    .ok()
                    .and_then(|c| c.reply().ok())
                    .is_some_and(|a| a.override_redirect && a.map_state == MapState::VIEWABLE)
            })
            .collect()
    }

    /// Whether the keyboard focus (X's word, not the window manager's) is in `win`:
    /// on it or on one of its descendants.
    pub fn has_focus(&self, win: Window) -> bool {
        let mut w = self
            .conn
            .get_input_focus()
            .ok()
            .and_then(|c| c.reply().ok())
            .map_or(0, |f| f.focus);
        // 0 is None, 1 PointerRoot.
        while w > 1 && w != self.root {
            if w == win {
                return true;
            }
            w = match self.conn.query_tree(w).ok().and_then(|c| c.reply().ok()) {
                Some(t) => t.parent,
                None => return false,
            };
        }
        false
    }

    /// The window that has the focus per EWMH.
    pub fn active(&self) -> Option<Window> {
        self.prop32(
            self.root,
            self.atoms._NET_ACTIVE_WINDOW,
            AtomEnum::WINDOW,
            1,
        )
        .first()
        .copied()
    }
}

/// A stand-in chat input: a window that, on Ctrl+V, asks for the clipboard as UTF-8
/// text like a real text field and records what it got.
pub struct PasteTarget {
    pub window: Window,
    /// What each Ctrl+V brought (text), and `⏎` for every Enter pressed, in order.
    pub received: Arc<Mutex<Vec<String>>>,
}

impl PasteTarget {
    pub fn start(display: &str, class: &str, title: &str, rect: Rect) -> Result<PasteTarget> {
        let c = Conn::open(display)?;
        let window = c.stand_in(class, title, rect)?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let out = received.clone();
        std::thread::spawn(move || {
            let _ = listen(&c, window, &out);
        });
        Ok(PasteTarget { window, received })
    }

    pub fn pastes(&self) -> Vec<String> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

fn listen(c: &Conn, window: Window, out: &Mutex<Vec<String>>) -> Result<()> {
    let v = c.keycode(0x76)?;
    let ret = c.keycode(0xff0d)?;
    loop {
        match c.conn.wait_for_event()? {
            Event::KeyPress(k) if k.detail == ret => {
                if let Ok(mut o) = out.lock() {
                    o.push("⏎".into());
                }
            }
            Event::KeyPress(k) if k.detail == v && k.state.contains(KeyButMask::CONTROL) => {
                c.conn.convert_selection(
                    window,
                    c.atoms.CLIPBOARD,
                    c.atoms.UTF8_STRING,
                    c.atoms.PASTED,
                    k.time,
                )?;
                c.conn.flush()?;
            }
            Event::SelectionNotify(s) if s.property != u32::from(AtomEnum::NONE) => {
                let r = c
                    .conn
                    .get_property(true, window, c.atoms.PASTED, AtomEnum::ANY, 0, 1 << 20)?
                    .reply()?;
                if let Ok(mut o) = out.lock() {
                    o.push(String::from_utf8_lossy(&r.value).into_owned());
                }
            }
            _ => {}
        }
    }
}

/// A stand-in system tray (the manager side of the system tray spec and XEmbed): owns
/// `_NET_SYSTEM_TRAY_S0`, records the icon windows that ask to be docked and embeds
/// each one in a visible [`Tray::ICON`] box on the root (reparent, resize, map, then
/// `XEMBED_EMBEDDED_NOTIFY`, as a GtkSocket does), so that the icon can be clicked.
pub struct Tray {
    pub docked: Arc<Mutex<Vec<Window>>>,
    /// The box the icons are embedded in.
    pub container: Window,
}

impl Tray {
    /// The icon box on the root: x, y, width, height.
    pub const ICON: Rect = (1200, 8, 32, 32);

    pub fn start(display: &str) -> Result<Tray> {
        let c = Conn::open(display)?;
        let owner = c.conn.generate_id()?;
        c.conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            owner,
            c.root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new(),
        )?;
        // Override-redirect like a panel applet: openbox leaves it where it is.
        let container = c.conn.generate_id()?;
        let (x, y, w, h) = Tray::ICON;
        c.conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            container,
            c.root,
            x as i16,
            y as i16,
            w as u16,
            h as u16,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new()
                .override_redirect(1)
                .background_pixel(0x0033_3333),
        )?;
        c.conn
            .set_selection_owner(owner, c.atoms._NET_SYSTEM_TRAY_S0, x11rb::CURRENT_TIME)?;
        // Tell waiting clients that a tray manager is here.
        let ev = ClientMessageEvent::new(
            32,
            c.root,
            c.atoms.MANAGER,
            [0, c.atoms._NET_SYSTEM_TRAY_S0, owner, 0, 0],
        );
        c.conn
            .send_event(false, c.root, EventMask::STRUCTURE_NOTIFY, ev)?;
        c.conn.sync()?;
        let docked = Arc::new(Mutex::new(Vec::new()));
        let out = docked.clone();
        std::thread::spawn(move || {
            while let Ok(ev) = c.conn.wait_for_event() {
                if let Event::ClientMessage(m) = ev
                    && m.type_ == c.atoms._NET_SYSTEM_TRAY_OPCODE
                {
                    let d = m.data.as_data32();
                    // opcode 0: SYSTEM_TRAY_REQUEST_DOCK, data[2] the icon window
                    if d[1] == 0
                        && let Ok(mut o) = out.lock()
                        && !o.contains(&d[2])
                    {
                        o.push(d[2]);
                        let _ = embed(&c, container, d[2]);
                    }
                }
            }
        });
        Ok(Tray { docked, container })
    }

    pub fn icons(&self) -> Vec<Window> {
        self.docked.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// A point on the docked icon, on the root: the icon sits at the box's top left and
    /// GTK may shrink it to 16×16 after it is given the box's size.
    pub fn icon_point() -> (i32, i32) {
        let (x, y, _, _) = Tray::ICON;
        (x + 8, y + 8)
    }
}

/// Embed `icon` in `container` as an XEmbed embedder: reparent it to (0, 0), give it
/// the box's size, map both and send `XEMBED_EMBEDDED_NOTIFY` (message 0, with the
/// embedder window and protocol version 0).
fn embed(c: &Conn, container: Window, icon: Window) -> Result<()> {
    let (_, _, w, h) = Tray::ICON;
    c.conn.reparent_window(icon, container, 0, 0)?;
    c.conn.configure_window(
        icon,
        &ConfigureWindowAux::new()
            .width(w)
            .height(h)
            .stack_mode(x11rb::protocol::xproto::StackMode::ABOVE),
    )?;
    c.conn.map_window(container)?;
    c.conn.map_window(icon)?;
    let notify = ClientMessageEvent::new(
        32,
        icon,
        c.atoms._XEMBED,
        [x11rb::CURRENT_TIME, 0, 0, container, 0],
    );
    c.conn
        .send_event(false, icon, EventMask::NO_EVENT, notify)?;
    c.conn.sync()?;
    Ok(())
}

x11rb::atom_manager! {
    /// The atoms of the XDND protocol.
    pub XdndAtoms: XdndAtomsCookie {
        XdndAware,
        XdndEnter,
        XdndPosition,
        XdndStatus,
        XdndDrop,
        XdndFinished,
        XdndSelection,
        XdndActionCopy,
        TARGETS,
        URI_LIST: b"text/uri-list",
    }
}

/// Drop files onto the window `target` at the root position `at`, as a file manager does:
/// the source side of XDND version 5 offering `text/uri-list`, answering the target's
/// requests for the data until it says the drop is finished.
pub fn drop_files(display: &str, target: Window, at: (i16, i16), files: &[&Path]) -> Result<()> {
    let c = Conn::open(display)?;
    let a = XdndAtoms::new(&c.conn)?.reply()?;
    let aware = c
        .conn
        .get_property(false, target, a.XdndAware, AtomEnum::ATOM, 0, 1)?
        .reply()?;
    if aware.value32().and_then(|mut v| v.next()).is_none() {
        return Err(anyhow!(
            "window {target:#x} does not accept drops (no XdndAware)"
        ));
    }
    let source = c.conn.generate_id()?;
    c.conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        source,
        c.root,
        0,
        0,
        1,
        1,
        0,
        WindowClass::INPUT_OUTPUT,
        x11rb::COPY_FROM_PARENT,
        &CreateWindowAux::new(),
    )?;
    c.conn
        .set_selection_owner(source, a.XdndSelection, x11rb::CURRENT_TIME)?;
    let uris: String = files
        .iter()
        .map(|p| format!("file://{}\r\n", uri_path(p)))
        .collect();
    let send = |kind: u32, data: [u32; 5]| -> Result<()> {
        let ev = ClientMessageEvent::new(32, target, kind, data);
        c.conn.send_event(false, target, EventMask::NO_EVENT, ev)?;
        c.conn.flush()?;
        Ok(())
    };
    // The pointer moves in over a few steps, as a hand would; each position waits for the
    // target's status. The drop follows the last position once it is accepted.
    let steps: Vec<u32> = (0..=4)
        .map(|i| {
            let x = at.0 as i32 - 40 + 10 * i;
            let y = at.1 as i32 - 20 + 5 * i;
            ((x as u16 as u32) << 16) | y as u16 as u32
        })
        .collect();
    send(a.XdndEnter, [source, 5 << 24, a.URI_LIST, 0, 0])?;
    let mut next = 0;
    send(
        a.XdndPosition,
        [source, 0, steps[0], x11rb::CURRENT_TIME, a.XdndActionCopy],
    )?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (mut accepted, mut dropped) = (false, false);
    loop {
        if std::time::Instant::now() > deadline {
            return Err(anyhow!(
                "the drop did not finish (accepted: {accepted}, dropped: {dropped})"
            ));
        }
        let Some(ev) = c.conn.poll_for_event()? else {
            std::thread::sleep(std::time::Duration::from_millis(10));
            continue;
        };
        match ev {
            Event::ClientMessage(m) if m.type_ == a.XdndStatus && !dropped => {
                accepted = m.data.as_data32()[1] & 1 == 1;
                if next + 1 < steps.len() {
                    next += 1;
                    send(
                        a.XdndPosition,
                        [
                            source,
                            0,
                            steps[next],
                            x11rb::CURRENT_TIME,
                            a.XdndActionCopy,
                        ],
                    )?;
                } else if accepted {
                    dropped = true;
                    send(a.XdndDrop, [source, 0, x11rb::CURRENT_TIME, 0, 0])?;
                }
            }
            Event::ClientMessage(m) if m.type_ == a.XdndFinished => return Ok(()),
            Event::SelectionRequest(r) => {
                let property = if r.target == a.URI_LIST {
                    c.conn.change_property8(
                        PropMode::REPLACE,
                        r.requestor,
                        r.property,
                        a.URI_LIST,
                        uris.as_bytes(),
                    )?;
                    r.property
                } else if r.target == a.TARGETS {
                    c.conn.change_property32(
                        PropMode::REPLACE,
                        r.requestor,
                        r.property,
                        AtomEnum::ATOM,
                        &[a.TARGETS, a.URI_LIST],
                    )?;
                    r.property
                } else {
                    x11rb::NONE
                };
                let notify = x11rb::protocol::xproto::SelectionNotifyEvent {
                    response_type: x11rb::protocol::xproto::SELECTION_NOTIFY_EVENT,
                    sequence: 0,
                    time: r.time,
                    requestor: r.requestor,
                    selection: r.selection,
                    target: r.target,
                    property,
                };
                c.conn
                    .send_event(false, r.requestor, EventMask::NO_EVENT, notify)?;
                c.conn.flush()?;
            }
            _ => {}
        }
    }
}

/// A path as a `file://` URI writes it: bytes other than unreserved ones and `/`
/// percent-encoded (a file manager sends `细节%20图.png`, never a raw space).
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
