//! Helpers for the cross-process end-to-end tests: a private X display (Xvfb + openbox),
//! the real desktop app driven through `tauri-driver` + `WebKitWebDriver` (W3C WebDriver
//! over HTTP, [`webdriver`]), stand-in chat windows made with x11rb, the clipboard read
//! with xclip, and the server's admin page in headless Chromium ([`webdriver::Chromium`]).

use std::io::BufRead;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;

pub mod desktop;
pub mod firing;
pub mod ime;
pub mod standin;
pub mod sync;
pub mod webdriver;
pub mod wine;
pub mod x11;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The desktop binary the run built (`cargo xtask test` builds it before this leg);
/// `QUICKREPLY_APP` names another (the benchmarks pass the release build).
pub fn app_binary() -> Result<PathBuf> {
    if let Some(app) = std::env::var_os("QUICKREPLY_APP") {
        return Ok(PathBuf::from(app));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let bin = target.join("debug").join("quickreply");
    if !bin.exists() {
        bail!(
            "{} is missing: build it with `cargo build -p quickreply` after `npm run build` in ui/ (cargo xtask test does both)",
            bin.display()
        );
    }
    Ok(bin)
}

/// Where screenshots go (`target/e2e/`).
pub fn artifacts() -> PathBuf {
    let dir = root().join("target").join("e2e");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Poll `f` until it returns `Some`, or fail after `timeout` with `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// tauri-driver in its own process group, killed with everything it started
/// (WebKitWebDriver and the app), so that no test leaves processes behind.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// Run an X program (xclip, xdotool) on `display`; its standard output, or what it said
/// when it failed.
pub fn run_on(display: &str, program: &str, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(program)
        .args(args)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !out.status.success() {
        bail!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// [`run_on`] given at most `limit`: a program still running then is killed and the
/// call fails (an X clipboard read waits for ever on an owner that went away without
/// answering, as a program handing its clipboard to Wine's explorer can).
pub fn run_on_within(
    display: &str,
    program: &str,
    args: &[&str],
    limit: Duration,
) -> Result<Vec<u8>> {
    let mut child = Command::new(program)
        .args(args)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        bail!("{program}: no pipes");
    };
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut b).map(|_| b)
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{program} {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out
        .join()
        .map_err(|_| anyhow::anyhow!("{program}: reading its output failed"))??;
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        bail!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&stderr)
        );
    }
    Ok(stdout)
}

/// A private X server with a window manager, gone when dropped.
pub struct Display {
    pub name: String,
    _xvfb: Killed,
    _wm: Killed,
}

impl Display {
    pub fn start() -> Result<Display> {
        // Xvfb picks a free display number itself and writes it to its stdout, so that
        // tests running in parallel never share a display.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvfb (Debian package xvfb)")?;
        let mut line = String::new();
        if let Some(out) = xvfb.stdout.take() {
            std::io::BufReader::new(out).read_line(&mut line)?;
        }
        let xvfb = Killed(xvfb);
        let n: u32 = line
            .trim()
            .parse()
            .with_context(|| format!("Xvfb did not say its display number: {line:?}"))?;
        let name = format!(":{n}");
        let wm = Command::new("openbox")
            .env("DISPLAY", &name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start openbox (Debian package openbox)")?;
        let d = Display {
            name,
            _xvfb: xvfb,
            _wm: Killed(wm),
        };
        // The window manager is up once it announces itself on the root window.
        let conn = x11::Conn::open(&d.name)?;
        wait_for("openbox", Duration::from_secs(10), || {
            conn.wm_running().then_some(())
        })?;
        Ok(d)
    }

    /// Run a command on this display and return its standard output.
    pub fn run(&self, program: &str, args: &[&str]) -> Result<Vec<u8>> {
        run_on(&self.name, program, args)
    }

    /// The clipboard as text, `None` when it holds no text.
    pub fn clipboard_text(&self) -> Option<String> {
        self.run("xclip", &["-selection", "clipboard", "-o"])
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The clipboard's PNG image, if it offers one.
    pub fn clipboard_png(&self) -> Option<Vec<u8>> {
        let targets = self
            .run("xclip", &["-selection", "clipboard", "-t", "TARGETS", "-o"])
            .ok()?;
        if !String::from_utf8_lossy(&targets).contains("image/png") {
            return None;
        }
        self.run(
            "xclip",
            &["-selection", "clipboard", "-t", "image/png", "-o"],
        )
        .ok()
    }

    /// Press keys like a user (`ctrl+alt+space`).
    pub fn key(&self, keys: &str) -> Result<()> {
        self.run("xdotool", &["key", "--clearmodifiers", keys])
            .map(|_| ())
    }

    pub fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let path = artifacts().join(name);
        let p = path.to_string_lossy().into_owned();
        self.run("import", &["-window", "root", &p])?;
        Ok(path)
    }
}

/// A private D-Bus session bus (what single-instance uses on Linux), gone when dropped.
pub struct SessionBus {
    pub address: String,
    _daemon: Killed,
}

impl SessionBus {
    pub fn start() -> Result<SessionBus> {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start dbus-daemon (Debian package dbus)")?;
        let mut line = String::new();
        if let Some(out) = daemon.stdout.take() {
            std::io::BufReader::new(out).read_line(&mut line)?;
        }
        let address = line.trim().to_string();
        if address.is_empty() {
            bail!("dbus-daemon did not print its address");
        }
        Ok(SessionBus {
            address,
            _daemon: Killed(daemon),
        })
    }
}

/// The app, started through tauri-driver for a WebDriver session; the session's
/// commands ([`webdriver::Session`]) are reachable directly (`app.click(…)`).
pub struct App {
    session: webdriver::Session,
    driver: Group,
    pub data_dir: PathBuf,
}

impl std::ops::Deref for App {
    type Target = webdriver::Session;
    fn deref(&self) -> &webdriver::Session {
        &self.session
    }
}

impl App {
    /// Start the app on `display` with its library in `data_dir`.
    pub fn start(display: &Display, data_dir: &Path) -> Result<App> {
        App::start_on_bus(display, data_dir, None)
    }

    /// Like [`App::start`], with a session bus (`None`: no bus, as in a bare X session).
    pub fn start_on_bus(
        display: &Display,
        data_dir: &Path,
        bus: Option<&SessionBus>,
    ) -> Result<App> {
        App::launch(display, data_dir, bus, &[])
    }

    /// Like [`App::start`], with more environment for the app (`("HOME", dir)`):
    /// tauri-driver passes its environment on to WebKitWebDriver and the app.
    pub fn start_with_env(
        display: &Display,
        data_dir: &Path,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Result<App> {
        App::launch(display, data_dir, None, env)
    }

    /// Like [`App::start_on_bus`], with more environment for the app (an input method's).
    pub fn start_on_bus_with_env(
        display: &Display,
        data_dir: &Path,
        bus: &SessionBus,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Result<App> {
        App::launch(display, data_dir, Some(bus), env)
    }

    fn launch(
        display: &Display,
        data_dir: &Path,
        bus: Option<&SessionBus>,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Result<App> {
        let bin = app_binary()?;
        let (port, native) = (free_port()?, free_port()?);
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", &display.name)
        .env("QUICKREPLY_DATA_DIR", data_dir)
        .env("QUICKREPLY_LANG", "zh-CN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        match bus {
            Some(b) => cmd.env("DBUS_SESSION_BUS_ADDRESS", &b.address),
            // Without a bus, single-instance stays local to each test's app.
            None => cmd.env_remove("DBUS_SESSION_BUS_ADDRESS"),
        };
        cmd.envs(env.iter().copied());
        let driver = cmd
            .spawn()
            .context("cannot start tauri-driver (cargo install tauri-driver --locked)")?;
        let base = format!("http://127.0.0.1:{port}");
        let driver = Group(webdriver::wait_until_up(driver, &base, "tauri-driver")?);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": bin.to_string_lossy()}
        }}});
        let session = webdriver::Session::new(&base, &caps)?;
        Ok(App {
            session,
            driver,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// Press Ctrl+E in the panel and switch to the editor window that opens; returns the
    /// panel's and the editor's window handles.
    pub fn open_editor(&self) -> Result<(String, String)> {
        let panel = wait_for("the panel's window handle", Duration::from_secs(10), || {
            self.windows().ok().and_then(|w| w.first().cloned())
        })?;
        self.type_into("#search", &format!("{CTRL}e{NULL}"))?;
        let editor = wait_for("the editor window", Duration::from_secs(15), || {
            self.windows()
                .ok()
                .and_then(|w| w.into_iter().find(|h| *h != panel))
        })?;
        self.switch_to(&editor)?;
        Ok((panel, editor))
    }

    /// The handle of the settings window, once open (the window whose page is
    /// `#/settings`); leaves the session in that window.
    pub fn settings_window(&self) -> Result<String> {
        wait_for("the settings window", Duration::from_secs(15), || {
            self.windows().ok()?.into_iter().find(|h| {
                self.switch_to(h).is_ok()
                    && self
                        .script("return location.hash")
                        .ok()
                        .and_then(|v| v.as_str().map(|s| s.starts_with("#/settings")))
                        == Some(true)
            })
        })
    }

    /// Press Ctrl+, in the panel (the window commands go to) and switch to the settings
    /// window it opens (or brings forward); returns the panel's and the settings
    /// window's handles.
    pub fn open_settings(&self) -> Result<(String, String)> {
        let panel = self.window()?;
        self.type_into("#search", &format!("{CTRL},{NULL}"))?;
        let settings = self.settings_window()?;
        self.switch_to(&settings)?;
        self.element("#settings")?;
        Ok((panel, settings))
    }

    /// Wait until the settings window (`settings`: its handle) has closed (Esc in it,
    /// with nothing unsaved) and send the following commands to the panel.
    pub fn settings_closed(&self, (panel, settings): (&str, &str)) -> Result<()> {
        wait_for(
            "the settings window to close",
            Duration::from_secs(10),
            || {
                let open = self.windows().ok()?;
                (!open.iter().any(|h| h == settings)).then_some(())
            },
        )?;
        self.switch_to(panel)
    }

    /// Press Esc in the element `css` of the settings window (nothing unsaved: it closes)
    /// and go on in the panel. The window may close before WebDriver answers the key
    /// press, which it then calls "no such window".
    pub fn escape_settings(&self, css: &str, handles: (&str, &str)) -> Result<()> {
        if let Err(e) = self.type_into(css, ESCAPE)
            && !format!("{e:#}").contains("no such window")
        {
            return Err(e);
        }
        self.settings_closed(handles)
    }

    /// Type into the search box (replacing its content) like a user.
    pub fn search(&self, query: &str) -> Result<()> {
        let el = self.element("#search")?;
        self.clear_element(&el)?;
        self.send_keys(&el, query)
    }

    /// Press a key in the focused element (`\u{E007}` is Enter).
    pub fn press(&self, key: &str) -> Result<()> {
        let el = self.element("#search")?;
        self.send_keys(&el, key)
    }

    pub fn close(self) {
        self.session.end();
        drop(self.driver);
    }
}

/// Enter in WebDriver key codes.
pub const ENTER: &str = "\u{E007}";
/// Escape in WebDriver key codes.
pub const ESCAPE: &str = "\u{E00C}";
/// Alt held for the following keys of the same `send_keys` (released by [`NULL`]).
pub const ALT: &str = "\u{E00A}";
/// Control held for the following keys of the same `send_keys` (released by [`NULL`]).
pub const CTRL: &str = "\u{E009}";
/// Releases held modifiers.
pub const NULL: &str = "\u{E000}";
