//! How WebKitGTK is asked to run on Linux, decided before any window exists.
//!
//! Decision: accelerated compositing is off (`WEBKIT_DISABLE_COMPOSITING_MODE=1`). The
//! panel, editor and settings are small flat pages with no WebGL, 3D transforms or video:
//! WebKit's software path draws them as fast, while the compositing path keeps GL
//! surfaces and layer tiles in the web process. Measured with `cargo xtask bench fire`'s
//! idle memory (app + WebKit processes, README's benchmark section): the web process
//! drops from ~150 MB to ~90 MB of private memory. Someone who wants WebKit's default
//! (a GPU driver that draws better with it) sets `WEBKIT_DISABLE_COMPOSITING_MODE`
//! themselves (to `0` for WebKit's default): a value already set is left alone.

use std::ffi::OsStr;

/// The variable WebKitGTK reads (it is inherited by its web and network processes).
pub const COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What to set, given what the environment already holds: `Some(value)` when the user
/// said nothing, `None` when they did.
pub fn compositing_value(current: Option<&OsStr>) -> Option<&'static str> {
    match current {
        Some(_) => None,
        None => Some("1"),
    }
}

/// Apply [`compositing_value`] to this process's environment. Call it first thing in
/// `main`, while the process has a single thread (see the safety note).
pub fn configure() {
    if let Some(value) = compositing_value(std::env::var_os(COMPOSITING).as_deref()) {
        // SAFETY: called at the top of `main`, before Tauri, GTK, tokio or any other
        // thread exists, so nothing can read the environment concurrently.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(COMPOSITING, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_is_turned_off_unless_the_user_chose() {
        assert_eq!(compositing_value(None), Some("1"));
        assert_eq!(compositing_value(Some(OsStr::new("0"))), None);
        assert_eq!(compositing_value(Some(OsStr::new("1"))), None);
        assert_eq!(compositing_value(Some(OsStr::new(""))), None);
    }
}
