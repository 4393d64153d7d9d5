//! The installers, tested from outside as a user would meet them:
//!
//! * the Debian package of `cargo xtask dist linux` (`QUICKREPLY_DEB`): its fields and
//!   files, then installed with dpkg into a throwaway root, run, and removed again;
//! * the Windows installer of `cargo xtask dist windows` (`QUICKREPLY_SETUP_EXE`), run
//!   silently under Wine in the prefix `WINEPREFIX`: what it installs and registers, the
//!   installed `qreply.exe` at work, the uninstaller keeping the replies, and a second
//!   round whose uninstaller removes them (`/REMOVEDATA`).
//!
//! Every test is `#[ignore]`d; run them with
//! `cargo test -p quickreply-e2e --test installers -- --ignored --nocapture` and the
//! variables set. A test whose installer (or Wine) is not there says so and passes.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use quickreply_e2e::wait_for;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn output(what: &str, cmd: &mut Command) -> Result<Output> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

fn stdout_of(what: &str, cmd: &mut Command) -> Result<String> {
    Ok(String::from_utf8_lossy(&output(what, cmd)?.stdout).into_owned())
}

fn input(var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("skipped: {var} is not set (build {what} and point {var} at it)");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Debian package

#[test]
#[ignore = "needs QUICKREPLY_DEB from `cargo xtask dist linux`"]
fn deb_package_has_the_app_and_installs_into_a_throwaway_root() -> Result<()> {
    let Some(deb) = input(
        "QUICKREPLY_DEB",
        "the .deb with `cargo xtask dist linux [--debug]`",
    ) else {
        return Ok(());
    };
    ensure!(deb.is_file(), "{} does not exist", deb.display());
    let started = Instant::now();

    // The control fields.
    let field = |name: &str| -> Result<String> {
        Ok(stdout_of(
            &format!("dpkg-deb --field {name}"),
            Command::new("dpkg-deb").arg("--field").arg(&deb).arg(name),
        )?
        .trim()
        .to_string())
    };
    assert_eq!(field("Package")?, "quickreply");
    assert_eq!(field("Version")?, VERSION.replacen('-', "~", 1));
    assert!(!field("Architecture")?.is_empty());
    let maintainer = field("Maintainer")?;
    assert!(maintainer.contains('@'), "Maintainer: {maintainer}");
    let description = field("Description")?;
    assert!(
        description.lines().count() > 2,
        "a short and a long description: {description}"
    );
    let depends = field("Depends")?;
    for dep in [
        "libc6",
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
        "libdbus-1-3",
    ] {
        assert!(
            depends
                .split([',', '|'])
                .any(|d| d.split_whitespace().next() == Some(dep)),
            "Depends lacks {dep}: {depends}"
        );
    }
    eprintln!("Depends: {depends}");

    // The files, owned by root, binaries executable.
    let contents = stdout_of(
        "dpkg-deb --contents",
        Command::new("dpkg-deb").arg("--contents").arg(&deb),
    )?;
    let entry = |path: &str| {
        contents
            .lines()
            .find(|l| l.split_whitespace().last() == Some(path))
            .map(str::to_string)
    };
    for bin in ["quickreply", "qreply", "quickreply-server"] {
        let line = entry(&format!("./usr/bin/{bin}"))
            .with_context(|| format!("no /usr/bin/{bin} in\n{contents}"))?;
        assert!(line.starts_with("-rwxr-xr-x root/root"), "{line}");
    }
    for file in [
        "./usr/share/applications/quickreply.desktop",
        "./usr/share/icons/hicolor/32x32/apps/quickreply.png",
        "./usr/share/icons/hicolor/128x128/apps/quickreply.png",
        "./usr/share/icons/hicolor/scalable/apps/quickreply.svg",
        "./usr/share/doc/quickreply/copyright",
    ] {
        let line = entry(file).with_context(|| format!("no {file} in\n{contents}"))?;
        assert!(line.starts_with("-rw-r--r-- root/root"), "{line}");
    }

    let tmp = tempfile::tempdir()?;
    let x = tmp.path().join("x");
    output(
        "dpkg-deb -x",
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x),
    )?;
    let desktop = std::fs::read_to_string(x.join("usr/share/applications/quickreply.desktop"))?;
    for line in [
        "[Desktop Entry]",
        "Type=Application",
        "Name=QuickReply",
        "Name[zh_CN]=快捷回复",
        "Exec=quickreply",
        "Icon=quickreply",
        "Terminal=false",
    ] {
        assert!(
            desktop.lines().any(|l| l == line),
            "{line} missing in\n{desktop}"
        );
    }
    for key in ["Comment=", "Comment[zh_CN]="] {
        assert!(
            desktop
                .lines()
                .any(|l| l.strip_prefix(key).is_some_and(|v| !v.is_empty())),
            "no {key} in\n{desktop}"
        );
    }
    for size in [32, 128] {
        let png = x.join(format!(
            "usr/share/icons/hicolor/{size}x{size}/apps/quickreply.png"
        ));
        assert_eq!(image::image_dimensions(&png)?, (size, size), "{png:?}");
    }
    let svg =
        std::fs::read_to_string(x.join("usr/share/icons/hicolor/scalable/apps/quickreply.svg"))?;
    assert!(svg.contains("<svg"), "not an SVG");

    // Install into a throwaway root: an empty dpkg database of its own, nothing outside.
    let root = tmp.path().join("root");
    let admin = root.join("var/lib/dpkg");
    for d in ["updates", "info", "triggers"] {
        std::fs::create_dir_all(admin.join(d))?;
    }
    std::fs::create_dir_all(root.join("var/log"))?;
    std::fs::write(admin.join("status"), "")?;
    std::fs::write(admin.join("available"), "")?;
    let dpkg = || {
        let mut c = Command::new("dpkg");
        c.arg(format!("--root={}", root.display()))
            .arg(format!("--log={}", root.join("var/log/dpkg.log").display()))
            .args(["--force-not-root", "--force-depends"]);
        c
    };
    output("dpkg -i", dpkg().arg("-i").arg(&deb))?;
    let status = stdout_of("dpkg -s", dpkg().args(["-s", "quickreply"]))?;
    assert!(status.contains("Status: install ok installed"), "{status}");
    let listed = stdout_of("dpkg -L", dpkg().args(["-L", "quickreply"]))?;
    assert!(listed.lines().any(|l| l == "/usr/bin/qreply"), "{listed}");

    // The installed programs run.
    let bin = root.join("usr/bin");
    for b in ["qreply", "quickreply-server", "quickreply"] {
        let v = stdout_of(
            &format!("{b} --version"),
            Command::new(bin.join(b)).arg("--version"),
        )?;
        assert!(v.contains(VERSION), "{b} --version: {v}");
    }
    let data = tmp.path().join("data");
    let qreply = || {
        let mut c = Command::new(bin.join("qreply"));
        c.arg("--data-dir")
            .arg(&data)
            .env_remove("QUICKREPLY_DATA_DIR")
            .env("QUICKREPLY_LANG", "zh-CN");
        c
    };
    output(
        "qreply builtin import zh-CN",
        qreply().args(["builtin", "import", "zh-CN"]),
    )?;
    let found = stdout_of("qreply search fh", qreply().args(["search", "fh"]))?;
    assert!(found.contains("发货"), "qreply search fh:\n{found}");
    assert!(data.join("quickreply.db").is_file());

    // And removed again.
    output("dpkg -r", dpkg().args(["-r", "quickreply"]))?;
    for b in ["quickreply", "qreply", "quickreply-server"] {
        assert!(!bin.join(b).exists(), "{b} is still there after dpkg -r");
    }
    assert!(
        !root
            .join("usr/share/applications/quickreply.desktop")
            .exists()
    );
    eprintln!(
        "deb: checked, installed, run and removed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Windows installer under Wine

/// The test prefix. Programs see no `QUICKREPLY_DATA_DIR` (they use the real
/// `%APPDATA%`), and winemenubuilder is off so that shortcuts do not become menu entries
/// of the Linux desktop.
struct Wine {
    prefix: PathBuf,
    scratch: tempfile::TempDir,
}

/// A value of a `reg export` file.
#[derive(Debug, PartialEq)]
enum Reg {
    Str(String),
    Dword(u32),
    Other(String),
}

impl Reg {
    fn str(&self) -> &str {
        match self {
            Reg::Str(s) => s,
            _ => "",
        }
    }
}

impl Wine {
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        let overrides = match std::env::var("WINEDLLOVERRIDES") {
            Ok(o) if !o.is_empty() => format!("{o};winemenubuilder.exe=d"),
            _ => "winemenubuilder.exe=d".to_string(),
        };
        c.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", overrides)
            .env_remove("QUICKREPLY_DATA_DIR")
            .env_remove("QUICKREPLY_LANG")
            .stdin(Stdio::null());
        c
    }

    fn wine(&self) -> Command {
        self.command("wine")
    }

    /// A variable as Windows programs see it.
    /// Asked up to three times: a Wine process starting on a loaded machine can fail
    /// without a word, and this is only a lookup.
    fn var(&self, name: &str) -> Result<String> {
        let what = format!("wine cmd /c echo %{name}%");
        let ask = || {
            stdout_of(
                &what,
                self.wine()
                    .args(["cmd", "/c", "echo", &format!("%{name}%")]),
            )
        };
        let out = ask().or_else(|_| ask()).or_else(|_| ask())?;
        let v = out.trim().to_string();
        ensure!(
            !v.is_empty() && !v.contains('%'),
            "%{name}% is not set in Wine"
        );
        Ok(v)
    }

    /// The Linux path of a Windows path on a drive of the prefix, read from the prefix's
    /// own drive links (`dosdevices/c:` → `../drive_c`, `z:` → `/`) rather than by
    /// starting `winepath`: one Wine process less per path, and no way for a slow or
    /// failing Wine start on a loaded machine (CI once saw `winepath -u` exit 1 with no
    /// output) to fail the test before it installs anything.
    fn unix(&self, windows: &str) -> Result<PathBuf> {
        let mut chars = windows.chars();
        let (Some(drive), Some(':')) = (chars.next(), chars.next()) else {
            bail!("{windows} is not a path on a drive");
        };
        ensure!(
            drive.is_ascii_alphabetic(),
            "{windows} is not a path on a drive"
        );
        let link = self
            .prefix
            .join("dosdevices")
            .join(format!("{}:", drive.to_ascii_lowercase()));
        ensure!(
            link.exists(),
            "drive {drive}: is not mapped in the Wine prefix ({} is missing)",
            link.display()
        );
        let mut path = link;
        path.extend(chars.as_str().split(['\\', '/']).filter(|c| !c.is_empty()));
        Ok(path)
    }

    /// The Windows path of a Linux path, through the prefix's `Z:` drive (the whole
    /// Linux file system in every prefix `wineboot` makes).
    fn windows(&self, unix: &Path) -> Result<String> {
        ensure!(
            self.prefix.join("dosdevices/z:").exists(),
            "the Wine prefix has no Z: drive for {}",
            unix.display()
        );
        let unix = std::path::absolute(unix)?;
        let text = unix
            .to_str()
            .with_context(|| format!("{} is not UTF-8", unix.display()))?;
        Ok(format!("Z:{}", text.replace('/', "\\")))
    }

    /// The values of a registry key (`None`: no such key), read through `reg export`,
    /// whose file is UTF-16 whatever the console's code page.
    fn reg(&self, key: &str) -> Result<Option<BTreeMap<String, Reg>>> {
        let file = self.scratch.path().join("export.reg");
        let _ = std::fs::remove_file(&file);
        let target = self.windows(&file)?;
        // `reg export` fails both for a key that is not there and, now and then, for a
        // Wine process that could not start on a loaded machine: asked three times
        // before the key counts as absent.
        let mut exported = false;
        for attempt in 0..3 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500));
            }
            let status = self
                .wine()
                .args(["reg", "export", key])
                .arg(&target)
                .arg("/y")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            if status.success() && file.exists() {
                exported = true;
                break;
            }
        }
        if !exported {
            return Ok(None);
        }
        let bytes = std::fs::read(&file)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = String::from_utf16(&units)?;
        Ok(Some(parse_reg_export(&text, key)?))
    }
}

/// The values of `key` (not of its subkeys) in a `.reg` file's text.
fn parse_reg_export(text: &str, key: &str) -> Result<BTreeMap<String, Reg>> {
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\\\r\n", "")
        .replace("\\\n", "");
    let mut values = BTreeMap::new();
    let mut in_key = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(k) = line.strip_prefix('[') {
            let k = k.trim_end_matches(']');
            in_key = k.eq_ignore_ascii_case(key)
                || k.split_once('\\').is_some_and(|(root, rest)| {
                    let short = match root {
                        "HKEY_CURRENT_USER" => "HKCU",
                        "HKEY_LOCAL_MACHINE" => "HKLM",
                        other => other,
                    };
                    format!("{short}\\{rest}").eq_ignore_ascii_case(key)
                });
            continue;
        }
        if !in_key || !line.starts_with('"') {
            continue;
        }
        let (name, rest) = quoted(line).with_context(|| format!("bad line {line:?}"))?;
        let rest = rest
            .strip_prefix('=')
            .with_context(|| format!("bad line {line:?}"))?;
        let value = if rest.starts_with('"') {
            Reg::Str(
                quoted(rest)
                    .with_context(|| format!("bad value {line:?}"))?
                    .0,
            )
        } else if let Some(hex) = rest.strip_prefix("dword:") {
            Reg::Dword(u32::from_str_radix(hex.trim(), 16)?)
        } else {
            Reg::Other(rest.to_string())
        };
        values.insert(name, value);
    }
    Ok(values)
}

/// `"a \"b\" c\\d"rest` → (`a "b" c\d`, `rest`).
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

/// The places the installer writes to, as Linux paths into the prefix.
struct Layout {
    inst_win: String,
    inst: PathBuf,
    start_menu_lnk: PathBuf,
    desktop_lnk: PathBuf,
    data: PathBuf,
}

const UNINSTALL_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\QuickReply";
const RUN_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";

impl Layout {
    fn of(wine: &Wine) -> Result<Layout> {
        let local = wine.var("LOCALAPPDATA")?;
        let appdata = wine.var("APPDATA")?;
        let profile = wine.unix(&wine.var("USERPROFILE")?)?;
        let inst_win = format!(r"{local}\Programs\QuickReply");
        // A new prefix links the Desktop folder to the Linux home; the test must not put
        // shortcuts there, so the prefix gets a Desktop folder of its own.
        let desktop = profile.join("Desktop");
        if desktop.is_symlink() {
            eprintln!(
                "note: {} links outside the prefix; making it a plain folder",
                desktop.display()
            );
            std::fs::remove_file(&desktop)?;
            std::fs::create_dir(&desktop)?;
        }
        let appdata_unix = wine.unix(&appdata)?;
        Ok(Layout {
            inst: wine.unix(&inst_win)?,
            inst_win,
            start_menu_lnk: appdata_unix
                .join("Microsoft/Windows/Start Menu/Programs/QuickReply.lnk"),
            desktop_lnk: desktop.join("QuickReply.lnk"),
            data: appdata_unix.join("quickreply"),
        })
    }
}

/// The running NSIS uninstallers of `inst_win` in this prefix: the uninstaller copies
/// itself to `%TEMP%` and runs from there (`… Un.exe /S _?=<install dir>\`) while the
/// program that was started returns at once. Wine processes show their Windows command
/// line in /proc.
fn uninstaller_running(prefix: &Path, inst_win: &str) -> bool {
    let needle = format!("_?={inst_win}").to_lowercase();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) else {
            return false;
        };
        let cmdline = String::from_utf8_lossy(&cmdline)
            .replace('\0', " ")
            .to_lowercase();
        if !cmdline.contains(&needle) {
            return false;
        }
        // Another prefix's uninstaller of the same path is not ours.
        let Ok(env) = std::fs::read(p.path().join("environ")) else {
            return true;
        };
        env.split(|b| *b == 0)
            .find_map(|kv| kv.strip_prefix(b"WINEPREFIX=".as_slice()))
            .is_none_or(|p| {
                let p = PathBuf::from(String::from_utf8_lossy(p).into_owned());
                std::fs::canonicalize(&p).unwrap_or(p) == prefix
            })
    })
}

fn run_installer(wine: &Wine, setup: &Path, args: &[&str]) -> Result<()> {
    let t = Instant::now();
    output(
        &format!("wine setup.exe {}", args.join(" ")),
        wine.wine().arg(setup).args(args),
    )?;
    eprintln!(
        "setup.exe {} took {:.1} s",
        args.join(" "),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_uninstaller(wine: &Wine, l: &Layout, args: &[&str]) -> Result<()> {
    let t = Instant::now();
    output(
        &format!("wine uninstall.exe {}", args.join(" ")),
        wine.wine().arg(l.inst.join("uninstall.exe")).args(args),
    )?;
    wait_for(
        "the uninstaller to finish",
        Duration::from_secs(120),
        || {
            (!uninstaller_running(&wine.prefix, &l.inst_win)
                && !l.inst.join("uninstall.exe").exists())
            .then_some(())
        },
    )?;
    eprintln!(
        "uninstall.exe {} took {:.1} s",
        args.join(" "),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn qreply(wine: &Wine, l: &Layout, args: &[&str]) -> Result<String> {
    stdout_of(
        &format!("qreply.exe {}", args.join(" ")),
        wine.wine().arg(l.inst.join("qreply.exe")).args(args),
    )
}

/// Everything the installer put in place, with or without the desktop shortcut and
/// start at login.
fn check_installed(wine: &Wine, l: &Layout, desktop: bool, autostart: bool) -> Result<()> {
    for f in [
        "quickreply.exe",
        "qreply.exe",
        "uninstall.exe",
        "WebView2Loader.dll",
    ] {
        assert!(
            l.inst.join(f).is_file(),
            "{f} is not in {}",
            l.inst.display()
        );
    }
    assert!(
        l.start_menu_lnk.is_file(),
        "no {}",
        l.start_menu_lnk.display()
    );
    assert_eq!(
        l.desktop_lnk.is_file(),
        desktop,
        "{}",
        l.desktop_lnk.display()
    );

    let u = wine
        .reg(UNINSTALL_KEY)?
        .context("no uninstall entry in the registry")?;
    eprintln!("uninstall entry: {u:?}");
    let exe = format!(r"{}\quickreply.exe", l.inst_win);
    let uninstaller = format!(r#""{}\uninstall.exe""#, l.inst_win);
    let eq = |name: &str, want: &str| {
        let got = u.get(name).map(Reg::str).unwrap_or_default();
        assert!(
            got.eq_ignore_ascii_case(want),
            "{name}: {got:?}, want {want:?}"
        );
    };
    assert!(
        u.get("DisplayName")
            .is_some_and(|v| v.str().starts_with("QuickReply")),
        "DisplayName"
    );
    eq("DisplayVersion", VERSION);
    assert!(u.get("Publisher").is_some_and(|v| !v.str().is_empty()));
    eq("DisplayIcon", &format!("{exe},0"));
    eq("UninstallString", &uninstaller);
    eq("QuietUninstallString", &format!("{uninstaller} /S"));
    eq("InstallLocation", &l.inst_win);
    assert_eq!(u.get("NoModify"), Some(&Reg::Dword(1)));
    assert_eq!(u.get("NoRepair"), Some(&Reg::Dword(1)));
    let size_kib: u64 = std::fs::read_dir(&l.inst)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum::<u64>()
        / 1024;
    match u.get("EstimatedSize") {
        Some(Reg::Dword(kib)) => assert!(
            u64::from(*kib).abs_diff(size_kib) <= size_kib / 10 + 8,
            "EstimatedSize {kib} KiB, the files have {size_kib} KiB"
        ),
        other => panic!("EstimatedSize: {other:?}"),
    }

    // Start at login: the value tauri-plugin-autostart (auto-launch) writes.
    let run = wine.reg(RUN_KEY)?.unwrap_or_default();
    match run.get("QuickReply") {
        Some(Reg::Str(v)) if autostart => {
            let want = format!("{exe} --hidden");
            assert!(v.eq_ignore_ascii_case(&want), "Run: {v:?}, want {want:?}");
        }
        None if !autostart => {}
        other => panic!("Run\\QuickReply: {other:?} (start at login {autostart})"),
    }
    Ok(())
}

/// Nothing of the program is left; the replies are kept or not.
fn check_uninstalled(wine: &Wine, l: &Layout, data_kept: bool) -> Result<()> {
    assert!(!l.inst.exists(), "{} is still there", l.inst.display());
    assert!(
        !l.start_menu_lnk.exists(),
        "{} is still there",
        l.start_menu_lnk.display()
    );
    assert!(
        !l.desktop_lnk.exists(),
        "{} is still there",
        l.desktop_lnk.display()
    );
    assert!(
        wine.reg(UNINSTALL_KEY)?.is_none(),
        "the uninstall entry is still there"
    );
    let run = wine.reg(RUN_KEY)?.unwrap_or_default();
    assert!(
        !run.contains_key("QuickReply"),
        "start at login is still on: {run:?}"
    );
    let db = l.data.join("data").join("quickreply.db");
    if data_kept {
        assert!(
            db.is_file(),
            "the replies were deleted: no {}",
            db.display()
        );
    } else {
        assert!(!l.data.exists(), "{} is still there", l.data.display());
    }
    Ok(())
}

#[test]
#[ignore = "needs QUICKREPLY_SETUP_EXE from `cargo xtask dist windows`, Wine and WINEPREFIX"]
fn windows_installer_installs_runs_and_uninstalls_keeping_the_data() -> Result<()> {
    let Some(setup) = input(
        "QUICKREPLY_SETUP_EXE",
        "the installer with `cargo xtask dist windows [--debug]`",
    ) else {
        return Ok(());
    };
    ensure!(setup.is_file(), "{} does not exist", setup.display());
    if !Command::new("wine")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipped: wine is not installed");
        return Ok(());
    }
    let Some(prefix) = input("WINEPREFIX", "a Wine prefix (wineboot -i)") else {
        return Ok(());
    };
    ensure!(
        prefix.join("drive_c/windows/system32").is_dir(),
        "{} is not a Wine prefix (make one with wineboot -i)",
        prefix.display()
    );
    let started = Instant::now();
    let wine = Wine {
        prefix: std::fs::canonicalize(&prefix)?,
        scratch: tempfile::tempdir()?,
    };
    let l = Layout::of(&wine)?;
    eprintln!("installing into {} ({})", l.inst_win, l.inst.display());

    // A clean start: what an earlier run left is removed.
    if l.inst.join("uninstall.exe").exists() {
        eprintln!("note: QuickReply is installed in the prefix; uninstalling it first");
        run_uninstaller(&wine, &l, &["/S", "/REMOVEDATA"])?;
    }
    if l.data.exists() {
        eprintln!("note: removing the earlier replies in {}", l.data.display());
        std::fs::remove_dir_all(&l.data)?;
    }

    // 1. Install with start at login (the desktop shortcut is on by default).
    run_installer(&wine, &setup, &["/S", "/AUTOSTART"])?;
    check_installed(&wine, &l, true, true)?;

    // The installed programs start (quickreply.exe finds every DLL it imports; the
    // panel itself needs WebView2, which Wine lacks) and qreply works in %APPDATA%.
    let v = stdout_of(
        "quickreply.exe --version",
        wine.wine()
            .arg(l.inst.join("quickreply.exe"))
            .arg("--version"),
    )?;
    eprintln!("quickreply.exe --version: {}", v.trim());
    let v = qreply(&wine, &l, &["--version"])?;
    assert!(v.contains(VERSION), "qreply.exe --version: {v}");
    qreply(&wine, &l, &["builtin", "import", "zh-CN"])?;
    let found = qreply(&wine, &l, &["search", "fh"])?;
    assert!(found.contains("发货"), "qreply.exe search fh:\n{found}");
    let db = l.data.join("data").join("quickreply.db");
    assert!(
        db.is_file(),
        "qreply.exe did not use %APPDATA%: no {}",
        db.display()
    );

    // 2. Uninstall: the program goes, the replies stay.
    run_uninstaller(&wine, &l, &["/S"])?;
    check_uninstalled(&wine, &l, true)?;

    // 3. Install again without the desktop shortcut: the kept replies are there.
    run_installer(&wine, &setup, &["/S", "/NODESKTOP"])?;
    check_installed(&wine, &l, false, false)?;
    let found = qreply(&wine, &l, &["search", "fh"])?;
    assert!(
        found.contains("发货"),
        "the kept replies are gone:\n{found}"
    );

    // 4. Uninstall with /REMOVEDATA (同时删除我的话术和设置): nothing is left.
    run_uninstaller(&wine, &l, &["/S", "/REMOVEDATA"])?;
    check_uninstalled(&wine, &l, false)?;
    eprintln!(
        "Windows installer: two installs and uninstalls in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[test]
#[ignore = "runs with the other installer tests"]
fn reg_export_files_are_read() -> Result<()> {
    let text = "\u{feff}Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n\
        \"QuickReply\"=\"C:\\\\users\\\\a b\\\\quickreply.exe --hidden\"\r\n\
        \"Quoted\"=\"\\\"x\\\" /S\"\r\n\
        \"Size\"=dword:0000012c\r\n\
        \"Bin\"=hex:02,00,\\\r\n  00\r\n\r\n\
        [HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Sub]\r\n\
        \"Other\"=\"no\"\r\n";
    let v = parse_reg_export(text, RUN_KEY)?;
    assert_eq!(
        v.get("QuickReply"),
        Some(&Reg::Str(r"C:\users\a b\quickreply.exe --hidden".into()))
    );
    assert_eq!(v.get("Quoted"), Some(&Reg::Str(r#""x" /S"#.into())));
    assert_eq!(v.get("Size"), Some(&Reg::Dword(300)));
    assert_eq!(v.get("Bin"), Some(&Reg::Other("hex:02,00,  00".into())));
    assert!(!v.contains_key("Other"));
    Ok(())
}
