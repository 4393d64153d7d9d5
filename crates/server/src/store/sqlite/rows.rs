//! SQLite's side of the shared row decoders (`store::rows`): how a cell is read (UUIDs
//! are stored as text) and how an unreadable value is reported; and the statements
//! several `Store` methods share: loading a library or an item, creating users and
//! devices.

use quickreply_proto::api::{Item, Me, Role};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

use super::pool::Cached;
use crate::Error;
use crate::store::rows::{
    Bad, Cells, ITEM_COLUMNS, LIBRARY_COLUMNS, ME_COLUMNS, ME_FROM, item_from, library_from,
    me_from,
};
use crate::store::{Join, LibraryRow, PERSONAL_LIBRARY_NAME};

fn conversion(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{value}`")]
struct UnknownValue {
    what: &'static str,
    value: String,
}

impl Cells for Row<'_> {
    type Error = rusqlite::Error;

    fn uuid(&self, i: usize) -> rusqlite::Result<Uuid> {
        let s: String = self.get(i)?;
        Uuid::parse_str(&s).map_err(|e| conversion(i, e))
    }

    fn opt_uuid(&self, i: usize) -> rusqlite::Result<Option<Uuid>> {
        let s: Option<String> = self.get(i)?;
        s.map(|s| Uuid::parse_str(&s).map_err(|e| conversion(i, e)))
            .transpose()
    }

    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }

    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }

    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }

    fn flag(&self, i: usize) -> rusqlite::Result<bool> {
        self.get(i)
    }

    fn bad(&self, i: usize, bad: Bad) -> rusqlite::Error {
        match bad {
            Bad::Unknown { what, value } => conversion(i, UnknownValue { what, value }),
            Bad::Json { error, .. } => conversion(i, error),
        }
    }
}

pub(super) fn library_from_row(row: &Row<'_>) -> rusqlite::Result<LibraryRow> {
    library_from(row)
}

pub(super) fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    item_from(row)
}

pub(super) fn me_from_row(row: &Row<'_>) -> rusqlite::Result<Me> {
    me_from(row)
}

pub(super) fn load_library(conn: &Connection, id: Uuid) -> Result<Option<LibraryRow>, Error> {
    Ok(conn
        .row(
            &format!("SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = ?1"),
            [id.to_string()],
            library_from_row,
        )
        .optional()?)
}

pub(super) fn load_item(
    conn: &Connection,
    library: Uuid,
    key: &str,
) -> Result<Option<Item>, Error> {
    Ok(conn
        .row(
            &format!("SELECT {ITEM_COLUMNS} FROM items WHERE library_id = ?1 AND key = ?2"),
            params![library.to_string(), key],
            item_from_row,
        )
        .optional()?)
}

/// Creates a user and their personal library; answers (user id, library id).
pub(super) fn insert_user(
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

pub(super) fn insert_device(
    tx: &Transaction<'_>,
    user_id: Uuid,
    join: &Join,
) -> Result<Uuid, Error> {
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

pub(super) fn me_of_device(conn: &Connection, device_id: Uuid) -> Result<Me, Error> {
    Ok(conn.row(
        &format!("SELECT {ME_COLUMNS} {ME_FROM} WHERE d.id = ?1"),
        [device_id.to_string()],
        me_from_row,
    )?)
}
