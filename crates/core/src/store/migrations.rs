//! The store's schema migrations, applied in order by `Store::migrate`; `PRAGMA
//! user_version` counts the applied ones. Frozen as shipped: a released migration is
//! never edited, a change is a new one at the end.

/// Schema migrations, applied in order; `PRAGMA user_version` counts the applied ones.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE libraries (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'team')),
    created_at  INTEGER NOT NULL
);
CREATE TABLE folders (
    id          TEXT PRIMARY KEY,
    library_id  TEXT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    parent_id   TEXT REFERENCES folders(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX folders_unique_name ON folders(library_id, ifnull(parent_id, ''), name);
CREATE TABLE snippets (
    id              TEXT PRIMARY KEY,
    library_id      TEXT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    folder_id       TEXT REFERENCES folders(id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    code            TEXT,
    tags            TEXT NOT NULL DEFAULT '',
    apps            TEXT NOT NULL DEFAULT '',
    parts           TEXT NOT NULL,
    position        INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    body_text       TEXT NOT NULL DEFAULT '',
    search_pinyin   TEXT NOT NULL DEFAULT '',
    search_initials TEXT NOT NULL DEFAULT '',
    search_tags_pinyin TEXT NOT NULL DEFAULT '',
    -- crate::search::Mask of all searchable text: a cheap prefilter for streamed search
    mask0 INTEGER NOT NULL DEFAULT -1,
    mask1 INTEGER NOT NULL DEFAULT -1,
    mask2 INTEGER NOT NULL DEFAULT -1,
    mask3 INTEGER NOT NULL DEFAULT -1
);
CREATE UNIQUE INDEX snippets_unique_code ON snippets(library_id, code) WHERE code IS NOT NULL;
CREATE INDEX snippets_place ON snippets(library_id, folder_id, position);
CREATE INDEX snippets_folder ON snippets(folder_id);
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE variables (
    library_id  TEXT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (library_id, name)
);
CREATE TABLE usage (
    snippet_id  TEXT NOT NULL REFERENCES snippets(id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    count       INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (snippet_id, day)
);
"#,
    r#"
-- Sync (core::sync). The server's copy of every synced item ("shadow": what this device
-- last knew the server to hold), the outbox of local changes not yet sent (filled by
-- triggers in the same transaction as the change), and a switch that tells the
-- triggers a change comes from the server.
CREATE TABLE sync_account (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    server      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_name TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    team_name   TEXT NOT NULL,
    role        TEXT NOT NULL,
    personal_remote TEXT NOT NULL,
    last_sync   INTEGER,
    last_error  TEXT
);
CREATE TABLE sync_libraries (
    library_id  TEXT PRIMARY KEY REFERENCES libraries(id) ON DELETE CASCADE,
    remote_id   TEXT NOT NULL UNIQUE,
    cursor      INTEGER NOT NULL DEFAULT 0,
    writable    INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE sync_items (
    library_id  TEXT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (library_id, key)
);
CREATE TABLE sync_blobs (sha256 TEXT PRIMARY KEY);
CREATE TABLE sync_mode (applying INTEGER NOT NULL);
INSERT INTO sync_mode VALUES (0);
CREATE TABLE outbox (
    library_id  TEXT NOT NULL,
    key         TEXT NOT NULL,
    rev         INTEGER NOT NULL DEFAULT 1,
    op          TEXT NOT NULL,
    queued_at   INTEGER NOT NULL,
    PRIMARY KEY (library_id, key)
);

CREATE TRIGGER snippets_ro_insert BEFORE INSERT ON snippets WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER snippets_ro_update BEFORE UPDATE ON snippets WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER snippets_ro_delete BEFORE DELETE ON snippets WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER snippets_out_insert AFTER INSERT ON snippets WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (NEW.library_id, NEW.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER snippets_out_update AFTER UPDATE ON snippets WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (NEW.library_id, NEW.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER snippets_out_update_old AFTER UPDATE ON snippets WHEN NEW.library_id IS NOT OLD.library_id AND (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (OLD.library_id, OLD.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER snippets_out_delete AFTER DELETE ON snippets WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (OLD.library_id, OLD.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER folders_ro_insert BEFORE INSERT ON folders WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER folders_ro_update BEFORE UPDATE ON folders WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER folders_ro_delete BEFORE DELETE ON folders WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER folders_out_insert AFTER INSERT ON folders WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (NEW.library_id, NEW.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER folders_out_update AFTER UPDATE ON folders WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (NEW.library_id, NEW.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER folders_out_update_old AFTER UPDATE ON folders WHEN NEW.library_id IS NOT OLD.library_id AND (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (OLD.library_id, OLD.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER folders_out_delete AFTER DELETE ON folders WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (OLD.library_id, OLD.id, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER variables_ro_insert BEFORE INSERT ON variables WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER variables_ro_update BEFORE UPDATE ON variables WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER variables_ro_delete BEFORE DELETE ON variables WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id AND writable = 0)
BEGIN SELECT RAISE(ABORT, 'quickreply:read-only'); END;
CREATE TRIGGER variables_out_insert AFTER INSERT ON variables WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (NEW.library_id, 'var:' || NEW.name, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER variables_out_update AFTER UPDATE ON variables WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = NEW.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (NEW.library_id, 'var:' || NEW.name, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER variables_out_update_old AFTER UPDATE ON variables WHEN NEW.library_id IS NOT OLD.library_id AND (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (OLD.library_id, 'var:' || OLD.name, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
CREATE TRIGGER variables_out_delete AFTER DELETE ON variables WHEN (SELECT applying FROM sync_mode) = 0 AND EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = OLD.library_id)
BEGIN
    INSERT INTO outbox (library_id, key, op, queued_at)
    VALUES (OLD.library_id, 'var:' || OLD.name, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER))
    ON CONFLICT (library_id, key) DO UPDATE SET rev = rev + 1, op = excluded.op;
END;
"#,
    r#"
-- Per synced library: the newest `usage.last_at` (Unix ms) whose count the server has.
ALTER TABLE sync_libraries ADD COLUMN usage_sent INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- A team library's variable that agents may override with a personal one.
ALTER TABLE variables ADD COLUMN overridable INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- Searches that found nothing (the normalised query, never chat content), per day; and
-- the newest `last_at` (Unix ms) whose count the sync server has.
CREATE TABLE missed_searches (
    query   TEXT NOT NULL,
    day     TEXT NOT NULL,
    count   INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (query, day)
);
ALTER TABLE sync_account ADD COLUMN missed_sent INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- A conflict copy sync made on this device (its version of a reply changed elsewhere at
-- the same time) and the reply it copies (core::conflicts).
CREATE TABLE conflict_copies (
    copy_id     TEXT PRIMARY KEY REFERENCES snippets(id) ON DELETE CASCADE,
    original_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
"#,
    r#"
-- Several accounts at once (sync::accounts): one row per sync server this computer has
-- joined, the first joined (lowest id) being the primary one that the personal library
-- syncs with. Each synced library belongs to one account, and so does the cache of
-- images a server is known to have. A local team library not synced yet may name the
-- account it is to be published to (`account` NULL: it stays on this computer).
CREATE TABLE sync_accounts (
    id          INTEGER PRIMARY KEY,
    server      TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_name TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    team_name   TEXT NOT NULL,
    role        TEXT NOT NULL,
    personal_remote TEXT NOT NULL,
    last_sync   INTEGER,
    missed_sent INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_accounts (id, server, user_id, user_name, device_id, device_name, team_id,
                           team_name, role, personal_remote, last_sync, missed_sent)
    SELECT id, server, user_id, user_name, device_id, device_name, team_id, team_name, role,
           personal_remote, last_sync, missed_sent FROM sync_account;
DROP TABLE sync_account;
ALTER TABLE sync_libraries ADD COLUMN account INTEGER NOT NULL DEFAULT 1;
DROP TABLE sync_blobs;
CREATE TABLE sync_blobs (
    account INTEGER NOT NULL,
    sha256  TEXT NOT NULL,
    PRIMARY KEY (account, sha256)
);
CREATE TABLE library_targets (
    library_id TEXT PRIMARY KEY REFERENCES libraries(id) ON DELETE CASCADE,
    account    INTEGER
);
-- A search that found nothing beside one team's chat window (`team`: that team's server
-- address) is that team's question only; '' for one made anywhere else.
CREATE TABLE missed_searches_new (
    query   TEXT NOT NULL,
    day     TEXT NOT NULL,
    team    TEXT NOT NULL DEFAULT '',
    count   INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (query, day, team)
);
INSERT INTO missed_searches_new (query, day, count, last_at)
    SELECT query, day, count, last_at FROM missed_searches;
DROP TABLE missed_searches;
ALTER TABLE missed_searches_new RENAME TO missed_searches;
"#,
    r#"
-- A local change the server refused, or that the shared validator refused before it
-- was sent: it stays in the outbox but is not sent again while its outbox `rev` is the
-- one refused (an edit moves `rev` on and sends it again), and it is shown until the
-- user fixes, retries or discards it. The server's reason is English; a local one is
-- kept in both languages.
CREATE TABLE sync_refused (
    library_id  TEXT NOT NULL,
    key         TEXT NOT NULL,
    rev         INTEGER NOT NULL,
    message_zh  TEXT NOT NULL,
    message_en  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (library_id, key)
);
"#,
    r#"
-- Items of a synced library this computer could not take from the server (sync::skips):
-- an image missing there or no image, a document the store refuses. The rest of the
-- library was applied; each row is the newest version the feed brought (`doc`: its JSON,
-- NULL for a deletion), tried again at every sync and gone once applied or superseded.
CREATE TABLE sync_skipped (
    library_id TEXT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    doc        TEXT,
    title      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    first_at   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    PRIMARY KEY (library_id, key)
);
"#,
    r#"
-- A variable whose value is only an example (a built-in pack's hint, `example =` in
-- pack.toml), not the shop's own: it counts as unset, so no reply sends it (rendering
-- asks for it instead) and `effective_vars` skips it. Setting a value clears the flag.
ALTER TABLE variables ADD COLUMN example INTEGER NOT NULL DEFAULT 0;
-- Earlier versions imported the built-in packs' invented shop facts as real values. In
-- the personal library (where the app imports them), a value still equal to one of
-- them is now what it always was: an example.
UPDATE variables SET example = 1
WHERE library_id IN (SELECT id FROM libraries WHERE kind = 'personal')
  AND (name, value) IN (VALUES
    ('客服名', '小满'), ('发货时间', '48小时'), ('快递公司', '中通快递'), ('包邮门槛', '满99元'),
    ('活动名称', '店庆活动'), ('活动截止', '本月底'), ('优惠券', '满199减20元'),
    ('满减规则', '每满300减30元'), ('赠品', '精美小礼品一份'), ('工作时间', '每天9:00-23:00'),
    ('售后时效', '24小时'), ('会员福利', '会员下单享95折，生日当月再送优惠券'),
    ('agent_name', 'Alex'), ('ship_time', '2 business days'), ('carrier', 'DHL Express'),
    ('free_shipping', 'orders over $49'), ('delivery_time', '7-12 business days'),
    ('promo_name', 'Anniversary Sale'), ('promo_end', 'the end of this month'),
    ('coupon_code', 'THANKS10'), ('return_window', '30 days'),
    ('support_hours', 'Monday to Friday, 9am-6pm (UTC+8)'),
    ('support_email', 'support@example.com'));
"#,
    r#"
-- Search normalises replies (full-width forms, traditional characters): `search_fold` is 1
-- where that changes the title, tags or body. The derived search columns are computed
-- again in Rust when `search_columns_version` is below the program's
-- (store::search_columns::SEARCH_COLUMNS_VERSION).
ALTER TABLE snippets ADD COLUMN search_fold INTEGER NOT NULL DEFAULT 1;
CREATE TABLE search_columns_version (version INTEGER NOT NULL);
INSERT INTO search_columns_version VALUES (0);
"#,
    r#"
-- A counter of changes to replies, moved by every insert, update and delete of a row of
-- `snippets` (whoever writes: the app, `qreply`, a sync, a cascade), and a random name of
-- this database: together the stamp of the on-disk search cache (store::search_cache),
-- which is used only while both still match.
CREATE TABLE search_stamp (epoch TEXT NOT NULL, changes INTEGER NOT NULL);
INSERT INTO search_stamp VALUES (lower(hex(randomblob(16))), 0);
CREATE TRIGGER search_stamp_insert AFTER INSERT ON snippets
BEGIN UPDATE search_stamp SET changes = changes + 1; END;
CREATE TRIGGER search_stamp_update AFTER UPDATE ON snippets
BEGIN UPDATE search_stamp SET changes = changes + 1; END;
CREATE TRIGGER search_stamp_delete AFTER DELETE ON snippets
BEGIN UPDATE search_stamp SET changes = changes + 1; END;
"#,
    r#"
-- Campaign dates (生效 / 失效, #23): RFC 3339 instants with offset, as in the synced
-- documents (proto::schedule). NULL: open on that side. A folder's dates apply to every
-- reply inside it. The partial indexes keep the panel's per-search look at dated rows
-- (Store::hidden_replies) to the few that have dates.
ALTER TABLE snippets ADD COLUMN starts_at TEXT;
ALTER TABLE snippets ADD COLUMN ends_at TEXT;
ALTER TABLE folders ADD COLUMN starts_at TEXT;
ALTER TABLE folders ADD COLUMN ends_at TEXT;
CREATE INDEX snippets_dated ON snippets(id) WHERE starts_at IS NOT NULL OR ends_at IS NOT NULL;
CREATE INDEX folders_dated ON folders(id) WHERE starts_at IS NOT NULL OR ends_at IS NOT NULL;
"#,
    r#"
-- Agents' suggestions (建议修改 / 建议新增) this computer made or, for a lead, was shown
-- (crates/sync/src/suggest.rs): queued here until the server took them (`sent` 0 → 1;
-- `error` when the server refused one), then kept as the server last listed them
-- (`data`: the server's JSON, with the outcome and the lead's comment), so an agent sees
-- the outcome offline too. `library_id` is the local library.
CREATE TABLE sync_suggestions (
    id           TEXT PRIMARY KEY,
    account_id   INTEGER NOT NULL,
    library_id   TEXT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    doc          TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    sent         INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    data         TEXT
);
CREATE INDEX sync_suggestions_account ON sync_suggestions(account_id, sent);
"#,
];
