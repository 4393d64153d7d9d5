//! Replies no one fired in N days, and moving them into the library's 归档 folder, for a
//! lead (`qreply stale`): the server decides both (`GET …/stale`, `POST …/archive`; see
//! `quickreply_proto::stale`). An archive is an ordinary edit of each reply on the server,
//! so this computer gets it, like every other, at its next sync.

use quickreply_core::i18n::tr;
use quickreply_core::store::{self, Store};
use quickreply_proto::api::{ArchiveResult, MAX_ARCHIVE, MAX_STALE_PAGE, StaleReplies};

use crate::accounts::client_of;
use crate::error::{Result, SyncError};
use crate::links::linked;

/// An older server has neither endpoint: say so rather than "no such endpoint".
fn too_old(e: SyncError) -> SyncError {
    match e {
        SyncError::Server {
            status: 404,
            message,
            ..
        } if message.starts_with("no such endpoint") => SyncError::Unavailable(tr(
            "同步服务器版本太旧，还不能列出没人用的话术：请先升级服务器".to_string(),
            "the sync server is too old to list unused replies: upgrade it first".to_string(),
        )),
        other => other,
    }
}

/// The server's id of a synced library.
fn remote_of(store: &Store, library: &store::Library) -> Result<(uuid::Uuid, crate::http::Client)> {
    let Some(l) = linked(store)?.into_iter().find(|l| l.local == library.id) else {
        return Err(SyncError::Unavailable(tr(
            format!("话术库「{}」没有同步", library.name),
            format!("the library \"{}\" is not synced", library.name),
        )));
    };
    let (_, client) = client_of(store, &l)?;
    Ok((l.remote, client))
}

/// Every stale reply of a synced library over `days` days (page by page), with the
/// period and the library's first day of usage counts.
pub fn stale(store: &Store, library: &store::Library, days: u32) -> Result<StaleReplies> {
    let (remote, client) = remote_of(store, library)?;
    let mut all = client
        .stale(remote, days, MAX_STALE_PAGE, 0)
        .map_err(too_old)?;
    while (all.replies.len() as u64) < all.total {
        let next = client
            .stale(remote, days, MAX_STALE_PAGE, all.replies.len())
            .map_err(too_old)?;
        if next.replies.is_empty() {
            break;
        }
        all.replies.extend(next.replies);
    }
    Ok(all)
}

/// Moves replies of a synced library into its 归档 folder, at most [`MAX_ARCHIVE`] per
/// request (each request all or nothing): the results of every request, in order.
pub fn archive(
    store: &Store,
    library: &store::Library,
    keys: &[String],
) -> Result<Vec<ArchiveResult>> {
    let (remote, client) = remote_of(store, library)?;
    keys.chunks(MAX_ARCHIVE)
        .map(|chunk| client.archive(remote, chunk.to_vec()).map_err(too_old))
        .collect()
}
