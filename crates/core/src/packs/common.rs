//! What the pack readers share: the size limits every reader enforces, the zip check run
//! before any `.qrpack` or XLSX entry is read, text decoding (UTF-8 or GB18030), and
//! [`Skipped`], a remark on a row or entry: not imported (and why), or imported with a
//! change the user should know about.

use std::io::{Read, Seek};
use std::path::Path;

use super::error::{PackError, TableError};
use crate::i18n::tr;
use crate::source::Origin;

/// Most entries a zip archive (`.qrpack`, XLSX) may hold.
pub const MAX_ENTRIES: usize = 20_000;
/// Most bytes an archive may unpack to, all entries together.
pub const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
/// Largest `library.json` of a `.qrpack`.
pub const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;
/// Highest compression ratio of an entry over 1 MB (zip bombs).
pub const MAX_RATIO: u64 = 200;
/// Largest accepted cell (a reply is chat text, not a document).
pub const MAX_CELL_BYTES: usize = 64 * 1024;
/// Largest accepted CSV, XLSX or text-like file.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// A remark a reader makes on one row or entry of a file: it was not imported
/// ([`Remark::Skipped`]), or it was imported with a change worth knowing
/// ([`Remark::Note`]: a placeholder converted, a shortcut code dropped, a title cut).
/// `qreply import` prints them as `skipped` / `note` lines, the app's import dialog in two
/// lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub origin: Origin,
    pub reason: String,
    pub kind: Remark,
}

/// What a [`Skipped`] says about its row or entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remark {
    /// Not imported.
    Skipped,
    /// Imported, with a remark.
    Note,
}

impl Skipped {
    /// A row or entry that was not imported, and why.
    pub fn not_imported(origin: Origin, reason: impl Into<String>) -> Skipped {
        Skipped {
            origin,
            reason: reason.into(),
            kind: Remark::Skipped,
        }
    }

    /// A row or entry that was imported, with a remark on what changed.
    pub fn note(origin: Origin, reason: impl Into<String>) -> Skipped {
        Skipped {
            origin,
            reason: reason.into(),
            kind: Remark::Note,
        }
    }

    /// Whether its row or entry was imported (the remark is only a note).
    pub fn is_note(&self) -> bool {
        self.kind == Remark::Note
    }
}

/// The error for a file of `size` bytes, over [`MAX_FILE_BYTES`].
pub fn too_large(path: &Path, size: usize) -> TableError {
    TableError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_FILE_BYTES,
    }
}

/// Decode bytes: UTF-8 (with or without BOM), else GB18030.
pub fn decode(bytes: &[u8], path: &Path) -> Result<String, TableError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|_| TableError::Encoding {
            path: path.to_path_buf(),
        });
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(TableError::Encoding {
            path: path.to_path_buf(),
        });
    }
    Ok(text.into_owned())
}

fn safe_name(name: &str) -> bool {
    // Directory entries end in `/`.
    let name = name.strip_suffix('/').unwrap_or(name);
    let drive = name.len() > 1 && name.as_bytes()[1] == b':';
    let bad_part = name
        .split('/')
        .any(|c| c == ".." || c == "." || c.is_empty());
    !(name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || bad_part
        || drive)
}

/// Whether bytes look like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Check every entry of a zip archive before any content is read: count, safe names,
/// no symlinks, declared total size and compression ratio (zip bombs). Shared with XLSX,
/// which is a zip too.
pub fn check_archive<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    path: &Path,
) -> Result<(), PackError> {
    check_entries(zip, path, true)
}

/// [`check_archive`] for an archive whose entries are only ever read into memory by
/// name (an Alfred collection): a name is never used as a path there, so names such as
/// `\AA reply.json` (made on Windows) are no traversal risk and are not refused; the
/// count, size and compression checks still apply.
pub fn check_archive_in_memory<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    path: &Path,
) -> Result<(), PackError> {
    check_entries(zip, path, false)
}

fn check_entries<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    path: &Path,
    names_are_paths: bool,
) -> Result<(), PackError> {
    let not_a_pack = |reason: String| PackError::NotAPack {
        path: path.to_path_buf(),
        reason,
    };
    let entry_err = |entry: &str, reason: String| PackError::Entry {
        path: path.to_path_buf(),
        entry: entry.to_string(),
        reason,
    };
    if zip.len() > MAX_ENTRIES {
        return Err(not_a_pack(tr(
            format!("条目太多（{} 个，上限 {MAX_ENTRIES}）", zip.len()),
            format!(
                "too many entries ({}, the limit is {MAX_ENTRIES})",
                zip.len()
            ),
        )));
    }
    // Check every entry's name, type and declared sizes before reading any content.
    let mut declared_total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| not_a_pack(e.to_string()))?;
        let name = f
            .name()
            .map_err(|_| {
                not_a_pack(tr(
                    "条目名称不是有效的 UTF-8",
                    "an entry name is not valid UTF-8",
                ))
            })?
            .to_string();
        if names_are_paths && !safe_name(&name) {
            return Err(entry_err(
                &name,
                tr(
                    "路径不安全（绝对路径或含 ..）",
                    "unsafe path (absolute or containing ..)",
                ),
            ));
        }
        if names_are_paths && f.is_symlink() {
            return Err(entry_err(
                &name,
                tr("不允许符号链接", "symbolic links are not allowed"),
            ));
        }
        declared_total = declared_total.saturating_add(f.size());
        if f.size() > 1024 * 1024
            && f.compressed_size() > 0
            && f.size() / f.compressed_size().max(1) > MAX_RATIO
        {
            return Err(entry_err(
                &name,
                tr(
                    format!(
                        "压缩比异常（{} 倍），疑似压缩炸弹",
                        f.size() / f.compressed_size().max(1)
                    ),
                    format!(
                        "suspicious compression ratio ({}×), looks like a zip bomb",
                        f.size() / f.compressed_size().max(1)
                    ),
                ),
            ));
        }
    }
    if declared_total > MAX_TOTAL_BYTES {
        return Err(not_a_pack(tr(
            format!(
                "解压后共 {} MB，超过上限 {} MB",
                declared_total / 1048576,
                MAX_TOTAL_BYTES / 1048576
            ),
            format!(
                "{} MB uncompressed, more than the {} MB limit",
                declared_total / 1048576,
                MAX_TOTAL_BYTES / 1048576
            ),
        )));
    }
    Ok(())
}
