//! Counters for `/metrics` (Prometheus text format).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::store::Stats;

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Answers by status class (index 0: 1xx … 4: 5xx).
    responses: [AtomicU64; 5],
    item_writes: AtomicU64,
    sse_clients: AtomicI64,
    /// Usage counts of keys their library never had, left out of reports.
    usage_ignored: AtomicU64,
}

impl Metrics {
    pub fn record_status(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn item_written(&self) {
        self.item_writes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn usage_ignored(&self, n: usize) {
        self.usage_ignored
            .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn sse_connected(&self) {
        self.sse_clients.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sse_disconnected(&self) {
        self.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, stats: &Stats) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP quickreply_http_responses_total HTTP answers by status class.\n\
             # TYPE quickreply_http_responses_total counter"
        );
        for (i, n) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "quickreply_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                n.load(Ordering::Relaxed)
            );
        }
        let mut one = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        one(
            "quickreply_item_writes_total",
            "counter",
            "Items and tombstones written.",
            self.item_writes.load(Ordering::Relaxed).to_string(),
        );
        one(
            "quickreply_usage_unknown_keys_total",
            "counter",
            "Usage counts left out because their library never had the key.",
            self.usage_ignored.load(Ordering::Relaxed).to_string(),
        );
        one(
            "quickreply_sse_clients",
            "gauge",
            "Connected event streams.",
            self.sse_clients.load(Ordering::Relaxed).to_string(),
        );
        one(
            "quickreply_libraries",
            "gauge",
            "Libraries (personal and team).",
            stats.libraries.to_string(),
        );
        one(
            "quickreply_items",
            "gauge",
            "Live items.",
            stats.live_items.to_string(),
        );
        one(
            "quickreply_tombstones",
            "gauge",
            "Deleted items kept for the change feed.",
            stats.tombstones.to_string(),
        );
        one(
            "quickreply_users",
            "gauge",
            "Users.",
            stats.users.to_string(),
        );
        one(
            "quickreply_devices",
            "gauge",
            "Devices not revoked.",
            stats.devices.to_string(),
        );
        one(
            "quickreply_blobs",
            "gauge",
            "Stored images.",
            stats.blobs.to_string(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts() {
        let m = Metrics::default();
        m.record_status(200);
        m.record_status(404);
        m.record_status(404);
        m.item_written();
        let text = m.render(&Stats {
            libraries: 3,
            ..Stats::default()
        });
        assert!(
            text.contains("quickreply_http_responses_total{class=\"4xx\"} 2"),
            "{text}"
        );
        assert!(text.contains("quickreply_item_writes_total 1"));
        assert!(text.contains("quickreply_libraries 3"));
    }
}
