//! The language messages are written in. Simplified Chinese first, English second.
//!
//! The language is chosen once per process: `QUICKREPLY_LANG` (`zh-CN`, `en`) wins, then
//! `LC_ALL`, `LC_MESSAGES` and `LANG` (`en*` → English); anything else is Chinese.

use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

static LANG: OnceLock<Lang> = OnceLock::new();

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
    *LANG.get_or_init(from_env)
}

/// Fix the process's language before anything is printed (e.g. from a `--lang` flag).
/// Returns false if it had already been chosen.
pub fn set_lang(l: Lang) -> bool {
    LANG.set(l).is_ok()
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
