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

/// Widest title made from a reply's text, in columns (a CJK character takes two): about
/// twenty Chinese characters or forty Latin letters, what a list row shows.
const TITLE_WIDTH: usize = 40;
/// Narrowest title a cut may leave, so that a cut at the first comma does not leave "亲".
const TITLE_MIN: usize = 8;

/// Columns a character takes in a list (CJK and other wide scripts two).
fn width(c: char) -> usize {
    if (c as u32) >= 0x2E80 { 2 } else { 1 }
}

/// Reply text as the user sees it: `{{` and `}}` become single braces, variables and
/// prompts stay as written (`{日期}`, `{?昵称}`).
fn as_seen(text: &str) -> String {
    match crate::template::parse(text) {
        Ok(segs) => {
            let mut out = String::with_capacity(text.len());
            for seg in segs {
                match seg {
                    crate::template::Segment::Literal(l) => out.push_str(l),
                    crate::template::Segment::Brace(c) => out.push(c),
                    crate::template::Segment::Var(v) => {
                        out.push('{');
                        out.push_str(v);
                        out.push('}');
                    }
                    crate::template::Segment::Prompt(p) => {
                        out.push_str("{?");
                        out.push_str(p);
                        out.push('}');
                    }
                }
            }
            out
        }
        Err(_) => text.replace("{{", "{").replace("}}", "}"),
    }
}

/// Where a line may be cut: after a sentence (`。！？!?；;…`, a `.` before a space),
/// or after a clause (`，、,：:`) or before a space.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    Sentence,
    Clause,
}

/// Cut one line to at most `limit` columns, readably: at the last sentence end that
/// keeps at least half the width, else the last clause or word boundary that does,
/// else the same with [`TITLE_MIN`], else between characters but never inside a run
/// of Latin letters and digits (a word, an order number, an address). A cut that is
/// not at a sentence end gets "…".
pub(crate) fn cut_line(line: &str, limit: usize) -> String {
    let total: usize = line.chars().map(width).sum();
    if total <= limit {
        return line.to_string();
    }
    // (byte index where the title ends, columns before it, kind)
    let mut cuts: Vec<(usize, usize, Cut)> = Vec::new();
    let mut cols = 0;
    let mut hard = line.len();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if cols + width(c) > limit {
            hard = i;
            break;
        }
        let next = chars.get(k + 1).map(|&(_, n)| n);
        if "。！？!?；;…".contains(c) || c == '.' && next.is_none_or(char::is_whitespace) {
            cuts.push((i, cols, Cut::Sentence));
        } else if "，、,：:".contains(c) || c.is_whitespace() {
            cuts.push((i, cols, Cut::Clause));
        }
        cols += width(c);
    }
    let pick = |min: usize, kind: Option<Cut>| {
        cuts.iter()
            .rev()
            .find(|&&(_, w, k)| w >= min && kind.is_none_or(|kind| kind == k))
            .copied()
    };
    let half = limit / 2;
    let chosen = pick(half, Some(Cut::Sentence))
        .or_else(|| pick(half, None))
        .or_else(|| pick(TITLE_MIN, Some(Cut::Sentence)))
        .or_else(|| pick(TITLE_MIN, None));
    let tidy = |s: &str| {
        s.trim_end()
            .trim_end_matches(|c: char| ".,!?;:~，。！？、；：～…".contains(c))
            .trim_end()
            .to_string()
    };
    match chosen {
        Some((end, _, Cut::Sentence)) => tidy(&line[..end]),
        Some((end, _, Cut::Clause)) => format!("{}…", tidy(&line[..end])),
        None => {
            // Between characters, backing off to the start of a Latin word or number.
            let word = |c: char| c.is_ascii_alphanumeric() || "-_./@#".contains(c);
            let mut end = hard;
            let split_word = line[end..].chars().next().is_some_and(word)
                && line[..end].chars().next_back().is_some_and(word);
            if split_word {
                let start = line[..end]
                    .char_indices()
                    .rev()
                    .take_while(|&(_, c)| word(c))
                    .last()
                    .map_or(end, |(i, _)| i);
                if line[..start].chars().map(width).sum::<usize>() >= TITLE_MIN {
                    end = start;
                }
            }
            format!("{}…", tidy(&line[..end]))
        }
    }
}

/// A title from a reply's text: its first line as the user sees it (braces single,
/// spaces collapsed), cut readably to about twenty Chinese characters (see
/// [`cut_line`]), without the punctuation it ends on. Empty when the text is.
pub(crate) fn title_of(text: &str) -> String {
    let seen = as_seen(text);
    let line = seen
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let title = cut_line(&line, TITLE_WIDTH);
    if title.ends_with('…') {
        title
    } else {
        title
            .trim_end_matches(|c: char| ".,!?;:~，。！？、；：～…".contains(c))
            .trim_end()
            .to_string()
    }
}

/// A title or folder name the store accepts: one line (line breaks become spaces) of
/// at most [`quickreply_proto::check::MAX_NAME`] characters, cut readably when longer.
pub(crate) fn fit_name(name: &str) -> String {
    let line = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= quickreply_proto::check::MAX_NAME {
        return line;
    }
    // Columns are at most twice the characters, so this stays under the limit.
    cut_line(&line, quickreply_proto::check::MAX_NAME)
}

/// A Unicode (ICU/LDML) date pattern, as Raycast and Alfred write them
/// (`yyyy-MM-dd, HH:mm`), as a strftime format for our `{日期:…}`; `None` when it uses
/// a field strftime has no equivalent for (era, week of year, time zone names, …).
pub(crate) fn icu_to_strftime(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // 'quoted text', '' is a single quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            while j < chars.len() {
                if chars[j] == '\'' {
                    if chars.get(j + 1) == Some(&'\'') {
                        out.push('\'');
                        j += 2;
                        continue;
                    }
                    break;
                }
                if chars[j] == '%' {
                    out.push_str("%%");
                } else {
                    out.push(chars[j]);
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let n = chars[i..].iter().take_while(|&&x| x == c).count();
            let f = match (c, n) {
                ('y' | 'u', 2) => "%y",
                ('y' | 'u', _) => "%Y",
                ('M' | 'L', 1) => "%-m",
                ('M' | 'L', 2) => "%m",
                ('M' | 'L', 3) => "%b",
                ('M' | 'L', 4) => "%B",
                ('d', 1) => "%-d",
                ('d', 2) => "%d",
                ('D', 3) => "%j",
                ('H', 1) => "%-H",
                ('H', 2) => "%H",
                ('h', 1) => "%-I",
                ('h', 2) => "%I",
                ('m', 1) => "%-M",
                ('m', 2) => "%M",
                ('s', 1) => "%-S",
                ('s', 2) => "%S",
                ('a', _) => "%p",
                ('E', 1..=3) => "%a",
                ('E', 4) => "%A",
                _ => return None,
            };
            out.push_str(f);
            i += n;
            continue;
        }
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        i += 1;
    }
    (!out.is_empty() && crate::template::is_valid_date_format(&out)).then_some(out)
}

/// A strftime format of ours as a Unicode date pattern (for Raycast); `None` when it
/// uses something the pattern cannot say.
pub(crate) fn strftime_to_icu(format: &str) -> Option<String> {
    let mut out = String::new();
    let mut literal = String::new();
    let flush = |literal: &mut String, out: &mut String| {
        if literal.is_empty() {
            return;
        }
        if literal
            .chars()
            .any(|c| c.is_ascii_alphabetic() || c == '\'')
        {
            out.push('\'');
            out.push_str(&literal.replace('\'', "''"));
            out.push('\'');
        } else {
            out.push_str(literal);
        }
        literal.clear();
    };
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let mut spec = String::new();
        if chars.peek() == Some(&'-') {
            spec.push('-');
            chars.next();
        }
        spec.push(chars.next()?);
        if spec == "%" {
            literal.push('%');
            continue;
        }
        flush(&mut literal, &mut out);
        out.push_str(match spec.as_str() {
            "Y" => "yyyy",
            "y" => "yy",
            "m" => "MM",
            "-m" => "M",
            "d" => "dd",
            "-d" | "e" => "d",
            "H" => "HH",
            "-H" => "H",
            "I" => "hh",
            "-I" => "h",
            "M" => "mm",
            "-M" => "m",
            "S" => "ss",
            "-S" => "s",
            "p" | "P" => "a",
            "A" => "EEEE",
            "a" => "EEE",
            "B" => "MMMM",
            "b" | "h" => "MMM",
            "j" => "DDD",
            "F" => "yyyy-MM-dd",
            "T" => "HH:mm:ss",
            "R" => "HH:mm",
            _ => return None,
        });
    }
    flush(&mut literal, &mut out);
    Some(out)
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
            // A prompt reaches `map` as `?name`; writers without blanks leave it out.
            crate::template::Segment::Prompt(p) => out.push_str(&map(&format!("?{p}"))?),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
