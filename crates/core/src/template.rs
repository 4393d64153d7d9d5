//! Variables in reply text: `{店铺名}`, built-ins such as `{日期}` / `{date}`, prompts
//! `{?买家昵称}`, and `{{` / `}}` for literal braces.
//!
//! The date and time built-ins take an optional strftime format after a colon:
//! `{日期:%d.%m.%Y}`, `{时间:%H:%M:%S}`, `{明天:%m月%d日}` (the English names too,
//! `{date:%Y/%m/%d}`; a full-width `：` works as well). Without one they keep their
//! fixed formats (`2026-11-23`, `14:05`). A variable that is set under the whole name
//! still wins, as for every built-in.
//!
//! Parsing is separate from rendering so that `lint` can list every variable a reply uses
//! without rendering it, and rendering never lets an unresolved variable through: an
//! unknown variable is an error, never raw braces in a chat.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Local};

use crate::i18n::tr;

/// One piece of a parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Literal(&'a str),
    /// `{{` or `}}`.
    Brace(char),
    Var(&'a str),
    Prompt(&'a str),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{}", tr(format!("第 {line} 行第 {col} 列：「{{」没有配对的「}}」（要写花括号本身请用 {{{{ ）"), format!("line {line}, column {col}: \"{{\" is never closed (write {{{{ for a literal brace)")))]
    Unclosed { line: usize, col: usize },
    #[error("{}", tr(format!("第 {line} 行第 {col} 列：多余的「}}」（要写花括号本身请用 }}}} ）"), format!("line {line}, column {col}: stray \"}}\" (write }}}} for a literal brace)")))]
    StrayClose { line: usize, col: usize },
    #[error("{}", tr(format!("第 {line} 行第 {col} 列：变量名不能为空"), format!("line {line}, column {col}: empty variable name")))]
    EmptyName { line: usize, col: usize },
    #[error("{}", tr(format!("未知变量 {{{_0}}}：既不是内置变量，也没有设置（在话术编辑的「变量」里设置，Alt+V；或用 qreply vars set）"), format!("unknown variable {{{_0}}}: not a built-in and not set (set it in the editor's Variables, Alt+V, or with qreply vars set)")))]
    UnknownVariable(String),
    #[error("{}", tr(format!("需要填写 {{?{_0}}}"), format!("a value for {{?{_0}}} is needed")))]
    MissingPrompt(String),
    #[error("{}", tr(format!("{{{_0}}} 的日期格式无效（请用 strftime 写法，如 %Y-%m-%d %H:%M）"), format!("{{{_0}}}: invalid date format (use strftime, e.g. %Y-%m-%d %H:%M)")))]
    BadDateFormat(String),
    #[error(
        "{}",
        tr(
            "读取剪贴板失败，无法填入 {剪贴板}",
            "could not read the clipboard for {clipboard}"
        )
    )]
    ClipboardUnavailable,
}

fn line_col(s: &str, byte: usize) -> (usize, usize) {
    let before = &s[..byte];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Split a template into segments.
pub fn parse(s: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut lit_start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'}' if bytes.get(i + 1) == Some(&bytes[i]) => {
                if lit_start < i {
                    out.push(Segment::Literal(&s[lit_start..i]));
                }
                out.push(Segment::Brace(bytes[i] as char));
                i += 2;
                lit_start = i;
            }
            b'}' => {
                let (line, col) = line_col(s, i);
                return Err(TemplateError::StrayClose { line, col });
            }
            b'{' => {
                let Some(len) = s[i + 1..].find(['}', '{', '\n']) else {
                    let (line, col) = line_col(s, i);
                    return Err(TemplateError::Unclosed { line, col });
                };
                let end = i + 1 + len;
                if bytes[end] != b'}' {
                    let (line, col) = line_col(s, i);
                    return Err(TemplateError::Unclosed { line, col });
                }
                if lit_start < i {
                    out.push(Segment::Literal(&s[lit_start..i]));
                }
                let inner = s[i + 1..end].trim();
                let (prompt, name) = match inner.strip_prefix(['?', '？']) {
                    Some(rest) => (true, rest.trim()),
                    None => (false, inner),
                };
                if name.is_empty() {
                    let (line, col) = line_col(s, i);
                    return Err(TemplateError::EmptyName { line, col });
                }
                out.push(if prompt {
                    Segment::Prompt(name)
                } else {
                    Segment::Var(name)
                });
                i = end + 1;
                lit_start = i;
            }
            _ => i += 1,
        }
    }
    if lit_start < s.len() {
        out.push(Segment::Literal(&s[lit_start..]));
    }
    Ok(out)
}

/// The built-in variables, Chinese names first with their English aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Date,
    Time,
    Weekday { english: bool },
    Tomorrow,
    Clipboard,
}

/// Every built-in name, for completion and docs.
pub const BUILTIN_NAMES: &[&str] = &[
    "日期",
    "date",
    "时间",
    "time",
    "星期",
    "weekday",
    "明天",
    "tomorrow",
    "剪贴板",
    "clipboard",
];

impl Builtin {
    /// The built-in a variable name stands for, with or without a format
    /// (`日期`, `日期:%d.%m.%Y`); `None` for other names and for a format that is not
    /// valid strftime or follows a built-in that takes none.
    pub fn from_name(name: &str) -> Option<Builtin> {
        parse_builtin(name).map(|(b, _)| b)
    }

    /// Whether it accepts a date format (`{日期:…}`, `{时间:…}`, `{明天:…}`).
    pub fn takes_format(self) -> bool {
        matches!(self, Builtin::Date | Builtin::Time | Builtin::Tomorrow)
    }

    fn from_plain_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "日期" | "date" => Builtin::Date,
            "时间" | "time" => Builtin::Time,
            "星期" => Builtin::Weekday { english: false },
            "weekday" => Builtin::Weekday { english: true },
            "明天" | "tomorrow" => Builtin::Tomorrow,
            "剪贴板" | "clipboard" => Builtin::Clipboard,
            _ => return None,
        })
    }
}

/// Whether a strftime format is one chrono can render (an invalid one would make
/// formatting fail at send time).
pub fn is_valid_date_format(format: &str) -> bool {
    !format.is_empty()
        && !chrono::format::StrftimeItems::new(format)
            .any(|i| matches!(i, chrono::format::Item::Error))
}

/// Split a variable name into its built-in and format: `日期:%d.%m.%Y` →
/// `(Date, Some("%d.%m.%Y"))`, `日期` → `(Date, None)`. `None` when the name is no
/// built-in, or its format is invalid or not taken by that built-in.
pub fn parse_builtin(name: &str) -> Option<(Builtin, Option<&str>)> {
    if let Some(b) = Builtin::from_plain_name(name) {
        return Some((b, None));
    }
    let (base, format) = split_format(name)?;
    let b = Builtin::from_plain_name(base)?;
    (b.takes_format() && is_valid_date_format(format)).then_some((b, Some(format)))
}

/// `日期:%Y` → (`日期`, `%Y`), at the first `:` or `：`.
fn split_format(name: &str) -> Option<(&str, &str)> {
    let i = name.find([':', '：'])?;
    let sep = name[i..].chars().next()?.len_utf8();
    Some((name[..i].trim(), &name[i + sep..]))
}

/// A built-in name with a format that cannot be rendered (`{日期:%Q}`), for messages.
pub fn is_bad_date_format(name: &str) -> bool {
    split_format(name).is_some_and(|(base, format)| {
        Builtin::from_plain_name(base).is_some_and(Builtin::takes_format)
            && !is_valid_date_format(format)
    })
}

/// Everything a render needs besides the template.
pub struct RenderContext<'a> {
    /// Variable values, already merged in priority order (library's over personal).
    pub vars: &'a HashMap<String, String>,
    /// Answers to `{?prompt}`s.
    pub prompts: &'a HashMap<String, String>,
    pub now: DateTime<Local>,
    /// Reads the clipboard for `{剪贴板}`; `None` when no clipboard is available.
    pub clipboard: Option<&'a dyn Fn() -> Option<String>>,
}

const WEEKDAYS_ZH: [&str; 7] = [
    "星期一",
    "星期二",
    "星期三",
    "星期四",
    "星期五",
    "星期六",
    "星期日",
];

fn builtin_value(
    b: Builtin,
    format: Option<&str>,
    ctx: &RenderContext<'_>,
) -> Result<String, TemplateError> {
    if let Some(format) = format {
        let when = match b {
            Builtin::Tomorrow => ctx.now.checked_add_days(Days::new(1)).unwrap_or(ctx.now),
            _ => ctx.now,
        };
        // Checked when parsed; formatting into a String cannot fail past that check.
        let mut out = String::new();
        std::fmt::Write::write_fmt(&mut out, format_args!("{}", when.format(format)))
            .map_err(|_| TemplateError::BadDateFormat(format.to_string()))?;
        return Ok(out);
    }
    Ok(match b {
        Builtin::Date => ctx.now.format("%Y-%m-%d").to_string(),
        Builtin::Time => ctx.now.format("%H:%M").to_string(),
        Builtin::Weekday { english: false } => {
            WEEKDAYS_ZH[ctx.now.weekday().num_days_from_monday() as usize].to_string()
        }
        Builtin::Weekday { english: true } => ctx.now.format("%A").to_string(),
        Builtin::Tomorrow => ctx
            .now
            .checked_add_days(Days::new(1))
            .unwrap_or(ctx.now)
            .format("%Y-%m-%d")
            .to_string(),
        Builtin::Clipboard => ctx
            .clipboard
            .and_then(|read| read())
            .ok_or(TemplateError::ClipboardUnavailable)?,
    })
}

/// Render a template. Set variables win over built-ins of the same name, so a team can
/// override, say, `{日期}` with a fixed text on purpose.
pub fn render(s: &str, ctx: &RenderContext<'_>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(s.len() + 16);
    for seg in parse(s)? {
        match seg {
            Segment::Literal(l) => out.push_str(l),
            Segment::Brace(c) => out.push(c),
            Segment::Var(name) => match ctx.vars.get(name) {
                Some(v) => out.push_str(v),
                None => match parse_builtin(name) {
                    Some((b, format)) => out.push_str(&builtin_value(b, format, ctx)?),
                    None if is_bad_date_format(name) => {
                        return Err(TemplateError::BadDateFormat(name.to_string()));
                    }
                    None => return Err(TemplateError::UnknownVariable(name.to_string())),
                },
            },
            Segment::Prompt(name) => match ctx.prompts.get(name) {
                Some(v) => out.push_str(v),
                None => return Err(TemplateError::MissingPrompt(name.to_string())),
            },
        }
    }
    Ok(out)
}

/// A template as a list row shows it: set variables and the date and time built-ins
/// filled in, a prompt as `«买家昵称»`, and what cannot be known before the fire (the
/// clipboard, a variable set nowhere) left as written. Never fails: a template that does
/// not parse is shown as it is.
pub fn fill_for_display(s: &str, ctx: &RenderContext<'_>) -> String {
    let Ok(segments) = parse(s) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(s.len() + 16);
    for seg in segments {
        match seg {
            Segment::Literal(l) => out.push_str(l),
            Segment::Brace(c) => out.push(c),
            Segment::Var(name) => match ctx.vars.get(name) {
                Some(v) => out.push_str(v),
                None => match parse_builtin(name) {
                    Some((b, format)) if b != Builtin::Clipboard => {
                        match builtin_value(b, format, ctx) {
                            Ok(v) => out.push_str(&v),
                            Err(_) => out.push_str(&format!("{{{name}}}")),
                        }
                    }
                    _ => out.push_str(&format!("{{{name}}}")),
                },
            },
            Segment::Prompt(name) => out.push_str(&format!("«{name}»")),
        }
    }
    out
}

/// The distinct prompts of a template, in order of first use.
pub fn prompts(s: &str) -> Result<Vec<String>, TemplateError> {
    let mut names: Vec<String> = Vec::new();
    for seg in parse(s)? {
        if let Segment::Prompt(p) = seg
            && !names.iter().any(|n| n == p)
        {
            names.push(p.to_string());
        }
    }
    Ok(names)
}

/// Whether a name may be used as a variable name when setting one.
pub fn is_valid_var_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 32
        && !name.starts_with(['?', '？'])
        && !name
            .chars()
            .any(|c| c == '{' || c == '}' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx_with<'a>(
        vars: &'a HashMap<String, String>,
        prompts: &'a HashMap<String, String>,
        clip: Option<&'a dyn Fn() -> Option<String>>,
    ) -> RenderContext<'a> {
        RenderContext {
            vars,
            prompts,
            now: Local
                .with_ymd_and_hms(2026, 11, 23, 14, 5, 0)
                .single()
                .unwrap_or_else(Local::now),
            clipboard: clip,
        }
    }

    #[test]
    fn parses_variables_prompts_and_escaped_braces() {
        let segs = parse("亲{{注意}}，{店铺名}欢迎{?买家昵称}").unwrap_or_default();
        assert_eq!(
            segs,
            vec![
                Segment::Literal("亲"),
                Segment::Brace('{'),
                Segment::Literal("注意"),
                Segment::Brace('}'),
                Segment::Literal("，"),
                Segment::Var("店铺名"),
                Segment::Literal("欢迎"),
                Segment::Prompt("买家昵称"),
            ]
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        assert_eq!(
            parse("第一行\n亲{店铺名"),
            Err(TemplateError::Unclosed { line: 2, col: 2 })
        );
        assert_eq!(
            parse("ab}c"),
            Err(TemplateError::StrayClose { line: 1, col: 3 })
        );
        assert_eq!(
            parse("x{ }"),
            Err(TemplateError::EmptyName { line: 1, col: 2 })
        );
        assert!(matches!(
            parse("{a\n}"),
            Err(TemplateError::Unclosed { .. })
        ));
    }

    #[test]
    fn renders_set_variables_builtins_and_prompts() {
        let vars = HashMap::from([("店铺名".to_string(), "小满家".to_string())]);
        let prompts = HashMap::from([("买家昵称".to_string(), "阿花".to_string())]);
        let clip = || Some("SF123".to_string());
        let ctx = ctx_with(&vars, &prompts, Some(&clip));
        let out = render(
            "{?买家昵称}您好，{店铺名}今天{日期}（{星期}）{时间}，明天是{明天}，单号{剪贴板}，{weekday} {date}",
            &ctx,
        );
        assert_eq!(
            out.as_deref(),
            Ok(
                "阿花您好，小满家今天2026-11-23（星期一）14:05，明天是2026-11-24，单号SF123，Monday 2026-11-23"
            )
        );
    }

    #[test]
    fn unknown_variables_and_missing_prompts_are_errors() {
        let empty = HashMap::new();
        let ctx = ctx_with(&empty, &empty, None);
        assert_eq!(
            render("{店铺}", &ctx),
            Err(TemplateError::UnknownVariable("店铺".into()))
        );
        assert_eq!(
            render("{?昵称}", &ctx),
            Err(TemplateError::MissingPrompt("昵称".into()))
        );
        assert_eq!(
            render("{剪贴板}", &ctx),
            Err(TemplateError::ClipboardUnavailable)
        );
    }

    #[test]
    fn set_variables_override_builtins() {
        let vars = HashMap::from([("日期".to_string(), "双11当天".to_string())]);
        let empty = HashMap::new();
        assert_eq!(
            render("{日期}", &ctx_with(&vars, &empty, None)).as_deref(),
            Ok("双11当天")
        );
    }

    #[test]
    fn date_builtins_take_a_strftime_format() {
        let empty = HashMap::new();
        let ctx = ctx_with(&empty, &empty, None);
        assert_eq!(
            render(
                "{日期:%d.%m.%Y} {时间:%H:%M:%S} {明天：%m月%d日} {date:%Y/%m/%d} {time: %I%p}",
                &ctx
            )
            .as_deref(),
            Ok("23.11.2026 14:05:00 11月24日 2026/11/23  02PM")
        );
        // Without a format they keep their fixed ones (backwards compatible).
        assert_eq!(
            render("{日期} {时间} {明天}", &ctx).as_deref(),
            Ok("2026-11-23 14:05 2026-11-24")
        );
        assert_eq!(
            parse_builtin("日期:%d.%m.%Y"),
            Some((Builtin::Date, Some("%d.%m.%Y")))
        );
        assert_eq!(Builtin::from_name("时间:%H:%M"), Some(Builtin::Time));
        // A bad format, or a format on a built-in that takes none, is no built-in.
        assert_eq!(Builtin::from_name("日期:%Q"), None);
        assert_eq!(Builtin::from_name("剪贴板:%Y"), None);
        assert_eq!(Builtin::from_name("日期:"), None);
        assert_eq!(
            render("{日期:%Q}", &ctx),
            Err(TemplateError::BadDateFormat("日期:%Q".into()))
        );
        // A variable set under the whole name still wins.
        let vars = HashMap::from([("日期:%Y".to_string(), "固定".to_string())]);
        assert_eq!(
            render("{日期:%Y}", &ctx_with(&vars, &empty, None)).as_deref(),
            Ok("固定")
        );
    }

    #[test]
    fn prompts_are_listed_once_in_order() {
        assert_eq!(
            prompts("{?a}{?b}{?a}{c}").unwrap_or_default(),
            vec!["a".to_string(), "b".to_string()]
        );
    }

    #[test]
    fn variable_names_are_checked() {
        assert!(is_valid_var_name("店铺名"));
        assert!(is_valid_var_name("shop_name"));
        assert!(!is_valid_var_name(""));
        assert!(!is_valid_var_name("a b"));
        assert!(!is_valid_var_name("?x"));
        assert!(!is_valid_var_name("{x}"));
    }

    #[test]
    fn fill_for_display_fills_what_is_known_and_never_fails() {
        let vars = HashMap::from([("店铺名".to_string(), "小满家".to_string())]);
        let prompts = HashMap::new();
        let clip = || Some("不该读到".to_string());
        let ctx = ctx_with(&vars, &prompts, Some(&clip));
        assert_eq!(
            fill_for_display("亲，{店铺名}今天{日期}发货，{?买家昵称}您好 {{x}}", &ctx),
            "亲，小满家今天2026-11-23发货，«买家昵称»您好 {x}"
        );
        // The clipboard is not read for a list row; a variable set nowhere stays visible.
        assert_eq!(fill_for_display("{剪贴板} {快递}", &ctx), "{剪贴板} {快递}");
        // A template that does not parse is shown as written.
        assert_eq!(fill_for_display("坏的 {店铺名", &ctx), "坏的 {店铺名");
    }
}
