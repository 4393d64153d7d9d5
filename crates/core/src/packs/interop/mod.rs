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

/// A shortcut code from another tool's trigger, abbreviation or keyword, the same way
/// for every format (TextExpander `;hello`, Qianniu `/fh`, espanso `:fh`, Alfred `;e:+1`):
/// full-width letters and digits become ASCII, case is folded, the characters the code
/// validator does not allow (leading sigils and any other punctuation) are left out.
/// `None` when nothing valid is left, or when the trigger holds letters a code cannot
/// have (`/发货`): those are not silently shortened to their ASCII rest.
pub(crate) fn code_of(trigger: &str) -> Option<String> {
    let folded: String = trigger
        .trim()
        .chars()
        .map(|c| match c {
            // Full-width ASCII (what a Chinese input method types): ／ｆｈ → /fh.
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .to_ascii_lowercase();
    if folded.chars().any(|c| c.is_alphanumeric() && !c.is_ascii()) {
        return None;
    }
    let c: String = folded.chars().filter(char::is_ascii_alphanumeric).collect();
    quickreply_proto::is_valid_code(&c).then_some(c)
}

/// What a reply keeps of its triggers: the code (the first trigger that can be one, see
/// [`code_of`]), every trigger as the tool had it that differs from the code (a tag, so
/// that searching for `/fh` or `;addr` still finds the reply), and a note for the
/// import report when there were triggers but none could be a code — the reply is then
/// imported without a code, never refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Triggers {
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub note: Option<String>,
}

pub(crate) fn from_triggers<S: AsRef<str>>(all: &[S]) -> Triggers {
    let all: Vec<&str> = all
        .iter()
        .map(|t| t.as_ref().trim())
        .filter(|t| !t.is_empty())
        .collect();
    let code = all.iter().find_map(|t| code_of(t));
    let mut tags: Vec<String> = Vec::new();
    for t in &all {
        let same = code.as_deref() == Some(t.to_lowercase().as_str());
        if !same && !tags.iter().any(|k| k == t) {
            tags.push((*t).to_string());
        }
    }
    let note = match (&code, all.first()) {
        (None, Some(first)) => Some(crate::i18n::tr(
            format!(
                "快捷方式「{first}」不能作为快捷编码（只能是 1–16 个字母或数字），这条话术导入时不带编码，原快捷方式保存为标签"
            ),
            format!(
                "the shortcut \"{first}\" cannot be a shortcut code (1–16 letters or digits): the reply is imported without a code, the shortcut is kept as a tag"
            ),
        )),
        _ => None,
    };
    Triggers { code, tags, note }
}

/// A title from a reply's text: its first line, at most 16 characters, without the
/// punctuation it ends on.
pub(crate) fn title_of(text: &str) -> String {
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
