//! How many connections and event streams the server takes, and the open-files limit they
//! come out of.
//!
//! Every TCP connection is a file descriptor, and so is every database file, image read
//! and PostgreSQL connection. With the common soft limit of 1,024 open files, a thousand
//! event streams would leave none for the rest: `accept` fails, SQLite cannot open its
//! journal, and the server is unreachable while the process is still up. So:
//!
//! - at start the binary raises its soft limit to the hard one where the OS allows it
//!   ([`raise_open_files`]) and logs the limit in force;
//! - connections are capped ([`Limits::max_connections`], by default the open-files limit
//!   less [`FILE_RESERVE`]); one over the cap is answered `503` and closed at once;
//! - event streams are capped in total ([`Limits::max_streams`], by default
//!   [`CONNECTION_RESERVE`] fewer than the connections, so ordinary requests, `/healthz`
//!   and writes still get through) and per device ([`Limits::max_streams_per_device`]);
//!   the rest are answered `503` ([`StreamSlots`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// File descriptors kept for everything but client connections: the database and its
/// journal, image files being read or written, PostgreSQL connections, the listening
/// socket, standard streams.
pub const FILE_RESERVE: u64 = 128;
/// Connections kept for ordinary requests when event streams are at their cap.
pub const CONNECTION_RESERVE: usize = 128;
/// The open-files limit assumed where the OS has none to ask (Windows: sockets are not
/// counted against a small per-process limit).
pub const ASSUMED_OPEN_FILES: u64 = 10_240;
/// Event streams one device may hold by default: the app keeps one per team it joined;
/// the rest is headroom for reconnects while the server has not yet noticed that an old
/// stream's peer is gone.
pub const DEFAULT_STREAMS_PER_DEVICE: usize = 8;

/// Refusals are logged at most this often (with how many there were since).
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// Counts events and says when to log them: the first at once, then at most every
/// [`LOG_EVERY`] (a flood of refusals is one log line a minute).
#[derive(Debug, Default)]
pub struct Throttle {
    since_logged: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    /// Counts one; `Some(n)`: log now, `n` of them since the last line.
    pub fn due(&self) -> Option<u64> {
        let count = self.since_logged.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|at| at.elapsed() < LOG_EVERY) {
            return None;
        }
        *last = Some(Instant::now());
        self.since_logged.store(0, Ordering::Relaxed);
        Some(count)
    }
}

/// The soft and hard open-files limits of this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFiles {
    pub soft: u64,
    pub hard: u64,
}

/// The open-files limits in force (`None` where the OS has no such limit: Windows).
pub fn open_files() -> Option<OpenFiles> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, hard)| OpenFiles { soft, hard })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// What raising the soft open-files limit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raised {
    /// Raised from `from` to the limits now in force.
    Raised { from: u64, now: OpenFiles },
    /// Already at the hard limit (or the OS refused): these limits stay.
    Kept(OpenFiles),
    /// No such limit on this OS.
    NotApplicable,
}

/// Raises the soft open-files limit of this process as far as the hard limit allows
/// (where the OS allows it; an unprivileged process may not raise the hard limit itself).
pub fn raise_open_files() -> Raised {
    let Some(before) = open_files() else {
        return Raised::NotApplicable;
    };
    #[cfg(unix)]
    {
        if before.soft < before.hard {
            if let Err(e) = rlimit::increase_nofile_limit(before.hard) {
                tracing::warn!(error = %e, "cannot raise the open-files limit");
            }
        }
    }
    match open_files() {
        Some(now) if now.soft > before.soft => Raised::Raised {
            from: before.soft,
            now,
        },
        Some(now) => Raised::Kept(now),
        None => Raised::Kept(before),
    }
}

/// The connection and event-stream caps a server runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections (plain or TLS, event streams included).
    pub max_connections: usize,
    /// Open event streams, all devices together.
    pub max_streams: usize,
    /// Open event streams of one device.
    pub max_streams_per_device: usize,
}

impl Limits {
    /// The caps for a soft open-files limit of `soft` (`None`: [`ASSUMED_OPEN_FILES`]),
    /// where not `configured`: connections = the limit − [`FILE_RESERVE`], event streams
    /// = connections − [`CONNECTION_RESERVE`] (at least half the connections). With
    /// 1,024 open files: 896 connections, 768 event streams. Configured values are taken
    /// as they are (the caller warns when they exceed what the limit allows).
    pub fn derive(
        soft: Option<u64>,
        max_connections: Option<usize>,
        max_streams: Option<usize>,
        max_streams_per_device: usize,
    ) -> Self {
        let files = soft.unwrap_or(ASSUMED_OPEN_FILES);
        let auto_connections =
            usize::try_from(files.saturating_sub(FILE_RESERVE).max(16)).unwrap_or(usize::MAX);
        let max_connections = max_connections.unwrap_or(auto_connections).max(1);
        let max_streams = max_streams.unwrap_or_else(|| {
            max_connections
                .saturating_sub(CONNECTION_RESERVE)
                .max(max_connections / 2)
        });
        Self {
            max_connections,
            max_streams,
            max_streams_per_device,
        }
    }
}

/// Why an event stream was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamRefused {
    /// This device holds `max` streams already.
    Device { max: usize },
    /// The server holds `max` streams already.
    Total { max: usize },
}

/// Counts the open event streams, in total and per device.
#[derive(Debug)]
pub struct StreamSlots {
    total: AtomicUsize,
    per_device: Mutex<HashMap<Uuid, usize>>,
    max_total: usize,
    max_per_device: usize,
    /// Refusals by the total cap, for the log.
    pub refused: Throttle,
}

impl StreamSlots {
    pub fn new(max_total: usize, max_per_device: usize) -> Arc<Self> {
        Arc::new(Self {
            total: AtomicUsize::new(0),
            per_device: Mutex::new(HashMap::new()),
            max_total,
            max_per_device,
            refused: Throttle::default(),
        })
    }

    fn devices(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, usize>> {
        self.per_device.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for one more stream of `device`, held until the [`StreamSlot`] is dropped.
    pub fn acquire(self: &Arc<Self>, device: Uuid) -> Result<StreamSlot, StreamRefused> {
        let mut devices = self.devices();
        let mine = devices.get(&device).copied().unwrap_or(0);
        if mine >= self.max_per_device {
            return Err(StreamRefused::Device {
                max: self.max_per_device,
            });
        }
        // Under the device lock, so a refused device stream never takes a total slot.
        let taken = self
            .total
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_total).then_some(n + 1)
            });
        if taken.is_err() {
            return Err(StreamRefused::Total {
                max: self.max_total,
            });
        }
        devices.insert(device, mine + 1);
        Ok(StreamSlot {
            slots: Arc::clone(self),
            device,
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }
}

/// One open event stream's place; given back when dropped.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    device: Uuid,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut devices = self.slots.devices();
        match devices.get_mut(&self.device) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                devices.remove(&self.device);
            }
        }
        self.slots.total.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_says_log_the_first_then_waits() {
        let t = Throttle::default();
        assert_eq!(t.due(), Some(1));
        assert_eq!(t.due(), None);
        assert_eq!(t.due(), None);
    }

    #[test]
    fn defaults_leave_files_and_connections_for_everything_else() {
        let l = Limits::derive(Some(1024), None, None, 8);
        assert_eq!((l.max_connections, l.max_streams), (896, 768));
        let l = Limits::derive(Some(65_536), None, None, 8);
        assert_eq!(
            (l.max_connections, l.max_streams),
            (65_536 - 128, 65_536 - 256)
        );
        // Tiny limits still leave half the connections to ordinary requests.
        let l = Limits::derive(Some(200), None, None, 8);
        assert_eq!((l.max_connections, l.max_streams), (72, 36));
        let l = Limits::derive(None, None, None, 8);
        assert_eq!(l.max_connections, 10_240 - 128);
        // Configured values win.
        let l = Limits::derive(Some(1024), Some(100), Some(10), 2);
        assert_eq!(
            l,
            Limits {
                max_connections: 100,
                max_streams: 10,
                max_streams_per_device: 2
            }
        );
    }

    #[test]
    fn streams_are_capped_per_device_and_in_total_and_given_back() {
        let slots = StreamSlots::new(3, 2);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let a1 = slots.acquire(a);
        let a2 = slots.acquire(a);
        assert!(a1.is_ok() && a2.is_ok());
        assert_eq!(
            slots.acquire(a).err(),
            Some(StreamRefused::Device { max: 2 })
        );
        let b1 = slots.acquire(b);
        assert!(b1.is_ok());
        assert_eq!(
            slots.acquire(b).err(),
            Some(StreamRefused::Total { max: 3 })
        );
        assert_eq!(slots.open(), 3);
        drop(a1);
        assert_eq!(slots.open(), 2);
        let b2 = slots.acquire(b);
        assert!(b2.is_ok());
        drop((a2, b1, b2));
        assert_eq!(slots.open(), 0);
        assert!(slots.devices().is_empty());
    }
}
