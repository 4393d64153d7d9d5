//! The built-in script packs (`snippets/`), compiled into the library by `build.rs` so
//! that the CLI and the desktop app can offer them on first run.

use crate::source::{Pack, SourceError, read_files};

/// The files of one pack: (path inside the pack, bytes).
pub type PackFiles = &'static [(&'static str, &'static [u8])];

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The languages of the built-in packs (`zh-CN`, `en`).
pub fn languages() -> Vec<&'static str> {
    PACKS.iter().map(|(lang, _)| *lang).collect()
}

/// A built-in pack, or `None` when there is none for `lang`.
pub fn pack(lang: &str) -> Option<Result<Pack, SourceError>> {
    PACKS
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(l, files)| read_files(l, files))
}
