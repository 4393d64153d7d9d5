//! `cargo xtask dist <windows|linux> [--debug]`: installers in `target/dist/`.
//!
//! * `windows` — `QuickReply-<version>-setup.exe`: the desktop app and `qreply` built for
//!   `x86_64-pc-windows-gnu`, the DLLs they import that Windows does not have
//!   (`WebView2Loader.dll`: webview2-com-sys 0.38 links it dynamically where the target is
//!   not msvc — `link(name = "WebView2Loader.dll")` in its src/lib.rs — and tauri-build 2.6
//!   copies it from that crate's build output beside the exe), packed by makensis with
//!   `packaging/windows/installer.nsi`.
//! * `linux` — `quickreply_<version>_<arch>.deb`: `quickreply`, `qreply` and
//!   `quickreply-server` in `/usr/bin`, the menu entry and the icons, `Depends` from
//!   `dpkg-shlibdeps` plus what the app loads at run time; `dpkg-deb --root-owner-group`.
//!
//! Release builds; `--debug` packs the debug builds instead (faster, for CI; the Windows
//! installer then says "debug build" in its branding line and compresses with zlib).
//! The version is the workspace's (`[workspace.package]` in `Cargo.toml`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::mingw::{TARGET as WINDOWS_TARGET, toolchain_ready};
use crate::{APP_PACKAGES, build_ui, cargo, ensure_packages, have, root, run};

const USAGE: &str = "usage: cargo xtask dist <windows|linux> [--debug]";

pub fn dist(args: &[String]) -> Result<()> {
    let mut debug = false;
    let mut what = None;
    for a in args {
        match a.as_str() {
            "--debug" => debug = true,
            "windows" | "linux" if what.is_none() => what = Some(a.as_str()),
            other => bail!("unexpected argument {other:?}; {USAGE}"),
        }
    }
    let start = Instant::now();
    let out = match what {
        Some("windows") => windows(debug)?,
        Some("linux") => linux(debug)?,
        _ => bail!("{USAGE}"),
    };
    eprintln!(
        "\x1b[1;32mdone\x1b[0m in {:.0} s: {}",
        start.elapsed().as_secs_f64(),
        out.display()
    );
    // The path alone on stdout, for scripts.
    println!("{}", out.display());
    Ok(())
}

/// Cargo's target directory (`CARGO_TARGET_DIR` is honoured like cargo does).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root().join(d),
        _ => root().join("target"),
    }
}

fn profile(debug: bool) -> &'static str {
    if debug { "debug" } else { "release" }
}

/// `version = "…"` of `[workspace.package]` in the workspace's `Cargo.toml`.
fn workspace_version() -> Result<String> {
    let path = root().join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    version_in(&text)
        .with_context(|| format!("no [workspace.package] version in {}", path.display()))
}

fn version_in(cargo_toml: &str) -> Option<String> {
    let mut in_section = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some(rest) = line.strip_prefix("version")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let v = value.trim().trim_matches('"');
            return (!v.is_empty()).then(|| v.to_string());
        }
    }
    None
}

/// The four numbers Windows version resources want: `1.2.3-beta.1` → `1.2.3.0`.
fn version_quad(version: &str) -> Result<String> {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let mut parts: Vec<u16> = Vec::new();
    for p in core.split('.') {
        parts
            .push(p.parse().with_context(|| {
                format!("version {version}: {p:?} is not a number up to 65535")
            })?);
    }
    if parts.is_empty() || parts.len() > 4 {
        bail!("version {version} does not have one to four numbers");
    }
    parts.resize(4, 0);
    Ok(parts
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// A Debian version: a pre-release sorts before its release (`1.0.0-rc.1` → `1.0.0~rc.1`).
fn debian_version(version: &str) -> String {
    version.replacen('-', "~", 1)
}

/// Empty `dir` (made if missing).
fn fresh_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot empty {}", dir.display())),
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot make {}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn output_of(what: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("could not start {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

// ---------------------------------------------------------------------------------------
// Windows

/// Build the Windows installer; its path.
pub(crate) fn windows(debug: bool) -> Result<PathBuf> {
    let version = workspace_version()?;
    let quad = version_quad(&version)?;
    if !toolchain_ready() {
        bail!("the Windows installer cannot be built here (see above)");
    }
    ensure_packages(&["nsis"])?;
    if !have("makensis") {
        bail!("makensis is missing (Debian package nsis)");
    }
    build_ui()?;
    let mut build = cargo();
    build.args([
        "build",
        "-p",
        "quickreply",
        "-p",
        "quickreply-cli",
        "--bins",
        "--target",
        WINDOWS_TARGET,
    ]);
    if !debug {
        build.arg("--release");
    }
    run(
        &format!(
            "build the desktop app and qreply for Windows ({})",
            profile(debug)
        ),
        &mut build,
    )?;

    let bin = target_dir().join(WINDOWS_TARGET).join(profile(debug));
    let dist = target_dir().join("dist");
    let stage = dist.join("windows");
    fresh_dir(&stage)?;
    let mut files = Vec::new();
    for exe in ["quickreply.exe", "qreply.exe"] {
        copy(&bin.join(exe), &stage.join(exe))?;
        files.push(exe.to_string());
    }
    for dll in private_dlls(
        &bin,
        &[&bin.join("quickreply.exe"), &bin.join("qreply.exe")],
    )? {
        let name = dll
            .file_name()
            .and_then(|n| n.to_str())
            .context("a DLL without a name")?
            .to_string();
        eprintln!("shipping {name} (from {})", dll.display());
        copy(&dll, &stage.join(&name))?;
        files.push(name);
    }

    // The files the installer installs and the uninstaller deletes, as NSIS macros.
    let nsis_path = |p: &Path| p.display().to_string().replace('$', "$$");
    let mut nsh = String::from("; written by cargo xtask dist windows\n!macro QR_INSTALL_FILES\n");
    for f in &files {
        writeln!(nsh, "  File \"{}\"", nsis_path(&stage.join(f)))?;
    }
    nsh.push_str("!macroend\n!macro QR_DELETE_FILES\n");
    for f in &files {
        writeln!(nsh, "  Delete \"$INSTDIR\\{f}\"")?;
    }
    nsh.push_str("!macroend\n");
    let files_nsh = dist.join("windows-files.nsh");
    std::fs::write(&files_nsh, nsh)
        .with_context(|| format!("cannot write {}", files_nsh.display()))?;

    let out = dist.join(format!("QuickReply-{version}-setup.exe"));
    let mut makensis = Command::new("makensis");
    makensis
        .current_dir(root())
        .args(["-V2", "-WX", "-INPUTCHARSET", "UTF8"])
        .arg(format!("-DVERSION={version}"))
        .arg(format!("-DVERSION_QUAD={quad}"))
        .arg(format!("-DFILES_NSH={}", files_nsh.display()))
        .arg(format!(
            "-DICON={}",
            root().join("src-tauri/icons/icon.ico").display()
        ))
        .arg(format!("-DOUTFILE={}", out.display()));
    if debug {
        makensis.args(["-DCOMPRESSOR=zlib", "-DBUILD_NOTE=debug build"]);
    }
    makensis.arg(root().join("packaging/windows/installer.nsi"));
    run("makensis", &mut makensis)?;
    Ok(out)
}

/// The DLLs `exes` import that do not come with Windows, found in the build output (its
/// own directory, then the build scripts' `out/` directories, where webview2-com-sys
/// leaves `WebView2Loader.dll`) or in the MinGW runtime. What is found nowhere is taken
/// for a Windows DLL — except `WebView2Loader.dll`, which must be found.
fn private_dlls(bin: &Path, exes: &[&Path]) -> Result<Vec<PathBuf>> {
    const OBJDUMP: &str = "x86_64-w64-mingw32-objdump";
    let mut imported: Vec<String> = Vec::new();
    for exe in exes {
        let dump = output_of(
            &format!("{OBJDUMP} -p {}", exe.display()),
            Command::new(OBJDUMP).arg("-p").arg(exe),
        )?;
        for line in dump.lines() {
            if let Some(name) = line.trim().strip_prefix("DLL Name:") {
                let name = name.trim().to_string();
                if !imported.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    imported.push(name);
                }
            }
        }
    }
    let mut search: Vec<PathBuf> = vec![bin.to_path_buf()];
    // webview2-com-sys copies its DLLs to OUT_DIR/<arch>/; newest build first.
    let mut outs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(bin.join("build"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("out").join("x64"))
        .filter(|p| p.is_dir())
        .map(|p| {
            let t = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (t, p)
        })
        .collect();
    outs.sort_by_key(|o| std::cmp::Reverse(o.0));
    search.extend(outs.into_iter().map(|(_, p)| p));
    let mut gcc: Vec<PathBuf> = std::fs::read_dir("/usr/lib/gcc/x86_64-w64-mingw32")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    gcc.sort();
    search.extend(gcc.into_iter().rev());
    search.push(PathBuf::from("/usr/x86_64-w64-mingw32/lib"));

    let mut found = Vec::new();
    let mut system = Vec::new();
    for name in &imported {
        let hit = search.iter().find_map(|dir| {
            std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
                let n = e.file_name();
                n.to_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    .then(|| e.path())
            })
        });
        match hit {
            Some(p) => found.push(p),
            None if name.eq_ignore_ascii_case("WebView2Loader.dll") => bail!(
                "the desktop app imports WebView2Loader.dll but it is not in {} or its build/*/out/x64",
                bin.display()
            ),
            None => system.push(name.as_str()),
        }
    }
    eprintln!("Windows DLLs (not shipped): {}", system.join(" "));
    Ok(found)
}

// ---------------------------------------------------------------------------------------
// Linux

/// Shared libraries the desktop app opens at run time (so dpkg-shlibdeps cannot see
/// them): the tray icon's appindicator (libappindicator-sys dlopens either).
const RUNTIME_DEPENDS: &[&str] = &["libayatana-appindicator3-1 | libappindicator3-1"];
/// Used when dpkg-shlibdeps cannot run: the packages of the libraries the binaries link
/// (`objdump -p … | grep NEEDED`; x11rb speaks X11 itself, the keyring needs D-Bus).
const DECLARED_DEPENDS: &[&str] = &[
    "libc6",
    "libgcc-s1",
    "libdbus-1-3",
    "libwebkit2gtk-4.1-0",
    "libjavascriptcoregtk-4.1-0",
    "libsoup-3.0-0",
    "libgtk-3-0",
    "libgdk-pixbuf-2.0-0",
    "libglib2.0-0",
    "libcairo2",
];

const CONTROL_DESCRIPTION: &str = "\
Description: customer-service quick replies, one key away (快捷回复)
 QuickReply keeps customer-service replies (text, images, or a sequence of
 both) in a personal library and in team libraries, finds them by Chinese,
 pinyin, initials or shortcut code, fills in variables and puts them on the
 clipboard or pastes them into the chat window.
 .
 This package holds the desktop panel (quickreply), the command line (qreply)
 and the self-hosted team sync server (quickreply-server).
";

/// Build the Debian package; its path.
pub(crate) fn linux(debug: bool) -> Result<PathBuf> {
    let version = workspace_version()?;
    ensure_packages(APP_PACKAGES)?;
    // dpkg-shlibdeps (dpkg-deb itself comes with dpkg).
    if let Err(e) = ensure_packages(&["dpkg-dev"]) {
        eprintln!("note: dpkg-dev cannot be installed ({e:#}); Depends will be the declared list");
    }
    if !have("dpkg-deb") {
        bail!("dpkg-deb is missing (Debian package dpkg)");
    }
    build_ui()?;
    let mut build = cargo();
    build.args([
        "build",
        "-p",
        "quickreply",
        "-p",
        "quickreply-cli",
        "-p",
        "quickreply-server",
        "--bins",
    ]);
    if !debug {
        build.arg("--release");
    }
    run(
        &format!(
            "build quickreply, qreply and quickreply-server ({})",
            profile(debug)
        ),
        &mut build,
    )?;

    let arch = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "amd64".into());
    let deb_version = debian_version(&version);
    let bin = target_dir().join(profile(debug));
    let dist = target_dir().join("dist");
    let pkg = dist
        .join("deb")
        .join(format!("quickreply_{deb_version}_{arch}"));
    fresh_dir(&pkg)?;

    let binaries = ["quickreply", "qreply", "quickreply-server"];
    for b in binaries {
        put(&bin.join(b), &pkg.join("usr/bin").join(b), 0o755)?;
    }
    let icons = root().join("src-tauri/icons");
    let packaging = root().join("packaging/linux");
    put(
        &packaging.join("quickreply.desktop"),
        &pkg.join("usr/share/applications/quickreply.desktop"),
        0o644,
    )?;
    for (file, size) in [
        ("32x32.png", "32x32"),
        ("128x128.png", "128x128"),
        ("icon.png", "256x256"),
    ] {
        put(
            &icons.join(file),
            &pkg.join(format!(
                "usr/share/icons/hicolor/{size}/apps/quickreply.png"
            )),
            0o644,
        )?;
    }
    put(
        &icons.join("icon.svg"),
        &pkg.join("usr/share/icons/hicolor/scalable/apps/quickreply.svg"),
        0o644,
    )?;
    put(
        &packaging.join("copyright"),
        &pkg.join("usr/share/doc/quickreply/copyright"),
        0o644,
    )?;

    let depends = depends(&pkg, &binaries)?;
    let installed_kib = dir_size(&pkg)?.div_ceil(1024);
    let control = format!(
        "Package: quickreply\n\
         Version: {deb_version}\n\
         Architecture: {arch}\n\
         Maintainer: QuickReply maintainers <quickreply@example.invalid>\n\
         Installed-Size: {installed_kib}\n\
         Depends: {depends}\n\
         Section: utils\n\
         Priority: optional\n\
         {CONTROL_DESCRIPTION}"
    );
    let debian = pkg.join("DEBIAN");
    std::fs::create_dir_all(&debian)?;
    std::fs::write(debian.join("control"), control)?;
    set_mode(&debian.join("control"), 0o644)?;
    set_dir_modes(&pkg)?;

    let out = dist.join(format!("quickreply_{deb_version}_{arch}.deb"));
    let mut deb = Command::new("dpkg-deb");
    deb.arg("--root-owner-group");
    if debug {
        deb.args(["-Zgzip", "-z1"]);
    } else {
        deb.arg("-Zxz");
    }
    deb.arg("--build").arg(&pkg).arg(&out);
    run("dpkg-deb --build", &mut deb)?;
    Ok(out)
}

/// Copy with a given mode (a release binary is stripped of debug info by the profile).
fn put(from: &Path, to: &Path, mode: u32) -> Result<()> {
    copy(from, to)?;
    set_mode(to, mode)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot chmod {}", path.display()))
}

/// Every directory 0755, whatever the umask.
fn set_dir_modes(dir: &Path) -> Result<()> {
    set_mode(dir, 0o755)?;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            set_dir_modes(&e.path())?;
        }
    }
    Ok(())
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let meta = e.metadata()?;
        total += if meta.is_dir() {
            dir_size(&e.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// `Depends`: dpkg-shlibdeps over the binaries (it needs a `debian/control`, so it runs
/// in a scratch directory that has one), then what is opened at run time.
fn depends(pkg: &Path, binaries: &[&str]) -> Result<String> {
    let computed = shlibdeps(pkg, binaries);
    let mut list: Vec<String> = match computed {
        Ok(list) => list,
        Err(e) => {
            eprintln!(
                "warning: dpkg-shlibdeps did not work ({e:#}); using the declared dependencies"
            );
            DECLARED_DEPENDS.iter().map(|s| s.to_string()).collect()
        }
    };
    let name_of = |dep: &str| dep.split([' ', '(']).next().unwrap_or_default().to_string();
    for extra in RUNTIME_DEPENDS {
        let first = name_of(extra);
        if !list.iter().any(|d| name_of(d) == first) {
            list.push(extra.to_string());
        }
    }
    Ok(list.join(", "))
}

fn shlibdeps(pkg: &Path, binaries: &[&str]) -> Result<Vec<String>> {
    if !have("dpkg-shlibdeps") {
        bail!("dpkg-shlibdeps is missing (Debian package dpkg-dev)");
    }
    let scratch = pkg
        .parent()
        .context("the package directory has no parent")?
        .join("shlibdeps");
    fresh_dir(&scratch.join("debian"))?;
    std::fs::write(
        scratch.join("debian/control"),
        "Source: quickreply\n\nPackage: quickreply\nArchitecture: any\n",
    )?;
    let mut cmd = Command::new("dpkg-shlibdeps");
    cmd.current_dir(&scratch).arg("-O");
    for b in binaries {
        let mut arg = std::ffi::OsString::from("-e");
        arg.push(pkg.join("usr/bin").join(b));
        cmd.arg(arg);
    }
    let out = output_of("dpkg-shlibdeps", &mut cmd)?;
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .context("dpkg-shlibdeps printed no shlibs:Depends")?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(line
        .split(',')
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_version_is_read_from_its_section() {
        let toml = "[workspace]\nmembers = []\nversion = \"9.9.9\"\n\n[workspace.package]\nedition = \"2024\"\nversion = \"1.2.3-rc.1\"\n\n[dependencies]\nversion = \"0\"\n";
        assert_eq!(version_in(toml).as_deref(), Some("1.2.3-rc.1"));
        assert_eq!(version_in("[package]\nversion = \"1\"\n"), None);
    }

    #[test]
    fn versions_for_windows_and_debian() -> Result<()> {
        assert_eq!(version_quad("0.1.0")?, "0.1.0.0");
        assert_eq!(version_quad("1.2.3-beta.1+abc")?, "1.2.3.0");
        assert!(version_quad("1.x").is_err());
        assert!(version_quad("1.2.3.4.5").is_err());
        assert_eq!(debian_version("1.0.0-rc.1"), "1.0.0~rc.1");
        assert_eq!(debian_version("0.1.0"), "0.1.0");
        Ok(())
    }

    #[test]
    fn the_real_workspace_has_a_version() -> Result<()> {
        let v = workspace_version()?;
        version_quad(&v)?;
        Ok(())
    }
}
