//! Background sync in the desktop app: for every sync server this computer has joined
//! (`qreply join …`, Settings → Team), a thread follows the server's live events and
//! keeps the local store up to date; the panel's search index notices through the
//! store's data version, and the panel's one sync indicator follows every round of
//! every account (`sync-status` events; [`combine`] says how several become one).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use quickreply_sync::{self as sync, Report, SyncError};
use tauri::{AppHandle, Emitter, Manager};

use crate::app::{App, SyncView};

/// What a round means for the indicator.
fn view_of(round: &Result<Report, SyncError>, last_ok: Option<i64>, pending: usize) -> SyncView {
    let now = chrono::Utc::now().timestamp_millis();
    let (state, detail, last_ok) = match round {
        Ok(r) if !r.conflicts.is_empty() => ("conflict", r.conflicts.join("\n"), Some(now)),
        Ok(r) if !r.refused.is_empty() => ("refused", r.refused.join("\n"), Some(now)),
        // A server library left out (its id is another team's here): an error to look at.
        Ok(r) if !r.skipped.is_empty() => ("error", r.skipped.join("\n"), Some(now)),
        Ok(_) => ("ok", String::new(), Some(now)),
        Err(e) if e.is_unauthorized() => ("signedOut", e.to_string(), last_ok),
        Err(e @ SyncError::Http { .. }) => ("offline", e.to_string(), last_ok),
        Err(e) => ("error", e.to_string(), last_ok),
    };
    SyncView {
        state: state.into(),
        detail,
        last_ok,
        pending,
        ..SyncView::default()
    }
}

/// The indicator with the refused changes kept here: they outlast the round that met
/// them, so the state is `refused` (unless something worse is shown) and the detail
/// lists each with its reason.
pub fn with_refused(view: SyncView, refused: &[sync::Refused]) -> SyncView {
    if refused.is_empty() {
        return view;
    }
    let lines = refused
        .iter()
        .map(|r| format!("「{}」（{}）：{}", r.title, r.library, r.reason))
        .collect::<Vec<_>>()
        .join("\n");
    // The last round's own refusals are among the kept ones; other news stays first.
    let detail = if view.detail.is_empty() || view.state == "refused" {
        lines
    } else {
        format!("{}\n{lines}", view.detail)
    };
    let state = if severity(&view.state) > severity("refused") {
        view.state
    } else {
        "refused".into()
    };
    SyncView {
        state,
        detail,
        refused: refused.len(),
        ..view
    }
}

/// How bad a state is, for showing the worst of several accounts.
fn severity(state: &str) -> u8 {
    match state {
        "signedOut" => 5,
        "conflict" => 4,
        "refused" => 3,
        "error" => 2,
        "offline" => 1,
        _ => 0,
    }
}

/// One indicator for several accounts: the worst state; the details of the accounts
/// not up to date, each under its team's name; the oldest last good round.
pub fn combine(views: &BTreeMap<i64, (String, SyncView)>, pending: usize) -> Option<SyncView> {
    if views.len() == 1 {
        return views.values().next().map(|(_, v)| SyncView {
            pending,
            ..v.clone()
        });
    }
    let (team, worst) = views.values().max_by_key(|(_, v)| severity(&v.state))?;
    let detail = views
        .values()
        .filter(|(_, v)| v.state != "ok")
        .map(|(team, v)| format!("{team}：{}", v.detail))
        .collect::<Vec<_>>()
        .join("\n");
    Some(SyncView {
        state: worst.state.clone(),
        detail,
        last_ok: views.values().filter_map(|(_, v)| v.last_ok).min(),
        pending,
        refused: 0,
        team: (worst.state != "ok").then(|| team.clone()),
        ..SyncView::default()
    })
}

/// Which background syncs are current: [`spawn`] starts new ones (at launch, and after
/// joining from the Settings window), [`stop`] retires them (leaving a team); an older
/// watch stops at its next round.
static CURRENT: AtomicU64 = AtomicU64::new(0);

/// The last round of each account (account id → team name, its view).
static VIEWS: Mutex<BTreeMap<i64, (String, SyncView)>> = Mutex::new(BTreeMap::new());

/// Retire the running background syncs.
pub fn stop() {
    CURRENT.fetch_add(1, Ordering::SeqCst);
}

/// Forget an account's part of the indicator (it was left or signed out) and show the
/// rest.
pub fn forget(handle: &AppHandle, account: i64) {
    if let Ok(mut views) = VIEWS.lock() {
        views.remove(&account);
    }
    publish(handle);
}

/// How many skipped titles the indicator lists.
pub const SHOWN_SKIPPED: usize = 10;

/// The indicator with the items this computer skipped (of every account): how many, the
/// first titles, and one line each (title and why) in its tooltip. The state stays what
/// the rounds made it: everything else is synced.
pub fn with_skipped(view: SyncView, skipped: &[sync::Skipped]) -> SyncView {
    if skipped.is_empty() {
        return view;
    }
    let lines = skipped
        .iter()
        .map(|s| {
            quickreply_core::i18n::tr(
                format!("已跳过{}", s.describe()),
                format!("skipped {}", s.describe()),
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let detail = if view.detail.is_empty() {
        lines
    } else {
        format!("{}\n{lines}", view.detail)
    };
    SyncView {
        detail,
        skipped: skipped.len(),
        skipped_titles: skipped
            .iter()
            .take(SHOWN_SKIPPED)
            .map(|s| s.title.clone())
            .collect(),
        ..view
    }
}

/// Show the combined state of every account (`None` once no account is left).
fn publish(handle: &AppHandle) {
    let app = handle.state::<App>();
    let (pending, refused, skipped) = app
        .lock()
        .ok()
        .map(|inner| {
            (
                sync::pending(&inner.store).unwrap_or_default(),
                sync::refused(&inner.store).unwrap_or_default(),
                sync::skipped(&inner.store).unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let view = VIEWS
        .lock()
        .ok()
        .and_then(|v| combine(&v, pending))
        .map(|v| with_skipped(with_refused(v, &refused), &skipped));
    if let Ok(mut slot) = app.sync.lock() {
        if *slot != view {
            let _ = handle.emit("sync-status", view.clone());
        }
        *slot = view;
    }
}

/// Start syncing in the background with every server the store has joined (replacing
/// the syncs started before).
pub fn spawn(handle: AppHandle, data_dir: PathBuf) {
    let me = CURRENT.fetch_add(1, Ordering::SeqCst) + 1;
    let accounts = quickreply_core::Store::open(&data_dir)
        .map_err(SyncError::from)
        .and_then(|s| sync::accounts(&s))
        .unwrap_or_default();
    if let Ok(mut views) = VIEWS.lock() {
        views.retain(|id, _| accounts.iter().any(|a| a.id == *id));
    }
    for acc in accounts {
        let handle = handle.clone();
        let data_dir = data_dir.clone();
        std::thread::spawn(move || watch_account(&handle, &data_dir, me, &acc));
    }
}

fn watch_account(handle: &AppHandle, data_dir: &std::path::Path, me: u64, acc: &sync::Account) {
    let result = sync::watch(data_dir, acc.id, Duration::from_millis(500), |r| {
        if CURRENT.load(Ordering::SeqCst) != me || matches!(r, Err(SyncError::NotJoined)) {
            return false;
        }
        let app = handle.state::<App>();
        if let Err(e) = r
            && e.is_unauthorized()
        {
            signed_out(handle, acc, &e.to_string());
            return false;
        }
        if r.as_ref().is_ok_and(Report::changed) {
            let _ = app.refresh();
            let _ = handle.emit("library-changed", ());
        }
        if let Ok(mut views) = VIEWS.lock() {
            let last_ok = views.get(&acc.id).and_then(|(_, v)| v.last_ok);
            // A conflict stays on show until a later round is clean.
            views.insert(acc.id, (acc.team_name.clone(), view_of(r, last_ok, 0)));
        }
        publish(handle);
        if let Err(e) = r {
            eprintln!("sync ({}): {e}", acc.server);
        }
        true
    });
    if let Err(e) = result
        && !matches!(e, SyncError::NotJoined)
    {
        eprintln!("sync ({}) stopped: {e}", acc.server);
    }
}

/// The server refused this computer's token (the lead revoked it): sign out of that
/// account — its team's libraries go (not one with unsent edits), the personal library
/// and other accounts stay — and tell the panel and the Settings window.
fn signed_out(handle: &AppHandle, acc: &sync::Account, why: &str) {
    let app = handle.state::<App>();
    let removed = match app.lock() {
        Ok(mut inner) => sync::sign_out(&mut inner.store, acc).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let detail = match removed {
        Ok(names) if names.is_empty() => why.to_string(),
        Ok(names) => format!("{why}\n{}", names.join("、")),
        Err(e) => format!("{why}\n{e}"),
    };
    // This process removed the libraries itself: the store's data version does not
    // move for its own writes, so the index is rebuilt rather than refreshed.
    let _ = app.reload_index();
    let _ = handle.emit("library-changed", ());
    let view = SyncView {
        state: "signedOut".into(),
        detail,
        ..SyncView::default()
    };
    if let Ok(mut views) = VIEWS.lock() {
        views.insert(acc.id, (acc.team_name.clone(), view));
    }
    publish(handle);
    let _ = handle.emit("team-changed", ());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_map_to_indicator_states() {
        let ok = view_of(&Ok(Report::default()), None, 0);
        assert_eq!(ok.state, "ok");
        assert!(ok.last_ok.is_some());
        let conflict = view_of(
            &Ok(Report {
                conflicts: vec!["发货时间（冲突副本）".into()],
                ..Default::default()
            }),
            None,
            0,
        );
        assert_eq!(conflict.state, "conflict");
        assert!(conflict.detail.contains("发货时间"));
        let skipped = view_of(
            &Ok(Report {
                skipped: vec!["售后话术：same id as 店铺A's".into()],
                ..Default::default()
            }),
            None,
            0,
        );
        assert_eq!(skipped.state, "error");
        assert!(skipped.detail.contains("店铺A"));
        let offline = view_of(
            &Err(SyncError::Http {
                url: "http://x".into(),
                reason: "refused".into(),
            }),
            Some(5),
            3,
        );
        assert_eq!(
            (offline.state.as_str(), offline.last_ok, offline.pending),
            ("offline", Some(5), 3)
        );
        let out = view_of(
            &Err(SyncError::Server {
                status: 401,
                code: "unauthorized".into(),
                message: "revoked".into(),
            }),
            None,
            0,
        );
        assert_eq!(out.state, "signedOut");
    }

    #[test]
    fn refused_changes_kept_here_outlast_the_round_that_met_them() {
        let kept = vec![sync::Refused {
            account: 1,
            library: "售后话术".into(),
            remote: uuid::Uuid::nil(),
            key: "k".into(),
            title: "长说明".into(),
            reason: "refused by the server: too large".into(),
            at: 0,
        }];
        // A later round was fine: still "refused", with what and why.
        let ok = with_refused(view_of(&Ok(Report::default()), None, 0), &kept);
        assert_eq!((ok.state.as_str(), ok.refused), ("refused", 1));
        assert!(ok.detail.contains("长说明") && ok.detail.contains("too large"));
        // Something worse (a conflict) stays on top; the refusal is still listed.
        let conflict = view_of(
            &Ok(Report {
                conflicts: vec!["发货时间（冲突副本）".into()],
                ..Default::default()
            }),
            None,
            0,
        );
        let shown = with_refused(conflict, &kept);
        assert_eq!(shown.state, "conflict");
        assert!(shown.detail.contains("发货时间") && shown.detail.contains("长说明"));
        // None kept: the view as it was.
        let plain = view_of(&Ok(Report::default()), None, 0);
        assert_eq!(with_refused(plain.clone(), &[]), plain);
    }

    #[test]
    fn several_accounts_show_the_worst_state_with_each_teams_detail() {
        let mut views = BTreeMap::new();
        views.insert(
            1,
            (
                "店铺A".to_string(),
                view_of(&Ok(Report::default()), None, 0),
            ),
        );
        let one = combine(&views, 2).unwrap_or_else(|| panic!("one view"));
        assert_eq!((one.state.as_str(), one.pending), ("ok", 2));
        views.insert(
            2,
            (
                "店铺B".to_string(),
                view_of(
                    &Err(SyncError::Http {
                        url: "http://b".into(),
                        reason: "refused".into(),
                    }),
                    Some(7),
                    0,
                ),
            ),
        );
        let both = combine(&views, 0).unwrap_or_else(|| panic!("two views"));
        assert_eq!(both.state, "offline");
        assert_eq!(both.team.as_deref(), Some("店铺B"));
        assert_eq!(one.team, None);
        assert!(both.detail.starts_with("店铺B："), "{}", both.detail);
        assert!(!both.detail.contains("店铺A"));
        assert_eq!(both.last_ok, Some(7));
        assert_eq!(combine(&BTreeMap::new(), 0), None);
    }

    #[test]
    fn skipped_items_are_counted_and_named_in_the_tooltip() {
        let skip = |title: &str| sync::Skipped {
            account: 1,
            library: "售后话术".into(),
            remote: uuid::Uuid::nil(),
            key: title.into(),
            version: 2,
            title: title.into(),
            reason: "its image is missing on the server".into(),
            first_at: 0,
            last_at: 0,
        };
        let ok = view_of(&Ok(Report::default()), None, 0);
        assert_eq!(with_skipped(ok.clone(), &[]), ok);
        let many: Vec<sync::Skipped> = (0..12).map(|i| skip(&format!("尺码表{i}"))).collect();
        let v = with_skipped(ok, &many);
        assert_eq!(v.state, "ok", "everything else is synced");
        assert_eq!(v.skipped, 12);
        assert_eq!(v.skipped_titles.len(), SHOWN_SKIPPED);
        assert!(v.detail.contains("尺码表11") && v.detail.contains("missing on the server"));
        let offline = view_of(
            &Err(SyncError::Http {
                url: "http://x".into(),
                reason: "refused".into(),
            }),
            None,
            0,
        );
        let v = with_skipped(offline, &many[..1]);
        assert_eq!((v.state.as_str(), v.skipped), ("offline", 1));
        // The round's detail first, then the skipped items.
        let lines: Vec<&str> = v.detail.lines().collect();
        assert_eq!(lines.len(), 2, "{}", v.detail);
        assert!(
            lines[0].contains("refused") && lines[1].contains("尺码表0"),
            "{}",
            v.detail
        );
    }
}
