//! What the sync tables hold, as the rest of the client sees it: an account (one server
//! joined) and a linked library.

use quickreply_proto::api::Role;
use uuid::Uuid;

/// This device's membership of a sync server (one of possibly several: see
/// [`crate::accounts()`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// This computer's number for the account (1 for the first joined).
    pub id: i64,
    pub server: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub device_id: Uuid,
    pub device_name: String,
    pub team_id: Uuid,
    pub team_name: String,
    pub role: Role,
    pub personal_remote: Uuid,
    pub last_sync: Option<i64>,
}

/// A synced library as this device knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    pub local: Uuid,
    pub name: String,
    pub remote: Uuid,
    pub cursor: i64,
    pub writable: bool,
    /// The account ([`Account::id`]) it syncs with.
    pub account: i64,
}
