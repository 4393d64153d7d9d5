//! Other tools' snippet formats: espanso match files and packages, Raycast snippets
//! JSON, Alfred snippet collections, TextExpander CSV and plain text. Each reader maps
//! what QuickReply can express (text, images, date/clipboard placeholders, prompts) and
//! lists everything else per entry as skipped, with the reason — never silently.
//! Placeholders are translated both ways: `{clipboard}` ↔ `{剪贴板}`-style built-ins;
//! literal braces in foreign text become `{{` / `}}`.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use yaml_rust2::Yaml;

use super::common::Skipped;
pub use super::error::InteropError;
use crate::i18n::tr;
use crate::source::{ImageRef, Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet};

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

// ----- espanso ---------------------------------------------------------------------

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

/// Read an espanso match file (`matches:`); `images` resolves `image_path`s.
pub fn read_espanso_file(
    text: &str,
    path: &Path,
    folder: &str,
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    images: ImageResolver<'_>,
) -> Result<(), InteropError> {
    let doc = load_yaml(text, path)?;
    let matches = match &doc["matches"] {
        Yaml::Array(a) => a.clone(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        _ => {
            return Err(err(
                path,
                tr("matches 应该是列表", "matches must be a list"),
            ));
        }
    };
    if !folder.is_empty() && !pack.folders.iter().any(|f| f.path == folder) {
        pack.folders.push(PackFolder {
            path: folder.to_string(),
            origin: Origin::File {
                path: path.to_path_buf(),
                line: 1,
            },
        });
    }
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
            skipped.push(Skipped {
                origin: origin.clone(),
                reason,
            })
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
        if !matches!(m["form"], Yaml::BadValue) {
            skip(
                tr("表单（form）无法转换", "forms cannot be converted"),
                skipped,
            );
            continue;
        }
        let mut body = match yaml_str(&m["replace"]) {
            Some(r) => literal(&r),
            None => String::new(),
        };
        // Variables: date and clipboard map to built-ins, others cannot be expressed.
        let mut unsupported = None;
        if let Yaml::Array(vars) = &m["vars"] {
            for v in vars {
                let name = yaml_str(&v["name"]).unwrap_or_default();
                let kind = yaml_str(&v["type"]).unwrap_or_default();
                let ours = match kind.as_str() {
                    "date" => {
                        let format = yaml_str(&v["params"]["format"]).unwrap_or_default();
                        if format.contains("%H") || format.contains("%M") {
                            if format.contains("%d") {
                                "{日期} {时间}"
                            } else {
                                "{时间}"
                            }
                        } else {
                            "{日期}"
                        }
                    }
                    "clipboard" => "{剪贴板}",
                    other => {
                        unsupported = Some(tr(
                            format!("变量 {name} 的类型 {other} 无法转换"),
                            format!("variable {name} of type {other} cannot be converted"),
                        ));
                        break;
                    }
                };
                body = body.replace(&format!("{{{{{{{{{name}}}}}}}}}"), ours);
            }
        }
        if let Some(reason) = unsupported {
            skip(reason, skipped);
            continue;
        }
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
        // The label, else the text's first line, else the trigger.
        let title = yaml_str(&m["label"])
            .or_else(|| match &parts[0] {
                PackPart::Text { body, .. } => Some(title_of(body)).filter(|t| !t.is_empty()),
                PackPart::Image { .. } => None,
            })
            .or_else(|| triggers.first().cloned())
            .unwrap_or_else(|| format!("image {i}"));
        pack.snippets.push(PackSnippet {
            folder: folder.to_string(),
            title,
            code: triggers.first().and_then(|t| code_of(t)),
            tags: triggers.iter().skip(1).cloned().collect(),
            apps: Vec::new(),
            parts,
            origin,
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

/// A package: its manifest (if any) names the folder its matches go into.
fn espanso_package(
    manifest: Option<(String, PathBuf)>,
    package: (String, PathBuf),
    fallback_name: String,
    images: ImageResolver<'_>,
) -> Result<(Pack, Vec<Skipped>), InteropError> {
    let mut pack = Pack::default();
    let mut skipped = Vec::new();
    if let Some((text, path)) = manifest {
        pack.meta = espanso_manifest(&text, &path)?;
    }
    if pack.meta.name.is_empty() {
        pack.meta.name = fallback_name;
    }
    let folder = pack.meta.name.clone();
    read_espanso_file(
        &package.0,
        &package.1,
        &folder,
        &mut pack,
        &mut skipped,
        images,
    )?;
    Ok((pack, skipped))
}

/// Read an espanso package (a folder with `package.yml` and `_manifest.yml`) or a single
/// match file.
pub fn read_espanso(path: &Path) -> Result<(Pack, Vec<Skipped>), InteropError> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| err(p, e.to_string()));
    let name_of = |p: &Path, stem: bool| {
        let n = if stem { p.file_stem() } else { p.file_name() };
        n.map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let base = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let mut files = |rel: &str| -> Option<ImageRef> {
        let p = base.join(rel);
        p.is_file().then_some(ImageRef::File(p))
    };
    if path.is_dir() {
        let manifest = path.join("_manifest.yml");
        let manifest = if manifest.exists() {
            Some((read(&manifest)?, manifest))
        } else {
            None
        };
        let file = path.join("package.yml");
        espanso_package(
            manifest,
            (read(&file)?, file),
            name_of(path, false),
            &mut files,
        )
    } else {
        espanso_package(
            None,
            (read(path)?, path.to_path_buf()),
            name_of(path, true),
            &mut files,
        )
    }
}

/// Read an espanso package zipped (`package.yml` and `_manifest.yml`, at the top or in
/// one folder), after the same archive checks as a `.qrpack`. Images the matches use
/// are read from the archive (each within the image size limit; they are checked like
/// any image when imported).
pub fn read_espanso_zip<R: Read + Seek>(
    input: R,
    path: &Path,
) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| err(path, e.to_string()))?;
    super::common::check_archive(&mut zip, path)?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
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
            .take(super::common::MAX_FILE_BYTES as u64)
            .read_to_string(&mut buf)
            .map_err(|e| err(path, format!("{name}: {e}")))?;
        Ok(buf)
    };
    let inner = |name: &str| path.join(name);
    let manifest_name = format!("{dir}_manifest.yml");
    let manifest = if names.contains(&manifest_name) {
        Some((read(&manifest_name)?, inner(&manifest_name)))
    } else {
        None
    };
    let package = (read(&package)?, inner(&package));
    let fallback = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
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
    Ok(espanso_package(manifest, package, fallback, &mut images)?)
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

/// Write a pack as an espanso match file (`matches:`). Replies whose text uses team
/// variables or prompts keep their text with the placeholder written as `{{name}}`
/// only for date/clipboard; others are listed as left out.
pub fn write_espanso(pack: &Pack) -> (String, Vec<String>) {
    let mut out = String::from("# Exported from QuickReply\nmatches:\n");
    let mut left_out = Vec::new();
    for s in &pack.snippets {
        let text = s.texts();
        let mut vars = Vec::new();
        let body = to_foreign(&text.join("\n\n"), &mut |v| match builtin_kind(v)? {
            crate::template::Builtin::Date => {
                vars.push(("qrdate", "date", "%Y-%m-%d"));
                Some("{{qrdate}}".into())
            }
            crate::template::Builtin::Time => {
                vars.push(("qrtime", "date", "%H:%M"));
                Some("{{qrtime}}".into())
            }
            crate::template::Builtin::Clipboard => {
                vars.push(("qrclip", "clipboard", ""));
                Some("{{qrclip}}".into())
            }
            _ => None,
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
        vars.sort();
        vars.dedup();
        if !vars.is_empty() {
            out.push_str("    vars:\n");
            for (name, kind, format) in vars {
                out.push_str(&format!("      - name: {name}\n        type: {kind}\n"));
                if !format.is_empty() {
                    out.push_str(&format!(
                        "        params:\n          format: {}\n",
                        yaml_quote(format)
                    ));
                }
            }
        }
    }
    (out, left_out)
}

fn yaml_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

// ----- Raycast ---------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
struct RaycastSnippet {
    name: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyword: Option<String>,
}

/// Raycast and Alfred placeholders (`{clipboard}`, `{date}`, `{time}`, `{cursor}`,
/// `{argument name="x"}`) to ours; anything else stays literal.
fn from_curly_placeholders(text: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut notes = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&literal(&rest[..open]));
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&literal(&rest[open..]));
            rest = "";
            break;
        };
        let inner = &after[..close];
        let name = inner.split_whitespace().next().unwrap_or_default();
        match name {
            "clipboard" => out.push_str("{剪贴板}"),
            "date" => out.push_str("{日期}"),
            "time" => out.push_str("{时间}"),
            "cursor" => notes.push(tr(
                "{cursor} 光标位置不支持，已去掉",
                "{cursor} is not supported and was removed",
            )),
            "argument" => {
                let label = inner
                    .split("name=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .filter(|s| !s.is_empty())
                    .unwrap_or("参数");
                out.push_str(&format!("{{?{label}}}"));
            }
            _ => out.push_str(&literal(&format!("{{{inner}}}"))),
        }
        rest = &after[close + 1..];
    }
    out.push_str(&literal(rest));
    (out, notes)
}

/// Add one Raycast/Alfred-style snippet (curly placeholders) to a pack, or list it as
/// skipped when it has no content; placeholders it cannot map are listed too.
fn push_curly(
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    origin: Origin,
    name: String,
    text: &str,
    keyword: &str,
) {
    let (body, notes) = from_curly_placeholders(text);
    skipped.extend(notes.into_iter().map(|reason| Skipped {
        origin: origin.clone(),
        reason,
    }));
    if body.trim().is_empty() {
        skipped.push(Skipped {
            origin,
            reason: tr("内容为空", "empty content"),
        });
        return;
    }
    pack.snippets.push(PackSnippet {
        folder: String::new(),
        title: if name.trim().is_empty() {
            title_of(&body)
        } else {
            name
        },
        code: code_of(keyword),
        tags: Vec::new(),
        apps: Vec::new(),
        parts: vec![PackPart::Text {
            body,
            origin: origin.clone(),
        }],
        origin,
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
            r.name,
            &r.text,
            r.keyword.as_deref().unwrap_or(""),
        );
    }
    Ok((pack, skipped))
}

fn curly_map(v: &str) -> Option<String> {
    match builtin_kind(v)? {
        crate::template::Builtin::Date => Some("{date}".into()),
        crate::template::Builtin::Time => Some("{time}".into()),
        crate::template::Builtin::Clipboard => Some("{clipboard}".into()),
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

// ----- Alfred ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct AlfredFile {
    alfredsnippet: AlfredSnippet,
}

#[derive(Debug, Deserialize)]
struct AlfredSnippet {
    snippet: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    keyword: String,
}

/// An `.alfredsnippets` collection: a zip of one JSON file per snippet (checked like a
/// `.qrpack` archive first).
pub fn read_alfred<R: Read + Seek>(
    input: R,
    path: &Path,
) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| err(path, e.to_string()))?;
    super::common::check_archive(&mut zip, path)?;
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
    let mut skipped = Vec::new();
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    names.sort();
    for name in names.into_iter().filter(|n| n.ends_with(".json")) {
        let origin = Origin::Library {
            place: format!("{}: {name}", path.display()),
        };
        let mut buf = Vec::new();
        zip.by_name(&name)
            .map_err(|e| err(path, e.to_string()))?
            .take(super::common::MAX_CELL_BYTES as u64 * 4)
            .read_to_end(&mut buf)
            .map_err(|e| err(path, e.to_string()))?;
        let Ok(file) = serde_json::from_slice::<AlfredFile>(&buf) else {
            skipped.push(Skipped {
                origin,
                reason: tr("不是 Alfred 话术 JSON", "not an Alfred snippet JSON"),
            });
            continue;
        };
        let s = file.alfredsnippet;
        push_curly(
            &mut pack,
            &mut skipped,
            origin,
            s.name,
            &s.snippet,
            &s.keyword,
        );
    }
    Ok((pack, skipped))
}

// ----- TextExpander CSV and plain text ---------------------------------------------

/// TextExpander's CSV export: abbreviation, content, label — no header row.
pub fn read_textexpander(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let text = super::common::decode(bytes, path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut pack = Pack {
        meta: PackMeta {
            name: "TextExpander".into(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| err(path, e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line()) as usize;
        let origin = Origin::File {
            path: path.to_path_buf(),
            line,
        };
        let abbr = rec.get(0).unwrap_or_default().trim();
        let content = rec.get(1).unwrap_or_default();
        let label = rec.get(2).unwrap_or_default().trim();
        if content.trim().is_empty() {
            skipped.push(Skipped {
                origin,
                reason: tr("内容为空", "empty content"),
            });
            continue;
        }
        // TextExpander fill-ins (%fill:…%, %clipboard, dates) are mostly not portable.
        let body = literal(content).replace("%clipboard", "{剪贴板}");
        if body.contains("%fill") || body.contains("%key:") || body.contains("%snippet:") {
            skipped.push(Skipped {
                origin,
                reason: tr(
                    "含有 TextExpander 填空或按键指令，无法转换",
                    "uses TextExpander fill-ins or key commands, which cannot be converted",
                ),
            });
            continue;
        }
        pack.snippets.push(PackSnippet {
            folder: String::new(),
            title: if label.is_empty() {
                title_of(content)
            } else {
                label.to_string()
            },
            code: code_of(abbr),
            tags: if code_of(abbr).is_none() && !abbr.is_empty() {
                vec![abbr.to_string()]
            } else {
                Vec::new()
            },
            apps: Vec::new(),
            parts: vec![PackPart::Text {
                body,
                origin: origin.clone(),
            }],
            origin,
        });
    }
    Ok((pack, skipped))
}

/// Plain text: replies separated by blank lines; a first line `# title` names a reply.
pub fn read_text(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let text = super::common::decode(bytes, path)?;
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

#[cfg(test)]
mod tests;
