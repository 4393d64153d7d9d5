//! Connections to the database file: one writer behind a mutex (every write is one
//! `IMMEDIATE` transaction, so writes take turns and commit in order) and a few idle
//! reader connections (each read is one transaction on a consistent snapshot). WAL with
//! `synchronous=NORMAL`: see the `sqlite` module for what survives a crash.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Params, Row, Transaction, TransactionBehavior};

use super::{SqliteStore, schema};
use crate::Error;

/// Idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// `execute` and `query_row` through the connection's statement cache.
pub(super) trait Cached {
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
        schema::migrate(&conn, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Runs `f` in one write transaction, committed when it returns `Ok`.
    pub(super) fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_then(f, |_| {})
    }

    /// [`Self::write`], then `after` with the result while still holding the write lock.
    pub(super) fn write_then<T>(
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
    pub(super) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
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
