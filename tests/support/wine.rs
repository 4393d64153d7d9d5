//! Windows programs under Wine, driven from the Linux side (`tests/windows.rs`).
//!
//! `cargo xtask test` (leg 7) prepares the environment and passes it in: `WINEPREFIX` (a
//! prefix with the test-only `ProcessPrng` shim in its system32), `DISPLAY` (a private
//! Xvfb on which Wine's explorer desktop runs, so that clipboard content outlives the
//! program that set it, as on Windows), a Chinese locale (code page 936), and
//! `QUICKREPLY_WINDOWS_TARGET_DIR` (where the Windows builds are). Run the leg alone with
//! `cargo xtask test --leg 7`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};

/// The Wine the leg prepared.
#[derive(Debug)]
pub struct Wine {
    pub prefix: PathBuf,
    pub display: String,
    /// `target/x86_64-pc-windows-gnu/debug`.
    pub bin_dir: PathBuf,
}

impl Wine {
    /// The environment of `cargo xtask test --leg 7`, or an error saying to use it.
    pub fn from_env() -> Result<Wine> {
        let var = |k: &str| {
            std::env::var_os(k).with_context(|| {
                format!("{k} is not set: run these tests through `cargo xtask test --leg 7`, which prepares Wine")
            })
        };
        let w = Wine {
            prefix: PathBuf::from(var("WINEPREFIX")?),
            display: var("DISPLAY")?.to_string_lossy().into_owned(),
            bin_dir: PathBuf::from(var("QUICKREPLY_WINDOWS_TARGET_DIR")?),
        };
        if !w.prefix.join("drive_c/windows/system32").is_dir() {
            bail!("{} is not a Wine prefix", w.prefix.display());
        }
        Ok(w)
    }

    /// A Windows program of the build, e.g. `qreply.exe`.
    pub fn exe(&self, name: &str) -> Result<PathBuf> {
        let p = self.bin_dir.join(name);
        if !p.exists() {
            bail!(
                "{} is missing: build it with `cargo build --target x86_64-pc-windows-gnu`",
                p.display()
            );
        }
        Ok(p)
    }

    /// A command that runs `exe` under this Wine.
    pub fn command(&self, exe: &Path) -> Command {
        let mut c = Command::new("wine");
        c.arg(exe)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null());
        c
    }

    /// Run `exe` with `args`; its output (Rust programs write UTF-8 to pipes).
    pub fn run<I, S>(&self, exe: &Path, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command(exe)
            .args(args)
            .output()
            .with_context(|| format!("cannot run wine {}", exe.display()))
    }

    /// Run and require exit code 0; its standard output.
    pub fn ok<I, S>(&self, exe: &Path, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run(exe, args)?;
        if !out.status.success() {
            bail!(
                "{} failed ({}): {}{}",
                exe.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Run an X-side program on this Wine's display (xclip, xdotool).
    pub fn x(&self, program: &str, args: &[&str]) -> Result<Vec<u8>> {
        crate::run_on(&self.display, program, args)
    }

    /// The X clipboard's text once it contains `needle` (what a program just set).
    pub fn clipboard_text_with(&self, needle: &str) -> Result<String> {
        crate::wait_for(
            "the text on the X clipboard",
            std::time::Duration::from_secs(10),
            || {
                self.clipboard("UTF8_STRING")
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .filter(|t| t.contains(needle))
            },
        )
    }

    /// The types the X clipboard offers now (`TARGETS`).
    pub fn clipboard_targets(&self) -> Result<Vec<String>> {
        let t = crate::run_on_within(
            &self.display,
            "xclip",
            &["-selection", "clipboard", "-t", "TARGETS", "-o"],
            std::time::Duration::from_secs(10),
        )?;
        Ok(String::from_utf8_lossy(&t)
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// The X clipboard's content of type `target`. A read that hangs (the owner changed
    /// hands while it asked) is given up after 10 s and asked again, three times.
    pub fn clipboard(&self, target: &str) -> Result<Vec<u8>> {
        let args = ["-selection", "clipboard", "-t", target, "-o"];
        let read = || {
            crate::run_on_within(
                &self.display,
                "xclip",
                &args,
                std::time::Duration::from_secs(10),
            )
        };
        read().or_else(|_| read()).or_else(|_| read())
    }
}

/// A Unix path as the Windows program sees it (Wine maps `/` to drive `Z:`).
pub fn windows_path(p: &Path) -> String {
    format!("Z:{}", p.to_string_lossy().replace('/', "\\"))
}
