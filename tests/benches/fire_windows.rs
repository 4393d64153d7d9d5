//! `cargo xtask bench fire-windows`: the desktop app's Windows hot path under Wine — the
//! app's own hotkey listener (`win_hotkeys`) and clipboard code in `fire_harness.exe`
//! (release) — measured from the X side like `benches/fire.rs`: XTEST presses a
//! favourite's hotkey, XFixes sees Wine take the CLIPBOARD. 200 fires each of a text
//! reply and a 1-megapixel image; p50 / p99. A figure, not a target: Wine's own X11
//! clipboard bridge is in the path, which real Windows does not have.
//!
//! The xtask prepares Wine and passes its environment (`support/wine.rs`).

use std::time::Duration;

use anyhow::{Result, bail};
use quickreply_e2e::firing::{FIRES, favourites_fixture, fire_latencies, report, watch_clipboard};
use quickreply_e2e::wine::{Wine, windows_path};
use quickreply_e2e::x11::Conn;

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let wine = Wine::from_env()?;
    let harness = wine.exe("examples/fire_harness.exe")?;
    let dir = tempfile::tempdir()?;
    favourites_fixture(dir.path())?;
    let mut cmd = wine.command(&harness);
    cmd.arg(windows_path(dir.path()))
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn()?;
    let out = child.stdout.take();
    let ready = std::thread::spawn(move || {
        use std::io::BufRead;
        let Some(out) = out else { return false };
        let mut lines = std::io::BufReader::new(out).lines();
        let ok = lines.next().is_some_and(|l| l.is_ok_and(|l| l == "ready"));
        // Keep reading so that the harness never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ok
    });
    let started = std::time::Instant::now();
    while !ready.is_finished() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if !ready.is_finished() || !ready.join().unwrap_or(false) {
        let _ = child.kill();
        bail!("fire_harness.exe did not start listening within 60 s");
    }
    let x = Conn::open(&wine.display)?;
    watch_clipboard(&x)?;
    let result = (|| -> Result<(Vec<f64>, Vec<f64>)> {
        fire_latencies(&x, '1', 5)?;
        fire_latencies(&x, '2', 3)?;
        Ok((
            fire_latencies(&x, '1', FIRES)?,
            fire_latencies(&x, '2', FIRES)?,
        ))
    })();
    let _ = child.kill();
    let _ = child.wait();
    let (text_ms, image_ms) = result?;
    println!(
        "\nQuickReply's Windows hot path under Wine ({})",
        harness.display()
    );
    report(
        &format!("hotkey → text on clipboard ({FIRES})"),
        text_ms,
        None,
    );
    report(&format!("hotkey → 1 MP image ({FIRES})"), image_ms, None);
    Ok(())
}
