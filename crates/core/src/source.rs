//! The human-editable source format of script packs (`snippets/`): a folder tree of
//! Markdown-like files, one file per folder. The format is specified in
//! `docs/snippet-format.md`; this module reads it into a [`Pack`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::i18n::tr;

/// Where something came from: a file and line, or a place in a library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File { path: PathBuf, line: usize },
    Library { place: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Library { place } => f.write_str(place),
        }
    }
}

impl Origin {
    /// The same origin `n` lines further down (for problems inside a body).
    pub fn offset(&self, n: usize) -> Origin {
        match self {
            Origin::File { path, line } => Origin::File {
                path: path.clone(),
                line: line + n,
            },
            o => o.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{}", tr(format!("{}：无法读取：{source}", path.display()), format!("{}: cannot read: {source}", path.display())))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr(format!("{}：不是 UTF-8 文本（请用 UTF-8 保存）", path.display()), format!("{}: not UTF-8 text (save it as UTF-8)", path.display())))]
    NotUtf8 { path: PathBuf },
    #[error("{}", tr(format!("{}：pack.toml 有误：{message}", path.display()), format!("{}: bad pack.toml: {message}", path.display())))]
    Manifest { path: PathBuf, message: String },
    #[error("{origin}: {message}")]
    Syntax { origin: Origin, message: String },
}

/// A variable a pack declares (`[variables."快递公司"]` in `pack.toml`).
///
/// `default` is a real value, true for every shop that imports the pack (`本店`,
/// `7天`). `example` is only an example of a fact that differs per shop (`中通快递`,
/// `满99元`): the variable is imported *unset* (the store keeps the example as a hint,
/// `variables.example = 1`), so no reply ever sends it; the app's first-run setup asks
/// for it and firing a reply that uses it asks inline. A non-empty `default` wins over
/// `example`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarDef {
    #[serde(default)]
    pub default: String,
    /// A hint only, never a value: see the type's doc.
    #[serde(default)]
    pub example: String,
    #[serde(default)]
    pub description: String,
    /// `personal` for variables each agent sets (`{客服名}`); otherwise team.
    #[serde(default)]
    pub scope: Option<String>,
}

impl VarDef {
    pub fn is_personal(&self) -> bool {
        self.scope.as_deref() == Some("personal")
    }

    /// Whether the variable comes without a real value (only an example, or nothing
    /// but an example): it is imported unset.
    pub fn is_example(&self) -> bool {
        self.default.is_empty() && !self.example.is_empty()
    }

    /// What the store keeps as the value: the default, or the example (flagged).
    pub fn stored_value(&self) -> &str {
        if self.is_example() {
            &self.example
        } else {
            &self.default
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    pub name: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub variables: BTreeMap<String, VarDef>,
}

/// One part of a reply in a pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackPart {
    Text {
        body: String,
        origin: Origin,
    },
    /// An image file (source packs) or a stored blob (libraries).
    Image {
        image: ImageRef,
        origin: Origin,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImageRef {
    File(PathBuf),
    Blob(String),
    /// Image bytes read from an archive (`name` is the entry, for messages).
    Bytes {
        name: String,
        data: std::sync::Arc<[u8]>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackSnippet {
    /// Folder path, `/`-separated; empty for the root.
    pub folder: String,
    pub title: String,
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub apps: Vec<String>,
    pub parts: Vec<PackPart>,
    pub origin: Origin,
    /// 生效 (RFC 3339 as stored, see [`quickreply_proto::schedule`]); `None`: always.
    pub starts_at: Option<String>,
    /// 失效 (exclusive instant).
    pub ends_at: Option<String>,
}

impl PackSnippet {
    /// The text parts, in order.
    pub fn texts(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                PackPart::Text { body, .. } => Some(body.as_str()),
                PackPart::Image { .. } => None,
            })
            .collect()
    }

    /// How many image parts it has.
    pub fn images(&self) -> usize {
        self.parts.len() - self.texts().len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackFolder {
    pub path: String,
    pub origin: Origin,
    /// 生效 of everything inside.
    pub starts_at: Option<String>,
    /// 失效 of everything inside.
    pub ends_at: Option<String>,
}

/// A script pack in memory, whatever it was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pack {
    pub meta: PackMeta,
    pub folders: Vec<PackFolder>,
    pub snippets: Vec<PackSnippet>,
}

/// Files under the pack's `images/` that no reply uses (a pack should not ship them).
pub fn unreferenced_images(root: &Path, pack: &Pack) -> Vec<PathBuf> {
    let used: std::collections::HashSet<&PathBuf> = pack
        .snippets
        .iter()
        .flat_map(|s| &s.parts)
        .filter_map(|p| match p {
            PackPart::Image {
                image: ImageRef::File(path),
                ..
            } => Some(path),
            _ => None,
        })
        .collect();
    let mut unused: Vec<PathBuf> = std::fs::read_dir(root.join("images"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !used.contains(p))
        .collect();
    unused.sort();
    unused
}

/// Strip the ordering prefix `NN-` from a file or directory name.
pub fn folder_name(stem: &str) -> &str {
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && stem.as_bytes().get(digits) == Some(&b'-') && stem.len() > digits + 1 {
        &stem[digits + 1..]
    } else {
        stem
    }
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| SourceError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// Read a source pack from files held in memory (path inside the pack, bytes), as the
/// built-in packs are. Images become [`ImageRef::Bytes`].
pub fn read_files(name: &str, files: &[(&str, &[u8])]) -> Result<Pack, SourceError> {
    let root = Path::new("builtin").join(name);
    let text_of = |rel: &str, bytes: &[u8]| -> Result<String, SourceError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| SourceError::NotUtf8 {
            path: root.join(rel),
        })
    };
    let mut pack = Pack::default();
    if let Some((_, bytes)) = files.iter().find(|(rel, _)| *rel == "pack.toml") {
        let text = text_of("pack.toml", bytes)?;
        pack.meta = toml::from_str(&text).map_err(|e| SourceError::Manifest {
            path: root.join("pack.toml"),
            message: e.to_string(),
        })?;
    }
    for (rel, bytes) in files
        .iter()
        .filter(|(rel, _)| rel.ends_with(".md") && !rel.starts_with("images/"))
    {
        let mut folder = String::new();
        let parts: Vec<&str> = rel.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let stem = if i + 1 == parts.len() {
                part.trim_end_matches(".md")
            } else {
                part
            };
            folder = join_path(&folder, folder_name(stem));
            if !pack.folders.iter().any(|f| f.path == folder) {
                pack.folders.push(PackFolder {
                    path: folder.clone(),
                    origin: Origin::File {
                        path: root.join(rel),
                        line: 1,
                    },
                    starts_at: None,
                    ends_at: None,
                });
            }
        }
        let text = text_of(rel, bytes)?;
        parse_file(
            text.strip_prefix('\u{feff}').unwrap_or(&text),
            &root.join(rel),
            &root,
            &folder,
            &mut pack,
        )?;
    }
    // Image parts point at files under the pack root: give them the embedded bytes.
    for s in &mut pack.snippets {
        for p in &mut s.parts {
            if let PackPart::Image {
                image: image @ ImageRef::File(_),
                origin,
            } = p
            {
                let ImageRef::File(path) = &*image else {
                    continue;
                };
                let rel = path
                    .strip_prefix(&root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let Some((_, data)) = files.iter().find(|(r, _)| *r == rel) else {
                    return Err(SourceError::Syntax {
                        origin: origin.clone(),
                        message: tr(
                            format!("找不到图片 {rel}"),
                            format!("image {rel} not found"),
                        ),
                    });
                };
                *image = ImageRef::Bytes {
                    name: rel,
                    data: std::sync::Arc::from(*data),
                };
            }
        }
    }
    Ok(pack)
}

/// Read a source pack from its root folder.
pub fn read_dir(root: &Path) -> Result<Pack, SourceError> {
    let manifest = root.join("pack.toml");
    let meta: PackMeta = if manifest.exists() {
        let text = read_text(&manifest)?;
        toml::from_str(&text).map_err(|e| SourceError::Manifest {
            path: manifest.clone(),
            message: e.to_string(),
        })?
    } else {
        PackMeta {
            name: root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..PackMeta::default()
        }
    };
    let mut pack = Pack {
        meta,
        ..Pack::default()
    };
    walk(root, root, "", &mut pack)?;
    Ok(pack)
}

fn walk(root: &Path, dir: &Path, prefix: &str, pack: &mut Pack) -> Result<(), SourceError> {
    let io = |source| SourceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name == "images" && dir == root {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|source| SourceError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.file_type().is_symlink() {
            return Err(SourceError::Syntax {
                origin: Origin::File {
                    path: path.clone(),
                    line: 0,
                },
                message: tr("不允许符号链接", "symbolic links are not allowed"),
            });
        }
        let stem = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let folder = join_path(
            prefix,
            folder_name(if meta.is_dir() { &name } else { &stem }),
        );
        if meta.is_dir() {
            if !pack.folders.iter().any(|f| f.path == folder) {
                pack.folders.push(PackFolder {
                    path: folder.clone(),
                    origin: Origin::File {
                        path: path.clone(),
                        line: 0,
                    },
                    starts_at: None,
                    ends_at: None,
                });
            }
            walk(root, &path, &folder, pack)?;
        } else if name.ends_with(".md") {
            if !pack.folders.iter().any(|f| f.path == folder) {
                pack.folders.push(PackFolder {
                    path: folder.clone(),
                    origin: Origin::File {
                        path: path.clone(),
                        line: 1,
                    },
                    starts_at: None,
                    ends_at: None,
                });
            }
            let text = read_text(&path)?;
            parse_file(&text, &path, root, &folder, pack)?;
        }
    }
    Ok(())
}

fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `![alt](path)` alone on a line.
fn image_line(line: &str) -> Option<&str> {
    let l = line.trim();
    let rest = l.strip_prefix("![")?;
    let close = rest.find("](")?;
    let target = rest[close + 2..].strip_suffix(')')?;
    (!target.is_empty()).then_some(target)
}

/// Parse one folder file.
pub fn parse_file(
    text: &str,
    path: &Path,
    root: &Path,
    folder: &str,
    pack: &mut Pack,
) -> Result<(), SourceError> {
    let at = |line: usize| Origin::File {
        path: path.to_path_buf(),
        line,
    };
    struct Open {
        snippet: PackSnippet,
        in_meta: bool,
        text: Vec<String>,
        text_line: usize,
    }
    fn flush_text(o: &mut Open, path: &Path) {
        while o.text.last().is_some_and(|l| l.trim().is_empty()) {
            o.text.pop();
        }
        if !o.text.is_empty() {
            o.snippet.parts.push(PackPart::Text {
                body: o.text.join("\n"),
                origin: Origin::File {
                    path: path.to_path_buf(),
                    line: o.text_line,
                },
            });
        }
        o.text.clear();
    }
    let mut open: Option<Open> = None;
    let finish = |o: Option<Open>, pack: &mut Pack| -> Result<(), SourceError> {
        if let Some(mut o) = o {
            flush_text(&mut o, path);
            if o.snippet.parts.is_empty() {
                return Err(SourceError::Syntax {
                    origin: o.snippet.origin,
                    message: tr(
                        format!("话术「{}」没有内容", o.snippet.title),
                        format!("reply \"{}\" has no content", o.snippet.title),
                    ),
                });
            }
            pack.snippets.push(o.snippet);
        }
        Ok(())
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        if let Some(title) = line.strip_prefix("## ") {
            finish(open.take(), pack)?;
            let title = title.trim();
            if title.is_empty() {
                return Err(SourceError::Syntax {
                    origin: at(n),
                    message: tr("标题不能为空", "empty title"),
                });
            }
            open = Some(Open {
                snippet: PackSnippet {
                    folder: folder.to_string(),
                    title: title.to_string(),
                    code: None,
                    tags: Vec::new(),
                    apps: Vec::new(),
                    parts: Vec::new(),
                    origin: at(n),
                    starts_at: None,
                    ends_at: None,
                },
                in_meta: true,
                text: Vec::new(),
                text_line: n + 1,
            });
            continue;
        }
        let Some(o) = open.as_mut() else {
            if line.trim().is_empty() || line.starts_with("# ") || line == "#" {
                continue;
            }
            return Err(SourceError::Syntax {
                origin: at(n),
                message: tr(
                    "第一条话术（## 标题）之前只能有空行或 # 标题",
                    "only blank lines or a # heading may come before the first reply (## title)",
                ),
            });
        };
        if o.in_meta {
            if let Some((key, value)) = line.split_once(':').or_else(|| line.split_once('：')) {
                let value = value.trim();
                match key.trim() {
                    "code" => {
                        o.snippet.code = Some(value.to_string()).filter(|v| !v.is_empty());
                        continue;
                    }
                    "tags" => {
                        o.snippet.tags = split_list(value);
                        continue;
                    }
                    "apps" => {
                        o.snippet.apps = split_list(value);
                        continue;
                    }
                    _ => {}
                }
            }
            if line.trim().is_empty() {
                continue;
            }
            o.in_meta = false;
            o.text_line = n;
        }
        if line.trim() == "+++" {
            flush_text(o, path);
            o.text_line = n + 1;
            continue;
        }
        if let Some(target) = image_line(line) {
            flush_text(o, path);
            let rel = Path::new(target);
            if !stays_inside(target) {
                return Err(SourceError::Syntax {
                    origin: at(n),
                    message: tr(
                        format!("图片路径 {target} 必须是包内的相对路径"),
                        format!("image path {target} must be relative and inside the pack"),
                    ),
                });
            }
            o.snippet.parts.push(PackPart::Image {
                image: ImageRef::File(root.join(rel)),
                origin: at(n),
            });
            o.text_line = n + 1;
            continue;
        }
        if o.text.is_empty() {
            if line.trim().is_empty() {
                o.text_line = n + 1;
                continue;
            }
            o.text_line = n;
        }
        let unescaped = line.strip_prefix('\\').filter(|rest| {
            rest.starts_with("##")
                || rest.trim() == "+++"
                || image_line(rest).is_some()
                || rest.starts_with("\\")
        });
        o.text.push(unescaped.unwrap_or(line).to_string());
    }
    finish(open.take(), pack)
}

/// Whether a path written in a pack (an image beside a reply) names a file inside the
/// pack on every OS: relative, no `..`, and neither rooted (`/x`, `\x` — on Windows
/// `Path::is_absolute` is false for those, which then point at the root of the current
/// drive) nor a drive (`C:x`) or UNC path.
pub fn stays_inside(target: &str) -> bool {
    use std::path::Component;
    let b = target.as_bytes();
    let drive = b.len() > 1 && b[1] == b':';
    !target.is_empty()
        && !drive
        && !target.starts_with(['/', '\\'])
        && target.split(['/', '\\']).all(|c| c != "..")
        && Path::new(target)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Pack, SourceError> {
        let mut pack = Pack::default();
        parse_file(
            text,
            Path::new("x.md"),
            Path::new("/pack"),
            "物流",
            &mut pack,
        )?;
        Ok(pack)
    }

    #[test]
    fn folder_names_lose_their_order_prefix() {
        assert_eq!(folder_name("01-问候"), "问候");
        assert_eq!(folder_name("售后"), "售后");
        assert_eq!(folder_name("2024"), "2024");
        assert_eq!(folder_name("12-"), "12-");
    }

    #[test]
    fn parses_metadata_text_parts_and_images() {
        let text = "# 物流\n\n## 发货时间\ncode: fh\ntags: 发货，几天发\napps: wechat, qianniu\n\n亲，{发货时间}内发货～\n\n第二行\n+++\n第二条消息\n![尺码](images/a.png)\n\\## 不是标题\n";
        let pack = parse(text).ok().unwrap_or_default();
        assert_eq!(pack.snippets.len(), 1);
        let s = &pack.snippets[0];
        assert_eq!(s.title, "发货时间");
        assert_eq!(s.code.as_deref(), Some("fh"));
        assert_eq!(s.tags, vec!["发货", "几天发"]);
        assert_eq!(s.apps, vec!["wechat", "qianniu"]);
        assert_eq!(s.folder, "物流");
        assert_eq!(s.parts.len(), 4);
        assert!(
            matches!(&s.parts[0], PackPart::Text { body, origin: Origin::File { line: 8, .. } } if body == "亲，{发货时间}内发货～\n\n第二行")
        );
        assert!(
            matches!(&s.parts[1], PackPart::Text { body, origin: Origin::File { line: 12, .. } } if body == "第二条消息")
        );
        assert!(
            matches!(&s.parts[2], PackPart::Image { image: ImageRef::File(p), .. } if p == Path::new("/pack/images/a.png"))
        );
        assert!(matches!(&s.parts[3], PackPart::Text { body, .. } if body == "## 不是标题"));
    }

    #[test]
    fn stray_text_and_empty_replies_are_errors_with_lines() {
        let e = parse("hello\n## a\nx\n").err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.starts_with("x.md:1")));
        let e = parse("## a\n\n## b\nx\n").err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.starts_with("x.md:1")));
    }

    #[test]
    fn image_paths_must_stay_inside_the_pack() {
        assert!(parse("## a\n![x](../secret.png)\n").is_err());
        assert!(parse("## a\n![x](/etc/passwd)\n").is_err());
        // Rooted, drive and UNC paths, in either slash: outside on Windows too.
        for bad in [
            "\\\\server\\share\\a.png",
            "\\windows\\win.ini",
            "C:\\a.png",
            "c:a.png",
            "images\\..\\..\\a.png",
            "",
        ] {
            assert!(!stays_inside(bad), "{bad}");
        }
        for good in ["a.png", "images/a.png", "./images/尺码.png"] {
            assert!(stays_inside(good), "{good}");
        }
    }
}
