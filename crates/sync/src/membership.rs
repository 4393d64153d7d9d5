//! Membership: joining with a code, sign-in by approval (and approving others'), invites,
//! leaving a team and being signed out by it.

use std::time::Duration;

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_proto::api::{
    CodeInfo, DeviceInfo, InviteRequest, InviteResponse, JoinRequest, JoinResponse, Role,
    SigninDecision, SigninDenial, SigninInfo, SigninRequest, SigninStarted, SigninState,
};

use crate::accounts::{account_by_id, client_for, data_dir, not_joined_yet};
use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::model::Account;
use crate::secret::{self, TokenPlace};
use crate::tables;
use uuid::Uuid;

/// Join a server with a setup, invite or pairing code. Joining a second server adds an
/// account beside the first (its team libraries come as libraries of their own); the
/// personal library syncs with the first account only. With the first account, the
/// personal library starts to sync at once (its replies are queued for upload); call
/// [`sync_once`](crate::sync_once) next. Also says where the device token was kept (the keyring, or the
/// fallback file).
pub fn join(
    store: &mut Store,
    server: &str,
    code: &str,
    device_name: &str,
    user_name: Option<&str>,
) -> Result<(Account, TokenPlace)> {
    let anon = Client::new(server, None)?;
    not_joined_yet(store, &anon)?;
    let resp = anon.join(&JoinRequest {
        code: code.trim().to_string(),
        device_name: device_name.to_string(),
        user_name: user_name.map(str::to_string),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
    })?;
    adopt(store, &anon, &resp)
}

/// Keep a new device token and account.
pub(crate) fn adopt(
    store: &Store,
    server: &Client,
    resp: &JoinResponse,
) -> Result<(Account, TokenPlace)> {
    let id = tables::add_account(store.conn(), server.server(), &resp.me)?;
    let place = match secret::save(&data_dir(store), id, &resp.token) {
        Ok(place) => place,
        Err(e) => {
            tables::remove_new_account(store.conn(), id)?;
            return Err(e);
        }
    };
    let acc = account_by_id(store, id)?.ok_or(SyncError::NotJoined)?;
    Ok((acc, place))
}

/// A sign-in by approval in progress: show [`Signin::code`] (and [`Signin::approve_url`]
/// as a QR code) and wait with [`Signin::wait`].
#[derive(Clone, Debug)]
pub struct Signin {
    pub(crate) server: Client,
    pub(crate) started: SigninStarted,
}

impl Signin {
    /// The code an approver types (`XXXX-XXXX`).
    pub fn code(&self) -> &str {
        &self.started.code
    }

    /// What the QR code holds: the server's admin page, opened at this approval (a
    /// signed-in phone scans it and taps approve).
    pub fn approve_url(&self) -> String {
        format!(
            "{}admin/#approve={}",
            self.server.server(),
            self.started.code
        )
    }

    /// Unix milliseconds after which nobody can approve it any more.
    pub fn expires_at(&self) -> i64 {
        self.started.expires_at
    }

    /// One look at the request: `Ok(None)` while it waits; joined once approved.
    pub fn poll(&self, store: &Store) -> Result<Option<(Account, TokenPlace)>> {
        let got = self
            .server
            .signin_poll(self.started.id, &self.started.secret)?;
        match (got.state, got.join) {
            (SigninState::Pending, _) => Ok(None),
            (SigninState::Approved, Some(resp)) => adopt(store, &self.server, &resp).map(Some),
            (SigninState::Approved, None) => Err(SyncError::Protocol(
                "an approved sign-in came without a token".into(),
            )),
            (SigninState::Denied, _) => Err(SyncError::Server {
                status: 403,
                code: "denied".into(),
                message: tr("登录请求被拒绝了", "the sign-in was denied"),
            }),
            (SigninState::Expired, _) => Err(SyncError::Server {
                status: 410,
                code: "expired".into(),
                message: tr(
                    "登录请求已过期（10 分钟内无人批准）：请重新发起",
                    "the sign-in expired (nobody approved it within 10 minutes): start again",
                ),
            }),
        }
    }

    /// Polls every `every` until approved, denied or expired.
    pub fn wait(&self, store: &Store, every: Duration) -> Result<(Account, TokenPlace)> {
        loop {
            if let Some(done) = self.poll(store)? {
                return Ok(done);
            }
            std::thread::sleep(every);
        }
    }
}

/// Ask `server` to let this computer in; a signed-in member approves it by its code.
pub fn signin(
    store: &Store,
    server: &str,
    device_name: &str,
    user_name: Option<&str>,
) -> Result<Signin> {
    let anon = Client::new(server, None)?;
    not_joined_yet(store, &anon)?;
    let started = anon.signin_start(&SigninRequest {
        device_name: device_name.to_string(),
        user_name: user_name.map(str::to_string),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        web: false,
    })?;
    Ok(Signin {
        server: anon,
        started,
    })
}

/// What is asking to be let in to `acc`'s team with this code (before
/// [`decide_signin`]).
pub fn lookup_signin(store: &Store, acc: &Account, code: &str) -> Result<SigninInfo> {
    let client = client_for(store, acc)?;
    client.signin_lookup(code.trim())
}

/// Approve a sign-in to `acc`'s team as one more device of mine (`member: None`) or as
/// a new member with that role; `approve: false` denies it.
pub fn decide_signin(
    store: &Store,
    acc: &Account,
    code: &str,
    approve: bool,
    member: Option<Role>,
) -> Result<()> {
    let client = client_for(store, acc)?;
    let code = code.trim().to_string();
    if approve {
        client.signin_approve(&SigninDecision { code, member })?;
    } else {
        client.signin_deny(&SigninDenial { code })?;
    }
    Ok(())
}

/// This computer's name for device lists when the user gives none: the host name, or
/// "QuickReply".
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "QuickReply".into())
}

/// What leaving told the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Departure {
    /// The server revoked this computer: its token works nowhere any more.
    Revoked,
    /// An owner's computer stays on the server's list, so that leaving never takes the
    /// team's last way in with it; revoke it from another computer when it should go.
    KeptForOwner,
    /// The server could not be told (offline, or it refused): it still lists this
    /// computer until someone revokes it.
    NotTold(String),
}

/// Forget an account's server: its libraries stay as local ones (team libraries become
/// writable local copies) and its device token is deleted. The server is asked to
/// revoke this computer first (not an owner's); leaving works offline too. Other
/// accounts go on syncing; the team libraries of the one left stay on this computer and
/// are never published to another team.
pub fn leave(store: &mut Store, acc: &Account) -> Result<Departure> {
    let told = if acc.role == Role::Owner {
        Departure::KeptForOwner
    } else {
        match client_for(store, acc) {
            Ok(client) => match client.revoke(acc.device_id) {
                Ok(()) => Departure::Revoked,
                Err(e) if e.is_unauthorized() => Departure::Revoked,
                Err(e) => Departure::NotTold(e.to_string()),
            },
            Err(e) => Departure::NotTold(e.to_string()),
        }
    };
    let tx = store.conn_mut().transaction()?;
    tables::forget_account(&tx, acc.id)?;
    tx.commit()?;
    secret::delete(&data_dir(store), acc.id)?;
    Ok(told)
}

/// The server no longer knows this computer's token for `acc` (the lead revoked the
/// device): sign out of that account. Like [`leave`], and the team libraries that came
/// from that server are removed too — they are the team's, and re-joining brings them
/// back — except one with local edits not yet sent, which stays as a local library so
/// that no edit is lost. The personal library and its replies stay, and so do other
/// accounts. Returns the names of the removed libraries.
pub fn sign_out(store: &mut Store, acc: &Account) -> Result<Vec<String>> {
    let tx = store.conn_mut().transaction()?;
    let removed = tables::team_libraries_to_drop(&tx, acc.id)?;
    tables::forget_account(&tx, acc.id)?;
    for (id, _) in &removed {
        tables::drop_library(&tx, id)?;
    }
    tx.commit()?;
    secret::delete(&data_dir(store), acc.id)?;
    Ok(removed.into_iter().map(|(_, name)| name).collect())
}

/// Create an invite code (owner/editor) to `acc`'s team or a pairing code for one more
/// device of mine.
pub fn invite(store: &Store, acc: &Account, req: &InviteRequest) -> Result<InviteResponse> {
    let client = client_for(store, acc)?;
    client.invite(req)
}

/// `acc`'s team's open invite and pairing codes, oldest first (owners and editors): who
/// made each, for which role, until when; never the codes themselves.
pub fn open_codes(store: &Store, acc: &Account) -> Result<Vec<CodeInfo>> {
    client_for(store, acc)?.codes()
}

/// Cancel an open code of `acc`'s team by its id (as [`open_codes`] lists it).
pub fn cancel_code(store: &Store, acc: &Account, id: &str) -> Result<()> {
    client_for(store, acc)?.cancel_code(id.trim())
}

/// A member of a team, as the owner's device list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    /// Their computers (and admin-page browsers) not revoked.
    pub devices: Vec<DeviceInfo>,
}

/// The members of `acc`'s team with their devices, in the order they joined (the owner
/// sees everyone; others only themselves).
pub fn members(store: &Store, acc: &Account) -> Result<Vec<Member>> {
    let list = client_for(store, acc)?.devices()?;
    Ok(group_members(list))
}

fn group_members(list: Vec<DeviceInfo>) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    for d in list {
        let i = match out.iter().position(|m| m.user_id == d.user_id) {
            Some(i) => i,
            None => {
                out.push(Member {
                    user_id: d.user_id,
                    name: d.user_name.clone(),
                    role: d.role,
                    devices: Vec::new(),
                });
                out.len() - 1
            }
        };
        if !d.revoked {
            out[i].devices.push(d);
        }
    }
    out
}

/// The one member `who` names: their id (or its first 4+ characters) or their name.
pub fn find_member(members: &[Member], who: &str) -> Result<Member> {
    let who = who.trim();
    let by_id: Vec<&Member> = members
        .iter()
        .filter(|m| {
            let id = m.user_id.to_string();
            id == who.to_lowercase() || (who.len() >= 4 && id.starts_with(&who.to_lowercase()))
        })
        .collect();
    let found = if by_id.is_empty() {
        members.iter().filter(|m| m.name == who).collect()
    } else {
        by_id
    };
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(SyncError::Unavailable(tr(
            format!("团队里没有「{who}」这个成员（qreply members 列出成员）"),
            format!("no member \"{who}\" in the team (qreply members lists them)"),
        ))),
        many => {
            let ids = many
                .iter()
                .map(|m| m.user_id.to_string()[..8].to_string())
                .collect::<Vec<_>>()
                .join(", ");
            Err(SyncError::Unavailable(tr(
                format!("有几个成员叫「{who}」，请用编号指明：{ids}"),
                format!("several members are called \"{who}\": give the id instead: {ids}"),
            )))
        }
    }
}

/// Remove a member from `acc`'s team (the owner): every computer of theirs is signed out
/// at its next sync, their codes and sign-ins they approved stop working.
pub fn remove_member(store: &Store, acc: &Account, user: Uuid) -> Result<()> {
    client_for(store, acc)?.remove_member(user)
}

#[cfg(test)]
mod member_tests {
    use super::*;

    fn device(user: Uuid, name: &str, revoked: bool) -> DeviceInfo {
        DeviceInfo {
            id: Uuid::now_v7(),
            name: "pc".into(),
            user_id: user,
            user_name: name.into(),
            role: Role::Agent,
            created_at: 0,
            last_seen: None,
            revoked,
            app_version: String::new(),
            cursors: vec![],
        }
    }

    #[test]
    fn members_are_found_by_name_or_id_and_twins_are_told_apart() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let list = group_members(vec![
            device(a, "小王", false),
            device(b, "小李", false),
            device(a, "小王", true),
            device(c, "小李", false),
        ]);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].devices.len(), 1, "revoked devices do not count");
        assert_eq!(find_member(&list, "小王").map(|m| m.user_id).ok(), Some(a));
        assert_eq!(
            find_member(&list, &b.to_string().to_uppercase())
                .map(|m| m.user_id)
                .ok(),
            Some(b)
        );
        let twins = find_member(&list, "小李").err().map(|e| e.to_string());
        assert!(
            twins
                .as_deref()
                .is_some_and(|e| e.contains(&c.to_string()[..8])),
            "{twins:?}"
        );
        assert!(find_member(&list, "nobody").is_err());
    }
}
