//! The desktop app's Windows hot path without the webview, for the Wine leg
//! (`tests/windows.rs`) and `cargo xtask bench fire-windows`: the app's own hotkey
//! listener (`win_hotkeys`) registers the panel hotkey and every favourite's hotkey of
//! `settings.json`; a favourite's press renders its reply from the store as the app does
//! (`Store::render`) and puts the first part on the clipboard through the app's own
//! clipboard code (`clipboard::Clipboard`). It prints `ready` once listening, then one
//! line per press: `panel`, or `fired <title>`, or `error <why>`.
//!
//! `fire_harness DATA_DIR` (a data directory of `qreply`, with `settings.json` beside it).

#[cfg(windows)]
fn main() -> std::process::ExitCode {
    match harness::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fire_harness: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(windows))]
fn main() {
    eprintln!("fire_harness is the Windows hot path; build it for x86_64-pc-windows-gnu");
}

#[cfg(windows)]
mod harness {
    use std::collections::HashMap;
    use std::io::Write;
    use std::path::PathBuf;
    use std::sync::Arc;

    use quickreply_core::Store;
    use quickreply_core::settings::{Settings, settings_path};
    use quickreply_desktop::clipboard::Clipboard;
    use quickreply_desktop::win_hotkeys::WinHotkeys;

    fn say(line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    pub fn run() -> Result<(), Box<dyn std::error::Error>> {
        let dir = PathBuf::from(
            std::env::args()
                .nth(1)
                .ok_or("usage: fire_harness DATA_DIR")?,
        );
        let settings = Settings::load(&settings_path(&dir))?;
        let store = std::sync::Mutex::new(Store::open(&dir)?);
        let clipboard = Clipboard::default();
        let s = Arc::new(settings.clone());
        let on_press = move |name: &str| {
            if name == s.hotkey {
                say("panel");
                return;
            }
            let Some(fav) = s.favourites.iter().find(|f| f.hotkey == name) else {
                return;
            };
            let fired = store
                .lock()
                .map_err(|_| "store lock poisoned".to_string())
                .and_then(|st| {
                    let snippet = st.snippet(fav.snippet).map_err(|e| e.to_string())?;
                    let clip = || clipboard.text();
                    let parts = st
                        .render(&snippet, &HashMap::new(), Some(&clip))
                        .map_err(|e| e.to_string())?;
                    Ok((snippet.title, parts))
                })
                .and_then(|(title, parts)| {
                    let first = parts.first().ok_or("the reply is empty")?;
                    clipboard.put(first).map_err(|e| e.to_string())?;
                    Ok(title)
                });
            match fired {
                Ok(title) => say(&format!("fired {title}")),
                Err(e) => say(&format!("error {e}")),
            }
        };
        let hotkeys = WinHotkeys::start(on_press)?;
        let mut names = vec![settings.hotkey.as_str()];
        names.extend(settings.favourites.iter().map(|f| f.hotkey.as_str()));
        hotkeys.register(&names)?;
        say("ready");
        // Until the test ends the process.
        loop {
            std::thread::park();
        }
    }
}
