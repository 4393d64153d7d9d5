//! What the rows both backends read hold: the column lists (`*_COLUMNS`) and, beside each,
//! the decoder that reads a row of it, so that the order of the columns is known in one
//! place. A backend only says how its driver reads one cell ([`Cells`]: SQLite keeps
//! UUIDs as text, PostgreSQL as `uuid`) and how it reports a value it cannot read.

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{
    Cursor, DeviceInfo, Item, ItemDoc, ItemVersion, Me, MissedTotal, Role, UsageTotal,
};
use uuid::Uuid;

use super::{CodeRow, LibraryRow, ListedCode, SigninRow, signin_state, to_u32, to_u64};

/// A stored value this server cannot read.
#[derive(Debug)]
pub enum Bad {
    /// Text that names no known value (`what`: "role", "library kind").
    Unknown { what: &'static str, value: String },
    /// JSON that does not parse (`what`: "a stored document does not parse", …).
    Json {
        what: &'static str,
        error: serde_json::Error,
    },
}

/// One row as a backend's driver answers it, read by column index.
pub trait Cells {
    type Error;
    fn uuid(&self, i: usize) -> Result<Uuid, Self::Error>;
    fn opt_uuid(&self, i: usize) -> Result<Option<Uuid>, Self::Error>;
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    fn flag(&self, i: usize) -> Result<bool, Self::Error>;
    /// The error for column `i`, whose value cannot be read.
    fn bad(&self, i: usize, bad: Bad) -> Self::Error;

    fn role(&self, i: usize) -> Result<Role, Self::Error> {
        let value = self.text(i)?;
        Role::parse(&value).ok_or_else(|| {
            self.bad(
                i,
                Bad::Unknown {
                    what: "role",
                    value,
                },
            )
        })
    }

    fn opt_role(&self, i: usize) -> Result<Option<Role>, Self::Error> {
        match self.opt_text(i)? {
            Some(_) => self.role(i).map(Some),
            None => Ok(None),
        }
    }

    fn kind(&self, i: usize) -> Result<LibraryKind, Self::Error> {
        let value = self.text(i)?;
        LibraryKind::parse(&value).ok_or_else(|| {
            self.bad(
                i,
                Bad::Unknown {
                    what: "library kind",
                    value,
                },
            )
        })
    }

    /// A stored document (`NULL`: a tombstone).
    fn doc(&self, i: usize) -> Result<Option<ItemDoc>, Self::Error> {
        self.opt_text(i)?
            .map(|d| {
                serde_json::from_str::<ItemDoc>(&d).map_err(|error| {
                    self.bad(
                        i,
                        Bad::Json {
                            what: "a stored document does not parse",
                            error,
                        },
                    )
                })
            })
            .transpose()
    }
}

/// Columns of a [`LibraryRow`].
pub const LIBRARY_COLUMNS: &str = "id, kind, name, team_id, owner_user, head, last_change";

pub fn library_from<C: Cells>(c: &C) -> Result<LibraryRow, C::Error> {
    Ok(LibraryRow {
        id: c.uuid(0)?,
        kind: c.kind(1)?,
        name: c.text(2)?,
        team_id: c.uuid(3)?,
        owner_user: c.opt_uuid(4)?,
        head: c.int(5)?,
        last_change: c.int(6)?,
    })
}

/// Columns of an [`Item`].
pub const ITEM_COLUMNS: &str = "key, version, seq, deleted, doc, updated_at, op";

pub fn item_from<C: Cells>(c: &C) -> Result<Item, C::Error> {
    Ok(Item {
        key: c.text(0)?,
        version: c.int(1)?,
        seq: c.int(2)?,
        deleted: c.flag(3)?,
        doc: c.doc(4)?,
        updated_at: c.int(5)?,
        op: c.text(6)?,
    })
}

/// Columns of a [`Me`] (8), and where they come from.
pub const ME_COLUMNS: &str = "u.id, u.name, d.id, d.name, t.id, t.name, u.role, u.personal_library";
pub const ME_FROM: &str =
    "FROM devices d JOIN users u ON u.id = d.user_id JOIN teams t ON t.id = u.team_id";

pub fn me_from<C: Cells>(c: &C) -> Result<Me, C::Error> {
    Ok(Me {
        user_id: c.uuid(0)?,
        user_name: c.text(1)?,
        device_id: c.uuid(2)?,
        device_name: c.text(3)?,
        team_id: c.uuid(4)?,
        team_name: c.text(5)?,
        role: c.role(6)?,
        personal_library: c.uuid(7)?,
    })
}

/// Columns of a [`CodeRow`].
/// With the state of the device that made the code (`created_by`) and of its user now:
/// whether that device is revoked or gone (a code the server's own CLI made has no maker,
/// and counts as not revoked), and the maker's current role. Select them `FROM`
/// [`CODE_FROM`].
pub const CODE_COLUMNS: &str = "c.kind, c.team_id, c.user_id, c.role, c.uses_left, c.expires_at, \
                                COALESCE(md.revoked, c.created_by IS NOT NULL), mu.role, \
                                c.cancelled_at IS NOT NULL";
/// [`CODE_COLUMNS`] and what a list of codes shows beside them (a [`ListedCode`]).
pub const LISTED_CODE_COLUMNS: &str = "c.kind, c.team_id, c.user_id, c.role, c.uses_left, \
                                       c.expires_at, COALESCE(md.revoked, c.created_by IS NOT NULL), \
                                       mu.role, c.cancelled_at IS NOT NULL, \
                                       c.hash, c.created_at, mu.id, mu.name, md.name";
/// The codes with their maker's device and user (`c`, `md`, `mu`).
pub const CODE_FROM: &str = "FROM codes c LEFT JOIN devices md ON md.id = c.created_by \
                             LEFT JOIN users mu ON mu.id = md.user_id";

pub fn code_from<C: Cells>(c: &C) -> Result<CodeRow, C::Error> {
    Ok(CodeRow {
        kind: c.text(0)?,
        team_id: c.opt_uuid(1)?,
        user_id: c.opt_uuid(2)?,
        role: c.role(3)?,
        uses_left: c.int(4)?,
        expires_at: c.opt_int(5)?,
        maker_revoked: c.flag(6)?,
        maker_role: c.opt_role(7)?,
        cancelled: c.flag(8)?,
    })
}

pub fn listed_code_from<C: Cells>(c: &C) -> Result<(CodeRow, ListedCode), C::Error> {
    Ok((
        code_from(c)?,
        ListedCode {
            hash: c.text(9)?,
            created_at: c.int(10)?,
            maker_user: c.opt_uuid(11)?,
            maker_name: c.opt_text(12)?,
            maker_device: c.opt_text(13)?,
        },
    ))
}

/// Columns of a [`SigninRow`].
pub const SIGNIN_COLUMNS: &str = "id, device_name, user_name, app_version, web, ip, created_at, \
                                  expires_at, state, approver, member_role";

pub fn signin_from<C: Cells>(c: &C) -> Result<SigninRow, C::Error> {
    Ok(SigninRow {
        id: c.uuid(0)?,
        device_name: c.text(1)?,
        user_name: c.opt_text(2)?,
        app_version: c.text(3)?,
        web: c.flag(4)?,
        ip: c.text(5)?,
        created_at: c.int(6)?,
        expires_at: c.int(7)?,
        state: signin_state(&c.text(8)?),
        approver: c.opt_uuid(9)?,
        member: c.opt_role(10)?,
    })
}

/// Columns of a [`DeviceInfo`] (`d` the device, `u` its user).
pub const DEVICE_COLUMNS: &str = "d.id, d.name, u.id, u.name, u.role, d.created_at, \
                                  d.last_seen, d.revoked, d.app_version, d.cursors";

pub fn device_from<C: Cells>(c: &C) -> Result<DeviceInfo, C::Error> {
    let cursors = c.text(9)?;
    Ok(DeviceInfo {
        id: c.uuid(0)?,
        name: c.text(1)?,
        user_id: c.uuid(2)?,
        user_name: c.text(3)?,
        role: c.role(4)?,
        created_at: c.int(5)?,
        last_seen: c.opt_int(6)?,
        revoked: c.flag(7)?,
        app_version: c.text(8)?,
        cursors: serde_json::from_str::<Vec<Cursor>>(&cursors).map_err(|error| {
            c.bad(
                9,
                Bad::Json {
                    what: "stored cursors do not parse",
                    error,
                },
            )
        })?,
    })
}

/// Columns of an [`ItemVersion`] (`h` the history row, `d` its device, `u` its user).
pub const VERSION_COLUMNS: &str = "h.version, h.deleted, h.doc, h.updated_at, u.id, u.name, d.name";

pub fn version_from<C: Cells>(c: &C) -> Result<ItemVersion, C::Error> {
    Ok(ItemVersion {
        version: c.int(0)?,
        deleted: c.flag(1)?,
        doc: c.doc(2)?,
        updated_at: c.int(3)?,
        user_id: c.uuid(4)?,
        user_name: c.text(5)?,
        device_name: c.text(6)?,
        suggested_by: None,
        suggested_by_name: None,
    })
}

/// A usage total: (key, sum of counts, devices).
pub fn usage_total_from<C: Cells>(c: &C) -> Result<UsageTotal, C::Error> {
    Ok(UsageTotal {
        key: c.text(0)?,
        count: to_u64(c.int(1)?),
        devices: to_u32(c.int(2)?),
    })
}

/// A missed-search total: (query, sum of counts, devices).
pub fn missed_total_from<C: Cells>(c: &C) -> Result<MissedTotal, C::Error> {
    Ok(MissedTotal {
        query: c.text(0)?,
        count: to_u64(c.int(1)?),
        devices: to_u32(c.int(2)?),
    })
}
