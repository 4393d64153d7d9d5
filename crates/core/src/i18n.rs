//! The language messages are written in. Simplified Chinese first, English second.
//!
//! The language is chosen once per process: `QUICKREPLY_LANG` (`zh-CN`, `en`) wins, then
//! `LC_ALL`, `LC_MESSAGES` and `LANG` (`en*` → English); where those are not set (Windows
//! and macOS, whose programs get no `LANG`), the user's display language as the OS says it
//! (`sys-locale`: `GetUserPreferredUILanguages` on Windows); anything else is Chinese.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// 0: not chosen yet, 1: Chinese, 2: English.
static LANG: AtomicU8 = AtomicU8::new(0);

fn from_env() -> Lang {
    let pick = |v: &str| {
        let v = v.to_ascii_lowercase();
        if v.starts_with("en") {
            Some(Lang::En)
        } else if v.starts_with("zh") {
            Some(Lang::Zh)
        } else {
            None
        }
    };
    if let Some(l) = std::env::var("QUICKREPLY_LANG")
        .ok()
        .as_deref()
        .and_then(pick)
    {
        return l;
    }
    for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Some(l) = std::env::var(key).ok().as_deref().and_then(pick) {
            return l;
        }
    }
    os_lang().unwrap_or(Lang::Zh)
}

/// The user's display language as the OS reports it, where programs get no `LANG`.
#[cfg(not(target_os = "linux"))]
fn os_lang() -> Option<Lang> {
    let l = sys_locale::get_locale()?.to_ascii_lowercase();
    if l.starts_with("en") {
        Some(Lang::En)
    } else {
        Some(Lang::Zh)
    }
}

#[cfg(target_os = "linux")]
fn os_lang() -> Option<Lang> {
    None
}

/// The process's language.
pub fn lang() -> Lang {
    match LANG.load(Ordering::Relaxed) {
        1 => Lang::Zh,
        2 => Lang::En,
        _ => {
            let l = from_env();
            // Another thread may have chosen meanwhile; its choice wins.
            let _ = LANG.compare_exchange(0, code(l), Ordering::Relaxed, Ordering::Relaxed);
            lang()
        }
    }
}

fn code(l: Lang) -> u8 {
    match l {
        Lang::Zh => 1,
        Lang::En => 2,
    }
}

/// Fix the process's language before anything is printed (e.g. from a `--lang` flag).
/// Returns false if it had already been chosen.
pub fn set_lang(l: Lang) -> bool {
    LANG.compare_exchange(0, code(l), Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
}

/// Switch the language of a running process (the desktop app's language setting).
pub fn switch_lang(l: Lang) {
    LANG.store(code(l), Ordering::Relaxed);
}

/// Pick the message in the process's language.
pub fn tr(zh: impl Into<String>, en: impl Into<String>) -> String {
    match lang() {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}

/// Like [`tr`] for static texts (error fields that hold a `&'static str`).
pub fn tr_static(zh: &'static str, en: &'static str) -> &'static str {
    match lang() {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On Windows the language comes from the OS when no variable says it. The Wine leg
    /// runs in zh_CN.UTF-8, which Wine turns into a Chinese user locale.
    #[cfg(windows)]
    #[test]
    fn windows_reports_its_display_language() {
        let l = os_lang();
        assert!(l.is_some(), "Windows always has a display language");
        if std::env::var("LANG").is_ok_and(|v| v.starts_with("zh")) {
            assert_eq!(l, Some(Lang::Zh), "{:?}", sys_locale::get_locale());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_leaves_the_language_to_the_environment() {
        assert_eq!(os_lang(), None);
    }
}
