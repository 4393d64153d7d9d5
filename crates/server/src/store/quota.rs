//! The per-member storage quota, decided once for every backend.
//!
//! What counts against a member: the documents of the items they wrote last (live ones;
//! a tombstone is 0 bytes), as stored JSON, and the images they uploaded first (an image
//! is stored once, however many upload it). Each backend keeps the running total in
//! `users.stored_bytes`, updated in the transaction of the write that changes it: an item
//! write charges its writer the new document and gives the previous writer back the old
//! one, so the check is one row read, not a sum. Item history is not counted (it keeps at
//! most the newest versions of each item; deleting a reply must free its member's room at
//! once, which counting history would not).
//!
//! A write that does not add to its member's total (an edit that shrinks a reply, a
//! delete) is always allowed, so a member over the quota (say, after it was lowered) can
//! make room. The check reads the total before the write without locking it: on
//! PostgreSQL, writes of one member running at the same moment on several instances may
//! each pass it, exceeding the quota by at most one write each.

use crate::Error;

/// Whether a write may take a member's total from `used` to `used - freed + added`
/// under `quota` bytes (0: no quota). `freed`: the bytes of the previous version if the
/// member wrote it too.
pub fn check(quota: u64, used: i64, freed: i64, added: i64) -> Result<(), Error> {
    let after = used.saturating_sub(freed).saturating_add(added);
    if quota == 0 || after <= used || u64::try_from(after).unwrap_or(0) <= quota {
        return Ok(());
    }
    Err(exceeded(quota, after))
}

/// Whether uploading a new image of `size` bytes fits a member's `used` total.
pub fn check_blob(quota: u64, used: u64, size: u64) -> Result<(), Error> {
    let after = used.saturating_add(size);
    if quota == 0 || after <= quota {
        return Ok(());
    }
    Err(exceeded(quota, i64::try_from(after).unwrap_or(i64::MAX)))
}

fn exceeded(quota: u64, after: i64) -> Error {
    Error::QuotaExceeded(format!(
        "storage quota exceeded: this would bring the replies and images you keep on the \
         server to {} ({after} bytes), over your quota of {} ({quota} bytes): delete replies \
         or images you no longer need, or ask whoever runs the server to raise \
         --member-quota",
        human(u64::try_from(after).unwrap_or(0)),
        human(quota)
    ))
}

/// Bytes for people: `12.3 MB`, `800 kB`.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_that_grow_a_member_past_the_quota_are_refused_and_others_pass() {
        assert!(check(0, 10_000_000, 0, 10_000_000).is_ok(), "0: no quota");
        assert!(check(1000, 400, 0, 600).is_ok());
        let e = check(1000, 400, 0, 601).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|m| m.contains("1000 bytes") && m.contains("1001 bytes")),
            "{e:?}"
        );
        // Replacing one's own version: only the difference counts.
        assert!(check(1000, 900, 500, 600).is_ok());
        // Over the quota already: shrinking and deleting still pass, growing does not.
        assert!(check(1000, 2000, 500, 100).is_ok());
        assert!(check(1000, 2000, 500, 0).is_ok());
        assert!(check(1000, 2000, 0, 1).is_err());
        assert!(check_blob(1000, 900, 100).is_ok());
        assert!(check_blob(1000, 900, 101).is_err());
        assert!(check_blob(0, u64::MAX, 1).is_ok());
        assert_eq!(human(256 * 1024 * 1024), "268.4 MB");
    }
}
