//! The Settings window's Team section: join a sync server with an invite code or by
//! approval (a code and a QR code another member approves), see this computer's
//! memberships, approve other computers' sign-in codes, and leave. A computer may join
//! several servers (one team each: several shops); the commands about one team take its
//! account id, and without one mean the first joined.
//!
//! Commands are thin over `quickreply_sync`. Everything that talks to the server runs off the
//! UI thread on a store handle of its own, so the panel and its library stay usable while
//! the network is slow or down. The sign-in by approval polls in a thread of its own and
//! reports every change as a `team-signin` event; after joining, the background sync
//! ([`crate::sync::spawn`]) starts without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use quickreply_core::Store;
use quickreply_core::i18n::tr;
use quickreply_core::proto::api::{Role, SigninInfo};
use quickreply_sync::{self as sync, Account, SyncError};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::app::App;
use crate::ipc::{Res, err};

/// This computer's membership as the Team section shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// This computer's number for the account (`sync::Account::id`).
    pub id: i64,
    pub server: String,
    pub team: String,
    pub user_name: String,
    /// `owner`, `editor` or `agent`.
    pub role: String,
    pub device_name: String,
    /// Unix ms of the last sync round that reached the server.
    pub last_sync: Option<i64>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id,
            server: a.server,
            team: a.team_name,
            user_name: a.user_name,
            role: a.role.as_str().into(),
            device_name: a.device_name,
            last_sync: a.last_sync,
        }
    }
}

/// A sign-in by approval of this computer, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SigninView {
    pub server: String,
    /// What the approver types (`XXXX-XXXX`).
    pub code: String,
    /// The approval address as an SVG QR code (empty if it cannot be drawn).
    pub qr_svg: String,
    pub approve_url: String,
    /// Unix ms.
    pub expires_at: i64,
    /// `waiting`, `joined`, `denied`, `expired`, `cancelled` or `error`.
    pub state: String,
    /// The server's or the network's word (a waiting request that cannot reach the
    /// server says so and keeps trying).
    pub message: String,
    /// Scanning to sign in (`team_scan`): the provider (`wecom`, `feishu`, …) whose page
    /// the QR code holds; empty for a sign-in by approval (an unknown account's scan turns
    /// into one).
    pub provider: String,
}

/// What the Team section shows.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamView {
    /// Every team joined, the first joined first.
    pub accounts: Vec<AccountView>,
    pub signin: Option<SigninView>,
    /// A default name for this computer.
    pub host_name: String,
}

/// Who asks to be let in, for the approver.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    pub code: String,
    pub device_name: String,
    pub user_name: Option<String>,
    pub app_version: String,
    pub web: bool,
    pub ip: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<SigninInfo> for RequestView {
    fn from(i: SigninInfo) -> Self {
        RequestView {
            code: i.code,
            device_name: i.device_name,
            user_name: i.user_name,
            app_version: i.app_version,
            web: i.web,
            ip: i.ip,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// The sign-in in progress, if any (held by the app, managed state).
#[derive(Default)]
pub struct Team {
    pub(crate) current: std::sync::Mutex<Option<Running>>,
}

pub(crate) struct Running {
    pub(crate) view: SigninView,
    pub(crate) cancel: Arc<AtomicBool>,
}

impl Team {
    pub(crate) fn view(&self) -> Option<SigninView> {
        self.current
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|r| r.view.clone()))
    }

    /// Record a new state of the sign-in started with `cancel`, unless another one has
    /// replaced it; returns whether it is still the current one.
    pub(crate) fn update(
        &self,
        cancel: &Arc<AtomicBool>,
        state: &str,
        message: String,
    ) -> Option<SigninView> {
        let mut slot = self.current.lock().ok()?;
        let r = slot.as_mut().filter(|r| Arc::ptr_eq(&r.cancel, cancel))?;
        r.view.state = state.into();
        r.view.message = message;
        Some(r.view.clone())
    }
}

pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The approval address as an SVG QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(168, 168)
            .quiet_zone(true)
            .build(),
    )
}

pub(crate) fn data_dir(handle: &AppHandle) -> PathBuf {
    handle.state::<App>().data_dir.clone()
}

/// Run `f` on a blocking thread with a store handle of its own.
pub(crate) async fn with_store<T: Send + 'static>(
    handle: &AppHandle,
    f: impl FnOnce(&mut Store) -> Result<T, SyncError> + Send + 'static,
) -> Res<T> {
    let dir = data_dir(handle);
    tauri::async_runtime::spawn_blocking(move || {
        let mut store = Store::open(&dir)?;
        f(&mut store)
    })
    .await
    .map_err(err)?
    .map_err(err)
}

/// The account `id` names, or the first joined.
pub(crate) fn chosen(store: &Store, id: Option<i64>) -> Result<sync::Account, SyncError> {
    let acc = match id {
        Some(id) => sync::account_by_id(store, id)?,
        None => sync::account(store)?,
    };
    acc.ok_or(SyncError::NotJoined)
}

/// The background sync starts for the account just joined, and the UI hears of it.
pub(crate) fn joined(handle: &AppHandle) {
    crate::sync::spawn(handle.clone(), data_dir(handle));
    let _ = handle.emit("team-changed", ());
}

#[tauri::command]
pub async fn team_state(handle: AppHandle) -> Res<TeamView> {
    let accounts = with_store(&handle, |s| {
        Ok(sync::accounts(s)?
            .into_iter()
            .map(AccountView::from)
            .collect())
    })
    .await?;
    Ok(TeamView {
        accounts,
        signin: handle.state::<Team>().view(),
        host_name: sync::host_name(),
    })
}

#[tauri::command]
pub async fn team_join(
    handle: AppHandle,
    server: String,
    code: String,
    device_name: Option<String>,
    user_name: Option<String>,
) -> Res<AccountView> {
    let device = non_empty(device_name).unwrap_or_else(sync::host_name);
    let user = non_empty(user_name);
    let (acc, _) = with_store(&handle, move |s| {
        sync::join(s, server.trim(), &code, &device, user.as_deref())
    })
    .await?;
    joined(&handle);
    Ok(acc.into())
}

/// Ask the server to let this computer in; the answer comes as `team-signin` events.
#[tauri::command]
pub async fn team_signin_start(
    handle: AppHandle,
    server: String,
    device_name: Option<String>,
    user_name: Option<String>,
) -> Res<SigninView> {
    if let Some(v) = handle
        .state::<Team>()
        .view()
        .filter(|v| v.state == "waiting")
    {
        return Ok(v);
    }
    let device = non_empty(device_name).unwrap_or_else(sync::host_name);
    let user = non_empty(user_name);
    let server = server.trim().to_string();
    let addr = server.clone();
    let pending = with_store(&handle, move |s| {
        sync::signin(s, &addr, &device, user.as_deref())
    })
    .await?;
    let url = pending.approve_url();
    let view = SigninView {
        server,
        code: pending.code().to_string(),
        qr_svg: qr_svg(&url).unwrap_or_default(),
        approve_url: url,
        expires_at: pending.expires_at(),
        state: "waiting".into(),
        message: String::new(),
        provider: String::new(),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let team = handle.state::<Team>();
        let mut slot = team.current.lock().map_err(err)?;
        if let Some(old) = slot.take() {
            old.cancel.store(true, Ordering::Relaxed);
        }
        *slot = Some(Running {
            view: view.clone(),
            cancel: Arc::clone(&cancel),
        });
    }
    let h = handle.clone();
    let dir = data_dir(&handle);
    std::thread::spawn(move || poll_until_decided(&h, &dir, &pending, &cancel));
    Ok(view)
}

/// Poll every second until the sign-in is approved, denied, expired or cancelled.
pub(crate) fn poll_until_decided(
    handle: &AppHandle,
    dir: &Path,
    pending: &sync::Signin,
    cancel: &Arc<AtomicBool>,
) {
    let team = handle.state::<Team>();
    let report = |state: &str, message: String| {
        if let Some(v) = team.update(cancel, state, message) {
            let _ = handle.emit("team-signin", v);
        }
    };
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => return report("error", e.to_string()),
    };
    let mut unreachable = false;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        match pending.poll(&store) {
            Ok(None) => {
                if unreachable {
                    unreachable = false;
                    report("waiting", String::new());
                }
            }
            Ok(Some(_)) => {
                report("joined", String::new());
                joined(handle);
                return;
            }
            Err(SyncError::Server { code, message, .. })
                if code == "denied" || code == "expired" =>
            {
                return report(&code, message);
            }
            Err(e @ SyncError::Http { .. }) => {
                // Offline for a moment: keep asking until the request expires.
                if chrono::Utc::now().timestamp_millis() > pending.expires_at() {
                    return report(
                        "expired",
                        tr(
                            "登录请求已过期：请重新发起",
                            "the sign-in expired: start again",
                        ),
                    );
                }
                unreachable = true;
                report("waiting", e.to_string());
            }
            Err(e) => return report("error", e.to_string()),
        }
    }
}

#[tauri::command]
pub fn team_signin_cancel(handle: AppHandle) {
    let team = handle.state::<Team>();
    if let Ok(mut slot) = team.current.lock()
        && let Some(r) = slot.take()
    {
        r.cancel.store(true, Ordering::Relaxed);
    }
}

/// Who asks to be let in to `account`'s team (the first joined without one).
#[tauri::command]
pub async fn team_lookup(
    handle: AppHandle,
    code: String,
    account: Option<i64>,
) -> Res<RequestView> {
    with_store(&handle, move |s| {
        sync::lookup_signin(s, &chosen(s, account)?, &code)
    })
    .await
    .map(RequestView::from)
}

/// `decision`: `device` (one more computer of mine), `agent` / `editor` (a new member)
/// or `deny`, for `account`'s team (the first joined without one).
#[tauri::command]
pub async fn team_decide(
    handle: AppHandle,
    code: String,
    decision: String,
    account: Option<i64>,
) -> Res<()> {
    let (approve, member) = match decision.as_str() {
        "device" => (true, None),
        "agent" => (true, Some(Role::Agent)),
        "editor" => (true, Some(Role::Editor)),
        "deny" => (false, None),
        other => return Err(format!("unknown decision {other}")),
    };
    with_store(&handle, move |s| {
        sync::decide_signin(s, &chosen(s, account)?, &code, approve, member)
    })
    .await
}

/// Leave `account`'s team (the first joined without one): its background sync stops,
/// its libraries stay as local ones, other teams go on syncing.
#[tauri::command]
pub async fn team_leave(handle: AppHandle, account: Option<i64>) -> Res<()> {
    crate::sync::stop();
    let left = with_store(&handle, move |s| {
        let acc = chosen(s, account)?;
        sync::leave(s, &acc)?;
        Ok(acc.id)
    })
    .await;
    // The teams still joined (all of them if leaving failed) keep syncing.
    crate::sync::spawn(handle.clone(), data_dir(&handle));
    let id = left?;
    if let Ok(mut slot) = handle.state::<Team>().current.lock() {
        *slot = None;
    }
    crate::sync::forget(&handle, id);
    let _ = handle.state::<App>().reload_index();
    let _ = handle.emit("team-changed", ());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_of_the_approval_address() {
        let svg = qr_svg("http://127.0.0.1:8080/admin/#approve=ABCD-EFGH").unwrap_or_default();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("</svg>"));
    }

    #[test]
    fn blank_names_are_none() {
        assert_eq!(non_empty(Some("  ".into())), None);
        assert_eq!(non_empty(Some(" 小李 ".into())), Some("小李".into()));
        assert!(!sync::host_name().is_empty());
    }
}
