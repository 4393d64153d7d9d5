//! The one error type of the core library. Messages follow [`crate::i18n`].

use std::path::PathBuf;

use crate::i18n::tr;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", tr(format!("数据库文件 {} 已损坏或不是 QuickReply 数据库：{source}", path.display()), format!("the database file {} is damaged or is not a QuickReply database: {source}", path.display())))]
    CorruptStore {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{}", tr(format!("数据库文件 {} 是空的（0 字节），其中的话术已丢失（可能是磁盘写满或异常关机）。空文件已另存为 {}；再次打开将新建一个空的话术库", path.display(), kept.display()), format!("the database file {} is empty (0 bytes): its replies were lost (a full disk or a crash?). The empty file was kept as {}; opening again starts an empty store", path.display(), kept.display())))]
    EmptyStore { path: PathBuf, kept: PathBuf },
    #[error("{}", tr(format!("数据库 {} 来自更新版本的 QuickReply（结构版本 {found}，本程序支持到 {supported}），请升级", path.display()), format!("the database {} was written by a newer QuickReply (schema {found}, this build knows up to {supported}); please upgrade", path.display())))]
    StoreTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{}", tr(format!("数据库错误：{_0}"), format!("database error: {_0}")))]
    Db(rusqlite::Error),
    #[error("{}", tr("这是团队的只读话术库：只有主管或编辑可以修改，改动没有保存。可以先复制到个人话术库再改".to_string(), "this is a read-only team library: only the lead or an editor can change it; nothing was saved. Copy the reply to your personal library to change it".to_string()))]
    ReadOnly,
    #[error("{}", tr(format!("{}：{source}{}", path.display(), in_use(source).0), format!("{}: {source}{}", path.display(), in_use(source).1)))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr(format!("没有名为「{_0}」的话术库"), format!("there is no library named \"{_0}\"")))]
    NoSuchLibrary(String),
    #[error("{}", tr(format!("话术库「{_0}」已存在"), format!("a library named \"{_0}\" already exists")))]
    LibraryExists(String),
    #[error("{}", tr(format!("找不到话术「{_0}」（按编号或快捷编码查找）"), format!("no reply with id or shortcut code \"{_0}\"")))]
    NoSuchSnippet(String),
    #[error("{}", tr(format!("「{_0}」同时匹配多条话术：{_1}；请用编号"), format!("\"{_0}\" matches several replies: {_1}; use the id")))]
    AmbiguousSnippet(String, String),
    #[error("{}", tr(format!("没有文件夹「{_0}」"), format!("there is no folder \"{_0}\"")))]
    NoSuchFolder(String),
    #[error("{}", tr(format!("文件夹「{_0}」里还有 {_1} 条话术；加 --recursive 连同话术一起删除"), format!("folder \"{_0}\" still holds {_1} replies; add --recursive to delete them too")))]
    FolderNotEmpty(String, usize),
    #[error("{}", tr(format!("快捷编码「{code}」已被话术「{title}」使用"), format!("shortcut code \"{code}\" is already used by \"{title}\"")))]
    CodeTaken { code: String, title: String },
    #[error("{}", tr(format!("快捷编码「{_0}」无效：只能用 1–16 个小写字母或数字"), format!("shortcut code \"{_0}\" is invalid: use 1–16 lowercase letters or digits")))]
    InvalidCode(String),
    #[error("{}", tr(format!("{_0}不能为空"), format!("{_0} must not be empty")))]
    Empty(&'static str),
    #[error("{}", tr(format!("名称「{_0}」无效：不能包含 / 或换行"), format!("the name \"{_0}\" is invalid: it must not contain / or a line break")))]
    InvalidName(String),
    /// Something the sync server would refuse too (the shared validator of
    /// `quickreply_proto::check`): refused here before anything is saved or queued.
    #[error("{}", tr(_0.zh(), _0.en()))]
    Invalid(#[from] quickreply_proto::check::Invalid),
    #[error("{}", tr(format!("图片 {}：{reason}", path.display()), format!("image {}: {reason}", path.display())))]
    BadImage { path: PathBuf, reason: String },
    #[error("{}", tr(format!("变量名「{_0}」无效"), format!("invalid variable name \"{_0}\"")))]
    InvalidVariableName(String),
    /// A value of the team's compliance settings (`@合规`) no client could read.
    #[error("{}", tr(_0.zh(), _0.en()))]
    InvalidPolicy(quickreply_proto::compliance::PolicyError),
    /// Variables a reply uses that have only an example for a value (see
    /// `store::variables`): nothing is sent until they are set or answered.
    #[error("{}", tr(format!("变量 {} 还没有设置，没有发出（不会把示例值发给买家）。请先设置：qreply vars set {} 值", braced(_0, "、"), _0.first().map_or("", String::as_str)), format!("not sent: variable {} has no value yet (an example is never sent). Set it first: qreply vars set {} VALUE", braced(_0, ", "), _0.first().map_or("", String::as_str))))]
    UnsetVariables(Vec<String>),
    /// Two rows of one save give a variable the same name.
    #[error("{}", tr(format!("变量「{_0}」在这次保存里出现了两次：请改名或删掉一行"), format!("the variable \"{_0}\" appears twice in this save: rename or remove one row")))]
    VariableTwice(String),
    /// A new (or renamed) variable takes the name of one the library already has.
    #[error("{}", tr(format!("变量「{_0}」已经存在：请直接修改那一行"), format!("the variable \"{_0}\" already exists: change that row instead")))]
    VariableExists(String),
    /// A reply fired before its 生效 (its own date or a folder's; see `store::schedule`).
    #[error("{}", tr(format!("话术「{title}」未生效：{from} 起才能发送（北京时间）"), format!("the reply \"{title}\" is not active yet: it can be sent from {from} (Beijing time)")))]
    NotYetStarted { title: String, from: String },
    /// A reply fired after its 失效.
    #[error("{}", tr(format!("话术「{title}」已过期：只能发送到 {until}（北京时间）"), format!("the reply \"{title}\" has expired: it could be sent through {until} (Beijing time)")))]
    Expired { title: String, until: String },
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    #[error(transparent)]
    Pack(#[from] crate::packs::error::PackError),
    #[error(transparent)]
    Table(#[from] crate::packs::error::TableError),
    #[error(transparent)]
    Interop(#[from] crate::packs::error::InteropError),
    #[error("{}", tr(format!("{}：无法识别的格式（支持：话术源文件夹、.qrpack、CSV、XLSX、espanso、Raycast、Alfred、TextExpander、纯文本）", _0.display()), format!("{}: unrecognised format (supported: a source pack folder, .qrpack, CSV, XLSX, espanso, Raycast, Alfred, TextExpander, plain text)", _0.display())))]
    UnknownFormat(PathBuf),
    #[error("{}", tr(format!("设置文件 {} 无法读取：{_1}", _0.display()), format!("the settings file {} cannot be read: {_1}", _0.display())))]
    BadSettings(PathBuf, String),
    #[error("{}", tr(format!("设置无效：{_0}"), format!("invalid settings: {_0}")))]
    InvalidSettings(String),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // The read-only guard triggers of synced team libraries (store migration 2).
        if e.to_string().contains("quickreply:read-only") {
            Error::ReadOnly
        } else {
            Error::Db(e)
        }
    }
}

impl Error {
    /// The error of an I/O failure on `path`, for `map_err`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// What to add when Windows refuses a file because another program holds it open (Excel
/// or WPS keep a CSV/XLSX locked while it is open): `ERROR_SHARING_VIOLATION` and
/// `ERROR_LOCK_VIOLATION` say so; `ERROR_ACCESS_DENIED` is what replacing such a file
/// gives, and also what a read-only place gives. Nothing elsewhere. (Chinese, English.)
fn in_use(e: &std::io::Error) -> (&'static str, &'static str) {
    match e.raw_os_error() {
        Some(32 | 33) if cfg!(windows) => (
            "（文件正被其他程序打开，例如 Excel 或 WPS：关闭它后再试一次）",
            " (the file is open in another program, such as Excel or WPS: close it and try again)",
        ),
        Some(5) if cfg!(windows) => (
            "（文件可能正被其他程序打开，例如 Excel 或 WPS：关闭它后再试一次；也可能此处不允许写入）",
            " (the file may be open in another program, such as Excel or WPS: close it and try again; or this place may not be written to)",
        ),
        _ => ("", ""),
    }
}

/// `{a}、{b}` for messages.
fn braced(names: &[String], sep: &str) -> String {
    names
        .iter()
        .map(|n| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(sep)
}
