//! The PostgreSQL backend: several server instances on one database, with `LISTEN/NOTIFY`
//! fan-out of live changes.
//!
//! Same tables and the same answers as [`super::SqliteStore`]; what SQLite's single
//! writer gives for free is made explicit here:
//!
//! - **Sequence numbers.** A write locks its library's row (`SELECT … FOR NO KEY UPDATE`)
//!   before it reads the item and the head, so writes to one library are serialised
//!   across every instance and `seq` stays strictly increasing and gap-free.
//! - **Change numbers** (SSE event ids) come from a counter row (`meta.change_no`) that
//!   the write updates late in its transaction and keeps locked until it commits: the next
//!   write gets its number only after this one committed, so change numbers increase in
//!   commit order and a client resuming with `Last-Event-ID: N` never misses a change
//!   below N that committed later. (A `SEQUENCE` would hand out numbers in start order,
//!   not commit order, so it is not used.) The price: writes to *different* libraries
//!   also take turns for the last part of their transaction, like SQLite's writer.
//! - **Fan-out.** Inside the write's transaction, `NOTIFY quickreply_changes` carries the
//!   change as JSON; PostgreSQL delivers it on commit, to every listener, in commit order.
//!   Every instance keeps one [`Listener`] connection and feeds what it hears into its SSE
//!   broadcast; the instance that wrote does not announce the change by itself, so no
//!   change is announced twice and every instance announces in the same (commit) order.
//!   Revocations are notified too (`{"kind":"revoked"}`): every instance drops its token
//!   cache and ends the device's event streams. After a lost listener connection, the
//!   listener reconnects, drops the token cache and re-announces every library that
//!   changed after the last change it heard.
//! - **Joins** take the `meta.join` row lock (a setup code can make one owner even when
//!   several instances start at once; the last use of a code cannot be spent twice), and
//!   team library creation locks the team's row (names stay unique per team).
//! - **Images** are kept in the database (`blob_data`), so every instance serves every
//!   image without a shared directory.
//!
//! The schema is created and upgraded by numbered migrations recorded in
//! `schema_version`, under a transaction-scoped advisory lock so that instances starting
//! together do not race (`schema`).
//!
//! The [`Store`] methods are blocking: they run their queries on the Tokio runtime the
//! store was opened on (`Handle::block_on`), so call them from `spawn_blocking` (as the
//! HTTP layer does), never from async code.
//!
//! This module is the [`Store`] implementation (its SQL); the connection pool and the
//! transactions are in `pool`, the migrations in `schema`, how a cell is read (for the
//! shared decoders of `store::rows`) and the statements several methods share in `rows`,
//! the pipelined item write in `item_write` (its decision is the shared one,
//! `store::write`) and the `LISTEN` side in `listener`.

use deadpool_postgres::Pool;
use quickreply_proto::api::{
    CodeInfo, CreateLibrary, DeviceInfo, Digest, Item, ItemVersion, LibraryDigest, LibraryInfo,
    MAX_FIRES_PER_DAY, Me, MissedSearch, MissedTotal, Role, StatusReport, UsageCount, UsageTotal,
};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use self::listener::Payload;
use self::pool::{all, exec, one, opt};
use self::rows::{insert_device, insert_user, library_from_row, load_library, me_from_row};
use super::raw::{RawChanges, raw_changes_page, raw_item_from};
use super::rows::{
    CODE_COLUMNS, CODE_FROM, DEVICE_COLUMNS, LIBRARY_COLUMNS, LISTED_CODE_COLUMNS, ME_COLUMNS,
    ME_FROM, SIGNIN_COLUMNS, VERSION_COLUMNS, code_from, device_from, listed_code_from,
    missed_total_from, signin_from, usage_total_from, version_from,
};
use super::write::{blobs as doc_blobs, doc_json};
use super::{
    BlobRow, Change, CodeRow, ItemWrite, Join, LAST_SEEN_EVERY_MS, ListedCode, NewInvite,
    NewSignin, SIGNIN_KEEP_MS, SigninRow, SigninVerdict, Spend, Stats, Store, TokenRefusal,
    UsageQuery, WriteOutcome, changes_sql, code_to_cancel, collect, existing_library,
    library_id_taken, library_name_taken, no_item, no_pending_signin, open_code_infos, page_bytes,
    page_fetch, policy, readable, setup_unused, spend_code, to_u64, token_refusal, too_many_fires,
    usage_limit, verdict_columns,
};
use crate::Error;

mod item_write;
mod listener;
mod pool;
mod rows;
mod scan;
mod schema;
mod stale;
mod suggest;

pub use listener::{CHANNEL, Heard, LISTENER_NAME, Listener};
pub use pool::parse_url;

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    config: tokio_postgres::Config,
    runtime: tokio::runtime::Handle,
    target: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Store for PgStore {
    fn ensure_setup_code(&self, code_hash: &str, now: i64) -> Result<bool, Error> {
        self.run(self.write(async |tx| {
            exec(
                tx,
                "SELECT value FROM meta WHERE key = 'join' FOR UPDATE",
                &[],
            )
            .await?;
            let users: i64 = one(tx, "SELECT count(*) FROM users", &[])
                .await?
                .try_get(0)?;
            if users > 0 {
                return Ok(false);
            }
            exec(tx, "DELETE FROM codes WHERE kind = 'setup'", &[]).await?;
            exec(
                tx,
                "INSERT INTO codes (hash, kind, role, uses_left, created_at)
                 VALUES ($1, 'setup', 'owner', 1, $2)",
                &[&code_hash, &now],
            )
            .await?;
            Ok(true)
        }))
    }

    fn join(&self, join: &Join) -> Result<Me, Error> {
        self.run(self.write(async |tx| {
            exec(
                tx,
                "SELECT value FROM meta WHERE key = 'join' FOR UPDATE",
                &[],
            )
            .await?;
            let code = opt(
                tx,
                &format!("SELECT {CODE_COLUMNS} {CODE_FROM} WHERE c.hash = $1 FOR UPDATE OF c"),
                &[&join.code_hash],
            )
            .await?
            .map(|r| code_from(&r))
            .transpose()?;
            let device_id = match spend_code(code, join.now)? {
                Spend::Setup => {
                    setup_unused(
                        one(tx, "SELECT count(*) FROM users", &[])
                            .await?
                            .try_get(0)?,
                    )?;
                    let team_id = Uuid::now_v7();
                    exec(
                        tx,
                        "INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)",
                        &[&team_id, &join.team_name, &join.now],
                    )
                    .await?;
                    let (user_id, _) =
                        insert_user(tx, team_id, &join.member_name(), Role::Owner, join.now)
                            .await?;
                    exec(tx, "DELETE FROM codes WHERE hash = $1", &[&join.code_hash]).await?;
                    insert_device(tx, user_id, join).await?
                }
                Spend::Invite { team_id, role } => {
                    let (user_id, _) =
                        insert_user(tx, team_id, &join.member_name(), role, join.now).await?;
                    insert_device(tx, user_id, join).await?
                }
                Spend::Pairing { user_id } => insert_device(tx, user_id, join).await?,
            };
            exec(
                tx,
                "UPDATE codes SET uses_left = uses_left - 1 WHERE hash = $1",
                &[&join.code_hash],
            )
            .await?;
            me_from_row(
                &one(
                    tx,
                    &format!("SELECT {ME_COLUMNS} {ME_FROM} WHERE d.id = $1"),
                    &[&device_id],
                )
                .await?,
            )
        }))
    }

    fn authenticate(&self, token_hash: &str, now: i64) -> Result<Option<Me>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let Some(row) = opt(
                &client,
                &format!(
                    "SELECT {ME_COLUMNS}, d.revoked, d.last_seen {ME_FROM}
                     WHERE d.token_hash = $1"
                ),
                &[&token_hash],
            )
            .await?
            else {
                return Ok(None);
            };
            let me = me_from_row(&row)?;
            let revoked: bool = row.try_get(8)?;
            let last_seen: Option<i64> = row.try_get(9)?;
            if revoked {
                return Ok(None);
            }
            if last_seen.is_none_or(|seen| now - seen >= LAST_SEEN_EVERY_MS) {
                exec(
                    &client,
                    "UPDATE devices SET last_seen = $1 WHERE id = $2",
                    &[&now, &me.device_id],
                )
                .await?;
            }
            Ok(Some(me))
        })
    }

    fn create_invite(&self, me: &Me, invite: &NewInvite) -> Result<(), Error> {
        policy::may_invite(me, &invite.request)?;
        let req = &invite.request;
        let (kind, user, role) = if req.pairing {
            ("pairing", Some(me.user_id), me.role)
        } else {
            ("invite", None, req.role)
        };
        let uses = i64::from(req.uses);
        self.run(async {
            let client = self.pool.get().await?;
            exec(
                &client,
                "INSERT INTO codes (hash, kind, team_id, user_id, role, uses_left, expires_at,
                                    created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &invite.code_hash,
                    &kind,
                    &me.team_id,
                    &user,
                    &role.as_str(),
                    &uses,
                    &invite.expires_at,
                    &me.device_id,
                    &invite.now,
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn devices(&self, me: &Me) -> Result<Vec<DeviceInfo>, Error> {
        let only_user = (me.role != Role::Owner).then_some(me.user_id);
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                &format!(
                    "SELECT {DEVICE_COLUMNS}
                     FROM devices d JOIN users u ON u.id = d.user_id
                     WHERE u.team_id = $1 AND ($2::uuid IS NULL OR u.id = $2)
                       AND u.removed_at IS NULL
                     ORDER BY d.created_at, d.id"
                ),
                &[&me.team_id, &only_user],
            )
            .await?;
            rows.iter().map(device_from).collect()
        })
    }

    fn revoke_device(&self, me: &Me, device_id: Uuid) -> Result<(), Error> {
        let payload = serde_json::to_string(&Payload::Revoked { device_id })
            .map_err(|e| Error::internal(format!("cannot encode a notification: {e}")))?;
        self.run(self.write(async |tx| {
            let found = opt(
                tx,
                "SELECT u.id, u.team_id FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE d.id = $1",
                &[&device_id],
            )
            .await?;
            let found = match found {
                Some(r) => Some((r.try_get::<_, Uuid>(0)?, r.try_get::<_, Uuid>(1)?)),
                None => None,
            };
            policy::may_revoke(me, found)?;
            exec(
                tx,
                "UPDATE devices SET revoked = TRUE WHERE id = $1",
                &[&device_id],
            )
            .await?;
            // Delivered on commit: every instance forgets its cached tokens.
            exec(
                tx,
                "SELECT pg_notify('quickreply_changes', $1)",
                &[&payload],
            )
            .await?;
            Ok(())
        }))
    }

    fn report_status(&self, me: &Me, report: &StatusReport) -> Result<(), Error> {
        let cursors = serde_json::to_string(&report.cursors)
            .map_err(|e| Error::internal(format!("cursors: {e}")))?;
        self.run(async {
            let client = self.pool.get().await?;
            exec(
                &client,
                "UPDATE devices SET app_version = $1, cursors = $2 WHERE id = $3",
                &[&report.app_version, &cursors, &me.device_id],
            )
            .await?;
            Ok(())
        })
    }

    fn libraries(&self, me: &Me) -> Result<Vec<LibraryInfo>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                &format!(
                    "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE {}
                     ORDER BY kind = 'team', created_at, id",
                    readable("", '$')
                ),
                &[&me.user_id, &me.team_id],
            )
            .await?;
            rows.iter()
                .map(|r| Ok(library_from_row(r)?.info(me)))
                .collect()
        })
    }

    fn create_library(
        &self,
        me: &Me,
        req: &CreateLibrary,
        now: i64,
    ) -> Result<(LibraryInfo, bool), Error> {
        policy::may_create_library(me)?;
        let result = self.run(self.write(async |tx| {
            // One creation per team at a time: the name check below cannot race.
            exec(
                tx,
                "SELECT 1 FROM teams WHERE id = $1 FOR NO KEY UPDATE",
                &[&me.team_id],
            )
            .await?;
            if let Some(existing) = load_library(tx, req.id).await? {
                return existing_library(me, &existing);
            }
            let taken: bool = one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM libraries
                                WHERE kind = 'team' AND team_id = $1 AND name = $2)",
                &[&me.team_id, &req.name],
            )
            .await?
            .try_get(0)?;
            if taken {
                return Err(library_name_taken(&req.name));
            }
            exec(
                tx,
                "INSERT INTO libraries (id, kind, name, team_id, created_at)
                 VALUES ($1, 'team', $2, $3, $4)",
                &[&req.id, &req.name, &me.team_id, &now],
            )
            .await?;
            let row = load_library(tx, req.id)
                .await?
                .ok_or_else(|| Error::internal("a library vanished while being created"))?;
            Ok((row.info(me), true))
        }));
        match result {
            // The same id created at the same moment by another team.
            Err(Error::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(library_id_taken())
            }
            other => other,
        }
    }

    fn changes_raw(
        &self,
        me: &Me,
        library_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<RawChanges, Error> {
        let fetch = page_fetch(limit);
        self.run(self.read(async |tx| {
            let lib = policy::check_read(me, load_library(tx, library_id).await?)?;
            let rows = all(
                tx,
                &changes_sql('$'),
                &[&library_id, &since, &fetch, &page_bytes()],
            )
            .await?;
            let items = rows
                .iter()
                .map(raw_item_from)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(raw_changes_page(items, limit, since, lib.head))
        }))
    }

    fn library_head(&self, me: &Me, library_id: Uuid) -> Result<i64, Error> {
        self.run(
            self.read(async |tx| {
                Ok(policy::check_read(me, load_library(tx, library_id).await?)?.head)
            }),
        )
    }

    fn digest(&self, me: &Me, library_id: Uuid) -> Result<LibraryDigest, Error> {
        self.run(self.read(async |tx| {
            let lib = policy::check_read(me, load_library(tx, library_id).await?)?;
            let rows = all(
                tx,
                "SELECT key, version FROM items WHERE library_id = $1 AND NOT deleted",
                &[&library_id],
            )
            .await?;
            let pairs = rows
                .iter()
                .map(|r| Ok((r.try_get::<_, &str>(0)?, r.try_get::<_, i64>(1)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(LibraryDigest {
                head: lib.head,
                digest: Digest::of(pairs),
            })
        }))
    }

    fn write_item(
        &self,
        me: &Me,
        w: &ItemWrite,
        _on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<WriteOutcome, Error> {
        let blobs: Vec<String> = doc_blobs(w).into_iter().map(str::to_string).collect();
        let doc_json = doc_json(w)?;
        self.run(self.write(async |tx| {
            item_write::write_item(tx, me, w, &blobs, doc_json.as_deref(), true).await
        }))
    }

    fn write_items(
        &self,
        me: &Me,
        writes: &[ItemWrite],
        _on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<Vec<Result<WriteOutcome, Error>>, Error> {
        let prepared = writes
            .iter()
            .map(|w| {
                let blobs: Vec<String> = doc_blobs(w).into_iter().map(str::to_string).collect();
                Ok((blobs, doc_json(w)?))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        self.run(self.write(async |tx| {
            let mut outcomes = Vec::with_capacity(writes.len());
            for (w, (blobs, doc_json)) in writes.iter().zip(&prepared) {
                // A refusal is answered before the write touches anything (see
                // `item_write::write_item`), so the transaction goes on.
                match item_write::write_item(tx, me, w, blobs, doc_json.as_deref(), false).await {
                    Ok(outcome) => outcomes.push(Ok(outcome)),
                    Err(e) if e.is_refusal() => outcomes.push(Err(e)),
                    Err(e) => return Err(e),
                }
            }
            let last = outcomes.iter().rev().find_map(|o| match o {
                Ok(WriteOutcome::Written(item, change)) => Some((change, item)),
                _ => None,
            });
            if let Some((change, item)) = last {
                item_write::notify_change(tx, change, item).await?;
            }
            Ok(outcomes)
        }))
    }

    fn changes_since(&self, me: &Me, since: i64) -> Result<Vec<Change>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                &format!(
                    "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE {} AND last_change > $3
                     ORDER BY last_change",
                    readable("", '$')
                ),
                &[&me.user_id, &me.team_id, &since],
            )
            .await?;
            rows.iter()
                .map(|r| Ok(library_from_row(r)?.change()))
                .collect()
        })
    }

    fn create_signin(&self, n: &NewSignin) -> Result<(), Error> {
        self.run(self.write(async |tx| {
            exec(
                tx,
                "DELETE FROM signins WHERE expires_at < $1",
                &[&(n.now - SIGNIN_KEEP_MS)],
            )
            .await?;
            exec(
                tx,
                "INSERT INTO signins (id, secret_hash, code_hash, device_name, user_name,
                                      app_version, web, ip, created_at, expires_at, state)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')",
                &[
                    &n.id,
                    &n.secret_hash,
                    &n.code_hash,
                    &n.device_name,
                    &n.user_name,
                    &n.app_version,
                    &n.web,
                    &n.ip,
                    &n.now,
                    &n.expires_at,
                ],
            )
            .await?;
            Ok(())
        }))
    }

    fn signin_by_code(&self, code_hash: &str, now: i64) -> Result<Option<SigninRow>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            opt(
                &client,
                &format!(
                    "SELECT {SIGNIN_COLUMNS} FROM signins
                     WHERE code_hash = $1 AND state = 'pending' AND expires_at > $2"
                ),
                &[&code_hash, &now],
            )
            .await?
            .as_ref()
            .map(signin_from)
            .transpose()
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
        self.run(async {
            let client = self.pool.get().await?;
            let changed = exec(
                &client,
                "UPDATE signins SET state = $1, approver = $2, member_role = $3
                 WHERE code_hash = $4 AND state = 'pending' AND expires_at > $5",
                &[&state, &me.device_id, &role, &code_hash, &now],
            )
            .await?;
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
        self.run(self.write(async |tx| {
            let row = opt(
                tx,
                &format!(
                    "SELECT {SIGNIN_COLUMNS} FROM signins WHERE id = $1 AND secret_hash = $2
                     FOR UPDATE"
                ),
                &[&id, &secret_hash],
            )
            .await?;
            let Some(mut row) = row.as_ref().map(signin_from).transpose()? else {
                return Ok(None);
            };
            if collect(&mut row, now) {
                exec(tx, "DELETE FROM signins WHERE id = $1", &[&id]).await?;
            }
            Ok(Some(row))
        }))
    }

    fn history(&self, me: &Me, library_id: Uuid, key: &str) -> Result<Vec<ItemVersion>, Error> {
        self.run(self.read(async |tx| {
            policy::check_read(me, load_library(tx, library_id).await?)?;
            let rows = all(
                tx,
                &format!(
                    "SELECT {VERSION_COLUMNS}
                     FROM item_history h JOIN devices d ON d.id = h.device_id
                     JOIN users u ON u.id = d.user_id
                     WHERE h.library_id = $1 AND h.key = $2 ORDER BY h.version DESC"
                ),
                &[&library_id, &key],
            )
            .await?;
            if rows.is_empty() {
                return Err(no_item(key));
            }
            rows.iter().map(version_from).collect()
        }))
    }

    fn set_role(&self, me: &Me, user_id: Uuid, role: Role) -> Result<(), Error> {
        policy::may_set_roles(me)?;
        // Every instance forgets its cached tokens (which carry roles), as after a
        // revocation; no stream belongs to the nil device.
        let payload = serde_json::to_string(&Payload::Revoked {
            device_id: Uuid::nil(),
        })
        .map_err(|e| Error::internal(format!("cannot encode a notification: {e}")))?;
        self.run(self.write(async |tx| {
            // The team row serialises role changes: two demotions cannot both see another
            // owner left.
            exec(
                tx,
                "SELECT id FROM teams WHERE id = $1 FOR UPDATE",
                &[&me.team_id],
            )
            .await?;
            let changed = exec(
                tx,
                "UPDATE users SET role = $1
                 WHERE id = $2 AND team_id = $3 AND removed_at IS NULL",
                &[&role.as_str(), &user_id, &me.team_id],
            )
            .await?;
            if changed == 0 {
                return Err(Error::NotFound("no such member".into()));
            }
            let owners: i64 = one(
                tx,
                "SELECT count(*) FROM users WHERE team_id = $1 AND role = 'owner'",
                &[&me.team_id],
            )
            .await?
            .try_get(0)?;
            policy::keeps_an_owner(owners)?;
            exec(
                tx,
                "SELECT pg_notify('quickreply_changes', $1)",
                &[&payload],
            )
            .await?;
            Ok(())
        }))
    }

    fn open_codes(&self, me: &Me, now: i64) -> Result<Vec<CodeInfo>, Error> {
        policy::may_list_codes(me)?;
        let rows = self.run(self.read(async |tx| team_codes(tx, me.team_id, now).await))?;
        Ok(open_code_infos(rows, now))
    }

    fn cancel_code(&self, me: &Me, id: &str, now: i64) -> Result<(), Error> {
        self.run(self.write(async |tx| {
            let hash = code_to_cancel(me, team_codes(tx, me.team_id, now).await?, id, now)?;
            exec(
                tx,
                "UPDATE codes SET cancelled_at = $1 WHERE hash = $2",
                &[&now, &hash],
            )
            .await?;
            Ok(())
        }))
    }

    fn remove_member(&self, me: &Me, user_id: Uuid, now: i64) -> Result<Vec<Uuid>, Error> {
        self.run(self.write(async |tx| {
            let team: Option<Uuid> = opt(
                tx,
                "SELECT team_id FROM users WHERE id = $1 AND removed_at IS NULL FOR UPDATE",
                &[&user_id],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            policy::may_remove_member(me, user_id, team)?;
            let devices = all(
                tx,
                "SELECT id FROM devices WHERE user_id = $1 AND NOT revoked ORDER BY id",
                &[&user_id],
            )
            .await?
            .iter()
            .map(|r| r.try_get::<_, Uuid>(0))
            .collect::<Result<Vec<_>, _>>()?;
            exec(
                tx,
                "UPDATE devices SET revoked = TRUE WHERE user_id = $1",
                &[&user_id],
            )
            .await?;
            exec(
                tx,
                "UPDATE codes SET cancelled_at = $1
                 WHERE cancelled_at IS NULL
                   AND (user_id = $2 OR created_by IN (SELECT id FROM devices WHERE user_id = $2))",
                &[&now, &user_id],
            )
            .await?;
            exec(
                tx,
                "UPDATE signins SET state = 'denied'
                 WHERE state = 'approved'
                   AND approver IN (SELECT id FROM devices WHERE user_id = $1)",
                &[&user_id],
            )
            .await?;
            exec(tx, "DELETE FROM identities WHERE user_id = $1", &[&user_id]).await?;
            exec(
                tx,
                "UPDATE users SET removed_at = $1 WHERE id = $2",
                &[&now, &user_id],
            )
            .await?;
            // Delivered on commit: every instance forgets its cached tokens and ends the
            // devices' streams.
            for device_id in &devices {
                let payload = serde_json::to_string(&Payload::Revoked {
                    device_id: *device_id,
                })
                .map_err(|e| Error::internal(format!("cannot encode a notification: {e}")))?;
                exec(
                    tx,
                    "SELECT pg_notify('quickreply_changes', $1)",
                    &[&payload],
                )
                .await?;
            }
            Ok(devices)
        }))
    }

    fn token_refusal(&self, token_hash: &str) -> Result<TokenRefusal, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let found = opt(
                &client,
                "SELECT d.revoked, u.removed_at IS NOT NULL, t.name
                 FROM devices d JOIN users u ON u.id = d.user_id
                 JOIN teams t ON t.id = u.team_id
                 WHERE d.token_hash = $1",
                &[&token_hash],
            )
            .await?
            .map(|r| -> Result<(bool, bool, String), Error> {
                Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            })
            .transpose()?;
            Ok(token_refusal(found))
        })
    }

    fn device_me(&self, device_id: Uuid) -> Result<Option<Me>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            opt(
                &client,
                &format!("SELECT {ME_COLUMNS} {ME_FROM} WHERE d.id = $1 AND NOT d.revoked"),
                &[&device_id],
            )
            .await?
            .as_ref()
            .map(me_from_row)
            .transpose()
        })
    }

    fn device_active(&self, device_id: Uuid) -> Result<bool, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let revoked: Option<bool> = opt(
                &client,
                "SELECT revoked FROM devices WHERE id = $1",
                &[&device_id],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            Ok(revoked == Some(false))
        })
    }

    fn blob(&self, sha256: &str) -> Result<Option<BlobRow>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            opt(
                &client,
                "SELECT size, mime FROM blobs WHERE sha256 = $1",
                &[&sha256],
            )
            .await?
            .map(|r| {
                Ok(BlobRow {
                    size: to_u64(r.try_get(0)?),
                    mime: r.try_get(1)?,
                })
            })
            .transpose()
        })
    }

    fn insert_blob(&self, by: &Me, sha256: &str, row: &BlobRow, now: i64) -> Result<(), Error> {
        self.run(self.write(async |tx| record_blob(tx, by, sha256, row, now).await))
    }

    fn stored_bytes(&self, user_id: Uuid) -> Result<u64, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let row = opt(
                &client,
                "SELECT stored_bytes FROM users WHERE id = $1",
                &[&user_id],
            )
            .await?;
            Ok(to_u64(match row {
                Some(r) => r.try_get(0)?,
                None => 0,
            }))
        })
    }

    fn keeps_blob_bytes(&self) -> bool {
        true
    }

    fn put_blob_bytes(
        &self,
        by: &Me,
        sha256: &str,
        row: &BlobRow,
        bytes: &[u8],
        now: i64,
    ) -> Result<(), Error> {
        self.run(self.write(async |tx| {
            record_blob(tx, by, sha256, row, now).await?;
            exec(
                tx,
                "INSERT INTO blob_data (sha256, data) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&sha256, &bytes],
            )
            .await?;
            Ok(())
        }))
    }

    fn blob_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            opt(
                &client,
                "SELECT data FROM blob_data WHERE sha256 = $1",
                &[&sha256],
            )
            .await?
            .map(|r| Ok(r.try_get(0)?))
            .transpose()
        })
    }

    fn blob_readable(&self, me: &Me, sha256: &str) -> Result<bool, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            Ok(one(
                &client,
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM item_blobs b
                        JOIN libraries l ON l.id = b.library_id
                        WHERE b.sha256 = $3 AND {})",
                    readable("l.", '$')
                ),
                &[&me.user_id, &me.team_id, &sha256],
            )
            .await?
            .try_get(0)?)
        })
    }

    fn report_usage(
        &self,
        me: &Me,
        library_id: Uuid,
        counts: &[UsageCount],
        now: i64,
    ) -> Result<usize, Error> {
        let keys: Vec<&str> = counts.iter().map(|c| c.key.as_str()).collect();
        let days: Vec<&str> = counts.iter().map(|c| c.day.as_str()).collect();
        let numbers: Vec<i64> = counts.iter().map(|c| i64::from(c.count)).collect();
        let ceiling = i64::from(MAX_FIRES_PER_DAY);
        self.run(self.write(async |tx| {
            policy::check_read(me, load_library(tx, library_id).await?)?;
            // One statement for the whole report; `counts` holds each (key, day) once, as
            // `ON CONFLICT DO UPDATE` requires. Keys the library never had are left out.
            let stored = exec(
                tx,
                "INSERT INTO usage (library_id, key, device_id, day, count, updated_at)
                 SELECT $1::uuid, u.key, $2::uuid, u.day, u.count, $3::bigint
                 FROM unnest($4::text[], $5::text[], $6::bigint[]) AS u(key, day, count)
                 WHERE EXISTS (SELECT 1 FROM items i WHERE i.library_id = $1 AND i.key = u.key)
                 ON CONFLICT (library_id, key, device_id, day) DO UPDATE SET
                    count = excluded.count, updated_at = excluded.updated_at",
                &[&library_id, &me.device_id, &now, &keys, &days, &numbers],
            )
            .await?;
            let past = opt(
                tx,
                "SELECT u.day, sum(u.count)::bigint FROM usage u
                 WHERE u.device_id = $1 AND u.day = ANY($2::text[])
                 GROUP BY u.day HAVING sum(u.count) > $3::bigint
                 ORDER BY u.day LIMIT 1",
                &[&me.device_id, &days, &ceiling],
            )
            .await?;
            if let Some(row) = past {
                let day: String = row.try_get(0)?;
                return Err(too_many_fires(&day, row.try_get(1)?));
            }
            Ok(counts
                .len()
                .saturating_sub(usize::try_from(stored).unwrap_or(usize::MAX)))
        }))
    }

    fn usage(&self, me: &Me, query: &UsageQuery) -> Result<Vec<UsageTotal>, Error> {
        let limit = usage_limit();
        self.run(self.read(async |tx| {
            policy::check_write(me, load_library(tx, query.library_id).await?)?;
            let rows = all(
                tx,
                "SELECT u.key, sum(u.count)::bigint, count(DISTINCT u.device_id)::bigint
                 FROM usage u
                 WHERE u.library_id = $1 AND u.day >= $2 AND u.count > 0
                   AND ($3::uuid IS NULL
                        OR u.device_id IN (SELECT d.id FROM devices d WHERE d.user_id = $3))
                 GROUP BY u.key
                 ORDER BY 2 DESC, u.key COLLATE \"C\"
                 LIMIT $4",
                &[&query.library_id, &query.since_day, &query.user, &limit],
            )
            .await?;
            rows.iter().map(usage_total_from).collect()
        }))
    }

    fn report_missed(&self, me: &Me, searches: &[MissedSearch], now: i64) -> Result<(), Error> {
        let queries: Vec<&str> = searches.iter().map(|m| m.query.as_str()).collect();
        let days: Vec<&str> = searches.iter().map(|m| m.day.as_str()).collect();
        let numbers: Vec<i64> = searches.iter().map(|m| i64::from(m.count)).collect();
        self.run(self.write(async |tx| {
            exec(
                tx,
                "INSERT INTO missed (team_id, device_id, query, day, count, updated_at)
                 SELECT $1::uuid, $2::uuid, m.query, m.day, m.count, $3::bigint
                 FROM unnest($4::text[], $5::text[], $6::bigint[]) AS m(query, day, count)
                 ON CONFLICT (device_id, query, day) DO UPDATE SET
                    count = excluded.count, updated_at = excluded.updated_at",
                &[&me.team_id, &me.device_id, &now, &queries, &days, &numbers],
            )
            .await?;
            Ok(())
        }))
    }

    fn missed(
        &self,
        me: &Me,
        since_day: &str,
        user: Option<Uuid>,
    ) -> Result<Vec<MissedTotal>, Error> {
        policy::may_read_missed(me)?;
        let limit = usage_limit();
        self.run(self.read(async |tx| {
            let rows = all(
                tx,
                "SELECT m.query, sum(m.count)::bigint, count(DISTINCT m.device_id)::bigint
                 FROM missed m
                 WHERE m.team_id = $1 AND m.day >= $2 AND m.count > 0
                   AND ($3::uuid IS NULL
                        OR m.device_id IN (SELECT d.id FROM devices d WHERE d.user_id = $3))
                 GROUP BY m.query
                 ORDER BY 2 DESC, m.query COLLATE \"C\"
                 LIMIT $4",
                &[&me.team_id, &since_day, &user, &limit],
            )
            .await?;
            rows.iter().map(missed_total_from).collect()
        }))
    }

    fn stats(&self) -> Result<Stats, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let row = one(
                &client,
                "SELECT (SELECT count(*) FROM libraries),
                        (SELECT count(*) FROM items WHERE NOT deleted),
                        (SELECT count(*) FROM items WHERE deleted),
                        (SELECT count(*) FROM users),
                        (SELECT count(*) FROM devices WHERE NOT revoked),
                        (SELECT count(*) FROM blobs)",
                &[],
            )
            .await?;
            let n = |i: usize| -> Result<u64, Error> { Ok(to_u64(row.try_get(i)?)) };
            Ok(Stats {
                libraries: n(0)?,
                live_items: n(1)?,
                tombstones: n(2)?,
                users: n(3)?,
                devices: n(4)?,
                blobs: n(5)?,
            })
        })
    }
}

/// The team's invite and pairing codes that are not cancelled, used up or expired at
/// `now` (those whose maker lost the right are still among them: see `is_open`).
async fn team_codes(
    tx: &deadpool_postgres::Transaction<'_>,
    team: Uuid,
    now: i64,
) -> Result<Vec<(CodeRow, ListedCode)>, Error> {
    let rows = all(
        tx,
        &format!(
            "SELECT {LISTED_CODE_COLUMNS} {CODE_FROM}
             WHERE c.team_id = $1 AND c.kind IN ('invite', 'pairing') AND c.cancelled_at IS NULL
               AND c.uses_left > 0 AND (c.expires_at IS NULL OR c.expires_at > $2)
             ORDER BY c.created_at, c.hash"
        ),
        &[&team, &now],
    )
    .await?;
    rows.iter().map(listed_code_from).collect()
}

/// A blob's record (idempotent); the first charges its size to `by` ([`super::quota`]).
async fn record_blob(
    tx: &deadpool_postgres::Transaction<'_>,
    by: &Me,
    sha256: &str,
    row: &BlobRow,
    now: i64,
) -> Result<(), Error> {
    let size = i64::try_from(row.size).unwrap_or(i64::MAX);
    let inserted = exec(
        tx,
        "INSERT INTO blobs (sha256, size, mime, created_at, uploaded_by)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        &[&sha256, &size, &row.mime, &now, &by.user_id],
    )
    .await?;
    if inserted > 0 {
        exec(
            tx,
            "UPDATE users SET stored_bytes = stored_bytes + $1 WHERE id = $2",
            &[&size, &by.user_id],
        )
        .await?;
    }
    Ok(())
}
