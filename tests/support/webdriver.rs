//! A small hand-written W3C WebDriver client (JSON over HTTP), shared by the desktop
//! tests (tauri-driver + WebKitWebDriver) and the admin page tests (chromedriver +
//! headless Chromium).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::{Group, artifacts, free_port, wait_for};

/// How long [`Session::element`] and [`Session::wait_text`] wait.
const WAIT: Duration = Duration::from_secs(15);

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn body(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Value> {
    let mut resp = resp.map_err(|e| anyhow!("WebDriver request failed: {e}"))?;
    let status = resp.status();
    let v: Value = resp
        .body_mut()
        .read_json()
        .map_err(|e| anyhow!("WebDriver answer is not JSON: {e}"))?;
    if !status.is_success() {
        bail!("WebDriver error {status}: {v}");
    }
    Ok(v.get("value").cloned().unwrap_or(Value::Null))
}

/// Waits until a freshly started driver answers `/status`; on failure kills it and
/// fails with what it printed on stderr.
pub fn wait_until_up(mut driver: Child, base: &str, what: &str) -> Result<Child> {
    let agent = http();
    let up = wait_for(what, Duration::from_secs(10), || {
        agent.get(format!("{base}/status")).call().ok().map(|_| ())
    });
    if let Err(e) = up {
        let mut err = String::new();
        let _ = driver.kill();
        if let Some(mut s) = driver.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        let _ = driver.wait();
        bail!("{e}: {err}");
    }
    Ok(driver)
}

/// One WebDriver session.
pub struct Session {
    base: String,
    id: String,
}

impl Session {
    /// `POST /session` with these capabilities.
    pub fn new(base: &str, capabilities: &Value) -> Result<Session> {
        let v = body(
            http()
                .post(format!("{base}/session"))
                .send_json(capabilities),
        )?;
        let id = v["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session id in {v}"))?
            .to_string();
        Ok(Session {
            base: base.to_string(),
            id,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}/{path}", self.base, self.id)
    }

    fn post(&self, path: &str, v: Value) -> Result<Value> {
        body(http().post(self.url(path)).send_json(&v))
    }

    fn get(&self, path: &str) -> Result<Value> {
        body(http().get(self.url(path)).call())
    }

    /// Ends the session (errors ignored: the driver may be gone already).
    pub fn end(&self) {
        let _ = body(
            http()
                .delete(format!("{}/session/{}", self.base, self.id))
                .call(),
        );
    }

    /// Open a URL.
    pub fn navigate(&self, url: &str) -> Result<()> {
        self.post("url", json!({"url": url})).map(|_| ())
    }

    /// Reload the current page.
    pub fn refresh(&self) -> Result<()> {
        self.post("refresh", json!({})).map(|_| ())
    }

    /// The element matching a CSS selector, if there is one now.
    pub fn find(&self, css: &str) -> Result<Option<String>> {
        match self.post("element", json!({"using": "css selector", "value": css})) {
            Ok(v) => Ok(v
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
                .map(str::to_string)),
            Err(e) if e.to_string().contains("no such element") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// How many elements match a CSS selector now.
    pub fn count(&self, css: &str) -> Result<usize> {
        let v = self.post("elements", json!({"using": "css selector", "value": css}))?;
        Ok(v.as_array().map(Vec::len).unwrap_or_default())
    }

    /// Wait for an element and return it.
    pub fn element(&self, css: &str) -> Result<String> {
        wait_for(css, WAIT, || self.find(css).ok().flatten())
    }

    pub fn send_keys(&self, el: &str, text: &str) -> Result<()> {
        self.post(&format!("element/{el}/value"), json!({"text": text}))
            .map(|_| ())
    }

    /// The rendered text of the element matching `css` (waits for it).
    pub fn text(&self, css: &str) -> Result<String> {
        let el = self.element(css)?;
        Ok(self
            .get(&format!("element/{el}/text"))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Wait until the text of `css` satisfies `ok`; returns it.
    pub fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
        self.wait_text_for(css, WAIT, ok)
    }

    /// [`Self::wait_text`] with its own timeout.
    pub fn wait_text_for(
        &self,
        css: &str,
        timeout: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let mut last = String::new();
        wait_for(&format!("text of {css}"), timeout, || {
            let t = self
                .find(css)
                .ok()
                .flatten()
                .and_then(|el| self.get(&format!("element/{el}/text")).ok())
                .and_then(|v| v.as_str().map(str::to_string))?;
            last.clone_from(&t);
            ok(&t).then_some(t)
        })
        .with_context(|| format!("last text was {last:?}"))
    }

    /// The handles of the open windows.
    pub fn windows(&self) -> Result<Vec<String>> {
        Ok(self
            .get("window/handles")?
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The handle of the window commands go to.
    pub fn window(&self) -> Result<String> {
        Ok(self.get("window")?.as_str().unwrap_or_default().to_string())
    }

    /// Send the following commands to the window `handle`.
    pub fn switch_to(&self, handle: &str) -> Result<()> {
        self.post("window", json!({"handle": handle})).map(|_| ())
    }

    /// Resize the window (CSS pixels of the outer window).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.post("window/rect", json!({"width": width, "height": height}))
            .map(|_| ())
    }

    pub fn click(&self, css: &str) -> Result<()> {
        let el = self.element(css)?;
        // WebKit's driver scrolls an element only as far as the page's edge: one at the
        // bottom of a scrolled pane above a footer stays under it ("not interactable").
        // The middle of its own scroll box, as a user would scroll to it.
        // (By selector: the WebKit driver passes no element to a script.)
        self.post(
            "execute/sync",
            json!({
                "script": "const e = document.querySelector(arguments[0]); \
                           if (e) e.scrollIntoView({block: 'center', inline: 'nearest'});",
                "args": [css],
            }),
        )?;
        self.post(&format!("element/{el}/click"), json!({}))
            .map(|_| ())
    }

    /// Empty an input.
    pub fn clear(&self, css: &str) -> Result<()> {
        let el = self.element(css)?;
        self.clear_element(&el)
    }

    /// Empty an input found before.
    pub fn clear_element(&self, el: &str) -> Result<()> {
        self.post(&format!("element/{el}/clear"), json!({}))
            .map(|_| ())
    }

    /// Type into the element matching `css` (WebDriver key codes allowed).
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let el = self.element(css)?;
        self.send_keys(&el, text)
    }

    /// An attribute of the element matching `css`.
    pub fn attribute(&self, css: &str, name: &str) -> Result<String> {
        let el = self.element(css)?;
        Ok(self
            .get(&format!("element/{el}/attribute/{name}"))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Choose the `<option>` with this value in the `<select>` matching `css`.
    pub fn select_value(&self, css: &str, value: &str) -> Result<()> {
        self.click(&format!("{css} option[value=\"{value}\"]"))
    }

    pub fn script(&self, js: &str) -> Result<Value> {
        self.post("execute/sync", json!({"script": js, "args": []}))
    }

    /// Press keys in whatever element has the focus (WebDriver key codes allowed).
    pub fn keys(&self, text: &str) -> Result<()> {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                let k = c.to_string();
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.post(
            "actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )?;
        let _ = body(http().delete(self.url("actions")).call());
        Ok(())
    }

    /// A screenshot of the page as PNG, saved as `target/e2e/<name>`.
    pub fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let v = self.get("screenshot")?;
        let b64 = v.as_str().ok_or_else(|| anyhow!("no screenshot in {v}"))?;
        let png = base64_decode(b64)?;
        let path = artifacts().join(name);
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// Standard base64 (what WebDriver screenshots are in).
fn base64_decode(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => bail!("not base64: {:?}", char::from(c)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or_default());
        }
    }
    Ok(out)
}

/// Headless Chromium through chromedriver (Debian packages `chromium` and
/// `chromium-driver`); no display needed.
pub struct Chromium {
    session: Session,
    _driver: Group,
    _profile: tempfile::TempDir,
}

impl std::ops::Deref for Chromium {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Chromium {
    /// A browser whose window is `width` × `height` CSS pixels.
    pub fn start(width: u32, height: u32) -> Result<Chromium> {
        let driver_bin = which("chromedriver")
            .context("chromedriver is missing (Debian package chromium-driver)")?;
        let browser = which("chromium").context("chromium is missing (Debian package chromium)")?;
        let port = free_port()?;
        let mut cmd = Command::new(driver_bin);
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let driver = cmd.spawn().context("cannot start chromedriver")?;
        let base = format!("http://127.0.0.1:{port}");
        let driver = Group(wait_until_up(driver, &base, "chromedriver")?);
        let profile = tempfile::tempdir()?;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.to_string_lossy(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--lang=zh-CN",
                    "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        }}});
        let session = Session::new(&base, &caps)?;
        // --window-size has a floor (500 px wide); resizing the window has not.
        session.set_window_size(width, height)?;
        Ok(Chromium {
            session,
            _driver: driver,
            _profile: profile,
        })
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.session.end();
    }
}

/// The path of a program on `PATH` (or in /usr/bin).
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join(program))
        .find(|p| Path::new(p).is_file())
}
