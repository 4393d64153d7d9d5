//! Other people's text on this terminal. Names of devices and members, team and library
//! names, titles and bodies of team replies, usage keys, searches, codes and messages
//! all come from a server or a teammate; printed raw, an ESC could move the cursor,
//! clear the screen or recolour what follows, a BEL ring, a carriage return overwrite
//! a line, and a bidi override (U+202E …) make text read backwards. Everything `qreply`
//! prints that did not come from its own user goes through [`shown`] (one-line fields)
//! or [`shown_text`] (reply bodies and messages of several lines). JSON goes through
//! [`json_text`]: serde_json escapes C0 controls itself, this also DEL, C1 and the bidi
//! overrides (as `\u....`, the same JSON).

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that act on a terminal instead of being shown: C0 controls, DEL, C1
/// controls, and the bidi embeddings, overrides and isolates.
fn acts(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (C0 including newline and tab, DEL, C1) and bidi
/// override written out as a visible escape (`\x1b`, `\n`, `\u{202e}`), so that it can
/// neither move the cursor, recolour, ring, nor spoof the line it is on. Borrowed when
/// there is nothing to escape.
pub(crate) fn shown(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// [`shown`] keeping line breaks and tabs: for reply bodies and messages of several
/// lines (a carriage return is still escaped, it would overwrite the line).
pub(crate) fn shown_text(s: &str) -> Cow<'_, str> {
    escape(s, |c| matches!(c, '\n' | '\t'))
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| acts(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !acts(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// `v` as pretty JSON in which nothing acts on a terminal: what serde_json leaves raw
/// (DEL, C1 controls, bidi overrides) is written `\u....` too.
pub(crate) fn json_text(v: &serde_json::Value) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Harmless::default());
    serde::Serialize::serialize(v, &mut ser)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// serde_json's pretty formatter, escaping the characters [`acts`] finds in strings.
#[derive(Default)]
struct Harmless(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Harmless {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| acts(c)) {
            w.write_all(&rest.as_bytes()[..i])?;
            write!(w, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_as_it_is() {
        for s in [
            "",
            "小李的电脑",
            "退货地址 — 48小时",
            "a\\x1b b",
            "emoji 🙂 ok",
        ] {
            assert!(matches!(shown(s), Cow::Borrowed(b) if b == s), "{s}");
        }
        assert!(matches!(shown_text("第一行\n\t第二行"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_bells_and_deletes_become_visible() {
        assert_eq!(shown("evil\x1b[2J\x07"), "evil\\x1b[2J\\x07");
        assert_eq!(shown("a\x7fb\x00c"), "a\\x7fb\\x00c");
        assert_eq!(shown("red\x1b]0;title\x07"), "red\\x1b]0;title\\x07");
        // C1: the one-byte CSI (U+009B) and NEL (U+0085).
        assert_eq!(shown("x\u{9b}31my\u{85}"), "x\\u{9b}31my\\u{85}");
    }

    #[test]
    fn line_breaks_are_escaped_in_fields_and_kept_in_bodies() {
        assert_eq!(shown("标题\n伪造的一行\r\t"), "标题\\n伪造的一行\\r\\t");
        assert_eq!(
            shown_text("第一行\n第二行\r覆盖\x1b[1A"),
            "第一行\n第二行\\r覆盖\\x1b[1A"
        );
    }

    #[test]
    fn bidi_overrides_and_isolates_are_escaped() {
        assert_eq!(shown("invoice\u{202E}fdp.exe"), "invoice\\u{202e}fdp.exe");
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            let s = format!("a{c}b");
            let out = shown(&s);
            assert!(!out.contains(c), "{c:?} kept in {out}");
            assert!(out.starts_with("a\\u{20"), "{out}");
        }
    }

    #[test]
    fn json_is_the_same_json_with_nothing_raw_that_acts() -> serde_json::Result<()> {
        let v = serde_json::json!({
            "name": "evil\x1b[2J\x07",
            "user": ["坏\u{202E}人", "x\u{9b}y\u{7f}"],
            "n": 3,
        });
        let text = json_text(&v)?;
        assert!(!text.chars().any(|c| acts(c) && c != '\n'), "{text}");
        assert!(text.contains("坏\\u202e人"), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text)?, v);
        let plain = serde_json::json!({"a": [1, {"b": "小李"}]});
        assert_eq!(json_text(&plain)?, serde_json::to_string_pretty(&plain)?);
        Ok(())
    }

    #[test]
    fn nothing_that_acts_on_a_terminal_is_left_in_any_char() {
        for code in (0u32..0x250).chain(0x2000..0x2100) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let s = format!("x{c}y");
            let out = shown(&s);
            assert!(!out.chars().any(acts), "U+{code:04X} → {out:?}");
            let body = shown_text(&s);
            assert!(
                !body.chars().any(|c| acts(c) && c != '\n' && c != '\t'),
                "U+{code:04X} → {body:?}"
            );
        }
    }
}
