//! What scanning to sign in (`crate::scan`) keeps: attempts (`scans`, by the SHA-256 of
//! their single-use `state` and of their poll secret) and the identities linked to
//! members (`identities`, by provider and the provider's stable id). Both backends
//! implement [`ScanStore`]; the decisions are in `crate::scan`.

use quickreply_proto::api::{IdentityInfo, ScanError, ScanProvider};
use uuid::Uuid;

use super::rows::Cells;
use crate::Error;

/// A new attempt, with its secrets hashed.
#[derive(Clone, Debug)]
pub struct NewScan {
    pub id: Uuid,
    pub provider: ScanProvider,
    pub state_hash: String,
    pub secret_hash: String,
    /// A link attempt of this member (`None`: a computer signing in).
    pub link_user: Option<Uuid>,
    pub device_name: String,
    pub user_name: Option<String>,
    pub app_version: String,
    pub web: bool,
    pub ip: String,
    pub now: i64,
    pub expires_at: i64,
}

/// Who scanned, as the provider says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub provider: ScanProvider,
    /// The provider's stable id of the person (WeCom userid, Feishu open_id, DingTalk
    /// unionId, WeChat unionid or openid, QQ openid).
    pub subject: String,
    pub display_name: String,
    /// The corp or tenant the person belongs to, when the provider says (WeCom: the corp
    /// id for corp members, Feishu: tenant_key, DingTalk: corpId).
    pub tenant: Option<String>,
}

/// Where an attempt stands (the `status` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanStatus {
    /// Nobody came back from the provider yet.
    Waiting,
    /// The callback took the state; the server is asking the provider.
    Exchanging,
    /// A linked member: the next poll collects a device of theirs.
    Member,
    /// A new member joins as an agent (the owner's automatic join).
    Join,
    /// Unknown identity: the next poll starts a sign-in by approval.
    Approval,
    /// The approval sign-in was started (`signin_id`); kept to link the identity once it
    /// is approved.
    ApprovalSent,
    /// The identity was linked to `link_user`.
    Linked,
    Failed,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Waiting => "waiting",
            ScanStatus::Exchanging => "exchanging",
            ScanStatus::Member => "member",
            ScanStatus::Join => "join",
            ScanStatus::Approval => "approval",
            ScanStatus::ApprovalSent => "approval_sent",
            ScanStatus::Linked => "linked",
            ScanStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "exchanging" => ScanStatus::Exchanging,
            "member" => ScanStatus::Member,
            "join" => ScanStatus::Join,
            "approval" => ScanStatus::Approval,
            "approval_sent" => ScanStatus::ApprovalSent,
            "linked" => ScanStatus::Linked,
            "failed" => ScanStatus::Failed,
            _ => ScanStatus::Waiting,
        }
    }

    /// Collected by the asker's poll: the row goes once answered.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ScanStatus::Member | ScanStatus::Join | ScanStatus::Linked | ScanStatus::Failed
        )
    }
}

/// A stored attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRow {
    pub id: Uuid,
    pub provider: ScanProvider,
    pub link_user: Option<Uuid>,
    pub device_name: String,
    pub user_name: Option<String>,
    pub app_version: String,
    pub web: bool,
    pub ip: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: ScanStatus,
    /// [`ScanStatus::Member`]: the member.
    pub user_id: Option<Uuid>,
    pub identity: Option<Identity>,
    pub error: Option<ScanError>,
    pub signin_id: Option<Uuid>,
}

/// What the callback decided.
#[derive(Clone, Debug)]
pub struct ScanResult {
    pub status: ScanStatus,
    pub user_id: Option<Uuid>,
    pub identity: Option<Identity>,
    pub error: Option<ScanError>,
}

/// Taking an attempt's state at the callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    /// Taken now (it was waiting and unexpired): only this callback goes on with it.
    Fresh(Box<ScanRow>),
    /// Taken before: a replayed callback.
    Used,
    /// Nobody scanned in time.
    Expired,
    /// No attempt has this state.
    Unknown,
}

/// Rows of attempts are removed this long after they expire.
pub const SCAN_KEEP_MS: i64 = 24 * 3600 * 1000;

/// The columns [`scan_from`] reads.
pub const SCAN_COLUMNS: &str = "id, provider, link_user, device_name, user_name, app_version, \
                                web, ip, created_at, expires_at, status, user_id, subject, \
                                display_name, tenant, error_code, error_zh, error_en, signin_id";

pub fn scan_from<C: Cells>(c: &C) -> Result<ScanRow, C::Error> {
    let provider = c.text(1)?;
    let provider = ScanProvider::parse(&provider).unwrap_or(ScanProvider::Wecom);
    let subject = c.opt_text(12)?;
    let identity = subject.map(|subject| -> Result<Identity, C::Error> {
        Ok(Identity {
            provider,
            subject,
            display_name: c.opt_text(13)?.unwrap_or_default(),
            tenant: c.opt_text(14)?,
        })
    });
    let error = match c.opt_text(15)? {
        Some(code) => Some(ScanError {
            code,
            zh: c.opt_text(16)?.unwrap_or_default(),
            en: c.opt_text(17)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(ScanRow {
        id: c.uuid(0)?,
        provider,
        link_user: c.opt_uuid(2)?,
        device_name: c.text(3)?,
        user_name: c.opt_text(4)?,
        app_version: c.text(5)?,
        web: c.flag(6)?,
        ip: c.text(7)?,
        created_at: c.int(8)?,
        expires_at: c.int(9)?,
        status: ScanStatus::parse(&c.text(10)?),
        user_id: c.opt_uuid(11)?,
        identity: identity.transpose()?,
        error,
        signin_id: c.opt_uuid(18)?,
    })
}

/// An identity row as listed (`provider, display_name, created_at`); `None` for a
/// provider this server does not know.
pub fn identity_info_from<C: Cells>(c: &C) -> Result<Option<IdentityInfo>, C::Error> {
    let Some(provider) = ScanProvider::parse(&c.text(0)?) else {
        return Ok(None);
    };
    Ok(Some(IdentityInfo {
        provider,
        display_name: c.text(1)?,
        linked_at: c.int(2)?,
    }))
}

/// An identity linked to another member already.
pub fn linked_elsewhere(identity: &Identity) -> Error {
    Error::Conflict(format!(
        "this {} account ({}) is linked to another member already: they unlink it first",
        identity.provider.name_en(),
        identity.display_name
    ))
}

/// A provider the owner set on the admin page (`scan_settings`).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredProvider {
    pub provider: ScanProvider,
    pub app_id: String,
    pub secret: String,
    pub agent_id: Option<String>,
    pub auto_join: bool,
    pub tenant: Option<String>,
    pub updated_at: i64,
}

impl std::fmt::Debug for StoredProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredProvider")
            .field("provider", &self.provider)
            .field("app_id", &self.app_id)
            .field("secret", &"<hidden>")
            .finish_non_exhaustive()
    }
}

/// The columns [`stored_provider_from`] reads.
pub const SETTING_COLUMNS: &str =
    "provider, app_id, secret, agent_id, auto_join, tenant, updated_at";

/// A `scan_settings` row; `None` for a provider this server does not know.
pub fn stored_provider_from<C: Cells>(c: &C) -> Result<Option<StoredProvider>, C::Error> {
    let Some(provider) = ScanProvider::parse(&c.text(0)?) else {
        return Ok(None);
    };
    Ok(Some(StoredProvider {
        provider,
        app_id: c.text(1)?,
        secret: c.text(2)?,
        agent_id: c.opt_text(3)?,
        auto_join: c.flag(4)?,
        tenant: c.opt_text(5)?,
        updated_at: c.int(6)?,
    }))
}

/// Storage of scan attempts and linked identities (both backends).
pub trait ScanStore {
    /// Stores an attempt (and forgets those expired more than [`SCAN_KEEP_MS`] ago).
    fn create_scan(&self, scan: &NewScan) -> Result<(), Error>;

    /// At the provider's callback: takes the waiting, unexpired attempt with this state
    /// (it becomes [`ScanStatus::Exchanging`]), so a state is used once.
    fn take_scan_state(&self, state_hash: &str, now: i64) -> Result<Taken, Error>;

    /// Records what the callback decided.
    fn finish_scan(&self, id: Uuid, result: &ScanResult) -> Result<(), Error>;

    /// The attempt with this id and poll secret, as its asker polls it (`None`: unknown or
    /// collected). A final one is removed in the same transaction (answered once); one
    /// waiting for approval becomes [`ScanStatus::ApprovalSent`] with `signin_id`.
    fn collect_scan(
        &self,
        id: Uuid,
        secret_hash: &str,
        signin_id: Uuid,
    ) -> Result<Option<ScanRow>, Error>;

    /// The active member an identity is linked to.
    fn identity_user(&self, provider: ScanProvider, subject: &str) -> Result<Option<Uuid>, Error>;

    /// Links an identity to a member (again: nothing changes); linked to another member
    /// already: `Conflict`.
    fn link_identity(&self, user_id: Uuid, identity: &Identity, now: i64) -> Result<(), Error>;

    /// Once the sign-in started for an unknown identity is approved and collected (as
    /// `user_id`), links that identity to them (unless it is linked meanwhile) and forgets
    /// the attempt.
    fn link_after_approval(&self, signin_id: Uuid, user_id: Uuid, now: i64) -> Result<(), Error>;

    /// A one-use code, made by the server itself, that adds a device to `user` (a linked
    /// member) or, `None`, a new agent to the team; valid for a minute, spent at once with
    /// `Store::join`. `NotFound` when the member is gone or there is no team yet.
    fn scan_code(&self, code_hash: &str, user: Option<Uuid>, now: i64) -> Result<(), Error>;

    /// The identities linked to a member.
    fn identities(&self, user_id: Uuid) -> Result<Vec<IdentityInfo>, Error>;

    /// Unlinks a member's identity at a provider (`false`: none was linked).
    fn unlink_identity(&self, user_id: Uuid, provider: ScanProvider) -> Result<bool, Error>;

    /// The providers the owner set on the admin page.
    fn scan_settings(&self) -> Result<Vec<StoredProvider>, Error>;

    /// Sets a provider (replacing its earlier setting), by `user`.
    fn put_scan_setting(&self, setting: &StoredProvider, user: Uuid) -> Result<(), Error>;

    /// Removes a provider's setting (`false`: there was none).
    fn delete_scan_setting(&self, provider: ScanProvider) -> Result<bool, Error>;
}
