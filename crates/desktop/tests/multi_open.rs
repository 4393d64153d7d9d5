//! 多开 against a stand-in of the real single-instance check (`examples/single_instance.rs`,
//! copied as `WeChat.exe`, `Weixin.exe` and `WXWork.exe`): it makes the real mutex
//! names with `CreateMutexW`, exits when one already exists and runs when each is new or
//! access to it is denied. Run as a Windows program under Wine by `cargo xtask test
//! --leg 7` (the desktop suite), and on real Windows by `cargo test -p
//! quickreply-desktop`.
//!
//! Proved here: without QuickReply a second start is refused; with technique B (hold the
//! mutexes refused to everyone) two, three starts run — whether QuickReply held them
//! before the first start or took over the running instance's mutex; with technique A
//! (close the mutex inside the running instance) a second start runs; `start_another`
//! starts a program by path and the instance count follows.
#![cfg(windows)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use quickreply_desktop::multi::{ChatApp, Hive, Registry, Technique};
use quickreply_desktop::multi_win::{
    Holder, WinRegistry, close_in_running, count_instances, find_install, processes,
    second_start_refused, start_another,
};

/// The mutex names are the system's, one set for every test: one test at a time.
static ONE: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A folder with the stand-in copied as `app`'s program; every stand-in started from it
/// is stopped, and waited for, on drop.
struct Install {
    app: ChatApp,
    dir: tempfile::TempDir,
    /// The running stand-ins this test started itself, waited for on drop.
    children: std::cell::RefCell<Vec<std::process::Child>>,
}

impl Install {
    fn new(app: ChatApp) -> Install {
        let own = std::env::current_exe().expect("own exe");
        let built = own
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("examples/single_instance.exe");
        assert!(
            built.exists(),
            "{} is missing: `cargo test -p quickreply-desktop` builds the examples",
            built.display()
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(&built, dir.path().join(app.exe())).expect("copy the stand-in");
        Install {
            app,
            dir,
            children: Default::default(),
        }
    }

    fn exe(&self) -> PathBuf {
        self.dir.path().join(self.app.exe())
    }

    /// What the stand-in of process `pid` said: `running` or `refused`.
    fn state_of(&self, pid: u32) -> String {
        let file = self.dir.path().join(format!("{pid}.state"));
        wait_for(
            &format!("{} ({pid}) to say what it did", self.app.exe()),
            || {
                std::fs::read_to_string(&file)
                    .ok()
                    .filter(|s| !s.is_empty())
            },
        )
    }

    /// Start the program as a user would (no QuickReply involved) and say what it did.
    fn start(&self) -> String {
        let mut child = Command::new(self.exe())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the stand-in");
        let state = self.state_of(child.id());
        if state == "refused" {
            let status = child.wait().expect("wait");
            assert_eq!(status.code(), Some(3), "a refused start exits with 3");
        } else {
            self.children.borrow_mut().push(child);
        }
        state
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.path().join("stop"), "");
        for mut c in self.children.borrow_mut().drain(..) {
            let _ = c.wait();
        }
        let exe = self.app.exe();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if processes(exe).map(|p| p.is_empty()).unwrap_or(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn without_quickreply_a_second_start_exits() {
    let _one = lock();
    for app in ChatApp::ALL {
        let install = Install::new(app);
        assert!(!second_start_refused(app), "{app:?}: nothing runs yet");
        assert_eq!(install.start(), "running", "{app:?}: the first start");
        assert!(second_start_refused(app), "{app:?}");
        assert_eq!(install.start(), "refused", "{app:?}: the second start");
        assert_eq!(count_instances(app).expect("count"), 1, "{app:?}");
    }
}

#[test]
fn technique_b_holding_the_mutexes_first_lets_every_start_run() {
    let _one = lock();
    for app in ChatApp::ALL {
        let install = Install::new(app);
        let mut holder = Holder::new();
        holder.hold(app).unwrap_or_else(|e| {
            panic!("{app:?}: technique B (hold, deny Everyone) does not work here: {e}")
        });
        assert!(holder.holds(app));
        assert!(
            !second_start_refused(app),
            "{app:?}: held refused to everyone"
        );
        for n in 1..=3 {
            assert_eq!(install.start(), "running", "{app:?}: start {n}");
        }
        assert_eq!(count_instances(app).expect("count"), 3, "{app:?}");
    }
}

#[test]
fn technique_b_taking_over_a_running_instances_mutex_lets_another_run() {
    let _one = lock();
    for app in ChatApp::ALL {
        let install = Install::new(app);
        assert_eq!(install.start(), "running", "{app:?}: the first start");
        let mut holder = Holder::new();
        holder
            .hold(app)
            .unwrap_or_else(|e| panic!("{app:?}: hold on a running instance's mutex: {e}"));
        assert_eq!(install.start(), "running", "{app:?}: the second start");
        assert_eq!(count_instances(app).expect("count"), 2, "{app:?}");
    }
}

#[test]
fn technique_a_closing_the_mutex_in_the_running_instance_lets_a_second_start_run() {
    let _one = lock();
    for app in ChatApp::ALL {
        let install = Install::new(app);
        assert_eq!(install.start(), "running", "{app:?}: the first start");
        let closed = close_in_running(app).unwrap_or_else(|e| {
            panic!("{app:?}: technique A (close the handle in the running instance): {e}")
        });
        assert_eq!(closed, app.mutexes().len(), "{app:?}: its mutexes closed");
        assert!(!second_start_refused(app), "{app:?}: the mutex is gone");
        assert_eq!(install.start(), "running", "{app:?}: the second start");
        assert_eq!(count_instances(app).expect("count"), 2, "{app:?}");
    }
}

#[test]
fn start_another_starts_the_program_by_its_path_and_the_count_follows() {
    let _one = lock();
    for app in ChatApp::ALL {
        let install = Install::new(app);
        assert_eq!(count_instances(app).expect("count"), 0);
        assert_eq!(install.start(), "running", "{app:?}: the agent's own start");
        let mut holder = Holder::new();
        for n in 2..=3 {
            let started = start_another(app, &install.exe(), &mut holder)
                .unwrap_or_else(|e| panic!("{app:?}: start another: {e}"));
            assert_eq!(started.technique, Technique::Hold, "{app:?}");
            assert_eq!(install.state_of(started.pid), "running", "{app:?}");
            assert_eq!(count_instances(app).expect("count"), n, "{app:?}");
        }
    }
}

#[test]
fn start_another_reports_a_program_that_is_not_there() {
    let _one = lock();
    let mut holder = Holder::new();
    let missing = std::env::temp_dir().join("no-such-folder-qr/WeChat.exe");
    let err = start_another(ChatApp::WeChat, &missing, &mut holder)
        .expect_err("a missing program cannot start");
    let said = err.to_string();
    assert!(
        said.contains("WeChat.exe") && (said.contains("无法启动") || said.contains("cannot start")),
        "{said}"
    );
}

/// `reg.exe` (Windows' and Wine's) on the real registry of this session.
fn reg(args: &[&str]) {
    let out = Command::new("reg")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run reg.exe");
    assert!(out.status.success(), "reg {args:?}: {out:?}");
}

#[test]
fn the_real_registry_gives_wecoms_executable_value() {
    let _one = lock();
    let install = Install::new(ChatApp::WeCom);
    let exe = install.exe();
    let key = r"HKCU\Software\Tencent\WXWork";
    // What a real WeCom install left is put back after the test.
    let before = WinRegistry.value(Hive::CurrentUser, r"Software\Tencent\WXWork", "Executable");
    let value = format!("{}", exe.display());
    reg(&["add", key, "/v", "Executable", "/d", &value, "/f"]);
    let read = WinRegistry.value(Hive::CurrentUser, r"Software\Tencent\WXWork", "Executable");
    let found = find_install(ChatApp::WeCom);
    match &before {
        Some(v) => reg(&["add", key, "/v", "Executable", "/d", v, "/f"]),
        None => reg(&["delete", key, "/v", "Executable", "/f"]),
    }
    assert_eq!(read.as_deref(), Some(value.as_str()));
    assert_eq!(found, Some(exe));
}
