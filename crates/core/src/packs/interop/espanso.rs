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
        let keys = from_triggers(&triggers);
        skipped.extend(keys.note.map(|reason| Skipped {
            origin: origin.clone(),
            reason,
        }));
        pack.snippets.push(PackSnippet {
            folder: folder.to_string(),
            title,
            code: keys.code,
            tags: keys.tags,
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
    crate::packs::common::check_archive(&mut zip, path)?;
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
            .take(crate::packs::common::MAX_FILE_BYTES as u64)
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
