//! Links: which local library is which library of which account's server, and which
//! local team libraries get published where.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use quickreply_core::store::{self, Store};
use quickreply_proto::LibraryKind;
use quickreply_proto::api::{CreateLibrary, LibraryInfo};

use crate::accounts::{Account, account, accounts};
use crate::error::Result;
use crate::http::Client;
use crate::tables;

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
pub(crate) fn linked(store: &Store) -> Result<Vec<Linked>> {
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
pub(crate) fn linked_of(store: &Store, account: i64) -> Result<Vec<Linked>> {
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
pub(crate) fn has_pending(store: &Store, account: i64) -> Result<bool> {
    Ok(store.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox o JOIN sync_libraries l ON l.library_id = o.library_id
                        WHERE l.account = ?1)",
        [account],
        |r| r.get(0),
    )?)
}

pub(crate) fn link(
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
        tables::enqueue_all(&tx, local)?;
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
pub(crate) fn may_publish(
    store: &Store,
    library: Uuid,
    acc: &Account,
    primary: bool,
) -> Result<bool> {
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
pub(crate) fn is_primary(store: &Store, acc: &Account) -> Result<bool> {
    Ok(account(store)?.is_some_and(|p| p.id == acc.id))
}

/// Match the server's libraries with local ones: the personal library (primary account
/// only), team libraries by id then by name (new ones are created locally).
pub(crate) fn link_libraries(
    store: &mut Store,
    acc: &Account,
    primary: bool,
    remote: &[LibraryInfo],
) -> Result<()> {
    let known = linked(store)?;
    let personal = store.library(store::PERSONAL)?;
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
pub(crate) fn publish_local_team_libraries(
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
