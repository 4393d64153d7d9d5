//! Fixtures shared by the desktop app's end-to-end tests (`tests/desktop_*.rs`): a
//! library filled with the built-in replies, the panel's window, the clipboard awaited.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use quickreply_core::Store;
use quickreply_core::settings::{Settings, settings_path};

use crate::x11::Conn;
use crate::{Display, wait_for};

/// A library with the built-in Chinese replies, and settings written before the start.
pub fn library(dir: &Path, settings: Settings) -> Result<Store> {
    let mut store = Store::open(dir)?;
    let pack = quickreply_core::builtin::pack("zh-CN").context("no built-in pack")??;
    let lib = store.library("personal")?;
    quickreply_core::packs::import(
        &mut store,
        &pack,
        &lib,
        quickreply_core::packs::Policy::KeepBoth,
    )?;
    settings.save(&settings_path(dir))?;
    Ok(store)
}

/// The panel's window on the display, once the app has mapped it.
pub fn panel_window(x: &Conn) -> Result<u32> {
    wait_for("the panel window", Duration::from_secs(20), || {
        x.find_titled("QuickReply")
    })
}

/// Wait until the clipboard holds the text `want`; the error says what it held.
pub fn wait_clipboard(d: &Display, want: &str) -> Result<()> {
    let mut last = None;
    wait_for(
        "the reply on the clipboard",
        Duration::from_secs(10),
        || {
            last = d.clipboard_text();
            (last.as_deref() == Some(want)).then_some(())
        },
    )
    .with_context(|| format!("clipboard holds {last:?}, want {want:?}"))
}
