//! Background sync in the desktop app: when this computer has joined a sync server
//! (`qreply join …`), a thread follows the server's live events and keeps the local
//! store up to date; the panel's search index notices through the store's data version.

use std::path::PathBuf;
use std::time::Duration;

use quickreply_core::Error;
use quickreply_core::sync::{self, SyncError};
use tauri::{AppHandle, Emitter, Manager};

use crate::app::App;

/// Start syncing in the background if the store has joined a server.
pub fn spawn(handle: AppHandle, data_dir: PathBuf) {
    std::thread::spawn(move || {
        let result = sync::watch(&data_dir, Duration::from_millis(500), |r| match r {
            Err(Error::Sync(SyncError::NotJoined)) => false,
            Ok(report) => {
                if report.changed() {
                    let _ = handle.state::<App>().refresh();
                    let _ = handle.emit("library-changed", ());
                }
                true
            }
            Err(e) => {
                eprintln!("sync: {e}");
                true
            }
        });
        if let Err(e) = result
            && !matches!(e, Error::Sync(SyncError::NotJoined))
        {
            eprintln!("sync stopped: {e}");
        }
    });
}
