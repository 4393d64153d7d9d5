//! `qreply lint`: checks a pack (a source folder or a library read as a pack) and reports
//! every problem with its file and line (or library place): template syntax, unknown
//! variables, duplicate titles and codes, invalid codes, near-duplicate bodies, empty
//! folders, missing or broken images.

pub mod dates;

use std::collections::{HashMap, HashSet};

use crate::blob::read_image_file;
use crate::i18n::tr;
use crate::source::{ImageRef, Origin, Pack, PackPart};
use crate::template::{self, Builtin, Segment};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Known chat-app names for `apps:`.
pub const APPS: &[&str] = &[
    "wechat", "wecom", "qianniu", "qq", "dingtalk", "feishu", "jd", "pdd",
];

/// Two bodies at least this similar (Jaccard over character bigrams) are near-duplicates.
pub const NEAR_DUPLICATE: f64 = 0.8;

/// Options that differ between a source pack and a library.
pub struct LintContext<'a> {
    /// Variables that resolve besides the pack's own (e.g. the personal library's).
    pub extra_vars: &'a HashSet<String>,
    /// Whether a blob is present and intact (libraries); files are checked directly.
    pub blob_ok: &'a dyn Fn(&str) -> bool,
    /// Report near-duplicate bodies. On for curated packs (the built-in library); off
    /// for a user's own library, where similar replies are often on purpose.
    pub near_duplicates: bool,
}

fn bigrams(s: &str) -> Vec<u64> {
    crate::search::bigrams(s.chars())
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Check a pack; returns every problem found, in pack order.
pub fn lint(pack: &Pack, ctx: &LintContext<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut push = |origin: &Origin, message: String| {
        problems.push(Problem {
            origin: origin.clone(),
            message,
        })
    };
    let mut titles: HashMap<&str, &Origin> = HashMap::new();
    let mut codes: HashMap<&str, (&str, &Origin)> = HashMap::new();
    let known = |name: &str| {
        pack.meta.variables.contains_key(name)
            || ctx.extra_vars.contains(name)
            || Builtin::from_name(name).is_some()
    };
    for s in &pack.snippets {
        if let Some(first) = titles.insert(&s.title, &s.origin) {
            push(
                &s.origin,
                tr(
                    format!("标题「{}」重复（第一次出现在 {first}）", s.title),
                    format!("duplicate title \"{}\" (first at {first})", s.title),
                ),
            );
        }
        if let Some(code) = s.code.as_deref() {
            if !quickreply_proto::is_valid_code(code) {
                push(
                    &s.origin,
                    tr(
                        format!("快捷编码「{code}」无效：只能用 1–16 个小写字母或数字"),
                        format!(
                            "shortcut code \"{code}\" is invalid: use 1–16 lowercase letters or digits"
                        ),
                    ),
                );
            } else if let Some((title, first)) = codes.insert(code, (&s.title, &s.origin)) {
                push(
                    &s.origin,
                    tr(
                        format!("快捷编码「{code}」重复（「{title}」{first} 已使用）"),
                        format!(
                            "duplicate shortcut code \"{code}\" (used by \"{title}\" at {first})"
                        ),
                    ),
                );
            }
        }
        for app in &s.apps {
            if !APPS.contains(&app.as_str()) {
                push(
                    &s.origin,
                    tr(
                        format!("未知的聊天应用「{app}」（可用：{}）", APPS.join(", ")),
                        format!("unknown chat app \"{app}\" (known: {})", APPS.join(", ")),
                    ),
                );
            }
        }
        for part in &s.parts {
            match part {
                PackPart::Text { body, origin } => match template::parse(body) {
                    Err(e) => push(origin, e.to_string()),
                    Ok(segs) => {
                        let mut reported = HashSet::new();
                        for seg in segs {
                            if let Segment::Var(name) = seg
                                && !known(name)
                                && reported.insert(name)
                            {
                                let line = body
                                    .lines()
                                    .position(|l| l.contains(&format!("{{{name}}}")))
                                    .unwrap_or(0);
                                let message = if crate::template::is_bad_date_format(name) {
                                    crate::template::TemplateError::BadDateFormat(name.to_string())
                                        .to_string()
                                } else {
                                    tr(
                                        format!(
                                            "未知变量 {{{name}}}：不是内置变量，也没有在 pack.toml / 话术库变量中定义"
                                        ),
                                        format!(
                                            "unknown variable {{{name}}}: not a built-in and not defined in pack.toml / the library's variables"
                                        ),
                                    )
                                };
                                push(&origin.offset(line), message);
                            }
                        }
                    }
                },
                PackPart::Image { image, origin } => match image {
                    ImageRef::File(path) => {
                        if let Err(e) = read_image_file(path) {
                            push(origin, e.to_string());
                        }
                    }
                    ImageRef::Bytes { name, data } => {
                        if let Err(e) = crate::blob::inspect_image(data, std::path::Path::new(name))
                        {
                            push(origin, e.to_string());
                        }
                    }
                    ImageRef::Blob(sha) => {
                        if !(ctx.blob_ok)(sha) {
                            push(
                                origin,
                                tr(
                                    format!("图片 {sha} 缺失或已损坏"),
                                    format!("image {sha} is missing or damaged"),
                                ),
                            );
                        }
                    }
                },
            }
        }
    }
    // Folders must hold something, directly or in a sub-folder.
    for f in &pack.folders {
        let prefix = format!("{}/", f.path);
        if !pack
            .snippets
            .iter()
            .any(|s| s.folder == f.path || s.folder.starts_with(&prefix))
        {
            push(
                &f.origin,
                tr(
                    format!("文件夹「{}」是空的", f.path),
                    format!("folder \"{}\" is empty", f.path),
                ),
            );
        }
    }
    if ctx.near_duplicates {
        near_duplicates(pack, &mut push);
    }
    problems.sort_by_key(|p| match &p.origin {
        Origin::File { path, line } => (path.clone(), *line),
        Origin::Library { .. } => (Default::default(), 0),
    });
    problems
}

/// Report replies whose bodies are nearly the same as an earlier one's.
fn near_duplicates(pack: &Pack, push: &mut impl FnMut(&Origin, String)) {
    let bodies: Vec<(usize, Vec<u64>)> = pack
        .snippets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let text = s.texts().join(
                "
",
            );
            (i, bigrams(&text))
        })
        .collect();
    for (a, ga) in &bodies {
        for (b, gb) in bodies.iter().filter(|(b, _)| b > a) {
            let (short, long) = if ga.len() < gb.len() {
                (ga.len(), gb.len())
            } else {
                (gb.len(), ga.len())
            };
            // Jaccard can only reach the bar when the sizes are close.
            if long == 0 || (short as f64) < NEAR_DUPLICATE * long as f64 {
                continue;
            }
            let sim = jaccard(ga, gb);
            if sim >= NEAR_DUPLICATE {
                let (sa, sb) = (&pack.snippets[*a], &pack.snippets[*b]);
                push(
                    &sb.origin,
                    tr(
                        format!(
                            "「{}」与「{}」（{}）内容几乎相同（相似度 {:.0}%）",
                            sb.title,
                            sa.title,
                            sa.origin,
                            sim * 100.0
                        ),
                        format!(
                            "\"{}\" is nearly the same as \"{}\" ({}) ({:.0}% similar)",
                            sb.title,
                            sa.title,
                            sa.origin,
                            sim * 100.0
                        ),
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{PackFolder, PackMeta, PackSnippet, VarDef};
    use std::path::PathBuf;

    fn at(line: usize) -> Origin {
        Origin::File {
            path: PathBuf::from("a.md"),
            line,
        }
    }

    fn snip(title: &str, code: Option<&str>, body: &str, line: usize) -> PackSnippet {
        PackSnippet {
            folder: "物流".into(),
            title: title.into(),
            code: code.map(str::to_string),
            tags: vec![],
            apps: vec![],
            parts: vec![PackPart::Text {
                body: body.into(),
                origin: at(line + 1),
            }],
            origin: at(line),
            starts_at: None,
            ends_at: None,
        }
    }

    fn run(pack: &Pack) -> Vec<String> {
        let extra = HashSet::from(["客服名".to_string()]);
        let ok = |_: &str| true;
        lint(
            pack,
            &LintContext {
                extra_vars: &extra,
                blob_ok: &ok,
                near_duplicates: true,
            },
        )
        .into_iter()
        .map(|p| p.to_string())
        .collect()
    }

    #[test]
    fn clean_pack_has_no_problems() {
        let mut meta = PackMeta::default();
        meta.variables.insert("店铺名".into(), VarDef::default());
        let pack = Pack {
            meta,
            folders: vec![PackFolder {
                path: "物流".into(),
                origin: at(0),
                starts_at: None,
                ends_at: None,
            }],
            snippets: vec![
                snip(
                    "发货时间",
                    Some("fh"),
                    "{店铺名}付款后48小时内发货，{客服名}为您服务",
                    1,
                ),
                snip(
                    "快递公司",
                    Some("kd"),
                    "默认中通，需要顺丰请留言补差价哦，{日期}",
                    5,
                ),
            ],
        };
        assert_eq!(run(&pack), Vec::<String>::new());
    }

    #[test]
    fn reports_each_problem_with_its_line() {
        let pack = Pack {
            meta: PackMeta::default(),
            folders: vec![
                PackFolder {
                    path: "物流".into(),
                    origin: at(0),
                    starts_at: None,
                    ends_at: None,
                },
                PackFolder {
                    path: "空".into(),
                    origin: at(0),
                    starts_at: None,
                    ends_at: None,
                },
            ],
            snippets: vec![
                snip("发货时间", Some("fh"), "第一行\n{店铺}发货", 1),
                snip("发货时间", Some("fh"), "完全不同的一句话呢", 10),
                snip("坏编码", Some("F H"), "亲 {未闭合", 20),
                snip(
                    "相似一",
                    None,
                    "亲，我们的商品都是正品，支持专柜验货，请放心购买",
                    30,
                ),
                snip(
                    "相似二",
                    None,
                    "亲，我们的商品都是正品，支持专柜验货，请放心购买哦",
                    40,
                ),
            ],
        };
        let out = run(&pack);
        let has = |prefix: &str, needle: &str| {
            out.iter()
                .any(|m| m.starts_with(prefix) && m.contains(needle))
        };
        assert!(has("a.md:0", "空"), "{out:?}");
        assert!(has("a.md:3", "店铺"), "{out:?}");
        assert!(has("a.md:10", "发货时间"), "{out:?}");
        assert!(has("a.md:10", "fh"), "{out:?}");
        assert!(has("a.md:20", "F H"), "{out:?}");
        assert!(has("a.md:21", "{"), "{out:?}");
        assert!(has("a.md:40", "相似一"), "{out:?}");
        assert_eq!(out.len(), 7, "{out:?}");
    }

    #[test]
    fn formatted_dates_are_known_and_bad_formats_named() {
        let pack = Pack {
            meta: PackMeta::default(),
            folders: vec![],
            snippets: vec![
                snip(
                    "日期",
                    None,
                    "今天是 {日期:%d.%m.%Y}，现在 {时间:%H:%M:%S}",
                    1,
                ),
                snip("坏格式", None, "亲\n{日期:%Q}", 5),
            ],
        };
        let out = run(&pack);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0].starts_with("a.md:7")
                && (out[0].contains("date format") || out[0].contains("日期格式")),
            "{out:?}"
        );
    }
}
