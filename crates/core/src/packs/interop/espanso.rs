//! espanso: match files, package folders and zipped packages; writing a match file.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{ImageRef, Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet};

/// Rejects YAML aliases before loading: the loader copies aliased nodes, so a few lines
/// of nested aliases ("billion laughs") would expand to gigabytes.
struct AliasCheck(bool);

impl yaml_rust2::parser::MarkedEventReceiver for AliasCheck {
    fn on_event(&mut self, ev: yaml_rust2::Event, _: yaml_rust2::scanner::Marker) {
        if matches!(ev, yaml_rust2::Event::Alias(_)) {
            self.0 = true;
        }
    }
}

fn load_yaml(text: &str, path: &Path) -> Result<Yaml, InteropError> {
    let mut check = AliasCheck(false);
    yaml_rust2::parser::Parser::new_from_str(text)
        .load(&mut check, true)
        .map_err(|e| err(path, format!("YAML {e}")))?;
    if check.0 {
        return Err(err(
            path,
            tr(
                "不支持 YAML 别名（*引用），请展开后再导入",
                "YAML aliases (*references) are not supported; expand them before importing",
            ),
        ));
    }
    let mut docs =
        yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| err(path, format!("YAML {e}")))?;
    Ok(if docs.is_empty() {
        Yaml::Null
    } else {
        docs.swap_remove(0)
    })
}

fn yaml_str(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Finds the image an `image_path` names (relative to the package, `$CONFIG/` removed).
type ImageResolver<'a> = &'a mut dyn FnMut(&str) -> Option<ImageRef>;

/// Most match files one import reads (a match folder with its packages).
const MAX_FILES: usize = 5_000;

/// An espanso variable as our text: `Ok` with the template text it becomes, `Err` with
/// why it cannot be converted.
type VarValue = Result<String, String>;

/// What a `form` variable stands for in [`VarValue`]: its fields (`{{form1.name}}`)
/// become our prompts (`{?name}`), asked when the reply is fired as espanso's form
/// asked them.
const FORM: &str = "\u{0}form";

/// A date variable's `format` (chrono strftime, which espanso uses) and `offset`
/// (seconds) as one of our date built-ins with the same format.
fn date_var(format: Option<&str>, offset: i64) -> VarValue {
    let tomorrow = match offset {
        0 => false,
        86_400 => true,
        other => {
            return Err(tr(
                format!("日期偏移 {other} 秒无法转换（只支持当天和明天）"),
                format!(
                    "a date offset of {other} seconds cannot be converted (only today and tomorrow)"
                ),
            ));
        }
    };
    let format = format.unwrap_or("%Y-%m-%d");
    if !crate::template::is_valid_date_format(format) || format.contains(['{', '}', '\n']) {
        return Err(tr(
            format!("日期格式 {format} 无法转换"),
            format!("the date format {format} cannot be converted"),
        ));
    }
    let has_date = [
        "%Y", "%y", "%m", "%d", "%e", "%b", "%B", "%a", "%A", "%j", "%D", "%F", "%x", "%c", "%-m",
        "%-d",
    ]
    .iter()
    .any(|f| format.contains(f));
    Ok(match (tomorrow, format) {
        (true, "%Y-%m-%d") => "{明天}".into(),
        (true, f) => format!("{{明天:{f}}}"),
        (false, "%Y-%m-%d") => "{日期}".into(),
        (false, "%H:%M") => "{时间}".into(),
        (false, f) if has_date => format!("{{日期:{f}}}"),
        (false, f) => format!("{{时间:{f}}}"),
    })
}

/// One entry of `vars:` or `global_vars:`; `global` (a local naming a global) is
/// resolved by the caller.
fn var_value(v: &Yaml) -> (String, Option<VarValue>) {
    let name = yaml_str(&v["name"]).unwrap_or_default();
    let kind = yaml_str(&v["type"]).unwrap_or_default();
    let value = match kind.as_str() {
        "date" => Some(date_var(
            yaml_str(&v["params"]["format"]).as_deref(),
            match &v["params"]["offset"] {
                Yaml::Integer(i) => *i,
                _ => 0,
            },
        )),
        "clipboard" => Some(Ok("{剪贴板}".into())),
        "form" => Some(Ok(FORM.into())),
        "echo" => Some(Ok(literal(
            &yaml_str(&v["params"]["echo"]).unwrap_or_default(),
        ))),
        "global" => None,
        other => Some(Err(tr(
            format!("变量 {name} 的类型 {other} 无法转换"),
            format!("variable {name} of type {other} cannot be converted"),
        ))),
    };
    (name, value)
}

/// An espanso `replace` text as ours: `{{var}}` (spaces allowed, `form.field`
/// included) resolved by `lookup`, `\{` / `\}` literal braces, the cursor hint `$|$`
/// removed. Returns the text and notes, or why the match cannot be converted.
fn espanso_text(
    raw: &str,
    lookup: &dyn Fn(&str) -> Option<VarValue>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(raw.len());
    let mut notes = Vec::new();
    let mut cursor_at = None;
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("$|$") {
            cursor_at.get_or_insert(out.len());
            rest = r;
        } else if let Some(r) = rest.strip_prefix("\\{") {
            out.push_str("{{");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("\\}") {
            out.push_str("}}");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("{{")
            && let Some(end) = r.find("}}")
            && !r[..end].trim().is_empty()
            && r[..end]
                .trim()
                .chars()
                .all(|c| c.is_alphanumeric() || "_.-".contains(c))
        {
            let name = r[..end].trim();
            let base = name.split('.').next().unwrap_or(name);
            match lookup(base) {
                Some(Ok(text)) if text == FORM => match name.split_once('.') {
                    Some((_, field)) if !field.is_empty() => {
                        out.push_str(&format!("{{?{field}}}"));
                    }
                    _ => {
                        return Err(tr(
                            format!("表单变量 {name} 没有指明字段（应写成 {name}.字段名）"),
                            format!("the form variable {name} names no field ({name}.field)"),
                        ));
                    }
                },
                Some(Ok(text)) => out.push_str(&text),
                Some(Err(reason)) => return Err(reason),
                None => {
                    out.push_str(&literal(&format!("{{{{{name}}}}}")));
                    notes.push(tr(
                        format!("变量 {name} 在文件里没有定义，按原文保留"),
                        format!("variable {name} is not defined in the files; kept as text"),
                    ));
                }
            }
            rest = &r[end + 2..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push_str(&literal(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    if let Some(at) = cursor_at
        && !out[at..].trim().is_empty()
    {
        let before: String = as_seen(&out[..at]).chars().rev().take(12).collect();
        let before: String = before.chars().rev().collect();
        notes.push(tr(
            format!("光标位置 $|$ 已去掉（原来停在「{before}」之后，发送前可能要在那里补充内容）"),
            format!("the cursor position $|$ was removed (it was after \"{before}\"; something may have been typed there)"),
        ));
    }
    Ok((out, notes))
}

/// A `form:` text as a `replace:` text: `[[field]]` → `{{form1.field}}`.
fn form_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("[[") {
        let after = &rest[at + 2..];
        match after.find("]]") {
            Some(end)
                if !after[..end].trim().is_empty()
                    && after[..end]
                        .trim()
                        .chars()
                        .all(|c| c.is_alphanumeric() || "_-".contains(c)) =>
            {
                out.push_str(&rest[..at]);
                out.push_str(&format!("{{{{form1.{}}}}}", after[..end].trim()));
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str(&rest[..at + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The fields of a match's `form_fields` that offer choices (`type: choice` / `list`):
/// ours are free-text prompts, which the import notes.
fn form_choices(fields: &Yaml) -> Vec<String> {
    let Yaml::Hash(h) = fields else {
        return Vec::new();
    };
    h.iter()
        .filter(|(_, f)| matches!(yaml_str(&f["type"]).as_deref(), Some("choice" | "list")))
        .filter_map(|(name, _)| yaml_str(name))
        .collect()
}

/// `global_vars` of a match file, name → value (`None` for those that cannot be
/// converted are kept as `Err`, so only matches that use them are skipped).
fn global_vars(doc: &Yaml) -> Vec<(String, VarValue)> {
    let mut out = Vec::new();
    if let Yaml::Array(vars) = &doc["global_vars"] {
        for v in vars {
            if let (name, Some(value)) = var_value(v) {
                out.push((name, value));
            }
        }
    }
    out
}

/// Read an espanso match file (`matches:`); `images` resolves `image_path`s. Its own
/// `global_vars` apply; [`read_espanso_docs`] applies those of every file.
pub fn read_espanso_file(
    text: &str,
    path: &Path,
    folder: &str,
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    images: ImageResolver<'_>,
) -> Result<(), InteropError> {
    let doc = load_yaml(text, path)?;
    let globals = global_vars(&doc);
    espanso_matches(&doc, path, folder, &globals, pack, skipped, images)
}

fn espanso_matches(
    doc: &Yaml,
    path: &Path,
    folder: &str,
    globals: &[(String, VarValue)],
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    images: ImageResolver<'_>,
) -> Result<(), InteropError> {
    let matches = match &doc["matches"] {
        Yaml::Array(a) => a.as_slice(),
        Yaml::BadValue | Yaml::Null => &[],
        _ => {
            return Err(err(
                path,
                tr("matches 应该是列表", "matches must be a list"),
            ));
        }
    };
    if !folder.is_empty() && !matches.is_empty() && !pack.folders.iter().any(|f| f.path == folder) {
        pack.folders.push(PackFolder {
            path: folder.to_string(),
            origin: Origin::File {
                path: path.to_path_buf(),
                line: 1,
            },
            starts_at: None,
            ends_at: None,
        });
    }
    let global = |name: &str| {
        globals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    for (i, m) in matches.iter().enumerate() {
        let origin = Origin::Library {
            place: format!("{}: matches[{i}]", path.display()),
        };
        let triggers: Vec<String> = match (&m["trigger"], &m["triggers"]) {
            (t, _) if yaml_str(t).is_some() => yaml_str(t).into_iter().collect(),
            (_, Yaml::Array(a)) => a.iter().filter_map(yaml_str).collect(),
            _ => Vec::new(),
        };
        let skip = |reason: String, skipped: &mut Vec<Skipped>| {
            skipped.push(Skipped::not_imported(origin.clone(), reason))
        };
        if !matches!(m["regex"], Yaml::BadValue) {
            skip(
                tr(
                    "正则触发（regex）无法转换",
                    "regex triggers cannot be converted",
                ),
                skipped,
            );
            continue;
        }
        // Local variables, in order; a `global` one names a global variable.
        let mut locals: Vec<(String, VarValue)> = Vec::new();
        // The `form:` shorthand: its text with `[[field]]` for each field, as if it were
        // `replace: "{{form1.field}}"` with a form variable `form1` (espanso's own reading).
        let form = yaml_str(&m["form"]).map(|text| {
            locals.push(("form1".into(), Ok(FORM.into())));
            form_text(&text)
        });
        let choices = form_choices(&m["form_fields"]);
        if !choices.is_empty() {
            skipped.push(Skipped::note(
                origin.clone(),
                tr(
                    format!(
                        "表单里的选项（{}）导入为填空：发送时直接输入",
                        choices.join("、")
                    ),
                    format!(
                        "the form's choices ({}) became blanks: type the answer when sending",
                        choices.join(", ")
                    ),
                ),
            ));
        }
        if let Yaml::Array(vars) = &m["vars"] {
            for v in vars {
                match var_value(v) {
                    (name, Some(value)) => locals.push((name, value)),
                    (name, None) => {
                        if let Some(value) = global(&name) {
                            locals.push((name, value));
                        }
                    }
                }
            }
        }
        let lookup = |name: &str| {
            locals
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| global(name))
        };
        let raw = form
            .or_else(|| yaml_str(&m["replace"]))
            .or_else(|| yaml_str(&m["markdown"]));
        let (body, notes) = match raw.as_deref().map(|r| espanso_text(r, &lookup)) {
            None => (String::new(), Vec::new()),
            Some(Ok(done)) => done,
            Some(Err(reason)) => {
                skip(reason, skipped);
                continue;
            }
        };
        let mut parts = Vec::new();
        if !body.trim().is_empty() {
            parts.push(PackPart::Text {
                body,
                origin: origin.clone(),
            });
        }
        if let Some(img) = yaml_str(&m["image_path"]) {
            let rel = img
                .trim_start_matches("$CONFIG/")
                .trim_start_matches("$CONFIG\\");
            let found = crate::source::stays_inside(rel)
                .then(|| images(rel))
                .flatten();
            let Some(image) = found else {
                skip(
                    tr(
                        format!("找不到图片 {img}"),
                        format!("image {img} not found"),
                    ),
                    skipped,
                );
                continue;
            };
            parts.push(PackPart::Image {
                image,
                origin: origin.clone(),
            });
        }
        if parts.is_empty() {
            skip(
                tr("没有 replace 或 image_path", "no replace or image_path"),
                skipped,
            );
            continue;
        }
        skipped.extend(notes.into_iter().map(|n| Skipped::note(origin.clone(), n)));
        // The label, else the text's first line, else the trigger.
        let title = yaml_str(&m["label"])
            .filter(|l| !l.trim().is_empty())
            .or_else(|| match &parts[0] {
                PackPart::Text { body, .. } => Some(title_of(body)).filter(|t| !t.is_empty()),
                PackPart::Image { .. } => None,
            })
            .or_else(|| triggers.first().cloned())
            .unwrap_or_else(|| format!("image {i}"));
        let keys = from_triggers(&triggers);
        skipped.extend(
            keys.note
                .map(|reason| Skipped::note(origin.clone(), reason)),
        );
        pack.snippets.push(PackSnippet {
            folder: folder.to_string(),
            title,
            code: keys.code,
            tags: keys.tags,
            apps: Vec::new(),
            parts,
            origin,
            starts_at: None,
            ends_at: None,
        });
    }
    Ok(())
}

/// Pack metadata from an espanso `_manifest.yml`.
fn espanso_manifest(text: &str, path: &Path) -> Result<PackMeta, InteropError> {
    let m = load_yaml(text, path)?;
    Ok(PackMeta {
        name: yaml_str(&m["title"])
            .or_else(|| yaml_str(&m["name"]))
            .unwrap_or_default(),
        author: yaml_str(&m["author"]).unwrap_or_default(),
        description: yaml_str(&m["description"]).unwrap_or_default(),
        ..PackMeta::default()
    })
}

/// One match file to read: its text, where it is (for messages), the folder its
/// matches go into, and the folder its relative `image_path`s start from.
struct MatchFile {
    text: String,
    path: PathBuf,
    folder: String,
}

/// Read match files together, as espanso loads them: every file's `global_vars`
/// apply to every match. With `lenient`, a file that is not valid YAML is listed as
/// skipped (the others are still read, as espanso does); otherwise it is an error.
fn read_espanso_docs(
    files: Vec<MatchFile>,
    lenient: bool,
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    images: ImageResolver<'_>,
) -> Result<(), InteropError> {
    let mut docs = Vec::with_capacity(files.len());
    for f in files {
        match load_yaml(&f.text, &f.path) {
            Ok(doc) => docs.push((doc, f)),
            Err(e) if lenient => skipped.push(Skipped::not_imported(
                Origin::File {
                    path: f.path.clone(),
                    line: 1,
                },
                e.message,
            )),
            Err(e) => return Err(e),
        }
    }
    let globals: Vec<(String, VarValue)> = docs.iter().flat_map(|(d, _)| global_vars(d)).collect();
    for (doc, f) in &docs {
        espanso_matches(doc, &f.path, &f.folder, &globals, pack, skipped, images)?;
    }
    Ok(())
}

fn is_yml(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Every `.yml` under a folder, recursively, except files starting with `_` (espanso
/// loads those only when imported) and `_manifest.yml`; sorted.
fn match_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), InteropError> {
    if depth > 16 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(dir, e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() && !name.starts_with('.') {
            match_files(&p, out, depth + 1)?;
        } else if p.is_file() && is_yml(&p) && !name.starts_with('_') {
            out.push(p);
        }
        if out.len() > MAX_FILES {
            return Err(err(
                dir,
                tr(
                    format!("匹配文件超过 {MAX_FILES} 个"),
                    format!("more than {MAX_FILES} match files"),
                ),
            ));
        }
    }
    Ok(())
}

/// The package a file belongs to: the nearest folder (up to `root`) with a
/// `package.yml` or `_manifest.yml`, named by its manifest's title, else its name.
fn package_of(file: &Path, root: &Path) -> Option<(PathBuf, PackMeta)> {
    let mut dir = file.parent()?;
    loop {
        let manifest = dir.join("_manifest.yml");
        if manifest.is_file() || dir.join("package.yml").is_file() {
            let mut meta = std::fs::read_to_string(&manifest)
                .ok()
                .and_then(|t| espanso_manifest(&t, &manifest).ok())
                .unwrap_or_default();
            if meta.name.trim().is_empty() {
                meta.name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
            }
            return Some((dir.to_path_buf(), meta));
        }
        if dir == root {
            return None;
        }
        dir = dir.parent()?;
    }
}

/// Read an espanso setup the way espanso loads it:
/// - a match file: its matches (and the files it `imports:`), in a folder named after it;
/// - a package folder (`package.yml`, `_manifest.yml`): every `.yml` in it, in a folder
///   named by the manifest's title;
/// - a `match/` folder or the espanso config folder holding one: every `.yml` under
///   it, recursively, except files starting with `_` (see
///   <https://espanso.org/docs/matches/organizing-matches/>); a file's matches go into
///   a folder named by its path (`base`, `work/emails`), a package's into the
///   package's folder.
///
/// `global_vars` of every file read apply to every match; `imports:` are followed
/// (relative to the importing file, `.yml` files only, each once).
pub fn read_espanso(path: &Path) -> Result<(Pack, Vec<Skipped>), InteropError> {
    let read = |p: &Path| -> Result<String, InteropError> {
        let size = std::fs::metadata(p)
            .map_err(|e| err(p, e.to_string()))?
            .len();
        if size as usize > crate::packs::common::MAX_FILE_BYTES {
            return Err(err(
                p,
                tr(
                    format!("文件有 {} MB，太大", size / 1048576),
                    format!("the file is {} MB, too large", size / 1048576),
                ),
            ));
        }
        std::fs::read_to_string(p).map_err(|e| err(p, e.to_string()))
    };
    let stem = |p: &Path| {
        p.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut pack = Pack::default();
    let mut skipped = Vec::new();
    // (file, folder), in load order; the folders image paths start from.
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut image_roots: Vec<PathBuf> = Vec::new();
    let lenient;
    if path.is_dir() {
        lenient = true;
        let is_package = path.join("package.yml").is_file();
        let root = if !is_package && path.join("match").is_dir() {
            path.join("match")
        } else {
            path.to_path_buf()
        };
        // `$CONFIG` is the folder above `match/`.
        if root.file_name().is_some_and(|n| n == "match")
            && let Some(config) = root.parent()
        {
            image_roots.push(config.to_path_buf());
        }
        image_roots.push(root.clone());
        let mut found = Vec::new();
        match_files(&root, &mut found, 0)?;
        if found.is_empty() {
            return Err(err(
                path,
                tr(
                    "这个文件夹里没有 espanso 的 .yml 匹配文件（以 _ 开头的文件 espanso 不会自动加载，这里也不读）",
                    "no espanso .yml match files in this folder (files starting with _ are not loaded by espanso, nor here)",
                ),
            ));
        }
        pack.meta = match package_of(&found[0], &root).filter(|_| is_package) {
            Some((_, meta)) => meta,
            None => PackMeta {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                ..PackMeta::default()
            },
        };
        for f in found {
            let folder = match package_of(&f, &root) {
                Some((_, meta)) => meta.name,
                None => {
                    let rel = f.strip_prefix(&root).unwrap_or(&f).with_extension("");
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/")
                }
            };
            files.push((f, folder));
        }
    } else {
        lenient = false;
        if let Some(dir) = path.parent() {
            image_roots.push(dir.to_path_buf());
        }
        pack.meta.name = stem(path);
        files.push((path.to_path_buf(), stem(path)));
    }
    // Follow `imports:` (each file once).
    let mut seen: std::collections::HashSet<PathBuf> = files
        .iter()
        .map(|(f, _)| f.canonicalize().unwrap_or_else(|_| f.clone()))
        .collect();
    let mut loaded = Vec::new();
    let mut i = 0;
    while i < files.len() {
        let (file, folder) = files[i].clone();
        i += 1;
        let text = match read(&file) {
            Ok(t) => t,
            Err(e) if lenient => {
                skipped.push(Skipped::not_imported(
                    Origin::File {
                        path: file.clone(),
                        line: 1,
                    },
                    e.message,
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Ok(doc) = load_yaml(&text, &file)
            && let Yaml::Array(imports) = &doc["imports"]
        {
            for imp in imports.iter().filter_map(yaml_str) {
                let target = file
                    .parent()
                    .map(|d| d.join(&imp))
                    .unwrap_or_else(|| PathBuf::from(&imp));
                let origin = Origin::File {
                    path: file.clone(),
                    line: 1,
                };
                if !is_yml(&target) || !target.is_file() {
                    skipped.push(Skipped::not_imported(
                        origin,
                        tr(
                            format!("imports 里的 {imp} 不存在或不是 .yml 文件，没有读取"),
                            format!(
                                "the import {imp} does not exist or is not a .yml file; not read"
                            ),
                        ),
                    ));
                    continue;
                }
                if seen.insert(target.canonicalize().unwrap_or_else(|_| target.clone())) {
                    if files.len() >= MAX_FILES {
                        return Err(err(
                            path,
                            tr(
                                format!("匹配文件超过 {MAX_FILES} 个"),
                                format!("more than {MAX_FILES} match files"),
                            ),
                        ));
                    }
                    files.push((target, folder.clone()));
                }
            }
        }
        loaded.push(MatchFile {
            text,
            path: file,
            folder,
        });
    }
    let mut images = |rel: &str| -> Option<ImageRef> {
        image_roots
            .iter()
            .map(|r| r.join(rel))
            .find(|p| p.is_file())
            .map(ImageRef::File)
    };
    read_espanso_docs(loaded, lenient, &mut pack, &mut skipped, &mut images)?;
    Ok((pack, skipped))
}

/// Read an espanso package zipped (`package.yml`, other `.yml` files and
/// `_manifest.yml`, at the top or in one folder), after the same archive checks as a
/// `.qrpack`. Every `.yml` of the package folder is read (not those starting with
/// `_`), as espanso does. Images the matches use are read from the archive (each
/// within the image size limit; they are checked like any image when imported).
pub fn read_espanso_zip<R: Read + Seek>(
    input: R,
    path: &Path,
) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| err(path, e.to_string()))?;
    crate::packs::common::check_archive(&mut zip, path)?;
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    names.sort();
    let Some(package) = names
        .iter()
        .find(|n| n.rsplit('/').next() == Some("package.yml"))
        .cloned()
    else {
        return Err(err(
            path,
            tr("压缩包里没有 package.yml", "no package.yml in the archive"),
        )
        .into());
    };
    let dir = package.trim_end_matches("package.yml").to_string();
    let mut read = |name: &str| -> Result<String, InteropError> {
        let mut buf = String::new();
        zip.by_name(name)
            .map_err(|e| err(path, e.to_string()))?
            .take(crate::packs::common::MAX_FILE_BYTES as u64)
            .read_to_string(&mut buf)
            .map_err(|e| err(path, format!("{name}: {e}")))?;
        Ok(buf)
    };
    let inner = |name: &str| path.join(name);
    let manifest_name = format!("{dir}_manifest.yml");
    let mut meta = if names.contains(&manifest_name) {
        espanso_manifest(&read(&manifest_name)?, &inner(&manifest_name))?
    } else {
        PackMeta::default()
    };
    if meta.name.trim().is_empty() {
        meta.name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    let mut files = Vec::new();
    for name in names.iter().filter(|n| {
        n.starts_with(&dir)
            && is_yml(Path::new(n.as_str()))
            && !n.rsplit('/').next().unwrap_or_default().starts_with('_')
    }) {
        files.push(MatchFile {
            text: read(name)?,
            path: inner(name),
            folder: meta.name.clone(),
        });
    }
    let mut images = |rel: &str| -> Option<ImageRef> {
        let name = format!("{dir}{}", rel.replace('\\', "/"));
        let mut entry = zip.by_name(&name).ok()?;
        if entry.size() > crate::blob::MAX_IMAGE_BYTES {
            return None;
        }
        let mut data = Vec::new();
        entry
            .by_ref()
            .take(crate::blob::MAX_IMAGE_BYTES)
            .read_to_end(&mut data)
            .ok()?;
        Some(ImageRef::Bytes {
            name,
            data: data.into(),
        })
    };
    let mut pack = Pack {
        meta,
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    read_espanso_docs(files, false, &mut pack, &mut skipped, &mut images)?;
    Ok((pack, skipped))
}

/// Write a pack as an espanso match file (`matches:`). Date, time and clipboard
/// placeholders become espanso variables, blanks (`{?name}`) the fields of a form
/// (`qrform`, asked as espanso asks a form); replies using the team's variables are
/// listed as left out.
pub fn write_espanso(pack: &Pack) -> (String, Vec<String>) {
    let mut out = String::from("# Exported from QuickReply\nmatches:\n");
    let mut left_out = Vec::new();
    for s in &pack.snippets {
        let text = s.texts();
        let mut vars: Vec<(String, &str, String, i64)> = Vec::new();
        let mut fields: Vec<String> = Vec::new();
        let body = to_foreign(&text.join("\n\n"), &mut |v| {
            use crate::template::Builtin;
            if let Some(field) = v.strip_prefix('?') {
                if field.is_empty() || !field.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return None;
                }
                if !fields.iter().any(|f| f == field) {
                    fields.push(field.to_string());
                }
                return Some(format!("{{{{qrform.{field}}}}}"));
            }
            let (b, format) = crate::template::parse_builtin(v)?;
            let (kind, format, offset) = match (b, format) {
                (Builtin::Date, f) => ("date", f.unwrap_or("%Y-%m-%d"), 0),
                (Builtin::Time, f) => ("date", f.unwrap_or("%H:%M"), 0),
                (Builtin::Tomorrow, f) => ("date", f.unwrap_or("%Y-%m-%d"), 86_400),
                (Builtin::Clipboard, _) => ("clipboard", "", 0),
                _ => return None,
            };
            let name = match vars
                .iter()
                .position(|(_, k, f, o)| *k == kind && f == format && *o == offset)
            {
                Some(i) => vars[i].0.clone(),
                None => {
                    let name = if kind == "clipboard" {
                        "qrclip".to_string()
                    } else {
                        format!("qrdate{}", vars.len() + 1)
                    };
                    vars.push((name.clone(), kind, format.to_string(), offset));
                    name
                }
            };
            Some(format!("{{{{{name}}}}}"))
        });
        let Some(body) = body else {
            left_out.push(s.title.clone());
            continue;
        };
        let trigger = format!(":{}", s.code.clone().unwrap_or_else(|| s.title.clone()));
        out.push_str(&format!(
            "  - trigger: {}\n    label: {}\n    replace: {}\n",
            yaml_quote(&trigger),
            yaml_quote(&s.title),
            yaml_quote(&body)
        ));
        if !fields.is_empty() {
            let layout: Vec<String> = fields.iter().map(|f| format!("{f}: [[{f}]]")).collect();
            out.push_str(&format!(
                "    vars:\n      - name: qrform\n        type: form\n        params:\n          layout: {}\n",
                yaml_quote(&layout.join("\n"))
            ));
        }
        if !vars.is_empty() {
            if fields.is_empty() {
                out.push_str("    vars:\n");
            }
            for (name, kind, format, offset) in vars {
                out.push_str(&format!("      - name: {name}\n        type: {kind}\n"));
                if !format.is_empty() {
                    out.push_str(&format!(
                        "        params:\n          format: {}\n",
                        yaml_quote(&format)
                    ));
                    if offset != 0 {
                        out.push_str(&format!("          offset: {offset}\n"));
                    }
                }
            }
        }
    }
    (out, left_out)
}

fn yaml_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}
