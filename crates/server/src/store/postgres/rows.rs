//! Rows and the statements several `Store` methods share: reading libraries, items,
//! callers, sign-ins and codes from PostgreSQL rows, and creating users and devices.

use deadpool_postgres::{GenericClient, Transaction};
use quickreply_proto::LibraryKind;
use quickreply_proto::api::{Item, ItemDoc, Me, Role};
use tokio_postgres::Row;
use uuid::Uuid;

use super::pool::{exec, opt};
use crate::Error;
use crate::store::{
    CodeRow, Join, LIBRARY_COLUMNS, LibraryRow, PERSONAL_LIBRARY_NAME, SigninRow, signin_state,
};

pub(super) fn role_of(s: &str) -> Result<Role, Error> {
    Role::parse(s).ok_or_else(|| Error::internal(format!("unknown role `{s}` in the database")))
}

pub(super) fn kind_of(s: &str) -> Result<LibraryKind, Error> {
    LibraryKind::parse(s)
        .ok_or_else(|| Error::internal(format!("unknown library kind `{s}` in the database")))
}

pub(super) fn library_from_row(row: &Row) -> Result<LibraryRow, Error> {
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

pub(super) async fn load_library(
    c: &impl GenericClient,
    id: Uuid,
) -> Result<Option<LibraryRow>, Error> {
    opt(
        c,
        &format!("SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = $1"),
        &[&id],
    )
    .await?
    .map(|r| library_from_row(&r))
    .transpose()
}

/// A stored document (`None`: a tombstone).
pub(super) fn doc_of(text: Option<&str>) -> Result<Option<ItemDoc>, Error> {
    text.map(|d| {
        serde_json::from_str::<ItemDoc>(d)
            .map_err(|e| Error::internal(format!("a stored document does not parse: {e}")))
    })
    .transpose()
}

pub(super) fn item_from_row(row: &Row) -> Result<Item, Error> {
    let doc = doc_of(row.try_get(4)?)?;
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

pub(super) fn me_from_row(row: &Row) -> Result<Me, Error> {
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
pub(super) async fn insert_user(
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

pub(super) async fn insert_device(
    tx: &Transaction<'_>,
    user_id: Uuid,
    join: &Join,
) -> Result<Uuid, Error> {
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

pub(super) fn signin_from_row(row: &Row) -> Result<SigninRow, Error> {
    Ok(SigninRow {
        id: row.try_get(0)?,
        device_name: row.try_get(1)?,
        user_name: row.try_get(2)?,
        app_version: row.try_get(3)?,
        web: row.try_get(4)?,
        ip: row.try_get(5)?,
        created_at: row.try_get(6)?,
        expires_at: row.try_get(7)?,
        state: signin_state(row.try_get(8)?),
        approver: row.try_get(9)?,
        member: row
            .try_get::<_, Option<&str>>(10)?
            .map(role_of)
            .transpose()?,
    })
}

pub(super) fn code_from_row(row: &Row) -> Result<CodeRow, Error> {
    Ok(CodeRow {
        kind: row.try_get(0)?,
        team_id: row.try_get(1)?,
        user_id: row.try_get(2)?,
        role: role_of(row.try_get(3)?)?,
        uses_left: row.try_get(4)?,
        expires_at: row.try_get(5)?,
    })
}
