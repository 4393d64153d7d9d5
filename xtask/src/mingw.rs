//! The Windows target of the builds: the Rust target `x86_64-pc-windows-gnu` and the
//! MinGW toolchain it links with (tauri-build also runs windres). Shared by the Windows
//! leg (`windows.rs`) and the installer (`dist.rs`).

use std::process::Command;

use crate::{ensure_packages, have};

pub const TARGET: &str = "x86_64-pc-windows-gnu";
/// The MinGW linker toolchain (tauri-build runs windres).
const MINGW_PACKAGES: &[&str] = &["gcc-mingw-w64-x86-64", "binutils-mingw-w64-x86-64"];

/// The Rust target and MinGW, or a message saying why the leg is skipped.
pub fn toolchain_ready() -> bool {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(TARGET));
    if !installed
        && !Command::new("rustup")
            .args(["target", "add", TARGET])
            .status()
            .is_ok_and(|s| s.success())
    {
        eprintln!("skipped: the Rust target {TARGET} cannot be installed here");
        return false;
    }
    if let Err(e) = ensure_packages(MINGW_PACKAGES) {
        eprintln!("skipped: the MinGW toolchain cannot be installed here ({e:#})");
        return false;
    }
    if !have("x86_64-w64-mingw32-windres") || !have("x86_64-w64-mingw32-gcc") {
        eprintln!("skipped: the MinGW toolchain (x86_64-w64-mingw32-gcc, -windres) is missing");
        return false;
    }
    true
}
