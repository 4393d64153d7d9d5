//! `cargo xtask`: the project's own commands.
//!
//! * `cargo xtask run [-- ARGS]` — install what the desktop app needs, build the UI and the
//!   app (release) and start it; the first start fills the library with the built-in
//!   replies. `cargo xtask run cli [-- ARGS]` builds and runs the `qreply` CLI instead.
//! * `cargo xtask test [--quick] [--leg N]` — every CI leg in order, stopping at the first red
//!   one (`--quick`: format, lints, unit and integration tests; `--leg 7`: only that leg).
//! * `cargo xtask bench <search|packs|fire|scale|fire-windows|sync|sync-scale|all>` — benchmarks (never part of the test run).
//! * `cargo xtask eval search [DATA_FILE]` — search quality: top-1 / top-3 hit rates of real buyer
//!   questions and agent keywords over the built-in zh-CN library, and every miss (a
//!   measurement, never part of the test run; data in `crates/core/benches/search-eval.toml`).
//! * `cargo xtask dist <windows|linux> [--debug]` — installers in `target/dist/` (`dist.rs`).
//! * `cargo xtask setup` — install what the legs need (Debian/Ubuntu: apt).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};

mod dist;
mod mingw;
mod windows;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Debian packages that building the desktop app (Tauri 2 on WebKitGTK) needs.
pub(crate) const APP_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
];
/// Debian packages the test legs need besides those: a display, a window manager, key
/// presses, the clipboard, WebDriver for WebKitGTK, screenshots, CJK glyphs, a real pinyin
/// input method (fcitx5, `tests/support/ime.rs`), and headless Chromium with its WebDriver
/// for the server's admin page (`tests/admin.rs`).
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "openbox",
    "dbus",
    "xdotool",
    "xclip",
    "webkit2gtk-driver",
    "imagemagick",
    "fonts-noto-cjk",
    "fcitx5",
    "fcitx5-chinese-addons",
    "fcitx5-frontend-gtk3",
    "chromium",
    "chromium-driver",
];
/// Leg 2 (also with `--quick`): PostgreSQL for the server's second storage backend (its
/// tests start a throwaway cluster), a session bus and a Secret Service (gnome-keyring)
/// for the device-token test.
const SERVER_TEST_PACKAGES: &[&str] = &["postgresql", "dbus", "gnome-keyring"];
/// And the benchmarks.
const BENCH_PACKAGES: &[&str] = &["fzf"];

pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

pub(crate) fn run(what: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("\x1b[1m==> {what}\x1b[0m");
    let status = cmd
        .status()
        .with_context(|| format!("could not start {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

pub(crate) fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Install missing Debian packages with apt (sudo when not root); elsewhere say what
/// is missing.
pub(crate) fn ensure_packages(pkgs: &[&str]) -> Result<()> {
    if !have("dpkg-query") || !have("apt-get") {
        eprintln!(
            "note: not a Debian/Ubuntu system; make sure these are installed: {}",
            pkgs.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = pkgs
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut full: Vec<&str> = sudo.to_vec();
        full.push("apt-get");
        full.extend_from_slice(args);
        let mut c = Command::new(full[0]);
        c.args(&full[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(
        "apt-get update",
        apt(&["update", "-qq"]).arg("-o").arg("Acquire::Retries=3"),
    )?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run(
        &format!("apt-get install {}", missing.join(" ")),
        &mut apt(&args),
    )
}

fn ensure_rust_components() -> Result<()> {
    for (probe, component) in [("rustfmt", "rustfmt"), ("clippy-driver", "clippy")] {
        if !have(probe) && have("rustup") {
            run(
                &format!("rustup component add {component}"),
                Command::new("rustup").args(["component", "add", component]),
            )?;
        }
    }
    Ok(())
}

fn npm() -> Command {
    let mut c = Command::new("npm");
    c.current_dir(root().join("ui"));
    c.args(["--no-fund", "--no-audit"]);
    c
}

/// Node.js and npm for the UI; Debian's own packages when they are missing.
fn ensure_node() -> Result<()> {
    if !have("npm") {
        ensure_packages(&["nodejs", "npm"])?;
    }
    Ok(())
}

/// `npm ci` when `node_modules` is missing or older than the lock file, then the bundle
/// (`ui/dist`) that the desktop app embeds.
pub(crate) fn build_ui() -> Result<()> {
    ensure_node()?;
    let ui = root().join("ui");
    let stamp = ui.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&stamp).is_none() || modified(&stamp) < modified(&ui.join("package-lock.json")) {
        run("npm ci (ui)", npm().arg("ci"))?;
    }
    run("vite build (ui)", npm().args(["run", "build"]))
}

fn ensure_tauri_driver() -> Result<()> {
    if !have("tauri-driver") {
        run(
            "cargo install tauri-driver",
            cargo().args(["install", "tauri-driver", "--locked"]),
        )?;
    }
    Ok(())
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `quick`: legs 1–2 only; `only`: the one leg whose name starts with it (`--leg 7`).
fn test(quick: bool, only: Option<&str>) -> Result<()> {
    let start = Instant::now();
    ensure_rust_components()?;
    ensure_packages(APP_PACKAGES)?;
    ensure_packages(SERVER_TEST_PACKAGES)?;
    if !quick {
        ensure_packages(TEST_PACKAGES)?;
    }
    // The desktop app embeds the UI bundle, so it is built before anything compiles.
    build_ui()?;
    type Leg = Box<dyn Fn() -> Result<()>>;
    let legs: Vec<(&str, Leg)> = vec![
        (
            "1. format and lints",
            Box::new(|| {
                run(
                    "cargo fmt --check",
                    cargo().args(["fmt", "--all", "--", "--check"]),
                )?;
                run(
                    "cargo clippy",
                    cargo().args([
                        "clippy",
                        "--workspace",
                        "--all-targets",
                        "--",
                        "-D",
                        "warnings",
                    ]),
                )
            }),
        ),
        (
            "2. unit and integration tests",
            Box::new(|| {
                if has_nextest() {
                    run(
                        "cargo nextest run",
                        cargo().args(["nextest", "run", "--workspace", "--no-fail-fast"]),
                    )
                } else {
                    eprintln!("note: cargo-nextest not found, using cargo test");
                    run(
                        "cargo test",
                        cargo().args(["test", "--workspace", "--no-fail-fast"]),
                    )
                }
            }),
        ),
        (
            "3. UI: type check, lint, unit tests",
            Box::new(|| {
                run("svelte-check (ui)", npm().args(["run", "check"]))?;
                run(
                    "tsc --checkJs (server admin page)",
                    npm().args(["run", "check:admin"]),
                )?;
                run("eslint (ui)", npm().args(["run", "lint"]))?;
                run(
                    "eslint (server admin page)",
                    npm().args(["run", "lint:admin"]),
                )?;
                run("vitest (ui)", npm().args(["run", "test"]))
            }),
        ),
        (
            "5. desktop end to end under Xvfb, admin page in headless Chromium",
            Box::new(|| {
                ensure_tauri_driver()?;
                run(
                    "build the desktop app",
                    cargo().args(["build", "-p", "quickreply"]),
                )?;
                // tests/admin.rs drives quickreply-server and qreply from outside.
                run(
                    "build the server and qreply",
                    cargo().args([
                        "build",
                        "-p",
                        "quickreply-server",
                        "-p",
                        "quickreply-cli",
                        "--bins",
                    ]),
                )?;
                let _ = std::fs::remove_dir_all(root().join("target/e2e"));
                if has_nextest() {
                    run(
                        "desktop e2e (nextest)",
                        cargo().args([
                            "nextest",
                            "run",
                            "-p",
                            "quickreply-e2e",
                            "--run-ignored",
                            "only",
                            // Those need Wine and the installers: leg 7 runs them.
                            "-E",
                            "not (binary(windows) or binary(installers))",
                            "--no-fail-fast",
                            "--test-threads",
                            "2",
                        ]),
                    )?;
                } else {
                    run(
                        "desktop e2e",
                        cargo().args([
                            "test",
                            "-p",
                            "quickreply-e2e",
                            "--test",
                            "desktop_panel",
                            "--test",
                            "desktop_editor",
                            "--test",
                            "desktop_tray",
                            "--test",
                            "desktop_team",
                            "--test",
                            "desktop_look",
                            "--test",
                            "sync",
                            "--test",
                            "admin",
                            "--",
                            "--ignored",
                        ]),
                    )?;
                }
                eprintln!("screenshots: {}", root().join("target/e2e").display());
                Ok(())
            }),
        ),
        (
            "6. built-in library: qreply lint snippets",
            Box::new(|| {
                if !root().join("snippets").exists() {
                    eprintln!("no snippets/ yet");
                    return Ok(());
                }
                run(
                    "qreply lint snippets",
                    cargo().args([
                        "run",
                        "--quiet",
                        "-p",
                        "quickreply-cli",
                        "--",
                        "lint",
                        "snippets",
                    ]),
                )
            }),
        ),
        (
            "7. Windows: build, tests under Wine, installers",
            Box::new(windows::leg),
        ),
    ];
    for (name, leg) in legs {
        if quick && !name.starts_with('1') && !name.starts_with('2') {
            continue;
        }
        if only.is_some_and(|n| !name.starts_with(&format!("{n}."))) {
            continue;
        }
        eprintln!("\x1b[1;34m=== leg {name}\x1b[0m");
        if let Err(e) = leg() {
            bail!("leg {name} is red: {e:#}");
        }
    }
    eprintln!("all legs green in {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// Build and start the desktop app (release), or with `cli` first the `qreply` CLI.
fn run_app(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("cli") {
        return run_cli(&args[1..]);
    }
    ensure_packages(APP_PACKAGES)?;
    build_ui()?;
    run(
        "build the desktop app (release)",
        cargo().args(["build", "--release", "-p", "quickreply"]),
    )?;
    let status = Command::new(root().join("target/release/quickreply"))
        .args(args)
        .status()?;
    if !status.success() {
        bail!("quickreply exited with {status}");
    }
    Ok(())
}

fn run_cli(args: &[String]) -> Result<()> {
    run(
        "build qreply (release)",
        cargo().args(["build", "--release", "-p", "quickreply-cli"]),
    )?;
    let exe = root().join("target/release/qreply");
    // First run: import the built-in replies (compiled into qreply) into the personal library.
    let listed = Command::new(&exe).arg("ls").output()?;
    if listed.status.success() && listed.stdout.is_empty() {
        run(
            "import the built-in replies (first run)",
            Command::new(&exe).args(["builtin", "import", "zh-CN"]),
        )?;
    }
    let args: Vec<String> = if args.is_empty() {
        vec!["--help".into()]
    } else {
        args.to_vec()
    };
    let status = Command::new(&exe).args(&args).status()?;
    if !status.success() {
        bail!("qreply exited with {status}");
    }
    Ok(())
}

fn bench(what: &str) -> Result<()> {
    match what {
        "search" => bench_search(),
        "packs" => run(
            "cargo bench (packs: CSV, XLSX, .qrpack import/export)",
            cargo().args(["bench", "-p", "quickreply-core", "--bench", "packs"]),
        ),
        "fire" => bench_fire(),
        "scale" => bench_scale(),
        "fire-windows" => windows::bench_fire(),
        "sync" => run(
            "cargo bench (sync: 500 SSE clients, write rate, first sync of 10k)",
            cargo().args(["bench", "-p", "quickreply-server", "--bench", "sync"]),
        ),
        "sync-scale" => run(
            "cargo bench (sync at scale: first sync of 10k/100k, a 10k bulk import to 100 agents, server peak RSS)",
            cargo().args(["bench", "-p", "quickreply-server", "--bench", "sync_scale"]),
        ),
        "all" => bench_search()
            .and_then(|()| bench("packs"))
            .and_then(|()| bench_fire())
            .and_then(|()| bench_scale())
            .and_then(|()| bench("sync"))
            .and_then(|()| bench("sync-scale")),
        other => {
            bail!(
                "unknown benchmark {other}; try: search, packs, fire, scale, fire-windows, sync, sync-scale, all"
            )
        }
    }
}

/// Search quality over the built-in library (`quickreply_core::eval`). Runs as a core
/// example, so that xtask itself stays free of the workspace's crates (it must build on a
/// bare machine before `cargo xtask setup` has installed anything).
fn eval(what: &str, rest: &[String]) -> Result<()> {
    match what {
        "search" => run(
            "search evaluation (built-in zh-CN library)",
            cargo()
                .args([
                    "run",
                    "--quiet",
                    "-p",
                    "quickreply-core",
                    "--example",
                    "eval_search",
                    "--",
                ])
                .args(rest),
        ),
        other => bail!("unknown evaluation {other}; try: search"),
    }
}

/// The desktop app from outside: hotkey → clipboard latency, start-up, idle memory
/// (release build, under Xvfb; see tests/benches/fire.rs).
fn bench_fire() -> Result<()> {
    bench_app("fire")
}

/// The desktop app with 100 000 replies: start-up, search in the panel, the editor's
/// tree (release build, under Xvfb; see tests/benches/scale.rs).
fn bench_scale() -> Result<()> {
    bench_app("scale")
}

/// A benchmark of `tests/benches/` that drives the release desktop app under Xvfb.
fn bench_app(bench: &str) -> Result<()> {
    ensure_packages(APP_PACKAGES)?;
    ensure_packages(TEST_PACKAGES)?;
    build_ui()?;
    run(
        "build the desktop app (release)",
        cargo().args(["build", "--release", "-p", "quickreply"]),
    )?;
    run(
        &format!("bench {bench}"),
        cargo()
            .args(["bench", "-p", "quickreply-e2e", "--bench", bench])
            .env("QUICKREPLY_APP", root().join("target/release/quickreply")),
    )
}

/// Criterion's in-process numbers, then whole-process `qreply search` against
/// `fzf --filter` on the same 100k-reply corpus.
fn bench_search() -> Result<()> {
    ensure_packages(BENCH_PACKAGES)?;
    run(
        "cargo bench (in-process search)",
        cargo().args(["bench", "-p", "quickreply-core", "--bench", "search"]),
    )?;
    run(
        "build qreply and the corpus generator (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "quickreply-cli",
            "-p",
            "quickreply-core",
            "--examples",
            "--bins",
        ]),
    )?;
    let dir = root().join("target/bench-search");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let lines = dir.join("corpus.txt");
    run(
        "generate 100k replies",
        Command::new(root().join("target/release/examples/gen_corpus"))
            .arg(dir.join("data"))
            .arg("100000")
            .arg(&lines),
    )?;
    let qreply = root().join("target/release/qreply");
    let queries = [
        "发货",
        "fh",
        "tuihuo",
        "退货 流程",
        "yhq",
        "运费险",
        "破损怎么办",
    ];
    // Children's CPU time so far (utime + stime of waited-for children, Linux), in ms:
    // on a loaded machine the wall clock says more about the neighbours than about us.
    let children_cpu = || -> Option<f64> {
        let s = std::fs::read_to_string("/proc/self/stat").ok()?;
        let f: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 = f.get(13)?.parse::<f64>().ok()? + f.get(14)?.parse::<f64>().ok()?;
        Some(ticks * 10.0) // USER_HZ is 100 on Linux
    };
    // (median wall ms, mean CPU ms) of 15 runs.
    let time = |mut cmd: Command| -> Result<(f64, Option<f64>)> {
        let mut samples = Vec::new();
        let before = children_cpu();
        for _ in 0..15 {
            let t = Instant::now();
            let out = cmd.output()?;
            if !out.status.success() {
                bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
        samples.sort_by(f64::total_cmp);
        let cpu = before
            .zip(children_cpu())
            .map(|(a, b)| (b - a) / samples.len() as f64);
        Ok((samples[samples.len() / 2], cpu))
    };
    let search = |q: &str, cache: bool| {
        let mut a = Command::new(&qreply);
        a.arg("--data-dir")
            .arg(dir.join("data"))
            .args(["search", "--limit", "20"])
            .args(q.split(' '));
        if !cache {
            a.env("QUICKREPLY_SEARCH_CACHE", "0");
        }
        a
    };
    // The first search after a change writes the search cache (`quickreply.search`);
    // what is timed is every search after it.
    run("write the search cache", &mut search("fh", true))?;
    println!(
        "\nwhole process, 100k replies, median wall of 15 runs (ms), mean CPU in brackets; \
         no cache: QUICKREPLY_SEARCH_CACHE=0 (every row read from the database)"
    );
    println!(
        "{:<14} {:>16} {:>16} {:>16} {:>7} {:>7}",
        "query", "qreply", "no cache", "fzf", "ratio", "CPU"
    );
    let cell = |(w, c): (f64, Option<f64>)| match c {
        Some(c) => format!("{w:.1} ({c:.1})"),
        None => format!("{w:.1}"),
    };
    let (mut sq, mut sn, mut sf) = (0.0, 0.0, 0.0);
    let (mut cq, mut cf) = (0.0, 0.0);
    for q in queries {
        let mut b = Command::new("sh");
        b.arg("-c").arg(format!(
            "fzf --filter '{q}' < '{}' | head -n 20",
            lines.display()
        ));
        let (tq, tn, tf) = (time(search(q, true))?, time(search(q, false))?, time(b)?);
        sq += tq.0;
        sn += tn.0;
        sf += tf.0;
        cq += tq.1.unwrap_or(f64::NAN);
        cf += tf.1.unwrap_or(f64::NAN);
        println!(
            "{q:<14} {:>16} {:>16} {:>16} {:>7.2} {:>7.2}",
            cell(tq),
            cell(tn),
            cell(tf),
            tq.0 / tf.0,
            tq.1.zip(tf.1).map_or(f64::NAN, |(a, b)| a / b)
        );
    }
    println!(
        "{:<14} {sq:>16.1} {sn:>16.1} {sf:>16.1} {:>7.2} {:>7.2}  (qreply / fzf, wall and CPU; target ≤ 0.30)",
        "total",
        sq / sf,
        cq / cf
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(
            args.iter().any(|a| a == "--quick"),
            args.iter()
                .position(|a| a == "--leg")
                .and_then(|i| args.get(i + 1))
                .map(String::as_str),
        ),
        Some("run") => {
            let rest: Vec<String> = args[1..].iter().filter(|a| *a != "--").cloned().collect();
            run_app(&rest)
        }
        Some("bench") => bench(args.get(1).map_or("all", String::as_str)),
        Some("eval") => eval(
            args.get(1).map_or("search", String::as_str),
            args.get(2..).unwrap_or_default(),
        ),
        Some("dist") => dist::dist(&args[1..]),
        Some("setup") => ensure_rust_components()
            .and_then(|()| ensure_packages(APP_PACKAGES))
            .and_then(|()| ensure_packages(SERVER_TEST_PACKAGES))
            .and_then(|()| ensure_packages(TEST_PACKAGES))
            .and_then(|()| build_ui())
            .and_then(|()| ensure_tauri_driver())
            .and_then(|()| ensure_packages(BENCH_PACKAGES)),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [cli] [-- ARGS] | test [--quick] [--leg N] | bench <search|packs|fire|scale|fire-windows|sync|sync-scale|all> | eval search [DATA_FILE] | dist <windows|linux> [--debug] | setup>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\x1b[1;31merror:\x1b[0m {e:#}");
            ExitCode::FAILURE
        }
    }
}
