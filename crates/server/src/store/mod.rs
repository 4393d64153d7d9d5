//! Storage behind one trait: SQLite ([`SqliteStore`], the default and the reference
//! semantics) and PostgreSQL ([`PgStore`], for several server instances on one database).
//!
//! Every method is blocking (the HTTP layer calls them on `spawn_blocking`), performs its
//! authorisation checks with the data it reads (one transaction per call) and returns
//! [`Error`]s that already carry the HTTP meaning (`NotFound` for what the caller may not
//! see, `Forbidden` for what they see but may not change). The rules themselves live in
//! [`policy`] so every backend applies the same ones.

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{
    Changes, CreateLibrary, DeviceInfo, InviteRequest, Item, ItemDoc, ItemVersion, LibraryDigest,
    LibraryInfo, Me, MissedSearch, MissedTotal, Role, SigninState, StatusReport, UsageCount,
    UsageTotal,
};
use uuid::Uuid;

use crate::Error;

pub mod postgres;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// A join attempt, with the secrets already hashed.
#[derive(Clone, Debug)]
pub struct Join {
    pub code_hash: String,
    pub token_hash: String,
    pub device_name: String,
    /// The new member's name (invite codes and the setup code); defaults to the device name.
    pub user_name: Option<String>,
    pub app_version: String,
    /// The name of the team the setup code creates.
    pub team_name: String,
    pub now: i64,
}

/// A new invite or pairing code, hashed, already checked against [`policy::may_invite`].
#[derive(Clone, Debug)]
pub struct NewInvite {
    pub code_hash: String,
    pub request: InviteRequest,
    pub expires_at: i64,
    pub now: i64,
}

/// A sign-in request (`POST /v1/signin`), with its secrets hashed.
#[derive(Clone, Debug)]
pub struct NewSignin {
    pub id: Uuid,
    pub secret_hash: String,
    pub code_hash: String,
    pub device_name: String,
    pub user_name: Option<String>,
    pub app_version: String,
    pub web: bool,
    pub ip: String,
    pub expires_at: i64,
    pub now: i64,
}

/// A stored sign-in request and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigninRow {
    pub id: Uuid,
    pub device_name: String,
    pub user_name: Option<String>,
    pub app_version: String,
    pub web: bool,
    pub ip: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub state: SigninState,
    /// The device that approved it.
    pub approver: Option<Uuid>,
    /// Approved as a new member with this role (`None`: a device of the approver's user).
    pub member: Option<Role>,
}

/// A sign-in is decided by approving it (as one more device of the approver, or as a
/// new member with a role) or denying it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigninVerdict {
    Approve { member: Option<Role> },
    Deny,
}

/// Rows of finished or expired sign-ins are removed this long after they expire (until
/// then a poll still learns that it was denied or expired).
pub const SIGNIN_KEEP_MS: i64 = 24 * 3600 * 1000;

/// A write to an item: a new document, or a tombstone when `doc` is `None`.
#[derive(Clone, Debug)]
pub struct ItemWrite {
    pub library_id: Uuid,
    pub key: String,
    /// The version the client last saw (0: the item is new to it).
    pub if_match: i64,
    pub op: String,
    pub doc: Option<ItemDoc>,
    pub now: i64,
}

/// What became of an [`ItemWrite`].
#[derive(Clone, Debug)]
pub enum WriteOutcome {
    /// Written: the item as stored now, and the head event to announce.
    Written(Item, Change),
    /// A retry of the write that made the current version: nothing written, here it is.
    Replay(Item),
    /// The item is not at the expected version (`None`: it does not exist).
    Conflict(Option<Item>),
}

/// A committed change of a library, as announced to live subscribers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub library_id: Uuid,
    /// The library's new head (sequence number).
    pub head: i64,
    /// The server-wide change number (SSE event id).
    pub change_no: i64,
    /// Who may read the library: its team (team libraries) …
    pub team_id: Uuid,
    /// … or its user (personal libraries).
    pub personal_user: Option<Uuid>,
}

impl Change {
    /// Whether `me` may read the library this change is about (same rule as
    /// [`policy::can_read`]).
    pub fn readable_by(&self, me: &Me) -> bool {
        match self.personal_user {
            Some(user) => user == me.user_id,
            None => self.team_id == me.team_id,
        }
    }
}

/// A library as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryRow {
    pub id: Uuid,
    pub kind: LibraryKind,
    pub name: String,
    pub team_id: Uuid,
    /// The user of a personal library.
    pub owner_user: Option<Uuid>,
    pub head: i64,
    /// The server-wide change number of its latest write (0: never written).
    pub last_change: i64,
}

impl LibraryRow {
    /// The library as `me` sees it in a list.
    pub fn info(&self, me: &Me) -> LibraryInfo {
        LibraryInfo {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind,
            head: self.head,
            writable: policy::can_write(me, self),
        }
    }

    /// The change that made its current head.
    pub fn change(&self) -> Change {
        Change {
            library_id: self.id,
            head: self.head,
            change_no: self.last_change,
            team_id: self.team_id,
            personal_user: match self.kind {
                LibraryKind::Personal => self.owner_user,
                LibraryKind::Team => None,
            },
        }
    }
}

/// Counts for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub libraries: u64,
    pub live_items: u64,
    pub tombstones: u64,
    pub users: u64,
    pub devices: u64,
    pub blobs: u64,
}

/// A stored image blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRow {
    pub size: u64,
    pub mime: String,
}

/// Most rows a usage query answers.
pub const MAX_USAGE_ROWS: usize = 1000;

/// A question about a library's usage: totals of the days `since_day` (`YYYY-MM-DD`,
/// compared as text) and later, of every device or only of `user`'s devices.
#[derive(Clone, Debug)]
pub struct UsageQuery {
    pub library_id: Uuid,
    pub since_day: String,
    pub user: Option<Uuid>,
}

/// The server's storage. Blocking; call it from `spawn_blocking`.
pub trait Store: Send + Sync + 'static {
    /// On a server without users, replaces any setup code by this one and answers `true`;
    /// otherwise leaves everything as it is and answers `false`.
    fn ensure_setup_code(&self, code_hash: &str, now: i64) -> Result<bool, Error>;

    /// Spends a setup, invite or pairing code: creates what it stands for and the device
    /// (with `token_hash`). Unknown, expired and used-up codes are [`Error::InvalidCode`].
    fn join(&self, join: &Join) -> Result<Me, Error>;

    /// The caller a token belongs to, `None` for unknown tokens and revoked devices.
    /// Records the device as seen (at most every few seconds).
    fn authenticate(&self, token_hash: &str, now: i64) -> Result<Option<Me>, Error>;

    /// Stores an invite (or, with `pairing`, a pairing code for `me`'s own user).
    fn create_invite(&self, me: &Me, invite: &NewInvite) -> Result<(), Error>;

    /// The devices `me` may see: the whole team's for the owner, their own user's for others.
    fn devices(&self, me: &Me) -> Result<Vec<DeviceInfo>, Error>;

    /// Revokes a device (the owner: any of the team; others: their own user's).
    fn revoke_device(&self, me: &Me, device_id: Uuid) -> Result<(), Error>;

    /// Records what a device reports about itself.
    fn report_status(&self, me: &Me, report: &StatusReport) -> Result<(), Error>;

    /// The libraries `me` can read: their personal one first, then the team's.
    fn libraries(&self, me: &Me) -> Result<Vec<LibraryInfo>, Error>;

    /// Creates a team library; the same id again answers it (`false`: it existed).
    fn create_library(
        &self,
        me: &Me,
        req: &CreateLibrary,
        now: i64,
    ) -> Result<(LibraryInfo, bool), Error>;

    /// Items changed after `since`, at most `limit`.
    fn changes(
        &self,
        me: &Me,
        library_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<Changes, Error>;

    /// Head and digest of a library's live items.
    fn digest(&self, me: &Me, library_id: Uuid) -> Result<LibraryDigest, Error>;

    /// Writes an item or a tombstone in one transaction (version and head bumped together).
    /// `on_commit` is called with the change after the commit and before the next write can
    /// commit, so changes are announced in commit order. A backend that announces its
    /// commits by other means does not call it: PostgreSQL sends a `NOTIFY` inside the
    /// transaction, and every server instance (this one included) hears it on its listener
    /// connection, in commit order ([`postgres::Listener`]).
    fn write_item(
        &self,
        me: &Me,
        write: &ItemWrite,
        on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<WriteOutcome, Error>;

    /// The latest change of every library `me` can read that changed after the server-wide
    /// change number `since`, oldest first.
    fn changes_since(&self, me: &Me, since: i64) -> Result<Vec<Change>, Error>;

    /// Whether a device is still valid (not revoked).
    fn device_active(&self, device_id: Uuid) -> Result<bool, Error>;

    /// A stored blob's record.
    fn blob(&self, sha256: &str) -> Result<Option<BlobRow>, Error>;

    /// Records a blob whose file is in place (idempotent).
    fn insert_blob(&self, sha256: &str, row: &BlobRow, now: i64) -> Result<(), Error>;

    /// Whether the store keeps image bytes itself ([`Self::put_blob_bytes`],
    /// [`Self::blob_bytes`]) rather than the data directory's `blobs/` (PostgreSQL: every
    /// instance sees every image without a shared file system).
    fn keeps_blob_bytes(&self) -> bool {
        false
    }

    /// Stores a verified blob's bytes and its record (idempotent). Only for stores that
    /// [keep blob bytes](Self::keeps_blob_bytes).
    fn put_blob_bytes(
        &self,
        sha256: &str,
        row: &BlobRow,
        bytes: &[u8],
        now: i64,
    ) -> Result<(), Error> {
        let _ = (sha256, row, bytes, now);
        Err(Error::internal(
            "this store keeps images in the data directory",
        ))
    }

    /// A blob's bytes (`None`: not stored). Only for stores that
    /// [keep blob bytes](Self::keeps_blob_bytes).
    fn blob_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, Error> {
        let _ = sha256;
        Err(Error::internal(
            "this store keeps images in the data directory",
        ))
    }

    /// Whether a library `me` can read has a live item that refers to the blob.
    fn blob_readable(&self, me: &Me, sha256: &str) -> Result<bool, Error>;

    /// Stores a device's usage counts for a library it can read, in one transaction: each
    /// count replaces that device's earlier count of the same key and day. `counts` are
    /// already validated and hold each (key, day) once.
    fn report_usage(
        &self,
        me: &Me,
        library_id: Uuid,
        counts: &[UsageCount],
        now: i64,
    ) -> Result<(), Error>;

    /// Usage totals of a library `me` can write: per key, the counts summed over devices
    /// and the number of devices with a count, most used first (then by key, bytewise), at
    /// most [`MAX_USAGE_ROWS`].
    fn usage(&self, me: &Me, query: &UsageQuery) -> Result<Vec<UsageTotal>, Error>;

    /// Stores a device's counts of searches that found nothing, in one transaction: each
    /// replaces that device's earlier count of the same query and day. `searches` are
    /// already validated and hold each (query, day) once.
    fn report_missed(&self, me: &Me, searches: &[MissedSearch], now: i64) -> Result<(), Error>;

    /// The team's searches that found nothing since `since_day` (of every device or of
    /// `user`'s), for owners and editors: per query the counts summed over devices and the
    /// number of devices, most searched first (then by query, bytewise), at most
    /// [`MAX_USAGE_ROWS`].
    fn missed(
        &self,
        me: &Me,
        since_day: &str,
        user: Option<Uuid>,
    ) -> Result<Vec<MissedTotal>, Error>;

    /// Counts for `/metrics`.
    fn stats(&self) -> Result<Stats, Error>;

    /// Stores a sign-in request (and forgets those expired more than [`SIGNIN_KEEP_MS`]
    /// ago).
    fn create_signin(&self, signin: &NewSignin) -> Result<(), Error>;

    /// The pending, unexpired sign-in with this code, for an approver to look at.
    fn signin_by_code(&self, code_hash: &str, now: i64) -> Result<Option<SigninRow>, Error>;

    /// Approves or denies the pending, unexpired sign-in with this code (`NotFound`
    /// otherwise). Approving as a member follows [`policy::may_invite`].
    fn decide_signin(
        &self,
        me: &Me,
        code_hash: &str,
        verdict: SigninVerdict,
        now: i64,
    ) -> Result<(), Error>;

    /// The sign-in with this id and secret, as its asker polls it (`None`: unknown, or
    /// already collected). An approved sign-in is answered once and removed in the same
    /// transaction, so two polls never both collect it; a pending one past its expiry is
    /// answered as [`SigninState::Expired`].
    fn collect_signin(
        &self,
        id: Uuid,
        secret_hash: &str,
        now: i64,
    ) -> Result<Option<SigninRow>, Error>;

    /// Who a device is, `None` when it is unknown or revoked.
    fn device_me(&self, device_id: Uuid) -> Result<Option<Me>, Error>;

    /// The kept versions of an item of a library `me` can read, newest first
    /// (`NotFound` for an item that never existed).
    fn history(&self, me: &Me, library_id: Uuid, key: &str) -> Result<Vec<ItemVersion>, Error>;

    /// Changes a member's role (the owner only; the team keeps at least one owner).
    fn set_role(&self, me: &Me, user_id: Uuid, role: Role) -> Result<(), Error>;
}

/// Who may do what. Shared by every backend.
pub mod policy {
    use super::*;

    /// Personal libraries: their user only. Team libraries: every member of the team.
    pub fn can_read(me: &Me, lib: &LibraryRow) -> bool {
        match lib.kind {
            LibraryKind::Personal => lib.owner_user == Some(me.user_id),
            LibraryKind::Team => lib.team_id == me.team_id,
        }
    }

    /// Personal libraries: their user. Team libraries: owners and editors of the team.
    pub fn can_write(me: &Me, lib: &LibraryRow) -> bool {
        can_read(me, lib)
            && match lib.kind {
                LibraryKind::Personal => true,
                LibraryKind::Team => me.role.can_write_team(),
            }
    }

    /// Read access or `404` (a library the caller may not read does not exist for them).
    pub fn check_read(me: &Me, lib: Option<LibraryRow>) -> Result<LibraryRow, Error> {
        match lib {
            Some(lib) if can_read(me, &lib) => Ok(lib),
            _ => Err(Error::NotFound("no such library".into())),
        }
    }

    /// Write access: `404` as for reading, `403` for readers who may not write.
    pub fn check_write(me: &Me, lib: Option<LibraryRow>) -> Result<LibraryRow, Error> {
        let lib = check_read(me, lib)?;
        if can_write(me, &lib) {
            Ok(lib)
        } else {
            Err(Error::Forbidden(format!(
                "a {} may read team libraries but not change them",
                me.role.as_str()
            )))
        }
    }

    /// Whether `me` may create this invite: pairing codes anyone (for themselves); member
    /// invites the owner (any role) and editors (agents and editors).
    pub fn may_invite(me: &Me, req: &InviteRequest) -> Result<(), Error> {
        if req.pairing {
            return Ok(());
        }
        match (me.role, req.role) {
            (Role::Owner, _) | (Role::Editor, Role::Editor | Role::Agent) => Ok(()),
            (Role::Editor, Role::Owner) => Err(Error::Forbidden(
                "only the owner may invite another owner".into(),
            )),
            (Role::Agent, _) => Err(Error::Forbidden(
                "agents cannot invite members (they may create pairing codes for their own devices)"
                    .into(),
            )),
        }
    }

    /// Whether `me` may let a sign-in in: as one more device of their own user anyone,
    /// as a new member with `member`'s role by the rules of [`may_invite`].
    pub fn may_approve(me: &Me, member: Option<Role>) -> Result<(), Error> {
        match member {
            None => Ok(()),
            Some(role) => may_invite(
                me,
                &InviteRequest {
                    role,
                    uses: 1,
                    expires_in: 0,
                    pairing: false,
                },
            ),
        }
    }

    /// Whether `me` may change members' roles: the owner.
    pub fn may_set_roles(me: &Me) -> Result<(), Error> {
        if me.role == Role::Owner {
            Ok(())
        } else {
            Err(Error::Forbidden("only the owner may change roles".into()))
        }
    }

    /// Revoking a device of another member of the team: the owner only (anyone may
    /// revoke their own devices; a device of another team does not exist for them).
    pub fn not_your_device(me: &Me) -> Error {
        Error::Forbidden(format!(
            "only the owner may revoke another member's device (a {} may revoke only their own devices)",
            me.role.as_str()
        ))
    }

    /// The team must keep an owner.
    pub fn keeps_an_owner(owners_left: i64) -> Result<(), Error> {
        if owners_left > 0 {
            Ok(())
        } else {
            Err(Error::Conflict(
                "the team needs an owner: make someone else owner first".into(),
            ))
        }
    }

    /// Whether `me` may read the team's searches that found nothing: owners and editors.
    pub fn may_read_missed(me: &Me) -> Result<(), Error> {
        if me.role.can_write_team() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only owners and editors may see the team's searches that found nothing".into(),
            ))
        }
    }

    /// Whether `me` may create team libraries.
    pub fn may_create_library(me: &Me) -> Result<(), Error> {
        if me.role.can_write_team() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only owners and editors may create team libraries".into(),
            ))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn me(role: Role, team: Uuid, user: Uuid) -> Me {
            Me {
                user_id: user,
                user_name: "u".into(),
                device_id: Uuid::now_v7(),
                device_name: "d".into(),
                team_id: team,
                team_name: "t".into(),
                role,
                personal_library: Uuid::now_v7(),
            }
        }

        fn lib(kind: LibraryKind, team: Uuid, owner: Option<Uuid>) -> LibraryRow {
            LibraryRow {
                id: Uuid::now_v7(),
                kind,
                name: "l".into(),
                team_id: team,
                owner_user: owner,
                head: 0,
                last_change: 0,
            }
        }

        #[test]
        fn libraries_are_readable_and_writable_by_the_right_people() {
            let team = Uuid::now_v7();
            let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
            let owner = me(Role::Owner, team, alice);
            let agent = me(Role::Agent, team, bob);
            let outsider = me(Role::Owner, Uuid::now_v7(), Uuid::now_v7());
            let team_lib = lib(LibraryKind::Team, team, None);
            let bobs = lib(LibraryKind::Personal, team, Some(bob));

            assert!(can_write(&owner, &team_lib));
            assert!(can_read(&agent, &team_lib) && !can_write(&agent, &team_lib));
            assert!(!can_read(&outsider, &team_lib));
            assert!(can_write(&agent, &bobs));
            assert!(
                !can_read(&owner, &bobs),
                "the owner does not see personal libraries"
            );

            assert!(matches!(
                check_write(&agent, Some(team_lib.clone())),
                Err(Error::Forbidden(_))
            ));
            assert!(matches!(
                check_write(&outsider, Some(team_lib.clone())),
                Err(Error::NotFound(_))
            ));
            assert!(team_lib.change().readable_by(&agent));
            assert!(!bobs.change().readable_by(&owner));
            assert!(bobs.change().readable_by(&agent));
        }

        #[test]
        fn who_may_invite_whom() {
            let team = Uuid::now_v7();
            let req = |role, pairing| InviteRequest {
                role,
                uses: 1,
                expires_in: 3600,
                pairing,
            };
            let editor = me(Role::Editor, team, Uuid::now_v7());
            let agent = me(Role::Agent, team, Uuid::now_v7());
            assert!(may_invite(&editor, &req(Role::Agent, false)).is_ok());
            assert!(may_invite(&editor, &req(Role::Owner, false)).is_err());
            assert!(may_invite(&agent, &req(Role::Agent, false)).is_err());
            assert!(may_invite(&agent, &req(Role::Owner, true)).is_ok());
        }
    }
}
