//! Background sync in the desktop app: when this computer has joined a sync server
//! (`qreply join …`), a thread follows the server's live events and keeps the local
//! store up to date; the panel's search index notices through the store's data version,
//! and the panel's sync indicator follows every round (`sync-status` events).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use quickreply_core::Error;
use quickreply_core::sync::{self, Report, SyncError};
use tauri::{AppHandle, Emitter, Manager};

use crate::app::{App, SyncView};

/// What a round means for the indicator.
fn view_of(round: &Result<Report, Error>, last_ok: Option<i64>, pending: usize) -> SyncView {
    let now = chrono::Utc::now().timestamp_millis();
    let (state, detail, last_ok) = match round {
        Ok(r) if !r.conflicts.is_empty() => ("conflict", r.conflicts.join("\n"), Some(now)),
        Ok(r) if !r.refused.is_empty() => ("refused", r.refused.join("\n"), Some(now)),
        Ok(_) => ("ok", String::new(), Some(now)),
        Err(Error::Sync(e)) if e.is_unauthorized() => ("signedOut", e.to_string(), last_ok),
        Err(Error::Sync(e @ SyncError::Http { .. })) => ("offline", e.to_string(), last_ok),
        Err(e) => ("error", e.to_string(), last_ok),
    };
    SyncView {
        state: state.into(),
        detail,
        last_ok,
        pending,
    }
}

/// Which background sync is the current one: [`spawn`] starts a new one (at launch, and
/// after joining from the Settings window), [`stop`] retires it (leaving the team); an
/// older watch stops at its next round.
static CURRENT: AtomicU64 = AtomicU64::new(0);

/// Retire the running background sync.
pub fn stop() {
    CURRENT.fetch_add(1, Ordering::SeqCst);
}

/// Start syncing in the background if the store has joined a server (replacing a sync
/// started before).
pub fn spawn(handle: AppHandle, data_dir: PathBuf) {
    let me = CURRENT.fetch_add(1, Ordering::SeqCst) + 1;
    std::thread::spawn(move || {
        let result = sync::watch(&data_dir, Duration::from_millis(500), |r| {
            if CURRENT.load(Ordering::SeqCst) != me
                || matches!(r, Err(Error::Sync(SyncError::NotJoined)))
            {
                return false;
            }
            let app = handle.state::<App>();
            if let Err(Error::Sync(e)) = r
                && e.is_unauthorized()
            {
                signed_out(&handle, &e.to_string());
                return false;
            }
            if r.as_ref().is_ok_and(Report::changed) {
                let _ = app.refresh();
                let _ = handle.emit("library-changed", ());
            }
            let pending = app
                .lock()
                .ok()
                .and_then(|inner| sync::pending(&inner.store).ok())
                .unwrap_or_default();
            if let Ok(mut slot) = app.sync.lock() {
                let view = view_of(r, slot.as_ref().and_then(|v| v.last_ok), pending);
                // A conflict stays on show until a later round is clean.
                if *slot != Some(view.clone()) {
                    let _ = handle.emit("sync-status", view.clone());
                }
                *slot = Some(view);
            }
            if let Err(e) = r {
                eprintln!("sync: {e}");
            }
            true
        });
        if let Err(e) = result
            && !matches!(e, Error::Sync(SyncError::NotJoined))
        {
            eprintln!("sync stopped: {e}");
        }
    });
}

/// The server refused this computer's token (the lead revoked it): sign out — the team's
/// libraries go (not one with unsent edits), the personal library stays — and tell the
/// panel and the Settings window.
fn signed_out(handle: &AppHandle, why: &str) {
    let app = handle.state::<App>();
    let removed = match app.lock() {
        Ok(mut inner) => sync::sign_out(&mut inner.store).map_err(|e| e.to_string()),
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
        last_ok: None,
        pending: 0,
    };
    if let Ok(mut slot) = app.sync.lock() {
        *slot = Some(view.clone());
    }
    let _ = handle.emit("sync-status", view);
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
        let offline = view_of(
            &Err(Error::Sync(SyncError::Http {
                url: "http://x".into(),
                reason: "refused".into(),
            })),
            Some(5),
            3,
        );
        assert_eq!(
            (offline.state.as_str(), offline.last_ok, offline.pending),
            ("offline", Some(5), 3)
        );
        let out = view_of(
            &Err(Error::Sync(SyncError::Server {
                status: 401,
                code: "unauthorized".into(),
                message: "revoked".into(),
            })),
            None,
            0,
        );
        assert_eq!(out.state, "signedOut");
    }
}
