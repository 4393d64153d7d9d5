//! What every handler shares: [`AppState`] (the store, the image directory, the rate
//! limiters, the metrics, the clock, …), the token cache, and the [`Notice`]s that live
//! subscribers hear. Its own module so that the router (`http`), the extractors
//! (`extract`) and the handlers elsewhere (`events`, `signin`, `admin`) all depend on it
//! and none of them on each other.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quickreply_proto::api::{HeadEvent, Item, Me};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::Error;
use crate::blobs::BlobDir;
use crate::clock::Clock;
use crate::limits::StreamSlots;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::store::{Change, Store};

/// What live subscribers hear about.
#[derive(Clone, Debug)]
pub(crate) enum Notice {
    /// A library changed; with the `head` event's JSON when it carries the item inline
    /// (encoded once for every subscriber).
    Change(Change, Option<Arc<str>>),
    /// A device was revoked: its streams end.
    Revoked(Uuid),
    /// A suggestion was made, decided or withdrawn (`suggestions`).
    Suggestion(crate::suggestions::SuggestionNotice),
}

impl Notice {
    /// The notice of a committed change, with `item` inline when it is small enough
    /// ([`quickreply_proto::api::MAX_INLINE_ITEM`]).
    pub fn change(change: Change, item: Option<&Item>) -> Self {
        let inline = item.and_then(|item| {
            let fits = serde_json::to_vec(item)
                .is_ok_and(|json| json.len() <= quickreply_proto::api::MAX_INLINE_ITEM);
            fits.then(|| {
                serde_json::to_string(&HeadEvent {
                    library_id: change.library_id,
                    head: change.head,
                    item: Some(item.clone()),
                })
                .ok()
            })
            .flatten()
        });
        Notice::Change(change, inline.map(Arc::from))
    }
}

/// How long a token stays trusted without asking the store (revocations clear it at once).
const AUTH_CACHE_TTL: Duration = Duration::from_secs(5);
/// Most cached tokens.
const AUTH_CACHE_MAX: usize = 10_000;

/// Recently authenticated tokens (by hash), so that most requests skip a storage round
/// trip. Every revocation empties it (and bumps `generation`, so that a lookup which
/// raced with the revocation is not cached).
#[derive(Default)]
pub(crate) struct AuthCache {
    inner: std::sync::Mutex<AuthCacheInner>,
}

#[derive(Default)]
struct AuthCacheInner {
    generation: u64,
    tokens: std::collections::HashMap<String, (Me, Instant)>,
}

impl AuthCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, AuthCacheInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh entry, or the current generation to pass to [`Self::put`].
    pub fn get(&self, hash: &str) -> Result<Me, u64> {
        let c = self.lock();
        match c.tokens.get(hash) {
            Some((me, at)) if at.elapsed() < AUTH_CACHE_TTL => Ok(me.clone()),
            _ => Err(c.generation),
        }
    }

    pub fn put(&self, hash: String, me: Me, generation: u64) {
        let mut c = self.lock();
        if c.generation != generation {
            return;
        }
        if c.tokens.len() >= AUTH_CACHE_MAX {
            c.tokens.clear();
        }
        c.tokens.insert(hash, (me, Instant::now()));
    }

    /// Forgets every token (after a revocation).
    pub fn clear(&self) {
        let mut c = self.lock();
        c.generation += 1;
        c.tokens.clear();
    }
}

/// Everything handlers share.
pub(crate) struct Inner {
    pub auth_cache: AuthCache,
    pub store: Arc<dyn Store>,
    /// Where image bytes live: the data directory's `blobs/`, or (`None`) the store itself
    /// ([`Store::keeps_blob_bytes`]).
    pub blobs: Option<BlobDir>,
    pub team_name: String,
    pub max_image: usize,
    /// Bytes each member may keep on the server (0: no quota), see `store::quota`.
    pub member_quota: u64,
    pub heartbeat: Duration,
    pub events: broadcast::Sender<Notice>,
    pub metrics: Metrics,
    /// Join attempts per client IP.
    pub join_limiter: RateLimiter<IpAddr>,
    /// Invite and pairing codes made per device.
    pub invite_limiter: RateLimiter<Uuid>,
    pub clock: Clock,
    pub shutdown: watch::Receiver<bool>,
    /// SHA-256 of the `/metrics` bearer token (`None`: `/metrics` is served only on the
    /// separate metrics address, if any).
    pub metrics_token_hash: Option<String>,
    /// Open event streams, capped in total and per device.
    pub streams: Arc<StreamSlots>,
    /// Recently served pages of the change feed (`pages`).
    pub pages: crate::pages::PageCache,
    /// Scanning to sign in (`scan`).
    pub scan: crate::scan::Scan,
}

#[derive(Clone)]
pub(crate) struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Runs blocking storage work off the async threads.
    pub async fn db<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&dyn Store) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| Error::internal(format!("storage task failed: {e}")))?
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
