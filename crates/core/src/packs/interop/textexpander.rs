//! TextExpander exports and plain text.
//!
//! TextExpander writes a group two ways. **CSV** (no header): abbreviation, content,
//! label; quotes inside a quoted field are written `\"` (a backslash) rather than `""`
//! by some versions, so a file that is not valid RFC 4180 CSV with `""` is read with
//! backslash escapes. **`.textexpander`** ("Save a Copy of Group"): an Apple property
//! list (XML, or binary), a dictionary with `groupInfo` → `groupName` and a
//! `snippetsTE2` array of snippets (`abbreviation`, `plainText`, `label`,
//! `snippetType`: 0 plain text, 1 formatted text and pictures, others scripts); a whole
//! settings file instead lists `groupsTE2` (`name`, `snippetUUIDs`) beside all
//! `snippetsTE2`. Layout as read by public converters such as
//! `danieldiekmeier/textexpander-to-alfred3` (plist → `snippetsTE2`, `abbreviation`,
//! `plainText`, `label`, `uuidString`).
//!
//! Macros: `%clipboard` → `{剪贴板}`, `%%` → `%`, the cursor `%|` is removed (a reply
//! never sends another tool's marker), date and time codes (`%Y-%m-%d`) become a prompt
//! named after the format with a note (our built-ins have other formats), text, area and
//! popup fill-ins (`%filltext:name=买家%`) become blanks (`{?买家}`, a default or a
//! popup's choices noted); optional sections (`%fillpart`), key commands and nested
//! snippets are listed as not convertible.

use std::path::Path;

use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet};

/// A TextExpander export: a property list (`.textexpander`) or CSV.
pub fn read_textexpander(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    if is_plist(bytes) {
        return read_textexpander_plist(bytes, path);
    }
    let text = crate::packs::common::decode(bytes, path)?;
    let rows = te_rows(&text).map_err(|(line, message)| {
        err(
            path,
            tr(
                format!("第 {line} 行：{message}"),
                format!("line {line}: {message}"),
            ),
        )
    })?;
    let mut pack = Pack {
        meta: PackMeta {
            name: "TextExpander".into(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for (line, rec) in rows {
        let origin = Origin::File {
            path: path.to_path_buf(),
            line,
        };
        let cell = |i: usize| rec.get(i).map(String::as_str).unwrap_or_default();
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        push_te(
            &mut pack,
            &mut skipped,
            Snippet {
                abbreviation: cell(0),
                content: cell(1),
                label: cell(2),
                folder: "",
                kind: 0,
            },
            origin,
        );
    }
    Ok((pack, skipped))
}

/// Whether bytes are an Apple property list (binary, or XML naming its doctype).
pub fn is_plist(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"bplist0") {
        return true;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    (head.starts_with("<?xml") || head.starts_with("<!DOCTYPE") || head.starts_with("<plist"))
        && head.contains("plist")
}

/// Deepest nesting of arrays and dictionaries an XML property list may have (a group
/// is three levels deep; this stops a nesting bomb before the parser recurses).
const MAX_PLIST_DEPTH: usize = 64;

/// A `.textexpander` group (or a settings file holding several groups).
pub fn read_textexpander_plist(
    bytes: &[u8],
    path: &Path,
) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    use plist::Value;
    if !bytes.starts_with(b"bplist0") {
        let mut depth = 0usize;
        let text = String::from_utf8_lossy(bytes);
        for (i, _) in text.match_indices('<') {
            let rest = &text[i..];
            if rest.starts_with("<array>") || rest.starts_with("<dict>") {
                depth += 1;
                if depth > MAX_PLIST_DEPTH {
                    return Err(err(
                        path,
                        tr(
                            format!("属性列表嵌套超过 {MAX_PLIST_DEPTH} 层"),
                            format!("the property list nests deeper than {MAX_PLIST_DEPTH} levels"),
                        ),
                    )
                    .into());
                }
            } else if rest.starts_with("</array>") || rest.starts_with("</dict>") {
                depth = depth.saturating_sub(1);
            }
        }
    }
    let not_te = |why: String| {
        err(
            path,
            tr(
                format!("不是 TextExpander 话术组（.textexpander 属性列表）：{why}"),
                format!("not a TextExpander group (.textexpander property list): {why}"),
            ),
        )
    };
    let root =
        Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| not_te(e.to_string()))?;
    let Some(root) = root.as_dictionary() else {
        return Err(not_te(tr("最外层不是字典", "the top level is not a dictionary")).into());
    };
    let Some(snippets) = ["snippetsTE2", "snippets"]
        .iter()
        .find_map(|k| root.get(k).and_then(Value::as_array))
    else {
        return Err(not_te(tr("没有 snippetsTE2 列表", "no snippetsTE2 list")).into());
    };
    let string = |d: &plist::Dictionary, key: &str| -> String {
        d.get(key)
            .and_then(Value::as_string)
            .unwrap_or_default()
            .to_string()
    };
    let group_name = root
        .get("groupInfo")
        .and_then(Value::as_dictionary)
        .map(|g| string(g, "groupName"))
        .filter(|n| !n.trim().is_empty())
        .or_else(|| Some(string(root, "groupName")).filter(|n| !n.trim().is_empty()));
    // A settings file: each snippet's group by its uuid.
    let mut group_of: std::collections::HashMap<String, String> = Default::default();
    for g in root
        .get("groupsTE2")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_dictionary)
    {
        let name = string(g, "name");
        for id in g
            .get("snippetUUIDs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_string)
        {
            group_of.insert(id.to_string(), name.clone());
        }
    }
    let mut pack = Pack {
        meta: PackMeta {
            name: group_name.clone().unwrap_or_else(|| {
                path.file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for (i, v) in snippets.iter().enumerate() {
        let Some(d) = v.as_dictionary() else {
            continue;
        };
        let abbreviation = string(d, "abbreviation");
        let label = string(d, "label");
        let origin = Origin::Library {
            place: format!(
                "{}: [{}] {}",
                path.display(),
                i + 1,
                if label.is_empty() {
                    &abbreviation
                } else {
                    &label
                }
            ),
        };
        let folder = group_of
            .get(&string(d, "uuidString"))
            .cloned()
            .or_else(|| group_name.clone())
            .unwrap_or_default()
            .replace('/', "／")
            .trim()
            .to_string();
        let kind = d
            .get("snippetType")
            .and_then(Value::as_signed_integer)
            .unwrap_or(0);
        let content = string(d, "plainText");
        if !folder.is_empty() && !pack.folders.iter().any(|f| f.path == folder) {
            pack.folders.push(PackFolder {
                path: folder.clone(),
                origin: origin.clone(),
                starts_at: None,
                ends_at: None,
            });
        }
        push_te(
            &mut pack,
            &mut skipped,
            Snippet {
                abbreviation: &abbreviation,
                content: &content,
                label: &label,
                folder: &folder,
                kind,
            },
            origin,
        );
    }
    Ok((pack, skipped))
}

/// One TextExpander snippet as read from either layout.
struct Snippet<'a> {
    abbreviation: &'a str,
    content: &'a str,
    label: &'a str,
    folder: &'a str,
    /// `snippetType`: 0 plain text, 1 formatted text (and pictures), others scripts.
    kind: i64,
}

fn push_te(pack: &mut Pack, skipped: &mut Vec<Skipped>, s: Snippet<'_>, origin: Origin) {
    let skip = |skipped: &mut Vec<Skipped>, reason: String| {
        skipped.push(Skipped::not_imported(origin.clone(), reason))
    };
    let note = |skipped: &mut Vec<Skipped>, reason: String| {
        skipped.push(Skipped::note(origin.clone(), reason))
    };
    if s.kind >= 2 {
        skip(
            skipped,
            tr(
                "TextExpander 脚本片段（AppleScript、Shell 或 JavaScript）无法转换",
                "a TextExpander script snippet (AppleScript, shell or JavaScript) cannot be converted",
            ),
        );
        return;
    }
    if s.content.trim().is_empty() {
        skip(
            skipped,
            if s.kind == 1 {
                tr(
                    "格式文本或图片片段没有纯文本内容，无法导入",
                    "a formatted text or picture snippet without plain text cannot be imported",
                )
            } else {
                tr("内容为空", "empty content")
            },
        );
        return;
    }
    let content = s.content.replace("\r\n", "\n");
    let body = match te_macros(&content) {
        Ok((body, notes)) => {
            for n in notes {
                note(skipped, n);
            }
            body
        }
        Err(reason) => {
            skip(skipped, reason);
            return;
        }
    };
    if s.kind == 1 {
        note(
            skipped,
            tr(
                "格式（字体、颜色、图片）没有导入，只导入了纯文本",
                "formatting (fonts, colours, pictures) was left out; the plain text was imported",
            ),
        );
    }
    let keys = from_triggers(&[s.abbreviation]);
    if let Some(reason) = keys.note {
        note(skipped, reason);
    }
    let label = s.label.trim();
    pack.snippets.push(PackSnippet {
        folder: s.folder.to_string(),
        title: if label.is_empty() {
            title_of(&content)
        } else {
            label.to_string()
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

/// TextExpander's date and time codes (strftime letters; `%1m` style: without padding).
const TE_DATE_LETTERS: &str = "aAbBdeHIjklmMpSyYZz";

/// One TextExpander date/time code at the start of `s` (`%Y`, `%1m`), as its length.
fn te_date_code(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('%')?;
    let rest_after_one = rest.strip_prefix('1');
    let (extra, rest) = match rest_after_one {
        Some(r) => (1, r),
        None => (0, rest),
    };
    let c = rest.chars().next()?;
    TE_DATE_LETTERS
        .contains(c)
        .then_some(1 + extra + c.len_utf8())
}

/// A TextExpander fill-in field (`%filltext:name=买家:default=亲%`, `%fillarea:…%`,
/// `%fillpopup:name=尺码:default=M:S:L%`), which becomes our blank `{?name}`: asked when
/// the reply is fired, once per name (TextExpander also fills same-named fields once).
struct FillIn {
    name: String,
    default: Option<String>,
    /// A popup's other choices.
    choices: Vec<String>,
}

impl FillIn {
    /// What the blank loses: the default is not typed in for the agent, a popup's choices
    /// are not offered.
    fn note(&self) -> Option<String> {
        let mut all: Vec<&str> = self.default.iter().map(String::as_str).collect();
        all.extend(self.choices.iter().map(String::as_str));
        match (all.is_empty(), self.choices.is_empty()) {
            (true, _) => None,
            (false, true) => Some(tr(
                format!(
                    "填空「{}」的默认值「{}」不会自动填入：发送时输入",
                    self.name,
                    all.join("")
                ),
                format!(
                    "the fill-in \"{}\" became a blank: its default \"{}\" is typed when sending",
                    self.name,
                    all.join("")
                ),
            )),
            (false, false) => Some(tr(
                format!(
                    "填空「{}」的选项（{}）改为发送时输入",
                    self.name,
                    all.join("、")
                ),
                format!(
                    "the fill-in \"{}\" became a blank: its choices ({}) are typed when sending",
                    self.name,
                    all.join(", ")
                ),
            )),
        }
    }
}

/// A fill-in field at the start of `tail` and its length, for the kinds a blank can
/// stand for (`%fillpart%` optional sections and `%fillswitch%` cannot).
fn te_fill_in(tail: &str) -> Option<(FillIn, usize)> {
    let body = ["%filltext:", "%fillarea:", "%fillpopup:"]
        .iter()
        .find_map(|p| tail.strip_prefix(p))?;
    let end = body.find('%')?;
    let mut field = FillIn {
        name: String::new(),
        default: None,
        choices: Vec::new(),
    };
    for item in body[..end].split(':') {
        match item.split_once('=') {
            Some(("name", v)) => field.name = v.trim().to_string(),
            Some(("default", v)) => field.default = Some(v.to_string()),
            Some(_) => {}
            None if !item.is_empty() => field.choices.push(item.to_string()),
            None => {}
        }
    }
    let ok = !field.name.is_empty() && !field.name.contains(['{', '}', '\n']);
    ok.then(|| (field, tail.len() - body.len() + end + 1))
}

/// TextExpander text to ours: braces escaped, macros translated (see the module doc).
/// `Err` when the snippet uses something that cannot be converted.
pub(crate) fn te_macros(content: &str) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut notes = Vec::new();
    let mut rest = content;
    while let Some(at) = rest.find('%') {
        out.push_str(&literal(&rest[..at]));
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("%%") {
            out.push('%');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("%|") {
            rest = after;
        } else if let Some(after) = tail.strip_prefix("%clipboard") {
            out.push_str("{剪贴板}");
            rest = after;
        } else if let Some((field, len)) = te_fill_in(tail) {
            out.push_str(&format!("{{?{}}}", field.name));
            if let Some(note) = field.note() {
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            rest = &tail[len..];
        } else if [
            "%fill",
            "%key:",
            "%snippet:",
            "%@",
            "%+",
            "%-",
            "%>",
            "%<",
            "%\\",
        ]
        .iter()
        .any(|m| tail.starts_with(m))
        {
            return Err(tr(
                "含有 TextExpander 填空、按键、嵌套片段或日期计算指令，无法转换",
                "uses TextExpander fill-ins, key commands, nested snippets or date arithmetic, which cannot be converted",
            ));
        } else if let Some(len) = te_date_code(tail) {
            // A run of date codes and the separators between them: `%Y-%m-%d %H:%M`.
            let mut end = len;
            loop {
                let sep = tail[end..]
                    .char_indices()
                    .find(|(_, c)| !" -./:,年月日时分秒".contains(*c))
                    .map_or(tail.len() - end, |(i, _)| i);
                match te_date_code(&tail[end + sep..]) {
                    Some(n) => end += sep + n,
                    None => break,
                }
            }
            let format = &tail[..end];
            out.push_str(&format!("{{?日期 {format}}}"));
            notes.push(tr(
                format!("TextExpander 日期格式 {format} 改为发送时填写的「日期 {format}」"),
                format!(
                    "the TextExpander date format {format} became the prompt \"日期 {format}\", filled in when sent"
                ),
            ));
            rest = &tail[end..];
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(&literal(rest));
    Ok((out, notes))
}

/// Rows of a CSV: the line each starts on, its cells.
pub(crate) type Rows = Vec<(usize, Vec<String>)>;

/// Rows (line, cells) of a TextExpander CSV: RFC 4180 (`""` in quotes) when the file is
/// valid that way, else with backslash escapes (`\"`, `\\`) inside quoted fields.
/// `Err((line, message))` when neither reading works.
pub(crate) fn te_rows(text: &str) -> Result<Rows, (usize, String)> {
    let text = text.trim_start_matches('\u{feff}');
    csv_rows(text, false).or_else(|first| csv_rows(text, true).map_err(|_| first))
}

/// A small CSV reader (comma, `"` quotes) that can take `\` as an escape in quotes.
fn csv_rows(text: &str, backslash: bool) -> Result<Rows, (usize, String)> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line = 1usize;
    let mut row_line = 1usize;
    let mut chars = text.chars().peekable();
    let mut at_cell_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if at_cell_start => {
                let start = line;
                // A quoted cell, up to its closing quote.
                loop {
                    match chars.next() {
                        None => {
                            return Err((
                                start,
                                tr("引号没有闭合", "a quoted field is not closed"),
                            ));
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            cell.push('"');
                        }
                        Some('"') => break,
                        Some('\\') if backslash && matches!(chars.peek(), Some('"' | '\\')) => {
                            cell.extend(chars.next());
                        }
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            cell.push(c);
                        }
                    }
                }
                // After the closing quote: the end of the cell.
                match chars.peek() {
                    None | Some(',' | '\n' | '\r') => {}
                    Some(_) => {
                        return Err((
                            line,
                            tr(
                                "引号后面还有字符（字段里的引号应写成 \"\"）",
                                "text after a closing quote (a quote inside a field is written \"\")",
                            ),
                        ));
                    }
                }
                at_cell_start = false;
            }
            ',' => {
                row.push(std::mem::take(&mut cell));
                at_cell_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut cell));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
                at_cell_start = true;
            }
            c => {
                cell.push(c);
                at_cell_start = false;
            }
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push((row_line, row));
    }
    Ok(rows)
}

/// What a headerless CSV holds, judged from its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvKind {
    /// A TextExpander export: abbreviation, content (, label).
    TextExpander,
    /// A table of replies (see [`crate::packs::table`]).
    Table,
    /// Could be either: the user says which with `--format`.
    Ambiguous,
}

/// Whether a CSV without our header is a TextExpander export: its first column is
/// clearly abbreviations (short ASCII words without spaces, most of them starting or
/// ending with a sigil such as `;` or `/`), or — without sigils — a three-column file
/// whose second column is the long one (TextExpander's content) rather than the third
/// (a table's content). Two columns of plain words are ambiguous (title,content or
/// abbreviation,content).
pub fn csv_kind(text: &str) -> CsvKind {
    let Ok(rows) = te_rows(text) else {
        return CsvKind::Table;
    };
    let rows: Vec<&Vec<String>> = rows
        .iter()
        .map(|(_, r)| r)
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .collect();
    let Some(first) = rows.first() else {
        return CsvKind::Table;
    };
    let width = first.len();
    if !(2..=3).contains(&width)
        || rows.iter().any(|r| r.len() != width)
        || crate::packs::table::is_header(first)
    {
        return CsvKind::Table;
    }
    let abbreviation = |c: &str| {
        !c.is_empty() && c.chars().count() <= 32 && c.chars().all(|ch| ch.is_ascii_graphic())
    };
    if !rows.iter().all(|r| abbreviation(&r[0])) {
        return CsvKind::Table;
    }
    let sigils = rows
        .iter()
        .filter(|r| {
            r[0].starts_with(|c: char| c.is_ascii_punctuation())
                || r[0].ends_with(|c: char| c.is_ascii_punctuation())
        })
        .count();
    if sigils * 2 >= rows.len() {
        return CsvKind::TextExpander;
    }
    if width == 3 {
        let mean = |i: usize| {
            rows.iter().map(|r| r[i].chars().count()).sum::<usize>() as f64 / rows.len() as f64
        };
        let (content, label) = (mean(1), mean(2));
        if content > label {
            return CsvKind::TextExpander;
        }
        if label > content {
            return CsvKind::Table;
        }
    }
    CsvKind::Ambiguous
}

/// Plain text: replies separated by blank lines; a first line `# title` names a reply.
pub fn read_text(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let text = crate::packs::common::decode(bytes, path)?;
    let mut pack = Pack {
        meta: PackMeta {
            name: path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut block: Vec<&str> = Vec::new();
    let mut start = 1;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().chain(std::iter::once(&"")).enumerate() {
        if line.trim().is_empty() {
            if !block.is_empty() {
                let (title, body) = match block[0].strip_prefix("# ") {
                    Some(t) if block.len() > 1 => (t.trim().to_string(), block[1..].join("\n")),
                    _ => (title_of(&block.join("\n")), block.join("\n")),
                };
                let origin = Origin::File {
                    path: path.to_path_buf(),
                    line: start,
                };
                pack.snippets.push(PackSnippet {
                    folder: String::new(),
                    title,
                    code: None,
                    tags: Vec::new(),
                    apps: Vec::new(),
                    parts: vec![PackPart::Text {
                        body: literal(&body),
                        origin: origin.clone(),
                    }],
                    origin,
                    starts_at: None,
                    ends_at: None,
                });
                block.clear();
            }
            start = i + 2;
        } else {
            block.push(line.trim_end());
        }
    }
    Ok((pack, Vec::new()))
}

/// Plain text export: `# title`, the text, a blank line.
pub fn write_text(pack: &Pack) -> String {
    let mut out = String::new();
    for s in &pack.snippets {
        let text = s.texts();
        let body = text
            .join("\n")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!("# {}\n{}\n\n", s.title, body));
    }
    out
}
