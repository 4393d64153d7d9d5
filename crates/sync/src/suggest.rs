//! Agents' suggestions (建议修改 / 建议新增) on this computer: queued offline, sent and
//! listed on every sync round, decided by a lead online.
//!
//! [`suggest`] only writes a row (`sync_suggestions`, client migration) with a fresh
//! id and the version of the reply this computer last had from the server (its shadow;
//! 0 for a new reply): it works offline. Every round of an account ([`sync`], called by
//! `round::sync_account`) sends what is queued — the server answers a suggestion sent
//! again with the stored one, so a round cut short never makes two — and then stores
//! the server's list: an agent's own suggestions with their outcome and the lead's
//! comment, a lead's inbox with base, current and proposed text. What is stored is what
//! [`suggestions`] answers, offline too. A server from before suggestions (`404` on the
//! list) leaves the queue as it is. A suggestion the server refuses (an invalid reply, a
//! library that is gone) is kept with the reason and not sent again.
//!
//! Accepting, declining and withdrawing a sent suggestion need the server ([`accept`],
//! [`decline`], [`withdraw`]); withdrawing one still queued just forgets it.

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_proto::SnippetDoc;
use quickreply_proto::api::{
    AcceptSuggestion, DeclineSuggestion, NewSuggestion, Suggestion, SuggestionStatus,
};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts::{account_by_id, client_for};
use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::links::{linked, linked_of};
use crate::tables;
use crate::tables::suggestions::{self as rows, Row};

/// Where a suggestion stands, as this computer knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionState {
    /// Made here, not on the server yet (sent on the next sync).
    Queued,
    /// The server would not take it (see `error`).
    Refused,
    Pending,
    Accepted,
    Declined,
    Withdrawn,
}

impl SuggestionState {
    /// The state in the user's language.
    pub fn label(self) -> String {
        let (zh, en) = match self {
            SuggestionState::Queued => ("待发送", "queued"),
            SuggestionState::Refused => ("被服务器拒收", "refused by the server"),
            SuggestionState::Pending => ("待审核", "pending"),
            SuggestionState::Accepted => ("已采纳", "accepted"),
            SuggestionState::Declined => ("未采纳", "declined"),
            SuggestionState::Withdrawn => ("已撤回", "withdrawn"),
        };
        tr(zh.to_string(), en.to_string())
    }
}

/// A suggestion as this computer keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalSuggestion {
    pub id: Uuid,
    /// The account ([`crate::Account::id`]).
    pub account: i64,
    /// The local library.
    pub library: Uuid,
    pub library_name: String,
    pub key: String,
    /// The version the author saw (0: a new reply).
    pub base_version: i64,
    /// The proposed reply.
    pub doc: SnippetDoc,
    pub note: String,
    pub created_at: i64,
    pub state: SuggestionState,
    /// Why the server refused it ([`SuggestionState::Refused`]).
    pub error: Option<String>,
    /// Made by this account's member (queued ones always).
    pub mine: bool,
    /// The server's latest answer (author, the lead's comment, base and current text).
    pub server: Option<Suggestion>,
}

fn state_of(r: &Row) -> SuggestionState {
    match (&r.server, &r.error) {
        (_, Some(_)) => SuggestionState::Refused,
        (None, None) => SuggestionState::Queued,
        (Some(s), None) => match s.status {
            SuggestionStatus::Pending => SuggestionState::Pending,
            SuggestionStatus::Accepted => SuggestionState::Accepted,
            SuggestionStatus::Declined => SuggestionState::Declined,
            SuggestionStatus::Withdrawn => SuggestionState::Withdrawn,
        },
    }
}

/// Proposes `doc` for a synced team library (`library`, local): a change of the reply
/// with `doc.id` when this computer has it from the server (建议修改), else a new reply
/// (建议新增). Queued here and sent on the next sync; answers its id.
pub fn suggest(store: &Store, library: Uuid, doc: SnippetDoc, note: &str) -> Result<Uuid> {
    let link = linked(store)?
        .into_iter()
        .find(|l| l.local == library)
        .ok_or_else(|| {
            SyncError::Unavailable(tr(
                "只能对同步的团队话术库提建议".to_string(),
                "suggestions are for synced team libraries".to_string(),
            ))
        })?;
    let acc = account_by_id(store, link.account)?.ok_or(SyncError::NotJoined)?;
    if link.remote == acc.personal_remote {
        return Err(SyncError::Unavailable(tr(
            "个人话术库直接修改即可，不需要提建议".to_string(),
            "your personal library is yours to edit: no suggestion needed".to_string(),
        )));
    }
    let key = doc.id.to_string();
    let base_version = tables::shadow(store.conn(), library, &key)?.map_or(0, |(v, _)| v);
    let id = Uuid::now_v7();
    rows::insert(
        store.conn(),
        &Row {
            id,
            account: link.account,
            library,
            key,
            base_version,
            doc,
            note: note.trim().to_string(),
            created_at: chrono_now(),
            sent: false,
            error: None,
            server: None,
        },
    )?;
    Ok(id)
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A local reply of a library as a document (to prefill a suggestion from).
pub fn reply_doc(store: &Store, library: Uuid, id: Uuid) -> Result<SnippetDoc> {
    match tables::local_doc(store.conn(), library, &id.to_string())? {
        Some(quickreply_proto::api::ItemDoc::Snippet(doc)) => Ok(doc),
        _ => Err(SyncError::Unavailable(tr(
            "这个话术库里没有这条话术".to_string(),
            "this library has no such reply".to_string(),
        ))),
    }
}

/// Whether an account has suggestions waiting to be sent (the watch then syncs).
pub fn has_unsent(store: &Store, account: i64) -> Result<bool> {
    rows::has_unsent(store.conn(), account)
}

/// Every suggestion this computer keeps, newest first.
pub fn suggestions(store: &Store) -> Result<Vec<LocalSuggestion>> {
    let links = linked(store)?;
    let mut out = Vec::new();
    for r in rows::all(store.conn(), None)? {
        let acc = account_by_id(store, r.account)?;
        let library_name = links
            .iter()
            .find(|l| l.local == r.library)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        let mine = match (&r.server, &acc) {
            (Some(s), Some(a)) => s.author_user == a.user_id,
            (None, _) => true,
            (Some(_), None) => false,
        };
        out.push(LocalSuggestion {
            id: r.id,
            account: r.account,
            library: r.library,
            library_name,
            key: r.key.clone(),
            base_version: r.base_version,
            state: state_of(&r),
            doc: r.doc,
            note: r.note,
            created_at: r.created_at,
            error: r.error,
            mine,
            server: r.server,
        });
    }
    Ok(out)
}

/// A suggestion's short id, as lists show it: the last 8 hex digits of its id (the
/// random part of a UUIDv7; its first digits are a time and alike for ones made together).
pub fn short_id(id: Uuid) -> String {
    let hex = id.simple().to_string();
    hex[hex.len() - 8..].to_string()
}

/// The suggestion whose id is `id`, or ends with it, or starts with it (at least 4 hex
/// digits; dashes ignored): the short id of a list works.
pub fn find_suggestion(store: &Store, id: &str) -> Result<LocalSuggestion> {
    let id = id.trim().to_ascii_lowercase();
    let bare: String = id.chars().filter(|c| *c != '-').collect();
    let all = suggestions(store)?;
    let mut found = all.into_iter().filter(|s| {
        let hex = s.id.simple().to_string();
        bare.len() >= 4 && (hex.ends_with(&bare) || hex.starts_with(&bare))
    });
    match (found.next(), found.next()) {
        (Some(s), None) => Ok(s),
        (Some(_), Some(_)) => Err(SyncError::Unavailable(tr(
            format!("有几条建议的编号都以「{id}」开头：请多写几位"),
            format!("several suggestions have an id starting “{id}”: give more of it"),
        ))),
        (None, _) => Err(SyncError::Unavailable(tr(
            format!("没有编号为「{id}」的建议（先同步一次：qreply sync）"),
            format!("no suggestion with the id “{id}” (sync first: qreply sync)"),
        ))),
    }
}

/// One round's part (see the module doc): send what is queued, store the server's list.
/// Answers how many were sent.
pub(crate) fn sync(store: &Store, client: &Client, account: i64) -> Result<usize> {
    match client.suggestions() {
        Ok(_) => {}
        // A server from before suggestions: the queue waits for a newer one.
        Err(SyncError::Server { status: 404, .. }) => return Ok(0),
        Err(e) => return Err(e),
    }
    let links = linked_of(store, account)?;
    let mut sent = 0;
    for r in rows::unsent(store.conn(), account)? {
        let Some(link) = links.iter().find(|l| l.local == r.library) else {
            rows::set_error(
                store.conn(),
                r.id,
                &tr(
                    "话术库已不再同步".to_string(),
                    "the library is no longer synced".to_string(),
                ),
            )?;
            continue;
        };
        let new = NewSuggestion {
            id: r.id,
            doc: r.doc.clone(),
            base_version: r.base_version,
            note: r.note.clone(),
        };
        match client.suggest(link.remote, &new) {
            Ok(s) => {
                rows::store_server(store.conn(), account, r.library, &s)?;
                sent += 1;
            }
            Err(SyncError::Server {
                status, message, ..
            }) if (400..500).contains(&status) && ![401, 408, 429].contains(&status) => {
                rows::set_error(store.conn(), r.id, &message)?;
            }
            Err(e) => return Err(e),
        }
    }
    refresh(store, client, account)?;
    Ok(sent)
}

/// Stores the server's list of an account's suggestions.
fn refresh(store: &Store, client: &Client, account: i64) -> Result<()> {
    let listed = client.suggestions()?;
    let links = linked_of(store, account)?;
    let mut keep = Vec::with_capacity(listed.len());
    for s in &listed {
        if let Some(link) = links.iter().find(|l| l.remote == s.library_id) {
            rows::store_server(store.conn(), account, link.local, s)?;
            keep.push(s.id);
        }
    }
    rows::forget_unlisted(store.conn(), account, &keep)
}

/// The client of a suggestion's account, and the suggestion as the server last listed it.
fn sent_one(store: &Store, id: Uuid) -> Result<(Client, Row, Suggestion)> {
    let row = rows::get(store.conn(), id)?.ok_or_else(|| {
        SyncError::Unavailable(tr(
            "没有这条建议".to_string(),
            "no such suggestion".to_string(),
        ))
    })?;
    let Some(server) = row.server.clone() else {
        return Err(SyncError::Unavailable(tr(
            "这条建议还没发到服务器：先同步".to_string(),
            "this suggestion is not on the server yet: sync first".to_string(),
        )));
    };
    let acc = account_by_id(store, row.account)?.ok_or(SyncError::NotJoined)?;
    Ok((client_for(store, &acc)?, row, server))
}

fn decided(store: &Store, row: &Row, s: &Suggestion) -> Result<Suggestion> {
    rows::store_server(store.conn(), row.account, row.library, s)?;
    Ok(s.clone())
}

/// A lead accepts a suggestion (with `doc`: as they edited it), over the reply as it was
/// last listed. A reply changed since then is refused with a clear message and the list
/// read again, so the lead looks at the current text first. The written reply arrives
/// with the next sync.
pub fn accept(
    store: &Store,
    id: Uuid,
    doc: Option<SnippetDoc>,
    comment: Option<String>,
) -> Result<Suggestion> {
    let (client, row, server) = sent_one(store, id)?;
    let body = AcceptSuggestion {
        if_match: server.current_version.unwrap_or(0),
        doc,
        comment,
    };
    let body = serde_json::to_value(&body).map_err(|e| SyncError::Protocol(e.to_string()))?;
    match client.decide_suggestion(id, "accept", &body) {
        Ok(s) => decided(store, &row, &s),
        Err(SyncError::Server { status: 412, .. }) => {
            refresh(store, &client, row.account)?;
            Err(SyncError::Unavailable(tr(
                "这条话术在你查看之后又被改过了，已重新读取：请再看一遍现在的内容再采纳".to_string(),
                "the reply changed after you looked at it; it was read again: look at the current text, then accept".to_string(),
            )))
        }
        Err(e) => Err(e),
    }
}

/// A lead declines a suggestion; the comment is shown to its author.
pub fn decline(store: &Store, id: Uuid, comment: &str) -> Result<Suggestion> {
    let (client, row, _) = sent_one(store, id)?;
    let body = serde_json::to_value(DeclineSuggestion {
        comment: comment.to_string(),
    })
    .map_err(|e| SyncError::Protocol(e.to_string()))?;
    let s = client.decide_suggestion(id, "decline", &body)?;
    decided(store, &row, &s)
}

/// Its author takes a suggestion back: one still queued is forgotten here (`None`), a
/// sent one is withdrawn on the server.
pub fn withdraw(store: &Store, id: Uuid) -> Result<Option<Suggestion>> {
    if let Some(row) = rows::get(store.conn(), id)?
        && row.server.is_none()
    {
        rows::delete(store.conn(), id)?;
        return Ok(None);
    }
    let (client, row, _) = sent_one(store, id)?;
    let s = client.decide_suggestion(id, "withdraw", &serde_json::json!({}))?;
    decided(store, &row, &s).map(Some)
}

#[cfg(test)]
#[path = "suggest_tests.rs"]
mod tests;
