//! Leg 7: Windows. The desktop app and `qreply` are built for `x86_64-pc-windows-gnu`
//! (MinGW), then — where Wine can be installed — the Windows builds are tested as
//! Windows programs under Wine:
//!
//! 1. the test suites of proto, core, cli, desktop and server (on SQLite: its PostgreSQL
//!    tests need Linux programs a Windows process cannot start), built for Windows and
//!    run by cargo through Wine (`CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER`), in a Chinese locale so
//!    that Wine uses code page 936 as a Chinese Windows does; desktop's `tests/win32.rs`
//!    drives stand-in chat windows of the real apps' classes and process names;
//!    `tests/multi_open.rs` proves both 多开 techniques against a stand-in of the real
//!    single-instance check (`examples/single_instance.rs`, the real mutex names);
//! 2. the Linux-side tests of `tests/windows.rs` (`qreply.exe` end to end, with the
//!    clipboard read back by `xclip`; the hotkey harness pressed with `xdotool`);
//! 3. the installers (`cargo xtask dist windows --debug`, `dist linux --debug`) and
//!    `tests/installers.rs`: setup.exe installed, run and removed under Wine, the .deb
//!    installed into a throwaway root.
//!
//! The environment is made here once per run: a Wine prefix in `target/wine/prefix`
//! (`wineboot -i`), the `ProcessPrng` shim that Rust std needs under Wine 8 built from
//! `tests/windows/prng_shim.c` into the prefix's `system32` (test tooling only, never
//! shipped), a private Xvfb, and one Wine virtual desktop (`explorer /desktop=Default`,
//! also set in the prefix's registry so every program opens in it), whose clipboard
//! manager keeps what a program put on the clipboard after it exits, as Windows does.
//!
//! What cannot be installed here is skipped with a message saying so; what fails is red.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::mingw::{TARGET, toolchain_ready};
use crate::{cargo, ensure_packages, have, is_root, root, run};

/// Wine (64-bit programs only) and the locale tools for zh_CN.UTF-8.
const WINE_PACKAGES: &[&str] = &["wine", "wine64", "locales"];
/// The size of Wine's one virtual desktop.
const DESKTOP: &str = "1280x800";
/// The locale Wine runs in: code page 936 (GBK), as on a Chinese Windows.
const LOCALE: &str = "zh_CN.UTF-8";

/// The whole leg.
pub fn leg() -> Result<()> {
    if !toolchain_ready() {
        return Ok(());
    }
    run(
        "build the desktop app and qreply for Windows",
        cargo().args([
            "build",
            "-p",
            "quickreply",
            "-p",
            "quickreply-cli",
            "--target",
            TARGET,
        ]),
    )?;
    let wine = match Wine::prepare() {
        Ok(Some(w)) => w,
        Ok(None) => return Ok(()),
        Err(e) => return Err(e.context("preparing Wine")),
    };
    let start = Instant::now();
    run(
        "proto, core, sync, cli, desktop and server tests built for Windows, run under Wine",
        wine.env(&mut cargo())
            .args([
                "test",
                "--target",
                TARGET,
                "-p",
                "quickreply-proto",
                "-p",
                "quickreply-core",
                "-p",
                "quickreply-sync",
                "-p",
                "quickreply-cli",
                "-p",
                "quickreply-desktop",
                "-p",
                "quickreply-server",
                "--no-fail-fast",
            ])
            // The PostgreSQL cluster the server's tests start is a set of Linux programs a
            // Windows process cannot run: under Wine the server's suite runs on SQLite.
            .env("QUICKREPLY_SKIP_PG", "1"),
    )?;
    eprintln!(
        "Windows suites under Wine: {:.0} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    run(
        "qreply.exe end to end under Wine (tests/windows.rs)",
        wine.env(&mut cargo()).args([
            "test",
            "-p",
            "quickreply-e2e",
            "--test",
            "windows",
            "--",
            "--ignored",
            "--test-threads",
            "1",
        ]),
    )?;
    eprintln!(
        "Windows end to end under Wine: {:.0} s",
        start.elapsed().as_secs_f64()
    );
    // The installers as a user meets them: setup.exe run silently under Wine, the
    // program run and uninstalled; the .deb installed into a throwaway root.
    let start = Instant::now();
    let setup = crate::dist::windows(true)?;
    let deb = crate::dist::linux(true)?;
    run(
        "installers: setup.exe under Wine, the .deb (tests/installers.rs)",
        wine.env(&mut cargo())
            .args([
                "test",
                "-p",
                "quickreply-e2e",
                "--test",
                "installers",
                "--",
                "--ignored",
                "--test-threads",
                "1",
            ])
            .env("QUICKREPLY_SETUP_EXE", setup)
            .env("QUICKREPLY_DEB", deb),
    )?;
    eprintln!("installers: {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// The test Wine: a prefix, a display and the explorer desktop, stopped on drop.
pub struct Wine {
    pub prefix: PathBuf,
    pub display: String,
    xvfb: Child,
    explorer: Option<Child>,
}

fn wine_cmd(prefix: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("LANG", LOCALE)
        .env("LC_ALL", LOCALE)
        .stdin(Stdio::null());
    c
}

/// `zh_CN.UTF-8` is generated (as root) when `locale -a` lacks it.
fn ensure_locale() -> Result<()> {
    let listed = || {
        Command::new("locale").arg("-a").output().is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.eq_ignore_ascii_case("zh_CN.utf8") || l == LOCALE)
        })
    };
    if listed() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "the locale {LOCALE} is missing: add it to /etc/locale.gen and run locale-gen as root"
        );
    }
    let gen_file = Path::new("/etc/locale.gen");
    let text = std::fs::read_to_string(gen_file).unwrap_or_default();
    let line = "zh_CN.UTF-8 UTF-8";
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.trim_start_matches(['#', ' ']) == line {
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    if !lines.iter().any(|l| l == line) {
        lines.push(line.to_string());
    }
    std::fs::write(gen_file, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", gen_file.display()))?;
    run("locale-gen zh_CN.UTF-8", &mut Command::new("locale-gen"))?;
    if !listed() {
        bail!("locale-gen ran but {LOCALE} is still not available");
    }
    Ok(())
}

impl Wine {
    /// `Ok(None)` (with a message) where Wine cannot be installed.
    pub fn prepare() -> Result<Option<Wine>> {
        if let Err(e) = ensure_packages(WINE_PACKAGES) {
            eprintln!(
                "skipped: Wine cannot be installed here ({e:#}); the Windows tests did not run"
            );
            return Ok(None);
        }
        if !have("wine") {
            eprintln!("skipped: `wine` is not on PATH; the Windows tests did not run");
            return Ok(None);
        }
        ensure_locale()?;
        let dir = root().join("target/wine");
        std::fs::create_dir_all(&dir)?;
        let shim = dir.join("bcryptprimitives.dll");
        run(
            "build the ProcessPrng shim (test tooling)",
            Command::new("x86_64-w64-mingw32-gcc")
                .args(["-shared", "-O2", "-o"])
                .arg(&shim)
                .arg(root().join("tests/windows/prng_shim.c"))
                .arg("-ladvapi32"),
        )?;
        let prefix = dir.join("prefix");
        let system32 = prefix.join("drive_c/windows/system32");
        if !system32.join("kernel32.dll").exists() {
            let t = Instant::now();
            let out = wine_cmd(&prefix, "wineboot")
                .arg("-i")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .context("cannot run wineboot")?;
            if !system32.join("kernel32.dll").exists() {
                bail!(
                    "wineboot -i did not make a Wine prefix in {} ({out})",
                    prefix.display()
                );
            }
            // wineboot returns while the prefix's first set-up may still run (it writes
            // the registry): wait until its wineserver has finished and gone.
            let _ = wine_cmd(&prefix, "wineserver").arg("-w").status();
            eprintln!("Wine prefix made in {:.1} s", t.elapsed().as_secs_f64());
        }
        std::fs::copy(&shim, system32.join("bcryptprimitives.dll"))
            .context("cannot put the shim into the prefix")?;
        // Every program in one virtual desktop, as on a Windows session: Wine manages
        // focus and the foreground window itself there, without an X window manager.
        for (key, name, value) in [
            ("HKCU\\Software\\Wine\\Explorer", "Desktop", "Default"),
            (
                "HKCU\\Software\\Wine\\Explorer\\Desktops",
                "Default",
                DESKTOP,
            ),
        ] {
            // A Wine that is still starting may refuse the first try (seen once in CI).
            let mut said = String::new();
            let ok = (0..5).any(|attempt| {
                if attempt > 0 {
                    std::thread::sleep(Duration::from_secs(2));
                }
                match wine_cmd(&prefix, "wine")
                    .args(["reg", "add", key, "/v", name, "/d", value, "/f"])
                    .output()
                {
                    Ok(o) if o.status.success() => true,
                    Ok(o) => {
                        said = format!("{}: {}", o.status, String::from_utf8_lossy(&o.stderr));
                        false
                    }
                    Err(e) => {
                        said = e.to_string();
                        false
                    }
                }
            });
            if !ok {
                bail!("cannot set {key}\\{name} in the Wine prefix ({said})");
            }
        }
        let (xvfb, display) = start_xvfb()?;
        let mut wine = Wine {
            prefix,
            display,
            xvfb,
            explorer: None,
        };
        let explorer = wine_cmd(&wine.prefix, "wine")
            .args(["explorer", &format!("/desktop=Default,{DESKTOP}")])
            .env("DISPLAY", &wine.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Wine's explorer")?;
        wine.explorer = Some(explorer);
        // The desktop window is there once the explorer runs; a short wait is enough
        // because every test waits for what it needs itself.
        std::thread::sleep(Duration::from_secs(2));
        Ok(Some(wine))
    }

    /// Point a command at this Wine: cargo's runner for Windows binaries, the prefix,
    /// the display and the Chinese locale; the Windows builds are the debug ones.
    pub fn env<'a>(&self, c: &'a mut Command) -> &'a mut Command {
        self.env_for(c, "debug")
    }

    /// [`Wine::env`] with the Windows builds of `profile` (`debug`, `release`).
    pub fn env_for<'a>(&self, c: &'a mut Command, profile: &str) -> &'a mut Command {
        c.env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", "wine")
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("DISPLAY", &self.display)
            .env("LANG", LOCALE)
            .env("LC_ALL", LOCALE)
            .env(
                "QUICKREPLY_WINDOWS_TARGET_DIR",
                root().join("target").join(TARGET).join(profile),
            )
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = wine_cmd(&self.prefix, "wineserver").arg("-k").status();
        if let Some(mut e) = self.explorer.take() {
            let _ = e.kill();
            let _ = e.wait();
        }
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// A private Xvfb that picks its own display number.
fn start_xvfb() -> Result<(Child, String)> {
    use std::io::BufRead;
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
    match line.trim().parse::<u32>() {
        Ok(n) => Ok((xvfb, format!(":{n}"))),
        Err(_) => {
            let _ = xvfb.kill();
            bail!("Xvfb did not say its display number: {line:?}")
        }
    }
}

/// `cargo xtask bench fire-windows`: the app's Windows hot path (`fire_harness`, release)
/// under Wine, hotkey → clipboard measured from the X side (`tests/benches/fire_windows.rs`).
pub fn bench_fire() -> Result<()> {
    if !toolchain_ready() {
        bail!("the Windows toolchain is needed for this benchmark");
    }
    crate::ensure_packages(&["xvfb"])?;
    run(
        "build fire_harness.exe (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "quickreply-desktop",
            "--example",
            "fire_harness",
            "--target",
            TARGET,
        ]),
    )?;
    let Some(wine) = Wine::prepare()? else {
        bail!("Wine is needed for this benchmark");
    };
    run(
        "bench fire-windows",
        wine.env_for(&mut cargo(), "release").args([
            "bench",
            "-p",
            "quickreply-e2e",
            "--bench",
            "fire_windows",
        ]),
    )
}
