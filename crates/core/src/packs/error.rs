//! The errors of reading and writing packs, one per family of formats. A leaf: the
//! crate's [`crate::Error`] wraps these, and nothing here imports anything but the
//! message language, so the pack modules and the crate error never import each other.

use std::path::PathBuf;

use crate::i18n::tr;

/// A `.qrpack` (or an XLSX's zip container) that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{}", tr(format!("{}：{source}", path.display()), format!("{}: {source}", path.display())))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr(format!("{}：不是有效的 .qrpack（zip）文件：{reason}", path.display()), format!("{}: not a valid .qrpack (zip) file: {reason}", path.display())))]
    NotAPack { path: PathBuf, reason: String },
    #[error("{}", tr(format!("{}：条目 {entry}：{reason}", path.display()), format!("{}: entry {entry}: {reason}", path.display())))]
    Entry {
        path: PathBuf,
        entry: String,
        reason: String,
    },
    #[error("{}", tr(format!("{}：这个话术包由更新版本的 QuickReply 生成（格式版本 {found}，本程序支持到 {supported}），请升级后再导入", path.display()), format!("{}: this pack was made by a newer QuickReply (format version {found}, this build reads up to {supported}); please upgrade", path.display())))]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

/// A CSV or XLSX table that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{}", tr(format!("{}：既不是 UTF-8 也不是 GB18030/GBK 编码的文本", path.display()), format!("{}: neither UTF-8 nor GB18030/GBK text", path.display())))]
    Encoding { path: std::path::PathBuf },
    #[error("{}", tr(format!("{}：文件有 {} MB，超过上限 {} MB", path.display(), size / 1048576, limit / 1048576), format!("{}: the file is {} MB, more than the {} MB limit", path.display(), size / 1048576, limit / 1048576)))]
    TooLarge {
        path: std::path::PathBuf,
        size: usize,
        limit: usize,
    },
    #[error("{}", tr(format!("{}:{line}：{message}", path.display()), format!("{}:{line}: {message}", path.display())))]
    Row {
        path: std::path::PathBuf,
        line: u64,
        message: String,
    },
}

/// An interop error: a file that cannot be read at all (entries it can read but not use
/// are [`Skipped`](super::common::Skipped) instead).
#[derive(Debug, thiserror::Error)]
#[error("{}", tr(format!("{}：{message}", path.display()), format!("{}: {message}", path.display())))]
pub struct InteropError {
    pub path: PathBuf,
    pub message: String,
}
