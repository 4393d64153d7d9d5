//! Sliding-window rate limits, per key: per client IP for `POST /v1/join`, per device
//! for `POST /v1/invites` (invite and pairing codes).
//!
//! The client IP is the TCP peer: behind a reverse proxy every client shares the proxy's
//! address (forwarded headers are not trusted). Limits are kept in memory, per server
//! instance.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Keys tracked before the idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// At most `per_minute` attempts per key in any 60 seconds.
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_minute: usize,
    hits: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: usize::try_from(per_minute).unwrap_or(usize::MAX),
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; `Err(wait)` when the key is over its limit (the attempt is not
    /// counted), `wait` being the time until its oldest counted attempt leaves the window.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > SWEEP_ABOVE {
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let q = hits.entry(key).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.len() >= self.per_minute {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn limits_per_ip_and_forgets_after_a_minute() {
        let rl = RateLimiter::new(2);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let t0 = Instant::now();
        assert!(rl.check_at(a, t0).is_ok());
        assert!(rl.check_at(a, t0).is_ok());
        assert!(rl.check_at(a, t0).is_err());
        assert!(rl.check_at(b, t0).is_ok());
        assert!(rl.check_at(a, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn any_key_type_and_the_wait_is_until_the_oldest_attempt_leaves_the_window() {
        let rl = RateLimiter::new(3);
        let device = uuid::Uuid::now_v7();
        let other = uuid::Uuid::now_v7();
        let t0 = Instant::now();
        for s in [0, 10, 20] {
            assert_eq!(rl.check_at(device, t0 + Duration::from_secs(s)), Ok(()));
        }
        // Refused attempts are not counted: the wait only shrinks.
        assert_eq!(
            rl.check_at(device, t0 + Duration::from_secs(25)),
            Err(Duration::from_secs(35))
        );
        assert_eq!(
            rl.check_at(device, t0 + Duration::from_secs(45)),
            Err(Duration::from_secs(15))
        );
        assert_eq!(rl.check_at(other, t0 + Duration::from_secs(45)), Ok(()));
        // The first attempt has left the window: one more fits, then the second one's wait.
        assert_eq!(rl.check_at(device, t0 + Duration::from_secs(60)), Ok(()));
        assert_eq!(
            rl.check_at(device, t0 + Duration::from_secs(61)),
            Err(Duration::from_secs(9))
        );
    }

    #[test]
    fn idle_keys_are_swept_when_there_are_many() {
        let rl = RateLimiter::new(1);
        let t0 = Instant::now();
        for k in 0..=SWEEP_ABOVE {
            assert!(rl.check_at(k, t0).is_ok());
        }
        assert!(rl.check_at(0, t0 + Duration::from_secs(61)).is_ok());
        let kept = rl.hits.lock().map(|h| h.len()).unwrap_or_default();
        assert_eq!(kept, 1, "only the key used in this window is kept");
    }
}
