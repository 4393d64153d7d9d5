//! PostgreSQL's side of the shared row decoders (`store::rows`): how a cell is read and
//! how an unreadable value is reported; and the statements several `Store` methods
//! share: loading a library, creating users and devices.

use deadpool_postgres::{GenericClient, Transaction};
use quickreply_proto::api::{Item, Me, Role};
use tokio_postgres::Row;
use uuid::Uuid;

use super::pool::{exec, opt};
use crate::Error;
use crate::store::rows::{Bad, Cells, LIBRARY_COLUMNS, item_from, library_from, me_from};
use crate::store::{Join, LibraryRow, PERSONAL_LIBRARY_NAME};

impl Cells for Row {
    type Error = Error;

    fn uuid(&self, i: usize) -> Result<Uuid, Error> {
        Ok(self.try_get(i)?)
    }

    fn opt_uuid(&self, i: usize) -> Result<Option<Uuid>, Error> {
        Ok(self.try_get(i)?)
    }

    fn text(&self, i: usize) -> Result<String, Error> {
        Ok(self.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, Error> {
        Ok(self.try_get(i)?)
    }

    fn int(&self, i: usize) -> Result<i64, Error> {
        Ok(self.try_get(i)?)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, Error> {
        Ok(self.try_get(i)?)
    }

    fn flag(&self, i: usize) -> Result<bool, Error> {
        Ok(self.try_get(i)?)
    }

    fn bad(&self, _i: usize, bad: Bad) -> Error {
        match bad {
            Bad::Unknown { what, value } => {
                Error::internal(format!("unknown {what} `{value}` in the database"))
            }
            Bad::Json { what, error } => Error::internal(format!("{what}: {error}")),
        }
    }
}

pub(super) fn library_from_row(row: &Row) -> Result<LibraryRow, Error> {
    library_from(row)
}

pub(super) fn item_from_row(row: &Row) -> Result<Item, Error> {
    item_from(row)
}

pub(super) fn me_from_row(row: &Row) -> Result<Me, Error> {
    me_from(row)
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
