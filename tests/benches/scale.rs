//! `cargo xtask bench scale`: the desktop app with a library of 100 000 replies (issue
//! #21), release build under Xvfb + openbox.
//!
//! * in process: what the app's start does with the library (open the store, build the
//!   search index) and what the editor's tree loads, so a slow start can be pinned down;
//! * cold start → panel mapped, and → first favourite fired (hotkey → clipboard owner),
//!   from outside with X11 only (no WebDriver in the way);
//! * cold start → the panel's list shown, and search in the panel timed inside the page
//!   (input event → list changed), through WebDriver;
//! * the editor: Ctrl+E → its tree shown with the selected reply, rows in the DOM, a
//!   fast scroll through the whole tree frame by frame, End → the last reply;
//! * RSS / PSS of the app and its WebKit processes, with the panel and with the editor.
//!
//! `QR_SCALE_REPLIES` changes the size (default 100 000); `QUICKREPLY_APP` is the binary
//! (the xtask passes the release build).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use quickreply_core::Store;
use quickreply_e2e::firing::{favourites_fixture, pct, tree_rss, watch_clipboard};
use quickreply_e2e::x11::Conn;
use quickreply_e2e::{App, Display, wait_for};
use serde_json::Value;
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xtest::ConnectionExt as _;

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The queries of `cargo xtask bench search`.
const QUERIES: [&str; 7] = [
    "fahuo",
    "fh",
    "tuihuo",
    "退货 流程",
    "yhq",
    "运费险",
    "破损怎么办",
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    pct(&v, 0.5)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Press Ctrl+Alt+1 every 20 ms until the clipboard changes owner; the time from `since`.
fn first_fire(x: &Conn, since: Instant) -> Result<f64> {
    let ctrl = x.keycode(0xffe3)?;
    let alt = x.keycode(0xffe9)?;
    let one = x.keycode(u32::from('1'))?;
    let press = |code: u8, down: bool| -> Result<()> {
        x.conn
            .xtest_fake_input(if down { 2 } else { 3 }, code, 0, x.root, 0, 0, 0)?;
        Ok(())
    };
    while x.conn.poll_for_event()?.is_some() {}
    loop {
        press(ctrl, true)?;
        press(alt, true)?;
        press(one, true)?;
        press(one, false)?;
        press(alt, false)?;
        press(ctrl, false)?;
        x.conn.flush()?;
        let tick = Instant::now();
        while tick.elapsed() < Duration::from_millis(20) {
            if let Some(Event::XfixesSelectionNotify(_)) = x.conn.poll_for_event()? {
                return Ok(ms(since.elapsed()));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        if since.elapsed() > Duration::from_secs(60) {
            anyhow::bail!("no fire within 60 s of the start");
        }
    }
}

/// The app's process (the one running `bin`), once it runs.
fn app_pid(bin: &Path) -> Option<u32> {
    let want = std::fs::canonicalize(bin).ok()?;
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_ref() == Some(&want))
}

/// Poll the page until `js` returns something other than null.
fn poll(app: &App, what: &str, js: &str) -> Result<Value> {
    wait_for(what, Duration::from_secs(120), || {
        app.script(js).ok().filter(|v| !v.is_null())
    })
}

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let n: usize = std::env::var("QR_SCALE_REPLIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let app_bin = quickreply_e2e::app_binary()?;
    let dir = tempfile::tempdir()?;
    favourites_fixture(dir.path())?;
    {
        let mut store = Store::open(dir.path())?;
        let lib = store.library("personal")?;
        let t = Instant::now();
        store.add_snippets(&lib, quickreply_core::corpus::replies(n, 42))?;
        println!("\nQuickReply with {n} replies, {}", app_bin.display());
        println!(
            "{:<44} {:>8.0} ms",
            "(fixture) writing the replies",
            ms(t.elapsed())
        );
    }

    // In process: the start's work with the library, and the editor's tree.
    let mut open = Vec::new();
    let mut index = Vec::new();
    let mut tree = Vec::new();
    let mut whole = Vec::new();
    let mut twenty = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let store = Store::open(dir.path())?;
        open.push(ms(t.elapsed()));
        let t = Instant::now();
        let idx = store.search_index()?;
        index.push(ms(t.elapsed()));
        assert!(idx.len() > n);
        let lib = store.library("personal")?;
        let t = Instant::now();
        let rows = store.tree_rows(&lib)?;
        tree.push(ms(t.elapsed()));
        assert!(rows.len() > n);
        let t = Instant::now();
        let all = store.snippets(Some(&lib))?;
        whole.push(ms(t.elapsed()));
        assert!(all.len() > n);
        // What the panel reads for a search's 20 hits.
        let t = Instant::now();
        for r in rows.iter().step_by(n / 20).take(20) {
            store.snippet(r.id)?;
        }
        twenty.push(ms(t.elapsed()));
    }
    // In process: one search through the index, and through the store (what the panel
    // uses while the index is being built).
    {
        let store = Store::open(dir.path())?;
        let idx = store.search_index()?;
        let (mut by_index, mut by_store) = (Vec::new(), Vec::new());
        for q in QUERIES {
            let t = Instant::now();
            for _ in 0..5 {
                idx.search_libraries(q, None, 20);
            }
            by_index.push(format!("{q} {:.1}", ms(t.elapsed()) / 5.0));
            let t = Instant::now();
            store.search(
                q,
                &quickreply_core::SearchOptions {
                    library: None,
                    limit: 20,
                },
            )?;
            by_store.push(format!("{q} {:.0}", ms(t.elapsed())));
        }
        println!(
            "{:<44} {}   (ms)",
            "in process: search, index",
            by_index.join(" · ")
        );
        println!(
            "{:<44} {}   (ms)",
            "in process: search, store scan",
            by_store.join(" · ")
        );
    }
    println!(
        "{:<44} {:>8.1} ms",
        "in process: open the store",
        median(open)
    );
    println!(
        "{:<44} {:>8.1} ms",
        "in process: build the search index",
        median(index)
    );
    println!(
        "{:<44} {:>8.1} ms   (every reply whole: {:.1} ms)",
        "in process: load the editor's tree (rows)",
        median(tree),
        median(whole)
    );
    println!(
        "{:<44} {:>8.1} ms",
        "in process: read a search's 20 replies",
        median(twenty)
    );

    // From outside, X11 only: start → panel mapped → first favourite fired.
    let d = Display::start()?;
    let x = Conn::open(&d.name)?;
    watch_clipboard(&x)?;
    let start_app = || -> Result<Killed> {
        Ok(Killed(
            Command::new(&app_bin)
                .env("DISPLAY", &d.name)
                .env("QUICKREPLY_DATA_DIR", dir.path())
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start {}", app_bin.display()))?,
        ))
    };
    let (mut mapped, mut fired) = (Vec::new(), Vec::new());
    let mut panel_rss = (0, 0);
    for run in 0..4 {
        let t = Instant::now();
        let child = start_app()?;
        wait_for("the panel", Duration::from_secs(60), || {
            x.find_titled("QuickReply").filter(|w| x.is_viewable(*w))
        })?;
        mapped.push(ms(t.elapsed()));
        fired.push(first_fire(&x, t)?);
        if run == 3 {
            std::thread::sleep(Duration::from_secs(3));
            panel_rss = tree_rss(child.0.id());
        }
        drop(child);
        wait_for("the app to exit", Duration::from_secs(10), || {
            x.find_titled("QuickReply").is_none().then_some(())
        })?;
    }
    // The first start reads the binary and WebKit from disk; the rest are warm.
    println!(
        "{:<44} first {:>6.0} ms   warm median {:>6.0} ms",
        "start → panel mapped",
        mapped[0],
        median(mapped[1..].to_vec())
    );
    println!(
        "{:<44} first {:>6.0} ms   warm median {:>6.0} ms   (target ≤ 1000 ms)",
        "start → first favourite fired (usable)",
        fired[0],
        median(fired[1..].to_vec())
    );
    println!(
        "{:<44} RSS {:>6.1} MB, PSS {:>6.1} MB (app + WebKit processes)",
        "memory, panel shown",
        panel_rss.0 as f64 / 1024.0,
        panel_rss.1 as f64 / 1024.0
    );

    // Through WebDriver: the panel's list, search in the page, the editor.
    let t = Instant::now();
    let app = App::start(&d, dir.path())?;
    app.element("#hits li[data-id]")?;
    let listed = ms(t.elapsed());
    println!(
        "{:<44} {:>8.0} ms   (includes WebKitWebDriver's start)",
        "start → panel list shown (WebDriver)", listed
    );
    let mut search_lines = Vec::new();
    for q in QUERIES {
        let mut times = Vec::new();
        for _ in 0..5 {
            // Time inside the page: the input event until the list changed.
            app.script(
                "const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input', { bubbles: true }));",
            )?;
            std::thread::sleep(Duration::from_millis(150));
            app.script(&format!(
                "window.__ms = null; const list = document.getElementById('hits');
                 const before = list.innerHTML; const t0 = performance.now();
                 const o = new MutationObserver(() => {{
                   if (list.innerHTML !== before && window.__ms === null) {{ window.__ms = performance.now() - t0; o.disconnect(); }}
                 }});
                 o.observe(list, {{ childList: true, subtree: true, characterData: true, attributes: true }});
                 const s = document.getElementById('search'); s.value = {q:?}; s.dispatchEvent(new Event('input', {{ bubbles: true }}));"
            ))?;
            let v = poll(&app, "the search's list", "return window.__ms;")?;
            times.push(v.as_f64().unwrap_or(f64::NAN));
        }
        search_lines.push(format!("{q} {:.1}", median(times)));
    }
    println!(
        "{:<44} {}   (median of 5, ms)",
        "panel search: input → list changed",
        search_lines.join(" · ")
    );

    // The editor, opened on the panel's selection.
    app.script(
        "const s = document.getElementById('search'); s.value = 'tuihuo'; s.dispatchEvent(new Event('input', { bubbles: true }));",
    )?;
    app.element("#hits li.sel")?;
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let (_panel, _editor) = app.open_editor()?;
    app.element("#tree li.reply.sel")?;
    let opened = ms(t.elapsed());
    let rows = app.attribute("#tree", "data-rows")?;
    let drawn = app.count("#tree li")?;
    println!(
        "{:<44} {:>8.0} ms   ({rows} rows, {drawn} in the DOM)",
        "Ctrl+E → editor tree shown on the selection", opened
    );
    // A fast scroll through the whole tree: two screens a frame, frame times measured.
    app.script(
        "window.__scroll = null; const tree = document.getElementById('tree');
         const frames = []; let most = 0; let last = performance.now();
         const step = () => {
           const now = performance.now(); frames.push(now - last); last = now;
           most = Math.max(most, tree.querySelectorAll('li').length);
           if (tree.scrollTop + tree.clientHeight >= tree.scrollHeight - 1 || frames.length > 2000) {
             frames.shift(); frames.sort((a, b) => a - b);
             const p = (q) => frames[Math.min(frames.length - 1, Math.round((frames.length - 1) * q))];
             window.__scroll = [frames.length, p(0.5), p(0.95), p(1), most];
             return;
           }
           tree.scrollTop += tree.clientHeight * 2;
           requestAnimationFrame(step);
         };
         tree.scrollTop = 0; requestAnimationFrame(step);",
    )?;
    let s = poll(&app, "the scroll", "return window.__scroll;")?;
    let f = |i: usize| s.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
    println!(
        "{:<44} {:.0} frames: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; ≤ {:.0} rows in the DOM",
        "tree scroll, two screens a frame, top → end",
        f(0),
        f(1),
        f(2),
        f(3),
        f(4)
    );
    // End from the top: the last reply opened and in view.
    app.script("const t = document.getElementById('tree'); t.scrollTop = 0; t.focus();")?;
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    app.type_into("#tree", "\u{E010}")?;
    poll(
        &app,
        "the last reply selected",
        "const rs = document.querySelectorAll('#tree li.reply'); const l = rs[rs.length - 1];
         return l && l.classList.contains('sel') ? true : null;",
    )?;
    println!(
        "{:<44} {:>8.0} ms",
        "End → last reply selected and drawn",
        ms(t.elapsed())
    );
    // The editor's search box over 100k.
    let mut times = Vec::new();
    for q in ["fahuo", "yhq", "退货 流程"] {
        app.script(&format!(
            "window.__ms = null; const tree = document.getElementById('tree');
             const before = tree.getAttribute('data-rows'); const t0 = performance.now();
             const o = new MutationObserver(() => {{
               if (tree.getAttribute('data-rows') !== before && window.__ms === null) {{ window.__ms = performance.now() - t0; o.disconnect(); }}
             }});
             o.observe(tree, {{ attributes: true }});
             const s = document.getElementById('ed-search'); s.value = {q:?}; s.dispatchEvent(new Event('input', {{ bubbles: true }}));"
        ))?;
        let v = poll(&app, "the editor's search", "return window.__ms;")?;
        times.push(format!("{q} {:.1}", v.as_f64().unwrap_or(f64::NAN)));
        app.script(
            "const s = document.getElementById('ed-search'); s.value = ''; s.dispatchEvent(new Event('input', { bubbles: true }));",
        )?;
        std::thread::sleep(Duration::from_millis(300));
    }
    println!(
        "{:<44} {}   (ms)",
        "editor search: input → tree filtered",
        times.join(" · ")
    );
    let pid = app_pid(&app_bin).context("the app's process")?;
    let rss = tree_rss(pid);
    println!(
        "{:<44} RSS {:>6.1} MB, PSS {:>6.1} MB (app + WebKit processes)",
        "memory, panel + editor",
        rss.0 as f64 / 1024.0,
        rss.1 as f64 / 1024.0
    );
    app.close();
    Ok(())
}
