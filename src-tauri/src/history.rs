//! The editor's history of a reply (the versions the sync server keeps) and one-click
//! restore. Thin over `quickreply_sync::history` / `restore`; the network work runs on a
//! blocking thread with a store of its own (as in `team.rs`), never on the UI thread.

use quickreply_core::i18n::tr;
use quickreply_core::{Error, Store};
use quickreply_sync::{self as sync, SyncError};
use serde::Serialize;
use tauri::{AppHandle, Manager};

use crate::app::App;
use crate::editor::ReplyDoc;
use crate::ipc::{Res, parse_id};

/// One kept version of a reply.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    pub version: i64,
    pub deleted: bool,
    pub title: String,
    /// The text parts, joined by blank lines.
    pub text: String,
    pub images: usize,
    pub user_name: String,
    pub device_name: String,
    /// Unix ms.
    pub updated_at: i64,
}

/// A reply's history, newest first.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub title: String,
    /// False for an agent's copy of a team library: versions are shown, not restored.
    pub writable: bool,
    pub versions: Vec<VersionView>,
}

/// The desktop's words for "not joined" (the core's mention the CLI) and "offline" (the
/// core's speak of queued edits, which a look at the history has none of).
fn message(e: SyncError) -> String {
    match e {
        SyncError::NotJoined => tr(
            "本机还没有加入团队：历史版本保存在团队的同步服务器上。请先在「设置 → 团队」中加入",
            "This computer has not joined a team: the history is kept on the team's sync server. Join in Settings → Team first",
        ),
        SyncError::Http { url, .. } => tr(
            format!("连不上同步服务器 {url}：离线时看不到历史版本，联网后再试"),
            format!(
                "Cannot reach the sync server {url}: the history needs the network; try again once online"
            ),
        ),
        other => other.to_string(),
    }
}

async fn with_store<T: Send + 'static>(
    handle: &AppHandle,
    f: impl FnOnce(&mut Store) -> Result<T, SyncError> + Send + 'static,
) -> Res<T> {
    let dir = handle.state::<App>().data_dir.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut store = Store::open(&dir)?;
        f(&mut store)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(message)
}

#[tauri::command]
pub async fn reply_history(handle: AppHandle, id: String) -> Res<HistoryView> {
    let id = parse_id(&id)?;
    with_store(&handle, move |store| {
        let snippet = store.snippet(id)?;
        let writable = store.writable(&store.library(&snippet.library)?)?;
        let versions = sync::history(store, &snippet)?
            .into_iter()
            .map(|v| {
                let (title, text, images) = sync::version_text(&v).unwrap_or_default();
                VersionView {
                    version: v.version,
                    deleted: v.deleted,
                    title,
                    text,
                    images,
                    user_name: v.user_name,
                    device_name: v.device_name,
                    updated_at: v.updated_at,
                }
            })
            .collect();
        Ok(HistoryView {
            title: snippet.title,
            writable,
            versions,
        })
    })
    .await
}

/// Put a reply back as it was in `version`: an ordinary edit (refused for agents), sent
/// by the background sync like any other.
#[tauri::command]
pub async fn restore_version(handle: AppHandle, id: String, version: i64) -> Res<ReplyDoc> {
    let id = parse_id(&id)?;
    let restored = with_store(&handle, move |store| {
        let snippet = store.snippet(id)?;
        if !store.writable(&store.library(&snippet.library)?)? {
            return Err(Error::ReadOnly.into());
        }
        sync::restore(store, &snippet, version)?;
        Ok(store.snippet(id)?)
    })
    .await?;
    handle
        .state::<App>()
        .changed(&[id])
        .map_err(|e| e.to_string())?;
    Ok(restored.into())
}
