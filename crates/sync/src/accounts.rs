//! Accounts: each sync server this computer has joined (one per team), the token for
//! each, and choosing one by server, team name or number.

use std::path::{Path, PathBuf};

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;

use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::model::{Account, Linked};
use crate::secret;
use crate::tables;

/// The folder of the store, where the token file is kept when there is no keyring.
pub(crate) fn data_dir(store: &Store) -> PathBuf {
    store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every sync server this computer has joined, the first joined (the primary account,
/// which the personal library syncs with) first.
pub fn accounts(store: &Store) -> Result<Vec<Account>> {
    tables::accounts(store.conn())
}

/// The primary account (the first joined), if any.
pub fn account(store: &Store) -> Result<Option<Account>> {
    Ok(accounts(store)?.into_iter().next())
}

/// An account by its number.
pub fn account_by_id(store: &Store, id: i64) -> Result<Option<Account>> {
    tables::account(store.conn(), id)
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
