//! Settings → Team: signing in by scanning with WeCom, Feishu, DingTalk, WeChat or QQ
//! (`quickreply_sync::scan_signin`). The provider's page is shown as a QR code in the
//! same sign-in box as an approval (`team::SigninView` with its `provider`), polled in a
//! thread of its own that reports every change as a `team-signin` event. An account the
//! team does not know yet turns into an ordinary sign-in by approval: the box then shows
//! its code, and the approval's poll takes over.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use quickreply_core::Store;
use quickreply_core::i18n::tr;
use quickreply_core::proto::api::ScanProvider;
use quickreply_sync::{self as sync, ScanStep, SyncError};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::ipc::{Res, err};
use crate::team::{
    Running, SigninView, Team, joined, non_empty, poll_until_decided, qr_svg, with_store,
};

/// A provider the server signs in with, as the Team section offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
    /// `wecom`, `feishu`, `dingtalk`, `wechat` or `qq`.
    pub id: String,
    /// In the interface's language.
    pub name: String,
}

/// The providers the server at `server` signs in with.
#[tauri::command]
pub async fn team_scan_providers(handle: AppHandle, server: String) -> Res<Vec<ProviderView>> {
    let server = server.trim().to_string();
    with_store(&handle, move |_| sync::scan_providers(&server))
        .await
        .map(|list| {
            list.into_iter()
                .map(|p| ProviderView {
                    id: p.provider.as_str().into(),
                    name: tr(p.name_zh, p.name_en),
                })
                .collect()
        })
}

/// Start signing in by scanning with `provider`; the answer comes as `team-signin` events.
#[tauri::command]
pub async fn team_scan_start(
    handle: AppHandle,
    server: String,
    provider: String,
    device_name: Option<String>,
    user_name: Option<String>,
) -> Res<SigninView> {
    let provider = ScanProvider::parse(provider.trim()).ok_or_else(|| {
        tr(
            format!("「{provider}」不是扫码登录方式"),
            format!("\"{provider}\" is not a sign-in provider"),
        )
    })?;
    let device = non_empty(device_name).unwrap_or_else(sync::host_name);
    let user = non_empty(user_name);
    let server = server.trim().to_string();
    let addr = server.clone();
    let scan = with_store(&handle, move |s| {
        sync::scan_signin(s, &addr, provider, &device, user.as_deref())
    })
    .await?;
    let view = SigninView {
        server,
        code: String::new(),
        qr_svg: qr_svg(scan.url()).unwrap_or_default(),
        approve_url: scan.url().to_string(),
        expires_at: scan.expires_at(),
        state: "waiting".into(),
        message: String::new(),
        provider: provider.as_str().into(),
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
    let dir = crate::team::data_dir(&handle);
    std::thread::spawn(move || poll_scan(&h, &dir, &scan, &cancel));
    Ok(view)
}

/// Poll every second until signed in, turned into an approval, failed or cancelled.
fn poll_scan(handle: &AppHandle, dir: &Path, scan: &sync::Scan, cancel: &Arc<AtomicBool>) {
    let team = handle.state::<Team>();
    let report = |state: &str, message: String| {
        if let Some(v) = team.update(cancel, state, message) {
            let _ = handle.emit("team-signin", v);
        }
    };
    let expired = tr(
        "扫码登录已经过期：请重新开始",
        "the scan sign-in expired: start again",
    );
    poll_each_second(dir, scan, cancel, &expired, &report, |step| match step {
        ScanStep::Waiting => false,
        ScanStep::Joined(..) => {
            report("joined", String::new());
            joined(handle);
            true
        }
        ScanStep::Approval(pending, who) => {
            let url = pending.approve_url();
            let approval = SigninView {
                server: scan_server(&team, cancel),
                code: pending.code().to_string(),
                qr_svg: qr_svg(&url).unwrap_or_default(),
                approve_url: url,
                expires_at: pending.expires_at(),
                state: "waiting".into(),
                message: who.map_or_else(String::new, |w| {
                    tr(
                        format!("团队里还没有关联 {w} 的账号"),
                        format!("no member has the account {w} yet"),
                    )
                }),
                provider: String::new(),
            };
            if replace(&team, cancel, approval.clone()) {
                let _ = handle.emit("team-signin", approval);
                poll_until_decided(handle, dir, &pending, cancel);
            }
            true
        }
        ScanStep::Linked => {
            report("error", unexpected());
            true
        }
    });
}

fn unexpected() -> String {
    tr(
        "服务器的回答不对",
        "the server answered something unexpected",
    )
}

/// The loop both scans share: every second (until `cancel`) the scan is polled and its step
/// handed to `step`, which says whether it is over. A refusal ends it reported as `error`
/// (`expired` when the server says so); a server out of reach is reported as still
/// `waiting` until the scan's own expiry, then as `expired` with `expired_message`.
fn poll_each_second(
    dir: &Path,
    scan: &sync::Scan,
    cancel: &AtomicBool,
    expired_message: &str,
    report: &dyn Fn(&str, String),
    mut step: impl FnMut(ScanStep) -> bool,
) {
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => return report("error", e.to_string()),
    };
    loop {
        std::thread::sleep(Duration::from_secs(1));
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        match scan.poll(&store) {
            Ok(s) => {
                if step(s) {
                    return;
                }
            }
            Err(SyncError::Server { code, message, .. }) => {
                let state = if code == "expired" {
                    "expired"
                } else {
                    "error"
                };
                return report(state, message);
            }
            Err(e @ SyncError::Http { .. }) => {
                if chrono::Utc::now().timestamp_millis() > scan.expires_at() {
                    return report("expired", expired_message.to_string());
                }
                report("waiting", e.to_string());
            }
            Err(e) => return report("error", e.to_string()),
        }
    }
}

fn scan_server(team: &Team, cancel: &Arc<AtomicBool>) -> String {
    team.current
        .lock()
        .ok()
        .and_then(|slot| {
            slot.as_ref()
                .filter(|r| Arc::ptr_eq(&r.cancel, cancel))
                .map(|r| r.view.server.clone())
        })
        .unwrap_or_default()
}

/// Replaces the view of the sign-in started with `cancel`, unless another one replaced it.
fn replace(team: &Team, cancel: &Arc<AtomicBool>, view: SigninView) -> bool {
    let Ok(mut slot) = team.current.lock() else {
        return false;
    };
    match slot.as_mut().filter(|r| Arc::ptr_eq(&r.cancel, cancel)) {
        Some(r) => {
            r.view = view;
            true
        }
        None => false,
    }
}

/// A member's accounts for scanning to sign in, as the Team section shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitiesView {
    /// What the server signs in with.
    pub offered: Vec<ProviderView>,
    pub linked: Vec<IdentityView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityView {
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// Unix ms.
    pub linked_at: i64,
}

/// Linking an account, and where it stands (`team-link` events).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    pub provider: String,
    pub url: String,
    pub qr_svg: String,
    pub expires_at: i64,
    /// `waiting`, `linked`, `expired` or `error`.
    pub state: String,
    pub message: String,
}

/// The link in progress (its cancel flag), if any (managed state).
#[derive(Default)]
pub struct Linking {
    current: std::sync::Mutex<Option<Arc<AtomicBool>>>,
}

fn provider_view(p: ScanProvider) -> ProviderView {
    ProviderView {
        id: p.as_str().into(),
        name: tr(p.name_zh(), p.name_en()),
    }
}

fn parse(provider: &str) -> Result<ScanProvider, String> {
    ScanProvider::parse(provider.trim()).ok_or_else(|| {
        tr(
            format!("「{provider}」不是扫码登录方式"),
            format!("\"{provider}\" is not a sign-in provider"),
        )
    })
}

/// The accounts of `account`'s member (the first joined without one) and what the server
/// offers.
#[tauri::command]
pub async fn team_identities(handle: AppHandle, account: Option<i64>) -> Res<IdentitiesView> {
    with_store(&handle, move |s| {
        let acc = crate::team::chosen(s, account)?;
        let offered = sync::scan_providers(&acc.server)?
            .into_iter()
            .map(|p| provider_view(p.provider))
            .collect();
        let linked = sync::identities(s, &acc)?
            .into_iter()
            .map(|i| IdentityView {
                id: i.provider.as_str().into(),
                name: tr(i.provider.name_zh(), i.provider.name_en()),
                display_name: i.display_name,
                linked_at: i.linked_at,
            })
            .collect();
        Ok(IdentitiesView { offered, linked })
    })
    .await
}

#[tauri::command]
pub async fn team_unlink(handle: AppHandle, account: Option<i64>, provider: String) -> Res<()> {
    let provider = parse(&provider)?;
    with_store(&handle, move |s| {
        let acc = crate::team::chosen(s, account)?;
        sync::unlink(s, &acc, provider)
    })
    .await
}

/// Start linking `account`'s member to their account at `provider`: its login page as a
/// QR code; the answer comes as `team-link` events.
#[tauri::command]
pub async fn team_link_start(
    handle: AppHandle,
    account: Option<i64>,
    provider: String,
) -> Res<LinkView> {
    let provider = parse(&provider)?;
    let scan = with_store(&handle, move |s| {
        let acc = crate::team::chosen(s, account)?;
        sync::link(s, &acc, provider)
    })
    .await?;
    let view = LinkView {
        provider: provider.as_str().into(),
        url: scan.url().to_string(),
        qr_svg: qr_svg(scan.url()).unwrap_or_default(),
        expires_at: scan.expires_at(),
        state: "waiting".into(),
        message: String::new(),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let linking = handle.state::<Linking>();
        let mut slot = linking.current.lock().map_err(err)?;
        if let Some(old) = slot.replace(Arc::clone(&cancel)) {
            old.store(true, Ordering::Relaxed);
        }
    }
    let h = handle.clone();
    let dir = crate::team::data_dir(&handle);
    let first = view.clone();
    std::thread::spawn(move || poll_link(&h, &dir, &scan, first, &cancel));
    Ok(view)
}

#[tauri::command]
pub fn team_link_cancel(handle: AppHandle) {
    if let Ok(mut slot) = handle.state::<Linking>().current.lock()
        && let Some(c) = slot.take()
    {
        c.store(true, Ordering::Relaxed);
    }
}

fn poll_link(
    handle: &AppHandle,
    dir: &Path,
    scan: &sync::Scan,
    view: LinkView,
    cancel: &Arc<AtomicBool>,
) {
    let report = |state: &str, message: String| {
        if !cancel.load(Ordering::Relaxed) {
            let _ = handle.emit(
                "team-link",
                LinkView {
                    state: state.into(),
                    message,
                    ..view.clone()
                },
            );
        }
    };
    let expired = tr("扫码已经过期：请重新开始", "the scan expired: start again");
    poll_each_second(dir, scan, cancel, &expired, &report, |step| match step {
        ScanStep::Waiting => false,
        ScanStep::Linked => {
            report("linked", String::new());
            true
        }
        _ => {
            report("error", unexpected());
            true
        }
    });
}
