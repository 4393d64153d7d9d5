//! The native `.qrpack` format: a zip archive of
//!
//! * `manifest.json` — format name and version, pack name, author, description,
//!   language, creation time, counts, and the sha256 of every other entry;
//! * `library.json` — folders, replies with all their parts, variables with defaults;
//! * `images/<sha256>.<ext>` — the images, byte for byte as stored.
//!
//! Readers accept every older format version. Reading is defensive: entry count, total
//! and per-entry uncompressed size and compression ratio are limited (zip bombs), entry
//! names must be plain relative paths (no traversal, no absolute paths, no symlinks),
//! every entry's checksum must match the manifest, and anything wrong is an error that
//! names the entry, before anything is written anywhere.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use quickreply_proto::Part;

use crate::blob::{ImageInfo, MAX_IMAGE_BYTES, inspect_image, read_image_file, sha256_hex};
use crate::i18n::tr;
use crate::source::{ImageRef, Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet, VarDef};

pub const FORMAT: &str = "quickreply-pack";
/// The version this build writes; it reads this and every older one.
pub const FORMAT_VERSION: u32 = 1;
pub use super::common::{
    MAX_ENTRIES, MAX_JSON_BYTES, MAX_RATIO, MAX_TOTAL_BYTES, check_archive, is_zip,
};
pub use super::error::PackError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub folders: usize,
    pub replies: usize,
    pub images: usize,
    pub variables: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub name: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub language: String,
    pub created: String,
    pub counts: Counts,
    /// sha256 of every other entry, by entry name.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct LibraryJson {
    folders: Vec<String>,
    replies: Vec<ReplyJson>,
    #[serde(default)]
    variables: Vec<VariableJson>,
    /// 生效 / 失效 of the folders that have them, by path (apart from `folders`, a list
    /// of paths older readers know; they ignore this and import the folders undated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    folder_dates: Vec<FolderDatesJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct FolderDatesJson {
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starts_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct ReplyJson {
    #[serde(default)]
    folder: String,
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    apps: Vec<String>,
    parts: Vec<Part>,
    /// 生效 / 失效 (RFC 3339, see `quickreply_proto::schedule`); older readers ignore them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starts_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct VariableJson {
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// `value` is only an example: the variable is imported unset. A reader that does
    /// not know the field imports the example as the value, as before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    example: bool,
}

fn ext_of(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        _ => "bin",
    }
}

/// Gives the bytes of an image reference and what they are.
pub type ImageSource<'a> = dyn Fn(&ImageRef) -> crate::Result<(Vec<u8>, ImageInfo)> + 'a;

/// Write a pack as `.qrpack`. `image` returns the bytes of an image reference (files
/// for source packs, blobs for libraries). Entries are written in a fixed order with a
/// fixed timestamp, so the same pack gives the same bytes.
pub fn write<W: Write + Seek>(
    pack: &Pack,
    out: W,
    created: &str,
    image: &ImageSource<'_>,
) -> crate::Result<()> {
    let mut files = BTreeMap::new();
    let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut replies = Vec::with_capacity(pack.snippets.len());
    for s in &pack.snippets {
        let mut parts = Vec::with_capacity(s.parts.len());
        for p in &s.parts {
            parts.push(match p {
                PackPart::Text { body, .. } => Part::Text { body: body.clone() },
                PackPart::Image { image: r, .. } => {
                    let (bytes, info) = image(r)?;
                    let name = format!("images/{}.{}", info.sha256, ext_of(&info.mime));
                    blobs.entry(name).or_insert(bytes);
                    Part::Image {
                        sha256: info.sha256,
                        mime: info.mime,
                        width: info.width,
                        height: info.height,
                    }
                }
            });
        }
        replies.push(ReplyJson {
            folder: s.folder.clone(),
            title: s.title.clone(),
            code: s.code.clone(),
            tags: s.tags.clone(),
            apps: s.apps.clone(),
            parts,
            starts_at: s.starts_at.clone(),
            ends_at: s.ends_at.clone(),
        });
    }
    let library = LibraryJson {
        folders: pack.folders.iter().map(|f| f.path.clone()).collect(),
        folder_dates: pack
            .folders
            .iter()
            .filter(|f| f.starts_at.is_some() || f.ends_at.is_some())
            .map(|f| FolderDatesJson {
                path: f.path.clone(),
                starts_at: f.starts_at.clone(),
                ends_at: f.ends_at.clone(),
            })
            .collect(),
        replies,
        variables: pack
            .meta
            .variables
            .iter()
            .map(|(name, v)| VariableJson {
                name: name.clone(),
                value: v.stored_value().to_string(),
                description: v.description.clone(),
                scope: v.scope.clone(),
                example: v.is_example(),
            })
            .collect(),
    };
    let library_bytes = serde_json::to_vec_pretty(&library).unwrap_or_default();
    files.insert("library.json".to_string(), sha256_hex(&library_bytes));
    for (name, bytes) in &blobs {
        files.insert(name.clone(), sha256_hex(bytes));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: pack.meta.name.clone(),
        author: pack.meta.author.clone(),
        description: pack.meta.description.clone(),
        language: pack.meta.language.clone(),
        created: created.to_string(),
        counts: Counts {
            folders: library.folders.len(),
            replies: library.replies.len(),
            images: blobs.len(),
            variables: library.variables.len(),
        },
        files,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    let io = |e: zip::result::ZipError| crate::Error::Io {
        path: PathBuf::from(".qrpack"),
        source: std::io::Error::other(e),
    };
    let mut zip = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let stored = opts.compression_method(zip::CompressionMethod::Stored);
    let mut put =
        |name: &str, bytes: &[u8], o: zip::write::SimpleFileOptions| -> crate::Result<()> {
            zip.start_file(name, o).map_err(io)?;
            zip.write_all(bytes).map_err(crate::Error::io(name))
        };
    put("manifest.json", &manifest_bytes, opts)?;
    put("library.json", &library_bytes, opts)?;
    for (name, bytes) in &blobs {
        // Images are compressed already.
        put(name, bytes, stored)?;
    }
    zip.finish().map_err(io)?;
    Ok(())
}

/// Image bytes for a pack's references: files are read and checked, blobs come from a
/// store's blob directory.
pub fn image_reader(
    blobs: Option<&crate::blob::BlobDir>,
) -> impl Fn(&ImageRef) -> crate::Result<(Vec<u8>, ImageInfo)> + '_ {
    move |r| match r {
        ImageRef::File(path) => read_image_file(path),
        ImageRef::Bytes { name, data } => {
            let info = inspect_image(data, Path::new(name))?;
            Ok((data.to_vec(), info))
        }
        ImageRef::Blob(sha) => {
            let Some(blobs) = blobs else {
                return Err(crate::Error::Io {
                    path: PathBuf::from(sha),
                    source: std::io::Error::other("no blob directory"),
                });
            };
            let bytes = blobs.get(sha)?;
            let info = inspect_image(&bytes, &blobs.path_of(sha))?;
            Ok((bytes, info))
        }
    }
}

/// Read a `.qrpack` into a pack. `path` names the file in messages.
pub fn read<R: Read + Seek>(input: R, path: &Path) -> Result<(Manifest, Pack), PackError> {
    let not_a_pack = |reason: String| PackError::NotAPack {
        path: path.to_path_buf(),
        reason,
    };
    let entry_err = |entry: &str, reason: String| PackError::Entry {
        path: path.to_path_buf(),
        entry: entry.to_string(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(input).map_err(|e| not_a_pack(e.to_string()))?;
    // Entry count, names, symlinks, sizes and ratios, before any content is read.
    check_archive(&mut zip, path)?;
    // Read an entry, never more than `limit` bytes whatever its header claims.
    let mut read_entry = |name: &str, limit: u64| -> Result<Vec<u8>, PackError> {
        let f = zip
            .by_name(name)
            .map_err(|_| entry_err(name, tr("缺少这个条目", "missing")))?;
        let mut buf = Vec::new();
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| entry_err(name, e.to_string()))?;
        if buf.len() as u64 > limit {
            return Err(entry_err(
                name,
                tr(
                    format!("超过 {} MB 上限", limit / 1048576),
                    format!("larger than the {} MB limit", limit / 1048576),
                ),
            ));
        }
        Ok(buf)
    };
    let manifest_bytes = read_entry("manifest.json", 16 * 1024 * 1024)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| entry_err("manifest.json", e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(entry_err(
            "manifest.json",
            tr(
                format!("格式「{}」不是 {FORMAT}", manifest.format),
                format!("format \"{}\" is not {FORMAT}", manifest.format),
            ),
        ));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(PackError::TooNew {
            path: path.to_path_buf(),
            found: manifest.format_version,
            supported: FORMAT_VERSION,
        });
    }
    let checked = |name: &str, bytes: &[u8]| -> Result<(), PackError> {
        match manifest.files.get(name) {
            Some(sum) if *sum == sha256_hex(bytes) => Ok(()),
            Some(_) => Err(entry_err(
                name,
                tr(
                    "校验和不符（文件被改动或已损坏）",
                    "checksum mismatch (modified or damaged)",
                ),
            )),
            None => Err(entry_err(
                name,
                tr(
                    "清单 manifest.json 中没有这个条目",
                    "not listed in manifest.json",
                ),
            )),
        }
    };
    let library_bytes = read_entry("library.json", MAX_JSON_BYTES)?;
    checked("library.json", &library_bytes)?;
    let library: LibraryJson = serde_json::from_slice(&library_bytes).map_err(|e| {
        entry_err(
            "library.json",
            tr(
                format!("第 {} 行第 {} 列：{e}", e.line(), e.column()),
                format!("line {}, column {}: {e}", e.line(), e.column()),
            ),
        )
    })?;
    let mut images: BTreeMap<String, Arc<[u8]>> = BTreeMap::new();
    for name in manifest.files.keys().filter(|n| n.starts_with("images/")) {
        let bytes = read_entry(name, MAX_IMAGE_BYTES)?;
        checked(name, &bytes)?;
        let sha = sha256_hex(&bytes);
        images.insert(sha, bytes.into());
    }
    let origin = |i: usize, title: &str| Origin::Library {
        place: format!("{}: library.json replies[{i}] {title}", path.display()),
    };
    let mut snippets = Vec::with_capacity(library.replies.len());
    for (i, r) in library.replies.into_iter().enumerate() {
        let o = origin(i, &r.title);
        let mut parts = Vec::with_capacity(r.parts.len());
        for p in r.parts {
            parts.push(match p {
                Part::Text { body } => PackPart::Text { body, origin: o.clone() },
                Part::Image { sha256, mime, .. } => {
                    let Some(data) = images.get(&sha256) else {
                        return Err(entry_err("library.json", tr(
                            format!("话术「{}」引用的图片 {sha256} 不在包里", r.title),
                            format!("reply \"{}\" refers to image {sha256}, which is not in the pack", r.title),
                        )));
                    };
                    PackPart::Image {
                        image: ImageRef::Bytes {
                            name: format!("images/{sha256}.{}", ext_of(&mime)),
                            data: data.clone(),
                        },
                        origin: o.clone(),
                    }
                }
            });
        }
        snippets.push(PackSnippet {
            folder: r.folder,
            title: r.title,
            code: r.code,
            tags: r.tags,
            apps: r.apps,
            parts,
            origin: o,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
        });
    }
    let pack = Pack {
        meta: PackMeta {
            name: manifest.name.clone(),
            language: manifest.language.clone(),
            author: manifest.author.clone(),
            description: manifest.description.clone(),
            variables: library
                .variables
                .into_iter()
                .map(|v| {
                    (
                        v.name,
                        VarDef {
                            default: if v.example {
                                String::new()
                            } else {
                                v.value.clone()
                            },
                            example: if v.example { v.value } else { String::new() },
                            description: v.description,
                            scope: v.scope,
                        },
                    )
                })
                .collect(),
        },
        folders: library
            .folders
            .into_iter()
            .map(|path_| {
                let dated = library.folder_dates.iter().find(|d| d.path == path_);
                PackFolder {
                    origin: Origin::Library {
                        place: format!("{}: {path_}", path.display()),
                    },
                    starts_at: dated.and_then(|d| d.starts_at.clone()),
                    ends_at: dated.and_then(|d| d.ends_at.clone()),
                    path: path_,
                }
            })
            .collect(),
        snippets,
    };
    Ok((manifest, pack))
}
