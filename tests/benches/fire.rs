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
use image::{Rgba, RgbaImage};
use quickreply_core::proto::Part;
use quickreply_core::settings::{Favourite, Settings, settings_path};
use quickreply_core::{NewSnippet, Store};
use quickreply_e2e::x11::Conn;
use quickreply_e2e::{Display, wait_for};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xfixes::{ConnectionExt as _, SelectionEventMask};
use x11rb::protocol::xtest::ConnectionExt as _;

const FIRES: usize = 200;

/// Press Ctrl+Alt+`digit` and time until the clipboard changes owner.
fn fire_latencies(c: &Conn, digit: char, n: usize) -> Result<Vec<f64>> {
    let ctrl = c.keycode(0xffe3)?;
    let alt = c.keycode(0xffe9)?;
    let key = c.keycode(u32::from(digit))?;
    let mut out = Vec::with_capacity(n);
    // Presses come at irregular intervals like a person's, so that a listener that polls
    // on a fixed period cannot look faster than it is by falling into step with us.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 60_000));
        while c.conn.poll_for_event()?.is_some() {}
        let press = |code: u8, down: bool| {
            c.conn
                .xtest_fake_input(if down { 2 } else { 3 }, code, 0, c.root, 0, 0, 0)
        };
        press(ctrl, true)?;
        press(alt, true)?;
        c.conn.flush()?;
        let start = Instant::now();
        press(key, true)?;
        c.conn.flush()?;
        let got = loop {
            if let Some(Event::XfixesSelectionNotify(_)) = c.conn.poll_for_event()? {
                break Some(start.elapsed().as_secs_f64() * 1e3);
            }
            if start.elapsed() > Duration::from_secs(5) {
                break None;
            }
            std::thread::sleep(Duration::from_micros(100));
        };
        press(key, false)?;
        press(alt, false)?;
        press(ctrl, false)?;
        c.conn.flush()?;
        out.push(got.context("the clipboard did not change within 5 s")?);
        std::thread::sleep(Duration::from_millis(40));
    }
    Ok(out)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, mut v: Vec<f64>, target: f64) {
    v.sort_by(f64::total_cmp);
    println!(
        "{what:<34} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   (target p99 ≤ {target} ms)",
        pct(&v, 0.5),
        pct(&v, 0.99),
        pct(&v, 1.0)
    );
}

/// RSS and PSS (shared pages split between their users) in kB of `pid` and all its
/// descendants.
fn tree_rss(pid: u32) -> (u64, u64) {
    let mut total = 0;
    let mut pss = 0;
    let mut stack = vec![pid];
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|p| {
                    let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
                    let after = stat.rsplit_once(')')?.1;
                    let ppid = after.split_whitespace().nth(1)?.parse().ok()?;
                    Some((p, ppid))
                })
                .collect()
        })
        .unwrap_or_default();
    while let Some(p) = stack.pop() {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/status"))
            && let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        {
            total += kb;
        }
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            && let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        {
            pss += kb;
        }
        stack.extend(all.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
    }
    (total, pss)
}

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
    let app = std::env::var_os("QUICKREPLY_APP")
        .map(PathBuf::from)
        .unwrap_or(quickreply_e2e::app_binary()?);
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let lib = store.library("personal")?;
    // A text reply and a 1-megapixel photo-like image reply.
    let text = store.add_snippet(
        &lib,
        NewSnippet {
            title: "发货时间".into(),
            parts: vec![Part::Text {
                body: "亲，现货宝贝付款后 48 小时内发出，发出后订单页就能看到物流单号～".into(),
            }],
            ..NewSnippet::default()
        },
    )?;
    let img = RgbaImage::from_fn(1000, 1000, |x, y| {
        let v = (x * 7 + y * 13) ^ (x * y);
        Rgba([
            (v & 0xff) as u8,
            ((v >> 3) & 0xff) as u8,
            ((x + y) & 0xff) as u8,
            255,
        ])
    });
    let png = dir.path().join("photo.png");
    img.save(&png)?;
    let part = store.add_image(&png)?;
    let image = store.add_snippet(
        &lib,
        NewSnippet {
            title: "实拍图".into(),
            parts: vec![part],
            ..NewSnippet::default()
        },
    )?;
    drop(store);
    Settings {
        favourites: vec![
            Favourite {
                hotkey: "Ctrl+Alt+1".into(),
                snippet: text.id,
            },
            Favourite {
                hotkey: "Ctrl+Alt+2".into(),
                snippet: image.id,
            },
        ],
        ..Settings::default()
    }
    .save(&settings_path(dir.path()))?;

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

    x.conn.xfixes_query_version(5, 0)?.reply()?;
    let clipboard = x.atoms.CLIPBOARD;
    x.conn.xfixes_select_selection_input(
        x.root,
        clipboard,
        SelectionEventMask::SET_SELECTION_OWNER,
    )?;
    x.conn.flush()?;
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
        10.0,
    );
    report(&format!("hotkey → 1 MP image ({FIRES})"), image_ms, 50.0);
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
