//! Storage behind one trait: SQLite ([`SqliteStore`], the default and the reference
//! semantics) and PostgreSQL ([`PgStore`], for several server instances on one database).
//!
//! Every method is blocking (the HTTP layer calls them on `spawn_blocking`), performs its
//! authorisation checks with the data it reads (one transaction per call) and returns
//! [`Error`]s that already carry the HTTP meaning (`NotFound` for what the caller may not
//! see, `Forbidden` for what they see but may not change). The rules themselves live here
//! once, so every backend applies the same ones: who may do what in [`policy`], what an
//! item write does in `write`, and the smaller decisions (spending a code, revoking a
//! device, a sign-in's verdict, the change feed's cursor) in this module, and the column
//! lists both backends read with the decoders of their rows in `rows`; the backends hold
//! only their SQL and their connections.

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{
    CODE_ID_LEN, CodeInfo, CreateLibrary, DeviceInfo, InviteRequest, Item, ItemDoc, ItemVersion,
    LibraryDigest, LibraryInfo, MAX_FIRES_PER_DAY, Me, MissedSearch, MissedTotal, Role,
    SigninState, StatusReport, UsageCount, UsageTotal,
};
use uuid::Uuid;

use crate::Error;

pub mod compliance;
pub mod policy;
pub mod postgres;
pub mod quota;
pub mod raw;
mod rows;
pub mod scan;
pub mod sqlite;
pub mod stale;
pub mod suggest;
mod write;

pub use postgres::PgStore;
pub use raw::{RawChanges, RawItem};
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
    /// The writer's storage quota in bytes (0: none), see [`quota`].
    pub quota: u64,
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
pub trait Store:
    scan::ScanStore + stale::StaleStore + suggest::SuggestStore + Send + Sync + 'static
{
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

    /// Items changed after `since`, at most `limit`, every document as stored
    /// ([`RawChanges`]): what the change feed answers, without parsing and encoding the
    /// documents again.
    fn changes_raw(
        &self,
        me: &Me,
        library_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<RawChanges, Error>;

    /// The head of a library `me` can read (what a cached page of its feed is keyed by).
    fn library_head(&self, me: &Me, library_id: Uuid) -> Result<i64, Error>;

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

    /// Writes several items of one library in order, in one transaction: each is decided
    /// as [`Self::write_item`] decides it, and an item's refusal ([`Error::is_refusal`]:
    /// no right to write, a missing image, the quota, deleting what is gone) is its answer
    /// without stopping the others; any other error (the database) fails the whole batch
    /// and writes nothing. The library's new head is announced once, after the commit:
    /// `on_commit` with the last written change and item (SQLite; PostgreSQL sends one
    /// `NOTIFY`).
    fn write_items(
        &self,
        me: &Me,
        writes: &[ItemWrite],
        on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<Vec<Result<WriteOutcome, Error>>, Error>;

    /// The latest change of every library `me` can read that changed after the server-wide
    /// change number `since`, oldest first.
    fn changes_since(&self, me: &Me, since: i64) -> Result<Vec<Change>, Error>;

    /// Whether a device is still valid (not revoked).
    fn device_active(&self, device_id: Uuid) -> Result<bool, Error>;

    /// A stored blob's record.
    fn blob(&self, sha256: &str) -> Result<Option<BlobRow>, Error>;

    /// Records a blob whose file is in place (idempotent); the first record charges its
    /// size to `by`'s stored bytes ([`quota`]).
    fn insert_blob(&self, by: &Me, sha256: &str, row: &BlobRow, now: i64) -> Result<(), Error>;

    /// The bytes a member keeps on the server ([`quota`]).
    fn stored_bytes(&self, user_id: Uuid) -> Result<u64, Error>;

    /// Whether the store keeps image bytes itself ([`Self::put_blob_bytes`],
    /// [`Self::blob_bytes`]) rather than the data directory's `blobs/` (PostgreSQL: every
    /// instance sees every image without a shared file system).
    fn keeps_blob_bytes(&self) -> bool {
        false
    }

    /// Stores a verified blob's bytes and its record (idempotent; the first charges `by`
    /// as [`Self::insert_blob`] does). Only for stores that
    /// [keep blob bytes](Self::keeps_blob_bytes).
    fn put_blob_bytes(
        &self,
        by: &Me,
        sha256: &str,
        row: &BlobRow,
        bytes: &[u8],
        now: i64,
    ) -> Result<(), Error> {
        let _ = (by, sha256, row, bytes, now);
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
    /// already validated and hold each (key, day) once. Counts of keys the library never
    /// had (not even as a tombstone: a reply deleted meanwhile still counts) are left out
    /// and their number answered; a report that takes the device past
    /// [`MAX_FIRES_PER_DAY`] on a day ([`too_many_fires`]) writes nothing.
    fn report_usage(
        &self,
        me: &Me,
        library_id: Uuid,
        counts: &[UsageCount],
        now: i64,
    ) -> Result<usize, Error>;

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

    /// The team's open invite and pairing codes (those that would let someone in at
    /// `now`), oldest first, for owners and editors ([`policy::may_list_codes`]).
    fn open_codes(&self, me: &Me, now: i64) -> Result<Vec<CodeInfo>, Error>;

    /// Cancels the open code whose [`CodeInfo::id`] is `id` ([`policy::may_cancel_code`]):
    /// using it afterwards is refused as cancelled.
    fn cancel_code(&self, me: &Me, id: &str, now: i64) -> Result<(), Error>;

    /// Removes a member from the team in one transaction (the owner only, not themselves):
    /// every device of theirs revoked, every identity linked to them unlinked, every open code they made or that adds a device to
    /// them cancelled, sign-ins they approved but were not collected yet denied, and the
    /// member listed nowhere any more. Answers the devices revoked now.
    fn remove_member(&self, me: &Me, user_id: Uuid, now: i64) -> Result<Vec<Uuid>, Error>;

    /// Why a token that [`Self::authenticate`] refused is refused.
    fn token_refusal(&self, token_hash: &str) -> Result<TokenRefusal, Error>;
}

/// Why a bearer token lets nobody in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// No device has it.
    Unknown,
    /// Its device was revoked.
    Revoked,
    /// Its member was removed from the team (named).
    Removed { team_name: String },
}

// ---- what both backends decide alike, and the columns they read ----

/// How often (ms) a device's `last_seen` is written at most.
const LAST_SEEN_EVERY_MS: i64 = 10_000;
/// The name given to personal libraries.
const PERSONAL_LIBRARY_NAME: &str = "个人库";

/// `WHERE` clause of the libraries a user can read, the SQL form of [`policy::can_read`]:
/// parameter 1 is the user id and 2 the team id, written with the backend's `mark` (`?`
/// for SQLite, `$` for PostgreSQL). `t` is the table's alias (with its dot) or empty.
fn readable(t: &str, mark: char) -> String {
    format!(
        "(({t}kind = 'personal' AND {t}owner_user = {mark}1) OR ({t}kind = 'team' AND {t}team_id = {mark}2))"
    )
}

/// A count as the database answers it (never negative).
fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A number of devices as the database counts them.
fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A setup, invite or pairing code as stored (`codes`).
#[derive(Clone)]
struct CodeRow {
    kind: String,
    team_id: Option<Uuid>,
    user_id: Option<Uuid>,
    role: Role,
    uses_left: i64,
    expires_at: Option<i64>,
    /// The device that made it is revoked (or gone): the code died with it.
    maker_revoked: bool,
    /// The role its maker has now (`None`: made by the server's own CLI).
    maker_role: Option<Role>,
    /// A lead cancelled it.
    cancelled: bool,
}

/// What a list of codes shows beside a [`CodeRow`] (`LISTED_CODE_COLUMNS`).
struct ListedCode {
    hash: String,
    created_at: i64,
    maker_user: Option<Uuid>,
    maker_name: Option<String>,
    maker_device: Option<String>,
}

/// Whether a code would let someone in at `now` (an invite or pairing code, not the
/// setup code).
fn is_open(code: &CodeRow, now: i64) -> bool {
    code.kind != "setup" && spend_code(Some(code.clone()), now).is_ok()
}

/// The codes of a list that are open at `now`, as listed.
fn open_code_infos(rows: Vec<(CodeRow, ListedCode)>, now: i64) -> Vec<CodeInfo> {
    rows.into_iter()
        .filter(|(code, _)| is_open(code, now))
        .map(|(code, listed)| CodeInfo {
            id: listed.hash.chars().take(CODE_ID_LEN).collect(),
            pairing: code.kind == "pairing",
            role: code.role,
            uses_left: u32::try_from(code.uses_left).unwrap_or(u32::MAX),
            expires_at: code.expires_at,
            created_at: listed.created_at,
            created_by_user: listed.maker_user,
            created_by_name: listed.maker_name,
            created_by_device: listed.maker_device,
        })
        .collect()
}

/// The hash of the one open code (of `rows`, the team's codes) that `id` names — a
/// [`CodeInfo::id`] or a longer piece of the hash, in any case — once `me` may cancel it.
fn code_to_cancel(
    me: &Me,
    rows: Vec<(CodeRow, ListedCode)>,
    id: &str,
    now: i64,
) -> Result<String, Error> {
    policy::may_list_codes(me)?;
    let id = id.trim().to_ascii_lowercase();
    let not_found = || {
        Error::NotFound(format!(
            "no open code with id “{id}” (it may have been used up, expired or cancelled already): list them with `qreply codes`"
        ))
    };
    if id.len() < CODE_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let mut found = rows
        .into_iter()
        .filter(|(code, listed)| listed.hash.starts_with(&id) && is_open(code, now));
    match (found.next(), found.next()) {
        (Some((code, listed)), None) => {
            policy::may_cancel_code(me, code.kind == "pairing", code.role, listed.maker_user)?;
            Ok(listed.hash)
        }
        (Some(_), Some(_)) => Err(Error::Conflict(format!(
            "several open codes have an id starting “{id}”: give more of it"
        ))),
        (None, _) => Err(not_found()),
    }
}

/// Why a refused token is refused, from (its device revoked, its member removed, the
/// team's name) as read (`None`: no device has it).
fn token_refusal(found: Option<(bool, bool, String)>) -> TokenRefusal {
    match found {
        None => TokenRefusal::Unknown,
        Some((_, true, team_name)) => TokenRefusal::Removed { team_name },
        Some(_) => TokenRefusal::Revoked,
    }
}

/// A device's fires of one day past [`MAX_FIRES_PER_DAY`] (the day, the total), as the
/// refusal of the report that took it there.
pub fn too_many_fires(day: &str, total: i64) -> Error {
    Error::BadRequest(format!(
        "this device would have fired {total} replies on {day}: more than the {MAX_FIRES_PER_DAY} a person can fire in a day, so the report was refused"
    ))
}

/// What spending a code makes.
enum Spend {
    /// The team and its owner (the setup code; deleted once used).
    Setup,
    /// A new member of the team with the invite's role.
    Invite { team_id: Uuid, role: Role },
    /// One more device of the user who made the pairing code.
    Pairing { user_id: Uuid },
}

impl Join {
    /// The new member's name: the one given, else the device's.
    fn member_name(&self) -> String {
        self.user_name
            .clone()
            .unwrap_or_else(|| self.device_name.clone())
    }
}

/// Checks a code being spent at `now` (`None`: no such code) and says what it makes.
/// Unknown, expired and used-up codes are [`Error::InvalidCode`].
fn spend_code(code: Option<CodeRow>, now: i64) -> Result<Spend, Error> {
    let Some(code) = code else {
        return Err(Error::InvalidCode(
            "unknown code: check that it was typed correctly".into(),
        ));
    };
    if code.cancelled {
        return Err(Error::InvalidCode(
            "this code was cancelled by a team lead: ask for a new one".into(),
        ));
    }
    if code.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::InvalidCode(
            "this code has expired: ask for a new one".into(),
        ));
    }
    if code.uses_left <= 0 {
        return Err(Error::InvalidCode(
            "this code has been used up: ask for a new one".into(),
        ));
    }
    // A code is as good as its maker's rights at the time it is used: one made by a
    // computer since revoked, or an invite its maker may no longer make, is dead.
    if code.maker_revoked {
        return Err(Error::InvalidCode(
            "the computer that made this code has been removed from the team: ask for a new one"
                .into(),
        ));
    }
    match (code.kind.as_str(), code.team_id, code.user_id) {
        ("setup", _, _) => Ok(Spend::Setup),
        ("invite", Some(team_id), _) => {
            if let Some(maker) = code.maker_role {
                policy::may_invite_as(maker, code.role).map_err(|_| {
                    Error::InvalidCode(format!(
                        "whoever made this code may no longer invite a member as {} (their role changed): ask for a new one",
                        code.role.as_str()
                    ))
                })?;
            }
            Ok(Spend::Invite {
                team_id,
                role: code.role,
            })
        }
        ("pairing", _, Some(user_id)) => Ok(Spend::Pairing { user_id }),
        (kind, _, _) => Err(Error::internal(format!("malformed {kind} code record"))),
    }
}

/// The setup code makes the team only while the server has no users.
fn setup_unused(users: i64) -> Result<(), Error> {
    if users > 0 {
        return Err(Error::InvalidCode(
            "the setup code has been used already".into(),
        ));
    }
    Ok(())
}

/// Creating a team library whose id exists: the same library of the team again answers
/// it (`false`: not created now); any other is a conflict.
fn existing_library(me: &Me, existing: &LibraryRow) -> Result<(LibraryInfo, bool), Error> {
    if existing.kind == LibraryKind::Team && existing.team_id == me.team_id {
        Ok((existing.info(me), false))
    } else {
        Err(library_id_taken())
    }
}

fn library_id_taken() -> Error {
    Error::Conflict("this library id is taken: choose another".into())
}

fn library_name_taken(name: &str) -> Error {
    Error::Conflict(format!("the team has a library named “{name}” already"))
}

/// An item of a library that never had it.
fn no_item(key: &str) -> Error {
    Error::NotFound(format!("no item “{key}” here"))
}

/// The query of a change feed page, written with the backend's parameter `mark` (`?` for
/// SQLite, `$` for PostgreSQL): parameter 1 is the library, 2 `since`, 3 how many rows
/// to read at most ([`page_fetch`]) and 4 the most document bytes
/// ([`MAX_PAGE_BYTES`](quickreply_proto::api::MAX_PAGE_BYTES)). Of the first rows after
/// `since`, it answers those whose documents, summed in sequence order, stay within the
/// bytes, and at least the first. Only sizes are read to decide (`octet_length` needs no
/// document content on either backend): the documents read are the page's.
fn changes_sql(mark: char) -> String {
    format!(
        "SELECT {cols} FROM items
         WHERE library_id = {mark}1 AND seq > {mark}2 AND seq <= (
             SELECT coalesce(max(seq), {mark}2) FROM (
                 SELECT seq, row_number() OVER w AS n, sum(size) OVER w AS upto
                 FROM (SELECT seq, coalesce(octet_length(doc), 0) AS size FROM items
                       WHERE library_id = {mark}1 AND seq > {mark}2
                       ORDER BY seq LIMIT {mark}3) AS page
                 WINDOW w AS (ORDER BY seq)
             ) AS sized
             WHERE n = 1 OR upto <= {mark}4
         )
         ORDER BY seq",
        cols = rows::ITEM_COLUMNS
    )
}

/// [`MAX_PAGE_BYTES`](quickreply_proto::api::MAX_PAGE_BYTES) as an SQL parameter.
fn page_bytes() -> i64 {
    i64::try_from(quickreply_proto::api::MAX_PAGE_BYTES).unwrap_or(i64::MAX)
}

/// A page's cursor and `more`, from the sequence number of its last item. A page is read
/// with one more row than `limit` (so that `more` is known); its cursor is at the last
/// item, else at the head. A page cut short by bytes ends before the head: `more` then
/// too (every write moves an item to the head's sequence number, so the head always has
/// its item).
fn page_end(last: Option<i64>, over_count: bool, since: i64, head: i64) -> (i64, bool) {
    let cursor = match last {
        Some(seq) => seq,
        None if since < head => head,
        None => since,
    };
    (cursor, over_count || cursor < head)
}

/// How many rows a change feed page reads: one more than `limit`.
fn page_fetch(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1
}

/// [`MAX_USAGE_ROWS`] as an SQL `LIMIT`.
fn usage_limit() -> i64 {
    i64::try_from(MAX_USAGE_ROWS).unwrap_or(i64::MAX)
}

/// A stored sign-in state.
fn signin_state(state: &str) -> SigninState {
    match state {
        "approved" => SigninState::Approved,
        "denied" => SigninState::Denied,
        _ => SigninState::Pending,
    }
}

/// How `me`'s verdict is stored (the new `state` and the `member_role`), once
/// [`policy::may_approve`] allows it.
fn verdict_columns(
    me: &Me,
    verdict: SigninVerdict,
) -> Result<(&'static str, Option<&'static str>), Error> {
    if let SigninVerdict::Approve { member } = verdict {
        policy::may_approve(me, member)?;
    }
    Ok(match verdict {
        SigninVerdict::Approve { member } => ("approved", member.map(Role::as_str)),
        SigninVerdict::Deny => ("denied", None),
    })
}

/// Deciding a sign-in that is not waiting (any more).
fn no_pending_signin() -> Error {
    Error::NotFound("no sign-in is waiting with this code (it may have expired)".into())
}

/// A sign-in as its asker's poll answers it at `now`: a pending one past its expiry is
/// expired. `true`: it is approved, and collected now (the caller deletes the row).
fn collect(row: &mut SigninRow, now: i64) -> bool {
    match row.state {
        SigninState::Approved => true,
        SigninState::Pending if row.expires_at <= now => {
            row.state = SigninState::Expired;
            false
        }
        _ => false,
    }
}
