//! Rows and the statements several `Store` methods share: reading libraries, items,
//! callers, sign-ins and codes from SQLite rows (UUIDs are stored as text), and creating
//! users and devices.

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{Item, ItemDoc, Me, Role};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

use super::pool::Cached;
use crate::Error;
use crate::store::{
    CodeRow, ITEM_COLUMNS, Join, LIBRARY_COLUMNS, LibraryRow, ME_COLUMNS, ME_FROM,
    PERSONAL_LIBRARY_NAME, SigninRow, signin_state,
};

pub(super) fn conversion(
    idx: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

pub(super) fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| conversion(idx, e))
}

pub(super) fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
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

pub(super) fn role_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Role> {
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

pub(super) fn kind_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<LibraryKind> {
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

pub(super) fn library_from_row(row: &Row<'_>) -> rusqlite::Result<LibraryRow> {
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

pub(super) fn load_library(conn: &Connection, id: Uuid) -> Result<Option<LibraryRow>, Error> {
    Ok(conn
        .row(
            &format!("SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = ?1"),
            [id.to_string()],
            library_from_row,
        )
        .optional()?)
}

pub(super) fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
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

pub(super) fn me_from_row(row: &Row<'_>) -> rusqlite::Result<Me> {
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

pub(super) fn signin_from_row(row: &Row<'_>) -> rusqlite::Result<SigninRow> {
    Ok(SigninRow {
        id: uuid_at(row, 0)?,
        device_name: row.get(1)?,
        user_name: row.get(2)?,
        app_version: row.get(3)?,
        web: row.get(4)?,
        ip: row.get(5)?,
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
        state: signin_state(&row.get::<_, String>(8)?),
        approver: opt_uuid_at(row, 9)?,
        member: match row.get::<_, Option<String>>(10)? {
            Some(_) => Some(role_at(row, 10)?),
            None => None,
        },
    })
}

pub(super) fn code_from_row(row: &Row<'_>) -> rusqlite::Result<CodeRow> {
    Ok(CodeRow {
        kind: row.get(0)?,
        team_id: opt_uuid_at(row, 1)?,
        user_id: opt_uuid_at(row, 2)?,
        role: role_at(row, 3)?,
        uses_left: row.get(4)?,
        expires_at: row.get(5)?,
    })
}
