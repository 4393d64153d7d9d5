//! The sync API (`/v1/…`): requests, responses and events, shared by `quickreply_sync` and
//! `quickreply-server`.
//!
//! Summary of the endpoints (all JSON; all but `/v1/join` need `Authorization: Bearer`):
//!
//! | method & path | body → answer |
//! | --- | --- |
//! | `POST /v1/join` | [`JoinRequest`] → [`JoinResponse`] (setup code, invite or pairing code) |
//! | `GET /v1/me` | → [`Me`] |
//! | `POST /v1/invites` | [`InviteRequest`] → [`InviteResponse`] (owner/editor; pairing: anyone) |
//! | `POST /v1/signin` | [`SigninRequest`] → [`SigninStarted`] (no token; sign-in by approval) |
//! | `POST /v1/signin/{id}/poll` | [`SigninPollRequest`] → [`SigninPoll`] (no token; the secret) |
//! | `GET /v1/signin?code=C` | → [`SigninInfo`] (any member, before approving) |
//! | `POST /v1/signin/approve` / `deny` | [`SigninDecision`] / [`SigninDenial`] → 204 |
//! | `GET /v1/scan` | → `Vec<`[`ScanProviderInfo`]`>`: the providers this server signs in with (no token) |
//! | `POST /v1/scan` | [`ScanRequest`] → [`ScanStarted`] (no token; sign-in by scanning with WeCom, Feishu, DingTalk, WeChat or QQ) |
//! | `POST /v1/scan/link` | [`ScanLinkRequest`] → [`ScanStarted`]: link the caller's identity at a provider |
//! | `POST /v1/scan/{id}/poll` | [`SigninPollRequest`] → [`ScanPoll`] (no token; the secret) |
//! | `GET /v1/scan/callback/{provider}?code&state` | the provider's redirect (HTML for the phone) |
//! | `GET /v1/scan/settings` | → `Vec<`[`ScanSetting`]`>`: every provider, as configured (owner; never a secret) |
//! | `PUT /v1/scan/settings/{provider}` / `DELETE …` | [`ScanSettingInput`] → 204: the owner sets or removes a provider (not those of the server's config file) |
//! | `GET /v1/identities` / `DELETE /v1/identities/{provider}` | → `Vec<`[`IdentityInfo`]`>` the caller's linked identities / unlinks one → 204 |
//! | `GET /v1/devices` | → `Vec<`[`DeviceInfo`]`>` (owner: the team's; others: their own) |
//! | `DELETE /v1/devices/{id}` | revokes (owner, or the device's own user) → 204; another member's device 403 |
//! | `PUT /v1/members/{user_id}/role` | [`RoleChange`] → 204 (owner; the team keeps an owner) |
//! | `DELETE /v1/members/{user_id}` | removes a member: every device revoked, their codes cancelled → 204 (owner) |
//! | `GET /v1/codes` | → `Vec<`[`CodeInfo`]`>`: the team's open invite and pairing codes, never the codes themselves (owner/editor) |
//! | `DELETE /v1/codes/{id}` | cancels an open code → 204 (owner; an editor the invites they may make and their own) |
//! | `POST /v1/status` | [`StatusReport`] → 204 |
//! | `GET /v1/libraries` | → `Vec<`[`LibraryInfo`]`>` the caller can read |
//! | `POST /v1/libraries` | [`CreateLibrary`] → [`LibraryInfo`] (team library; owner/editor) |
//! | `GET /v1/libraries/{id}/changes?since=N&limit=M` | → [`Changes`] |
//! | `GET /v1/libraries/{id}/digest` | → [`LibraryDigest`] |
//! | `PUT /v1/libraries/{id}/items/{key}` | `If-Match: "V"` + [`PutItem`] → [`Item`]; 412 [`ErrorBody`] with `current` |
//! | `POST /v1/libraries/{id}/items` | [`BatchWrite`] (at most [`MAX_BATCH`] writes) → [`BatchResults`]: each write as the single `PUT`/`DELETE` would answer it, in one transaction (an older server answers `404`: send the writes one by one) |
//! | `GET /v1/libraries/{id}/items/{key}/history` | → `Vec<`[`ItemVersion`]`>`, newest first (readers) |
//! | `DELETE /v1/libraries/{id}/items/{key}?op=OP` | `If-Match: "V"` → [`Item`] (a tombstone); 412 as above |
//! | `PUT /v1/blobs/{sha256}` / `GET /v1/blobs/{sha256}` | raw image bytes: the hash, size ([`crate::MAX_IMAGE_BYTES`] by default), type ([`crate::IMAGE_TYPES`]) and decodability checked; 413 / 415 / 422 `bad_image` |
//! | `POST /v1/libraries/{id}/usage` | [`UsageReport`] → 204 (any reader; counts only; counts of keys the library never had are ignored; past [`MAX_FIRES_PER_DAY`] 400) |
//! | `GET /v1/libraries/{id}/usage?days=N` | → `Vec<`[`UsageTotal`]`>` (writers of the library) |
//! | `POST /v1/missed` | [`MissedReport`] → 204 (any member; searches that found nothing) |
//! | `GET /v1/missed?days=N` | → `Vec<`[`MissedTotal`]`>` (owner/editor) |
//! | `GET /v1/libraries/{id}/stale?days=N&limit=L&offset=O` | → [`StaleReplies`]: replies no one fired in N days (writers; see [`crate::stale`]) |
//! | `POST /v1/libraries/{id}/archive` | [`ArchiveRequest`] → [`ArchiveResult`]: moves replies into the 归档 folder, all or nothing (writers) |
//! | `POST /v1/libraries/{id}/suggestions` | [`NewSuggestion`] → [`Suggestion`] (any member who reads the team library; the same id again answers the stored one) |
//! | `GET /v1/suggestions` | → `Vec<`[`Suggestion`]`>`: leads (owner/editor) every pending one of the team and those decided in the last 30 days; agents only their own |
//! | `POST /v1/suggestions/{id}/accept` | [`AcceptSuggestion`] → [`Suggestion`]: written as the lead's write with `If-Match` (412 with `current`, 422 compliance, 507 quota as for a `PUT`); history credits the agent (writers of the library) |
//! | `POST /v1/suggestions/{id}/decline` | [`DeclineSuggestion`] → [`Suggestion`] (writers of the library; a comment is required) |
//! | `POST /v1/suggestions/{id}/withdraw` | → [`Suggestion`] (its author, while pending) |
//! | `GET /v1/events` | SSE: `event: head`, `id:` a server-wide change number, data [`HeadEvent`]; `event: suggestion` (no id), data [`SuggestionEvent`], to a suggestion's author and the team's leads |
//! | `GET /healthz` | liveness |
//! | `GET /metrics` | Prometheus text: only with the server's metrics token (`Bearer`), or on its separate metrics address |
//!
//! Versions: a new item is written with `If-Match: "0"`; every accepted write gives the
//! item `version + 1` and the library's next sequence number. Retrying a write whose
//! answer was lost is safe: the server remembers the `op` of the last write of each item
//! and answers a replay with the item as it is instead of a conflict.

use serde::{Deserialize, Serialize};
use sha2_free::digest_line;
use uuid::Uuid;

use crate::{FolderDoc, LibraryKind, SnippetDoc};

pub use crate::stale::{
    ARCHIVE_FOLDER, ArchiveRequest, ArchiveResult, MAX_ARCHIVE, MAX_STALE_DAYS, MAX_STALE_PAGE,
    StaleQuery, StaleReplies, StaleReply, TEAM_UTC_OFFSET_MINUTES,
};
pub use crate::suggest::{
    AcceptSuggestion, DeclineSuggestion, MAX_PENDING_SUGGESTIONS, MAX_SUGGESTION_NOTE,
    NewSuggestion, SUGGESTION_LIST_DECIDED_MS, Suggestion, SuggestionEvent, SuggestionStatus,
};

/// What a member may do in a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the team: invites, revokes devices, writes team libraries.
    Owner,
    /// Writes team libraries and invites agents.
    Editor,
    /// Reads team libraries; writes only their personal library.
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Role::Owner),
            "editor" => Some(Role::Editor),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }

    /// Whether this role may write team libraries.
    pub fn can_write_team(self) -> bool {
        matches!(self, Role::Owner | Role::Editor)
    }
}

/// `POST /v1/join`: a new device joins with the setup code (first start of a server:
/// becomes the owner), an invite code (a new member of the team) or a pairing code (one
/// more device of an existing user).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub code: String,
    /// Shown in device lists ("前台电脑").
    pub device_name: String,
    /// The member's display name; ignored for pairing codes (the user exists already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default)]
    pub app_version: String,
}

/// The answer to a join: the device's own bearer token (shown once, stored hashed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinResponse {
    pub token: String,
    pub me: Me,
}

/// Who a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: Uuid,
    pub user_name: String,
    pub device_id: Uuid,
    pub device_name: String,
    pub team_id: Uuid,
    pub team_name: String,
    pub role: Role,
    /// The id of the user's personal library on the server.
    pub personal_library: Uuid,
}

/// `POST /v1/invites`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    /// Role of members who join with the code (ignored for pairing codes).
    pub role: Role,
    /// How many devices may join with it (1–1000).
    pub uses: u32,
    /// Seconds until it expires (60 s – 90 days).
    pub expires_in: u64,
    /// A pairing code: devices that join become devices of the caller's own user.
    #[serde(default)]
    pub pairing: bool,
}

/// A new invite or pairing code. The code is shown once; the server keeps its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteResponse {
    pub code: String,
    pub role: Role,
    pub uses: u32,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub pairing: bool,
}

/// `POST /v1/signin` (no token): a new computer (or a browser opening the admin page)
/// asks to be let in; a signed-in member approves it by its short code (typed, or read
/// from the QR code the new computer shows, `<server>/admin/#approve=<code>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninRequest {
    /// Shown to the approver and in device lists.
    pub device_name: String,
    /// The name a new member gets when the approver lets them in as a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default)]
    pub app_version: String,
    /// A browser session of the admin page rather than a desktop computer.
    #[serde(default)]
    pub web: bool,
}

/// The answer to a [`SigninRequest`]: the code to show (and put in the QR code), and the
/// secret only the asking computer knows, to poll with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninStarted {
    pub id: Uuid,
    /// `XXXX-XXXX`, for the approver.
    pub code: String,
    /// For `POST /v1/signin/{id}/poll`; never shown.
    pub secret: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// `POST /v1/signin/{id}/poll`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninPollRequest {
    pub secret: String,
}

/// Where a sign-in stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigninState {
    /// Waiting for someone to approve it.
    Pending,
    /// Approved: this answer carries the new device's token (once; the request is gone
    /// afterwards).
    Approved,
    Denied,
    Expired,
}

/// The answer to a poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninPoll {
    pub state: SigninState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<JoinResponse>,
}

/// `GET /v1/signin?code=…`: what the approver is about to let in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninInfo {
    pub code: String,
    pub device_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub app_version: String,
    pub web: bool,
    /// The address the request came from.
    pub ip: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
}

/// `POST /v1/signin/approve`: let the computer in as one more device of the approver
/// (`member: None`, anyone may), or as a new member with that role (the same rule as
/// invites: owners any role, editors editors and agents).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninDecision {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Role>,
}

/// `POST /v1/signin/deny`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninDenial {
    pub code: String,
}

/// An application a team signs in with by scanning a QR code on the phone (configured by
/// the owner on the server; see the server's README, "Scan to sign in").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanProvider {
    /// 企业微信 WeCom (a self-built app of the team's corp).
    Wecom,
    /// 飞书 Feishu (a self-built app of the team's tenant).
    Feishu,
    /// 钉钉 DingTalk (an internal app of the team's organisation).
    Dingtalk,
    /// 微信 WeChat (an approved website app of 微信开放平台).
    Wechat,
    /// QQ (an approved QQ 互联 app).
    Qq,
}

impl ScanProvider {
    pub const ALL: [ScanProvider; 5] = [
        ScanProvider::Wecom,
        ScanProvider::Feishu,
        ScanProvider::Dingtalk,
        ScanProvider::Wechat,
        ScanProvider::Qq,
    ];

    /// `wecom`, `feishu`, … (as in URLs and configuration).
    pub fn as_str(self) -> &'static str {
        match self {
            ScanProvider::Wecom => "wecom",
            ScanProvider::Feishu => "feishu",
            ScanProvider::Dingtalk => "dingtalk",
            ScanProvider::Wechat => "wechat",
            ScanProvider::Qq => "qq",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The name people know it by, in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            ScanProvider::Wecom => "企业微信",
            ScanProvider::Feishu => "飞书",
            ScanProvider::Dingtalk => "钉钉",
            ScanProvider::Wechat => "微信",
            ScanProvider::Qq => "QQ",
        }
    }

    /// The name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            ScanProvider::Wecom => "WeCom",
            ScanProvider::Feishu => "Feishu",
            ScanProvider::Dingtalk => "DingTalk",
            ScanProvider::Wechat => "WeChat",
            ScanProvider::Qq => "QQ",
        }
    }
}

/// `GET /v1/scan`: one provider this server signs in with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanProviderInfo {
    pub provider: ScanProvider,
    pub name_zh: String,
    pub name_en: String,
}

/// `POST /v1/scan` (no token): a new computer signs in by scanning with a provider's app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRequest {
    pub provider: ScanProvider,
    pub device_name: String,
    /// The name a new member gets (else the provider's display name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default)]
    pub app_version: String,
    #[serde(default)]
    pub web: bool,
}

/// `POST /v1/scan/link` (a signed-in device): link the caller's member to their identity
/// at a provider, so that scanning signs any new computer of theirs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanLinkRequest {
    pub provider: ScanProvider,
}

/// An attempt started: the provider's page to show as a QR code (or open in a browser),
/// and the secret only this computer knows, to poll `POST /v1/scan/{id}/poll` with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanStarted {
    pub id: Uuid,
    pub provider: ScanProvider,
    /// The provider's authorize URL, carrying this attempt's single-use `state`.
    pub url: String,
    /// Never shown.
    pub secret: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// Where a scan attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanState {
    /// Nobody has scanned yet (or the server is still asking the provider).
    Waiting,
    /// Signed in: the answer carries the device token (once).
    SignedIn,
    /// The identity is linked to the caller's member now (a link attempt).
    Linked,
    /// An identity no member has: a sign-in by approval was started; show its code and
    /// poll `POST /v1/signin/{id}/poll` with the same secret.
    Approval,
    /// It failed: see `error`; nothing was created.
    Failed,
    /// Nobody scanned in time.
    Expired,
}

/// Why a scan failed, in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanError {
    /// `state_used`, `state_unknown`, `expired`, `provider_error`, `provider_down`,
    /// `denied`, `linked_elsewhere`, `no_team`.
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// The answer to polling a scan attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanPoll {
    pub state: ScanState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<JoinResponse>,
    /// [`ScanState::Approval`]: the sign-in to wait on (its `secret` is the attempt's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signin: Option<SigninStarted>,
    /// The provider's display name of who scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ScanError>,
}

/// `GET /v1/scan/settings` (owner): one provider as the server has it. The secret is
/// never answered: `has_secret` says whether one is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSetting {
    pub provider: ScanProvider,
    /// Whether the server signs in with it.
    pub configured: bool,
    /// Set in the server's config file or environment: changed there, not here.
    pub from_config: bool,
    #[serde(default)]
    pub app_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub auto_join: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub has_secret: bool,
    /// Where the provider sends the phone back: what its app must trust.
    pub callback_url: String,
    /// Unix milliseconds (set on the admin page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// `PUT /v1/scan/settings/{provider}` (owner). `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSettingInput {
    pub app_id: String,
    /// `None` (or empty): keep the secret the server has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub auto_join: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

impl std::fmt::Debug for ScanSettingInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanSettingInput")
            .field("app_id", &self.app_id)
            .field("secret", &self.secret.as_ref().map(|_| "<hidden>"))
            .field("agent_id", &self.agent_id)
            .field("auto_join", &self.auto_join)
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// `GET /v1/identities`: one identity linked to the caller's member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityInfo {
    pub provider: ScanProvider,
    /// The provider's display name at the time it was linked.
    pub display_name: String,
    /// Unix milliseconds.
    pub linked_at: i64,
}

/// One earlier (or the current) version of an item, for its history: who wrote it when.
/// Restoring is an ordinary write of an old `doc` (with `If-Match` on the current
/// version), so it syncs, merges and shows up in the history like any edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemVersion {
    pub version: i64,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<ItemDoc>,
    /// Unix milliseconds.
    pub updated_at: i64,
    pub user_id: Uuid,
    pub user_name: String,
    pub device_name: String,
    /// A version a lead wrote by accepting a suggestion: the agent who suggested it
    /// (the writer above is the lead). Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_by: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_by_name: Option<String>,
}

/// Versions of an item the server keeps (the newest ones).
pub const MAX_HISTORY: usize = 100;

/// An open invite or pairing code as `GET /v1/codes` lists it: who made it, for what,
/// until when. The code itself is never shown again (the server keeps only its hash);
/// `id` is the first [`CODE_ID_LEN`] hex digits of that hash, enough to cancel it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    pub id: String,
    /// A pairing code (one more device of its maker) rather than an invite.
    pub pairing: bool,
    /// The role of the members it makes (a pairing code: its maker's).
    pub role: Role,
    pub uses_left: u32,
    /// Unix ms (`None`: never expires).
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// Who made it (`None`: the server's own command line).
    pub created_by_user: Option<Uuid>,
    pub created_by_name: Option<String>,
    /// The device that made it.
    pub created_by_device: Option<String>,
}

/// Hex digits of a code's hash that name it in [`CodeInfo::id`].
pub const CODE_ID_LEN: usize = 8;

/// `PUT /v1/members/{user_id}/role` (the owner only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    pub role: Role,
}

/// One library's cursor as a device reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub library_id: Uuid,
    pub cursor: i64,
    /// Items of this library the device could not take (an image that is missing on the
    /// server or is no image): it has every other change up to `cursor` and tries these
    /// again at each sync. At most [`MAX_SKIPPED_REPORTED`]; `skipped_total` counts all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedItem>,
    /// How many items are skipped in all (more than `skipped.len()` when the list was cut).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_total: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An item a device skipped when it pulled, and why (for the lead's status board).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    pub key: String,
    /// The server's version of the item that was skipped.
    pub version: i64,
    /// The reply's title (a folder's or variable's name; the key of a deleted item).
    pub title: String,
    /// Why, in the device's language.
    pub reason: String,
}

/// Most skipped items one cursor of a status report lists.
pub const MAX_SKIPPED_REPORTED: usize = 20;
/// Longest title or reason of a reported skipped item (characters; longer ones are cut).
pub const MAX_SKIPPED_TEXT: usize = 300;

/// `POST /v1/status`: what a device has applied, for the lead's view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub app_version: String,
    pub cursors: Vec<Cursor>,
}

/// A device as listed by `GET /v1/devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub name: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub role: Role,
    pub created_at: i64,
    /// Unix ms of the last authenticated request, if any.
    pub last_seen: Option<i64>,
    pub revoked: bool,
    pub app_version: String,
    pub cursors: Vec<Cursor>,
}

/// A library the caller can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryInfo {
    pub id: Uuid,
    pub name: String,
    pub kind: LibraryKind,
    /// The sequence number of its latest change (0 when empty).
    pub head: i64,
    /// Whether the caller may write it.
    pub writable: bool,
}

/// `POST /v1/libraries`: a team library. The client chooses the id (its local one), so
/// retries are safe: creating an existing id the caller can write answers it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLibrary {
    pub id: Uuid,
    pub name: String,
}

/// A team or personal variable (`{店铺名}`), synced as an item keyed `var:<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableDoc {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A team library's value that each agent may replace with their own (a personal
    /// variable of the same name); otherwise the lead's value always applies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overridable: bool,
    /// `value` is only an example (a built-in pack's hint), not a real value: the
    /// variable is unset and no reply sends it (clients ask for a value instead). Left
    /// out when false, so documents without it are as before. Compatibility: a client or
    /// server that predates the field ignores it, so there the example reads as the
    /// value, which is what every version did before the field existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub example: bool,
}

/// The content of an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "doc", rename_all = "snake_case")]
pub enum ItemDoc {
    Snippet(SnippetDoc),
    Folder(FolderDoc),
    Variable(VariableDoc),
}

/// Key prefix of variable items.
pub const VAR_PREFIX: &str = "var:";

impl ItemDoc {
    /// The item key this document must be stored under: the id for replies and folders,
    /// `var:<name>` for variables.
    pub fn key(&self) -> String {
        match self {
            ItemDoc::Snippet(s) => s.id.to_string(),
            ItemDoc::Folder(f) => f.id.to_string(),
            ItemDoc::Variable(v) => format!("{VAR_PREFIX}{}", v.name),
        }
    }

    /// Image blobs this document refers to.
    pub fn blobs(&self) -> Vec<&str> {
        match self {
            ItemDoc::Snippet(s) => s
                .parts
                .iter()
                .filter_map(|p| match p {
                    crate::Part::Image { sha256, .. } => Some(sha256.as_str()),
                    crate::Part::Text { .. } => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// `PUT /v1/libraries/{id}/items/{key}` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutItem {
    /// Client-chosen id of this write (idempotent retries).
    pub op: String,
    #[serde(flatten)]
    pub doc: ItemDoc,
}

/// One write of a [`BatchWrite`]: what `PUT` (a document) or `DELETE` (no document) of
/// `/v1/libraries/{id}/items/{key}` says with its path, `If-Match` and body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    pub key: String,
    /// The version the client last saw (`If-Match`; 0 for a new item).
    pub if_match: i64,
    /// Client-chosen id of this write (a replay is answered with the item, as for `PUT`).
    pub op: String,
    /// The new document; `None` deletes the item (a tombstone).
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub doc: Option<ItemDoc>,
}

/// `POST /v1/libraries/{id}/items`: several writes to one library in one request (a
/// lead's import of thousands of replies is a few requests, not one per reply). The
/// server applies them in order, each exactly as the single write would be (its own
/// version check, replay and refusal: one refused write does not stop the others), all
/// in one transaction, and announces the library's new head once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchWrite {
    pub writes: Vec<BatchItem>,
}

/// Most writes one [`BatchWrite`] may hold (the request body limit applies too).
pub const MAX_BATCH: usize = 500;

/// The answer to one write of a batch: the status the single write would have answered
/// (`200` with `item`; `412` with `error.current`, the item as the server has it, if any;
/// any other `4xx`/`507` with `error`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResult {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// The answer to a [`BatchWrite`]: one result per write, in the same order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResults {
    pub results: Vec<BatchResult>,
}

/// An item as the server holds it: live, or a tombstone (`deleted`, no `doc`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: String,
    pub version: i64,
    pub seq: i64,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub doc: Option<ItemDoc>,
    pub updated_at: i64,
    /// The op of the write that made this version.
    #[serde(default)]
    pub op: String,
}

/// `GET /v1/libraries/{id}/changes?since=N`: the latest state of every item changed after
/// `N`, in sequence order; `cursor` is where the next pull starts; `more` says the page
/// limit ([`MAX_PAGE`] items, or [`MAX_PAGE_BYTES`] of documents) cut the answer short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub items: Vec<Item>,
    pub cursor: i64,
    pub more: bool,
}

/// Largest page of changes the server answers.
pub const MAX_PAGE: usize = 1000;

/// Most bytes of item documents (as stored JSON) in a page of changes: a page ends before
/// the item that would take it past this, but always holds at least one item, so a
/// client paging by `cursor` always gets on.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Count and hash of a library's live items: equal digests mean equal item sets and
/// versions. The hash is SHA-256 (hex) over `key:version\n` of every live item in key
/// order, see [`Digest::of`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub count: u64,
    pub hash: String,
}

impl Digest {
    /// The digest of `(key, version)` pairs of live items, in any order.
    pub fn of<'a>(items: impl IntoIterator<Item = (&'a str, i64)>) -> Digest {
        let mut v: Vec<(&str, i64)> = items.into_iter().collect();
        v.sort_unstable();
        let mut lines = String::new();
        for (k, ver) in &v {
            digest_line(&mut lines, k, *ver);
        }
        Digest {
            count: v.len() as u64,
            hash: sha2_free::sha256_hex(lines.as_bytes()),
        }
    }
}

/// `GET /v1/libraries/{id}/digest`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryDigest {
    pub head: i64,
    pub digest: Digest,
}

/// How often this device fired one reply on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageCount {
    pub key: String,
    /// `YYYY-MM-DD`, the device's local date.
    pub day: String,
    pub count: u32,
}

/// `POST /v1/libraries/{id}/usage`: a device's fire counts for a library. A count
/// replaces the same device's earlier count for the same reply and day, so resending a
/// day is safe. Counts only: never what was sent to whom.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    pub counts: Vec<UsageCount>,
}

/// One reply's use over the asked period, all devices together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotal {
    pub key: String,
    pub count: u64,
    /// How many devices fired it.
    pub devices: u32,
}

/// Most fires one device may report for one day, over all replies and libraries
/// together: a report that would take a device past it is refused (`400`). The fastest
/// a person fires by hand is about one reply every 2 s (hotkey, pick, paste, check): a
/// 10-hour shift without a pause is 18 000. 20 000 is one fire every 4.3 s around the
/// clock, so only a bug or a script reaches it.
pub const MAX_FIRES_PER_DAY: u32 = 20_000;

/// Largest usage report the server accepts (entries).
pub const MAX_USAGE_ENTRIES: usize = 10_000;

/// How often this device searched for `query` on one day and found nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedSearch {
    /// The search as [`missed_query`] normalises it.
    pub query: String,
    /// `YYYY-MM-DD`, the device's date.
    pub day: String,
    pub count: u32,
}

/// `POST /v1/missed`: a device's searches that found nothing (the questions the team's
/// libraries do not answer yet). A count replaces the same device's earlier count of the
/// same query and day, as usage counts do. Only what was typed into the search box, and
/// only short searches without long numbers (see [`missed_query`]): never chat content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedReport {
    pub searches: Vec<MissedSearch>,
}

/// `GET /v1/missed?days=N`: one search that found nothing over the asked period, all
/// devices together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedTotal {
    pub query: String,
    pub count: u64,
    /// How many devices searched it.
    pub devices: u32,
}

/// Longest search (characters) that is kept as "found nothing"; longer ones are pasted
/// questions or messages, which stay on the computer.
pub const MAX_MISSED_QUERY: usize = 24;

/// A search as it is counted when it found nothing: trimmed, inner whitespace as one
/// space, lower case. `None` for what is never counted: empty searches, longer than
/// [`MAX_MISSED_QUERY`] characters, control characters, an `@`, or five or more digits
/// in a row (order and phone numbers) — what an agent types to find a reply, not what a
/// buyer wrote.
pub fn missed_query(query: &str) -> Option<String> {
    let normal = query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let mut digits = 0;
    for c in normal.chars() {
        if c.is_control() || c == '@' || c == '＠' {
            return None;
        }
        digits = if c.is_ascii_digit() || ('０'..='９').contains(&c) {
            digits + 1
        } else {
            0
        };
        if digits >= 5 {
            return None;
        }
    }
    let len = normal.chars().count();
    (1..=MAX_MISSED_QUERY).contains(&len).then_some(normal)
}

/// Data of an SSE `head` event: a library has new changes up to `head`.
///
/// When the change that moved the head was one small item (its JSON at most
/// [`MAX_INLINE_ITEM`] bytes), the event carries it in `item`: then `item.seq == head`
/// and the feed between `head - 1` and `head` is exactly that item, so a client whose
/// cursor for the library is `head - 1` applies it and moves its cursor to `head`
/// without asking the server (the common case of a lead's edit reaching hundreds of
/// agents: no request per agent). Any other client pulls `changes?since=<cursor>` as
/// usual; events replayed on (re)connect never carry items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadEvent {
    pub library_id: Uuid,
    pub head: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

impl HeadEvent {
    /// The inline item, if it is exactly the change after `cursor`.
    pub fn next_after(&self, cursor: i64) -> Option<&Item> {
        self.item
            .as_ref()
            .filter(|i| i.seq == self.head && cursor.checked_add(1) == Some(self.head))
    }
}

/// Largest item (bytes of its JSON) a `head` event carries inline.
pub const MAX_INLINE_ITEM: usize = 4096;

/// Every error answer: a stable machine code, a message for people, and for `412` the
/// item as the server has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Item>,
}

/// Codes of [`ErrorBody`].
pub mod codes {
    pub const BAD_REQUEST: &str = "bad_request";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    pub const CONFLICT: &str = "conflict";
    pub const INVALID_CODE: &str = "invalid_code";
    pub const TOO_LARGE: &str = "too_large";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const HASH_MISMATCH: &str = "hash_mismatch";
    /// An uploaded blob that is not an image of an allowed type (`415`), or an image that
    /// cannot be decoded or whose dimensions are out of range (`422`).
    pub const BAD_IMAGE: &str = "bad_image";
    pub const INTERNAL: &str = "internal";
    /// `503`: the server is at a connection or event-stream cap; try again later
    /// (`Retry-After`).
    pub const UNAVAILABLE: &str = "unavailable";
    /// `507`: the write would take the member past their storage quota.
    pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
    /// `422`: a reply in a team library holds a word whose rule the lead set to block
    /// (the compliance check, `crate::compliance`); the message names the word and rule.
    pub const COMPLIANCE_BLOCKED: &str = "compliance_blocked";
}

mod sha2_free {
    //! The digest's formatting, kept in one place.
    use sha2::{Digest as _, Sha256};

    pub fn digest_line(out: &mut String, key: &str, version: i64) {
        out.push_str(key);
        out.push(':');
        out.push_str(&version.to_string());
        out.push('\n');
    }

    pub fn sha256_hex(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Part;

    #[test]
    fn missed_searches_keep_what_an_agent_types_and_drop_what_a_buyer_wrote() {
        assert_eq!(
            missed_query("  发票   怎么开 ").as_deref(),
            Some("发票 怎么开")
        );
        assert_eq!(missed_query("ZHBJ").as_deref(), Some("zhbj"));
        assert_eq!(missed_query("7天无理由").as_deref(), Some("7天无理由"));
        assert_eq!(missed_query("退款1234").as_deref(), Some("退款1234"));
        // Phone and order numbers, e-mail addresses, pasted messages: never counted.
        assert_eq!(missed_query("13812345678"), None);
        assert_eq!(missed_query("订单 20261123 到哪了"), None);
        assert_eq!(missed_query("订单２０２６１"), None);
        assert_eq!(missed_query("a@b.com"), None);
        assert_eq!(
            missed_query("你好，我昨天买的那件衣服怎么还没有发货呀，能帮我查一下吗"),
            None
        );
        assert_eq!(missed_query("   "), None);
        assert_eq!(missed_query("a\u{7}b"), None);
        let longest = "字".repeat(MAX_MISSED_QUERY);
        assert_eq!(missed_query(&longest), Some(longest.clone()));
        assert_eq!(missed_query(&format!("{longest}字")), None);
    }

    #[test]
    fn an_inline_item_is_taken_only_as_the_very_next_change() {
        let item = Item {
            key: "var:店名".into(),
            version: 2,
            seq: 7,
            deleted: false,
            doc: Some(ItemDoc::Variable(VariableDoc {
                name: "店名".into(),
                value: "小美家居".into(),
                description: String::new(),
                overridable: false,
                example: false,
            })),
            updated_at: 1,
            op: "o".into(),
        };
        let ev = HeadEvent {
            library_id: Uuid::nil(),
            head: 7,
            item: Some(item.clone()),
        };
        assert_eq!(ev.next_after(6), Some(&item));
        assert_eq!(ev.next_after(5), None, "a gap: pull");
        assert_eq!(ev.next_after(7), None, "already there");
        assert_eq!(ev.next_after(i64::MAX), None);
        // The wire form round-trips, and an event without an item stays as before.
        let json = serde_json::to_string(&ev).unwrap_or_default();
        assert_eq!(serde_json::from_str::<HeadEvent>(&json).ok(), Some(ev));
        let bare: HeadEvent = serde_json::from_str(
            r#"{"library_id":"00000000-0000-0000-0000-000000000000","head":3}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bare.item, None);
        assert!(
            !serde_json::to_string(&bare)
                .unwrap_or_default()
                .contains("item")
        );
        // A head that does not match the item's seq is never trusted.
        let odd = HeadEvent {
            head: 8,
            item: Some(item),
            ..bare
        };
        assert_eq!(odd.next_after(7), None);
    }

    #[test]
    fn put_item_is_flat_json() {
        let id = Uuid::nil();
        let put = PutItem {
            op: "op1".into(),
            doc: ItemDoc::Variable(VariableDoc {
                name: "店铺名".into(),
                value: "小店".into(),
                description: String::new(),
                overridable: false,
                example: false,
            }),
        };
        let json = serde_json::to_value(&put).unwrap_or_default();
        assert_eq!(json["kind"], "variable");
        assert_eq!(json["doc"]["name"], "店铺名");
        let back: PutItem = serde_json::from_value(json).unwrap_or(PutItem {
            op: String::new(),
            doc: ItemDoc::Folder(FolderDoc {
                id,
                parent_id: None,
                name: String::new(),
                position: 0,
                starts_at: None,
                ends_at: None,
            }),
        });
        assert_eq!(back, put);
        assert_eq!(put.doc.key(), "var:店铺名");
    }

    /// An unset variable's `example` flag travels only when set, and both directions of
    /// version skew read each other's documents.
    #[test]
    fn the_example_flag_is_optional_both_ways() {
        let set = VariableDoc {
            name: "快递公司".into(),
            value: "顺丰".into(),
            description: String::new(),
            overridable: false,
            example: false,
        };
        // A real value's document is byte for byte what older versions wrote.
        let json = serde_json::to_value(&set).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"name": "快递公司", "value": "顺丰"})
        );
        let unset = VariableDoc {
            value: "中通快递".into(),
            example: true,
            ..set.clone()
        };
        let json = serde_json::to_value(&unset).unwrap_or_default();
        assert_eq!(json["example"], true);
        assert_eq!(
            serde_json::from_value::<VariableDoc>(json.clone()).ok(),
            Some(unset)
        );
        // An older reader (the struct without the field) still takes the document.
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Older {
            name: String,
            value: String,
            #[serde(default)]
            overridable: bool,
        }
        assert!(serde_json::from_value::<Older>(json).is_ok());
        // An older writer's document is a set value.
        let old: Option<VariableDoc> =
            serde_json::from_str(r#"{"name":"快递公司","value":"顺丰"}"#).ok();
        assert_eq!(old, Some(set));
    }

    #[test]
    fn batch_writes_are_flat_and_deletes_have_no_doc() {
        let put = BatchItem {
            key: "var:店铺名".into(),
            if_match: 2,
            op: "op1".into(),
            doc: Some(ItemDoc::Variable(VariableDoc {
                name: "店铺名".into(),
                value: "小店".into(),
                description: String::new(),
                overridable: false,
                example: false,
            })),
        };
        let delete = BatchItem {
            key: "k".into(),
            if_match: 3,
            op: "op2".into(),
            doc: None,
        };
        let batch = BatchWrite {
            writes: vec![put.clone(), delete.clone()],
        };
        let json = serde_json::to_value(&batch).unwrap_or_default();
        assert_eq!(json["writes"][0]["kind"], "variable");
        assert_eq!(json["writes"][0]["doc"]["value"], "小店");
        assert!(json["writes"][1].get("doc").is_none(), "{json}");
        let back: Option<BatchWrite> = serde_json::from_value(json).ok();
        assert_eq!(back, Some(batch));
    }

    #[test]
    fn tombstones_have_no_doc() {
        let t = Item {
            key: "k".into(),
            version: 3,
            seq: 9,
            deleted: true,
            doc: None,
            updated_at: 1,
            op: "o".into(),
        };
        let json = serde_json::to_string(&t).unwrap_or_default();
        assert!(!json.contains("\"doc\""), "{json}");
        let back: Result<Item, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(t));
    }

    #[test]
    fn digest_ignores_order_and_sees_versions() {
        let a = Digest::of([("a", 1), ("b", 2)]);
        let b = Digest::of([("b", 2), ("a", 1)]);
        assert_eq!(a, b);
        assert_eq!(a.count, 2);
        assert_ne!(a, Digest::of([("a", 1), ("b", 3)]));
        assert_eq!(Digest::of([]).count, 0);
    }

    #[test]
    fn images_are_listed_as_blobs() {
        let doc = ItemDoc::Snippet(SnippetDoc {
            id: Uuid::nil(),
            folder_id: None,
            title: "t".into(),
            code: None,
            tags: vec![],
            parts: vec![
                Part::Text { body: "x".into() },
                Part::Image {
                    sha256: "ab".into(),
                    mime: "image/png".into(),
                    width: 1,
                    height: 1,
                },
            ],
            apps: vec![],
            position: 0,
            starts_at: None,
            ends_at: None,
        });
        assert_eq!(doc.blobs(), vec!["ab"]);
    }

    #[test]
    fn roles_parse_and_know_who_writes() {
        for r in [Role::Owner, Role::Editor, Role::Agent] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Editor.can_write_team());
        assert!(!Role::Agent.can_write_team());
    }
}
