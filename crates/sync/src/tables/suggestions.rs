//! `sync_suggestions`: agents' suggestions queued on this computer and the server's
//! latest answer about each (`crate::suggest`).

use quickreply_proto::SnippetDoc;
use quickreply_proto::api::Suggestion;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::uuid_at;
use crate::error::{Result, SyncError};

/// A row of `sync_suggestions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub id: Uuid,
    pub account: i64,
    /// The local library.
    pub library: Uuid,
    pub key: String,
    pub base_version: i64,
    pub doc: SnippetDoc,
    pub note: String,
    pub created_at: i64,
    pub sent: bool,
    pub error: Option<String>,
    pub server: Option<Suggestion>,
}

const COLUMNS: &str =
    "id, account_id, library_id, key, base_version, doc, note, created_at, sent, error, data";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Row, String, Option<String>)> {
    Ok((
        Row {
            id: uuid_at(r, 0)?,
            account: r.get(1)?,
            library: uuid_at(r, 2)?,
            key: r.get(3)?,
            base_version: r.get(4)?,
            doc: SnippetDoc {
                id: Uuid::nil(),
                folder_id: None,
                title: String::new(),
                code: None,
                tags: Vec::new(),
                parts: Vec::new(),
                apps: Vec::new(),
                position: 0,
                starts_at: None,
                ends_at: None,
            },
            note: r.get(6)?,
            created_at: r.get(7)?,
            sent: r.get(8)?,
            error: r.get(9)?,
            server: None,
        },
        r.get(5)?,
        r.get(10)?,
    ))
}

/// A read row with its JSON columns parsed.
fn parsed((mut row, doc, data): (Row, String, Option<String>)) -> Result<Row> {
    row.doc = serde_json::from_str(&doc)
        .map_err(|e| SyncError::Protocol(format!("a stored suggestion does not parse: {e}")))?;
    row.server = data
        .map(|d| serde_json::from_str(&d))
        .transpose()
        .map_err(|e| SyncError::Protocol(format!("a stored suggestion does not parse: {e}")))?;
    Ok(row)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// Queues a new suggestion (not sent yet).
pub(crate) fn insert(conn: &Connection, r: &Row) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO sync_suggestions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            r.id.to_string(),
            r.account,
            r.library.to_string(),
            r.key,
            r.base_version,
            json(&r.doc)?,
            r.note,
            r.created_at,
            r.sent,
            r.error,
            r.server.as_ref().map(json).transpose()?
        ],
    )?;
    Ok(())
}

/// Every suggestion, newest first (of one account, when given).
pub(crate) fn all(conn: &Connection, account: Option<i64>) -> Result<Vec<Row>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM sync_suggestions WHERE ?1 IS NULL OR account_id = ?1
         ORDER BY created_at DESC, id"
    ))?;
    let rows = st
        .query_map([account], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(parsed).collect()
}

/// One suggestion.
pub(crate) fn get(conn: &Connection, id: Uuid) -> Result<Option<Row>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM sync_suggestions WHERE id = ?1"),
        [id.to_string()],
        row,
    )
    .optional()?
    .map(parsed)
    .transpose()
}

/// Queued suggestions of an account that the server has not taken yet (nor refused).
pub(crate) fn unsent(conn: &Connection, account: i64) -> Result<Vec<Row>> {
    Ok(all(conn, Some(account))?
        .into_iter()
        .filter(|r| !r.sent && r.error.is_none())
        .collect())
}

/// Whether an account has suggestions waiting to be sent.
pub(crate) fn has_unsent(conn: &Connection, account: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sync_suggestions
                        WHERE account_id = ?1 AND sent = 0 AND error IS NULL)",
        [account],
        |r| r.get(0),
    )?)
}

/// The server's answer about a suggestion: stored (inserted when this computer did not
/// have it, e.g. a lead's inbox, in local library `library`).
pub(crate) fn store_server(
    conn: &Connection,
    account: i64,
    library: Uuid,
    s: &Suggestion,
) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO sync_suggestions ({COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, NULL, ?9)
             ON CONFLICT (id) DO UPDATE SET sent = 1, error = NULL, data = excluded.data"
        ),
        params![
            s.id.to_string(),
            account,
            library.to_string(),
            s.key,
            s.base_version,
            json(&s.doc)?,
            s.note,
            s.created_at,
            json(s)?
        ],
    )?;
    Ok(())
}

/// The server refused a queued suggestion: kept, with why, and not sent again.
pub(crate) fn set_error(conn: &Connection, id: Uuid, error: &str) -> Result<()> {
    conn.execute(
        "UPDATE sync_suggestions SET error = ?1 WHERE id = ?2",
        params![error, id.to_string()],
    )?;
    Ok(())
}

/// Forgets a suggestion.
pub(crate) fn delete(conn: &Connection, id: Uuid) -> Result<()> {
    conn.execute(
        "DELETE FROM sync_suggestions WHERE id = ?1",
        [id.to_string()],
    )?;
    Ok(())
}

/// Forgets the suggestions of an account the server no longer lists (decided long ago,
/// or not to be seen any more, e.g. after a role change) that were sent; `keep` are the
/// ids it listed.
pub(crate) fn forget_unlisted(conn: &Connection, account: i64, keep: &[Uuid]) -> Result<()> {
    let listed: std::collections::HashSet<String> = keep.iter().map(Uuid::to_string).collect();
    let mut st = conn.prepare(
        "SELECT id FROM sync_suggestions WHERE account_id = ?1 AND sent = 1 AND error IS NULL",
    )?;
    let ids = st
        .query_map([account], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for id in ids.into_iter().filter(|id| !listed.contains(id)) {
        conn.execute("DELETE FROM sync_suggestions WHERE id = ?1", [id])?;
    }
    Ok(())
}
