//! The PostgreSQL schema: numbered migrations, each applied once and recorded in
//! `schema_version`, under a transaction-scoped advisory lock so that instances starting
//! together do not race. The tables are SQLite's (`sqlite::schema`) with PostgreSQL types,
//! plus `blob_data` (the images themselves).

use super::PgStore;
use crate::Error;

/// Key of the advisory lock held while migrating ("quickrep" in ASCII).
const MIGRATION_LOCK: i64 = 0x7175_6963_6b72_6570;

/// Schema migrations, applied in order; each runs once, recorded in `schema_version`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, SCHEMA_V1),
    (2, SCHEMA_V2),
    (3, SCHEMA_V3),
    (4, SCHEMA_V4),
    (5, SCHEMA_V5),
    (6, SCHEMA_V6),
    (7, SCHEMA_V7),
    (8, SCHEMA_V8),
];

/// Agents' suggestions (`store::suggest`); the same table as SQLite's version 8.
const SCHEMA_V8: &str = r#"
CREATE TABLE suggestions (
    id             UUID PRIMARY KEY,
    team_id        UUID NOT NULL REFERENCES teams(id),
    library_id     UUID NOT NULL REFERENCES libraries(id),
    key            TEXT NOT NULL,
    base_version   BIGINT NOT NULL,
    doc            TEXT NOT NULL,
    note           TEXT NOT NULL,
    author_user    UUID NOT NULL REFERENCES users(id),
    author_device  UUID NOT NULL REFERENCES devices(id),
    created_at     BIGINT NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    comment        TEXT,
    decided_by     UUID,
    decided_at     BIGINT,
    result_version BIGINT
);
CREATE INDEX suggestions_team ON suggestions(team_id, status);
CREATE INDEX suggestions_item ON suggestions(library_id, key);
"#;

/// Scanning to sign in (`store::scan`); the same tables as SQLite's version 7.
const SCHEMA_V7: &str = r#"
CREATE TABLE scans (
    id           UUID PRIMARY KEY,
    provider     TEXT NOT NULL,
    state_hash   TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    link_user    UUID,
    device_name  TEXT NOT NULL,
    user_name    TEXT,
    app_version  TEXT NOT NULL,
    web          BOOLEAN NOT NULL,
    ip           TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    status       TEXT NOT NULL,
    user_id      UUID,
    subject      TEXT,
    display_name TEXT,
    tenant       TEXT,
    error_code   TEXT,
    error_zh     TEXT,
    error_en     TEXT,
    signin_id    UUID
);
CREATE INDEX scans_expiry ON scans(expires_at);
CREATE INDEX scans_signin ON scans(signin_id);
CREATE TABLE identities (
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      UUID NOT NULL REFERENCES users(id),
    display_name TEXT NOT NULL,
    tenant       TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities(user_id);
CREATE TABLE scan_settings (
    provider   TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    agent_id   TEXT,
    auto_join  BOOLEAN NOT NULL,
    tenant     TEXT,
    updated_at BIGINT NOT NULL,
    updated_by UUID
);
"#;

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

const SCHEMA_V5: &str = r#"
-- A removed member (`DELETE /v1/members/{id}`): their devices are revoked and they are
-- listed nowhere; the row stays so that history still names who wrote what.
ALTER TABLE users ADD COLUMN removed_at BIGINT;
-- A code a lead cancelled (`DELETE /v1/codes/{id}`): refused as cancelled when used.
ALTER TABLE codes ADD COLUMN cancelled_at BIGINT;
CREATE INDEX codes_team ON codes(team_id);
-- A device's fires of one day over every library (the daily ceiling).
CREATE INDEX usage_device_day ON usage(device_id, day);
"#;

const SCHEMA_V6: &str = r#"
-- What each member keeps on the server (`store::quota`): who wrote each item last and the
-- bytes of its document, who uploaded each image first, and each member's total.
ALTER TABLE items ADD COLUMN writer UUID, ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blobs ADD COLUMN uploaded_by UUID;
ALTER TABLE users ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE items i SET
    size = coalesce(octet_length(i.doc), 0),
    writer = (SELECT d.user_id FROM item_history h JOIN devices d ON d.id = h.device_id
              WHERE h.library_id = i.library_id AND h.key = i.key AND h.version = i.version);
UPDATE users u SET stored_bytes = coalesce((SELECT sum(size) FROM items WHERE writer = u.id), 0);
"#;

impl PgStore {
    /// Brings the database's schema up to date (a newer one is refused).
    pub(super) async fn migrate(&self) -> Result<(), Error> {
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
}
