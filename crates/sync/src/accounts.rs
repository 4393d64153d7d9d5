//! Accounts: each sync server this computer has joined (one per team), the token for
//! each, and choosing one by server, team name or number.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_proto::api::{Me, Role};

use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::links::Linked;
use crate::secret::{self};

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

pub(crate) fn data_dir(store: &Store) -> PathBuf {
    store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, server, user_id, user_name, device_id, device_name, team_id,
     team_name, role, personal_remote, last_sync";

pub(crate) fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
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
            0 => Err(SyncError::NotJoined),
            1 => Ok(all[0].clone()),
            _ => Err(SyncError::WhichAccount(known())),
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
        [_, _, ..] => Err(SyncError::WhichAccount(known())),
        [] => Err(SyncError::NoSuchAccount {
            which: which.to_string(),
            known: known(),
        }),
    }
}

/// A client for an account's server, with this device's token there.
pub fn client_for(store: &Store, acc: &Account) -> Result<Client> {
    let token = secret::load(&data_dir(store), acc.id)?;
    Client::new(&acc.server, Some(token))
}

/// The primary account and a client for it.
pub fn client(store: &Store) -> Result<(Account, Client)> {
    let acc = account(store)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(store, &acc)?;
    Ok((acc, client))
}

/// The account a synced library belongs to, and a client for it.
pub(crate) fn client_of(store: &Store, link: &Linked) -> Result<(Account, Client)> {
    let acc = account_by_id(store, link.account)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(store, &acc)?;
    Ok((acc, client))
}

/// Add an account; returns its number (one more than the highest so far).
pub(crate) fn save_account(store: &Store, server: &str, me: &Me) -> Result<i64> {
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
pub(crate) fn not_joined_yet(store: &Store, server: &Client) -> Result<()> {
    match accounts(store)?
        .into_iter()
        .find(|a| a.server == server.server())
    {
        Some(acc) => Err(SyncError::AlreadyJoined(acc.server)),
        None => Ok(()),
    }
}
