//! The SQLite backend: one file, WAL, one writer connection behind a mutex and a few
//! reader connections.
//!
//! Durability: `journal_mode=WAL` with `synchronous=NORMAL`. A commit has reached the WAL
//! file (in the OS page cache) before it returns, so an acknowledged write survives a
//! crash or `kill -9` of the server process; only a crash of the whole machine (power
//! loss, kernel panic) can lose the last commits, and never leaves the database
//! inconsistent.
//!
//! This module is the [`Store`] implementation (its SQL); the connections are in `pool`,
//! the tables in `schema`, how a cell is read (for the shared decoders of `store::rows`)
//! and the statements several methods share in `rows`, and the item write in
//! `item_write` (its decision is the shared one, `store::write`).

use std::sync::Mutex;

use quickreply_proto::api::{
    CodeInfo, CreateLibrary, DeviceInfo, Digest, Item, ItemVersion, LibraryDigest, LibraryInfo,
    MAX_FIRES_PER_DAY, Me, MissedSearch, MissedTotal, Role, StatusReport, UsageCount, UsageTotal,
};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use self::pool::Cached;
use self::rows::{
    insert_device, insert_user, library_from_row, load_library, me_from_row, me_of_device,
};
use super::raw::{RawChanges, raw_changes_page, raw_item_from};
use super::rows::{
    CODE_COLUMNS, CODE_FROM, Cells as _, DEVICE_COLUMNS, LIBRARY_COLUMNS, LISTED_CODE_COLUMNS,
    ME_COLUMNS, ME_FROM, SIGNIN_COLUMNS, VERSION_COLUMNS, code_from, device_from, listed_code_from,
    missed_total_from, signin_from, usage_total_from, version_from,
};
use super::{
    BlobRow, Change, CodeRow, ItemWrite, Join, LAST_SEEN_EVERY_MS, ListedCode, NewInvite,
    NewSignin, SIGNIN_KEEP_MS, SigninRow, SigninVerdict, Spend, Stats, Store, TokenRefusal,
    UsageQuery, WriteOutcome, changes_sql, code_to_cancel, collect, existing_library,
    library_name_taken, no_item, no_pending_signin, open_code_infos, page_bytes, page_fetch,
    policy, readable, setup_unused, spend_code, to_u64, token_refusal, too_many_fires, usage_limit,
    verdict_columns,
};
use crate::Error;

mod item_write;
mod pool;
mod rows;
mod scan;
mod schema;
mod stale;
mod suggest;

/// The SQLite store.
pub struct SqliteStore {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn ensure_setup_code(&self, code_hash: &str, now: i64) -> Result<bool, Error> {
        self.write(|tx| {
            let users: i64 = tx.row("SELECT count(*) FROM users", [], |r| r.get(0))?;
            if users > 0 {
                return Ok(false);
            }
            tx.exec("DELETE FROM codes WHERE kind = 'setup'", [])?;
            tx.exec(
                "INSERT INTO codes (hash, kind, role, uses_left, created_at)
                 VALUES (?1, 'setup', 'owner', 1, ?2)",
                params![code_hash, now],
            )?;
            Ok(true)
        })
    }

    fn join(&self, join: &Join) -> Result<Me, Error> {
        self.write(|tx| {
            let code = tx
                .row(
                    &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.hash = ?1"),
                    [&join.code_hash],
                    |r| code_from(r),
                )
                .optional()?;
            let device_id = match spend_code(code, join.now)? {
                Spend::Setup => {
                    setup_unused(tx.row("SELECT count(*) FROM users", [], |r| r.get(0))?)?;
                    let team_id = Uuid::now_v7();
                    tx.exec(
                        "INSERT INTO teams (id, name, created_at) VALUES (?1, ?2, ?3)",
                        params![team_id.to_string(), join.team_name, join.now],
                    )?;
                    let (user_id, _) =
                        insert_user(tx, team_id, &join.member_name(), Role::Owner, join.now)?;
                    tx.exec("DELETE FROM codes WHERE hash = ?1", [&join.code_hash])?;
                    insert_device(tx, user_id, join)?
                }
                Spend::Invite { team_id, role } => {
                    let (user_id, _) =
                        insert_user(tx, team_id, &join.member_name(), role, join.now)?;
                    insert_device(tx, user_id, join)?
                }
                Spend::Pairing { user_id } => insert_device(tx, user_id, join)?,
            };
            tx.exec(
                "UPDATE codes SET uses_left = uses_left - 1 WHERE hash = ?1",
                [&join.code_hash],
            )?;
            me_of_device(tx, device_id)
        })
    }

    fn authenticate(&self, token_hash: &str, now: i64) -> Result<Option<Me>, Error> {
        let found = self.read(|conn| {
            Ok(conn
                .row(
                    &format!(
                        "SELECT {ME_COLUMNS}, d.revoked, d.last_seen {ME_FROM}
                         WHERE d.token_hash = ?1"
                    ),
                    [token_hash],
                    |r| {
                        Ok((
                            me_from_row(r)?,
                            r.get::<_, bool>(8)?,
                            r.get::<_, Option<i64>>(9)?,
                        ))
                    },
                )
                .optional()?)
        })?;
        let Some((me, revoked, last_seen)) = found else {
            return Ok(None);
        };
        if revoked {
            return Ok(None);
        }
        if last_seen.is_none_or(|seen| now - seen >= LAST_SEEN_EVERY_MS) {
            self.write(|tx| {
                tx.exec(
                    "UPDATE devices SET last_seen = ?1 WHERE id = ?2",
                    params![now, me.device_id.to_string()],
                )?;
                Ok(())
            })?;
        }
        Ok(Some(me))
    }

    fn create_invite(&self, me: &Me, invite: &NewInvite) -> Result<(), Error> {
        policy::may_invite(me, &invite.request)?;
        let req = &invite.request;
        let (kind, user, role) = if req.pairing {
            ("pairing", Some(me.user_id.to_string()), me.role)
        } else {
            ("invite", None, req.role)
        };
        self.write(|tx| {
            tx.exec(
                "INSERT INTO codes (hash, kind, team_id, user_id, role, uses_left, expires_at,
                                    created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    invite.code_hash,
                    kind,
                    me.team_id.to_string(),
                    user,
                    role.as_str(),
                    req.uses,
                    invite.expires_at,
                    me.device_id.to_string(),
                    invite.now
                ],
            )?;
            Ok(())
        })
    }

    fn devices(&self, me: &Me) -> Result<Vec<DeviceInfo>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS}
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE u.team_id = ?1 AND (?2 IS NULL OR u.id = ?2) AND u.removed_at IS NULL
                 ORDER BY d.created_at, d.id"
            ))?;
            let only_user = (me.role != Role::Owner).then(|| me.user_id.to_string());
            let rows = stmt.query_map(params![me.team_id.to_string(), only_user], |r| {
                device_from(r)
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn revoke_device(&self, me: &Me, device_id: Uuid) -> Result<(), Error> {
        self.write(|tx| {
            let found = tx
                .row(
                    "SELECT u.id, u.team_id FROM devices d JOIN users u ON u.id = d.user_id
                     WHERE d.id = ?1",
                    [device_id.to_string()],
                    |r| Ok((r.uuid(0)?, r.uuid(1)?)),
                )
                .optional()?;
            policy::may_revoke(me, found)?;
            tx.exec(
                "UPDATE devices SET revoked = 1 WHERE id = ?1",
                [device_id.to_string()],
            )?;
            Ok(())
        })
    }

    fn report_status(&self, me: &Me, report: &StatusReport) -> Result<(), Error> {
        let cursors = serde_json::to_string(&report.cursors)
            .map_err(|e| Error::internal(format!("cursors: {e}")))?;
        self.write(|tx| {
            tx.exec(
                "UPDATE devices SET app_version = ?1, cursors = ?2 WHERE id = ?3",
                params![report.app_version, cursors, me.device_id.to_string()],
            )?;
            Ok(())
        })
    }

    fn libraries(&self, me: &Me) -> Result<Vec<LibraryInfo>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE {}
                 ORDER BY kind = 'team', created_at, id",
                readable("", '?')
            ))?;
            let rows = stmt.query_map(
                params![me.user_id.to_string(), me.team_id.to_string()],
                library_from_row,
            )?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.info(me));
            }
            Ok(out)
        })
    }

    fn create_library(
        &self,
        me: &Me,
        req: &CreateLibrary,
        now: i64,
    ) -> Result<(LibraryInfo, bool), Error> {
        policy::may_create_library(me)?;
        self.write(|tx| {
            if let Some(existing) = load_library(tx, req.id)? {
                return existing_library(me, &existing);
            }
            let taken: bool = tx.row(
                "SELECT EXISTS (SELECT 1 FROM libraries
                                WHERE kind = 'team' AND team_id = ?1 AND name = ?2)",
                params![me.team_id.to_string(), req.name],
                |r| r.get(0),
            )?;
            if taken {
                return Err(library_name_taken(&req.name));
            }
            tx.exec(
                "INSERT INTO libraries (id, kind, name, team_id, created_at)
                 VALUES (?1, 'team', ?2, ?3, ?4)",
                params![req.id.to_string(), req.name, me.team_id.to_string(), now],
            )?;
            let row = load_library(tx, req.id)?
                .ok_or_else(|| Error::internal("a library vanished while being created"))?;
            Ok((row.info(me), true))
        })
    }

    fn changes_raw(
        &self,
        me: &Me,
        library_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<RawChanges, Error> {
        self.read(|conn| {
            let lib = policy::check_read(me, load_library(conn, library_id)?)?;
            let mut stmt = conn.prepare_cached(&changes_sql('?'))?;
            let rows = stmt.query_map(
                params![
                    library_id.to_string(),
                    since,
                    page_fetch(limit),
                    page_bytes()
                ],
                |row| raw_item_from(row),
            )?;
            let items = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(raw_changes_page(items, limit, since, lib.head))
        })
    }

    fn library_head(&self, me: &Me, library_id: Uuid) -> Result<i64, Error> {
        self.read(|conn| Ok(policy::check_read(me, load_library(conn, library_id)?)?.head))
    }

    fn digest(&self, me: &Me, library_id: Uuid) -> Result<LibraryDigest, Error> {
        self.read(|conn| {
            let lib = policy::check_read(me, load_library(conn, library_id)?)?;
            let mut stmt = conn.prepare_cached(
                "SELECT key, version FROM items WHERE library_id = ?1 AND deleted = 0",
            )?;
            let rows = stmt.query_map([library_id.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            let pairs = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(LibraryDigest {
                head: lib.head,
                digest: Digest::of(pairs.iter().map(|(k, v)| (k.as_str(), *v))),
            })
        })
    }

    fn write_item(
        &self,
        me: &Me,
        w: &ItemWrite,
        on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<WriteOutcome, Error> {
        let announce = |outcome: &WriteOutcome| {
            if let WriteOutcome::Written(item, change) = outcome {
                on_commit(change, item);
            }
        };
        self.write_then(|tx| item_write::write_item(tx, me, w), announce)
    }

    fn write_items(
        &self,
        me: &Me,
        writes: &[ItemWrite],
        on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<Vec<Result<WriteOutcome, Error>>, Error> {
        let announce = |outcomes: &Vec<Result<WriteOutcome, Error>>| {
            let last = outcomes.iter().rev().find_map(|o| match o {
                Ok(WriteOutcome::Written(item, change)) => Some((change, item)),
                _ => None,
            });
            if let Some((change, item)) = last {
                on_commit(change, item);
            }
        };
        self.write_then(
            |tx| {
                let mut outcomes = Vec::with_capacity(writes.len());
                for w in writes {
                    // Each write on its own savepoint: a refusal leaves nothing of it.
                    tx.exec("SAVEPOINT item", [])?;
                    match item_write::write_item(tx, me, w) {
                        Ok(outcome) => {
                            tx.exec("RELEASE item", [])?;
                            outcomes.push(Ok(outcome));
                        }
                        Err(e) if e.is_refusal() => {
                            tx.exec("ROLLBACK TO item", [])?;
                            tx.exec("RELEASE item", [])?;
                            outcomes.push(Err(e));
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(outcomes)
            },
            announce,
        )
    }

    fn changes_since(&self, me: &Me, since: i64) -> Result<Vec<Change>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE {} AND last_change > ?3
                 ORDER BY last_change",
                readable("", '?')
            ))?;
            let rows = stmt.query_map(
                params![me.user_id.to_string(), me.team_id.to_string(), since],
                library_from_row,
            )?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.change());
            }
            Ok(out)
        })
    }

    fn device_active(&self, device_id: Uuid) -> Result<bool, Error> {
        self.read(|conn| {
            let revoked: Option<bool> = conn
                .row(
                    "SELECT revoked FROM devices WHERE id = ?1",
                    [device_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(revoked == Some(false))
        })
    }

    fn blob(&self, sha256: &str) -> Result<Option<BlobRow>, Error> {
        self.read(|conn| {
            Ok(conn
                .row(
                    "SELECT size, mime FROM blobs WHERE sha256 = ?1",
                    [sha256],
                    |r| {
                        Ok(BlobRow {
                            size: to_u64(r.get(0)?),
                            mime: r.get(1)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn insert_blob(&self, by: &Me, sha256: &str, row: &BlobRow, now: i64) -> Result<(), Error> {
        let size = i64::try_from(row.size).unwrap_or(i64::MAX);
        let user = by.user_id.to_string();
        self.write(|tx| {
            let inserted = tx.exec(
                "INSERT OR IGNORE INTO blobs (sha256, size, mime, created_at, uploaded_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![sha256, size, row.mime, now, user],
            )?;
            if inserted > 0 {
                tx.exec(
                    "UPDATE users SET stored_bytes = stored_bytes + ?1 WHERE id = ?2",
                    params![size, user],
                )?;
            }
            Ok(())
        })
    }

    fn stored_bytes(&self, user_id: Uuid) -> Result<u64, Error> {
        self.read(|conn| {
            let bytes: Option<i64> = conn
                .row(
                    "SELECT stored_bytes FROM users WHERE id = ?1",
                    [user_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(to_u64(bytes.unwrap_or(0)))
        })
    }

    fn blob_readable(&self, me: &Me, sha256: &str) -> Result<bool, Error> {
        self.read(|conn| {
            Ok(conn.row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM item_blobs b
                        JOIN libraries l ON l.id = b.library_id
                        WHERE b.sha256 = ?3 AND {})",
                    readable("l.", '?')
                ),
                params![me.user_id.to_string(), me.team_id.to_string(), sha256],
                |r| r.get(0),
            )?)
        })
    }

    fn report_usage(
        &self,
        me: &Me,
        library_id: Uuid,
        counts: &[UsageCount],
        now: i64,
    ) -> Result<usize, Error> {
        self.write(|tx| {
            policy::check_read(me, load_library(tx, library_id)?)?;
            let (lib, device) = (library_id.to_string(), me.device_id.to_string());
            let mut known = tx.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM items WHERE library_id = ?1 AND key = ?2)",
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO usage (library_id, key, device_id, day, count, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (library_id, key, device_id, day) DO UPDATE SET
                    count = excluded.count, updated_at = excluded.updated_at",
            )?;
            let mut ignored = 0;
            let mut days = std::collections::BTreeSet::new();
            for c in counts {
                if !known.query_row(params![lib, c.key], |r| r.get::<_, bool>(0))? {
                    ignored += 1;
                    continue;
                }
                stmt.execute(params![lib, c.key, device, c.day, i64::from(c.count), now])?;
                days.insert(c.day.as_str());
            }
            let mut fired = tx.prepare_cached(
                "SELECT coalesce(sum(count), 0) FROM usage WHERE device_id = ?1 AND day = ?2",
            )?;
            for day in days {
                let total: i64 = fired.query_row(params![device, day], |r| r.get(0))?;
                if total > i64::from(MAX_FIRES_PER_DAY) {
                    return Err(too_many_fires(day, total));
                }
            }
            Ok(ignored)
        })
    }

    fn usage(&self, me: &Me, query: &UsageQuery) -> Result<Vec<UsageTotal>, Error> {
        self.read(|conn| {
            policy::check_write(me, load_library(conn, query.library_id)?)?;
            let mut stmt = conn.prepare_cached(
                "SELECT u.key, sum(u.count), count(DISTINCT u.device_id) FROM usage u
                 WHERE u.library_id = ?1 AND u.day >= ?2 AND u.count > 0
                   AND (?3 IS NULL
                        OR u.device_id IN (SELECT d.id FROM devices d WHERE d.user_id = ?3))
                 GROUP BY u.key
                 ORDER BY 2 DESC, u.key
                 LIMIT ?4",
            )?;
            let rows = stmt.query_map(
                params![
                    query.library_id.to_string(),
                    query.since_day,
                    query.user.map(|u| u.to_string()),
                    usage_limit()
                ],
                |r| usage_total_from(r),
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn report_missed(&self, me: &Me, searches: &[MissedSearch], now: i64) -> Result<(), Error> {
        self.write(|tx| {
            let (team, device) = (me.team_id.to_string(), me.device_id.to_string());
            let mut stmt = tx.prepare_cached(
                "INSERT INTO missed (team_id, device_id, query, day, count, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (device_id, query, day) DO UPDATE SET
                    count = excluded.count, updated_at = excluded.updated_at",
            )?;
            for m in searches {
                stmt.execute(params![
                    team,
                    device,
                    m.query,
                    m.day,
                    i64::from(m.count),
                    now
                ])?;
            }
            Ok(())
        })
    }

    fn missed(
        &self,
        me: &Me,
        since_day: &str,
        user: Option<Uuid>,
    ) -> Result<Vec<MissedTotal>, Error> {
        policy::may_read_missed(me)?;
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT m.query, sum(m.count), count(DISTINCT m.device_id) FROM missed m
                 WHERE m.team_id = ?1 AND m.day >= ?2 AND m.count > 0
                   AND (?3 IS NULL
                        OR m.device_id IN (SELECT d.id FROM devices d WHERE d.user_id = ?3))
                 GROUP BY m.query
                 ORDER BY 2 DESC, m.query
                 LIMIT ?4",
            )?;
            let rows = stmt.query_map(
                params![
                    me.team_id.to_string(),
                    since_day,
                    user.map(|u| u.to_string()),
                    usage_limit()
                ],
                |r| missed_total_from(r),
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn create_signin(&self, n: &NewSignin) -> Result<(), Error> {
        self.write(|tx| {
            tx.exec(
                "DELETE FROM signins WHERE expires_at < ?1",
                [n.now - SIGNIN_KEEP_MS],
            )?;
            tx.exec(
                "INSERT INTO signins (id, secret_hash, code_hash, device_name, user_name,
                                      app_version, web, ip, created_at, expires_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending')",
                params![
                    n.id.to_string(),
                    n.secret_hash,
                    n.code_hash,
                    n.device_name,
                    n.user_name,
                    n.app_version,
                    n.web,
                    n.ip,
                    n.now,
                    n.expires_at
                ],
            )?;
            Ok(())
        })
    }

    fn signin_by_code(&self, code_hash: &str, now: i64) -> Result<Option<SigninRow>, Error> {
        self.read(|conn| {
            Ok(conn
                .row(
                    &format!(
                        "SELECT {SIGNIN_COLUMNS} FROM signins
                         WHERE code_hash = ?1 AND state = 'pending' AND expires_at > ?2"
                    ),
                    params![code_hash, now],
                    |r| signin_from(r),
                )
                .optional()?)
        })
    }

    fn decide_signin(
        &self,
        me: &Me,
        code_hash: &str,
        verdict: SigninVerdict,
        now: i64,
    ) -> Result<(), Error> {
        let (state, role) = verdict_columns(me, verdict)?;
        self.write(|tx| {
            let changed = tx.exec(
                "UPDATE signins SET state = ?1, approver = ?2, member_role = ?3
                 WHERE code_hash = ?4 AND state = 'pending' AND expires_at > ?5",
                params![state, me.device_id.to_string(), role, code_hash, now],
            )?;
            if changed == 0 {
                return Err(no_pending_signin());
            }
            Ok(())
        })
    }

    fn collect_signin(
        &self,
        id: Uuid,
        secret_hash: &str,
        now: i64,
    ) -> Result<Option<SigninRow>, Error> {
        self.write(|tx| {
            let row = tx
                .row(
                    &format!(
                        "SELECT {SIGNIN_COLUMNS} FROM signins WHERE id = ?1 AND secret_hash = ?2"
                    ),
                    params![id.to_string(), secret_hash],
                    |r| signin_from(r),
                )
                .optional()?;
            let Some(mut row) = row else {
                return Ok(None);
            };
            if collect(&mut row, now) {
                tx.exec("DELETE FROM signins WHERE id = ?1", [id.to_string()])?;
            }
            Ok(Some(row))
        })
    }

    fn history(&self, me: &Me, library_id: Uuid, key: &str) -> Result<Vec<ItemVersion>, Error> {
        self.read(|conn| {
            policy::check_read(me, load_library(conn, library_id)?)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS}
                 FROM item_history h JOIN devices d ON d.id = h.device_id
                 JOIN users u ON u.id = d.user_id
                 WHERE h.library_id = ?1 AND h.key = ?2 ORDER BY h.version DESC"
            ))?;
            let rows = stmt.query_map(params![library_id.to_string(), key], |r| version_from(r))?;
            let versions = rows.collect::<Result<Vec<_>, _>>()?;
            if versions.is_empty() {
                return Err(no_item(key));
            }
            Ok(versions)
        })
    }

    fn set_role(&self, me: &Me, user_id: Uuid, role: Role) -> Result<(), Error> {
        policy::may_set_roles(me)?;
        self.write(|tx| {
            let changed = tx.exec(
                "UPDATE users SET role = ?1
                 WHERE id = ?2 AND team_id = ?3 AND removed_at IS NULL",
                params![role.as_str(), user_id.to_string(), me.team_id.to_string()],
            )?;
            if changed == 0 {
                return Err(Error::NotFound("no such member".into()));
            }
            let owners: i64 = tx.row(
                "SELECT count(*) FROM users WHERE team_id = ?1 AND role = 'owner'",
                [me.team_id.to_string()],
                |r| r.get(0),
            )?;
            policy::keeps_an_owner(owners)
        })
    }

    fn open_codes(&self, me: &Me, now: i64) -> Result<Vec<CodeInfo>, Error> {
        policy::may_list_codes(me)?;
        let rows = self.read(|conn| team_codes(conn, me.team_id, now))?;
        Ok(open_code_infos(rows, now))
    }

    fn cancel_code(&self, me: &Me, id: &str, now: i64) -> Result<(), Error> {
        self.write(|tx| {
            let hash = code_to_cancel(me, team_codes(tx, me.team_id, now)?, id, now)?;
            tx.exec(
                "UPDATE codes SET cancelled_at = ?1 WHERE hash = ?2",
                params![now, hash],
            )?;
            Ok(())
        })
    }

    fn remove_member(&self, me: &Me, user_id: Uuid, now: i64) -> Result<Vec<Uuid>, Error> {
        let uid = user_id.to_string();
        self.write(|tx| {
            let team = tx
                .row(
                    "SELECT team_id FROM users WHERE id = ?1 AND removed_at IS NULL",
                    [&uid],
                    |r| r.uuid(0),
                )
                .optional()?;
            policy::may_remove_member(me, user_id, team)?;
            let devices = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id FROM devices WHERE user_id = ?1 AND revoked = 0 ORDER BY id",
                )?;
                let rows = stmt.query_map([&uid], |r| r.uuid(0))?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            tx.exec("UPDATE devices SET revoked = 1 WHERE user_id = ?1", [&uid])?;
            tx.exec(
                "UPDATE codes SET cancelled_at = ?1
                 WHERE cancelled_at IS NULL
                   AND (user_id = ?2 OR created_by IN (SELECT id FROM devices WHERE user_id = ?2))",
                params![now, uid],
            )?;
            tx.exec(
                "UPDATE signins SET state = 'denied'
                 WHERE state = 'approved'
                   AND approver IN (SELECT id FROM devices WHERE user_id = ?1)",
                [&uid],
            )?;
            tx.exec("DELETE FROM identities WHERE user_id = ?1", [&uid])?;
            tx.exec(
                "UPDATE users SET removed_at = ?1 WHERE id = ?2",
                params![now, uid],
            )?;
            Ok(devices)
        })
    }

    fn token_refusal(&self, token_hash: &str) -> Result<TokenRefusal, Error> {
        self.read(|conn| {
            let found = conn
                .row(
                    "SELECT d.revoked, u.removed_at IS NOT NULL, t.name
                     FROM devices d JOIN users u ON u.id = d.user_id
                     JOIN teams t ON t.id = u.team_id
                     WHERE d.token_hash = ?1",
                    [token_hash],
                    |r| Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?, r.get(2)?)),
                )
                .optional()?;
            Ok(token_refusal(found))
        })
    }

    fn device_me(&self, device_id: Uuid) -> Result<Option<Me>, Error> {
        self.read(|conn| {
            Ok(conn
                .row(
                    &format!("SELECT {ME_COLUMNS} {ME_FROM} WHERE d.id = ?1 AND d.revoked = 0"),
                    [device_id.to_string()],
                    me_from_row,
                )
                .optional()?)
        })
    }

    fn stats(&self) -> Result<Stats, Error> {
        self.read(|conn| {
            let count =
                |sql: &str| -> Result<u64, Error> { Ok(to_u64(conn.row(sql, [], |r| r.get(0))?)) };
            Ok(Stats {
                libraries: count("SELECT count(*) FROM libraries")?,
                live_items: count("SELECT count(*) FROM items WHERE deleted = 0")?,
                tombstones: count("SELECT count(*) FROM items WHERE deleted = 1")?,
                users: count("SELECT count(*) FROM users")?,
                devices: count("SELECT count(*) FROM devices WHERE revoked = 0")?,
                blobs: count("SELECT count(*) FROM blobs")?,
            })
        })
    }
}

/// The team's invite and pairing codes that are not cancelled, used up or expired at
/// `now` (those whose maker lost the right are still among them: see `is_open`).
fn team_codes(
    conn: &Connection,
    team: Uuid,
    now: i64,
) -> Result<Vec<(CodeRow, ListedCode)>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LISTED_CODE_COLUMNS} {CODE_FROM}
         WHERE c.team_id = ?1 AND c.kind IN ('invite', 'pairing') AND c.cancelled_at IS NULL
           AND c.uses_left > 0 AND (c.expires_at IS NULL OR c.expires_at > ?2)
         ORDER BY c.created_at, c.hash"
    ))?;
    let rows = stmt.query_map(params![team.to_string(), now], |r| listed_code_from(r))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use quickreply_proto::api::{ItemDoc, VariableDoc};

    use super::schema::SCHEMA_VERSION;
    use super::*;

    fn join(code_hash: &str, token: &str, name: &str) -> Join {
        Join {
            code_hash: code_hash.into(),
            token_hash: token.into(),
            device_name: name.into(),
            user_name: None,
            app_version: "t".into(),
            team_name: "团队".into(),
            now: 1_000,
        }
    }

    fn var(name: &str) -> Option<ItemDoc> {
        Some(ItemDoc::Variable(VariableDoc {
            name: name.into(),
            value: "v".into(),
            description: String::new(),
            overridable: false,
            example: false,
        }))
    }

    #[test]
    fn a_version_1_database_gains_the_later_tables() -> Result<(), Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.db");
        drop(SqliteStore::open(&path)?);
        {
            let conn = Connection::open(&path)?;
            conn.execute_batch(
                "DROP TABLE usage; DROP TABLE signins; DROP TABLE item_history; DROP TABLE missed;
                 DROP INDEX codes_team; ALTER TABLE codes DROP COLUMN cancelled_at;
                 ALTER TABLE users DROP COLUMN removed_at;
                 ALTER TABLE items DROP COLUMN writer; ALTER TABLE items DROP COLUMN size;
                 ALTER TABLE blobs DROP COLUMN uploaded_by;
                 ALTER TABLE users DROP COLUMN stored_bytes;
                 DROP TABLE scans; DROP TABLE identities; DROP TABLE scan_settings;
                 DROP TABLE suggestions;
                 PRAGMA user_version = 1;",
            )?;
        }
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let mut rows = 0;
        rows += conn.query_row(
            "SELECT count(*) FROM users WHERE removed_at IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        rows += conn.query_row(
            "SELECT count(*) FROM codes WHERE cancelled_at IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        for table in ["usage", "signins", "item_history", "missed", "suggestions"] {
            rows += conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            })?;
        }
        assert_eq!((version, rows), (SCHEMA_VERSION, 0));
        Ok(())
    }

    #[test]
    fn a_version_5_database_charges_existing_items_to_their_last_writer() -> Result<(), Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path)?;
        store.ensure_setup_code("h1", 0)?;
        let me = store.join(&join("h1", "t1", "pc"))?;
        let write = ItemWrite {
            library_id: me.personal_library,
            key: "var:a".into(),
            if_match: 0,
            op: "o1".into(),
            doc: var("a"),
            now: 7,
            quota: 0,
        };
        store.write_item(&me, &write, &|_, _| {})?;
        let bytes =
            serde_json::to_string(&write.doc).map_err(|e| Error::internal(e.to_string()))?;
        assert_eq!(store.stored_bytes(me.user_id)?, bytes.len() as u64);
        drop(store);
        {
            let conn = Connection::open(&path)?;
            conn.execute_batch(
                "ALTER TABLE items DROP COLUMN writer; ALTER TABLE items DROP COLUMN size;
                 ALTER TABLE blobs DROP COLUMN uploaded_by;
                 ALTER TABLE users DROP COLUMN stored_bytes;
                 DROP TABLE scans; DROP TABLE identities; DROP TABLE scan_settings;
                 DROP TABLE suggestions;
                 PRAGMA user_version = 5;",
            )?;
        }
        let store = SqliteStore::open(&path)?;
        assert_eq!(store.stored_bytes(me.user_id)?, bytes.len() as u64);
        Ok(())
    }

    #[test]
    fn setup_then_versions_and_heads_move_together() -> Result<(), Error> {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(&dir.path().join("s.db"))?;
        assert!(store.ensure_setup_code("h1", 0)?);
        assert!(store.ensure_setup_code("h2", 0)?, "replaced while unused");
        assert!(matches!(
            store.join(&join("h1", "t1", "pc")),
            Err(Error::InvalidCode(_))
        ));
        let me = store.join(&join("h2", "t1", "pc"))?;
        assert_eq!(me.role, Role::Owner);
        assert_eq!(me.team_name, "团队");
        assert!(!store.ensure_setup_code("h3", 0)?);
        assert_eq!(
            store.authenticate("t1", 5)?.map(|m| m.device_id),
            Some(me.device_id)
        );
        assert_eq!(store.authenticate("nope", 5)?, None);

        let write = |if_match, op: &str, doc| ItemWrite {
            library_id: me.personal_library,
            key: "var:a".into(),
            if_match,
            op: op.into(),
            doc,
            now: 7,
            quota: 0,
        };
        let WriteOutcome::Written(item, change) =
            store.write_item(&me, &write(0, "o1", var("a")), &|_, _| {})?
        else {
            return Err(Error::internal("first write not written"));
        };
        assert_eq!((item.version, item.seq, change.head), (1, 1, 1));
        assert!(matches!(
            store.write_item(&me, &write(0, "o1", var("a")), &|_, _| {})?,
            WriteOutcome::Replay(_)
        ));
        assert!(matches!(
            store.write_item(&me, &write(0, "o2", var("a")), &|_, _| {})?,
            WriteOutcome::Conflict(Some(_))
        ));
        let WriteOutcome::Written(t, _) =
            store.write_item(&me, &write(1, "o3", None), &|_, _| {})?
        else {
            return Err(Error::internal("delete not written"));
        };
        assert!(t.deleted && t.doc.is_none() && t.version == 2 && t.seq == 2);
        let changes = store.changes_raw(&me, me.personal_library, 0, 10)?;
        assert_eq!(changes.items.len(), 1);
        assert_eq!(changes.cursor, 2);
        assert_eq!(store.changes_since(&me, 0)?.len(), 1);
        Ok(())
    }
}
