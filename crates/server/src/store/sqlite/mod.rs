//! The SQLite backend: one file, WAL, one writer connection behind a mutex and a few
//! reader connections.
//!
//! Durability: `journal_mode=WAL` with `synchronous=NORMAL`. A commit has reached the WAL
//! file (in the OS page cache) before it returns, so an acknowledged write survives a
//! crash or `kill -9` of the server process; only a crash of the whole machine (power
//! loss, kernel panic) can lose the last commits, and never leaves the database
//! inconsistent.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{
    Changes, CreateLibrary, Cursor, DeviceInfo, Digest, Item, ItemDoc, ItemVersion, LibraryDigest,
    LibraryInfo, MAX_HISTORY, Me, MissedSearch, MissedTotal, Role, SigninState, StatusReport,
    UsageCount, UsageTotal,
};
use rusqlite::types::Type;
use rusqlite::{
    Connection, OptionalExtension, Params, Row, Transaction, TransactionBehavior, params,
};
use uuid::Uuid;

use super::{
    BlobRow, Change, ItemWrite, Join, LibraryRow, MAX_USAGE_ROWS, NewInvite, NewSignin,
    SIGNIN_KEEP_MS, SigninRow, SigninVerdict, Stats, Store, UsageQuery, WriteOutcome, policy,
};
use crate::Error;

/// How often (ms) a device's `last_seen` is written at most.
const LAST_SEEN_EVERY_MS: i64 = 10_000;
/// Idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// The name given to personal libraries.
const PERSONAL_LIBRARY_NAME: &str = "个人库";

const SCHEMA: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('change_no', 0);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    team_id          TEXT NOT NULL REFERENCES teams(id),
    name             TEXT NOT NULL,
    role             TEXT NOT NULL,
    personal_library TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER,
    revoked     INTEGER NOT NULL DEFAULT 0,
    app_version TEXT NOT NULL DEFAULT '',
    cursors     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX devices_user ON devices(user_id);

-- Setup, invite and pairing codes, by the SHA-256 of the normalised code.
CREATE TABLE codes (
    hash       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('setup', 'invite', 'pairing')),
    team_id    TEXT,
    user_id    TEXT,
    role       TEXT NOT NULL,
    uses_left  INTEGER NOT NULL,
    expires_at INTEGER,
    created_by TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE libraries (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'team')),
    name        TEXT NOT NULL,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    owner_user  TEXT,
    head        INTEGER NOT NULL DEFAULT 0,
    last_change INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX libraries_team_name ON libraries(team_id, name) WHERE kind = 'team';
CREATE INDEX libraries_last_change ON libraries(last_change);

-- The latest state of every item (live or tombstone); `seq` orders the change feed.
CREATE TABLE items (
    library_id TEXT NOT NULL REFERENCES libraries(id),
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    doc        TEXT,
    updated_at INTEGER NOT NULL,
    op         TEXT NOT NULL,
    change_no  INTEGER NOT NULL,
    PRIMARY KEY (library_id, key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX items_seq ON items(library_id, seq);

-- Which live items refer to which blobs (for blob read access).
CREATE TABLE item_blobs (
    library_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (library_id, key, sha256)
) WITHOUT ROWID;
CREATE INDEX item_blobs_sha ON item_blobs(sha256);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    mime       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"#;

/// Schema version 2: usage counts.
const SCHEMA_V2: &str = r#"
-- How often each device fired each reply of a library on each day (the device's date,
-- `YYYY-MM-DD`). A report replaces the device's count of the same key and day.
CREATE TABLE usage (
    library_id TEXT NOT NULL REFERENCES libraries(id),
    key        TEXT NOT NULL,
    device_id  TEXT NOT NULL REFERENCES devices(id),
    day        TEXT NOT NULL,
    count      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (library_id, key, device_id, day)
) WITHOUT ROWID;
CREATE INDEX usage_library_day ON usage(library_id, day);
"#;

/// Schema version 3: sign-in by approval.
const SCHEMA_V3: &str = r#"
-- Computers (and admin-page browsers) asking to be let in, by the SHA-256 of their poll
-- secret and of the short code an approver types; `state` pending → approved | denied;
-- an approved row is deleted when its asker collects the token.
CREATE TABLE signins (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    code_hash   TEXT NOT NULL UNIQUE,
    device_name TEXT NOT NULL,
    user_name   TEXT,
    app_version TEXT NOT NULL,
    web         INTEGER NOT NULL,
    ip          TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
    approver    TEXT,
    member_role TEXT
);
CREATE INDEX signins_expiry ON signins(expires_at);

-- Every written version of every item (the newest MAX_HISTORY per item), with who wrote
-- it: the history a lead restores from.
CREATE TABLE item_history (
    library_id TEXT NOT NULL REFERENCES libraries(id),
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    doc        TEXT,
    updated_at INTEGER NOT NULL,
    device_id  TEXT NOT NULL,
    PRIMARY KEY (library_id, key, version)
) WITHOUT ROWID;
"#;

/// Schema version 4: searches that found nothing.
const SCHEMA_V4: &str = r#"
-- How often each device searched for a query and found nothing, per day (the device's
-- date). A report replaces the device's count of the same query and day.
CREATE TABLE missed (
    team_id    TEXT NOT NULL REFERENCES teams(id),
    device_id  TEXT NOT NULL REFERENCES devices(id),
    query      TEXT NOT NULL,
    day        TEXT NOT NULL,
    count      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, query, day)
) WITHOUT ROWID;
CREATE INDEX missed_team_day ON missed(team_id, day);
"#;

/// The schema version this server creates and understands.
const SCHEMA_VERSION: i64 = 4;

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

/// `execute` and `query_row` through the connection's statement cache.
trait Cached {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn row<T, P: Params, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P: Params, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

fn open_connection(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic inside a transaction rolled it back when the transaction was dropped: the
    // connection is usable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let conn = open_connection(path)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::internal(format!(
                "{} has schema version {version}, newer than this server knows \
                 ({SCHEMA_VERSION}): upgrade the server",
                path.display()
            )));
        }
        if version < SCHEMA_VERSION {
            let tx = conn.unchecked_transaction()?;
            if version < 1 {
                tx.execute_batch(SCHEMA)?;
            }
            if version < 2 {
                tx.execute_batch(SCHEMA_V2)?;
            }
            if version < 3 {
                tx.execute_batch(SCHEMA_V3)?;
            }
            if version < 4 {
                tx.execute_batch(SCHEMA_V4)?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Runs `f` in one write transaction, committed when it returns `Ok`.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, Error>) -> Result<T, Error> {
        self.write_then(f, |_| {})
    }

    /// [`Self::write`], then `after` with the result while still holding the write lock.
    fn write_then<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, Error>,
        after: impl FnOnce(&T),
    ) -> Result<T, Error> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        after(&out);
        Ok(out)
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on a reader connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path)?,
        };
        let out = {
            let tx = conn.unchecked_transaction()?;
            let out = f(&tx);
            tx.finish()?;
            out
        };
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

// ---- row helpers ----

fn conversion(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| conversion(idx, e))
}

fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| conversion(idx, e)))
        .transpose()
}

#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{value}`")]
struct UnknownValue {
    what: &'static str,
    value: String,
}

fn role_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Role> {
    let s: String = row.get(idx)?;
    Role::parse(&s).ok_or_else(|| {
        conversion(
            idx,
            UnknownValue {
                what: "role",
                value: s,
            },
        )
    })
}

fn kind_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<LibraryKind> {
    let s: String = row.get(idx)?;
    LibraryKind::parse(&s).ok_or_else(|| {
        conversion(
            idx,
            UnknownValue {
                what: "library kind",
                value: s,
            },
        )
    })
}

const LIBRARY_COLUMNS: &str = "id, kind, name, team_id, owner_user, head, last_change";

fn library_from_row(row: &Row<'_>) -> rusqlite::Result<LibraryRow> {
    Ok(LibraryRow {
        id: uuid_at(row, 0)?,
        kind: kind_at(row, 1)?,
        name: row.get(2)?,
        team_id: uuid_at(row, 3)?,
        owner_user: opt_uuid_at(row, 4)?,
        head: row.get(5)?,
        last_change: row.get(6)?,
    })
}

fn load_library(conn: &Connection, id: Uuid) -> Result<Option<LibraryRow>, Error> {
    Ok(conn
        .row(
            &format!("SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = ?1"),
            [id.to_string()],
            library_from_row,
        )
        .optional()?)
}

/// `WHERE` clause (with `?1` = user id, `?2` = team id) of the libraries a user can read;
/// the SQL form of [`policy::can_read`].
/// `t` is the table's alias (with its dot) or empty.
fn readable(t: &str) -> String {
    format!(
        "(({t}kind = 'personal' AND {t}owner_user = ?1) OR ({t}kind = 'team' AND {t}team_id = ?2))"
    )
}

const ITEM_COLUMNS: &str = "key, version, seq, deleted, doc, updated_at, op";

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    let doc: Option<String> = row.get(4)?;
    let doc = doc
        .map(|d| serde_json::from_str::<ItemDoc>(&d).map_err(|e| conversion(4, e)))
        .transpose()?;
    Ok(Item {
        key: row.get(0)?,
        version: row.get(1)?,
        seq: row.get(2)?,
        deleted: row.get(3)?,
        doc,
        updated_at: row.get(5)?,
        op: row.get(6)?,
    })
}

fn load_item(conn: &Connection, library: Uuid, key: &str) -> Result<Option<Item>, Error> {
    Ok(conn
        .row(
            &format!("SELECT {ITEM_COLUMNS} FROM items WHERE library_id = ?1 AND key = ?2"),
            params![library.to_string(), key],
            item_from_row,
        )
        .optional()?)
}

/// Columns of [`me_from_row`] (8), and where they come from.
const ME_COLUMNS: &str = "u.id, u.name, d.id, d.name, t.id, t.name, u.role, u.personal_library";
const ME_FROM: &str =
    "FROM devices d JOIN users u ON u.id = d.user_id JOIN teams t ON t.id = u.team_id";

fn me_from_row(row: &Row<'_>) -> rusqlite::Result<Me> {
    Ok(Me {
        user_id: uuid_at(row, 0)?,
        user_name: row.get(1)?,
        device_id: uuid_at(row, 2)?,
        device_name: row.get(3)?,
        team_id: uuid_at(row, 4)?,
        team_name: row.get(5)?,
        role: role_at(row, 6)?,
        personal_library: uuid_at(row, 7)?,
    })
}

/// Creates a user and their personal library; answers (user id, library id).
fn insert_user(
    tx: &Transaction<'_>,
    team_id: Uuid,
    name: &str,
    role: Role,
    now: i64,
) -> Result<(Uuid, Uuid), Error> {
    let user_id = Uuid::now_v7();
    let library_id = Uuid::now_v7();
    tx.exec(
        "INSERT INTO users (id, team_id, name, role, personal_library, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user_id.to_string(),
            team_id.to_string(),
            name,
            role.as_str(),
            library_id.to_string(),
            now
        ],
    )?;
    tx.exec(
        "INSERT INTO libraries (id, kind, name, team_id, owner_user, created_at)
         VALUES (?1, 'personal', ?2, ?3, ?4, ?5)",
        params![
            library_id.to_string(),
            PERSONAL_LIBRARY_NAME,
            team_id.to_string(),
            user_id.to_string(),
            now
        ],
    )?;
    Ok((user_id, library_id))
}

fn insert_device(tx: &Transaction<'_>, user_id: Uuid, join: &Join) -> Result<Uuid, Error> {
    let device_id = Uuid::now_v7();
    tx.exec(
        "INSERT INTO devices (id, user_id, name, token_hash, created_at, app_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device_id.to_string(),
            user_id.to_string(),
            join.device_name,
            join.token_hash,
            join.now,
            join.app_version
        ],
    )?;
    Ok(device_id)
}

fn me_of_device(conn: &Connection, device_id: Uuid) -> Result<Me, Error> {
    Ok(conn.row(
        &format!("SELECT {ME_COLUMNS} {ME_FROM} WHERE d.id = ?1"),
        [device_id.to_string()],
        me_from_row,
    )?)
}

const SIGNIN_COLUMNS: &str = "id, device_name, user_name, app_version, web, ip, created_at, \
                              expires_at, state, approver, member_role";

fn signin_from_row(row: &Row<'_>) -> rusqlite::Result<SigninRow> {
    let state: String = row.get(8)?;
    Ok(SigninRow {
        id: uuid_at(row, 0)?,
        device_name: row.get(1)?,
        user_name: row.get(2)?,
        app_version: row.get(3)?,
        web: row.get(4)?,
        ip: row.get(5)?,
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
        state: match state.as_str() {
            "approved" => SigninState::Approved,
            "denied" => SigninState::Denied,
            _ => SigninState::Pending,
        },
        approver: opt_uuid_at(row, 9)?,
        member: match row.get::<_, Option<String>>(10)? {
            Some(_) => Some(role_at(row, 10)?),
            None => None,
        },
    })
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
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
                    "SELECT kind, team_id, user_id, role, uses_left, expires_at
                     FROM codes WHERE hash = ?1",
                    [&join.code_hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            opt_uuid_at(r, 1)?,
                            opt_uuid_at(r, 2)?,
                            role_at(r, 3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, Option<i64>>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((kind, team_id, user_id, role, uses_left, expires_at)) = code else {
                return Err(Error::InvalidCode(
                    "unknown code: check that it was typed correctly".into(),
                ));
            };
            if expires_at.is_some_and(|at| at <= join.now) {
                return Err(Error::InvalidCode(
                    "this code has expired: ask for a new one".into(),
                ));
            }
            if uses_left <= 0 {
                return Err(Error::InvalidCode(
                    "this code has been used up: ask for a new one".into(),
                ));
            }
            let user_name = join
                .user_name
                .clone()
                .unwrap_or_else(|| join.device_name.clone());
            let device_id = match (kind.as_str(), team_id, user_id) {
                ("setup", _, _) => {
                    let users: i64 = tx.row("SELECT count(*) FROM users", [], |r| r.get(0))?;
                    if users > 0 {
                        return Err(Error::InvalidCode(
                            "the setup code has been used already".into(),
                        ));
                    }
                    let team_id = Uuid::now_v7();
                    tx.exec(
                        "INSERT INTO teams (id, name, created_at) VALUES (?1, ?2, ?3)",
                        params![team_id.to_string(), join.team_name, join.now],
                    )?;
                    let (user_id, _) = insert_user(tx, team_id, &user_name, Role::Owner, join.now)?;
                    tx.exec("DELETE FROM codes WHERE hash = ?1", [&join.code_hash])?;
                    insert_device(tx, user_id, join)?
                }
                ("invite", Some(team_id), _) => {
                    let (user_id, _) = insert_user(tx, team_id, &user_name, role, join.now)?;
                    insert_device(tx, user_id, join)?
                }
                ("pairing", _, Some(user_id)) => insert_device(tx, user_id, join)?,
                _ => return Err(Error::internal(format!("malformed {kind} code record"))),
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
            let mut stmt = conn.prepare_cached(
                "SELECT d.id, d.name, u.id, u.name, u.role, d.created_at, d.last_seen,
                        d.revoked, d.app_version, d.cursors
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE u.team_id = ?1 AND (?2 IS NULL OR u.id = ?2)
                 ORDER BY d.created_at, d.id",
            )?;
            let only_user = (me.role != Role::Owner).then(|| me.user_id.to_string());
            let rows = stmt.query_map(params![me.team_id.to_string(), only_user], |r| {
                let cursors: String = r.get(9)?;
                Ok(DeviceInfo {
                    id: uuid_at(r, 0)?,
                    name: r.get(1)?,
                    user_id: uuid_at(r, 2)?,
                    user_name: r.get(3)?,
                    role: role_at(r, 4)?,
                    created_at: r.get(5)?,
                    last_seen: r.get(6)?,
                    revoked: r.get(7)?,
                    app_version: r.get(8)?,
                    cursors: serde_json::from_str::<Vec<Cursor>>(&cursors)
                        .map_err(|e| conversion(9, e))?,
                })
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
                    |r| Ok((uuid_at(r, 0)?, uuid_at(r, 1)?)),
                )
                .optional()?;
            match found {
                Some((user, team))
                    if team == me.team_id && me.role != Role::Owner && user != me.user_id =>
                {
                    Err(policy::not_your_device(me))
                }
                Some((_, team)) if team == me.team_id => {
                    tx.exec(
                        "UPDATE devices SET revoked = 1 WHERE id = ?1",
                        [device_id.to_string()],
                    )?;
                    Ok(())
                }
                _ => Err(Error::NotFound("no such device".into())),
            }
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
                readable("")
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
                return if existing.kind == LibraryKind::Team && existing.team_id == me.team_id {
                    Ok((existing.info(me), false))
                } else {
                    Err(Error::Conflict(
                        "this library id is taken: choose another".into(),
                    ))
                };
            }
            let taken: bool = tx.row(
                "SELECT EXISTS (SELECT 1 FROM libraries
                                WHERE kind = 'team' AND team_id = ?1 AND name = ?2)",
                params![me.team_id.to_string(), req.name],
                |r| r.get(0),
            )?;
            if taken {
                return Err(Error::Conflict(format!(
                    "the team has a library named “{}” already",
                    req.name
                )));
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

    fn changes(
        &self,
        me: &Me,
        library_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<Changes, Error> {
        self.read(|conn| {
            let lib = policy::check_read(me, load_library(conn, library_id)?)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE library_id = ?1 AND seq > ?2
                 ORDER BY seq LIMIT ?3"
            ))?;
            let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
            let rows =
                stmt.query_map(params![library_id.to_string(), since, fetch], item_from_row)?;
            let mut items = rows.collect::<Result<Vec<_>, _>>()?;
            let more = items.len() > limit;
            items.truncate(limit);
            let cursor = match items.last() {
                Some(last) => last.seq,
                None if since < lib.head => lib.head,
                None => since,
            };
            Ok(Changes {
                items,
                cursor,
                more,
            })
        })
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
        self.write_then(|tx| {
            let lib = policy::check_write(me, load_library(tx, w.library_id)?)?;
            let current = load_item(tx, w.library_id, &w.key)?;
            if w.doc.is_none() && current.is_none() {
                return Err(Error::NotFound(format!("no item “{}” here", w.key)));
            }
            let current_version = current.as_ref().map_or(0, |c| c.version);
            if current_version != w.if_match {
                return Ok(match current {
                    Some(c) if c.op == w.op => WriteOutcome::Replay(c),
                    other => WriteOutcome::Conflict(other),
                });
            }
            if w.doc.is_none() && current.as_ref().is_some_and(|c| c.deleted) {
                return Err(Error::NotFound(format!(
                    "item “{}” is deleted already",
                    w.key
                )));
            }
            let blobs: Vec<&str> = w.doc.as_ref().map(ItemDoc::blobs).unwrap_or_default();
            for sha in &blobs {
                let present: bool = tx.row(
                    "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
                    [sha],
                    |r| r.get(0),
                )?;
                if !present {
                    return Err(Error::BadRequest(format!(
                        "image {sha} is not on the server: upload it first (PUT /v1/blobs/{sha})"
                    )));
                }
            }
            let doc_json = w
                .doc
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| Error::internal(format!("cannot encode a document: {e}")))?;
            let change_no: i64 = tx.row(
                "UPDATE meta SET value = value + 1 WHERE key = 'change_no' RETURNING value",
                [],
                |r| r.get(0),
            )?;
            let item = Item {
                key: w.key.clone(),
                version: current_version + 1,
                seq: lib.head + 1,
                deleted: w.doc.is_none(),
                doc: w.doc.clone(),
                updated_at: w.now,
                op: w.op.clone(),
            };
            let lib_id = w.library_id.to_string();
            tx.exec(
                "INSERT INTO items (library_id, key, version, seq, deleted, doc, updated_at, op,
                                    change_no)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (library_id, key) DO UPDATE SET
                    version = excluded.version, seq = excluded.seq, deleted = excluded.deleted,
                    doc = excluded.doc, updated_at = excluded.updated_at, op = excluded.op,
                    change_no = excluded.change_no",
                params![
                    lib_id,
                    item.key,
                    item.version,
                    item.seq,
                    item.deleted,
                    doc_json,
                    item.updated_at,
                    item.op,
                    change_no
                ],
            )?;
            tx.exec(
                "UPDATE libraries SET head = ?1, last_change = ?2 WHERE id = ?3",
                params![item.seq, change_no, lib_id],
            )?;
            tx.exec(
                "DELETE FROM item_blobs WHERE library_id = ?1 AND key = ?2",
                params![lib_id, item.key],
            )?;
            for sha in &blobs {
                tx.exec(
                    "INSERT OR IGNORE INTO item_blobs (library_id, key, sha256) VALUES (?1, ?2, ?3)",
                    params![lib_id, item.key, sha],
                )?;
            }
            tx.exec(
                "INSERT OR REPLACE INTO item_history (library_id, key, version, deleted, doc,
                                                      updated_at, device_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    lib_id,
                    item.key,
                    item.version,
                    item.deleted,
                    doc_json,
                    item.updated_at,
                    me.device_id.to_string()
                ],
            )?;
            tx.exec(
                "DELETE FROM item_history WHERE library_id = ?1 AND key = ?2 AND version <= ?3",
                params![lib_id, item.key, item.version - MAX_HISTORY as i64],
            )?;
            let change = LibraryRow {
                head: item.seq,
                last_change: change_no,
                ..lib
            }
            .change();
            Ok(WriteOutcome::Written(item, change))
        }, announce)
    }

    fn changes_since(&self, me: &Me, since: i64) -> Result<Vec<Change>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE {} AND last_change > ?3
                 ORDER BY last_change",
                readable("")
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

    fn insert_blob(&self, sha256: &str, row: &BlobRow, now: i64) -> Result<(), Error> {
        let size = i64::try_from(row.size).unwrap_or(i64::MAX);
        self.write(|tx| {
            tx.exec(
                "INSERT OR IGNORE INTO blobs (sha256, size, mime, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![sha256, size, row.mime, now],
            )?;
            Ok(())
        })
    }

    fn blob_readable(&self, me: &Me, sha256: &str) -> Result<bool, Error> {
        self.read(|conn| {
            Ok(conn.row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM item_blobs b
                        JOIN libraries l ON l.id = b.library_id
                        WHERE b.sha256 = ?3 AND {})",
                    readable("l.")
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
    ) -> Result<(), Error> {
        self.write(|tx| {
            policy::check_read(me, load_library(tx, library_id)?)?;
            let (lib, device) = (library_id.to_string(), me.device_id.to_string());
            let mut stmt = tx.prepare_cached(
                "INSERT INTO usage (library_id, key, device_id, day, count, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (library_id, key, device_id, day) DO UPDATE SET
                    count = excluded.count, updated_at = excluded.updated_at",
            )?;
            for c in counts {
                stmt.execute(params![lib, c.key, device, c.day, i64::from(c.count), now])?;
            }
            Ok(())
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
            let limit = i64::try_from(MAX_USAGE_ROWS).unwrap_or(i64::MAX);
            let rows = stmt.query_map(
                params![
                    query.library_id.to_string(),
                    query.since_day,
                    query.user.map(|u| u.to_string()),
                    limit
                ],
                |r| {
                    Ok(UsageTotal {
                        key: r.get(0)?,
                        count: to_u64(r.get(1)?),
                        devices: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    })
                },
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
            let limit = i64::try_from(MAX_USAGE_ROWS).unwrap_or(i64::MAX);
            let rows = stmt.query_map(
                params![
                    me.team_id.to_string(),
                    since_day,
                    user.map(|u| u.to_string()),
                    limit
                ],
                |r| {
                    Ok(MissedTotal {
                        query: r.get(0)?,
                        count: to_u64(r.get(1)?),
                        devices: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    })
                },
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
                    signin_from_row,
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
        if let SigninVerdict::Approve { member } = verdict {
            policy::may_approve(me, member)?;
        }
        self.write(|tx| {
            let (state, role) = match verdict {
                SigninVerdict::Approve { member } => ("approved", member.map(Role::as_str)),
                SigninVerdict::Deny => ("denied", None),
            };
            let changed = tx.exec(
                "UPDATE signins SET state = ?1, approver = ?2, member_role = ?3
                 WHERE code_hash = ?4 AND state = 'pending' AND expires_at > ?5",
                params![state, me.device_id.to_string(), role, code_hash, now],
            )?;
            if changed == 0 {
                return Err(Error::NotFound(
                    "no sign-in is waiting with this code (it may have expired)".into(),
                ));
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
                    signin_from_row,
                )
                .optional()?;
            let Some(mut row) = row else {
                return Ok(None);
            };
            match row.state {
                SigninState::Approved => {
                    tx.exec("DELETE FROM signins WHERE id = ?1", [id.to_string()])?;
                }
                SigninState::Pending if row.expires_at <= now => row.state = SigninState::Expired,
                _ => {}
            }
            Ok(Some(row))
        })
    }

    fn history(&self, me: &Me, library_id: Uuid, key: &str) -> Result<Vec<ItemVersion>, Error> {
        self.read(|conn| {
            policy::check_read(me, load_library(conn, library_id)?)?;
            let mut stmt = conn.prepare_cached(
                "SELECT h.version, h.deleted, h.doc, h.updated_at, u.id, u.name, d.name
                 FROM item_history h JOIN devices d ON d.id = h.device_id
                 JOIN users u ON u.id = d.user_id
                 WHERE h.library_id = ?1 AND h.key = ?2 ORDER BY h.version DESC",
            )?;
            let rows = stmt.query_map(params![library_id.to_string(), key], |r| {
                let doc: Option<String> = r.get(2)?;
                Ok(ItemVersion {
                    version: r.get(0)?,
                    deleted: r.get(1)?,
                    doc: doc
                        .map(|d| serde_json::from_str(&d).map_err(|e| conversion(2, e)))
                        .transpose()?,
                    updated_at: r.get(3)?,
                    user_id: uuid_at(r, 4)?,
                    user_name: r.get(5)?,
                    device_name: r.get(6)?,
                })
            })?;
            let versions = rows.collect::<Result<Vec<_>, _>>()?;
            if versions.is_empty() {
                return Err(Error::NotFound(format!("no item “{key}” here")));
            }
            Ok(versions)
        })
    }

    fn set_role(&self, me: &Me, user_id: Uuid, role: Role) -> Result<(), Error> {
        policy::may_set_roles(me)?;
        self.write(|tx| {
            let changed = tx.exec(
                "UPDATE users SET role = ?1 WHERE id = ?2 AND team_id = ?3",
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

#[cfg(test)]
mod tests {
    use super::*;
    use quickreply_proto::api::VariableDoc;

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
                 PRAGMA user_version = 1;",
            )?;
        }
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let mut rows = 0;
        for table in ["usage", "signins", "item_history", "missed"] {
            rows += conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            })?;
        }
        assert_eq!((version, rows), (SCHEMA_VERSION, 0));
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
        let changes = store.changes(&me, me.personal_library, 0, 10)?;
        assert_eq!(changes.items.len(), 1);
        assert_eq!(changes.cursor, 2);
        assert_eq!(store.changes_since(&me, 0)?.len(), 1);
        Ok(())
    }
}
