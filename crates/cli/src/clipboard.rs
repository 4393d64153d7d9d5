//! Putting rendered parts on the system clipboard with arboard.
//!
//! On X11 a clipboard's content lives in the process that owns it, so a command-line tool
//! that exits would take its content with it. `qreply` therefore hands the content to a
//! small child process of itself (`qreply __hold-clipboard`) that owns the clipboard until
//! another program copies something, like `xclip` does. Elsewhere the OS keeps the content
//! and the content is set directly.

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Result, anyhow, bail};
use quickreply_core::Rendered;
use quickreply_core::i18n::tr;

/// What the holder process receives on standard input.
fn encode(part: &Rendered) -> String {
    match part {
        Rendered::Text(t) => format!("text\n{t}"),
        Rendered::Image { path, .. } => format!("image\n{}", path.display()),
    }
}

fn image_data(path: &Path) -> Result<arboard::ImageData<'static>> {
    let img = quickreply_core::blob::decode_rgba(path)?;
    Ok(arboard::ImageData {
        width: img.width as usize,
        height: img.height as usize,
        bytes: img.pixels.into(),
    })
}

fn set(cb: &mut arboard::Clipboard, kind: &str, payload: &str, wait: bool) -> Result<()> {
    #[cfg(target_os = "linux")]
    let setter = {
        use arboard::SetExtLinux;
        if wait { cb.set().wait() } else { cb.set() }
    };
    #[cfg(not(target_os = "linux"))]
    let setter = {
        let _ = wait;
        cb.set()
    };
    match kind {
        "text" => setter.text(payload.to_string())?,
        "image" => setter.image(image_data(Path::new(payload))?)?,
        other => bail!("unknown clipboard payload kind {other}"),
    }
    Ok(())
}

/// Put one rendered part on the clipboard; returns once the content is there.
pub fn put(part: &Rendered) -> Result<()> {
    if cfg!(target_os = "linux") {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("__hold-clipboard")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("no stdin"))?
            .write_all(encode(part).as_bytes())?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        if line.trim() != "ok" {
            let mut why = String::new();
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut why)?;
            }
            child.wait()?;
            let why = why
                .trim()
                .trim_start_matches("error: ")
                .trim_start_matches("错误: ");
            let hint = if std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("WAYLAND_DISPLAY").is_none()
            {
                tr(
                    "（没有图形界面：DISPLAY 未设置）",
                    " (no display: DISPLAY is not set)",
                )
            } else {
                String::new()
            };
            bail!(tr(
                format!("无法写入剪贴板：{why}{hint}"),
                format!("could not set the clipboard: {why}{hint}")
            ));
        }
        // The holder keeps running on its own; its pipes close with this process.
        Ok(())
    } else {
        let mut cb = arboard::Clipboard::new()?;
        let encoded = encode(part);
        let (kind, payload) = encoded.split_once('\n').unwrap_or(("text", ""));
        set(&mut cb, kind, payload, false)
    }
}

/// The holder: read the payload, own the clipboard, say `ok`, keep owning it until
/// another program takes the clipboard.
pub fn hold() -> Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let (kind, payload) = input.split_once('\n').unwrap_or(("text", ""));
    let mut cb = arboard::Clipboard::new()?;
    set(&mut cb, kind, payload, false)?;
    exit_when_display_closes();
    {
        let mut out = std::io::stdout();
        out.write_all(b"ok\n")?;
        out.flush()?;
    }
    // Same content again, now waiting until someone else owns the clipboard.
    set(&mut cb, kind, payload, true)?;
    Ok(())
}

/// Read the clipboard's text for `{剪贴板}`.
pub fn read_text() -> Option<String> {
    arboard::Clipboard::new().ok()?.get_text().ok()
}

/// The holder must not outlive its X server (arboard's wait would block forever): a
/// second connection that receives no events returns an error exactly when the server
/// goes away.
#[cfg(target_os = "linux")]
fn exit_when_display_closes() {
    use x11rb::connection::Connection;
    if let Ok((conn, _)) = x11rb::connect(None) {
        std::thread::spawn(move || {
            loop {
                if conn.wait_for_event().is_err() {
                    std::process::exit(0);
                }
            }
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn exit_when_display_closes() {}
