//! Raycast snippets JSON, and the curly placeholders (`{clipboard}`, `{cursor}`, …)
//! Raycast and Alfred share.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{Origin, Pack, PackMeta, PackPart, PackSnippet};

#[derive(Debug, Serialize, Deserialize)]
struct RaycastSnippet {
    name: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyword: Option<String>,
}

/// What a curly placeholder's inside says: its name, a `:arg` (Alfred), `key="value"`
/// attributes and bare words or quoted strings (Raycast's `{date +1d}`, Alfred's
/// `{date "yyyy-MM-dd"}`), and `| modifier`s.
struct Curly<'a> {
    name: &'a str,
    colon: Option<&'a str>,
    attrs: Vec<(&'a str, &'a str)>,
    bare: Vec<&'a str>,
    modifiers: Vec<&'a str>,
}

fn parse_curly(inner: &str) -> Curly<'_> {
    let mut parts = inner.split('|');
    let head = parts.next().unwrap_or_default().trim();
    let modifiers = parts.map(str::trim).filter(|m| !m.is_empty()).collect();
    let name_end = head
        .find(|c: char| c.is_whitespace() || c == ':' || c == '"')
        .unwrap_or(head.len());
    let name = &head[..name_end];
    let mut rest = &head[name_end..];
    let mut colon = None;
    if let Some(arg) = rest.strip_prefix(':') {
        colon = Some(arg.trim());
        rest = "";
    }
    let mut attrs = Vec::new();
    let mut bare = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            bare.push(&q[..end]);
            rest = q.get(end + 1..).unwrap_or_default();
            continue;
        }
        let word_end = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let word = &rest[..word_end];
        let after = &rest[word_end..];
        if let Some(v) = after.strip_prefix('=') {
            let (value, tail) = match v.strip_prefix('"') {
                Some(q) => {
                    let end = q.find('"').unwrap_or(q.len());
                    (&q[..end], q.get(end + 1..).unwrap_or_default())
                }
                None => {
                    let end = v.find(char::is_whitespace).unwrap_or(v.len());
                    (&v[..end], &v[end..])
                }
            };
            attrs.push((word, value));
            rest = tail;
        } else {
            bare.push(word);
            rest = after;
        }
    }
    Curly {
        name,
        colon,
        attrs,
        bare,
        modifiers,
    }
}

impl Curly<'_> {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A Raycast/Alfred date placeholder (`{date}`, `{time format="HH:mm"}`,
/// `{datetime:short}`, `{date "yyyy-MM-dd"}`, `{day}`, `{date offset="+1d"}`) as ours,
/// with a note when the source tool's output depended on the system's locale (ours has
/// a fixed format); `None` when it cannot be expressed (other offsets, a pattern field
/// strftime lacks).
fn curly_date(c: &Curly<'_>, chinese: bool) -> Option<(String, Option<String>)> {
    let offset = c
        .attr("offset")
        .or_else(|| c.bare.iter().copied().find(|b| b.starts_with(['+', '-'])))
        .map(str::trim);
    let tomorrow = match offset {
        None => false,
        Some("+1d") if c.name != "time" => true,
        Some(_) => return None,
    };
    let styles = ["short", "medium", "long", "full"];
    let pattern = c
        .attr("format")
        .or_else(|| c.bare.iter().copied().find(|b| !b.starts_with(['+', '-'])))
        .or(c.colon.filter(|a| !styles.contains(a)));
    if let Some(pattern) = pattern {
        let format = icu_to_strftime(pattern)?;
        if format.contains(['{', '}']) {
            return None;
        }
        let base = match (tomorrow, c.name) {
            (true, _) => "明天",
            (false, "time") => "时间",
            _ => "日期",
        };
        return Some((format!("{{{base}:{format}}}"), None));
    }
    let ours = match (tomorrow, c.name) {
        (true, _) => "{明天}",
        (false, "time") => "{时间}",
        (false, "datetime") => "{日期} {时间}",
        (false, "day") if chinese => "{星期}",
        (false, "day") => "{weekday}",
        _ => "{日期}",
    };
    let original = match c.colon {
        Some(style) => format!("{{{}:{style}}}", c.name),
        None => format!("{{{}}}", c.name),
    };
    let note = tr(
        format!(
            "{original} 在原软件里按系统区域格式显示，已导入为 {ours}（如 2026-11-23 14:05 星期一）；需要别的格式可改成 {{日期:%Y年%m月%d日}} 这样的写法"
        ),
        format!(
            "{original} follows the system's locale in the source app; imported as {ours} (e.g. 2026-11-23 14:05 Monday); for another format write e.g. {{日期:%d.%m.%Y}}"
        ),
    );
    Some((ours.to_string(), Some(note)))
}

/// Raycast and Alfred placeholders to ours: `{clipboard}`, dates and times (with their
/// formats, see [`curly_date`]), `{argument name="x"}` as a prompt; `{cursor}` is
/// removed (noted when text follows it, since the agent may have typed there).
/// Placeholders we cannot express (`{uuid}`, `{selection}`, `{snippet …}`, offsets,
/// clipboard history) become a prompt named after them, so nothing foreign is ever
/// sent, each with a note. Unknown braces stay literal, as the source app sends them.
pub(super) fn from_curly_placeholders(text: &str) -> (String, Vec<String>) {
    let chinese = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let mut out = String::new();
    let mut notes: Vec<String> = Vec::new();
    let mut note = |n: String| {
        if !notes.contains(&n) {
            notes.push(n);
        }
    };
    let mut cursor_at: Option<usize> = None;
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&literal(&rest[..open]));
        let after = &rest[open + 1..];
        // The placeholder ends at the first `}`; a `{` or line break before it means
        // this brace was plain text.
        let Some(close) = after
            .find(['}', '{', '\n'])
            .filter(|&i| after[i..].starts_with('}'))
        else {
            out.push_str("{{");
            rest = after;
            continue;
        };
        let inner = &after[..close];
        rest = &after[close + 1..];
        let c = parse_curly(inner);
        let unsupported = |what: String| {
            (
                format!("{{?{}}}", inner.trim()),
                tr(
                    format!("{what} 无法转换，改成发送前填写的「{}」", inner.trim()),
                    format!(
                        "{what} cannot be converted; it became a prompt \"{}\" filled in when sending",
                        inner.trim()
                    ),
                ),
            )
        };
        let mapped: Option<(String, Option<String>)> = match c.name {
            "cursor" => {
                cursor_at.get_or_insert(out.len());
                Some((String::new(), None))
            }
            "clipboard" => {
                let nth = c.attr("offset").or(c.colon).unwrap_or("0").trim();
                if nth.is_empty() || nth == "0" {
                    Some(("{剪贴板}".into(), None))
                } else {
                    let (p, n) = unsupported(tr("剪贴板历史", "clipboard history"));
                    Some((p, Some(n)))
                }
            }
            "date" | "time" | "datetime" | "day" => match curly_date(&c, chinese) {
                Some(m) => Some(m),
                None => {
                    let (p, n) = unsupported(format!("{{{}}}", inner.trim()));
                    Some((p, Some(n)))
                }
            },
            "argument" => {
                let label = c
                    .attr("name")
                    .filter(|s| !s.trim().is_empty() && !s.contains(['{', '}']))
                    .unwrap_or("参数");
                Some((format!("{{?{label}}}"), None))
            }
            "uuid" | "selection" | "snippet" | "calculator" | "browser-tab" | "random" => {
                let (p, n) = unsupported(format!("{{{}}}", c.name));
                Some((p, Some(n)))
            }
            _ => None,
        };
        match mapped {
            Some((ours, n)) => {
                if !c.modifiers.is_empty() && c.name != "cursor" {
                    note(tr(
                        format!(
                            "{{{}}} 的修饰（{}）不支持，内容原样插入",
                            c.name,
                            c.modifiers.join("、")
                        ),
                        format!(
                            "the modifiers of {{{}}} ({}) are not supported; the value is inserted as is",
                            c.name,
                            c.modifiers.join(", ")
                        ),
                    ));
                }
                out.push_str(&ours);
                if let Some(n) = n {
                    note(n);
                }
            }
            None => out.push_str(&literal(&format!("{{{inner}}}"))),
        }
    }
    out.push_str(&literal(rest));
    if let Some(at) = cursor_at
        && !out[at..].trim().is_empty()
    {
        let before: String = as_seen(&out[..at]).chars().rev().take(12).collect();
        let before: String = before.chars().rev().collect();
        note(tr(
            format!(
                "光标位置 {{cursor}} 已去掉（原来停在「{before}」之后，发送前可能要在那里补充内容）"
            ),
            format!(
                "the cursor position {{cursor}} was removed (it was after \"{before}\"; something may have been typed there)"
            ),
        ));
    }
    (out, notes)
}

/// One Raycast/Alfred-style snippet (curly placeholders) to add to a pack.
pub(super) struct CurlySnippet<'a> {
    pub folder: String,
    pub name: String,
    pub text: &'a str,
    /// The keyword as typed in the source app (with Alfred's collection prefix and
    /// suffix); kept as a tag when it is not exactly the shortcut code.
    pub keyword: String,
}

/// Add one Raycast/Alfred-style snippet (curly placeholders) to a pack, or list it as
/// skipped when it has no content; placeholders it cannot map are listed too.
pub(super) fn push_curly(
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    origin: Origin,
    s: CurlySnippet<'_>,
) {
    let (body, notes) = from_curly_placeholders(s.text);
    if body.trim().is_empty() {
        skipped.push(Skipped::not_imported(
            origin,
            tr("内容为空", "empty content"),
        ));
        return;
    }
    skipped.extend(
        notes
            .into_iter()
            .map(|reason| Skipped::note(origin.clone(), reason)),
    );
    let keys = from_triggers(&[s.keyword]);
    skipped.extend(
        keys.note
            .map(|reason| Skipped::note(origin.clone(), reason)),
    );
    pack.snippets.push(PackSnippet {
        folder: s.folder,
        title: if s.name.trim().is_empty() {
            title_of(&body)
        } else {
            s.name
        },
        code: keys.code,
        tags: keys.tags,
        apps: Vec::new(),
        parts: vec![PackPart::Text {
            body,
            origin: origin.clone(),
        }],
        origin,
        starts_at: None,
        ends_at: None,
    });
}

pub fn read_raycast(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), InteropError> {
    let list: Vec<RaycastSnippet> = serde_json::from_slice(bytes).map_err(|e| {
        err(
            path,
            tr(
                format!("不是 Raycast 话术 JSON（第 {} 行）：{e}", e.line()),
                format!("not Raycast snippets JSON (line {}): {e}", e.line()),
            ),
        )
    })?;
    let mut pack = Pack {
        meta: PackMeta {
            name: "Raycast".into(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for (i, r) in list.into_iter().enumerate() {
        let origin = Origin::Library {
            place: format!("{}: [{i}] {}", path.display(), r.name),
        };
        push_curly(
            &mut pack,
            &mut skipped,
            origin,
            CurlySnippet {
                folder: String::new(),
                name: r.name,
                text: &r.text,
                keyword: r.keyword.unwrap_or_default(),
            },
        );
    }
    Ok((pack, skipped))
}

pub(super) fn curly_map(v: &str) -> Option<String> {
    use crate::template::Builtin;
    let (b, format) = crate::template::parse_builtin(v)?;
    match (b, format) {
        (Builtin::Date, None) => Some("{date}".into()),
        (Builtin::Time, None) => Some("{time}".into()),
        (Builtin::Date | Builtin::Time, Some(f)) => {
            let pattern = strftime_to_icu(f)?;
            (!pattern.contains(['"', '{', '}'])).then(|| format!("{{date format=\"{pattern}\"}}"))
        }
        (Builtin::Clipboard, _) => Some("{clipboard}".into()),
        _ => None,
    }
}

/// Raycast snippets JSON; replies with team variables or prompts are left out (listed).
pub fn write_raycast(pack: &Pack) -> (String, Vec<String>) {
    let mut list = Vec::new();
    let mut left_out = Vec::new();
    for s in &pack.snippets {
        let text = s.texts();
        match to_foreign(&text.join("\n\n"), &mut curly_map) {
            Some(text) if !text.is_empty() => list.push(RaycastSnippet {
                name: s.title.clone(),
                text,
                keyword: s.code.clone(),
            }),
            _ => left_out.push(s.title.clone()),
        }
    }
    (
        serde_json::to_string_pretty(&list).unwrap_or_default(),
        left_out,
    )
}
