//! The SQLite schema: the tables as version 1 created them and each later version's
//! additions, applied in order when the database is opened (`PRAGMA user_version`
//! records how far it is). PostgreSQL has the same tables (`postgres::schema`).

use std::path::Path;

use rusqlite::Connection;

use crate::Error;

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

/// Schema version 5: removing members, cancelling codes, the daily fire ceiling.
const SCHEMA_V5: &str = r#"
-- A removed member (`DELETE /v1/members/{id}`): their devices are revoked and they are
-- listed nowhere; the row stays so that history still names who wrote what.
ALTER TABLE users ADD COLUMN removed_at INTEGER;
-- A code a lead cancelled (`DELETE /v1/codes/{id}`): refused as cancelled when used.
ALTER TABLE codes ADD COLUMN cancelled_at INTEGER;
CREATE INDEX codes_team ON codes(team_id);
-- A device's fires of one day over every library (the daily ceiling).
CREATE INDEX usage_device_day ON usage(device_id, day);
"#;

/// Schema version 6: what each member keeps on the server (`store::quota`).
const SCHEMA_V6: &str = r#"
-- Who wrote each item last (a user id) and the bytes of its document as stored.
ALTER TABLE items ADD COLUMN writer TEXT;
ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
-- Who uploaded each image first.
ALTER TABLE blobs ADD COLUMN uploaded_by TEXT;
-- The bytes of the item documents a member wrote last and the images they uploaded first.
ALTER TABLE users ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
-- Items written before: their writer from the history of their current version (items
-- older than the history are charged to nobody until written again); earlier images are
-- charged to nobody.
UPDATE items SET
    size = coalesce(octet_length(doc), 0),
    writer = (SELECT d.user_id FROM item_history h JOIN devices d ON d.id = h.device_id
              WHERE h.library_id = items.library_id AND h.key = items.key
                AND h.version = items.version);
UPDATE users SET stored_bytes = coalesce((SELECT sum(size) FROM items WHERE writer = users.id), 0);
"#;

/// Schema version 7: scanning to sign in with WeCom, Feishu, DingTalk, WeChat or QQ
/// (`store::scan`).
const SCHEMA_V7: &str = r#"
-- Attempts, by the SHA-256 of their single-use OAuth `state` and of their poll secret;
-- `status` waiting → exchanging → member | join | approval → approval_sent | linked | failed.
CREATE TABLE scans (
    id           TEXT PRIMARY KEY,
    provider     TEXT NOT NULL,
    state_hash   TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    link_user    TEXT,
    device_name  TEXT NOT NULL,
    user_name    TEXT,
    app_version  TEXT NOT NULL,
    web          INTEGER NOT NULL,
    ip           TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    user_id      TEXT,
    subject      TEXT,
    display_name TEXT,
    tenant       TEXT,
    error_code   TEXT,
    error_zh     TEXT,
    error_en     TEXT,
    signin_id    TEXT
);
CREATE INDEX scans_expiry ON scans(expires_at);
CREATE INDEX scans_signin ON scans(signin_id);

-- A member's identity at a provider: scanning with it signs their new computers in.
CREATE TABLE identities (
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    display_name TEXT NOT NULL,
    tenant       TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities(user_id);

-- Providers the owner set on the admin page (登录方式); those of the config file and the
-- environment are not here. `secret` is the app's secret, kept to call the provider:
-- never answered, never logged.
CREATE TABLE scan_settings (
    provider   TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    agent_id   TEXT,
    auto_join  INTEGER NOT NULL,
    tenant     TEXT,
    updated_at INTEGER NOT NULL,
    updated_by TEXT
);
"#;

/// Schema version 8: agents' suggestions (`store::suggest`).
const SCHEMA_V8: &str = r#"
-- A proposed change or new reply of a team library, by the client-made id (a queued
-- suggestion sent again is the same one); `status` pending → accepted | declined |
-- withdrawn; an accept records the item version it wrote (`result_version`), which
-- the item's history credits to the author.
CREATE TABLE suggestions (
    id             TEXT PRIMARY KEY,
    team_id        TEXT NOT NULL REFERENCES teams(id),
    library_id     TEXT NOT NULL REFERENCES libraries(id),
    key            TEXT NOT NULL,
    base_version   INTEGER NOT NULL,
    doc            TEXT NOT NULL,
    note           TEXT NOT NULL,
    author_user    TEXT NOT NULL REFERENCES users(id),
    author_device  TEXT NOT NULL REFERENCES devices(id),
    created_at     INTEGER NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
    comment        TEXT,
    decided_by     TEXT,
    decided_at     INTEGER,
    result_version INTEGER
);
CREATE INDEX suggestions_team ON suggestions(team_id, status);
CREATE INDEX suggestions_item ON suggestions(library_id, key);
"#;

/// The schema version this server creates and understands.
pub(super) const SCHEMA_VERSION: i64 = 8;

/// Brings the database up to [`SCHEMA_VERSION`] in one transaction; a newer database is
/// refused.
pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<(), Error> {
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
        if version < 5 {
            tx.execute_batch(SCHEMA_V5)?;
        }
        if version < 6 {
            tx.execute_batch(SCHEMA_V6)?;
        }
        if version < 7 {
            tx.execute_batch(SCHEMA_V7)?;
        }
        if version < 8 {
            tx.execute_batch(SCHEMA_V8)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
    }
    Ok(())
}
