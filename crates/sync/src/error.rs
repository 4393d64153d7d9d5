//! The sync client's one error type: talking to a server, and the local store's errors
//! (`Core`) underneath. Messages follow `quickreply_core::i18n`.

use std::path::PathBuf;

use quickreply_core::i18n::tr;

/// What the sync client's functions return.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

/// Errors of talking to a sync server.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{}", tr(format!("服务器地址「{url}」无效：{reason}"), format!("invalid server address \"{url}\": {reason}")))]
    BadUrl { url: String, reason: String },
    #[error("{}", tr(format!("连不上同步服务器 {url}：{reason}（改动都保存在本机，联网后会自动补发）"), format!("cannot reach the sync server {url}: {reason} (your changes are kept on this computer and sent once it is back)")))]
    Http { url: String, reason: String },
    #[error("{}", tr(format!("服务器拒绝了请求（{status} {code}）：{message}"), format!("the server refused ({status} {code}): {message}")))]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("{}", tr(format!("服务器的回答无法理解：{_0}"), format!("unexpected answer from the server: {_0}")))]
    Protocol(String),
    /// What was asked for is not there or not possible (no such version, member, refused
    /// change …): the message, already in the user's language, says so.
    #[error("{0}")]
    Unavailable(String),
    #[error("{}", tr("还没有加入同步服务器：先运行 qreply join <服务器地址> <邀请码>".to_string(), "not joined to a sync server yet: run qreply join <server address> <invite code>".to_string()))]
    NotJoined,
    #[error("{}", tr(format!("本机已经加入了同步服务器 {_0}"), format!("this computer has already joined the sync server {_0}")))]
    AlreadyJoined(String),
    #[error("{}", tr(format!("没有叫「{which}」的团队或服务器；本机加入的是：{known}"), format!("no team or server called \"{which}\"; this computer has joined: {known}")))]
    NoSuchAccount { which: String, known: String },
    #[error("{}", tr(format!("本机加入了几个团队，请指明是哪一个（--team）：{_0}"), format!("this computer has joined several teams: say which one (--team): {_0}")))]
    WhichAccount(String),
    #[error("{}", tr(format!("话术库「{_0}」不同步，服务器上没有它的历史"), format!("the library \"{_0}\" is not synced: the server has no history of it")))]
    NotSynced(String),
    #[error("{}", tr(format!("同步凭据 {} 无法读写：{_1}", _0.display()), format!("the sync credentials {} cannot be read or written: {_1}", _0.display())))]
    Token(PathBuf, String),
    /// An image a local reply uses cannot be read on this computer (deleted or damaged in
    /// the data folder): that reply cannot be sent as it is.
    #[error("{}", tr(format!("图片 {sha} 在本机读不出来：{reason}"), format!("the image {sha} cannot be read on this computer: {reason}")))]
    LocalImage { sha: String, reason: String },
    /// The local store refused (a read-only team library, a damaged database, …).
    #[error(transparent)]
    Core(#[from] quickreply_core::Error),
}

impl From<rusqlite::Error> for SyncError {
    /// Through the store's error, which knows the read-only guard of team libraries.
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Core(e.into())
    }
}

impl SyncError {
    /// Whether the server says the device's token is no longer valid.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, SyncError::Server { status: 401, .. })
    }
}
