//! Hotkey → clipboard latency measured from outside, shared by the fire benchmarks
//! (`benches/fire.rs` for the Linux app, `benches/fire_windows.rs` for the Windows hot
//! path under Wine): an in-process X11 client presses a favourite's global hotkey with
//! XTEST and times until XFixes reports the new CLIPBOARD owner, so no process start-up
//! is in the measurement.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use image::{Rgba, RgbaImage};
use quickreply_core::proto::Part;
use quickreply_core::settings::{Favourite, Settings, settings_path};
use quickreply_core::{NewSnippet, Store};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xfixes::{ConnectionExt as _, SelectionEventMask};
use x11rb::protocol::xtest::ConnectionExt as _;

use crate::x11::Conn;

/// Fires measured per reply.
pub const FIRES: usize = 200;

/// A data directory with a text reply (favourite `Ctrl+Alt+1`) and a 1-megapixel
/// photo-like image reply (`Ctrl+Alt+2`).
pub fn favourites_fixture(dir: &Path) -> Result<()> {
    let mut store = Store::open(dir)?;
    let lib = store.library("personal")?;
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
    let png = dir.join("photo.png");
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
    .save(&settings_path(dir))?;
    Ok(())
}

/// Ask the X server to report every new owner of CLIPBOARD.
pub fn watch_clipboard(x: &Conn) -> Result<()> {
    x.conn.xfixes_query_version(5, 0)?.reply()?;
    x.conn.xfixes_select_selection_input(
        x.root,
        x.atoms.CLIPBOARD,
        SelectionEventMask::SET_SELECTION_OWNER,
    )?;
    x.conn.flush()?;
    Ok(())
}

/// Press Ctrl+Alt+`digit` and time until the clipboard changes owner.
pub fn fire_latencies(c: &Conn, digit: char, n: usize) -> Result<Vec<f64>> {
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

pub fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn report(what: &str, mut v: Vec<f64>, target: Option<f64>) {
    v.sort_by(f64::total_cmp);
    let target = target.map_or_else(String::new, |t| format!("   (target p99 ≤ {t} ms)"));
    println!(
        "{what:<34} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms{target}",
        pct(&v, 0.5),
        pct(&v, 0.99),
        pct(&v, 1.0)
    );
}

/// RSS and PSS (shared pages split between their users) in kB of `pid` and all its
/// descendants.
pub fn tree_rss(pid: u32) -> (u64, u64) {
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
