//! Alfred snippet collections: an `.alfredsnippets` file (a zip of one JSON file per
//! snippet, usually with an `info.plist` holding the collection's keyword prefix and
//! suffix) or a collection folder as Alfred keeps it
//! (`Alfred.alfredpreferences/snippets/<collection>/<name> [<uid>].json`).
//!
//! Each JSON file is `{"alfredsnippet": {"snippet", "name", "keyword", "uid"}}`; older
//! Alfred versions wrote the key as `AlfredSnippet`, so keys are matched ignoring case.
//! The collection's name (the file or folder name; `info.plist` holds none) becomes
//! the folder, and the keyword as typed in Alfred (prefix + keyword + suffix) is kept
//! as a tag when it is not exactly the shortcut code.

use std::io::{Read, Seek};
use std::path::Path;

use super::raycast::CurlySnippet;
use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{Origin, Pack, PackMeta};

/// Largest snippet JSON read (a snippet is chat text; this bounds a hostile entry).
const MAX_JSON: u64 = crate::packs::common::MAX_CELL_BYTES as u64 * 4;

/// The fields of one Alfred snippet JSON.
struct AlfredSnippet {
    snippet: String,
    name: String,
    keyword: String,
}

fn field<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// An Alfred snippet from JSON bytes, under `alfredsnippet` or the older
/// `AlfredSnippet`; `None` when the JSON is not one.
fn alfred_snippet(bytes: &[u8]) -> Option<AlfredSnippet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let inner = field(v.as_object()?, "alfredsnippet")?.as_object()?;
    let text = |k: &str| {
        field(inner, k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    field(inner, "snippet")?.as_str()?;
    Some(AlfredSnippet {
        snippet: text("snippet"),
        name: text("name"),
        keyword: text("keyword"),
    })
}

/// Whether bytes are an Alfred snippet JSON (for format detection).
pub fn is_alfred_json(bytes: &[u8]) -> bool {
    alfred_snippet(bytes).is_some()
}

/// The string value of a key in an XML property list (`info.plist`), entities decoded.
fn plist_string(xml: &str, key: &str) -> Option<String> {
    let at = xml.find(&format!("<key>{key}</key>"))?;
    let rest = xml[at..].split_once("</key>")?.1.trim_start();
    if rest.starts_with("<string/>") {
        return Some(String::new());
    }
    let value = rest.strip_prefix("<string>")?.split_once("</string>")?.0;
    Some(
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// A collection's keyword prefix and suffix from its `info.plist`.
fn affixes(plist: Option<&str>) -> (String, String) {
    match plist {
        Some(xml) => (
            plist_string(xml, "snippetkeywordprefix").unwrap_or_default(),
            plist_string(xml, "snippetkeywordsuffix").unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    }
}

/// Add the snippets of one collection (`(entry name, JSON bytes)`, sorted by name).
fn push_collection(
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    folder: &str,
    plist: Option<&str>,
    entries: Vec<(String, Vec<u8>, Origin)>,
) {
    let (prefix, suffix) = affixes(plist);
    for (_, bytes, origin) in entries {
        let Some(s) = alfred_snippet(&bytes) else {
            skipped.push(Skipped::not_imported(
                origin,
                tr("不是 Alfred 话术 JSON", "not an Alfred snippet JSON"),
            ));
            continue;
        };
        let keyword = if s.keyword.trim().is_empty() {
            String::new()
        } else {
            format!("{prefix}{}{suffix}", s.keyword.trim())
        };
        let code_from = s.keyword.trim().to_string();
        let before = pack.snippets.len();
        push_curly(
            pack,
            skipped,
            origin,
            CurlySnippet {
                folder: folder.to_string(),
                name: s.name,
                text: &s.snippet,
                keyword,
            },
        );
        // The code comes from the keyword itself, not the collection's affixes.
        if let Some(added) = pack.snippets.get_mut(before) {
            added.code = code_of(&code_from);
            added.tags.retain(|t| Some(t) != added.code.as_ref());
        }
    }
}

fn collection_name(path: &Path, stem: bool) -> String {
    let n = if stem {
        path.file_stem()
    } else {
        path.file_name()
    };
    n.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An `.alfredsnippets` collection: a zip of one JSON file per snippet, with or without
/// `info.plist`. Entries are read into memory by name (never written out), so the
/// archive is checked for size and count but names are not refused as paths.
pub fn read_alfred<R: Read + Seek>(
    input: R,
    path: &Path,
) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| err(path, e.to_string()))?;
    crate::packs::common::check_archive_in_memory(&mut zip, path)?;
    let name = collection_name(path, true);
    let mut pack = Pack {
        meta: PackMeta {
            name: name.clone(),
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
    let mut read = |entry: &str| -> Result<Vec<u8>, InteropError> {
        let mut buf = Vec::new();
        zip.by_name(entry)
            .map_err(|e| err(path, format!("{entry}: {e}")))?
            .take(MAX_JSON)
            .read_to_end(&mut buf)
            .map_err(|e| err(path, format!("{entry}: {e}")))?;
        Ok(buf)
    };
    let plist = match names
        .iter()
        .find(|n| n.rsplit(['/', '\\']).next() == Some("info.plist"))
    {
        Some(n) => Some(String::from_utf8_lossy(&read(n)?).into_owned()),
        None => None,
    };
    let mut entries = Vec::new();
    for entry in names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".json"))
    {
        let origin = Origin::Library {
            place: format!("{}: {entry}", path.display()),
        };
        entries.push((entry.clone(), read(entry)?, origin));
    }
    push_collection(&mut pack, &mut skipped, &name, plist.as_deref(), entries);
    Ok((pack, skipped))
}

/// Whether a folder holds Alfred snippet JSON files (a collection) or folders of them
/// (Alfred's `snippets/` folder); looks at the first JSON file of each.
pub fn is_alfred_dir(path: &Path) -> bool {
    let first_json = |dir: &Path| -> Option<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            })
            .collect();
        files.sort();
        files.into_iter().next()
    };
    let looks = |dir: &Path| {
        first_json(dir).is_some_and(|f| {
            std::fs::File::open(&f)
                .and_then(|file| {
                    let mut buf = Vec::new();
                    file.take(MAX_JSON).read_to_end(&mut buf)?;
                    Ok(buf)
                })
                .is_ok_and(|b| is_alfred_json(&b))
        })
    };
    looks(path)
        || std::fs::read_dir(path).is_ok_and(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .any(|p| p.is_dir() && looks(&p))
        })
}

/// A collection folder (JSON files and maybe `info.plist`), or a folder of collection
/// folders (Alfred's `snippets/`): each collection becomes a folder of replies.
pub fn read_alfred_dir(path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let mut pack = Pack {
        meta: PackMeta {
            name: collection_name(path, false),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    let list = |dir: &Path| -> Result<Vec<std::path::PathBuf>, crate::Error> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map_err(crate::Error::io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        Ok(v)
    };
    let mut collections = vec![path.to_path_buf()];
    collections.extend(list(path)?.into_iter().filter(|p| p.is_dir()));
    for dir in collections {
        let files = list(&dir)?;
        let jsons: Vec<_> = files
            .iter()
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            })
            .collect();
        if jsons.is_empty() {
            continue;
        }
        let plist = std::fs::read(dir.join("info.plist"))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let mut entries = Vec::new();
        for f in jsons {
            let meta = std::fs::metadata(f).map_err(crate::Error::io(f))?;
            let origin = Origin::File {
                path: f.clone(),
                line: 1,
            };
            if meta.len() > MAX_JSON {
                skipped.push(Skipped::not_imported(
                    origin,
                    tr(
                        "文件太大，不是 Alfred 话术",
                        "too large for an Alfred snippet",
                    ),
                ));
                continue;
            }
            let bytes = std::fs::read(f).map_err(crate::Error::io(f))?;
            entries.push((f.display().to_string(), bytes, origin));
        }
        push_collection(
            &mut pack,
            &mut skipped,
            &collection_name(&dir, false),
            plist.as_deref(),
            entries,
        );
    }
    Ok((pack, skipped))
}
