//! `cargo xtask bench fire`: the desktop app measured from outside, under Xvfb + openbox.
//!
//! * hotkey → clipboard: an in-process X11 client presses a favourite's global hotkey
//!   with XTEST and times until XFixes reports the new CLIPBOARD owner (no process
//!   start-up in the measurement), 200 fires each of a text reply and of a 1-megapixel
//!   image reply; p50 / p99.
//! * cold start → panel visible: process start until the panel window is mapped.
//! * idle RSS of the app and its WebKit helper processes.
//!
//! The app binary is `QUICKREPLY_APP` (the xtask passes the release build).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use quickreply_e2e::firing::{
    FIRES, favourites_fixture, fire_latencies, pct, report, tree_rss, watch_clipboard,
};
use quickreply_e2e::x11::Conn;
use quickreply_e2e::{Display, wait_for};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    // The xtask passes the release build; the debug one is looked up only without it
    // (eagerly, it failed on a fresh clone that had built only the release app).
    let app = match std::env::var_os("QUICKREPLY_APP") {
        Some(app) => PathBuf::from(app),
        None => quickreply_e2e::app_binary()?,
    };
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    favourites_fixture(dir.path())?;

    let x = Conn::open(&d.name)?;
    // Warm the binary and WebKit on disk, then time a cold start of the process.
    let start_app = || -> Result<Killed> {
        Ok(Killed(
            Command::new(&app)
                .env("DISPLAY", &d.name)
                .env("QUICKREPLY_DATA_DIR", dir.path())
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start {}", app.display()))?,
        ))
    };
    let mut starts = Vec::new();
    for _ in 0..4 {
        let t = Instant::now();
        let child = start_app()?;
        wait_for("the panel", Duration::from_secs(30), || {
            x.find_titled("QuickReply").filter(|w| x.is_viewable(*w))
        })?;
        starts.push(t.elapsed().as_secs_f64() * 1e3);
        drop(child);
        wait_for("the app to exit", Duration::from_secs(10), || {
            x.find_titled("QuickReply").is_none().then_some(())
        })?;
    }
    let child = start_app()?;
    wait_for("the panel", Duration::from_secs(30), || {
        x.find_titled("QuickReply").filter(|w| x.is_viewable(*w))
    })?;
    std::thread::sleep(Duration::from_secs(3));
    let rss = tree_rss(child.0.id());

    watch_clipboard(&x)?;
    // Warm-up fires.
    fire_latencies(&x, '1', 5)?;
    fire_latencies(&x, '2', 3)?;
    let text_ms = fire_latencies(&x, '1', FIRES)?;
    let image_ms = fire_latencies(&x, '2', FIRES)?;
    if d.clipboard_png().is_none() {
        bail!("the image fire left no PNG on the clipboard");
    }

    println!("\nQuickReply desktop, {} (Xvfb + openbox)", app.display());
    report(
        &format!("hotkey → text on clipboard ({FIRES})"),
        text_ms,
        Some(10.0),
    );
    report(
        &format!("hotkey → 1 MP image ({FIRES})"),
        image_ms,
        Some(50.0),
    );
    // The first start reads the binary and WebKit from disk; the rest are warm.
    let warm: Vec<f64> = starts[1..].to_vec();
    println!(
        "{:<34} first {:>6.0} ms   warm median {:>6.0} ms   (target ≤ 500 ms warm)",
        "start → panel mapped",
        starts[0],
        {
            let mut w = warm.clone();
            w.sort_by(f64::total_cmp);
            pct(&w, 0.5)
        }
    );
    println!(
        "{:<34} RSS {:>6.1} MB, PSS {:>6.1} MB (app + WebKit processes)",
        "idle memory",
        rss.0 as f64 / 1024.0,
        rss.1 as f64 / 1024.0
    );
    drop(child);
    Ok(())
}
