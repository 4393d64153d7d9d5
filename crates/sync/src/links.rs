//! Links: which local library is which library of which account's server, and which
//! local team libraries get published where.

use std::collections::HashSet;

use uuid::Uuid;

use quickreply_core::i18n::tr;
use quickreply_core::store::{self, Store};
use quickreply_proto::LibraryKind;
use quickreply_proto::api::{CreateLibrary, LibraryInfo};

use crate::accounts::{account, account_by_id, accounts};
use crate::error::Result;
use crate::http::Client;
use crate::model::{Account, Linked};
use crate::tables;

/// Every synced library, of every account.
pub(crate) fn linked(store: &Store) -> Result<Vec<Linked>> {
    tables::linked(store.conn())
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
    tables::has_pending(store.conn(), account)
}

/// Link a local library to `account`'s server library `remote`; with `upload`, its items
/// are queued for the server.
pub(crate) fn link(
    store: &mut Store,
    account: i64,
    local: Uuid,
    remote: Uuid,
    writable: bool,
    upload: bool,
) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    tables::link(&tx, account, local, remote, writable)?;
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
    tables::set_target(store.conn(), library, account)
}

/// Whether a local team library that does not sync yet may become one of `acc`'s: the
/// account chosen for it, or without a choice the primary account.
pub(crate) fn may_publish(
    store: &Store,
    library: Uuid,
    acc: &Account,
    primary: bool,
) -> Result<bool> {
    Ok(match tables::target(store.conn(), library)? {
        None => primary,
        Some(t) => t == Some(acc.id),
    })
}

/// Whether `acc` is the primary account (the first joined).
pub(crate) fn is_primary(store: &Store, acc: &Account) -> Result<bool> {
    Ok(account(store)?.is_some_and(|p| p.id == acc.id))
}

/// Match the server's libraries with local ones: the personal library (primary account
/// only), team libraries by id then by name (new ones are created locally). Only this
/// account's links count: a library id that another account's server listed (or the id
/// of a local library linked to another account, or of the personal library) is not
/// linked here, so that one team's server can never take over, or turn read-only,
/// another team's library, nor mix their replies. Returns why such libraries were left
/// out (one line each, for the user).
pub(crate) fn link_libraries(
    store: &mut Store,
    acc: &Account,
    primary: bool,
    remote: &[LibraryInfo],
) -> Result<Vec<String>> {
    let known = linked(store)?;
    let personal = store.library(store::PERSONAL)?;
    let mut skipped = Vec::new();
    for lib in remote {
        if let Some(l) = known
            .iter()
            .find(|l| l.account == acc.id && l.remote == lib.id)
        {
            if l.writable != lib.writable {
                tables::set_writable(store.conn(), l.local, lib.writable)?;
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
        if let Some(why) = clash(store, &known, acc, lib, &personal)? {
            skipped.push(why);
            continue;
        }
        let locals = store.libraries()?;
        let unlinked = |id: Uuid| !known.iter().any(|l| l.local == id);
        let mut local = locals
            .iter()
            .find(|l| l.id == lib.id && l.kind == LibraryKind::Team && unlinked(l.id))
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
                tables::add_team_library(store.conn(), lib.id, &name)?;
                link(store, acc.id, lib.id, lib.id, lib.writable, false)?;
            }
        }
    }
    Ok(skipped)
}

/// Why `acc`'s server library `lib` must not be linked on this computer: its id is
/// already another account's (as that server's library or as the local library linked
/// to it) or the personal library's. `None`: it may be linked.
fn clash(
    store: &Store,
    known: &[Linked],
    acc: &Account,
    lib: &LibraryInfo,
    personal: &quickreply_core::Library,
) -> Result<Option<String>> {
    let team = &acc.team_name;
    let name = &lib.name;
    if let Some(other) = known
        .iter()
        .find(|l| l.account != acc.id && (l.remote == lib.id || l.local == lib.id))
    {
        let other_team = account_by_id(store, other.account)?
            .map(|a| a.team_name)
            .unwrap_or_default();
        let local = &other.name;
        return Ok(Some(tr(
            format!(
                "团队「{team}」的话术库「{name}」与本机团队「{other_team}」的话术库「{local}」编号相同（{id}），没有同步它，以免两个团队的话术混在一起；请团队「{team}」的主管把它另建为一个新库",
                id = lib.id
            ),
            format!(
                "the library \"{name}\" of team \"{team}\" has the same id ({id}) as the library \"{local}\" of team \"{other_team}\" on this computer: it is not synced, so that the two teams' replies never mix; ask team \"{team}\"'s lead to re-create it as a new library",
                id = lib.id
            ),
        )));
    }
    if lib.id == personal.id {
        return Ok(Some(tr(
            format!(
                "团队「{team}」的话术库「{name}」与本机的个人话术库编号相同（{id}），没有同步它；请团队「{team}」的主管把它另建为一个新库",
                id = lib.id
            ),
            format!(
                "the library \"{name}\" of team \"{team}\" has the same id ({id}) as this computer's personal library: it is not synced; ask team \"{team}\"'s lead to re-create it as a new library",
                id = lib.id
            ),
        )));
    }
    Ok(None)
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
