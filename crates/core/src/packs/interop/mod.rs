//! Other tools' snippet formats: espanso match files and packages, Raycast snippets
//! JSON, Alfred snippet collections, TextExpander CSV and plain text. Each reader maps
//! what QuickReply can express (text, images, date/clipboard placeholders, prompts) and
//! lists everything else per entry as skipped, with the reason — never silently.
//! Placeholders are translated both ways: `{clipboard}` ↔ `{剪贴板}`-style built-ins;
//! literal braces in foreign text become `{{` / `}}`.

mod alfred;
mod espanso;
mod raycast;
mod textexpander;

use std::path::Path;

pub use super::error::InteropError;

pub use alfred::*;
pub use espanso::*;
pub use raycast::*;
pub use textexpander::*;

fn err(path: &Path, message: String) -> InteropError {
    InteropError {
        path: path.to_path_buf(),
        message,
    }
}

/// Escape braces of foreign text so that our templates read them literally.
fn literal(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// A code from a trigger or keyword (`:fh` → `fh`), if it is a valid one.
fn code_of(trigger: &str) -> Option<String> {
    let c: String = trigger
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    quickreply_proto::is_valid_code(&c).then_some(c)
}

/// A title from a reply's text: its first line, at most 16 characters, without the
/// punctuation it ends on.
fn title_of(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .chars()
        .take(16)
        .collect::<String>()
        .trim()
        .trim_end_matches(|c: char| ".,!?;:~，。！？、；：～…".contains(c))
        .to_string()
}

/// Our placeholders in another tool's syntax; `None` when the text uses something the
/// tool has no equivalent for (prompts, team variables).
fn to_foreign(body: &str, map: &mut dyn FnMut(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    for seg in crate::template::parse(body).ok()? {
        match seg {
            crate::template::Segment::Literal(l) => out.push_str(l),
            crate::template::Segment::Brace(c) => out.push(c),
            crate::template::Segment::Var(v) => out.push_str(&map(v)?),
            crate::template::Segment::Prompt(_) => return None,
        }
    }
    Some(out)
}

fn builtin_kind(name: &str) -> Option<crate::template::Builtin> {
    crate::template::Builtin::from_name(name)
}

#[cfg(test)]
mod tests;
