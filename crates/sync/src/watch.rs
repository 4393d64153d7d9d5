//! Staying in sync: wait for the server's live events (or a timeout) and run a round
//! when something changed.

use std::path::Path;
use std::time::{Duration, Instant};

use quickreply_core::store::Store;
use quickreply_proto::api::HeadEvent;

use crate::accounts::{account_by_id, client_for};
use crate::error::{Result, SyncError};
use crate::links::has_pending;
use crate::reports::report_status;
use crate::round::{Report, apply_inline, sync_account};

/// Keep syncing: follow the server's event stream (reconnecting with backoff), sync on
/// every announced change, send local edits within `poll` of being made, and fall back
/// to polling every `poll * 10` while the stream is down ([`SAFETY_ROUND`] while it is
/// up). `on_sync` sees every round's report; returning `false` stops the watch.
///
/// An event that carries the one change this computer is missing is applied at once
/// without a request (see [`HeadEvent`]); the status report that tells the lead's board
/// where this computer is then follows within [`STATUS_DELAY`], one for a burst of edits.
///
/// One watch follows one account (the app runs one per account); it ends with
/// [`SyncError::NotJoined`] once the account is gone.
pub fn watch(
    data_dir: &Path,
    account: i64,
    poll: Duration,
    mut on_sync: impl FnMut(&Result<Report>) -> bool,
) -> Result<()> {
    use std::sync::mpsc;
    let mut store = Store::open(data_dir)?;
    let first = sync_account(&mut store, account);
    if !on_sync(&first) {
        return Ok(());
    }
    let (tx, rx) = mpsc::channel::<Option<HeadEvent>>();
    let acc = account_by_id(&store, account)?.ok_or(SyncError::NotJoined)?;
    let client = client_for(&store, &acc)?;
    let stream_client = client.clone();
    let stream_up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let up = std::sync::Arc::clone(&stream_up);
    std::thread::spawn(move || {
        use std::sync::atomic::Ordering;
        let client = stream_client;
        let mut backoff = Duration::from_millis(250);
        let mut last_id: Option<String> = None;
        loop {
            match client.events(last_id.as_deref()) {
                Ok(mut events) => {
                    backoff = Duration::from_millis(250);
                    up.store(true, Ordering::Relaxed);
                    while let Ok(Some(ev)) = events.next_event() {
                        if ev.id.is_some() {
                            last_id.clone_from(&ev.id);
                        }
                        if let Some(head) = ev.head()
                            && tx.send(Some(head)).is_err()
                        {
                            return;
                        }
                        // A suggestion made or decided: a round lists them again.
                        if ev.event == "suggestion" && tx.send(None).is_err() {
                            return;
                        }
                    }
                }
                Err(e) if e.is_unauthorized() => {
                    let _ = tx.send(None);
                    return;
                }
                Err(_) => {}
            }
            up.store(false, Ordering::Relaxed);
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(30));
            // Wake the loop: it polls while the stream is down.
            if tx.send(None).is_err() {
                return;
            }
        }
    });
    let mut last_poll = Instant::now();
    // After a failed round (server down), wait longer before the next unless the event
    // stream says something changed: 1 s, 2 s, … up to 30 s.
    let mut retry_at: Option<Instant> = None;
    let mut failures = 0u32;
    // A status report owed after inline applies.
    let mut status_due: Option<Instant> = None;
    loop {
        let woke = rx.recv_timeout(poll);
        let pending = has_pending(&store, account)? || crate::suggest::has_unsent(&store, account)?;
        // Poll while the stream is down; with it up, only a rare safety round.
        let every = if stream_up.load(std::sync::atomic::Ordering::Relaxed) {
            SAFETY_ROUND
        } else {
            poll * 10
        };
        let due = last_poll.elapsed() >= every;
        let may_retry = retry_at.is_none_or(|t| Instant::now() >= t);
        if woke.is_ok() || ((pending || due) && may_retry) {
            // Drain further wake-ups that arrived meanwhile: one round covers them.
            let mut heads = Vec::new();
            let mut plain = !matches!(woke, Ok(Some(_)));
            for ev in std::iter::once(woke.clone().ok().flatten())
                .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            {
                match ev {
                    Some(h) => heads.push(h),
                    None => plain = true,
                }
            }
            if !plain && !due {
                // Not the next change, or a failed download or apply: the full round
                // below pulls (and reports any error).
                if let Ok(Some(n)) = apply_inline(&mut store, &client, account, &heads) {
                    status_due.get_or_insert_with(|| Instant::now() + STATUS_DELAY);
                    let report = Report {
                        pulled: n,
                        live: true,
                        ..Report::default()
                    };
                    if !on_sync(&Ok(report)) {
                        return Ok(());
                    }
                    continue;
                }
            }
            last_poll = Instant::now();
            let r = sync_account(&mut store, account);
            let unauthorized = matches!(&r, Err(e) if e.is_unauthorized());
            if r.is_ok() {
                failures = 0;
                retry_at = None;
                status_due = None;
            } else {
                failures = (failures + 1).min(5);
                retry_at = Some(
                    Instant::now()
                        + Duration::from_secs(1 << failures).min(Duration::from_secs(30)),
                );
            }
            if !on_sync(&r) || unauthorized {
                return r.map(|_| ());
            }
        }
        if status_due.is_some_and(|t| Instant::now() >= t) {
            // Best effort: if the server cannot be reached, the next round reports.
            let _ = report_status(&store, &client, account);
            status_due = None;
        }
        if matches!(woke, Err(mpsc::RecvTimeoutError::Disconnected)) {
            std::thread::sleep(poll);
        }
    }
}

/// With the event stream up, a full round this often anyway (everything the stream
/// announces is pulled at once; this is a safety net, not the way changes arrive).
pub const SAFETY_ROUND: Duration = Duration::from_secs(300);

/// How long after an edit applied from an event its status report is sent (edits in a
/// burst share one report).
pub const STATUS_DELAY: Duration = Duration::from_secs(1);
