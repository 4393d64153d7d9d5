//! The local store: SQLite (WAL, foreign keys, versioned migrations) in the data
//! directory, image blobs beside it. Every change that touches more than one row runs in
//! one transaction, so a crash leaves either all of it or none of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{Local, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, params};
use uuid::Uuid;

use quickreply_proto::{LibraryKind, Part, is_valid_code};

use crate::blob::{BlobDir, ImageInfo, read_image_file};
use crate::error::{Error, Result};
use crate::search::{
    Hit, Mask, Question, Scorer, SearchFields, SearchIndex, TopK, pinyin_of, usage_boost,
    with_question_hits,
};
use crate::template::{self, RenderContext, TemplateError};

/// Name of the personal library every store has.
pub const PERSONAL: &str = "personal";
const DB_FILE: &str = "quickreply.db";

/// Schema migrations, applied in order; `PRAGMA user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
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
];

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A library as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Library {
    pub id: Uuid,
    pub name: String,
    pub kind: LibraryKind,
}

/// A library's variable as the editor lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// Agents may replace a team library's value with a personal one of the same name.
    pub overridable: bool,
}

/// A folder with its full path (`售前/尺码`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    pub id: Uuid,
    pub library_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub path: String,
    pub position: i64,
    pub snippet_count: usize,
}

/// A reply as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub id: Uuid,
    pub library: String,
    pub library_id: Uuid,
    pub folder_id: Option<Uuid>,
    /// Folder path, empty for the library root.
    pub folder: String,
    pub title: String,
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub apps: Vec<String>,
    pub parts: Vec<Part>,
    pub position: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What `add` needs. Image parts must already be stored with [`Store::add_image`].
#[derive(Clone, Debug, Default)]
pub struct NewSnippet {
    pub title: String,
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub apps: Vec<String>,
    /// Folder path (`物流` or `售前/尺码`), created when missing; empty for the root.
    pub folder: String,
    pub parts: Vec<Part>,
}

/// What `edit` changes; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct SnippetEdit {
    pub title: Option<String>,
    /// `Some(None)` removes the code.
    pub code: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub apps: Option<Vec<String>>,
    pub folder: Option<String>,
    pub parts: Option<Vec<Part>>,
}

/// What [`Store::import_batch`] writes: folders to create, replies to add and to edit,
/// variable defaults.
#[derive(Debug, Default)]
pub struct ImportBatch<'a> {
    pub folders: &'a [String],
    pub adds: Vec<NewSnippet>,
    pub edits: Vec<(Uuid, SnippetEdit)>,
    pub vars: &'a [(String, crate::source::VarDef)],
}

/// A rendered part, ready for the clipboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rendered {
    Text(String),
    Image {
        path: PathBuf,
        mime: String,
        width: u32,
        height: u32,
    },
}

/// Search options.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Only this library; `None` searches all.
    pub library: Option<Uuid>,
    pub limit: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            library: None,
            limit: 20,
        }
    }
}

fn corrupt(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::CorruptStore {
            path: path.to_path_buf(),
            source: e,
        },
        _ => Error::Db(e),
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split('\n')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Normalise a tag list: trimmed, no empties, no duplicates, order kept.
pub fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags
        .iter()
        .flat_map(|t| t.split([',', '，', '\n']))
        .map(str::trim)
    {
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

fn check_name(name: &str, what: &'static str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::Empty(what));
    }
    if name.contains(['/', '\n', '\r']) {
        return Err(Error::InvalidName(name.to_string()));
    }
    Ok(())
}

fn check_parts(parts: &[Part]) -> Result<()> {
    if parts.is_empty() {
        return Err(Error::Empty(crate::i18n::tr_static(
            "话术内容",
            "the reply's content",
        )));
    }
    for p in parts {
        if let Part::Text { body } = p {
            if body.trim().is_empty() {
                return Err(Error::Empty(crate::i18n::tr_static(
                    "文字段落",
                    "a text part",
                )));
            }
            template::parse(body)?;
        }
    }
    Ok(())
}

fn body_text(parts: &[Part]) -> String {
    parts
        .iter()
        .filter_map(Part::text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Derived search columns of a reply.
struct Derived {
    pinyin: String,
    initials: String,
    tags_pinyin: String,
    mask: [i64; 4],
}

/// Derived search columns: the title's pinyin and initials, the tags' pinyin and
/// initials together, and the character mask of everything.
fn search_columns(title: &str, code: Option<&str>, tags: &[String], body: &str) -> Derived {
    let (pinyin, initials) = pinyin_of(title);
    let (tp, ti) = pinyin_of(&tags.join(" "));
    let tags_pinyin = if tp.is_empty() {
        String::new()
    } else {
        format!("{tp} {ti}")
    };
    let mask = [
        title,
        code.unwrap_or(""),
        &tags.join(" "),
        body,
        &pinyin,
        &initials,
        &tags_pinyin,
    ]
    .iter()
    .fold(Mask::default(), |m, t| m.union(Mask::of(t)));
    Derived {
        pinyin,
        initials,
        tags_pinyin,
        mask: mask.0.map(|w| w as i64),
    }
}

/// The local store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    blobs: BlobDir,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(Error::io(data_dir))?;
        let path = data_dir.join(DB_FILE);
        let mut conn = Connection::open(&path).map_err(corrupt(&path))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(corrupt(&path))?;
        // Several processes share the store (the app, `qreply`, a `sync --watch`). A
        // deferred transaction that reads and then writes fails at once with "database is
        // locked" if another process wrote in between (the busy timeout cannot help);
        // taking the write lock at BEGIN makes every writer wait its turn instead.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt(&path))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(corrupt(&path))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(corrupt(&path))?;
        let mut store = Store {
            conn,
            blobs: BlobDir::new(data_dir.join("blobs")),
            path,
        };
        store.migrate()?;
        store.ensure_personal()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the sync engine (same crate).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn blobs(&self) -> &BlobDir {
        &self.blobs
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(corrupt(&path))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(Error::StoreTooNew {
                path,
                found: version,
                supported,
            });
        }
        let tx = self.conn.transaction().map_err(corrupt(&path))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(corrupt(&path))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn ensure_personal(&mut self) -> Result<()> {
        self.conn.execute(
            "INSERT INTO libraries (id, name, kind, created_at) VALUES (?1, ?2, 'personal', ?3)
             ON CONFLICT (name) DO NOTHING",
            params![Uuid::now_v7().to_string(), PERSONAL, now_ms()],
        )?;
        Ok(())
    }

    // ----- libraries -------------------------------------------------------------------

    pub fn libraries(&self) -> Result<Vec<Library>> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, kind FROM libraries ORDER BY kind, name")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, kind) = row?;
            out.push(Library {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                name,
                kind: LibraryKind::parse(&kind).unwrap_or(LibraryKind::Team),
            });
        }
        Ok(out)
    }

    pub fn library(&self, name: &str) -> Result<Library> {
        self.libraries()?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| Error::NoSuchLibrary(name.to_string()))
    }

    /// Create a (local) team library.
    pub fn create_library(&mut self, name: &str, kind: LibraryKind) -> Result<Library> {
        check_name(
            name,
            crate::i18n::tr_static("话术库名称", "the library name"),
        )?;
        if self.library(name).is_ok() {
            return Err(Error::LibraryExists(name.to_string()));
        }
        let id = Uuid::now_v7();
        self.conn.execute(
            "INSERT INTO libraries (id, name, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), name, kind.as_str(), now_ms()],
        )?;
        Ok(Library {
            id,
            name: name.to_string(),
            kind,
        })
    }

    // ----- folders ---------------------------------------------------------------------

    /// All folders of a library with their paths, in tree order.
    pub fn folders(&self, library: &Library) -> Result<Vec<Folder>> {
        let mut st = self.conn.prepare(
            "SELECT f.id, f.parent_id, f.name, f.position,
                    (SELECT count(*) FROM snippets s WHERE s.folder_id = f.id)
             FROM folders f WHERE f.library_id = ?1 ORDER BY f.position, f.name",
        )?;
        let rows = st.query_map([library.id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut flat = Vec::new();
        for row in rows {
            let (id, parent, name, position, count) = row?;
            flat.push(Folder {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                library_id: library.id,
                parent_id: parent.and_then(|p| Uuid::parse_str(&p).ok()),
                name,
                path: String::new(),
                position,
                snippet_count: count as usize,
            });
        }
        // Depth-first walk from the root gives tree order and full paths.
        let mut out = Vec::with_capacity(flat.len());
        fn walk(flat: &[Folder], parent: Option<Uuid>, prefix: &str, out: &mut Vec<Folder>) {
            for f in flat.iter().filter(|f| f.parent_id == parent) {
                let mut f = f.clone();
                f.path = if prefix.is_empty() {
                    f.name.clone()
                } else {
                    format!("{prefix}/{}", f.name)
                };
                let (id, path) = (f.id, f.path.clone());
                out.push(f);
                walk(flat, Some(id), &path, out);
            }
        }
        walk(&flat, None, "", &mut out);
        Ok(out)
    }

    fn folder_id_in(
        tx: &Connection,
        library: Uuid,
        path: &str,
        create: bool,
    ) -> Result<Option<Uuid>> {
        let mut parent: Option<Uuid> = None;
        for name in path.split('/').map(str::trim).filter(|s| !s.is_empty()) {
            check_name(
                name,
                crate::i18n::tr_static("文件夹名称", "the folder name"),
            )?;
            let found: Option<String> = tx
                .prepare_cached(
                    "SELECT id FROM folders WHERE library_id = ?1 AND parent_id IS ?2 AND name = ?3",
                )?
                .query_row(
                    params![library.to_string(), parent.map(|p| p.to_string()), name],
                    |r| r.get(0),
                )
                .optional()?;
            parent = Some(match found {
                Some(id) => Uuid::parse_str(&id).unwrap_or_default(),
                None if create => {
                    let id = Uuid::now_v7();
                    tx.prepare_cached(
                        "INSERT INTO folders (id, library_id, parent_id, name, position)
                         VALUES (?1, ?2, ?3, ?4, (SELECT ifnull(max(position), -1) + 1 FROM folders
                                 WHERE library_id = ?2 AND parent_id IS ?3))",
                    )?
                    .execute(params![
                        id.to_string(),
                        library.to_string(),
                        parent.map(|p| p.to_string()),
                        name
                    ])?;
                    id
                }
                None => return Err(Error::NoSuchFolder(path.to_string())),
            });
        }
        Ok(parent)
    }

    /// Create a folder path (and its missing parents).
    pub fn create_folder(&mut self, library: &Library, path: &str) -> Result<Uuid> {
        if path.split('/').all(|s| s.trim().is_empty()) {
            return Err(Error::Empty(crate::i18n::tr_static(
                "文件夹名称",
                "the folder name",
            )));
        }
        let tx = self.conn.transaction()?;
        let id = Self::folder_id_in(&tx, library.id, path, true)?;
        tx.commit()?;
        Ok(id.unwrap_or_default())
    }

    /// Delete a folder; with `recursive`, its sub-folders and replies too. Returns the
    /// number of replies deleted.
    pub fn remove_folder(
        &mut self,
        library: &Library,
        path: &str,
        recursive: bool,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let id = Self::folder_id_in(&tx, library.id, path, false)?
            .ok_or_else(|| Error::NoSuchFolder(path.to_string()))?;
        let count: i64 = tx.query_row(
            "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id)
             SELECT count(*) FROM snippets WHERE folder_id IN (SELECT id FROM sub)",
            [id.to_string()],
            |r| r.get(0),
        )?;
        if count > 0 && !recursive {
            return Err(Error::FolderNotEmpty(path.to_string(), count as usize));
        }
        tx.execute("DELETE FROM folders WHERE id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(count as usize)
    }

    // ----- images ----------------------------------------------------------------------

    /// Check and store an image file; returns the part that refers to it.
    pub fn add_image(&self, path: &Path) -> Result<Part> {
        let (bytes, info) = read_image_file(path)?;
        self.put_image_bytes(&bytes, &info)?;
        Ok(image_part(&info))
    }

    /// Check and store image bytes (pasted or dropped into the editor); `name` only
    /// names them in errors.
    pub fn add_image_bytes(&self, bytes: &[u8], name: &str) -> Result<Part> {
        let info = crate::blob::inspect_image(bytes, Path::new(name))?;
        self.put_image_bytes(bytes, &info)?;
        Ok(image_part(&info))
    }

    /// Store already-checked image bytes.
    pub fn put_image_bytes(&self, bytes: &[u8], info: &ImageInfo) -> Result<()> {
        self.blobs.put(bytes, &info.sha256)?;
        self.conn.execute(
            "INSERT INTO blobs (sha256, mime, width, height, size, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (sha256) DO NOTHING",
            params![info.sha256, info.mime, info.width, info.height, info.size as i64, now_ms()],
        )?;
        Ok(())
    }

    // ----- replies ---------------------------------------------------------------------

    fn check_code(tx: &Connection, library: Uuid, code: &str, except: Option<Uuid>) -> Result<()> {
        if !is_valid_code(code) {
            return Err(Error::InvalidCode(code.to_string()));
        }
        let taken: Option<(String, String)> = tx
            .prepare_cached("SELECT id, title FROM snippets WHERE library_id = ?1 AND code = ?2")?
            .query_row(params![library.to_string(), code], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((id, title)) = taken
            && Some(id) != except.map(|e| e.to_string())
        {
            return Err(Error::CodeTaken {
                code: code.to_string(),
                title,
            });
        }
        Ok(())
    }

    /// Add a reply; returns it as stored.
    pub fn add_snippet(&mut self, library: &Library, new: NewSnippet) -> Result<Snippet> {
        let tx = self.conn.transaction()?;
        let id = Self::insert_snippet(&tx, library, new)?;
        tx.commit()?;
        self.snippet(id)
    }

    /// Add many replies in one transaction (all or nothing).
    pub fn add_snippets(&mut self, library: &Library, news: Vec<NewSnippet>) -> Result<Vec<Uuid>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(news.len());
        for new in news {
            ids.push(Self::insert_snippet(&tx, library, new)?);
        }
        tx.commit()?;
        Ok(ids)
    }

    fn insert_snippet(tx: &Transaction<'_>, library: &Library, new: NewSnippet) -> Result<Uuid> {
        let title = new.title.trim().to_string();
        if title.is_empty() {
            return Err(Error::Empty(crate::i18n::tr_static("标题", "the title")));
        }
        if title.contains(['\n', '\r']) {
            return Err(Error::InvalidName(title));
        }
        check_parts(&new.parts)?;
        let code = new
            .code
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(code) = &code {
            Self::check_code(tx, library.id, code, None)?;
        }
        let folder_id = Self::folder_id_in(tx, library.id, &new.folder, true)?;
        let tags = clean_tags(&new.tags);
        let apps = clean_tags(&new.apps);
        let body = body_text(&new.parts);
        let d = search_columns(&title, code.as_deref(), &tags, &body);
        let id = Uuid::now_v7();
        let now = now_ms();
        let parts = serde_json::to_string(&new.parts).unwrap_or_else(|_| "[]".into());
        tx.prepare_cached(
            "INSERT INTO snippets (id, library_id, folder_id, title, code, tags, apps, parts, position,
                                   version, created_at, updated_at, body_text, search_pinyin, search_initials,
                                   mask0, mask1, mask2, mask3, search_tags_pinyin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                     (SELECT ifnull(max(position), -1) + 1 FROM snippets WHERE library_id = ?2 AND folder_id IS ?3),
                     1, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?
        .execute(params![
                id.to_string(),
                library.id.to_string(),
                folder_id.map(|f| f.to_string()),
                title,
                code,
                tags.join("\n"),
                apps.join("\n"),
                parts,
                now,
                body,
                d.pinyin,
                d.initials,
                d.mask[0],
                d.mask[1],
                d.mask[2],
                d.mask[3],
                d.tags_pinyin
            ],
        )?;
        Ok(id)
    }

    /// Write a reply exactly as the sync server has it (insert or replace by id), with its
    /// derived search columns. The caller decides, through `sync_mode`, whether this is
    /// an applied remote change or a local one.
    pub(crate) fn write_snippet_doc(
        tx: &Connection,
        library_id: Uuid,
        doc: &quickreply_proto::SnippetDoc,
    ) -> Result<()> {
        let tags = clean_tags(&doc.tags);
        let apps = clean_tags(&doc.apps);
        let body = body_text(&doc.parts);
        let d = search_columns(&doc.title, doc.code.as_deref(), &tags, &body);
        let now = now_ms();
        tx.prepare_cached(
            "INSERT INTO snippets (id, library_id, folder_id, title, code, tags, apps, parts, position,
                                   version, created_at, updated_at, body_text, search_pinyin, search_initials,
                                   mask0, mask1, mask2, mask3, search_tags_pinyin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
             ON CONFLICT (id) DO UPDATE SET library_id = excluded.library_id, folder_id = excluded.folder_id,
                title = excluded.title, code = excluded.code, tags = excluded.tags, apps = excluded.apps,
                parts = excluded.parts, position = excluded.position, version = version + 1,
                updated_at = excluded.updated_at, body_text = excluded.body_text,
                search_pinyin = excluded.search_pinyin, search_initials = excluded.search_initials,
                mask0 = excluded.mask0, mask1 = excluded.mask1, mask2 = excluded.mask2,
                mask3 = excluded.mask3, search_tags_pinyin = excluded.search_tags_pinyin",
        )?
        .execute(params![
            doc.id.to_string(),
            library_id.to_string(),
            doc.folder_id.map(|f| f.to_string()),
            doc.title,
            doc.code,
            tags.join("\n"),
            apps.join("\n"),
            serde_json::to_string(&doc.parts).unwrap_or_else(|_| "[]".into()),
            doc.position,
            now,
            body,
            d.pinyin,
            d.initials,
            d.mask[0],
            d.mask[1],
            d.mask[2],
            d.mask[3],
            d.tags_pinyin
        ])?;
        Ok(())
    }

    /// Change a reply; bumps its version.
    pub fn edit_snippet(&mut self, id: Uuid, edit: SnippetEdit) -> Result<Snippet> {
        let cur = self.snippet(id)?;
        let tx = self.conn.transaction()?;
        Self::apply_edit(&tx, &cur, edit)?;
        tx.commit()?;
        self.snippet(id)
    }

    fn apply_edit(tx: &Transaction<'_>, cur: &Snippet, edit: SnippetEdit) -> Result<()> {
        let title = edit
            .title
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| cur.title.clone());
        if title.is_empty() {
            return Err(Error::Empty(crate::i18n::tr_static("标题", "the title")));
        }
        if title.contains(['\n', '\r']) {
            return Err(Error::InvalidName(title));
        }
        let code = match edit.code {
            Some(c) => c.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            None => cur.code.clone(),
        };
        let tags = edit
            .tags
            .map_or_else(|| cur.tags.clone(), |t| clean_tags(&t));
        let apps = edit
            .apps
            .map_or_else(|| cur.apps.clone(), |t| clean_tags(&t));
        let parts = edit.parts.unwrap_or_else(|| cur.parts.clone());
        check_parts(&parts)?;
        if let Some(code) = &code {
            Self::check_code(tx, cur.library_id, code, Some(cur.id))?;
        }
        let folder_id = match &edit.folder {
            Some(path) => Self::folder_id_in(tx, cur.library_id, path, true)?,
            None => cur.folder_id,
        };
        let body = body_text(&parts);
        let d = search_columns(&title, code.as_deref(), &tags, &body);
        tx.execute(
            "UPDATE snippets SET title = ?2, code = ?3, tags = ?4, apps = ?5, parts = ?6, folder_id = ?7,
                    version = version + 1, updated_at = ?8, body_text = ?9, search_pinyin = ?10, search_initials = ?11,
                    mask0 = ?12, mask1 = ?13, mask2 = ?14, mask3 = ?15, search_tags_pinyin = ?16
             WHERE id = ?1",
            params![
                cur.id.to_string(),
                title,
                code,
                tags.join("\n"),
                apps.join("\n"),
                serde_json::to_string(&parts).unwrap_or_else(|_| "[]".into()),
                folder_id.map(|f| f.to_string()),
                now_ms(),
                body,
                d.pinyin,
                d.initials,
                d.mask[0],
                d.mask[1],
                d.mask[2],
                d.mask[3],
                d.tags_pinyin
            ],
        )?;
        Ok(())
    }

    /// Apply an import in one transaction: create folders, add and edit replies, and set
    /// variable defaults where no value exists yet (personal-scope ones in `personal`).
    /// Returns how many variables were added.
    pub fn import_batch(
        &mut self,
        library: &Library,
        personal: &Library,
        batch: ImportBatch<'_>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize> {
        let ImportBatch {
            folders,
            adds,
            edits,
            vars,
        } = batch;
        let total = edits.len() + adds.len();
        let mut done = 0;
        progress(0, total);
        let curs = edits
            .iter()
            .map(|(id, _)| self.snippet(*id))
            .collect::<Result<Vec<_>>>()?;
        let tx = self.conn.transaction()?;
        for f in folders {
            Self::folder_id_in(&tx, library.id, f, true)?;
        }
        // Edits first: one may free a shortcut code that an added reply takes.
        for (cur, (_, edit)) in curs.iter().zip(edits) {
            Self::apply_edit(&tx, cur, edit)?;
            done += 1;
            if done % 64 == 0 {
                progress(done, total);
            }
        }
        for new in adds {
            Self::insert_snippet(&tx, library, new)?;
            done += 1;
            if done % 64 == 0 {
                progress(done, total);
            }
        }
        let mut added = 0;
        for (name, def) in vars {
            if !template::is_valid_var_name(name) {
                return Err(Error::InvalidVariableName(name.clone()));
            }
            let lib = if def.is_personal() { personal } else { library };
            added += tx.execute(
                "INSERT INTO variables (library_id, name, value, description) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (library_id, name) DO NOTHING",
                params![lib.id.to_string(), name, def.default, def.description],
            )?;
        }
        tx.commit()?;
        progress(total, total);
        Ok(added)
    }

    pub fn remove_snippet(&mut self, id: Uuid) -> Result<()> {
        let n = self
            .conn
            .execute("DELETE FROM snippets WHERE id = ?1", [id.to_string()])?;
        if n == 0 {
            return Err(Error::NoSuchSnippet(id.to_string()));
        }
        Ok(())
    }

    /// Put `ids` (replies of `library`) into the folder `folder` (a path, created when
    /// missing; empty for the root) in this order, positions 0, 1, 2 …; one transaction.
    /// This is drag-to-reorder, within a folder or into another one.
    pub fn reorder(&mut self, library: &Library, folder: &str, ids: &[Uuid]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let folder_id = Self::folder_id_in(&tx, library.id, folder, true)?;
        for (pos, id) in ids.iter().enumerate() {
            let n = tx.execute(
                "UPDATE snippets SET folder_id = ?3, position = ?4,
                        version = CASE WHEN folder_id IS ?3 THEN version ELSE version + 1 END,
                        updated_at = CASE WHEN folder_id IS ?3 THEN updated_at ELSE ?5 END
                 WHERE id = ?1 AND library_id = ?2",
                params![
                    id.to_string(),
                    library.id.to_string(),
                    folder_id.map(|f| f.to_string()),
                    pos as i64,
                    now_ms()
                ],
            )?;
            if n == 0 {
                return Err(Error::NoSuchSnippet(id.to_string()));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Copy a reply into another library (a team reply into the personal one, to change
    /// it there): same folder path and parts; the title gets a suffix when the folder
    /// already has it, and the shortcut code is dropped when the target uses it. The
    /// original is never touched.
    pub fn copy_to(&mut self, id: Uuid, target: &Library) -> Result<Snippet> {
        let src = self.snippet(id)?;
        let taken_title = |title: &str| -> Result<bool> {
            Ok(self
                .snippets(Some(target))?
                .iter()
                .any(|s| s.folder == src.folder && s.title == title))
        };
        let mut title = src.title.clone();
        let mut n = 1;
        while taken_title(&title)? {
            n += 1;
            title = crate::i18n::tr(
                format!(
                    "{}（副本{}）",
                    src.title,
                    if n == 2 { String::new() } else { n.to_string() }
                ),
                format!(
                    "{} (copy{})",
                    src.title,
                    if n == 2 {
                        String::new()
                    } else {
                        format!(" {n}")
                    }
                ),
            );
        }
        let code = src.code.clone().filter(|c| {
            !self
                .snippets(Some(target))
                .is_ok_and(|all| all.iter().any(|s| s.code.as_deref() == Some(c)))
        });
        self.add_snippet(
            target,
            NewSnippet {
                title,
                code,
                tags: src.tags,
                apps: src.apps,
                folder: src.folder,
                parts: src.parts,
            },
        )
    }

    const SNIPPET_COLS: &'static str =
        "s.id, l.name, s.library_id, s.folder_id, s.title, s.code, s.tags, s.apps, s.parts,
         s.position, s.version, s.created_at, s.updated_at";

    fn row_to_snippet(r: &rusqlite::Row<'_>) -> rusqlite::Result<Snippet> {
        let parts: String = r.get(8)?;
        Ok(Snippet {
            id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            library: r.get(1)?,
            library_id: Uuid::parse_str(&r.get::<_, String>(2)?).unwrap_or_default(),
            folder_id: r
                .get::<_, Option<String>>(3)?
                .and_then(|f| Uuid::parse_str(&f).ok()),
            folder: String::new(),
            title: r.get(4)?,
            code: r.get(5)?,
            tags: split_list(&r.get::<_, String>(6)?),
            apps: split_list(&r.get::<_, String>(7)?),
            parts: serde_json::from_str(&parts).unwrap_or_default(),
            position: r.get(9)?,
            version: r.get(10)?,
            created_at: r.get(11)?,
            updated_at: r.get(12)?,
        })
    }

    fn folder_paths(&self) -> Result<HashMap<Uuid, String>> {
        let mut map = HashMap::new();
        for lib in self.libraries()? {
            for f in self.folders(&lib)? {
                map.insert(f.id, f.path);
            }
        }
        Ok(map)
    }

    fn with_paths(&self, mut list: Vec<Snippet>) -> Result<Vec<Snippet>> {
        let paths = self.folder_paths()?;
        for s in &mut list {
            if let Some(p) = s.folder_id.and_then(|f| paths.get(&f)) {
                s.folder = p.clone();
            }
        }
        Ok(list)
    }

    pub fn snippet(&self, id: Uuid) -> Result<Snippet> {
        let sql = format!(
            "SELECT {} FROM snippets s JOIN libraries l ON l.id = s.library_id WHERE s.id = ?1",
            Self::SNIPPET_COLS
        );
        let s = self
            .conn
            .query_row(&sql, [id.to_string()], Self::row_to_snippet)
            .optional()?
            .ok_or_else(|| Error::NoSuchSnippet(id.to_string()))?;
        Ok(self.with_paths(vec![s])?.remove(0))
    }

    /// Whether there is no reply in any library (cheap: the first-run check).
    pub fn is_empty(&self) -> Result<bool> {
        let any: bool = self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM snippets)", [], |r| r.get(0))?;
        Ok(!any)
    }

    /// Replies of one library (or all), in folder and position order.
    pub fn snippets(&self, library: Option<&Library>) -> Result<Vec<Snippet>> {
        let sql = format!(
            "SELECT {} FROM snippets s JOIN libraries l ON l.id = s.library_id
             WHERE (?1 IS NULL OR s.library_id = ?1) ORDER BY l.kind, l.name, s.position, s.title",
            Self::SNIPPET_COLS
        );
        let mut st = self.conn.prepare(&sql)?;
        let list = st
            .query_map([library.map(|l| l.id.to_string())], Self::row_to_snippet)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut list = self.with_paths(list)?;
        // Tree order of folders, root first.
        let order: HashMap<Uuid, usize> = self
            .libraries()?
            .iter()
            .flat_map(|l| self.folders(l).unwrap_or_default())
            .enumerate()
            .map(|(i, f)| (f.id, i + 1))
            .collect();
        list.sort_by_key(|s| {
            (
                s.library_id != library.map_or(s.library_id, |l| l.id),
                s.folder_id
                    .and_then(|f| order.get(&f).copied())
                    .unwrap_or(0),
                s.position,
            )
        });
        Ok(list)
    }

    /// Find a reply by id, id prefix (8+ hex digits), shortcut code or exact title.
    pub fn resolve(&self, library: Option<&Library>, key: &str) -> Result<Snippet> {
        let key = key.trim();
        if let Ok(id) = Uuid::parse_str(key) {
            return self.snippet(id);
        }
        let lib = library.map(|l| l.id.to_string());
        let mut found: Vec<(String, String, String)> = Vec::new();
        for (col, op) in [
            ("code", "= ?2"),
            ("title", "= ?2"),
            ("id", "LIKE ?2 || '%'"),
        ] {
            if col == "id"
                && (key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
            {
                continue;
            }
            let sql = format!(
                "SELECT s.id, s.title, l.name FROM snippets s JOIN libraries l ON l.id = s.library_id
                 WHERE (?1 IS NULL OR s.library_id = ?1) AND s.{col} {op} ORDER BY l.kind, l.name LIMIT 10"
            );
            let mut st = self.conn.prepare(&sql)?;
            found = st
                .query_map(params![lib, key.to_lowercase()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if col == "title" && found.is_empty() {
                found = st
                    .query_map(params![lib, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
            }
            if !found.is_empty() {
                break;
            }
        }
        match found.len() {
            0 => Err(Error::NoSuchSnippet(key.to_string())),
            1 => self.snippet(Uuid::parse_str(&found[0].0).unwrap_or_default()),
            _ => Err(Error::AmbiguousSnippet(
                key.to_string(),
                found
                    .iter()
                    .map(|(id, t, l)| format!("{l}/{t} ({})", &id[..8]))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    // ----- variables -------------------------------------------------------------------

    pub fn set_var(&mut self, library: &Library, name: &str, value: &str) -> Result<()> {
        if !template::is_valid_var_name(name) {
            return Err(Error::InvalidVariableName(name.to_string()));
        }
        self.conn.execute(
            "INSERT INTO variables (library_id, name, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (library_id, name) DO UPDATE SET value = excluded.value",
            params![library.id.to_string(), name, value],
        )?;
        Ok(())
    }

    /// Let agents replace this library's value of `name` with their personal one (or not).
    /// Returns whether the variable exists.
    pub fn set_var_overridable(
        &mut self,
        library: &Library,
        name: &str,
        overridable: bool,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE variables SET overridable = ?3 WHERE library_id = ?1 AND name = ?2",
            params![library.id.to_string(), name, overridable],
        )?;
        Ok(n > 0)
    }

    /// Names of this library's variables that agents may override.
    pub fn overridable_vars(&self, library: &Library) -> Result<std::collections::HashSet<String>> {
        let mut st = self
            .conn
            .prepare("SELECT name FROM variables WHERE library_id = ?1 AND overridable")?;
        let names = st
            .query_map([library.id.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(names)
    }

    /// One library's variables with whether agents may override each (the editor's list).
    pub fn variable_list(&self, library: &Library) -> Result<Vec<Variable>> {
        let mut st = self.conn.prepare(
            "SELECT name, value, overridable FROM variables WHERE library_id = ?1 ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| {
                Ok(Variable {
                    name: r.get(0)?,
                    value: r.get(1)?,
                    overridable: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Write a variable in one transaction: a rename (`old` differs from the new name)
    /// removes the old one; the overridable flag counts for team libraries only.
    pub fn save_variable(
        &mut self,
        library: &Library,
        old: Option<&str>,
        var: &Variable,
    ) -> Result<()> {
        if !template::is_valid_var_name(&var.name) {
            return Err(Error::InvalidVariableName(var.name.clone()));
        }
        let overridable = var.overridable && library.kind == LibraryKind::Team;
        let lib = library.id.to_string();
        let tx = self.conn.transaction()?;
        if let Some(old) = old.filter(|o| *o != var.name) {
            tx.execute(
                "DELETE FROM variables WHERE library_id = ?1 AND name = ?2",
                params![lib, old],
            )?;
        }
        tx.execute(
            "INSERT INTO variables (library_id, name, value, overridable) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (library_id, name) DO UPDATE
             SET value = excluded.value, overridable = excluded.overridable
             WHERE value IS NOT excluded.value OR overridable IS NOT excluded.overridable",
            params![lib, var.name, var.value, overridable],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Whether this computer may change the library (false for a team library that this
    /// member only reads: an agent's copy of the lead's library).
    pub fn writable(&self, library: &Library) -> Result<bool> {
        let ro: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_libraries WHERE library_id = ?1 AND writable = 0)",
            [library.id.to_string()],
            |r| r.get(0),
        )?;
        Ok(!ro)
    }

    /// Returns whether it existed.
    pub fn unset_var(&mut self, library: &Library, name: &str) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM variables WHERE library_id = ?1 AND name = ?2",
            params![library.id.to_string(), name],
        )?;
        Ok(n > 0)
    }

    /// Variables of one library with their descriptions: (name, value, description).
    pub fn variables(&self, library: &Library) -> Result<Vec<(String, String, String)>> {
        let mut st = self.conn.prepare(
            "SELECT name, value, description FROM variables WHERE library_id = ?1 ORDER BY name",
        )?;
        let rows = st
            .query_map([library.id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Variables of one library, by name.
    pub fn vars(&self, library: &Library) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT name, value FROM variables WHERE library_id = ?1 ORDER BY name")?;
        let rows = st
            .query_map([library.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The values a reply of `library` sees: the library's own variables, then the
    /// personal library's for names the library does not set (e.g. `{客服名}`). A value
    /// the library marks overridable gives way to a personal one of the same name.
    pub fn effective_vars(&self, library_id: Uuid) -> Result<HashMap<String, String>> {
        // Later rows win: overridable library values, then personal ones, then the
        // library's fixed values.
        let mut st = self.conn.prepare(
            "SELECT v.name, v.value FROM variables v JOIN libraries l ON l.id = v.library_id
             WHERE v.library_id = ?1 OR l.kind = 'personal'
             ORDER BY CASE WHEN v.library_id = ?1 AND NOT v.overridable THEN 2
                           WHEN l.kind = 'personal' THEN 1 ELSE 0 END",
        )?;
        let mut map = HashMap::new();
        for row in st.query_map([library_id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (k, v) = row?;
            map.insert(k, v);
        }
        Ok(map)
    }

    // ----- firing ----------------------------------------------------------------------

    /// Render every part of a reply. Prompts must be answered in `prompts`.
    pub fn render(
        &self,
        snippet: &Snippet,
        prompts: &HashMap<String, String>,
        clipboard: Option<&dyn Fn() -> Option<String>>,
    ) -> Result<Vec<Rendered>> {
        self.render_parts(snippet.library_id, &snippet.parts, prompts, clipboard)
    }

    /// Render parts as a reply of `library_id` would be (the editor's live preview of
    /// unsaved parts uses this).
    pub fn render_parts(
        &self,
        library_id: Uuid,
        parts: &[Part],
        prompts: &HashMap<String, String>,
        clipboard: Option<&dyn Fn() -> Option<String>>,
    ) -> Result<Vec<Rendered>> {
        let vars = self.effective_vars(library_id)?;
        let ctx = RenderContext {
            vars: &vars,
            prompts,
            now: Local::now(),
            clipboard,
        };
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            out.push(match p {
                Part::Text { body } => Rendered::Text(template::render(body, &ctx)?),
                Part::Image {
                    sha256,
                    mime,
                    width,
                    height,
                } => {
                    if !self.blobs.verify(sha256) {
                        return Err(Error::BadImage {
                            path: self.blobs.path_of(sha256),
                            reason: crate::i18n::tr(
                                "图片文件缺失或已损坏",
                                "the image file is missing or damaged",
                            ),
                        });
                    }
                    Rendered::Image {
                        path: self.blobs.path_of(sha256),
                        mime: mime.clone(),
                        width: *width,
                        height: *height,
                    }
                }
            });
        }
        Ok(out)
    }

    /// The prompts a reply asks for, in order.
    pub fn prompts_of(snippet: &Snippet) -> Result<Vec<String>, TemplateError> {
        let mut names: Vec<String> = Vec::new();
        for body in snippet.parts.iter().filter_map(Part::text) {
            for p in template::prompts(body)? {
                if !names.contains(&p) {
                    names.push(p);
                }
            }
        }
        Ok(names)
    }

    /// Count one fire of a reply (counts only, never content).
    pub fn record_fire(&mut self, id: Uuid) -> Result<()> {
        let now = Utc::now();
        self.conn.execute(
            "INSERT INTO usage (snippet_id, day, count, last_at) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (snippet_id, day) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            params![id.to_string(), now.format("%Y-%m-%d").to_string(), now.timestamp_millis()],
        )?;
        Ok(())
    }

    /// Counts a search that found nothing, as the team's "searches that found nothing"
    /// report shows it: only what [`quickreply_proto::api::missed_query`] keeps (short
    /// searches without long numbers or e-mail addresses). `false` when not counted.
    ///
    /// `team`: the server address of the team whose chat window the search was made
    /// beside (a profile naming a team); only that team hears of it. `None`: every team.
    pub fn record_missed_search(&mut self, query: &str, team: Option<&str>) -> Result<bool> {
        let Some(query) = quickreply_proto::api::missed_query(query) else {
            return Ok(false);
        };
        let now = Utc::now();
        let team = team.map_or("", |t| t.trim().trim_end_matches('/'));
        self.conn.execute(
            "INSERT INTO missed_searches (query, day, team, count, last_at) VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (query, day, team) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            params![
                query,
                now.format("%Y-%m-%d").to_string(),
                team,
                now.timestamp_millis()
            ],
        )?;
        Ok(true)
    }

    /// This computer's searches that found nothing whose count changed after `since` (Unix
    /// ms), of the last `days` days, and the newest change among them: those for the
    /// team at `server` and those made for no team in particular, each (query, day) one
    /// count.
    pub fn missed_searches_since(
        &self,
        since: i64,
        days: u32,
        server: &str,
    ) -> Result<(Vec<quickreply_proto::api::MissedSearch>, i64)> {
        let first_day = (Utc::now() - chrono::Duration::days(i64::from(days)))
            .format("%Y-%m-%d")
            .to_string();
        let mut st = self.conn.prepare_cached(
            "SELECT query, day, sum(count), max(last_at) FROM missed_searches
             WHERE day > ?2 AND (team = '' OR team = ?3)
             GROUP BY query, day HAVING max(last_at) > ?1 ORDER BY day, query",
        )?;
        let mut newest = since;
        let team = server.trim().trim_end_matches('/');
        let rows = st
            .query_map(params![since, first_day, team], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .map(|row| {
                row.map(|(query, day, count, at)| {
                    newest = newest.max(at);
                    quickreply_proto::api::MissedSearch {
                        query,
                        day,
                        count: count.clamp(0, i64::from(u32::MAX)) as u32,
                    }
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, newest))
    }

    /// The search boost a reply earns from its use (fires in the last 30 days, recency),
    /// as the search index holds it.
    pub fn boost_of(&self, id: Uuid) -> Result<u32> {
        let since = (Utc::now() - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let (fires, last): (i64, Option<i64>) = self.conn.query_row(
            "SELECT ifnull(sum(count), 0), max(last_at) FROM usage WHERE snippet_id = ?1 AND day > ?2",
            params![id.to_string(), since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(usage_boost(
            fires.max(0) as u64,
            last.map(|l| (now_ms() - l) / 1000),
        ))
    }

    /// A number that changes whenever another connection (the CLI, a sync) commits to the
    /// database, so that a long-running app knows when to reload its search index.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Fires of a reply in the last `days` days.
    pub fn fires(&self, id: Uuid, days: i64) -> Result<u64> {
        let since = (Utc::now() - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string();
        let n: i64 = self.conn.query_row(
            "SELECT ifnull(sum(count), 0) FROM usage WHERE snippet_id = ?1 AND day > ?2",
            params![id.to_string(), since],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    // ----- search ----------------------------------------------------------------------

    /// Visit every reply's search columns and usage boost (`library` limits it).
    fn for_each_search_row(
        &self,
        library: Option<Uuid>,
        needle: Mask,
        only: Option<Uuid>,
        mut f: impl FnMut(&str, &str, SearchFields<'_>, u32) -> Result<()>,
    ) -> Result<()> {
        let since = (Utc::now() - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let now = now_ms();
        let mut st = self.conn.prepare_cached(
            "SELECT s.id, s.library_id, s.title, ifnull(s.code, ''), s.tags, s.body_text, s.search_pinyin,
                    s.search_initials, u.fires, u.last_at, s.search_tags_pinyin
             FROM snippets s
             LEFT JOIN (SELECT snippet_id, sum(count) AS fires, max(last_at) AS last_at FROM usage
                        WHERE day > ?2 GROUP BY snippet_id) u ON u.snippet_id = s.id
             WHERE (?1 IS NULL OR s.library_id = ?1)
               AND s.mask0 & ?3 = ?3 AND s.mask1 & ?4 = ?4 AND s.mask2 & ?5 = ?5 AND s.mask3 & ?6 = ?6
               AND (?7 IS NULL OR s.id = ?7)
             ORDER BY s.rowid",
        )?;
        let n = needle.0.map(|w| w as i64);
        let mut rows = st.query(params![
            library.map(|l| l.to_string()),
            since,
            n[0],
            n[1],
            n[2],
            n[3],
            only.map(|o| o.to_string())
        ])?;
        while let Some(r) = rows.next()? {
            let text =
                |i: usize| -> Result<&str> { Ok(r.get_ref(i)?.as_str().unwrap_or_default()) };
            let fires: Option<i64> = r.get(8)?;
            let last: Option<i64> = r.get(9)?;
            let boost = usage_boost(
                fires.unwrap_or(0).max(0) as u64,
                last.map(|l| (now - l) / 1000),
            );
            let fields = SearchFields {
                title: text(2)?,
                code: text(3)?,
                tags: text(4)?,
                body: text(5)?,
                pinyin: text(6)?,
                initials: text(7)?,
                tags_pinyin: text(10)?,
            };
            f(text(0)?, text(1)?, fields, boost)?;
        }
        Ok(())
    }

    /// Ranked search, best first. Streams over the stored search columns, so it needs no
    /// index in memory: this is what `qreply search` runs. The desktop app keeps a
    /// [`SearchIndex`] instead; both rank the same.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit<Uuid>>> {
        let mut scorer = Scorer::new(query);
        let mut top = TopK::new(opts.limit);
        self.for_each_search_row(opts.library, scorer.mask(), None, |id, _, f, boost| {
            let score = if scorer.is_empty() {
                Some(boost)
            } else {
                scorer.score(&f).map(|s| s + boost)
            };
            if let Some(score) = score
                && top.admits(score)
            {
                top.push(score, Uuid::parse_str(id).unwrap_or_default());
            }
            Ok(())
        })?;
        let strict = top.into_hits();
        let Some(question) = Question::new(query).filter(|_| strict.len() < opts.limit) else {
            return Ok(strict);
        };
        let mut found = Vec::new();
        let mut total = 0;
        self.for_each_search_row(opts.library, Mask::default(), None, |id, _, f, boost| {
            total += 1;
            let p = question.presence(&[f.title, f.tags], f.body);
            if p.iter().any(|v| *v > 0) {
                found.push((Uuid::parse_str(id).unwrap_or_default(), boost, p));
            }
            Ok(())
        })?;
        let ranked = question.rank(&found, total, opts.limit);
        Ok(with_question_hits(strict, ranked, opts.limit))
    }

    /// Build the in-memory search index of every reply.
    pub fn search_index(&self) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
        self.for_each_search_row(None, Mask::default(), None, |id, lib, f, boost| {
            index.push(
                Uuid::parse_str(id).unwrap_or_default(),
                Uuid::parse_str(lib).unwrap_or_default(),
                &f,
                boost,
            );
            Ok(())
        })?;
        Ok(index)
    }

    /// Bring the index up to date for these replies after this process changed them
    /// (added, edited, moved or removed ones).
    pub fn reindex(&self, index: &mut SearchIndex, ids: &[Uuid]) -> Result<()> {
        for id in ids {
            index.remove(*id);
            self.for_each_search_row(None, Mask::default(), Some(*id), |_, lib, f, boost| {
                index.upsert(*id, Uuid::parse_str(lib).unwrap_or_default(), &f, boost);
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Run `f` inside one transaction on the raw connection (bulk loaders, tests).
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Consistency check of the database file (`PRAGMA integrity_check` and foreign keys).
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        for row in st.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        let mut st = self.conn.prepare("PRAGMA foreign_key_check")?;
        for row in st.query_map([], |r| r.get::<_, String>(0))? {
            problems.push(format!("foreign key violation in {}", row?));
        }
        Ok(problems)
    }
}

/// The part that refers to a stored image.
pub fn image_part(info: &ImageInfo) -> Part {
    Part::Image {
        sha256: info.sha256.clone(),
        mime: info.mime.clone(),
        width: info.width,
        height: info.height,
    }
}

/// Where the store lives unless told otherwise: `QUICKREPLY_DATA_DIR`, else the OS data
/// directory (`~/.local/share/quickreply` on Linux, `%APPDATA%\quickreply\data` on
/// Windows, `~/Library/Application Support/quickreply` on macOS).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QUICKREPLY_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "quickreply")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".quickreply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_joined_before_several_accounts_keeps_its_account_on_upgrade() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        {
            // A store as the release before several accounts left it.
            let mut conn = Connection::open(dir.path().join(DB_FILE))?;
            let tx = conn.transaction()?;
            for (i, sql) in MIGRATIONS.iter().take(MIGRATIONS.len() - 1).enumerate() {
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            }
            tx.execute_batch(
                "INSERT INTO libraries (id, name, kind, created_at) VALUES ('L1', '售前', 'team', 0);
                 INSERT INTO sync_account (id, server, user_id, user_name, device_id, device_name,
                    team_id, team_name, role, personal_remote, last_sync, missed_sent)
                 VALUES (1, 'http://a.example/', 'u', '小李', 'd', 'pc', 't', '店铺A', 'agent', 'p', 5, 7);
                 INSERT INTO sync_libraries (library_id, remote_id, cursor, writable) VALUES ('L1', 'R1', 3, 0);
                 INSERT INTO sync_blobs (sha256) VALUES ('abc');",
            )?;
            tx.commit()?;
        }
        let store = Store::open(dir.path())?;
        let (server, team, last_sync, missed): (String, String, i64, i64) = store.conn.query_row(
            "SELECT server, team_name, last_sync, missed_sent FROM sync_accounts WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        assert_eq!(
            (server.as_str(), team.as_str(), last_sync, missed),
            ("http://a.example/", "店铺A", 5, 7)
        );
        let (account, cursor): (i64, i64) = store.conn.query_row(
            "SELECT account, cursor FROM sync_libraries WHERE library_id = 'L1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        assert_eq!((account, cursor), (1, 3));
        // Which images a server has is per server now: asked again once, harmlessly.
        let blobs: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sync_blobs", [], |r| r.get(0))?;
        assert_eq!(blobs, 0);
        Ok(())
    }

    #[test]
    fn the_editor_lists_saves_renames_and_flags_variables() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let team = store.create_library("售后组", LibraryKind::Team)?;
        let personal = store.library(PERSONAL)?;
        let var = |name: &str, value: &str, overridable| Variable {
            name: name.into(),
            value: value.into(),
            overridable,
        };
        store.save_variable(&team, None, &var("店铺名", "小鹿家", false))?;
        store.save_variable(&team, None, &var("客服名", "小鹿", true))?;
        assert_eq!(
            store.variable_list(&team)?,
            vec![var("客服名", "小鹿", true), var("店铺名", "小鹿家", false)]
        );
        // A rename keeps one variable; the flag changes with it.
        store.save_variable(&team, Some("店铺名"), &var("店名", "小鹿家旗舰店", true))?;
        let names: Vec<_> = store
            .variable_list(&team)?
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert_eq!(names, vec!["客服名", "店名"]);
        assert!(store.overridable_vars(&team)?.contains("店名"));
        // The personal library has no overridable flag.
        store.save_variable(&personal, None, &var("客服名", "阿强", true))?;
        assert_eq!(
            store.variable_list(&personal)?,
            vec![var("客服名", "阿强", false)]
        );
        assert_eq!(store.effective_vars(team.id)?["客服名"], "阿强");
        assert!(matches!(
            store.save_variable(&team, None, &var("bad name", "x", false)),
            Err(Error::InvalidVariableName(_))
        ));
        // An agent's copy of a team library is read-only: listed, never written.
        assert!(store.writable(&team)? && store.writable(&personal)?);
        store.conn().execute(
            "INSERT INTO sync_libraries (library_id, remote_id, writable) VALUES (?1, ?2, 0)",
            params![team.id.to_string(), Uuid::now_v7().to_string()],
        )?;
        assert!(!store.writable(&team)?);
        assert!(matches!(
            store.save_variable(&team, None, &var("客服名", "x", false)),
            Err(Error::ReadOnly)
        ));
        assert_eq!(store.variable_list(&team)?.len(), 2);
        Ok(())
    }

    /// The app and `qreply` write the same store: a transaction that reads and then
    /// writes must wait for the other process instead of failing with "database is
    /// locked" (which a deferred transaction does when the other writes in between).
    #[test]
    fn a_read_then_write_transaction_waits_for_another_writer()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut a = Store::open(dir.path())?;
        a.conn()
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (0);")?;
        let path = dir.path().to_path_buf();
        let tx = a.conn_mut().transaction()?;
        let before: i64 = tx.query_row("SELECT max(x) FROM t", [], |r| r.get(0))?;
        let other = std::thread::spawn(move || -> Result<()> {
            let b = Store::open(&path)?;
            b.conn().execute("INSERT INTO t VALUES (2)", [])?;
            Ok(())
        });
        std::thread::sleep(Duration::from_millis(200));
        tx.execute("INSERT INTO t VALUES (?1)", [before + 1])?;
        tx.commit()?;
        other.join().map_err(|_| "writer thread panicked")??;
        let n: i64 = a
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(n, 3);
        Ok(())
    }

    #[test]
    fn searches_that_found_nothing_are_counted_per_day_without_buyer_text()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut s = Store::open(dir.path())?;
        assert!(s.record_missed_search(" 发票  抬头 ", None)?);
        assert!(s.record_missed_search("发票 抬头", Some("http://a.example/"))?);
        assert!(s.record_missed_search("ZHBJ", None)?);
        assert!(s.record_missed_search("赠品", Some("http://b.example"))?);
        assert!(!s.record_missed_search("13812345678", None)?);
        assert!(!s.record_missed_search("", None)?);
        // Team A hears of its own and of the searches made for no team, one count each.
        let (rows, newest) = s.missed_searches_since(0, 30, "http://a.example")?;
        let today = Utc::now().format("%Y-%m-%d").to_string();
        let row = |query: &str, count| quickreply_proto::api::MissedSearch {
            query: query.into(),
            day: today.clone(),
            count,
        };
        assert_eq!(rows, vec![row("zhbj", 1), row("发票 抬头", 2)]);
        assert!(newest > 0);
        assert_eq!(
            s.missed_searches_since(newest, 30, "http://a.example")?.0,
            vec![]
        );
        // Team B never hears of team A's question.
        let (b, _) = s.missed_searches_since(0, 30, "http://b.example/")?;
        assert_eq!(b, vec![row("zhbj", 1), row("发票 抬头", 1), row("赠品", 1)]);
        Ok(())
    }
}
