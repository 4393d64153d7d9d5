//! The one place that runs SQL on the sync tables the store's migrations create:
//! `sync_accounts` (one row per server joined), `sync_libraries` (the links: local
//! library, server library, cursor, what was last reported), `library_targets` (where a
//! local team library is to be published), `sync_blobs` (images a server has),
//! `sync_items` (the shadow), `outbox` and `sync_mode` ([`items`]), `sync_skipped`
//! (items this computer could not take, [`skipped`]), `sync_suggestions` (agents'
//! suggestions, [`suggestions`]). Everything takes the
//! caller's connection or transaction, so a caller decides what is atomic.

pub(crate) mod items;
pub(crate) mod skipped;
pub(crate) mod suggestions;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use quickreply_proto::api::{Me, Role};

use crate::error::Result;
use crate::model::{Account, Linked};

pub(crate) use items::*;
pub(crate) use skipped::*;

/// A uuid column as text; an unreadable one is the nil uuid (as every reader here did).
fn uuid_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Uuid> {
    Ok(Uuid::parse_str(&r.get::<_, String>(i)?).unwrap_or_default())
}

const ACCOUNT_COLUMNS: &str = "id, server, user_id, user_name, device_id, device_name, team_id,
     team_name, role, personal_remote, last_sync";

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        server: r.get(1)?,
        user_id: uuid_at(r, 2)?,
        user_name: r.get(3)?,
        device_id: uuid_at(r, 4)?,
        device_name: r.get(5)?,
        team_id: uuid_at(r, 6)?,
        team_name: r.get(7)?,
        role: Role::parse(&r.get::<_, String>(8)?).unwrap_or(Role::Agent),
        personal_remote: uuid_at(r, 9)?,
        last_sync: r.get(10)?,
    })
}

/// Every account, the first joined first.
pub(crate) fn accounts(conn: &Connection) -> Result<Vec<Account>> {
    let mut st = conn.prepare(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM sync_accounts ORDER BY id"
    ))?;
    let rows = st
        .query_map([], account_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// An account by its number.
pub(crate) fn account(conn: &Connection, id: i64) -> Result<Option<Account>> {
    Ok(conn
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM sync_accounts WHERE id = ?1"),
            [id],
            account_row,
        )
        .optional()?)
}

/// Add an account; returns its number (one more than the highest so far).
pub(crate) fn add_account(conn: &Connection, server: &str, me: &Me) -> Result<i64> {
    Ok(conn.query_row(
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

/// Drop an account row that never got its token (nothing else refers to it yet).
pub(crate) fn remove_new_account(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("DELETE FROM sync_accounts WHERE id = ?1", [id])?;
    Ok(())
}

/// Everything the store knows of an account's server, in the caller's transaction.
/// While other accounts remain, its team libraries are marked to stay on this computer
/// (never adopted or published by another account).
pub(crate) fn forget_account(conn: &Connection, account: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO library_targets (library_id, account)
         SELECT s.library_id, NULL FROM sync_libraries s JOIN libraries l ON l.id = s.library_id
         WHERE s.account = ?1 AND l.kind = 'team'
           AND EXISTS (SELECT 1 FROM sync_accounts WHERE id != ?1)
         ON CONFLICT (library_id) DO UPDATE SET account = NULL",
        [account],
    )?;
    forget_skipped(conn, account)?;
    for sql in [
        "DELETE FROM sync_items WHERE library_id IN
            (SELECT library_id FROM sync_libraries WHERE account = ?1)",
        "DELETE FROM outbox WHERE library_id IN
            (SELECT library_id FROM sync_libraries WHERE account = ?1)",
        "DELETE FROM sync_libraries WHERE account = ?1",
        "DELETE FROM sync_blobs WHERE account = ?1",
        "DELETE FROM sync_suggestions WHERE account_id = ?1",
        "UPDATE library_targets SET account = NULL WHERE account = ?1",
        "DELETE FROM sync_accounts WHERE id = ?1",
    ] {
        conn.execute(sql, [account])?;
    }
    Ok(())
}

/// The team libraries that came from `account`'s server and hold no unsent edit: (id,
/// name), by name. What signing out of that server removes.
pub(crate) fn team_libraries_to_drop(
    conn: &Connection,
    account: i64,
) -> Result<Vec<(String, String)>> {
    let rows = conn
        .prepare(
            "SELECT l.id, l.name FROM sync_libraries s JOIN libraries l ON l.id = s.library_id
             WHERE l.kind = 'team' AND s.account = ?1
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.library_id = s.library_id)
             ORDER BY l.name",
        )?
        .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Remove a local library (and by cascade its folders, replies and variables).
pub(crate) fn drop_library(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM libraries WHERE id = ?1", [id])?;
    Ok(())
}

/// Note when `account` last finished a round.
pub(crate) fn touch_last_sync(conn: &Connection, account: i64) -> Result<()> {
    conn.execute(
        "UPDATE sync_accounts SET last_sync = ?2 WHERE id = ?1",
        params![account, chrono::Utc::now().timestamp_millis()],
    )?;
    Ok(())
}

/// Up to when `account`'s server has had this computer's searches that found nothing.
pub(crate) fn missed_sent(conn: &Connection, account: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT missed_sent FROM sync_accounts WHERE id = ?1",
        [account],
        |r| r.get(0),
    )?)
}

pub(crate) fn set_missed_sent(conn: &Connection, account: i64, newest: i64) -> Result<()> {
    conn.execute(
        "UPDATE sync_accounts SET missed_sent = ?2 WHERE id = ?1",
        params![account, newest],
    )?;
    Ok(())
}

/// Every synced library, of every account.
pub(crate) fn linked(conn: &Connection) -> Result<Vec<Linked>> {
    let mut st = conn.prepare(
        "SELECT s.library_id, l.name, s.remote_id, s.cursor, s.writable, s.account
         FROM sync_libraries s JOIN libraries l ON l.id = s.library_id ORDER BY l.kind, l.name",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(Linked {
                local: uuid_at(r, 0)?,
                name: r.get(1)?,
                remote: uuid_at(r, 2)?,
                cursor: r.get(3)?,
                writable: r.get(4)?,
                account: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Link a local library to a server's library of `account`, from cursor 0; it is no
/// longer waiting to be published.
pub(crate) fn link(
    conn: &Connection,
    account: i64,
    local: Uuid,
    remote: Uuid,
    writable: bool,
) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_libraries (library_id, remote_id, cursor, writable, account)
         VALUES (?1, ?2, 0, ?3, ?4)",
        params![local.to_string(), remote.to_string(), writable, account],
    )?;
    conn.execute(
        "DELETE FROM library_targets WHERE library_id = ?1",
        [local.to_string()],
    )?;
    Ok(())
}

pub(crate) fn set_writable(conn: &Connection, local: Uuid, writable: bool) -> Result<()> {
    conn.execute(
        "UPDATE sync_libraries SET writable = ?2 WHERE library_id = ?1",
        params![local.to_string(), writable],
    )?;
    Ok(())
}

/// How far `library` has pulled.
pub(crate) fn set_cursor(conn: &Connection, library: Uuid, cursor: i64) -> Result<()> {
    conn.execute(
        "UPDATE sync_libraries SET cursor = ?2 WHERE library_id = ?1",
        params![library.to_string(), cursor],
    )?;
    Ok(())
}

/// Up to when the server has had `library`'s fire counts.
pub(crate) fn usage_sent(conn: &Connection, library: Uuid) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT usage_sent FROM sync_libraries WHERE library_id = ?1",
        [library.to_string()],
        |r| r.get(0),
    )?)
}

pub(crate) fn set_usage_sent(conn: &Connection, library: Uuid, newest: i64) -> Result<()> {
    conn.execute(
        "UPDATE sync_libraries SET usage_sent = ?2 WHERE library_id = ?1",
        params![library.to_string(), newest],
    )?;
    Ok(())
}

/// A team library from a server, created locally under `name` with the server's id
/// (kept as it is when it exists already).
pub(crate) fn add_team_library(conn: &Connection, id: Uuid, name: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO libraries (id, name, kind, created_at) VALUES (?1, ?2, 'team', ?3)
         ON CONFLICT (id) DO NOTHING",
        params![id.to_string(), name, chrono::Utc::now().timestamp_millis()],
    )?;
    Ok(())
}

/// Where a local team library that does not sync yet is to be published: `None` no
/// choice made, `Some(None)` this computer only, `Some(Some(account))`.
pub(crate) fn target(conn: &Connection, library: Uuid) -> Result<Option<Option<i64>>> {
    Ok(conn
        .query_row(
            "SELECT account FROM library_targets WHERE library_id = ?1",
            [library.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn set_target(conn: &Connection, library: Uuid, account: Option<i64>) -> Result<()> {
    conn.execute(
        "INSERT INTO library_targets (library_id, account) VALUES (?1, ?2)
         ON CONFLICT (library_id) DO UPDATE SET account = excluded.account",
        params![library.to_string(), account],
    )?;
    Ok(())
}

/// Whether local changes of an account's libraries wait to be sent.
pub(crate) fn has_pending(conn: &Connection, account: i64) -> Result<bool> {
    Ok(conn.query_row(
        &format!(
            "SELECT EXISTS (SELECT 1 FROM outbox o JOIN sync_libraries l ON l.library_id = o.library_id
                            WHERE l.account = ?1 AND NOT ifnull({IS_REFUSED}, 0))"
        ),
        [account],
        |r| r.get(0),
    )?)
}

/// How many local changes of synced libraries wait to be sent (refused ones not counted).
pub(crate) fn pending_total(conn: &Connection) -> Result<usize> {
    let n: i64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM outbox o JOIN sync_libraries l ON l.library_id = o.library_id
             WHERE NOT ifnull({IS_REFUSED}, 0)"
        ),
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or_default())
}

/// The operation queued for an item (after [`items::renew_op`]).
pub(crate) fn queued_op(conn: &Connection, library: Uuid, key: &str) -> Result<String> {
    Ok(conn.query_row(
        "SELECT op FROM outbox WHERE library_id = ?1 AND key = ?2",
        params![library.to_string(), key],
        |r| r.get(0),
    )?)
}

/// Whether `account`'s server is known to have an image.
pub(crate) fn server_has_blob(conn: &Connection, account: i64, sha: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sync_blobs WHERE account = ?1 AND sha256 = ?2")?
        .exists(params![account, sha])?)
}

/// Note that `account`'s server has an image.
pub(crate) fn note_server_blob(conn: &Connection, account: i64, sha: &str) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO sync_blobs (account, sha256) VALUES (?1, ?2)",
        params![account, sha],
    )?;
    Ok(())
}

/// Whether `folder` is a folder of `library` (a restored reply keeps it only then).
pub(crate) fn folder_in(conn: &Connection, library: Uuid, folder: Uuid) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM folders WHERE id = ?1 AND library_id = ?2)",
        params![folder.to_string(), library.to_string()],
        |r| r.get(0),
    )?)
}

/// Whether another reply of `library` than `except` has the shortcut `code`.
pub(crate) fn code_taken(
    conn: &Connection,
    library: Uuid,
    code: &str,
    except: Uuid,
) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM snippets WHERE library_id = ?1 AND code = ?2 AND id != ?3)",
        params![library.to_string(), code, except.to_string()],
        |r| r.get(0),
    )?)
}
