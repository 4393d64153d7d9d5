//! The sync client: joins a `quickreply-server`, sends local changes from the outbox,
//! pulls the change feed of every synced library, resolves conflicts, and checks that
//! this device and the server agree (digests).
//!
//! How local edits reach the server: triggers of store migration 2 put every change of a
//! synced library into `outbox` in the same transaction as the change itself, so an
//! acknowledged local edit survives any crash. [`sync_once`] first pushes the outbox
//! (each entry is one item; the server's `If-Match` check catches concurrent edits),
//! then pulls each library from its cursor and applies the page and the new cursor in
//! one transaction. `sync_items` keeps the server's version of every item ("shadow"):
//! the base for three-way merges and for the digest `qreply status` compares.
//!
//! Conflicts: fields changed on one side only merge; when both sides changed the same
//! field of a reply, the server's version stays and this device's becomes a visible
//! copy titled "…（冲突副本）" next to it. A local delete of an item edited elsewhere
//! yields to the edit; a local edit of an item deleted elsewhere brings it back.
//!
//! Decisions worth knowing: team libraries on the server appear locally under their
//! server name; a local team library of an owner or editor is published when the
//! device syncs; agents' team libraries are read-only locally (a trigger refuses
//! edits). The device token lives in the OS keyring, or in a 0600 file where there is
//! none (see [`secret`]).

pub mod http;
mod local;
mod merge;
pub mod secret;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use quickreply_proto::api::{
    CreateLibrary, Cursor, Digest, HeadEvent, InviteRequest, InviteResponse, Item, ItemDoc,
    ItemVersion, JoinRequest, JoinResponse, LibraryInfo, MAX_PAGE, Me, MissedReport, MissedTotal,
    PutItem, Role, SigninDecision, SigninDenial, SigninInfo, SigninRequest, SigninStarted,
    SigninState, StatusReport,
};
use quickreply_proto::{LibraryKind, Part};

use crate::error::{Error, Result};
use crate::i18n::tr;
use crate::store::Store;

pub use http::{Client, Event, Events, WriteOutcome};
pub use merge::{Merged, merge};
pub use secret::TokenPlace;

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
}

impl SyncError {
    /// Whether the server says the device's token is no longer valid.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, SyncError::Server { status: 401, .. })
    }
}

/// This device's membership of a sync server (one of possibly several: see
/// [`accounts`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// This computer's number for the account (1 for the first joined).
    pub id: i64,
    pub server: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub device_id: Uuid,
    pub device_name: String,
    pub team_id: Uuid,
    pub team_name: String,
    pub role: Role,
    pub personal_remote: Uuid,
    pub last_sync: Option<i64>,
}

fn data_dir(store: &Store) -> PathBuf {
    store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

const ACCOUNT_COLUMNS: &str = "id, server, user_id, user_name, device_id, device_name, team_id,
     team_name, role, personal_remote, last_sync";

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let id = |i: usize| -> rusqlite::Result<Uuid> {
        Ok(Uuid::parse_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    Ok(Account {
        id: r.get(0)?,
        server: r.get(1)?,
        user_id: id(2)?,
        user_name: r.get(3)?,
        device_id: id(4)?,
        device_name: r.get(5)?,
        team_id: id(6)?,
        team_name: r.get(7)?,
        role: Role::parse(&r.get::<_, String>(8)?).unwrap_or(Role::Agent),
        personal_remote: id(9)?,
        last_sync: r.get(10)?,
    })
}

/// Every sync server this computer has joined, the first joined (the primary account,
/// which the personal library syncs with) first.
pub fn accounts(store: &Store) -> Result<Vec<Account>> {
    let mut st = store.conn().prepare(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM sync_accounts ORDER BY id"
    ))?;
    let rows = st
        .query_map([], account_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The primary account (the first joined), if any.
pub fn account(store: &Store) -> Result<Option<Account>> {
    Ok(accounts(store)?.into_iter().next())
}

/// An account by its number.
pub fn account_by_id(store: &Store, id: i64) -> Result<Option<Account>> {
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM sync_accounts WHERE id = ?1"),
            [id],
            account_row,
        )
        .optional()?)
}

/// How an account is named to people: "team name (server)".
pub fn account_label(acc: &Account) -> String {
    format!("{} ({})", acc.team_name, acc.server.trim_end_matches('/'))
}

/// The account `which` names — its server address (with or without `http://` and the
/// trailing `/`), its team name or its number — or, with `None`, the only one. Several
/// accounts and no choice is an error that names them.
pub fn choose_account(store: &Store, which: Option<&str>) -> Result<Account> {
    let all = accounts(store)?;
    let known = || {
        all.iter()
            .map(account_label)
            .collect::<Vec<_>>()
            .join(tr("、", ", ").as_str())
    };
    let Some(which) = which.map(str::trim).filter(|w| !w.is_empty()) else {
        return match all.len() {
            0 => Err(SyncError::NotJoined.into()),
            1 => Ok(all[0].clone()),
            _ => Err(SyncError::WhichAccount(known()).into()),
        };
    };
    let bare = |s: &str| {
        s.trim_end_matches('/')
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_lowercase()
    };
    let found: Vec<&Account> = all
        .iter()
        .filter(|a| {
            bare(&a.server) == bare(which) || a.team_name == which || a.id.to_string() == which
        })
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        // Two teams of the same name (say the default 我的团队): the server tells them
        // apart.
        [_, _, ..] => Err(SyncError::WhichAccount(known()).into()),
        [] => Err(SyncError::NoSuchAccount {
            which: which.to_string(),
            known: known(),
        }
        .into()),
    }
}

/// A client for an account's server, with this device's token there.
pub fn client_for(store: &Store, acc: &Account) -> Result<Client> {
    let token = secret::load(&data_dir(store), acc.id)?;
    Ok(Client::new(&acc.server, Some(token))?)
}

/// The primary account and a client for it.
pub fn client(store: &Store) -> Result<(Account, Client)> {
    let acc = account(store)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(store, &acc)?;
    Ok((acc, client))
}

/// The account a synced library belongs to, and a client for it.
fn client_of(store: &Store, link: &Linked) -> Result<(Account, Client)> {
    let acc = account_by_id(store, link.account)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(store, &acc)?;
    Ok((acc, client))
}

/// Add an account; returns its number (one more than the highest so far).
fn save_account(store: &Store, server: &str, me: &Me) -> Result<i64> {
    Ok(store.conn().query_row(
        "INSERT INTO sync_accounts (id, server, user_id, user_name, device_id, device_name,
                                    team_id, team_name, role, personal_remote)
         VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM sync_accounts),
                 ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         RETURNING id",
        params![
            server,
            me.user_id.to_string(),
            me.user_name,
            me.device_id.to_string(),
            me.device_name,
            me.team_id.to_string(),
            me.team_name,
            me.role.as_str(),
            me.personal_library.to_string()
        ],
        |r| r.get(0),
    )?)
}

/// Refuse to join a server this computer has joined already.
fn not_joined_yet(store: &Store, server: &Client) -> Result<()> {
    match accounts(store)?
        .into_iter()
        .find(|a| a.server == server.server())
    {
        Some(acc) => Err(SyncError::AlreadyJoined(acc.server).into()),
        None => Ok(()),
    }
}

/// Join a server with a setup, invite or pairing code. Joining a second server adds an
/// account beside the first (its team libraries come as libraries of their own); the
/// personal library syncs with the first account only. With the first account, the
/// personal library starts to sync at once (its replies are queued for upload); call
/// [`sync_once`] next. Also says where the device token was kept (the keyring, or the
/// fallback file).
pub fn join(
    store: &mut Store,
    server: &str,
    code: &str,
    device_name: &str,
    user_name: Option<&str>,
) -> Result<(Account, TokenPlace)> {
    let anon = Client::new(server, None)?;
    not_joined_yet(store, &anon)?;
    let resp = anon.join(&JoinRequest {
        code: code.trim().to_string(),
        device_name: device_name.to_string(),
        user_name: user_name.map(str::to_string),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
    })?;
    adopt(store, &anon, &resp)
}

/// Keep a new device token and account.
fn adopt(store: &Store, server: &Client, resp: &JoinResponse) -> Result<(Account, TokenPlace)> {
    let id = save_account(store, server.server(), &resp.me)?;
    let place = match secret::save(&data_dir(store), id, &resp.token) {
        Ok(place) => place,
        Err(e) => {
            store
                .conn()
                .execute("DELETE FROM sync_accounts WHERE id = ?1", [id])?;
            return Err(e);
        }
    };
    let acc = account_by_id(store, id)?.ok_or(SyncError::NotJoined)?;
    Ok((acc, place))
}

/// A sign-in by approval in progress: show [`Signin::code`] (and [`Signin::approve_url`]
/// as a QR code) and wait with [`Signin::wait`].
#[derive(Clone, Debug)]
pub struct Signin {
    server: Client,
    started: SigninStarted,
}

impl Signin {
    /// The code an approver types (`XXXX-XXXX`).
    pub fn code(&self) -> &str {
        &self.started.code
    }

    /// What the QR code holds: the server's admin page, opened at this approval (a
    /// signed-in phone scans it and taps approve).
    pub fn approve_url(&self) -> String {
        format!(
            "{}admin/#approve={}",
            self.server.server(),
            self.started.code
        )
    }

    /// Unix milliseconds after which nobody can approve it any more.
    pub fn expires_at(&self) -> i64 {
        self.started.expires_at
    }

    /// One look at the request: `Ok(None)` while it waits; joined once approved.
    pub fn poll(&self, store: &Store) -> Result<Option<(Account, TokenPlace)>> {
        let got = self
            .server
            .signin_poll(self.started.id, &self.started.secret)?;
        match (got.state, got.join) {
            (SigninState::Pending, _) => Ok(None),
            (SigninState::Approved, Some(resp)) => adopt(store, &self.server, &resp).map(Some),
            (SigninState::Approved, None) => {
                Err(SyncError::Protocol("an approved sign-in came without a token".into()).into())
            }
            (SigninState::Denied, _) => Err(SyncError::Server {
                status: 403,
                code: "denied".into(),
                message: tr("登录请求被拒绝了", "the sign-in was denied"),
            }
            .into()),
            (SigninState::Expired, _) => Err(SyncError::Server {
                status: 410,
                code: "expired".into(),
                message: tr(
                    "登录请求已过期（10 分钟内无人批准）：请重新发起",
                    "the sign-in expired (nobody approved it within 10 minutes): start again",
                ),
            }
            .into()),
        }
    }

    /// Polls every `every` until approved, denied or expired.
    pub fn wait(&self, store: &Store, every: Duration) -> Result<(Account, TokenPlace)> {
        loop {
            if let Some(done) = self.poll(store)? {
                return Ok(done);
            }
            std::thread::sleep(every);
        }
    }
}

/// Ask `server` to let this computer in; a signed-in member approves it by its code.
pub fn signin(
    store: &Store,
    server: &str,
    device_name: &str,
    user_name: Option<&str>,
) -> Result<Signin> {
    let anon = Client::new(server, None)?;
    not_joined_yet(store, &anon)?;
    let started = anon.signin_start(&SigninRequest {
        device_name: device_name.to_string(),
        user_name: user_name.map(str::to_string),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        web: false,
    })?;
    Ok(Signin {
        server: anon,
        started,
    })
}

/// What is asking to be let in to `acc`'s team with this code (before
/// [`decide_signin`]).
pub fn lookup_signin(store: &Store, acc: &Account, code: &str) -> Result<SigninInfo> {
    let client = client_for(store, acc)?;
    Ok(client.signin_lookup(code.trim())?)
}

/// Approve a sign-in to `acc`'s team as one more device of mine (`member: None`) or as
/// a new member with that role; `approve: false` denies it.
pub fn decide_signin(
    store: &Store,
    acc: &Account,
    code: &str,
    approve: bool,
    member: Option<Role>,
) -> Result<()> {
    let client = client_for(store, acc)?;
    let code = code.trim().to_string();
    if approve {
        client.signin_approve(&SigninDecision { code, member })?;
    } else {
        client.signin_deny(&SigninDenial { code })?;
    }
    Ok(())
}

/// This computer's name for device lists when the user gives none: the host name, or
/// "QuickReply".
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "QuickReply".into())
}

/// How many local changes wait to be sent to the server (0 when nothing is synced).
pub fn pending(store: &Store) -> Result<usize> {
    let n: i64 = store.conn().query_row(
        "SELECT count(*) FROM outbox o JOIN sync_libraries l ON l.library_id = o.library_id",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or_default())
}

/// What leaving told the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Departure {
    /// The server revoked this computer: its token works nowhere any more.
    Revoked,
    /// An owner's computer stays on the server's list, so that leaving never takes the
    /// team's last way in with it; revoke it from another computer when it should go.
    KeptForOwner,
    /// The server could not be told (offline, or it refused): it still lists this
    /// computer until someone revokes it.
    NotTold(String),
}

/// Forget an account's server: its libraries stay as local ones (team libraries become
/// writable local copies) and its device token is deleted. The server is asked to
/// revoke this computer first (not an owner's); leaving works offline too. Other
/// accounts go on syncing; the team libraries of the one left stay on this computer and
/// are never published to another team.
pub fn leave(store: &mut Store, acc: &Account) -> Result<Departure> {
    let told = if acc.role == Role::Owner {
        Departure::KeptForOwner
    } else {
        match client_for(store, acc) {
            Ok(client) => match client.revoke(acc.device_id) {
                Ok(()) => Departure::Revoked,
                Err(e) if e.is_unauthorized() => Departure::Revoked,
                Err(e) => Departure::NotTold(e.to_string()),
            },
            Err(e) => Departure::NotTold(e.to_string()),
        }
    };
    let tx = store.conn_mut().transaction()?;
    forget_account(&tx, acc.id)?;
    tx.commit()?;
    secret::delete(&data_dir(store), acc.id)?;
    Ok(told)
}

/// Everything the store knows of an account's server, in the caller's transaction.
/// While other accounts remain, its team libraries are marked to stay on this computer
/// (never adopted or published by another account).
fn forget_account(tx: &rusqlite::Transaction<'_>, account: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO library_targets (library_id, account)
         SELECT s.library_id, NULL FROM sync_libraries s JOIN libraries l ON l.id = s.library_id
         WHERE s.account = ?1 AND l.kind = 'team'
           AND EXISTS (SELECT 1 FROM sync_accounts WHERE id != ?1)
         ON CONFLICT (library_id) DO UPDATE SET account = NULL",
        [account],
    )?;
    for sql in [
        "DELETE FROM sync_items WHERE library_id IN
            (SELECT library_id FROM sync_libraries WHERE account = ?1)",
        "DELETE FROM outbox WHERE library_id IN
            (SELECT library_id FROM sync_libraries WHERE account = ?1)",
        "DELETE FROM sync_libraries WHERE account = ?1",
        "DELETE FROM sync_blobs WHERE account = ?1",
        "UPDATE library_targets SET account = NULL WHERE account = ?1",
        "DELETE FROM sync_accounts WHERE id = ?1",
    ] {
        tx.execute(sql, [account])?;
    }
    Ok(())
}

/// The server no longer knows this computer's token for `acc` (the lead revoked the
/// device): sign out of that account. Like [`leave`], and the team libraries that came
/// from that server are removed too — they are the team's, and re-joining brings them
/// back — except one with local edits not yet sent, which stays as a local library so
/// that no edit is lost. The personal library and its replies stay, and so do other
/// accounts. Returns the names of the removed libraries.
pub fn sign_out(store: &mut Store, acc: &Account) -> Result<Vec<String>> {
    let tx = store.conn_mut().transaction()?;
    let removed: Vec<(String, String)> = tx
        .prepare(
            "SELECT l.id, l.name FROM sync_libraries s JOIN libraries l ON l.id = s.library_id
             WHERE l.kind = 'team' AND s.account = ?1
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.library_id = s.library_id)
             ORDER BY l.name",
        )?
        .query_map([acc.id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    forget_account(&tx, acc.id)?;
    for (id, _) in &removed {
        tx.execute("DELETE FROM libraries WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    secret::delete(&data_dir(store), acc.id)?;
    Ok(removed.into_iter().map(|(_, name)| name).collect())
}

/// Create an invite code (owner/editor) to `acc`'s team or a pairing code for one more
/// device of mine.
pub fn invite(store: &Store, acc: &Account, req: &InviteRequest) -> Result<InviteResponse> {
    let client = client_for(store, acc)?;
    Ok(client.invite(req)?)
}

/// The server's kept versions of a reply of a synced library, newest first: who changed
/// it from which computer, and when.
pub fn history(store: &Store, snippet: &crate::store::Snippet) -> Result<Vec<ItemVersion>> {
    let link = linked(store)?
        .into_iter()
        .find(|l| l.local == snippet.library_id)
        .ok_or_else(|| SyncError::NotSynced(snippet.library.clone()))?;
    let (_, client) = client_of(store, &link)?;
    Ok(client.history(link.remote, &snippet.id.to_string())?)
}

/// Put a reply back as it was in `version` of its history: an ordinary local edit (queued
/// for the server like any other, refused for read-only team libraries), so it syncs and
/// appears in the history as a new version. A folder that no longer exists is replaced by
/// the library root, a shortcut code taken by another reply is dropped. Returns the
/// restored document.
pub fn restore(
    store: &mut Store,
    snippet: &crate::store::Snippet,
    version: i64,
) -> Result<quickreply_proto::SnippetDoc> {
    let versions = history(store, snippet)?;
    let found = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or_else(|| {
            SyncError::Protocol(tr(
                format!("这条话术没有第 {version} 版"),
                format!("this reply has no version {version}"),
            ))
        })?;
    let Some(ItemDoc::Snippet(mut doc)) = found.doc.clone().filter(|_| !found.deleted) else {
        return Err(SyncError::Protocol(tr(
            format!("第 {version} 版是删除记录，没有内容可恢复"),
            format!("version {version} is a deletion: nothing to restore"),
        ))
        .into());
    };
    let tx = store.conn_mut().transaction()?;
    let lib = snippet.library_id.to_string();
    if let Some(folder) = doc.folder_id {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM folders WHERE id = ?1 AND library_id = ?2)",
            params![folder.to_string(), lib],
            |r| r.get(0),
        )?;
        if !exists {
            doc.folder_id = None;
        }
    }
    if let Some(code) = &doc.code {
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM snippets WHERE library_id = ?1 AND code = ?2 AND id != ?3)",
            params![lib, code, doc.id.to_string()],
            |r| r.get(0),
        )?;
        if taken {
            doc.code = None;
        }
    }
    Store::write_snippet_doc(&tx, snippet.library_id, &doc)?;
    tx.commit()?;
    Ok(doc)
}

/// What a version of a reply says, for a history list: its title, its text parts joined
/// by blank lines, and how many images it has. `None` for a deletion.
pub fn version_text(v: &ItemVersion) -> Option<(String, String, usize)> {
    match (&v.doc, v.deleted) {
        (Some(ItemDoc::Snippet(d)), false) => {
            let texts: Vec<&str> = d.parts.iter().filter_map(Part::text).collect();
            let images = d.parts.len() - texts.len();
            Some((d.title.clone(), texts.join("\n\n"), images))
        }
        _ => None,
    }
}

/// A synced library as this device knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    pub local: Uuid,
    pub name: String,
    pub remote: Uuid,
    pub cursor: i64,
    pub writable: bool,
    /// The account ([`Account::id`]) it syncs with.
    pub account: i64,
}

/// Every synced library, of every account.
fn linked(store: &Store) -> Result<Vec<Linked>> {
    let mut st = store.conn().prepare(
        "SELECT s.library_id, l.name, s.remote_id, s.cursor, s.writable, s.account
         FROM sync_libraries s JOIN libraries l ON l.id = s.library_id ORDER BY l.kind, l.name",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(Linked {
                local: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                name: r.get(1)?,
                remote: Uuid::parse_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                cursor: r.get(3)?,
                writable: r.get(4)?,
                account: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The synced libraries of one account.
fn linked_of(store: &Store, account: i64) -> Result<Vec<Linked>> {
    Ok(linked(store)?
        .into_iter()
        .filter(|l| l.account == account)
        .collect())
}

/// The team libraries of the accounts other than the one at `server` (with or without
/// the trailing `/`): what a panel docked beside a chat window of that team hides, so
/// that one shop's scripts never go to another shop's buyers. The personal library and
/// local team libraries are never among them.
pub fn other_teams_libraries(store: &Store, server: &str) -> Result<Vec<Uuid>> {
    let wanted = server.trim().trim_end_matches('/');
    let mine = accounts(store)?
        .into_iter()
        .find(|a| a.server.trim_end_matches('/') == wanted)
        .map(|a| a.id);
    let team: HashSet<Uuid> = store
        .libraries()?
        .into_iter()
        .filter(|l| l.kind == LibraryKind::Team)
        .map(|l| l.id)
        .collect();
    Ok(linked(store)?
        .into_iter()
        .filter(|l| team.contains(&l.local) && Some(l.account) != mine)
        .map(|l| l.local)
        .collect())
}

/// Whether local changes of an account's libraries wait to be sent.
fn has_pending(store: &Store, account: i64) -> Result<bool> {
    Ok(store.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox o JOIN sync_libraries l ON l.library_id = o.library_id
                        WHERE l.account = ?1)",
        [account],
        |r| r.get(0),
    )?)
}

fn link(
    store: &mut Store,
    account: i64,
    local: Uuid,
    remote: Uuid,
    writable: bool,
    upload: bool,
) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO sync_libraries (library_id, remote_id, cursor, writable, account)
         VALUES (?1, ?2, 0, ?3, ?4)",
        params![local.to_string(), remote.to_string(), writable, account],
    )?;
    tx.execute(
        "DELETE FROM library_targets WHERE library_id = ?1",
        [local.to_string()],
    )?;
    if upload {
        local::enqueue_all(&tx, local)?;
    }
    tx.commit()?;
    Ok(())
}

/// Choose the team whose server a local team library that does not sync yet is to be
/// published to (`None`: keep it on this computer only). Without a choice, such a
/// library goes to the primary account.
pub fn set_library_account(store: &Store, library: Uuid, account: Option<i64>) -> Result<()> {
    store.conn().execute(
        "INSERT INTO library_targets (library_id, account) VALUES (?1, ?2)
         ON CONFLICT (library_id) DO UPDATE SET account = excluded.account",
        params![library.to_string(), account],
    )?;
    Ok(())
}

/// Whether a local team library that does not sync yet may become one of `acc`'s: the
/// account chosen for it, or without a choice the primary account.
fn may_publish(store: &Store, library: Uuid, acc: &Account, primary: bool) -> Result<bool> {
    let target: Option<Option<i64>> = store
        .conn()
        .query_row(
            "SELECT account FROM library_targets WHERE library_id = ?1",
            [library.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match target {
        None => primary,
        Some(t) => t == Some(acc.id),
    })
}

/// Whether `acc` is the primary account (the first joined).
fn is_primary(store: &Store, acc: &Account) -> Result<bool> {
    Ok(account(store)?.is_some_and(|p| p.id == acc.id))
}

/// Match the server's libraries with local ones: the personal library (primary account
/// only), team libraries by id then by name (new ones are created locally).
fn link_libraries(
    store: &mut Store,
    acc: &Account,
    primary: bool,
    remote: &[LibraryInfo],
) -> Result<()> {
    let known = linked(store)?;
    let personal = store.library(crate::store::PERSONAL)?;
    for lib in remote {
        if let Some(l) = known.iter().find(|l| l.remote == lib.id) {
            if l.writable != lib.writable {
                store.conn().execute(
                    "UPDATE sync_libraries SET writable = ?2 WHERE library_id = ?1",
                    params![l.local.to_string(), lib.writable],
                )?;
            }
            continue;
        }
        if lib.kind == LibraryKind::Personal {
            if lib.id == acc.personal_remote
                && primary
                && !known.iter().any(|l| l.local == personal.id)
            {
                link(store, acc.id, personal.id, lib.id, true, true)?;
            }
            continue;
        }
        let locals = store.libraries()?;
        let unlinked = |id: Uuid| !known.iter().any(|l| l.local == id);
        let mut local = locals
            .iter()
            .find(|l| l.id == lib.id && unlinked(l.id))
            .cloned();
        if local.is_none() && lib.writable {
            for l in &locals {
                if l.kind == LibraryKind::Team
                    && l.name == lib.name
                    && unlinked(l.id)
                    && may_publish(store, l.id, acc, primary)?
                {
                    local = Some(l.clone());
                    break;
                }
            }
        }
        match local {
            Some(l) => link(store, acc.id, l.id, lib.id, lib.writable, lib.writable)?,
            None => {
                let mut name = lib.name.clone();
                let mut n = 1;
                while locals.iter().any(|l| l.name == name) {
                    n += 1;
                    name = format!("{} ({n})", lib.name);
                }
                store.conn().execute(
                    "INSERT INTO libraries (id, name, kind, created_at) VALUES (?1, ?2, 'team', ?3)
                     ON CONFLICT (id) DO NOTHING",
                    params![
                        lib.id.to_string(),
                        name,
                        chrono::Utc::now().timestamp_millis()
                    ],
                )?;
                link(store, acc.id, lib.id, lib.id, lib.writable, false)?;
            }
        }
    }
    Ok(())
}

/// Publish the local team libraries meant for `acc` when this member may write team
/// libraries there.
fn publish_local_team_libraries(
    store: &mut Store,
    acc: &Account,
    primary: bool,
    client: &Client,
) -> Result<()> {
    if !acc.role.can_write_team() {
        return Ok(());
    }
    let known = linked(store)?;
    for lib in store.libraries()? {
        if lib.kind == LibraryKind::Team
            && !known.iter().any(|l| l.local == lib.id)
            && may_publish(store, lib.id, acc, primary)?
        {
            let info = client.create_library(&CreateLibrary {
                id: lib.id,
                name: lib.name.clone(),
            })?;
            link(store, acc.id, lib.id, info.id, true, true)?;
        }
    }
    Ok(())
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Local changes the server accepted.
    pub pushed: usize,
    /// Server changes applied here.
    pub pulled: usize,
    /// Titles of replies saved as conflict copies, and other conflicts resolved.
    pub conflicts: Vec<String>,
    /// Local changes the server refused (for example a read-only library), with why.
    pub refused: Vec<String>,
    /// The changes came inline with live events: applied without asking the server.
    pub live: bool,
}

impl Report {
    /// Whether anything changed locally.
    pub fn changed(&self) -> bool {
        self.pulled > 0 || !self.conflicts.is_empty()
    }

    fn add(&mut self, other: Report) {
        self.pushed += other.pushed;
        self.pulled += other.pulled;
        self.conflicts.extend(other.conflicts);
        self.refused.extend(other.refused);
    }
}

/// One full round with every account (see [`sync_account`]). A server that cannot be
/// reached does not keep the others from syncing; the first error is returned after
/// all were tried.
pub fn sync_once(store: &mut Store) -> Result<Report> {
    let all = accounts(store)?;
    if all.is_empty() {
        return Err(SyncError::NotJoined.into());
    }
    let mut report = Report::default();
    let mut first_error = None;
    for acc in all {
        match sync_account(store, acc.id) {
            Ok(r) => report.add(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// One full round with one account: link libraries, push the outbox, pull every
/// library, report usage and status.
pub fn sync_account(store: &mut Store, account: i64) -> Result<Report> {
    let acc = account_by_id(store, account)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(store, &acc)?;
    let primary = is_primary(store, &acc)?;
    let mut report = Report::default();
    let remote = client.libraries()?;
    link_libraries(store, &acc, primary, &remote)?;
    publish_local_team_libraries(store, &acc, primary, &client)?;
    push(store, &client, acc.id, &mut report)?;
    let heads = client.libraries()?;
    for l in linked_of(store, acc.id)? {
        let head = heads.iter().find(|h| h.id == l.remote).map(|h| h.head);
        if head.is_some_and(|h| h > l.cursor) {
            report.pulled += pull(store, &client, &l)?;
        }
    }
    // Pulls may have queued local fixes (merged folders, freed codes): send them too.
    if has_pending(store, acc.id)? {
        push(store, &client, acc.id, &mut report)?;
    }
    report_usage(store, &client, acc.id)?;
    report_missed(store, &client, acc.id)?;
    report_status(store, &client, acc.id)?;
    touch_last_sync(store, acc.id)?;
    Ok(report)
}

/// Tell the server where this computer's cursors are (the lead's status board).
fn report_status(store: &Store, client: &Client, account: i64) -> Result<()> {
    let cursors = linked_of(store, account)?
        .iter()
        .map(|l| Cursor {
            library_id: l.remote,
            cursor: l.cursor,
        })
        .collect();
    client.report(&StatusReport {
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        cursors,
    })?;
    Ok(())
}

fn touch_last_sync(store: &Store, account: i64) -> Result<()> {
    store.conn().execute(
        "UPDATE sync_accounts SET last_sync = ?2 WHERE id = ?1",
        params![account, chrono::Utc::now().timestamp_millis()],
    )?;
    Ok(())
}

/// Apply `head` events that carry their item inline, without asking the server: only
/// when nothing local is pending and each item is exactly the next change of its
/// library here. `Ok(None)`: some event does not qualify, a full round is needed (the
/// events applied before it stay applied; the round's pull starts after them).
fn apply_inline(
    store: &mut Store,
    client: &Client,
    account: i64,
    events: &[HeadEvent],
) -> Result<Option<usize>> {
    if events.is_empty() || has_pending(store, account)? {
        return Ok(None);
    }
    let mut applied = 0;
    for ev in events {
        let Some(link) = linked_of(store, account)?
            .into_iter()
            .find(|l| l.remote == ev.library_id)
        else {
            return Ok(None);
        };
        if link.cursor >= ev.head {
            continue;
        }
        let Some(item) = ev.next_after(link.cursor) else {
            return Ok(None);
        };
        if let Some(doc) = item.doc.as_ref().filter(|_| !item.deleted) {
            download_blobs(store, client, account, doc)?;
        }
        apply_items(store, &link, std::slice::from_ref(item), ev.head)?;
        applied += 1;
    }
    touch_last_sync(store, account)?;
    Ok(Some(applied))
}

/// Send the fire counts that changed since the last report (each the whole day's count,
/// which the server keeps per device and day, so a resend is harmless); nothing is
/// sent for a library without new fires. Counts only, never content.
fn report_usage(store: &Store, client: &Client, account: i64) -> Result<()> {
    for l in linked_of(store, account)? {
        let since: i64 = store.conn().query_row(
            "SELECT usage_sent FROM sync_libraries WHERE library_id = ?1",
            [l.local.to_string()],
            |r| r.get(0),
        )?;
        let (counts, newest) = local::usage_since(store.conn(), l.local, since)?;
        if counts.is_empty() {
            continue;
        }
        for chunk in counts.chunks(quickreply_proto::api::MAX_USAGE_ENTRIES) {
            let sent = client.report_usage(
                l.remote,
                &quickreply_proto::api::UsageReport {
                    counts: chunk.to_vec(),
                },
            );
            match sent {
                Ok(()) => {}
                // A server without usage statistics: nothing to report to.
                Err(SyncError::Server { status: 404, .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        store.conn().execute(
            "UPDATE sync_libraries SET usage_sent = ?2 WHERE library_id = ?1",
            params![l.local.to_string(), newest],
        )?;
    }
    Ok(())
}

/// How many days back a first report of searches that found nothing goes.
const MISSED_REPORT_DAYS: u32 = 30;

/// Send this computer's searches that found nothing whose counts changed since the last
/// report (each the day's whole count; the server keeps them per device, query and day).
/// A search made beside one team's chat window goes to that team only; one made
/// elsewhere to every team.
fn report_missed(store: &Store, client: &Client, account: i64) -> Result<()> {
    let since: i64 = store.conn().query_row(
        "SELECT missed_sent FROM sync_accounts WHERE id = ?1",
        [account],
        |r| r.get(0),
    )?;
    let server = client.server().to_string();
    let (searches, newest) = store.missed_searches_since(since, MISSED_REPORT_DAYS, &server)?;
    if searches.is_empty() {
        return Ok(());
    }
    for chunk in searches.chunks(quickreply_proto::api::MAX_USAGE_ENTRIES) {
        match client.report_missed(&MissedReport {
            searches: chunk.to_vec(),
        }) {
            Ok(()) => {}
            // A server from before these reports: nothing to report to.
            Err(SyncError::Server { status: 404, .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    store.conn().execute(
        "UPDATE sync_accounts SET missed_sent = ?2 WHERE id = ?1",
        params![account, newest],
    )?;
    Ok(())
}

/// `acc`'s team's searches that found nothing over the last `days` days, all devices
/// together, most searched first (leads and editors).
pub fn missed(store: &Store, acc: &Account, days: u32) -> Result<Vec<MissedTotal>> {
    let client = client_for(store, acc)?;
    Ok(client.missed(days)?)
}

/// The most used replies of a synced library over the last `days`, all devices
/// together (leads and editors): (title or key, fires, devices).
pub fn usage(
    store: &Store,
    library: &crate::Library,
    days: u32,
) -> Result<Vec<(String, u64, u32)>> {
    let Some(l) = linked(store)?.into_iter().find(|l| l.local == library.id) else {
        return Err(SyncError::Protocol(tr(
            format!("话术库「{}」没有同步", library.name),
            format!("the library \"{}\" is not synced", library.name),
        ))
        .into());
    };
    let (_, client) = client_of(store, &l)?;
    let totals = client.usage(l.remote, days)?;
    Ok(totals
        .into_iter()
        .map(|t| {
            let title = Uuid::parse_str(&t.key)
                .ok()
                .and_then(|id| store.snippet(id).ok())
                .map_or_else(|| t.key.clone(), |s| s.title);
            (title, t.count, t.devices)
        })
        .collect())
}

/// Note that `account`'s server has an image.
fn server_has_blob(store: &Store, account: i64, sha: &str) -> Result<()> {
    store.conn().execute(
        "INSERT OR IGNORE INTO sync_blobs (account, sha256) VALUES (?1, ?2)",
        params![account, sha],
    )?;
    Ok(())
}

fn upload_blobs(store: &Store, client: &Client, account: i64, doc: &ItemDoc) -> Result<()> {
    for sha in doc.blobs() {
        let known = store
            .conn()
            .prepare_cached("SELECT 1 FROM sync_blobs WHERE account = ?1 AND sha256 = ?2")?
            .exists(params![account, sha])?;
        if !known {
            let bytes = store.blobs().get(sha)?;
            client.put_blob(sha, bytes)?;
            server_has_blob(store, account, sha)?;
        }
    }
    Ok(())
}

fn download_blobs(store: &Store, client: &Client, account: i64, doc: &ItemDoc) -> Result<()> {
    if let ItemDoc::Snippet(s) = doc {
        for p in &s.parts {
            if let Part::Image { sha256, .. } = p
                && !store.blobs().verify(sha256)
            {
                let bytes = client.get_blob(sha256)?;
                let info = crate::blob::inspect_image(&bytes, Path::new(sha256))?;
                if info.sha256 != *sha256 {
                    return Err(SyncError::Protocol(format!("blob {sha256}: hash mismatch")).into());
                }
                store.put_image_bytes(&bytes, &info)?;
                server_has_blob(store, account, sha256)?;
            }
        }
    }
    Ok(())
}

/// Send order: folders before the replies in them, deletions of replies before the
/// deletion of their folders.
fn push_rank(doc: &Option<ItemDoc>, key: &str) -> u8 {
    match doc {
        Some(ItemDoc::Folder(_)) => 0,
        Some(ItemDoc::Variable(_)) => 1,
        Some(ItemDoc::Snippet(_)) => 2,
        None if key.starts_with(quickreply_proto::api::VAR_PREFIX) => 3,
        None => 4,
    }
}

fn push(store: &mut Store, client: &Client, account: i64, report: &mut Report) -> Result<()> {
    let links = linked_of(store, account)?;
    let mut work: Vec<(u8, local::Pending, Option<ItemDoc>)> = Vec::new();
    for p in local::outbox(store.conn())? {
        let doc = local::local_doc(store.conn(), p.library, &p.key)?;
        // A deleted folder's shadow tells whether it is a folder (sent last).
        let rank = match (&doc, local::shadow(store.conn(), p.library, &p.key)?) {
            (None, Some((_, Some(ItemDoc::Folder(_))))) => 5,
            _ => push_rank(&doc, &p.key),
        };
        work.push((rank, p, doc));
    }
    work.sort_by_key(|(rank, p, _)| (*rank, p.library));
    for (_, p, _) in work {
        let Some(link) = links.iter().find(|l| l.local == p.library) else {
            continue;
        };
        if !link.writable {
            // Queued before the library became read-only: the server would refuse it.
            local::done(store.conn(), &p)?;
            continue;
        }
        push_one(store, client, link, p, report)?;
    }
    Ok(())
}

fn conflict_title(title: &str) -> String {
    let when = chrono::Local::now().format("%m-%d %H:%M").to_string();
    crate::conflicts::conflict_title(title, &when)
}

/// Send one pending item until the server has it, merging with concurrent edits.
fn push_one(
    store: &mut Store,
    client: &Client,
    link: &Linked,
    mut p: local::Pending,
    report: &mut Report,
) -> Result<()> {
    for _attempt in 0..5 {
        let mine = local::local_doc(store.conn(), p.library, &p.key)?;
        let shadow = local::shadow(store.conn(), p.library, &p.key)?;
        let (base_version, base_doc) = shadow.clone().unwrap_or((0, None));
        if mine.is_none() && shadow.is_none() || mine.is_some() && mine == base_doc {
            // Created and deleted before it was ever sent, or changed back: nothing to send.
            local::done(store.conn(), &p)?;
            return Ok(());
        }
        let outcome = match &mine {
            Some(doc) => {
                upload_blobs(store, client, link.account, doc)?;
                let put = PutItem {
                    op: p.op.clone(),
                    doc: doc.clone(),
                };
                client.put_item(link.remote, &p.key, base_version, &put)
            }
            None => client.delete_item(link.remote, &p.key, base_version, &p.op),
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(SyncError::Server {
                status, message, ..
            }) if (400..500).contains(&status) && status != 401 && status != 429 => {
                // The server will never take this change (refused, not a network fault):
                // keep it locally, stop retrying it, and say so.
                report.refused.push(format!("{}: {message}", p.key));
                local::done(store.conn(), &p)?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let tx = store.conn_mut().transaction()?;
        match outcome {
            WriteOutcome::Done(item) => {
                local::set_shadow(&tx, p.library, &p.key, item.version, item.doc.as_ref())?;
                local::done(&tx, &p)?;
                tx.commit()?;
                report.pushed += 1;
                return Ok(());
            }
            WriteOutcome::Conflict(current) => {
                let next = resolve(&tx, &p, mine, base_doc, &current, report)?;
                tx.commit()?;
                match next {
                    Some(n) => p = n,
                    None => return Ok(()),
                }
            }
        }
    }
    Err(SyncError::Protocol(format!("{}: the item keeps changing on the server", p.key)).into())
}

/// Handle a `412`: returns the pending entry to send again, or `None` when settled.
fn resolve(
    tx: &rusqlite::Transaction<'_>,
    p: &local::Pending,
    mine: Option<ItemDoc>,
    base: Option<ItemDoc>,
    current: &Item,
    report: &mut Report,
) -> Result<Option<local::Pending>> {
    let lib = p.library;
    // From now on the server's current item is the base.
    local::set_shadow(
        tx,
        lib,
        &p.key,
        current.version,
        current.doc.as_ref().filter(|_| !current.deleted),
    )?;
    let theirs = current.doc.as_ref().filter(|_| !current.deleted);
    let again = |tx: &rusqlite::Transaction<'_>| -> Result<Option<local::Pending>> {
        local::renew_op(tx, p)?;
        let op: String = tx.query_row(
            "SELECT op FROM outbox WHERE library_id = ?1 AND key = ?2",
            params![lib.to_string(), p.key],
            |r| r.get(0),
        )?;
        Ok(Some(local::Pending { op, ..p.clone() }))
    };
    match (mine, theirs) {
        // Edited here, deleted there: bring it back with this device's version.
        (Some(_), None) => again(tx),
        // Deleted here, edited there: the edit wins.
        (None, Some(t)) => {
            local::apply_doc(tx, lib, t)?;
            local::done(tx, p)?;
            report.conflicts.push(tr(
                format!("{}：已在别处修改，保留", p.key),
                format!("{}: changed elsewhere, kept", p.key),
            ));
            Ok(None)
        }
        (None, None) => {
            local::done(tx, p)?;
            Ok(None)
        }
        (Some(m), Some(t)) => match merge::merge(base.as_ref(), &m, t) {
            Merged::Clean(merged) => {
                if &merged == t {
                    local::done(tx, p)?;
                    local::apply_doc(tx, lib, t)?;
                    return Ok(None);
                }
                local::apply_doc(tx, lib, &merged)?;
                again(tx)
            }
            Merged::Conflict(_) => {
                local::apply_doc(tx, lib, t)?;
                local::done(tx, p)?;
                if let ItemDoc::Snippet(mut s) = m {
                    let original = s.id;
                    s.id = Uuid::now_v7();
                    s.code = None;
                    s.title = conflict_title(&s.title);
                    report.conflicts.push(s.title.clone());
                    // A local change: queued by the triggers, sent in this round.
                    crate::store::Store::write_snippet_doc(tx, lib, &s)?;
                    crate::conflicts::record(tx, s.id, original)?;
                } else {
                    report.conflicts.push(p.key.clone());
                }
                Ok(None)
            }
        },
    }
}

/// Pull a library from its cursor; everything fetched is applied with the new cursor
/// in one transaction. Returns the number of changes applied.
fn pull(store: &mut Store, client: &Client, link: &Linked) -> Result<usize> {
    let (items, cursor) = fetch(store, client, link, link.cursor)?;
    apply_items(store, link, &items, cursor)?;
    Ok(items.len())
}

/// Every change of a library after `since`, page by page, with the images they need
/// downloaded; returns them and the cursor after the last.
fn fetch(store: &Store, client: &Client, link: &Linked, since: i64) -> Result<(Vec<Item>, i64)> {
    let mut items = Vec::new();
    let mut cursor = since;
    loop {
        let page = client.changes(link.remote, cursor, MAX_PAGE)?;
        cursor = page.cursor.max(cursor);
        let more = page.more;
        items.extend(page.items);
        if !more {
            break;
        }
    }
    for item in &items {
        if let Some(doc) = item.doc.as_ref().filter(|_| !item.deleted) {
            download_blobs(store, client, link.account, doc)?;
        }
    }
    Ok((items, cursor))
}

fn apply_items(store: &mut Store, link: &Linked, items: &[Item], cursor: i64) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let lib = link.local;
    for item in items {
        if local::is_pending(&tx, lib, &item.key)? {
            // A local change waits for this item: the next push meets the server's
            // version (412) and merges; the shadow keeps the old base until then.
            continue;
        }
        match item.doc.as_ref().filter(|_| !item.deleted) {
            Some(doc) => {
                if doc.key() != item.key {
                    return Err(SyncError::Protocol(format!(
                        "item {} has key {}",
                        item.key,
                        doc.key()
                    ))
                    .into());
                }
                local::apply_doc(&tx, lib, doc)?;
                local::set_shadow(&tx, lib, &item.key, item.version, Some(doc))?;
            }
            None => {
                local::apply_delete(&tx, lib, &item.key)?;
                local::set_shadow(&tx, lib, &item.key, item.version, None)?;
            }
        }
    }
    local::fix_orphans(&tx, lib)?;
    tx.execute(
        "UPDATE sync_libraries SET cursor = ?2 WHERE library_id = ?1",
        params![lib.to_string(), cursor],
    )?;
    tx.commit()?;
    Ok(())
}

/// How one synced library compares with the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryStatus {
    /// The account ([`Account::id`]) it syncs with.
    pub account: i64,
    pub name: String,
    pub remote: Uuid,
    pub writable: bool,
    pub cursor: i64,
    pub head: i64,
    /// Local changes not sent yet.
    pub pending: usize,
    pub local: Digest,
    pub server: Digest,
}

impl LibraryStatus {
    /// Up to date and equal to the server.
    pub fn in_sync(&self) -> bool {
        self.pending == 0 && self.cursor >= self.head && self.local == self.server
    }

    /// One line for people: "in sync" or exactly what differs.
    pub fn describe(&self) -> String {
        if self.in_sync() {
            return tr(
                format!("已同步（{} 项）", self.local.count),
                format!("in sync ({} items)", self.local.count),
            );
        }
        let mut parts = Vec::new();
        if self.pending > 0 {
            parts.push(tr(
                format!("{} 个本地改动未发送", self.pending),
                format!("{} local changes not sent", self.pending),
            ));
        }
        if self.cursor < self.head {
            parts.push(tr(
                format!("落后服务器 {} 个序号", self.head - self.cursor),
                format!(
                    "{} sequence numbers behind the server",
                    self.head - self.cursor
                ),
            ));
        }
        if self.local != self.server && self.pending == 0 && self.cursor >= self.head {
            parts.push(tr(
                format!(
                    "内容不一致：本机 {} 项，服务器 {} 项（摘要 {} ≠ {}）",
                    self.local.count,
                    self.server.count,
                    &self.local.hash[..8.min(self.local.hash.len())],
                    &self.server.hash[..8.min(self.server.hash.len())]
                ),
                format!(
                    "content differs: {} items here, {} on the server (digest {} ≠ {})",
                    self.local.count,
                    self.server.count,
                    &self.local.hash[..8.min(self.local.hash.len())],
                    &self.server.hash[..8.min(self.server.hash.len())]
                ),
            ));
        }
        parts.join("；")
    }
}

/// Compare every synced library of every account with its server (digests, cursors,
/// outbox).
pub fn status(store: &Store) -> Result<Vec<LibraryStatus>> {
    let mut out = Vec::new();
    for acc in accounts(store)? {
        out.extend(account_status(store, &acc)?);
    }
    Ok(out)
}

/// Compare the synced libraries of one account with its server.
pub fn account_status(store: &Store, acc: &Account) -> Result<Vec<LibraryStatus>> {
    let client = client_for(store, acc)?;
    let mut out = Vec::new();
    for l in linked_of(store, acc.id)? {
        let server = client.digest(l.remote)?;
        out.push(LibraryStatus {
            account: acc.id,
            name: l.name.clone(),
            remote: l.remote,
            writable: l.writable,
            cursor: l.cursor,
            head: server.head,
            pending: local::pending_count(store.conn(), l.local)?,
            local: local::shadow_digest(store.conn(), l.local)?,
            server: server.digest,
        });
    }
    Ok(out)
}

/// Re-read a library from the beginning and make the local copy equal to it: items the
/// server does not have (and that are not local changes waiting to be sent) go. Used
/// when digests disagree although nothing is pending.
pub fn repair(store: &mut Store, library_remote: Uuid) -> Result<usize> {
    let Some(link) = linked(store)?
        .into_iter()
        .find(|l| l.remote == library_remote)
    else {
        return Ok(0);
    };
    let (_, client) = client_of(store, &link)?;
    let (items, cursor) = fetch(store, &client, &link, 0)?;
    let live: HashSet<&str> = items
        .iter()
        .filter(|i| !i.deleted)
        .map(|i| i.key.as_str())
        .collect();
    let stale: Vec<String> = local::shadow_keys(store.conn(), link.local)?
        .into_iter()
        .filter(|k| !live.contains(k.as_str()))
        .collect();
    let n = items.len() + stale.len();
    apply_items(store, &link, &items, cursor)?;
    let tx = store.conn_mut().transaction()?;
    for key in stale {
        if !local::is_pending(&tx, link.local, &key)? {
            local::apply_delete(&tx, link.local, &key)?;
            local::set_shadow(&tx, link.local, &key, 0, None)?;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// Compare digests and repair libraries that disagree although nothing is pending.
/// Returns the status after any repair.
pub fn verify(store: &mut Store) -> Result<Vec<LibraryStatus>> {
    let before = status(store)?;
    let mut repaired = false;
    for s in &before {
        if s.pending == 0 && s.cursor >= s.head && s.local != s.server {
            repair(store, s.remote)?;
            repaired = true;
        }
    }
    if repaired { status(store) } else { Ok(before) }
}

/// Keep syncing: follow the server's event stream (reconnecting with backoff), sync on
/// every announced change, send local edits within `poll` of being made, and fall back
/// to polling every `poll * 10` while the stream is down ([`SAFETY_ROUND`] while it is
/// up). `on_sync` sees every round's report; returning `false` stops the watch.
///
/// An event that carries the one change this computer is missing is applied at once
/// without a request (see [`HeadEvent`]); the status report that tells the lead's board
/// where this computer is then follows within [`STATUS_DELAY`], one for a burst of edits.
///
/// One watch follows one account (the app runs one per account); it ends with
/// [`SyncError::NotJoined`] once the account is gone.
pub fn watch(
    data_dir: &Path,
    account: i64,
    poll: Duration,
    mut on_sync: impl FnMut(&Result<Report>) -> bool,
) -> Result<()> {
    use std::sync::mpsc;
    let mut store = Store::open(data_dir)?;
    let first = sync_account(&mut store, account);
    if !on_sync(&first) {
        return Ok(());
    }
    let (tx, rx) = mpsc::channel::<Option<HeadEvent>>();
    let acc = account_by_id(&store, account)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(&store, &acc)?;
    let stream_client = client.clone();
    let stream_up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let up = std::sync::Arc::clone(&stream_up);
    std::thread::spawn(move || {
        use std::sync::atomic::Ordering;
        let client = stream_client;
        let mut backoff = Duration::from_millis(250);
        let mut last_id: Option<String> = None;
        loop {
            match client.events(last_id.as_deref()) {
                Ok(mut events) => {
                    backoff = Duration::from_millis(250);
                    up.store(true, Ordering::Relaxed);
                    while let Ok(Some(ev)) = events.next_event() {
                        if ev.id.is_some() {
                            last_id.clone_from(&ev.id);
                        }
                        if let Some(head) = ev.head()
                            && tx.send(Some(head)).is_err()
                        {
                            return;
                        }
                    }
                }
                Err(e) if e.is_unauthorized() => {
                    let _ = tx.send(None);
                    return;
                }
                Err(_) => {}
            }
            up.store(false, Ordering::Relaxed);
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(30));
            // Wake the loop: it polls while the stream is down.
            if tx.send(None).is_err() {
                return;
            }
        }
    });
    let mut last_poll = Instant::now();
    // After a failed round (server down), wait longer before the next unless the event
    // stream says something changed: 1 s, 2 s, … up to 30 s.
    let mut retry_at: Option<Instant> = None;
    let mut failures = 0u32;
    // A status report owed after inline applies.
    let mut status_due: Option<Instant> = None;
    loop {
        let woke = rx.recv_timeout(poll);
        let pending = has_pending(&store, account)?;
        // Poll while the stream is down; with it up, only a rare safety round.
        let every = if stream_up.load(std::sync::atomic::Ordering::Relaxed) {
            SAFETY_ROUND
        } else {
            poll * 10
        };
        let due = last_poll.elapsed() >= every;
        let may_retry = retry_at.is_none_or(|t| Instant::now() >= t);
        if woke.is_ok() || ((pending || due) && may_retry) {
            // Drain further wake-ups that arrived meanwhile: one round covers them.
            let mut heads = Vec::new();
            let mut plain = !matches!(woke, Ok(Some(_)));
            for ev in std::iter::once(woke.clone().ok().flatten())
                .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            {
                match ev {
                    Some(h) => heads.push(h),
                    None => plain = true,
                }
            }
            if !plain && !due {
                // Not the next change, or a failed download or apply: the full round
                // below pulls (and reports any error).
                if let Ok(Some(n)) = apply_inline(&mut store, &client, account, &heads) {
                    status_due.get_or_insert_with(|| Instant::now() + STATUS_DELAY);
                    let report = Report {
                        pulled: n,
                        live: true,
                        ..Report::default()
                    };
                    if !on_sync(&Ok(report)) {
                        return Ok(());
                    }
                    continue;
                }
            }
            last_poll = Instant::now();
            let r = sync_account(&mut store, account);
            let unauthorized = matches!(&r, Err(Error::Sync(e)) if e.is_unauthorized());
            if r.is_ok() {
                failures = 0;
                retry_at = None;
                status_due = None;
            } else {
                failures = (failures + 1).min(5);
                retry_at = Some(
                    Instant::now()
                        + Duration::from_secs(1 << failures).min(Duration::from_secs(30)),
                );
            }
            if !on_sync(&r) || unauthorized {
                return r.map(|_| ());
            }
        }
        if status_due.is_some_and(|t| Instant::now() >= t) {
            // Best effort: if the server cannot be reached, the next round reports.
            let _ = report_status(&store, &client, account);
            status_due = None;
        }
        if matches!(woke, Err(mpsc::RecvTimeoutError::Disconnected)) {
            std::thread::sleep(poll);
        }
    }
}

/// With the event stream up, a full round this often anyway (everything the stream
/// announces is pulled at once; this is a safety net, not the way changes arrive).
pub const SAFETY_ROUND: Duration = Duration::from_secs(300);

/// How long after an edit applied from an event its status report is sent (edits in a
/// burst share one report).
pub const STATUS_DELAY: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewSnippet;

    #[test]
    fn version_text_shows_a_reply_version_and_nothing_for_a_deletion() {
        let doc = quickreply_proto::SnippetDoc {
            id: Uuid::now_v7(),
            folder_id: None,
            title: "退货地址".into(),
            code: None,
            tags: Vec::new(),
            parts: vec![
                Part::Text {
                    body: "亲，退货请寄到".into(),
                },
                Part::Image {
                    sha256: "ab".repeat(32),
                    mime: "image/png".into(),
                    width: 1,
                    height: 1,
                },
                Part::Text {
                    body: "售后部".into(),
                },
            ],
            apps: Vec::new(),
            position: 0,
        };
        let mut v = ItemVersion {
            version: 3,
            deleted: false,
            doc: Some(ItemDoc::Snippet(doc)),
            updated_at: 0,
            user_id: Uuid::now_v7(),
            user_name: "王主管".into(),
            device_name: "lead-pc".into(),
        };
        assert_eq!(
            version_text(&v),
            Some(("退货地址".into(), "亲，退货请寄到\n\n售后部".into(), 1))
        );
        v.deleted = true;
        assert_eq!(version_text(&v), None);
    }

    fn reply(title: &str, folder: &str) -> NewSnippet {
        NewSnippet {
            title: title.into(),
            folder: folder.into(),
            parts: vec![Part::Text {
                body: format!("{title}的回复"),
            }],
            ..Default::default()
        }
    }

    fn keys(store: &Store) -> Vec<String> {
        local::outbox(store.conn())
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.key)
            .collect()
    }

    #[test]
    fn edits_of_synced_libraries_are_queued_in_the_same_transaction() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let personal = store.library(crate::store::PERSONAL)?;
        let before = store.add_snippet(&personal, reply("早安", ""))?;
        assert!(keys(&store).is_empty(), "not synced yet: nothing queued");
        link(&mut store, 1, personal.id, Uuid::now_v7(), true, true)?;
        assert_eq!(keys(&store), vec![before.id.to_string()], "linking uploads");

        let s = store.add_snippet(&personal, reply("发货时间", "物流"))?;
        store.set_var(&personal, "客服名", "小美")?;
        let k = keys(&store);
        assert!(k.contains(&s.id.to_string()));
        assert!(k.contains(&"var:客服名".to_string()));
        assert_eq!(
            k.len(),
            4,
            "the reply, its new folder and the variable: {k:?}"
        );

        // A second edit of the same item is one entry with a new revision.
        let rev = |store: &Store| {
            local::outbox(store.conn())
                .unwrap_or_default()
                .into_iter()
                .find(|p| p.key == s.id.to_string())
                .map(|p| (p.rev, p.op))
        };
        let r1 = rev(&store);
        store.edit_snippet(
            s.id,
            crate::store::SnippetEdit {
                title: Some("发货时效".into()),
                ..Default::default()
            },
        )?;
        let r2 = rev(&store);
        assert_eq!(keys(&store).len(), 4);
        assert_ne!(r1, r2);

        // Writes in applying mode (from the server) are not queued.
        store.conn().execute("DELETE FROM outbox", [])?;
        local::apply_doc(
            store.conn(),
            personal.id,
            &ItemDoc::Variable(quickreply_proto::api::VariableDoc {
                name: "店铺名".into(),
                value: "小店".into(),
                description: String::new(),
                overridable: false,
            }),
        )?;
        assert!(keys(&store).is_empty());
        assert_eq!(
            store.vars(&personal)?,
            vec![
                ("客服名".into(), "小美".into()),
                ("店铺名".into(), "小店".into())
            ]
        );

        // Deleting a folder queues its replies too (cascade).
        store.remove_folder(&personal, "物流", true)?;
        let k = keys(&store);
        assert!(k.contains(&s.id.to_string()), "{k:?}");
        assert_eq!(k.len(), 2, "{k:?}");
        Ok(())
    }

    #[test]
    fn signing_out_removes_the_teams_libraries_but_no_unsent_edit() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let personal = store.library(crate::store::PERSONAL)?;
        store.add_snippet(&personal, reply("早安", ""))?;
        let acc = fake_account(&store, "http://a.example/", "店铺A")?;
        link(&mut store, 1, personal.id, Uuid::now_v7(), true, false)?;
        let read_only = store.create_library("售后话术", LibraryKind::Team)?;
        store.add_snippet(&read_only, reply("退货地址", ""))?;
        link(&mut store, 1, read_only.id, Uuid::now_v7(), false, false)?;
        let edited = store.create_library("售前话术", LibraryKind::Team)?;
        link(&mut store, 1, edited.id, Uuid::now_v7(), true, false)?;
        store.add_snippet(&edited, reply("尺码", ""))?;
        assert!(!keys(&store).is_empty(), "an edit waits to be sent");

        assert_eq!(sign_out(&mut store, &acc)?, vec!["售后话术".to_string()]);
        assert!(accounts(&store)?.is_empty());
        let names: Vec<String> = store.libraries()?.into_iter().map(|l| l.name).collect();
        assert!(!names.contains(&"售后话术".to_string()), "{names:?}");
        assert!(names.contains(&"售前话术".to_string()), "{names:?}");
        assert_eq!(store.snippets(Some(&personal))?.len(), 1);
        assert_eq!(store.snippets(Some(&edited))?.len(), 1);
        assert!(linked(&store)?.is_empty() && keys(&store).is_empty());
        // The kept library is an ordinary local one now: edits are not refused.
        store.add_snippet(&edited, reply("洗涤", ""))?;
        Ok(())
    }

    /// An account as joining adds it (no server needed for what these tests check).
    fn fake_account(store: &Store, server: &str, team: &str) -> Result<Account> {
        let id = save_account(
            store,
            server,
            &Me {
                user_id: Uuid::now_v7(),
                user_name: "小李".into(),
                device_id: Uuid::now_v7(),
                device_name: "pc".into(),
                team_id: Uuid::now_v7(),
                team_name: team.into(),
                role: Role::Editor,
                personal_library: Uuid::now_v7(),
            },
        )?;
        Ok(account_by_id(store, id)?.ok_or(SyncError::NotJoined)?)
    }

    #[test]
    fn several_accounts_keep_their_libraries_apart() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let a = fake_account(&store, "http://a.example/", "店铺A")?;
        let b = fake_account(&store, "http://b.example/", "店铺B")?;
        assert_eq!((a.id, b.id), (1, 2));
        assert_eq!(accounts(&store)?, vec![a.clone(), b.clone()]);
        assert_eq!(
            account(&store)?,
            Some(a.clone()),
            "the first joined is primary"
        );

        // --team by server (with or without scheme and slash), team name or number.
        assert_eq!(choose_account(&store, Some("b.example"))?, b);
        assert_eq!(choose_account(&store, Some("店铺A"))?, a);
        assert_eq!(choose_account(&store, Some("2"))?, b);
        let which = choose_account(&store, None).err().map(|e| e.to_string());
        assert!(which.is_some_and(|e| e.contains("店铺A") && e.contains("店铺B")));
        assert!(matches!(
            choose_account(&store, Some("店铺C")),
            Err(Error::Sync(SyncError::NoSuchAccount { .. }))
        ));
        let c = fake_account(&store, "http://c.example/", "店铺B")?;
        assert!(matches!(
            choose_account(&store, Some("店铺B")),
            Err(Error::Sync(SyncError::WhichAccount(_)))
        ));
        assert_eq!(choose_account(&store, Some("c.example"))?, c);
        let tx = store.conn_mut().transaction()?;
        forget_account(&tx, c.id)?;
        tx.commit()?;

        let personal = store.library(crate::store::PERSONAL)?;
        link(&mut store, a.id, personal.id, Uuid::now_v7(), true, false)?;
        let team_a = store.create_library("售前", LibraryKind::Team)?;
        link(&mut store, a.id, team_a.id, Uuid::now_v7(), false, false)?;
        let team_b = store.create_library("售前 (2)", LibraryKind::Team)?;
        link(&mut store, b.id, team_b.id, Uuid::now_v7(), false, false)?;
        let local = store.create_library("草稿", LibraryKind::Team)?;

        // Beside team B's chat window, team A's library is hidden, never the personal
        // or a local one.
        assert_eq!(
            other_teams_libraries(&store, "http://b.example")?,
            vec![team_a.id]
        );
        assert_eq!(
            other_teams_libraries(&store, "http://a.example/")?,
            vec![team_b.id]
        );

        // A local team library goes to the primary account unless chosen for another.
        assert!(may_publish(&store, local.id, &a, true)?);
        assert!(!may_publish(&store, local.id, &b, false)?);
        set_library_account(&store, local.id, Some(b.id))?;
        assert!(!may_publish(&store, local.id, &a, true)?);
        assert!(may_publish(&store, local.id, &b, false)?);

        // Leaving B: its team library stays here, for no other team to adopt or publish.
        let tx = store.conn_mut().transaction()?;
        forget_account(&tx, b.id)?;
        tx.commit()?;
        assert_eq!(accounts(&store)?, vec![a.clone()]);
        assert!(linked(&store)?.iter().all(|l| l.account == a.id));
        assert!(!may_publish(&store, team_b.id, &a, true)?);
        assert!(!may_publish(&store, local.id, &a, true)?);
        assert_eq!(choose_account(&store, None)?, a);
        Ok(())
    }

    #[test]
    fn read_only_team_libraries_refuse_local_edits() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let team = store.create_library("团队", LibraryKind::Team)?;
        let s = store.add_snippet(&team, reply("退货地址", ""))?;
        link(&mut store, 1, team.id, team.id, false, false)?;
        let err = store.add_snippet(&team, reply("新话术", ""));
        assert!(matches!(err, Err(Error::ReadOnly)), "{err:?}");
        assert!(matches!(store.remove_snippet(s.id), Err(Error::ReadOnly)));
        assert!(matches!(
            store.set_var(&team, "店铺名", "x"),
            Err(Error::ReadOnly)
        ));
        assert_eq!(store.snippets(Some(&team))?.len(), 1, "nothing changed");
        assert!(keys(&store).is_empty());
        // Copying a team reply into the personal library still works.
        let personal = store.library(crate::store::PERSONAL)?;
        store.copy_to(s.id, &personal)?;
        // The server may still change it.
        local::apply_delete(store.conn(), team.id, &s.id.to_string())?;
        assert!(store.snippets(Some(&team))?.is_empty());
        Ok(())
    }

    #[test]
    fn a_server_folder_merges_with_a_local_one_of_the_same_name() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let personal = store.library(crate::store::PERSONAL)?;
        let s = store.add_snippet(&personal, reply("发货时间", "物流"))?;
        link(&mut store, 1, personal.id, Uuid::now_v7(), true, false)?;
        let remote = quickreply_proto::FolderDoc {
            id: Uuid::now_v7(),
            parent_id: None,
            name: "物流".into(),
            position: 0,
        };
        local::apply_doc(store.conn(), personal.id, &ItemDoc::Folder(remote.clone()))?;
        let folders = store.folders(&personal)?;
        assert_eq!(folders.len(), 1);
        assert_eq!(folders[0].id, remote.id);
        assert_eq!(store.snippet(s.id)?.folder, "物流");
        Ok(())
    }
}
