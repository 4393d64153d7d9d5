//! Agents' suggestions in the app (建议修改 / 建议新增), thin over
//! `quickreply_sync::suggest`: an agent proposes a change of a team reply they cannot
//! edit, or a new reply, from the editor (queued here, sent by the background sync within
//! a moment, offline too); the editor's 建议 dialog lists an agent's own with the outcome
//! and the lead's comment, and a lead's inbox with accept, edit then accept, and decline.
//! Deciding needs the server; the work runs on a blocking thread with a store of its own
//! (as in `history.rs`).

use quickreply_core::Store;
use quickreply_core::i18n::tr;
use quickreply_core::proto::{LibraryKind, Part, SnippetDoc};
use quickreply_sync::{self as sync, LocalSuggestion, SuggestionState, SyncError};
use serde::Serialize;
use tauri::{AppHandle, Manager};
use uuid::Uuid;

use crate::app::App;
use crate::ipc::{Res, parse_id};

/// One suggestion as the editor's 建议 dialog shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionView {
    pub id: String,
    /// The last 8 hex digits (what `qreply suggestions` shows too).
    pub short: String,
    pub library: String,
    pub title: String,
    /// `queued`, `refused`, `pending`, `accepted`, `declined`, `withdrawn`.
    pub state: SuggestionState,
    /// A new reply (建议新增) rather than a change.
    pub new: bool,
    /// Made by this computer's member.
    pub mine: bool,
    pub author: String,
    pub note: String,
    /// The lead's comment, and who decided.
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    /// Why the server would not take it.
    pub error: Option<String>,
    /// The proposed text (text parts joined by blank lines) and the reply's text now
    /// (`None`: new, deleted, or not listed yet).
    pub proposed: String,
    pub current: Option<String>,
    pub current_title: Option<String>,
    /// The reply changed after the suggestion was made.
    pub changed: bool,
    /// Unix ms.
    pub created_at: i64,
}

/// What the editor needs to offer suggestions.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionsView {
    /// This computer is a lead (owner or editor) of some team: the inbox.
    pub lead: bool,
    /// Synced team libraries this computer may not write: 建议修改 / 建议新增 there.
    pub suggest_in: Vec<String>,
    /// Pending suggestions a lead can decide (the badge).
    pub to_decide: usize,
    pub items: Vec<SuggestionView>,
}

fn text_of(doc: &SnippetDoc) -> String {
    doc.parts
        .iter()
        .filter_map(Part::text)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `doc` with its text replaced by `text` (one text part first; its images stay).
fn with_text(doc: &SnippetDoc, title: &str, text: &str) -> SnippetDoc {
    let mut parts = vec![Part::Text {
        body: text.to_string(),
    }];
    parts.extend(
        doc.parts
            .iter()
            .filter(|p| matches!(p, Part::Image { .. }))
            .cloned(),
    );
    SnippetDoc {
        title: title.trim().to_string(),
        parts,
        ..doc.clone()
    }
}

fn view(s: LocalSuggestion) -> SuggestionView {
    let server = s.server.as_ref();
    SuggestionView {
        id: s.id.to_string(),
        short: sync::short_id(s.id),
        library: s.library_name.clone(),
        title: s.doc.title.clone(),
        state: s.state,
        new: s.base_version == 0,
        mine: s.mine,
        author: server.map(|x| x.author_name.clone()).unwrap_or_default(),
        note: s.note.clone(),
        comment: server.and_then(|x| x.comment.clone()),
        decided_by: server.and_then(|x| x.decided_by_name.clone()),
        error: s.error.clone(),
        proposed: text_of(&s.doc),
        current: server.and_then(|x| x.current.as_ref()).map(text_of),
        current_title: server
            .and_then(|x| x.current.as_ref())
            .map(|d| d.title.clone()),
        changed: server.is_some_and(|x| {
            x.status == quickreply_core::proto::api::SuggestionStatus::Pending
                && s.base_version > 0
                && x.changed_since_base()
        }),
        created_at: s.created_at,
    }
}

/// The desktop's words for "not joined" and "offline".
fn message(e: SyncError) -> String {
    match e {
        SyncError::NotJoined => tr(
            "本机还没有加入团队：建议要发给团队的同步服务器。请先在「设置 → 团队」中加入",
            "This computer has not joined a team: suggestions go to the team's sync server. Join in Settings → Team first",
        ),
        SyncError::Http { url, .. } => tr(
            format!("连不上同步服务器 {url}：采纳和拒绝需要联网，联网后再试"),
            format!(
                "Cannot reach the sync server {url}: accepting and declining need the network; try again once online"
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

fn list(store: &Store) -> Result<SuggestionsView, SyncError> {
    let accounts = sync::accounts(store)?;
    let lead = accounts.iter().any(|a| a.role.can_write_team());
    let mut suggest_in = Vec::new();
    for lib in store.libraries()? {
        if lib.kind == LibraryKind::Team && !store.writable(&lib)? {
            suggest_in.push(lib.name);
        }
    }
    let items: Vec<SuggestionView> = sync::suggestions(store)?.into_iter().map(view).collect();
    let to_decide = if lead {
        items
            .iter()
            .filter(|s| !s.mine && s.state == SuggestionState::Pending)
            .count()
    } else {
        0
    };
    Ok(SuggestionsView {
        lead,
        suggest_in,
        to_decide,
        items,
    })
}

/// What the editor's 建议 dialog and buttons show (from this computer's store: offline
/// too, as of the last sync).
#[tauri::command]
pub async fn suggestion_list(handle: AppHandle) -> Res<SuggestionsView> {
    with_store(&handle, |store| list(store)).await
}

/// Suggest a change of the reply `id` (建议修改), or with no `id` a new reply in
/// `library` (建议新增): the title and the text (its images stay). Queued here; the
/// background sync sends it. Answers the short id.
#[tauri::command]
pub async fn suggest_reply(
    handle: AppHandle,
    library: String,
    id: Option<String>,
    title: String,
    text: String,
    note: String,
) -> Res<String> {
    let id = id.map(|i| parse_id(&i)).transpose()?;
    if title.trim().is_empty() {
        return Err(tr("请填写标题", "Give it a title"));
    }
    if text.trim().is_empty() {
        return Err(tr("请填写建议的内容", "Write the text you suggest"));
    }
    with_store(&handle, move |store| {
        let lib = store.library(&library)?;
        if store.writable(&lib)? {
            return Err(SyncError::Unavailable(tr(
                "这个话术库你可以直接修改，不需要提建议",
                "You can edit this library yourself: no suggestion needed",
            )));
        }
        let doc = match id {
            Some(id) => with_text(&sync::reply_doc(store, lib.id, id)?, &title, &text),
            None => SnippetDoc {
                id: Uuid::now_v7(),
                folder_id: None,
                title: title.trim().to_string(),
                code: None,
                tags: Vec::new(),
                parts: vec![Part::Text { body: text }],
                apps: Vec::new(),
                position: 0,
                starts_at: None,
                ends_at: None,
            },
        };
        let made = sync::suggest(store, lib.id, doc, &note)?;
        Ok(sync::short_id(made))
    })
    .await
}

/// A lead accepts a suggestion: as proposed, or (with `title`/`text`) as edited.
#[tauri::command]
pub async fn suggestion_accept(
    handle: AppHandle,
    id: String,
    title: Option<String>,
    text: Option<String>,
    comment: Option<String>,
) -> Res<SuggestionView> {
    let id = parse_id(&id)?;
    with_store(&handle, move |store| {
        let s = sync::find_suggestion(store, &id.to_string())?;
        let edited = match (title, text) {
            (None, None) => None,
            (t, x) => Some(with_text(
                &s.doc,
                t.as_deref().unwrap_or(&s.doc.title),
                x.as_deref().unwrap_or(&text_of(&s.doc)),
            )),
        };
        let comment = comment.filter(|c| !c.trim().is_empty());
        sync::accept(store, id, edited, comment)?;
        // The written reply comes with the next round (the live event wakes it).
        let s = sync::find_suggestion(store, &id.to_string())?;
        Ok(view(s))
    })
    .await
}

/// A lead declines a suggestion; the comment is shown to its author.
#[tauri::command]
pub async fn suggestion_decline(
    handle: AppHandle,
    id: String,
    comment: String,
) -> Res<SuggestionView> {
    let id = parse_id(&id)?;
    if comment.trim().is_empty() {
        return Err(tr(
            "请写明拒绝的理由，客服会看到",
            "Say why: the agent sees the reason",
        ));
    }
    with_store(&handle, move |store| {
        sync::decline(store, id, comment.trim())?;
        Ok(view(sync::find_suggestion(store, &id.to_string())?))
    })
    .await
}

/// Its author takes a suggestion back (one still queued is just forgotten).
#[tauri::command]
pub async fn suggestion_withdraw(handle: AppHandle, id: String) -> Res<()> {
    let id = parse_id(&id)?;
    with_store(&handle, move |store| {
        sync::withdraw(store, id)?;
        Ok(())
    })
    .await
}
