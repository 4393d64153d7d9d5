//! The local store: SQLite (WAL, foreign keys, versioned migrations) in the data
//! directory, image blobs beside it. Every change that touches more than one row runs in
//! one transaction, so a crash leaves either all of it or none of it.
//!
//! This module opens, migrates and checks the store and runs transactions; each concern
//! of [`Store`] has a file of its own: `libraries` (libraries and folders), `snippets`
//! (replies and images), `variables` (and rendering), `usage` (fires and missed
//! searches), `search_columns` (derived search columns and searching), `conflicts` in
//! the crate root (sync's conflict copies). `migrations` holds the schema SQL, frozen as
//! shipped; `model` the types the rest of the program sees.

mod libraries;
mod migrations;
mod model;
mod schedule;
mod search_cache;
mod search_columns;
mod snippets;
mod usage;
mod variables;

use migrations::MIGRATIONS;
pub use model::*;
pub use schedule::DatedReply;
pub use search_cache::CACHE_FILE;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{Local, Utc};
use rusqlite::{Connection, ErrorCode, Transaction, params};
use uuid::Uuid;

use quickreply_proto::Part;
use quickreply_proto::check::{self, NameOf};

use crate::blob::BlobDir;
use crate::error::{Error, Result};
use crate::template::{self};

/// Name of the personal library every store has.
pub const PERSONAL: &str = "personal";

const DB_FILE: &str = "quickreply.db";

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
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

/// A database file that exists but is empty (0 bytes) has lost its content (a full disk,
/// a crash while it was rewritten, a bad copy): SQLite would take it for a new store and
/// the user would find an empty library without a word. Move it (and any `-wal`/`-shm`
/// beside it) aside as `quickreply.db.empty-<time>` and say so; the next open starts an
/// empty store. A file modified within the last [`JUST_CREATED`] is another process
/// (the app, `qreply`, a sync watcher) creating the store this moment, and is left alone.
fn set_aside_if_emptied(path: &Path) -> Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let just_created = meta
        .modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_none_or(|age| age < JUST_CREATED);
    if meta.len() != 0 || !meta.is_file() || just_created {
        return Ok(());
    }
    let stamp = Local::now().format("%Y%m%d-%H%M%S");
    let kept = path.with_file_name(format!("{DB_FILE}.empty-{stamp}"));
    std::fs::rename(path, &kept).map_err(Error::io(path))?;
    for side in ["-wal", "-shm"] {
        let from = path.with_file_name(format!("{DB_FILE}{side}"));
        if from.exists() {
            let to = path.with_file_name(format!("{DB_FILE}.empty-{stamp}{side}"));
            std::fs::rename(&from, to).map_err(Error::io(&from))?;
        }
    }
    Err(Error::EmptyStore {
        path: path.to_path_buf(),
        kept,
    })
}

/// How recent an empty database file may be and still be one being created.
const JUST_CREATED: Duration = Duration::from_secs(10);

fn split_list(s: &str) -> Vec<String> {
    s.split('\n')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_name(name: &str, of: NameOf, what: &'static str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::Empty(what));
    }
    if name.contains(['/', '\n', '\r']) {
        return Err(Error::InvalidName(name.to_string()));
    }
    check::name(of, name)?;
    Ok(())
}

/// A folder name (one component of a folder path), as every write takes it.
fn check_folder_name(name: &str) -> Result<()> {
    check_name(
        name,
        NameOf::Folder,
        crate::i18n::tr_static("文件夹名称", "the folder name"),
    )
}

/// A folder path: every non-empty `/`-separated name passes [`check_folder_name`].
pub fn check_folder_path(path: &str) -> Result<()> {
    path.split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .try_for_each(check_folder_name)
}

/// Everything the store checks about a reply before it writes it, except whether its
/// shortcut code is taken (that depends on the library): the title, the parts (empty
/// text, templates, image references, size), the code's form and the folder names.
/// Writing a reply runs exactly this ([`Store::add_snippet`], imports); an import plan
/// runs it too, so a preview lists every reply the import would refuse.
pub fn check_reply(new: &NewSnippet) -> Result<()> {
    check_title(new.title.trim())?;
    check_parts(&new.parts)?;
    if let Some(code) = new.code.as_deref().map(str::trim).filter(|c| !c.is_empty())
        && !quickreply_proto::is_valid_code(code)
    {
        return Err(Error::InvalidCode(code.to_string()));
    }
    check_folder_path(&new.folder)
}

/// A reply's title, as [`check::name`] and the server take it.
fn check_title(title: &str) -> Result<()> {
    if title.is_empty() {
        return Err(Error::Empty(crate::i18n::tr_static("标题", "the title")));
    }
    if title.contains(['\n', '\r']) {
        return Err(Error::InvalidName(title.to_string()));
    }
    check::name(NameOf::Title, title)?;
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
    check::parts(parts)?;
    // The rest of a reply (title, tags) is small next to this: the whole document is
    // checked again before it is sent.
    let size = serde_json::to_vec(parts).map_or(usize::MAX, |v| v.len());
    if size > check::MAX_DOC_BYTES {
        return Err(check::Invalid::TooLarge { size }.into());
    }
    Ok(())
}

/// How long [`Store::open`] keeps trying a store another process holds busy while it
/// sets it up (as long as the busy wait of a write).
const OPEN_BUSY_FOR: Duration = Duration::from_secs(10);

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
    ///
    /// Processes that open a new store at the same moment (the app starting while a
    /// script runs `qreply`) can meet SQLite's "database is locked" where its busy wait
    /// does not apply: switching a new file to WAL, or a WAL being set up by the other
    /// (seen under Windows file locking). Opening is then tried again, for as long as a
    /// write would wait ([`OPEN_BUSY_FOR`]).
    pub fn open(data_dir: &Path) -> Result<Store> {
        let started = std::time::Instant::now();
        loop {
            match Self::open_once(data_dir) {
                Err(Error::Db(e))
                    if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                        && started.elapsed() < OPEN_BUSY_FOR =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                done => return done,
            }
        }
    }

    fn open_once(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(Error::io(data_dir))?;
        let path = data_dir.join(DB_FILE);
        set_aside_if_emptied(&path)?;
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
        // Statement journals in memory: every INSERT into `snippets` inside a larger
        // transaction (an import, a sync pull) keeps the pages it changes in a statement
        // journal (its triggers, foreign keys and unique indexes may abort it alone). On
        // file that journal spills to a temporary file after 64 KiB and then costs a
        // `pwrite` per page for the rest of the transaction: 18 % of a 100 000-reply
        // import's CPU time (perf, README's benchmark section). The journal only undoes
        // one statement; what is committed goes through the WAL as before.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(corrupt(&path))?;
        let mut store = Store {
            conn,
            blobs: BlobDir::new(data_dir.join("blobs")),
            path,
        };
        store.migrate()?;
        store.refresh_search_columns()?;
        store.ensure_personal()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the sync client (`quickreply-sync`), which owns the sync
    /// tables this store's migrations create (accounts, links, shadow, outbox). Everything
    /// else goes through the typed methods.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection for a transaction of the sync client (see [`Store::conn`]).
    pub fn conn_mut(&mut self) -> &mut Connection {
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
        if version == supported {
            // Up to date: no write lock taken (every `qreply` command opens the store;
            // one that only reads need not wait for another process's long write).
            return Ok(());
        }
        // The write lock is taken at BEGIN (immediate). Another process may have migrated
        // while this one waited for it: the version is read again under the lock, so the
        // migrations run once, by whoever gets the lock first.
        let tx = self.conn.transaction().map_err(corrupt(&path))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(corrupt(&path))?;
        if version > supported {
            return Err(Error::StoreTooNew {
                path,
                found: version,
                supported,
            });
        }
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

    /// A number that changes whenever another connection (the CLI, a sync) commits to the
    /// database, so that a long-running app knows when to reload its search index.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
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
    use quickreply_proto::LibraryKind;

    #[test]
    fn statement_journals_stay_in_memory_and_a_failed_row_undoes_only_itself() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        // 2 = MEMORY: a big transaction's statement journal never spills to a file.
        let temp: i64 = store
            .conn
            .pragma_query_value(None, "temp_store", |r| r.get(0))?;
        assert_eq!(temp, 2);
        // What the statement journal is for: a row refused inside a transaction undoes
        // that statement only; the transaction goes on and commits the rest.
        let lib = store.library(PERSONAL)?;
        let new = |title: &str, code: &str| NewSnippet {
            title: title.into(),
            code: Some(code.into()),
            parts: vec![Part::Text { body: "x".into() }],
            ..NewSnippet::default()
        };
        let tx = store.conn.transaction()?;
        Store::insert_snippet(&tx, &lib, new("a", "aa"))?;
        for i in 0..500 {
            Store::insert_snippet(&tx, &lib, new(&format!("b{i}"), &format!("b{i}")))?;
        }
        let dup = tx.execute(
            "INSERT INTO snippets (id, library_id, title, code, parts, created_at, updated_at)
             VALUES ('dup', ?1, 'dup', 'aa', '[]', 0, 0)",
            [lib.id.to_string()],
        );
        assert!(dup.is_err(), "the code is taken");
        tx.commit()?;
        assert_eq!(store.snippets(Some(&lib))?.len(), 501);
        Ok(())
    }

    #[test]
    fn a_store_joined_before_several_accounts_keeps_its_account_on_upgrade() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        {
            // A store as the release before several accounts (migration 7) left it.
            let mut conn = Connection::open(dir.path().join(DB_FILE))?;
            let tx = conn.transaction()?;
            // Every migration before the one that made several accounts (later ones
            // were appended after it).
            let before_accounts = MIGRATIONS
                .iter()
                .take_while(|m| !m.contains("CREATE TABLE sync_accounts"));
            for (i, sql) in before_accounts.enumerate() {
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
            example: false,
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

    #[test]
    fn folder_paths_are_the_paths_folders_lists_in_every_library() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let team = store.create_library("售后组", LibraryKind::Team)?;
        let personal = store.library(PERSONAL)?;
        let text = |t: &str| vec![Part::Text { body: t.into() }];
        for (lib, folder) in [
            (&personal, "售前/尺码/童装"),
            (&personal, "售前/发货"),
            (&personal, "售后"),
            (&team, "售前/尺码"),
            (&team, ""),
        ] {
            store.add_snippet(
                lib,
                NewSnippet {
                    title: format!("{folder}的话术"),
                    folder: folder.into(),
                    parts: text("亲～"),
                    ..Default::default()
                },
            )?;
        }
        let mut listed = std::collections::HashMap::new();
        for lib in store.libraries()? {
            for f in store.folders(&lib)? {
                listed.insert(f.id, f.path);
            }
        }
        assert_eq!(listed.len(), 7);
        assert_eq!(store.folder_paths()?, listed);
        for s in store.snippets(None)? {
            assert_eq!(format!("{}的话术", s.folder), s.title);
            assert_eq!(store.snippet(s.id)?.folder, s.folder);
        }
        // The editor's light tree rows say what the whole replies say, in folder order.
        for lib in [&personal, &team] {
            let mut whole = store.snippets(Some(lib))?;
            whole.sort_by(|a, b| a.folder.cmp(&b.folder).then(a.position.cmp(&b.position)));
            let light: Vec<TreeRow> = whole
                .into_iter()
                .map(|s| TreeRow {
                    id: s.id,
                    parts: s.parts.len(),
                    title: s.title,
                    code: s.code,
                    folder: s.folder,
                })
                .collect();
            assert_eq!(store.tree_rows(lib)?, light);
        }
        Ok(())
    }

    #[test]
    fn several_variables_are_saved_together_or_not_at_all() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp"))?;
        let mut store = Store::open(dir.path())?;
        let team = store.create_library("售后组", LibraryKind::Team)?;
        let var = |name: &str, value: &str, overridable| Variable {
            name: name.into(),
            value: value.into(),
            overridable,
            example: false,
        };
        let change = |old: Option<&str>, v: Variable| VariableChange {
            old: old.map(str::to_string),
            var: v,
        };
        store.save_variable(&team, None, &var("店铺名", "小鹿家", false))?;
        store.save_variable(&team, None, &var("客服名", "小鹿", false))?;
        store.save_variable(&team, None, &var("快递", "中通", false))?;
        let before = store.variable_list(&team)?;
        // One wrong row stops the whole save; each wrong row is named by its index.
        let refused = store.save_variables(
            &team,
            &[
                change(Some("店铺名"), var("店铺名", "小鹿家旗舰店", false)),
                change(None, var("bad name", "x", false)),
                change(None, var("包邮门槛", "99", false)),
                change(None, var("包邮门槛", "199", false)),
                change(None, var("快递", "顺丰", false)),
            ],
        );
        let Err(SaveVariablesError::Rows(rows)) = refused else {
            panic!("expected row problems, got {refused:?}");
        };
        let at: Vec<usize> = rows.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, vec![1, 3, 4]);
        assert!(matches!(rows[0].1, Error::InvalidVariableName(_)));
        assert!(matches!(rows[1].1, Error::VariableTwice(ref n) if n == "包邮门槛"));
        assert!(matches!(rows[2].1, Error::VariableExists(ref n) if n == "快递"));
        assert_eq!(store.variable_list(&team)?, before);
        // Values changed, a rename, a new row and a swap of two names: all in one go.
        store
            .save_variables(
                &team,
                &[
                    change(Some("店铺名"), var("店铺名", "小鹿家旗舰店", true)),
                    change(Some("客服名"), var("快递", "小鹿", false)),
                    change(Some("快递"), var("客服名", "中通", false)),
                    change(None, var("包邮门槛", "99", false)),
                ],
            )
            .expect("saved together");
        assert_eq!(
            store.variable_list(&team)?,
            vec![
                var("包邮门槛", "99", false),
                var("客服名", "中通", false),
                var("店铺名", "小鹿家旗舰店", true),
                var("快递", "小鹿", false),
            ]
        );
        // A value that is only an example stays one until a real value is saved.
        let hint = Variable {
            example: true,
            ..var("活动", "满199减20", false)
        };
        store
            .save_variables(&team, &[change(None, hint.clone())])
            .expect("hint saved");
        assert!(store.variable_list(&team)?.contains(&hint));
        store
            .save_variables(
                &team,
                &[change(Some("活动"), var("活动", "满299减30", false))],
            )
            .expect("value saved");
        assert!(
            store
                .variable_list(&team)?
                .contains(&var("活动", "满299减30", false))
        );
        store
            .save_variables(&team, &[change(Some("活动"), var("活动", "", false))])
            .expect("emptied");
        // A read-only team library refuses the row it is asked to write; nothing changes.
        store.conn().execute(
            "INSERT INTO sync_libraries (library_id, remote_id, writable) VALUES (?1, ?2, 0)",
            params![team.id.to_string(), Uuid::now_v7().to_string()],
        )?;
        let before = store.variable_list(&team)?;
        let refused =
            store.save_variables(&team, &[change(Some("快递"), var("快递", "顺丰", false))]);
        assert!(
            matches!(&refused, Err(SaveVariablesError::Rows(r)) if matches!(r[..], [(0, Error::ReadOnly)])),
            "{refused:?}"
        );
        assert_eq!(store.variable_list(&team)?, before);
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
