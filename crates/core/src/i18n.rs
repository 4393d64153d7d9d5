//! The language messages are written in. Simplified Chinese first, English second.
//!
//! The language is chosen once per process: `QUICKREPLY_LANG` (`zh-CN`, `en`) wins, then
//! `LC_ALL`, `LC_MESSAGES` and `LANG` (`en*` → English); anything else is Chinese.

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
    Lang::Zh
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
