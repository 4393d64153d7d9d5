//! `quickreply_desktop::windows` against real Win32 windows: stand-in chat windows with
//! the class names, titles and process names of the real apps, each in a process of its
//! own (this test binary copied as `WeChat.exe`, `WXWork.exe`, … and started again as a
//! stand-in). Run as a Windows program under Wine by `cargo xtask test --leg 7`; on real
//! Windows too (`cargo test -p quickreply-desktop`), where the foreground-lock rules may
//! refuse `activate` to a process that did not receive the last input.
//!
//! Where the real values come from (public automation projects that find these windows):
//! - WeChat 3.x: `WeChat.exe`, class `WeChatMainWndForPC`, title 微信 — cluic/wxauto
//!   `wxauto/wxauto.py` (`ClassName='WeChatMainWndForPC'`), Hello-Mr-Crab/pywechat
//!   `src/pywechat/Uielements.py` (`'title':'微信','class_name':'WeChatMainWndForPC'`).
//! - WeChat 4.x: `Weixin.exe`, a Qt window class `Qt51514QWindowIcon`, title 微信 —
//!   Hello-Mr-Crab/pywechat `src/pyweixin/WeChatTools.py`
//!   (`FindWindow('Qt51514QWindowIcon','微信')`, `name=='Weixin.exe'`), cluic/wxauto4
//!   `wxauto4/ui/main.py` (`_win_cls_name = 'Qt51514QWindowIcon'`).
//! - WeCom: `WXWork.exe`, class `WeWorkWindow`, title 企业微信 — peter-lyr/mouse
//!   `mouse/funcs/nvim-qt.ahk` (`ahk_class WeWorkWindow`, `ahk_exe WXWork.exe`).
//! - Qianniu: `AliWorkbench.exe`; the current Qt build's 接待台 is `Qt5152QWindowIcon`
//!   titled 千牛接待台 — b8vipvip/qianniu-ai-bot `docs/QIANNIU_CHAT_AUTOMATION_PROGRESS.md`
//!   and `QnAccountFinder.cs`; older builds use `StandardFrame` with the title
//!   `<account> - 接待中心` — abc123mmc/qianniufaxiaoxi `sendmsg.py`
//!   (`FindWindow("StandardFrame", titlename)`), automation9417/qianniu.
//! - QQ: `QQ.exe`; classic QQ `TXGuiFoundation` titled QQ — hedongzhang/winSrc
//!   (`moveQQ("TXGuiFoundation", "QQ")`); QQNT is Electron, `Chrome_WidgetWin_1` —
//!   nonebot-plugin-ntqq-restart `utils.py`.
//! - DingTalk: `DingTalk.exe`, class `StandardFrame_DingTalk`, title 钉钉 —
//!   jiazengp/LDingTalk `dingtalk/utils/main_window.py`.
//! - Feishu: `Feishu.exe`, Chromium's `Chrome_WidgetWin_1`, title 飞书 (seen in public
//!   AutoHotkey scripts only; not confirmed from a project we could cite).
#![cfg(windows)]
#![allow(unsafe_code)]

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use quickreply_core::Rendered;
use quickreply_core::settings::Settings;
use quickreply_desktop::clipboard::Clipboard;
use quickreply_desktop::windows::{WinDesktop, WinEventWait};
use quickreply_desktop::{ChangeWait, Desktop, WindowInfo};
use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::SetFocus;
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DispatchMessageW, ES_AUTOVSCROLL, ES_MULTILINE, ES_WANTRETURN,
    GWLP_USERDATA, GetMessageW, GetWindowLongPtrW, MSG, MoveWindow, PostQuitMessage,
    RegisterClassExW, SW_MINIMIZE, SW_RESTORE, SWP_NOSIZE, SWP_NOZORDER, SendMessageW,
    SetForegroundWindow, SetWindowLongPtrW, SetWindowPos, ShowWindow, TranslateMessage, WM_APP,
    WM_CLOSE, WM_DESTROY, WM_GETTEXT, WM_GETTEXTLENGTH, WM_SETFOCUS, WM_SIZE, WNDCLASSEXW,
    WS_CHILD, WS_OVERLAPPEDWINDOW, WS_VISIBLE, WS_VSCROLL,
};

const WM_COME_FORWARD: u32 = WM_APP + 1;
const WM_MOVE_TO: u32 = WM_APP + 2;

/// The tests move the one foreground window of the desktop: one at a time.
static DESKTOP: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    DESKTOP.lock().unwrap_or_else(|e| e.into_inner())
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

/// A real chat app as a stand-in: process name, window class, title, and the built-in
/// profile QuickReply must choose for it.
struct App {
    exe: &'static str,
    class: &'static str,
    title: &'static str,
    profile: &'static str,
}

const APPS: &[App] = &[
    App {
        exe: "WeChat.exe",
        class: "WeChatMainWndForPC",
        title: "微信",
        profile: "微信 WeChat",
    },
    App {
        exe: "Weixin.exe",
        class: "Qt51514QWindowIcon",
        title: "微信",
        profile: "微信 WeChat",
    },
    App {
        exe: "WXWork.exe",
        class: "WeWorkWindow",
        title: "企业微信",
        profile: "企业微信 WeCom",
    },
    App {
        exe: "AliWorkbench.exe",
        class: "Qt5152QWindowIcon",
        title: "千牛接待台",
        profile: "千牛/旺旺 Qianniu",
    },
    App {
        exe: "AliWorkbench.exe",
        class: "StandardFrame",
        title: "小满家居旗舰店:阿花 - 接待中心",
        profile: "千牛/旺旺 Qianniu",
    },
    App {
        exe: "QQ.exe",
        class: "TXGuiFoundation",
        title: "QQ",
        profile: "QQ",
    },
    App {
        exe: "QQ.exe",
        class: "Chrome_WidgetWin_1",
        title: "QQ",
        profile: "QQ",
    },
    App {
        exe: "DingTalk.exe",
        class: "StandardFrame_DingTalk",
        title: "钉钉",
        profile: "钉钉 DingTalk",
    },
    App {
        exe: "Feishu.exe",
        class: "Chrome_WidgetWin_1",
        title: "飞书",
        profile: "飞书 Feishu",
    },
];

/// A stand-in chat window in a process of its own; closed on drop.
struct StandIn {
    child: Child,
    hwnd: u64,
    edit: u64,
    _dir: tempfile::TempDir,
}

impl StandIn {
    /// Start `app` at the given outer frame and wait until its window exists.
    fn start(app: &App, x: i32, y: i32, w: i32, h: i32) -> StandIn {
        let dir = tempfile::tempdir().expect("tempdir");
        let exe: PathBuf = dir.path().join(app.exe);
        std::fs::copy(std::env::current_exe().expect("own exe"), &exe).expect("copy");
        // Wine on a loaded machine now and then fails to start a just-copied program
        // ("internal error" 1359): asked again, as for the other Wine processes.
        let spawn = || {
            Command::new(&exe)
                .args(["--exact", "stand_in_window", "--ignored", "--nocapture"])
                .env(
                    "QR_STAND_IN",
                    format!("{}\t{}\t{x}\t{y}\t{w}\t{h}", app.class, app.title),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
        };
        let mut child = spawn()
            .or_else(|_| {
                std::thread::sleep(std::time::Duration::from_millis(500));
                spawn()
            })
            .or_else(|_| {
                std::thread::sleep(std::time::Duration::from_secs(2));
                spawn()
            })
            .expect("start the stand-in");
        let out = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(out).lines();
        let (hwnd, edit) = loop {
            let line = lines
                .next()
                .expect("the stand-in says its window")
                .expect("read");
            if let Some(rest) = line.strip_prefix("stand-in ") {
                let mut it = rest.split(' ').map(|v| v.parse::<u64>().expect("number"));
                break (it.next().expect("hwnd"), it.next().expect("edit"));
            }
        };
        StandIn {
            child,
            hwnd,
            edit,
            _dir: dir,
        }
    }

    /// The chat box's text, read across processes with WM_GETTEXT.
    fn text(&self) -> String {
        let h = self.edit as usize as HWND;
        // SAFETY: the buffer is ours and its length is passed; WM_GETTEXT is marshalled
        // across processes by the system.
        unsafe {
            let len = SendMessageW(h, WM_GETTEXTLENGTH, 0, 0);
            let mut buf = vec![0u16; usize::try_from(len).unwrap_or(0) + 1];
            let n = SendMessageW(h, WM_GETTEXT, buf.len(), buf.as_mut_ptr() as LPARAM);
            String::from_utf16_lossy(&buf[..usize::try_from(n).unwrap_or(0)])
        }
    }

    fn show(&self, cmd: i32) {
        show(self.hwnd, cmd);
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // SAFETY: posting to a window that may be gone is harmless.
        unsafe {
            SendMessageW(self.hwnd as usize as HWND, WM_CLOSE, 0, 0);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn show(hwnd: u64, cmd: i32) {
    // SAFETY: a window handle of another process; an invalid one makes it fail.
    unsafe {
        ShowWindow(hwnd as usize as HWND, cmd);
    }
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The desktop's foreground window once it is `id`.
fn foreground(d: &mut WinDesktop, id: u64) -> WindowInfo {
    wait_for("the stand-in in the foreground", || {
        d.active_window().filter(|w| w.id == id)
    })
}

#[test]
fn each_chat_app_is_seen_with_its_class_title_process_and_geometry_and_gets_its_profile() {
    let _one = lock();
    let mut d = WinDesktop;
    let settings = Settings::default();
    for (i, app) in APPS.iter().enumerate() {
        let off = i32::try_from(i).expect("few") * 17;
        let (x, y, w, h) = (40 + off, 30 + off, 520 + off, 400);
        let s = StandIn::start(app, x, y, w, h);
        let info = foreground(&mut d, s.hwnd);
        assert_eq!(info.names.first().map(String::as_str), Some(app.class));
        assert!(
            info.names.iter().any(|n| n == app.exe),
            "{}: process name in {:?}",
            app.exe,
            info.names
        );
        assert_eq!(info.title, app.title);
        assert_eq!(info.pid, Some(s.child.id()));
        assert_eq!(
            (info.x, info.y, info.width, info.height),
            (
                x,
                y,
                u32::try_from(w).expect("w"),
                u32::try_from(h).expect("h")
            ),
            "{}",
            app.exe
        );
        assert!(!info.minimized);
        assert!(!info.is_own());
        let profile = settings.profile_for(&info.name_refs(), &info.title);
        assert_eq!(
            profile.map(|p| p.name.as_str()),
            Some(app.profile),
            "{} {}",
            app.exe,
            app.class
        );
        // The same window by id, as the dock asks for it.
        assert_eq!(
            d.window(s.hwnd).map(|w| w.title),
            Some(app.title.to_string())
        );
    }
}

/// 多开: two instances of one chat program (two processes, two windows) are two targets:
/// each is seen with its own id, process and title, and a profile naming the account in
/// its 窗口标题 picks the team and libraries for that instance only.
#[test]
fn two_instances_of_one_chat_app_each_get_the_profile_of_their_account() {
    let _one = lock();
    let mut d = WinDesktop;
    let mut settings = Settings::default();
    let shop =
        |name: &str, title: &str, team: &str, library: &str| quickreply_core::settings::Profile {
            name: name.to_string(),
            matches: vec!["Weixin.exe".to_string()],
            libraries: vec![library.to_string()],
            titles: vec![title.to_string()],
            team: Some(team.to_string()),
            ..Default::default()
        };
    settings.profiles.insert(
        0,
        shop("小满家居", "小满家居", "https://a.example/", "家居话术"),
    );
    settings.profiles.insert(
        1,
        shop("大熊户外", "大熊户外", "https://b.example/", "户外话术"),
    );
    let first = App {
        exe: "Weixin.exe",
        class: "Qt51514QWindowIcon",
        title: "微信 - 小满家居",
        profile: "小满家居",
    };
    let second = App {
        title: "微信 - 大熊户外",
        profile: "大熊户外",
        ..first
    };
    let a = StandIn::start(&first, 40, 40, 500, 400);
    let wa = foreground(&mut d, a.hwnd);
    let b = StandIn::start(&second, 600, 40, 500, 400);
    let wb = foreground(&mut d, b.hwnd);
    assert_ne!(wa.id, wb.id);
    assert_ne!(wa.pid, wb.pid, "two processes");
    for (w, app, team) in [
        (&wa, &first, "https://a.example/"),
        (&wb, &second, "https://b.example/"),
    ] {
        let p = settings
            .profile_for(&w.name_refs(), &w.title)
            .expect("a profile");
        assert_eq!(p.name, app.profile, "{}", w.title);
        assert_eq!(p.team.as_deref(), Some(team));
    }
    // The first instance again in front: its own profile again.
    d.activate(a.hwnd).expect("activate the first instance");
    let again = foreground(&mut d, a.hwnd);
    assert_eq!(
        settings
            .profile_for(&again.name_refs(), &again.title)
            .map(|p| p.name.as_str()),
        Some("小满家居")
    );
}

#[test]
fn a_minimised_window_is_reported_and_a_closed_one_is_gone() {
    let _one = lock();
    let mut d = WinDesktop;
    let s = StandIn::start(&APPS[2], 100, 80, 480, 360);
    foreground(&mut d, s.hwnd);
    s.show(SW_MINIMIZE);
    wait_for("minimised", || {
        d.window(s.hwnd).filter(|w| w.minimized).map(|_| ())
    });
    s.show(SW_RESTORE);
    wait_for("restored", || {
        d.window(s.hwnd).filter(|w| !w.minimized).map(|_| ())
    });
    let id = s.hwnd;
    drop(s);
    wait_for("the window gone", || d.window(id).is_none().then_some(()));
}

/// Wait until the waiter has nothing left to report (earlier events drained).
fn settle(w: &mut WinEventWait) {
    for _ in 0..100 {
        let t = Instant::now();
        w.wait(Duration::from_millis(150));
        if t.elapsed() >= Duration::from_millis(140) {
            return;
        }
    }
}

/// How long the waiter took to wake after `act`, done by another thread while the
/// waiter waits; sleeping through it is a failure.
fn wakes(w: &mut WinEventWait, what: &str, act: impl FnOnce() + Send + 'static) -> Duration {
    settle(w);
    let limit = Duration::from_secs(10);
    let (tx, rx) = std::sync::mpsc::channel();
    let actor = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let _ = tx.send(Instant::now());
        act();
    });
    let began = Instant::now();
    w.wait(limit);
    let woke = Instant::now();
    actor.join().expect("actor");
    let at = rx.recv().expect("acted");
    assert!(woke - began < limit, "the waiter slept through {what}");
    assert!(woke >= at, "the waiter woke before {what}");
    let took = woke - at;
    eprintln!(
        "dock waiter woke {:.1} ms after {what}",
        took.as_secs_f64() * 1e3
    );
    took
}

/// Ask a stand-in's process to do `msg` itself (see `stand_in_proc`).
fn ask(hwnd: u64, msg: u32, wp: usize, lp: isize) {
    // SAFETY: a window handle of another process; an invalid one makes it fail.
    unsafe {
        SendMessageW(hwnd as usize as HWND, msg, wp, lp);
    }
}

#[test]
fn the_dock_waiter_wakes_on_focus_change_move_and_restore() {
    let _one = lock();
    let mut d = WinDesktop;
    let a = StandIn::start(&APPS[0], 60, 60, 500, 380);
    foreground(&mut d, a.hwnd);
    let b = StandIn::start(&APPS[3], 300, 120, 500, 380);
    foreground(&mut d, b.hwnd);
    let mut w = WinEventWait::install().expect("WinEvent hooks");

    let id = a.hwnd;
    wakes(&mut w, "a focus change", move || {
        ask(id, WM_COME_FORWARD, 0, 0)
    });
    foreground(&mut d, a.hwnd);
    wakes(&mut w, "a move", move || ask(id, WM_MOVE_TO, 90, 75));
    let moved = wait_for("the new position", || {
        d.window(a.hwnd).filter(|i| (i.x, i.y) == (90, 75))
    });
    assert_eq!(moved.width, 500);
    a.show(SW_MINIMIZE);
    wait_for("minimised", || d.window(a.hwnd).filter(|i| i.minimized));
    wakes(&mut w, "a restore", move || show(id, SW_RESTORE));
}

#[test]
fn activate_and_paste_put_the_reply_into_the_chat_box_with_and_without_enter() {
    let _one = lock();
    let mut d = WinDesktop;
    let clipboard = Clipboard::default();
    let chat = StandIn::start(&APPS[1], 80, 60, 560, 420);
    foreground(&mut d, chat.hwnd);
    // Another window in front, as QuickReply's own panel is when the agent fires.
    let other = StandIn::start(&APPS[6], 400, 200, 400, 300);
    foreground(&mut d, other.hwnd);

    let reply = "亲，现货付款后48小时内发出～";
    clipboard
        .put(&Rendered::Text(reply.into()))
        .expect("the app's clipboard code");
    d.activate(chat.hwnd).expect("activate the chat window");
    foreground(&mut d, chat.hwnd);
    d.paste(false).expect("paste");
    wait_for("the reply in the chat box", || {
        (chat.text() == reply).then_some(())
    });

    d.paste(true).expect("paste and Enter");
    let want = format!("{reply}{reply}\r\n");
    wait_for("the reply and Enter in the chat box", || {
        (chat.text() == want).then_some(())
    });
    assert_eq!(other.text(), "", "nothing went to the other window");
}

/// Not a test: the body of a stand-in process (`StandIn::start` runs this binary again
/// with `QR_STAND_IN` set). Without it, it returns at once.
#[test]
#[ignore = "the stand-in process's entry point"]
fn stand_in_window() {
    let Ok(spec) = std::env::var("QR_STAND_IN") else {
        return;
    };
    let f: Vec<&str> = spec.split('\t').collect();
    let num = |i: usize| f[i].parse::<i32>().expect("number");
    let (class, title) = (wide(f[0]), wide(f[1]));
    // SAFETY: plain window creation; the class and title buffers outlive the calls; the
    // window procedure only touches its own windows.
    unsafe {
        let module = GetModuleHandleW(std::ptr::null());
        let wc = WNDCLASSEXW {
            cbSize: u32::try_from(std::mem::size_of::<WNDCLASSEXW>()).expect("size"),
            lpfnWndProc: Some(stand_in_proc),
            hInstance: module,
            lpszClassName: class.as_ptr(),
            ..std::mem::zeroed()
        };
        assert_ne!(RegisterClassExW(&wc), 0, "RegisterClassExW");
        let hwnd = CreateWindowExW(
            0,
            class.as_ptr(),
            title.as_ptr(),
            WS_OVERLAPPEDWINDOW | WS_VISIBLE,
            num(2),
            num(3),
            num(4),
            num(5),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            module,
            std::ptr::null(),
        );
        assert!(!hwnd.is_null(), "CreateWindowExW");
        let edit_class = wide("EDIT");
        let edit = CreateWindowExW(
            0,
            edit_class.as_ptr(),
            std::ptr::null(),
            WS_CHILD
                | WS_VISIBLE
                | WS_VSCROLL
                | (ES_MULTILINE | ES_AUTOVSCROLL | ES_WANTRETURN) as u32,
            0,
            0,
            10,
            10,
            hwnd,
            std::ptr::null_mut(),
            module,
            std::ptr::null(),
        );
        assert!(!edit.is_null(), "the chat box");
        SetWindowLongPtrW(hwnd, GWLP_USERDATA, edit as isize);
        SetForegroundWindow(hwnd);
        SetFocus(edit);
        println!("stand-in {} {}", hwnd as usize, edit as usize);
        let mut msg: MSG = std::mem::zeroed();
        while GetMessageW(&mut msg, std::ptr::null_mut(), 0, 0) > 0 {
            TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
    }
}

unsafe extern "system" fn stand_in_proc(h: HWND, msg: u32, wp: WPARAM, lp: LPARAM) -> LRESULT {
    // SAFETY: `h` is the stand-in's own window; its user data holds its chat box.
    unsafe {
        let edit = GetWindowLongPtrW(h, GWLP_USERDATA) as HWND;
        match msg {
            // The chat box keeps the keyboard focus, as a chat app's input field does.
            WM_SETFOCUS if !edit.is_null() => {
                SetFocus(edit);
                0
            }
            WM_SIZE if !edit.is_null() => {
                let (w, ht) = ((lp & 0xffff) as i32, ((lp >> 16) & 0xffff) as i32);
                MoveWindow(edit, 0, 0, w, ht, 1);
                0
            }
            // Asked by the test to do what a user's click would: come to the front, or
            // be dragged to (wp, lp) — from the stand-in's own process, like a user's
            // action in another app (the hooks skip the app's own process).
            WM_COME_FORWARD => {
                SetForegroundWindow(h);
                0
            }
            WM_MOVE_TO => {
                SetWindowPos(
                    h,
                    std::ptr::null_mut(),
                    wp as i32,
                    lp as i32,
                    0,
                    0,
                    SWP_NOSIZE | SWP_NOZORDER,
                );
                0
            }
            WM_DESTROY => {
                PostQuitMessage(0);
                0
            }
            _ => DefWindowProcW(h, msg, wp, lp),
        }
    }
}
