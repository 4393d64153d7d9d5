//! `GET /v1/events`: server-sent `head` events.
//!
//! On connect the stream first replays, for every library the caller can read, its latest
//! change after `Last-Event-ID` (all non-empty libraries without the header), oldest
//! first; then it forwards live changes from the broadcast channel that the caller can
//! read. Event ids are server-wide change numbers, announced in commit order, so resuming
//! with the last id seen never skips a change (it may repeat one: clients just pull).
//! Live events of a single small write carry the item itself (see
//! [`quickreply_proto::api::HeadEvent`]): a client that is exactly one change behind
//! applies it without a request; replayed events never carry one.
//! With PostgreSQL the broadcast is fed by the instance's `LISTEN` connection, which hears
//! every instance's commits in commit order (`store::postgres::Listener`).
//! The stream ends when its device is revoked or the server shuts down.
//!
//! Streams are capped per device and in total (`limits`): one over a cap is answered
//! `503 unavailable` with `Retry-After` and `Connection: close` (the client's watch backs
//! off and polls meanwhile), so held streams never take the file descriptors that
//! `/healthz`, writes and the database need.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use quickreply_proto::api::{HeadEvent, Me};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::Error;
use crate::extract::Auth;
use crate::limits::{StreamRefused, StreamSlot};
use crate::state::{AppState, Notice};
use crate::store::Change;

/// Decrements the SSE gauge when a stream is dropped.
struct Gauge(AppState);

impl Gauge {
    fn new(state: AppState) -> Self {
        state.metrics.sse_connected();
        Self(state)
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        self.0.metrics.sse_disconnected();
    }
}

struct Subscriber {
    state: AppState,
    me: Me,
    rx: broadcast::Receiver<Notice>,
    shutdown: watch::Receiver<bool>,
    /// Changes to announce, with their inline event JSON if any.
    queue: VecDeque<(Change, Option<Arc<str>>)>,
    /// Newest change number sent per library.
    seen: HashMap<Uuid, i64>,
    /// Newest change number sent.
    last_id: i64,
    _gauge: Gauge,
    /// Its place under the stream caps, given back when the stream ends.
    _slot: StreamSlot,
}

impl Subscriber {
    async fn next(&mut self) -> Option<Event> {
        loop {
            while let Some((change, inline)) = self.queue.pop_front() {
                if self
                    .seen
                    .get(&change.library_id)
                    .is_some_and(|n| *n >= change.change_no)
                {
                    continue;
                }
                self.seen.insert(change.library_id, change.change_no);
                self.last_id = self.last_id.max(change.change_no);
                let encoded = match inline {
                    Some(json) => Ok(json.to_string()),
                    None => serde_json::to_string(&HeadEvent {
                        library_id: change.library_id,
                        head: change.head,
                        item: None,
                    }),
                };
                match encoded {
                    Ok(json) => {
                        return Some(
                            Event::default()
                                .event("head")
                                .id(change.change_no.to_string())
                                .data(json),
                        );
                    }
                    Err(e) => tracing::error!(error = %e, "cannot encode a head event"),
                }
            }
            let msg = tokio::select! {
                _ = self.shutdown.wait_for(|stop| *stop) => return None,
                msg = self.rx.recv() => msg,
            };
            match msg {
                Ok(Notice::Change(c, inline)) => {
                    if c.readable_by(&self.me) {
                        self.queue.push_back((c, inline));
                    }
                }
                Ok(Notice::Suggestion(n)) => {
                    if n.heard_by(&self.me) {
                        // No id: a suggestion event never moves `Last-Event-ID`.
                        return Some(Event::default().event("suggestion").data(&*n.json));
                    }
                }
                Ok(Notice::Revoked(device)) => {
                    if device == self.me.device_id {
                        return None;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "an event stream fell behind: re-reading heads");
                    if !self.catch_up().await {
                        return None;
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// After missed notices: the device must still be valid, and every library changed
    /// since the last event sent is announced again. `false`: end the stream.
    async fn catch_up(&mut self) -> bool {
        let me = self.me.clone();
        let since = self.last_id;
        let result = self
            .state
            .db(move |s| {
                if s.device_active(me.device_id)? {
                    s.changes_since(&me, since).map(Some)
                } else {
                    Ok(None)
                }
            })
            .await;
        match result {
            Ok(Some(changes)) => {
                self.queue.extend(changes.into_iter().map(|c| (c, None)));
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = %e, "cannot re-read heads for an event stream");
                false
            }
        }
    }
}

/// `Retry-After` of a refused event stream: the client's watch polls meanwhile.
const REFUSED_RETRY: Duration = Duration::from_secs(30);

/// The answer to a stream over a cap.
fn refusal(state: &AppState, why: StreamRefused) -> Error {
    let message = match why {
        StreamRefused::Device { max } => {
            tracing::debug!(max, "event stream refused: per-device cap");
            format!(
                "this device has {max} event streams open already (the most one device may \
                 hold): close one, or wait until the server notices that old ones are gone"
            )
        }
        StreamRefused::Total { max } => {
            if let Some(refused) = state.streams.refused.due() {
                tracing::warn!(
                    max,
                    refused,
                    "event streams refused: the server is at its cap (raise the open-files \
                     limit or --max-event-streams)"
                );
            }
            format!(
                "the server has {max} event streams open already (its cap): try again \
                 later; changes still sync when the app polls"
            )
        }
    };
    Error::Unavailable {
        message,
        retry_after: REFUSED_RETRY,
    }
}

fn last_event_id(headers: &HeaderMap) -> i64 {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .unwrap_or(0)
}

pub(crate) async fn events(
    State(state): State<AppState>,
    Auth(me): Auth,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let since = last_event_id(&headers);
    let slot = state
        .streams
        .acquire(me.device_id)
        .map_err(|why| refusal(&state, why))?;
    // Subscribe before reading the heads: nothing committed in between is missed.
    let rx = state.events.subscribe();
    let who = me.clone();
    let initial = state.db(move |s| s.changes_since(&who, since)).await?;
    let subscriber = Subscriber {
        state: state.clone(),
        me,
        rx,
        shutdown: state.shutdown.clone(),
        queue: initial.into_iter().map(|c| (c, None)).collect(),
        seen: HashMap::new(),
        last_id: since,
        _gauge: Gauge::new(state.clone()),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(subscriber, |mut sub| async move {
        let event = sub.next().await?;
        Some((Ok::<_, Infallible>(event), sub))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(state.heartbeat))
        .into_response())
}
