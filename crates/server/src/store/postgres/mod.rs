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
//! together do not race.
//!
//! The [`Store`] methods are blocking: they run their queries on the Tokio runtime the
//! store was opened on (`Handle::block_on`), so call them from `spawn_blocking` (as the
//! HTTP layer does), never from async code.

use std::future::Future;
use std::str::FromStr as _;
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction,
};
use futures_util::StreamExt as _;
use futures_util::future::{try_join, try_join_all, try_join3};
use quickreply_proto::LibraryKind;
use quickreply_proto::api::{
    Changes, CreateLibrary, Cursor, DeviceInfo, Digest, Item, ItemDoc, ItemVersion, LibraryDigest,
    LibraryInfo, MAX_HISTORY, Me, MissedSearch, MissedTotal, Role, SigninState, StatusReport,
    UsageCount, UsageTotal,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls, Notification, Row};
use uuid::Uuid;

use super::{
    BlobRow, Change, ItemWrite, Join, LibraryRow, MAX_USAGE_ROWS, NewInvite, NewSignin,
    SIGNIN_KEEP_MS, SigninRow, SigninVerdict, Stats, Store, UsageQuery, WriteOutcome, policy,
};
use crate::Error;

/// How often (ms) a device's `last_seen` is written at most.
const LAST_SEEN_EVERY_MS: i64 = 10_000;
/// The name given to personal libraries.
const PERSONAL_LIBRARY_NAME: &str = "个人库";
/// Connections per server instance (PostgreSQL's default `max_connections` is 100).
const POOL_SIZE: usize = 16;
/// How long a request waits for a pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How long connecting may take, unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between attempts to re-establish the listener connection.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);
/// The `NOTIFY` channel.
pub const CHANNEL: &str = "quickreply_changes";
/// `application_name` of the listener connections (`pg_stat_activity` tells them apart).
pub const LISTENER_NAME: &str = "quickreply-server listener";
/// Key of the advisory lock held while migrating ("quickrep" in ASCII).
const MIGRATION_LOCK: i64 = 0x7175_6963_6b72_6570;

/// Schema migrations, applied in order; each runs once, recorded in `schema_version`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, SCHEMA_V1),
    (2, SCHEMA_V2),
    (3, SCHEMA_V3),
    (4, SCHEMA_V4),
];

const SCHEMA_V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
-- `change_no`: the server-wide change counter (locked by each write until it commits);
-- `join`: locked by joins and setup-code renewal.
INSERT INTO meta (key, value) VALUES ('change_no', 0), ('join', 0);

CREATE TABLE teams (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id               UUID PRIMARY KEY,
    team_id          UUID NOT NULL REFERENCES teams(id),
    name             TEXT NOT NULL,
    role             TEXT NOT NULL,
    personal_library UUID NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE devices (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE,
    app_version TEXT NOT NULL DEFAULT '',
    cursors     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX devices_user ON devices(user_id);

-- Setup, invite and pairing codes, by the SHA-256 of the normalised code.
CREATE TABLE codes (
    hash       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('setup', 'invite', 'pairing')),
    team_id    UUID,
    user_id    UUID,
    role       TEXT NOT NULL,
    uses_left  BIGINT NOT NULL,
    expires_at BIGINT,
    created_by UUID,
    created_at BIGINT NOT NULL
);

CREATE TABLE libraries (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'team')),
    name        TEXT NOT NULL,
    team_id     UUID NOT NULL REFERENCES teams(id),
    owner_user  UUID,
    head        BIGINT NOT NULL DEFAULT 0,
    last_change BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX libraries_team_name ON libraries(team_id, name) WHERE kind = 'team';
CREATE INDEX libraries_last_change ON libraries(last_change);

-- The latest state of every item (live or tombstone); `seq` orders the change feed.
CREATE TABLE items (
    library_id UUID NOT NULL REFERENCES libraries(id),
    key        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    deleted    BOOLEAN NOT NULL,
    doc        TEXT,
    updated_at BIGINT NOT NULL,
    op         TEXT NOT NULL,
    change_no  BIGINT NOT NULL,
    PRIMARY KEY (library_id, key)
);
CREATE UNIQUE INDEX items_seq ON items(library_id, seq);

-- Which live items refer to which blobs (for blob read access).
CREATE TABLE item_blobs (
    library_id UUID NOT NULL,
    key        TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (library_id, key, sha256)
);
CREATE INDEX item_blobs_sha ON item_blobs(sha256);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    mime       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The images themselves (every instance serves every image).
CREATE TABLE blob_data (
    sha256 TEXT PRIMARY KEY REFERENCES blobs(sha256),
    data   BYTEA NOT NULL
);
"#;

const SCHEMA_V2: &str = r#"
-- How often each device fired each reply of a library on each day (the device's date,
-- `YYYY-MM-DD`). A report replaces the device's count of the same key and day.
CREATE TABLE usage (
    library_id UUID NOT NULL REFERENCES libraries(id),
    key        TEXT NOT NULL,
    device_id  UUID NOT NULL REFERENCES devices(id),
    day        TEXT NOT NULL,
    count      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (library_id, key, device_id, day)
);
CREATE INDEX usage_library_day ON usage(library_id, day);
"#;

const SCHEMA_V3: &str = r#"
-- Computers (and admin-page browsers) asking to be let in, by the SHA-256 of their poll
-- secret and of the short code an approver types; `state` pending → approved | denied;
-- an approved row is deleted when its asker collects the token.
CREATE TABLE signins (
    id          UUID PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    code_hash   TEXT NOT NULL UNIQUE,
    device_name TEXT NOT NULL,
    user_name   TEXT,
    app_version TEXT NOT NULL,
    web         BOOLEAN NOT NULL,
    ip          TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
    approver    UUID,
    member_role TEXT
);
CREATE INDEX signins_expiry ON signins(expires_at);

-- Every written version of every item (the newest MAX_HISTORY per item), with who wrote
-- it: the history a lead restores from.
CREATE TABLE item_history (
    library_id UUID NOT NULL REFERENCES libraries(id),
    key        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    deleted    BOOLEAN NOT NULL,
    doc        TEXT,
    updated_at BIGINT NOT NULL,
    device_id  UUID NOT NULL,
    PRIMARY KEY (library_id, key, version)
);
"#;

const SCHEMA_V4: &str = r#"
-- How often each device searched for a query and found nothing, per day (the device's
-- date). A report replaces the device's count of the same query and day.
CREATE TABLE missed (
    team_id    UUID NOT NULL REFERENCES teams(id),
    device_id  UUID NOT NULL REFERENCES devices(id),
    query      TEXT NOT NULL,
    day        TEXT NOT NULL,
    count      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, query, day)
);
CREATE INDEX missed_team_day ON missed(team_id, day);
"#;

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

/// `user@host:port/db` of a connection configuration (never the password).
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// Parses a `postgres://user:password@host:port/db` URL (or `key=value` settings).
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, tokio_postgres::Error> {
    tokio_postgres::Config::from_str(url)
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn one(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<Row, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_one(&st, params).await?)
}

async fn opt(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&st, params).await?)
}

async fn all(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query(&st, params).await?)
}

async fn exec(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<u64, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, params).await?)
}

impl PgStore {
    /// Connects to the database (a pool of connections) and brings its schema up to date.
    /// Must be called on a multi-threaded Tokio runtime, which the store then uses.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let mut config =
            parse_url(url).map_err(|e| Error::internal(format!("invalid database URL: {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name("quickreply-server");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let target = describe(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| Error::internal(format!("PostgreSQL connection pool: {e}")))?;
        let store = Self {
            pool,
            config,
            runtime: tokio::runtime::Handle::current(),
            target,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// `user@host:port/db` (for logs).
    pub fn target(&self) -> &str {
        &self.target
    }

    async fn migrate(&self) -> Result<(), Error> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version    BIGINT PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await?;
        let current: i64 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
            .await?
            .try_get(0)?;
        let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
        if current > latest {
            return Err(Error::internal(format!(
                "the database {} has schema version {current}, newer than this server knows \
                 ({latest}): upgrade the server",
                self.target
            )));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[version],
            )
            .await?;
            tracing::info!(version, database = %self.target, "database schema migrated");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs storage work on the store's runtime, blocking this (non-async) thread.
    fn run<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        self.runtime.block_on(work)
    }

    /// Runs `f` in one read-committed write transaction, committed when it returns `Ok`.
    async fn write<T>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let out = f(&tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Runs `f` in one read-only transaction on one snapshot (repeatable read).
    async fn read<T>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let out = f(&tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Opens the listener connection (`LISTEN quickreply_changes`); [`Listener::run`] then
    /// forwards what it hears.
    pub async fn listen(&self) -> Result<Listener, Error> {
        let mut config = self.config.clone();
        config.application_name(LISTENER_NAME);
        let mut listener = Listener {
            config,
            target: self.target.clone(),
            conn: None,
            last: 0,
        };
        listener.connect().await?;
        // Changes committed before now are not announced again: nobody is subscribed yet.
        if let Some(conn) = &listener.conn {
            listener.last = conn
                .client
                .query_one("SELECT value FROM meta WHERE key = 'change_no'", &[])
                .await?
                .try_get(0)?;
        }
        Ok(listener)
    }
}

// ---- row helpers ----

fn role_of(s: &str) -> Result<Role, Error> {
    Role::parse(s).ok_or_else(|| Error::internal(format!("unknown role `{s}` in the database")))
}

fn kind_of(s: &str) -> Result<LibraryKind, Error> {
    LibraryKind::parse(s)
        .ok_or_else(|| Error::internal(format!("unknown library kind `{s}` in the database")))
}

const LIBRARY_COLUMNS: &str = "id, kind, name, team_id, owner_user, head, last_change";

fn library_from_row(row: &Row) -> Result<LibraryRow, Error> {
    Ok(LibraryRow {
        id: row.try_get(0)?,
        kind: kind_of(row.try_get(1)?)?,
        name: row.try_get(2)?,
        team_id: row.try_get(3)?,
        owner_user: row.try_get(4)?,
        head: row.try_get(5)?,
        last_change: row.try_get(6)?,
    })
}

async fn load_library(c: &impl GenericClient, id: Uuid) -> Result<Option<LibraryRow>, Error> {
    opt(
        c,
        &format!("SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = $1"),
        &[&id],
    )
    .await?
    .map(|r| library_from_row(&r))
    .transpose()
}

/// `WHERE` clause (with `$1` = user id, `$2` = team id) of the libraries a user can read;
/// the SQL form of [`policy::can_read`]. `t` is the table's alias (with its dot) or empty.
fn readable(t: &str) -> String {
    format!(
        "(({t}kind = 'personal' AND {t}owner_user = $1) OR ({t}kind = 'team' AND {t}team_id = $2))"
    )
}

const ITEM_COLUMNS: &str = "key, version, seq, deleted, doc, updated_at, op";

fn item_from_row(row: &Row) -> Result<Item, Error> {
    let doc: Option<&str> = row.try_get(4)?;
    let doc = doc
        .map(|d| {
            serde_json::from_str::<ItemDoc>(d)
                .map_err(|e| Error::internal(format!("a stored document does not parse: {e}")))
        })
        .transpose()?;
    Ok(Item {
        key: row.try_get(0)?,
        version: row.try_get(1)?,
        seq: row.try_get(2)?,
        deleted: row.try_get(3)?,
        doc,
        updated_at: row.try_get(5)?,
        op: row.try_get(6)?,
    })
}

/// Columns of [`me_from_row`] (8), and where they come from.
const ME_COLUMNS: &str = "u.id, u.name, d.id, d.name, t.id, t.name, u.role, u.personal_library";
const ME_FROM: &str =
    "FROM devices d JOIN users u ON u.id = d.user_id JOIN teams t ON t.id = u.team_id";

fn me_from_row(row: &Row) -> Result<Me, Error> {
    Ok(Me {
        user_id: row.try_get(0)?,
        user_name: row.try_get(1)?,
        device_id: row.try_get(2)?,
        device_name: row.try_get(3)?,
        team_id: row.try_get(4)?,
        team_name: row.try_get(5)?,
        role: role_of(row.try_get(6)?)?,
        personal_library: row.try_get(7)?,
    })
}

/// Creates a user and their personal library; answers (user id, library id).
async fn insert_user(
    tx: &Transaction<'_>,
    team_id: Uuid,
    name: &str,
    role: Role,
    now: i64,
) -> Result<(Uuid, Uuid), Error> {
    let user_id = Uuid::now_v7();
    let library_id = Uuid::now_v7();
    exec(
        tx,
        "INSERT INTO users (id, team_id, name, role, personal_library, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&user_id, &team_id, &name, &role.as_str(), &library_id, &now],
    )
    .await?;
    exec(
        tx,
        "INSERT INTO libraries (id, kind, name, team_id, owner_user, created_at)
         VALUES ($1, 'personal', $2, $3, $4, $5)",
        &[
            &library_id,
            &PERSONAL_LIBRARY_NAME,
            &team_id,
            &user_id,
            &now,
        ],
    )
    .await?;
    Ok((user_id, library_id))
}

async fn insert_device(tx: &Transaction<'_>, user_id: Uuid, join: &Join) -> Result<Uuid, Error> {
    let device_id = Uuid::now_v7();
    exec(
        tx,
        "INSERT INTO devices (id, user_id, name, token_hash, created_at, app_version)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &device_id,
            &user_id,
            &join.device_name,
            &join.token_hash,
            &join.now,
            &join.app_version,
        ],
    )
    .await?;
    Ok(device_id)
}

const SIGNIN_COLUMNS: &str = "id, device_name, user_name, app_version, web, ip, created_at, \
                              expires_at, state, approver, member_role";

fn signin_from_row(row: &Row) -> Result<SigninRow, Error> {
    Ok(SigninRow {
        id: row.try_get(0)?,
        device_name: row.try_get(1)?,
        user_name: row.try_get(2)?,
        app_version: row.try_get(3)?,
        web: row.try_get(4)?,
        ip: row.try_get(5)?,
        created_at: row.try_get(6)?,
        expires_at: row.try_get(7)?,
        state: match row.try_get::<_, &str>(8)? {
            "approved" => SigninState::Approved,
            "denied" => SigninState::Denied,
            _ => SigninState::Pending,
        },
        approver: row.try_get(9)?,
        member: row
            .try_get::<_, Option<&str>>(10)?
            .map(role_of)
            .transpose()?,
    })
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// What travels in a `NOTIFY quickreply_changes` payload (JSON).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Payload {
    /// A committed write (built in SQL by the write itself, see `NOTIFY_CHANGE`).
    Change {
        library_id: Uuid,
        head: i64,
        change_no: i64,
        team_id: Uuid,
        personal_user: Option<Uuid>,
        /// The written item when small enough for the event (see `MAX_INLINE_ITEM`).
        #[serde(default)]
        item: Option<Box<Item>>,
    },
    /// A revoked device.
    Revoked { device_id: Uuid },
}

/// The notification of a write, sent in its transaction: `$1` library, `$2` head, `$3`
/// team, `$4` personal user, `$5` the item's JSON when it fits in an event (else `NULL`;
/// a `NOTIFY` payload stays under PostgreSQL's 8,000 bytes); the change number is the
/// counter this transaction holds.
const NOTIFY_CHANGE: &str = "SELECT pg_notify('quickreply_changes', json_build_object(
        'kind', 'change',
        'library_id', $1::uuid,
        'head', $2::bigint,
        'change_no', (SELECT value FROM meta WHERE key = 'change_no'),
        'team_id', $3::uuid,
        'personal_user', $4::uuid,
        'item', $5::text::json)::text)";

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
            let Some(code) = opt(
                tx,
                "SELECT kind, team_id, user_id, role, uses_left, expires_at
                 FROM codes WHERE hash = $1 FOR UPDATE",
                &[&join.code_hash],
            )
            .await?
            else {
                return Err(Error::InvalidCode(
                    "unknown code: check that it was typed correctly".into(),
                ));
            };
            let kind: String = code.try_get(0)?;
            let team_id: Option<Uuid> = code.try_get(1)?;
            let user_id: Option<Uuid> = code.try_get(2)?;
            let role = role_of(code.try_get(3)?)?;
            let uses_left: i64 = code.try_get(4)?;
            let expires_at: Option<i64> = code.try_get(5)?;
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
                    let users: i64 = one(tx, "SELECT count(*) FROM users", &[])
                        .await?
                        .try_get(0)?;
                    if users > 0 {
                        return Err(Error::InvalidCode(
                            "the setup code has been used already".into(),
                        ));
                    }
                    let team_id = Uuid::now_v7();
                    exec(
                        tx,
                        "INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)",
                        &[&team_id, &join.team_name, &join.now],
                    )
                    .await?;
                    let (user_id, _) =
                        insert_user(tx, team_id, &user_name, Role::Owner, join.now).await?;
                    exec(tx, "DELETE FROM codes WHERE hash = $1", &[&join.code_hash]).await?;
                    insert_device(tx, user_id, join).await?
                }
                ("invite", Some(team_id), _) => {
                    let (user_id, _) = insert_user(tx, team_id, &user_name, role, join.now).await?;
                    insert_device(tx, user_id, join).await?
                }
                ("pairing", _, Some(user_id)) => insert_device(tx, user_id, join).await?,
                _ => return Err(Error::internal(format!("malformed {kind} code record"))),
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
                "SELECT d.id, d.name, u.id, u.name, u.role, d.created_at, d.last_seen,
                        d.revoked, d.app_version, d.cursors
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE u.team_id = $1 AND ($2::uuid IS NULL OR u.id = $2)
                 ORDER BY d.created_at, d.id",
                &[&me.team_id, &only_user],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    let cursors: &str = r.try_get(9)?;
                    Ok(DeviceInfo {
                        id: r.try_get(0)?,
                        name: r.try_get(1)?,
                        user_id: r.try_get(2)?,
                        user_name: r.try_get(3)?,
                        role: role_of(r.try_get(4)?)?,
                        created_at: r.try_get(5)?,
                        last_seen: r.try_get(6)?,
                        revoked: r.try_get(7)?,
                        app_version: r.try_get(8)?,
                        cursors: serde_json::from_str::<Vec<Cursor>>(cursors).map_err(|e| {
                            Error::internal(format!("stored cursors do not parse: {e}"))
                        })?,
                    })
                })
                .collect()
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
            match found {
                Some((user, team))
                    if team == me.team_id && me.role != Role::Owner && user != me.user_id =>
                {
                    Err(policy::not_your_device(me))
                }
                Some((_, team)) if team == me.team_id => {
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
                }
                _ => Err(Error::NotFound("no such device".into())),
            }
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
                    readable("")
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
                return if existing.kind == LibraryKind::Team && existing.team_id == me.team_id {
                    Ok((existing.info(me), false))
                } else {
                    Err(Error::Conflict(
                        "this library id is taken: choose another".into(),
                    ))
                };
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
                return Err(Error::Conflict(format!(
                    "the team has a library named “{}” already",
                    req.name
                )));
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
            Err(Error::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(
                Error::Conflict("this library id is taken: choose another".into()),
            ),
            other => other,
        }
    }

    fn changes(
        &self,
        me: &Me,
        library_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<Changes, Error> {
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        self.run(self.read(async |tx| {
            let lib = policy::check_read(me, load_library(tx, library_id).await?)?;
            let rows = all(
                tx,
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM items WHERE library_id = $1 AND seq > $2
                     ORDER BY seq LIMIT $3"
                ),
                &[&library_id, &since, &fetch],
            )
            .await?;
            let mut items = rows
                .iter()
                .map(item_from_row)
                .collect::<Result<Vec<_>, _>>()?;
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
        }))
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
        let blobs: Vec<String> = w
            .doc
            .as_ref()
            .map(ItemDoc::blobs)
            .unwrap_or_default()
            .into_iter()
            .map(str::to_string)
            .collect();
        let doc_json = w
            .doc
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::internal(format!("cannot encode a document: {e}")))?;
        self.run(self.write(async |tx| {
            // Statements are prepared first, then sent together (pipelined, in order): one
            // round trip for the reads and one for the writes.
            let (s_lib, s_item, s_blobs) = try_join3(
                tx.prepare_cached(&format!(
                    "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = $1 FOR NO KEY UPDATE"
                )),
                tx.prepare_cached(&format!(
                    "SELECT {ITEM_COLUMNS} FROM items WHERE library_id = $1 AND key = $2"
                )),
                tx.prepare_cached("SELECT sha256 FROM blobs WHERE sha256 = ANY($1)"),
            )
            .await?;
            // The library row lock comes first: the item and head are read after any
            // other write to this library has committed.
            let (lib, current, present) = try_join3(
                tx.query_opt(&s_lib, &[&w.library_id]),
                tx.query_opt(&s_item, &[&w.library_id, &w.key]),
                tx.query(&s_blobs, &[&blobs]),
            )
            .await?;
            let lib = policy::check_write(me, lib.map(|r| library_from_row(&r)).transpose()?)?;
            let current = current.map(|r| item_from_row(&r)).transpose()?;
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
            let present = present
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<Result<std::collections::HashSet<_>, _>>()?;
            if let Some(sha) = blobs.iter().find(|s| !present.contains(*s)) {
                return Err(Error::BadRequest(format!(
                    "image {sha} is not on the server: upload it first (PUT /v1/blobs/{sha})"
                )));
            }
            let item = Item {
                key: w.key.clone(),
                version: current_version + 1,
                seq: lib.head + 1,
                deleted: w.doc.is_none(),
                doc: w.doc.clone(),
                updated_at: w.now,
                op: w.op.clone(),
            };
            let personal_user = match lib.kind {
                LibraryKind::Personal => lib.owner_user,
                LibraryKind::Team => None,
            };
            let statements = try_join_all([
                tx.prepare_cached(
                    "UPDATE meta SET value = value + 1 WHERE key = 'change_no' RETURNING value",
                ),
                tx.prepare_cached(
                    "INSERT INTO items (library_id, key, version, seq, deleted, doc, updated_at,
                                        op, change_no)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                             (SELECT value FROM meta WHERE key = 'change_no'))
                     ON CONFLICT (library_id, key) DO UPDATE SET
                        version = excluded.version, seq = excluded.seq,
                        deleted = excluded.deleted, doc = excluded.doc,
                        updated_at = excluded.updated_at, op = excluded.op,
                        change_no = excluded.change_no",
                ),
                tx.prepare_cached(
                    "UPDATE libraries
                     SET head = $1, last_change = (SELECT value FROM meta WHERE key = 'change_no')
                     WHERE id = $2",
                ),
                tx.prepare_cached("DELETE FROM item_blobs WHERE library_id = $1 AND key = $2"),
                tx.prepare_cached(
                    "INSERT INTO item_blobs (library_id, key, sha256)
                     SELECT $1::uuid, $2::text, unnest($3::text[])
                     ON CONFLICT DO NOTHING",
                ),
                tx.prepare_cached(NOTIFY_CHANGE),
                tx.prepare_cached(
                    "INSERT INTO item_history (library_id, key, version, deleted, doc,
                                               updated_at, device_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (library_id, key, version) DO UPDATE SET
                        deleted = excluded.deleted, doc = excluded.doc,
                        updated_at = excluded.updated_at, device_id = excluded.device_id",
                ),
                tx.prepare_cached(
                    "DELETE FROM item_history WHERE library_id = $1 AND key = $2 AND version <= $3",
                ),
            ])
            .await?;
            let [
                s_counter,
                s_upsert,
                s_head,
                s_unlink,
                s_link,
                s_notify,
                s_history,
                s_prune,
            ] = &statements[..]
            else {
                return Err(Error::internal("prepared statements went missing"));
            };
            // The counter row is locked from here until the commit: change numbers follow
            // commit order.
            let upsert: [&(dyn ToSql + Sync); 8] = [
                &w.library_id,
                &item.key,
                &item.version,
                &item.seq,
                &item.deleted,
                &doc_json,
                &item.updated_at,
                &item.op,
            ];
            let head: [&(dyn ToSql + Sync); 2] = [&item.seq, &w.library_id];
            let unlink: [&(dyn ToSql + Sync); 2] = [&w.library_id, &item.key];
            let link: [&(dyn ToSql + Sync); 3] = [&w.library_id, &item.key, &blobs];
            let inline = serde_json::to_string(&item)
                .ok()
                .filter(|json| json.len() <= quickreply_proto::api::MAX_INLINE_ITEM);
            let notify: [&(dyn ToSql + Sync); 5] = [
                &w.library_id,
                &item.seq,
                &lib.team_id,
                &personal_user,
                &inline,
            ];
            let history: [&(dyn ToSql + Sync); 7] = [
                &w.library_id,
                &item.key,
                &item.version,
                &item.deleted,
                &doc_json,
                &item.updated_at,
                &me.device_id,
            ];
            let oldest_dropped = item.version - MAX_HISTORY as i64;
            let prune: [&(dyn ToSql + Sync); 3] = [&w.library_id, &item.key, &oldest_dropped];
            let mut writes = vec![
                tx.execute(s_upsert, &upsert),
                tx.execute(s_head, &head),
                tx.execute(s_unlink, &unlink),
            ];
            if !blobs.is_empty() {
                writes.push(tx.execute(s_link, &link));
            }
            writes.push(tx.execute(s_history, &history));
            writes.push(tx.execute(s_prune, &prune));
            writes.push(tx.execute(s_notify, &notify));
            let (counter, _) = try_join(tx.query_one(s_counter, &[]), try_join_all(writes)).await?;
            let change_no: i64 = counter.try_get(0)?;
            let change = LibraryRow {
                head: item.seq,
                last_change: change_no,
                ..lib
            }
            .change();
            Ok(WriteOutcome::Written(item, change))
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
                    readable("")
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
            .map(signin_from_row)
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
        if let SigninVerdict::Approve { member } = verdict {
            policy::may_approve(me, member)?;
        }
        let (state, role) = match verdict {
            SigninVerdict::Approve { member } => ("approved", member.map(Role::as_str)),
            SigninVerdict::Deny => ("denied", None),
        };
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
            let Some(mut row) = row.as_ref().map(signin_from_row).transpose()? else {
                return Ok(None);
            };
            match row.state {
                SigninState::Approved => {
                    exec(tx, "DELETE FROM signins WHERE id = $1", &[&id]).await?;
                }
                SigninState::Pending if row.expires_at <= now => row.state = SigninState::Expired,
                _ => {}
            }
            Ok(Some(row))
        }))
    }

    fn history(&self, me: &Me, library_id: Uuid, key: &str) -> Result<Vec<ItemVersion>, Error> {
        self.run(self.read(async |tx| {
            policy::check_read(me, load_library(tx, library_id).await?)?;
            let rows = all(
                tx,
                "SELECT h.version, h.deleted, h.doc, h.updated_at, u.id, u.name, d.name
                 FROM item_history h JOIN devices d ON d.id = h.device_id
                 JOIN users u ON u.id = d.user_id
                 WHERE h.library_id = $1 AND h.key = $2 ORDER BY h.version DESC",
                &[&library_id, &key],
            )
            .await?;
            if rows.is_empty() {
                return Err(Error::NotFound(format!("no item “{key}” here")));
            }
            rows.iter()
                .map(|r| {
                    let doc: Option<&str> = r.try_get(2)?;
                    Ok(ItemVersion {
                        version: r.try_get(0)?,
                        deleted: r.try_get(1)?,
                        doc: doc
                            .map(|d| {
                                serde_json::from_str::<ItemDoc>(d).map_err(|e| {
                                    Error::internal(format!(
                                        "a stored document does not parse: {e}"
                                    ))
                                })
                            })
                            .transpose()?,
                        updated_at: r.try_get(3)?,
                        user_id: r.try_get(4)?,
                        user_name: r.try_get(5)?,
                        device_name: r.try_get(6)?,
                    })
                })
                .collect()
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
                "UPDATE users SET role = $1 WHERE id = $2 AND team_id = $3",
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

    fn insert_blob(&self, sha256: &str, row: &BlobRow, now: i64) -> Result<(), Error> {
        let size = i64::try_from(row.size).unwrap_or(i64::MAX);
        self.run(async {
            let client = self.pool.get().await?;
            exec(
                &client,
                "INSERT INTO blobs (sha256, size, mime, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&sha256, &size, &row.mime, &now],
            )
            .await?;
            Ok(())
        })
    }

    fn keeps_blob_bytes(&self) -> bool {
        true
    }

    fn put_blob_bytes(
        &self,
        sha256: &str,
        row: &BlobRow,
        bytes: &[u8],
        now: i64,
    ) -> Result<(), Error> {
        let size = i64::try_from(row.size).unwrap_or(i64::MAX);
        self.run(self.write(async |tx| {
            exec(
                tx,
                "INSERT INTO blobs (sha256, size, mime, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&sha256, &size, &row.mime, &now],
            )
            .await?;
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
                    readable("l.")
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
    ) -> Result<(), Error> {
        let keys: Vec<&str> = counts.iter().map(|c| c.key.as_str()).collect();
        let days: Vec<&str> = counts.iter().map(|c| c.day.as_str()).collect();
        let numbers: Vec<i64> = counts.iter().map(|c| i64::from(c.count)).collect();
        self.run(self.write(async |tx| {
            policy::check_read(me, load_library(tx, library_id).await?)?;
            // One statement for the whole report; `counts` holds each (key, day) once, as
            // `ON CONFLICT DO UPDATE` requires.
            exec(
                tx,
                "INSERT INTO usage (library_id, key, device_id, day, count, updated_at)
                 SELECT $1::uuid, u.key, $2::uuid, u.day, u.count, $3::bigint
                 FROM unnest($4::text[], $5::text[], $6::bigint[]) AS u(key, day, count)
                 ON CONFLICT (library_id, key, device_id, day) DO UPDATE SET
                    count = excluded.count, updated_at = excluded.updated_at",
                &[&library_id, &me.device_id, &now, &keys, &days, &numbers],
            )
            .await?;
            Ok(())
        }))
    }

    fn usage(&self, me: &Me, query: &UsageQuery) -> Result<Vec<UsageTotal>, Error> {
        let limit = i64::try_from(MAX_USAGE_ROWS).unwrap_or(i64::MAX);
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
            rows.iter()
                .map(|r| {
                    Ok(UsageTotal {
                        key: r.try_get(0)?,
                        count: to_u64(r.try_get(1)?),
                        devices: u32::try_from(r.try_get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    })
                })
                .collect()
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
        let limit = i64::try_from(MAX_USAGE_ROWS).unwrap_or(i64::MAX);
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
            rows.iter()
                .map(|r| {
                    Ok(MissedTotal {
                        query: r.try_get(0)?,
                        count: to_u64(r.try_get(1)?),
                        devices: u32::try_from(r.try_get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    })
                })
                .collect()
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

// ---- the listener ----

/// What a [`Listener`] hears, in commit order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// A committed write (on any instance).
    Change(Change, Option<Box<Item>>),
    /// A device was revoked (on any instance): forget cached tokens, end its streams.
    Revoked(Uuid),
    /// The listener connection was lost and is back: notifications may have been missed
    /// (the changes are announced again right after this; revocations are not, so forget
    /// every cached token).
    Resync,
}

struct ListenConn {
    client: tokio_postgres::Client,
    notifications: mpsc::UnboundedReceiver<Notification>,
}

/// One dedicated connection that `LISTEN`s on `quickreply_changes`.
pub struct Listener {
    config: tokio_postgres::Config,
    target: String,
    conn: Option<ListenConn>,
    /// The newest change number announced (older notifications are not announced again).
    last: i64,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("target", &self.target)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Listener {
    async fn connect(&mut self) -> Result<(), Error> {
        self.conn = None;
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, notifications) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        if tx.send(n).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the PostgreSQL listener connection failed");
                        return;
                    }
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        self.conn = Some(ListenConn {
            client,
            notifications,
        });
        Ok(())
    }

    /// Announces every library that changed after the last change announced.
    async fn catch_up(&mut self, sink: &(impl Fn(Heard) + Send)) -> Result<(), Error> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        let rows = conn
            .client
            .query(
                &format!(
                    "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE last_change > $1
                     ORDER BY last_change"
                ),
                &[&self.last],
            )
            .await?;
        for row in &rows {
            let lib = library_from_row(row)?;
            self.last = self.last.max(lib.last_change);
            sink(Heard::Change(lib.change(), None));
        }
        Ok(())
    }

    fn heard(&mut self, n: &Notification, sink: &impl Fn(Heard)) {
        match serde_json::from_str::<Payload>(n.payload()) {
            Ok(Payload::Change {
                library_id,
                head,
                change_no,
                team_id,
                personal_user,
                item,
            }) => {
                if change_no > self.last {
                    self.last = change_no;
                    sink(Heard::Change(
                        Change {
                            library_id,
                            head,
                            change_no,
                            team_id,
                            personal_user,
                        },
                        item,
                    ));
                }
            }
            Ok(Payload::Revoked { device_id }) => sink(Heard::Revoked(device_id)),
            Err(e) => tracing::warn!(
                error = %e,
                payload = n.payload(),
                "ignoring a notification that does not parse"
            ),
        }
    }

    /// Forwards what it hears to `sink` until `shutdown` turns true (or its sender is
    /// dropped), reconnecting after a lost connection.
    pub async fn run(
        mut self,
        mut shutdown: watch::Receiver<bool>,
        sink: impl Fn(Heard) + Send + 'static,
    ) {
        loop {
            let next = match self.conn.as_mut() {
                Some(conn) => tokio::select! {
                    _ = shutdown.wait_for(|stop| *stop) => return,
                    n = conn.notifications.recv() => n,
                },
                None => None,
            };
            if let Some(n) = next {
                self.heard(&n, &sink);
                continue;
            }
            if self.conn.is_some() {
                tracing::warn!(database = %self.target, "lost the PostgreSQL listener connection: reconnecting");
            }
            self.conn = None;
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => return,
                _ = tokio::time::sleep(RECONNECT_EVERY) => {}
            }
            let back = async {
                self.connect().await?;
                sink(Heard::Resync);
                self.catch_up(&sink).await
            };
            match back.await {
                Ok(()) => tracing::info!(database = %self.target, "listening again"),
                Err(e) => {
                    tracing::warn!(error = %e, database = %self.target, "cannot listen yet");
                    self.conn = None;
                }
            }
        }
    }
}
