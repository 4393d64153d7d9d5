//! Helpers for tests that run the real `qreply` binary.
#![allow(dead_code)]
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Qr {
    pub dir: tempfile::TempDir,
    pub display: Option<String>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Qr {
    pub fn new() -> Qr {
        Qr {
            dir: tempfile::tempdir().expect("tempdir"),
            display: None,
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(env!("CARGO_BIN_EXE_qreply"));
        c.arg("--data-dir").arg(self.data()).args(args);
        c.env("QUICKREPLY_LANG", "en")
            .env_remove("QUICKREPLY_DATA_DIR");
        match &self.display {
            Some(d) => c.env("DISPLAY", d),
            None => c.env_remove("DISPLAY"),
        };
        c.env_remove("WAYLAND_DISPLAY");
        c.stdin(Stdio::null());
        c
    }

    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out: Output = self.cmd(args).output().expect("run qreply");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run and require success; returns stdout.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let r = self.run(args);
        assert_eq!(r.code, 0, "qreply failed: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    /// Run with `QUICKREPLY_SEARCH_CACHE` set (`0`: search the rows, not the cache) and
    /// require success; returns stdout.
    pub fn run_env<I, S>(&self, args: I, search_cache: &str) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self
            .cmd(args)
            .env("QUICKREPLY_SEARCH_CACHE", search_cache)
            .output()
            .expect("run qreply");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Titles of `qreply ls` / `search` output, in order.
    pub fn titles(out: &str) -> Vec<String> {
        out.lines()
            .filter_map(|l| l.split('\t').next())
            .map(str::to_string)
            .collect()
    }
}

pub fn png(path: &Path, w: u32, h: u32, rgba: [u8; 4]) {
    image::RgbaImage::from_pixel(w, h, image::Rgba(rgba))
        .save(path)
        .expect("write png");
}

/// A private Xvfb server for clipboard tests; killed on drop.
#[cfg(not(windows))]
pub struct Xvfb {
    child: std::process::Child,
    pub display: String,
}

#[cfg(not(windows))]
impl Xvfb {
    /// Start Xvfb. Panics with what to install when it is missing.
    pub fn start() -> Xvfb {
        for n in 0..50 {
            let num = 140 + (std::process::id() % 500) + n * 7;
            if Path::new(&format!("/tmp/.X11-unix/X{num}")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .arg(format!(":{num}"))
                .args(["-screen", "0", "640x480x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb is needed for clipboard tests: apt-get install xvfb xclip (cargo xtask test installs it)");
            let sock = format!("/tmp/.X11-unix/X{num}");
            for _ in 0..100 {
                if Path::new(&sock).exists() {
                    return Xvfb {
                        child,
                        display: format!(":{num}"),
                    };
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start Xvfb");
    }

    /// `xclip -selection clipboard -o [-t TARGET]`.
    pub fn clipboard(&self, target: Option<&str>) -> Vec<u8> {
        let mut c = Command::new("xclip");
        c.args(["-selection", "clipboard", "-o"])
            .env("DISPLAY", &self.display);
        if let Some(t) = target {
            c.args(["-t", t]);
        }
        let out = c
            .output()
            .expect("xclip is needed for clipboard tests: apt-get install xclip");
        assert!(
            out.status.success(),
            "xclip failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

#[cfg(not(windows))]
impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// On Windows (the Wine leg) the clipboard is the system's own: `qreply.exe` sets it and
/// exits, and the test reads it back in-process as another program would, through
/// arboard (CF_UNICODETEXT; the image as a DIB, re-encoded here as PNG).
#[cfg(windows)]
pub struct Xvfb {
    /// Wine's X display, which Windows programs under Wine need; unused on Windows.
    pub display: String,
}

#[cfg(windows)]
impl Xvfb {
    pub fn start() -> Xvfb {
        Xvfb {
            display: std::env::var("DISPLAY").unwrap_or_default(),
        }
    }

    /// The clipboard's text (`None`) or its image as PNG (`Some("image/png")`).
    pub fn clipboard(&self, target: Option<&str>) -> Vec<u8> {
        let mut cb = arboard::Clipboard::new().expect("open the clipboard");
        match target {
            None => cb.get_text().expect("text on the clipboard").into_bytes(),
            Some("image/png") => {
                let img = cb.get_image().expect("an image on the clipboard");
                let rgba = image::RgbaImage::from_raw(
                    u32::try_from(img.width).expect("width"),
                    u32::try_from(img.height).expect("height"),
                    img.bytes.into_owned(),
                )
                .expect("whole rows");
                let mut png = Vec::new();
                rgba.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                    .expect("encode");
                png
            }
            Some(other) => panic!("no reader for {other} on Windows"),
        }
    }
}
