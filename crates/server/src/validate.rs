//! Checks of what clients send, beyond what serde already checks.

use crate::Error;
use quickreply_proto::api::{BatchItem, ItemDoc, MAX_FIRES_PER_DAY, PutItem};

/// Longest snippet title, folder, variable or display name (characters): the one limit
/// of [`quickreply_proto::check`].
pub const MAX_NAME: usize = quickreply_proto::check::MAX_NAME;
/// Longest item key or op (bytes).
pub const MAX_KEY: usize = 300;

fn bad(msg: impl Into<String>) -> Error {
    Error::BadRequest(msg.into())
}

/// Longest usage key (characters).
pub const MAX_USAGE_KEY: usize = 100;

/// A usage key: non-empty, at most [`MAX_USAGE_KEY`] characters.
pub fn usage_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.chars().count() > MAX_USAGE_KEY {
        return Err(bad(format!(
            "usage keys are 1–{MAX_USAGE_KEY} characters, not “{}”",
            key.chars().take(MAX_USAGE_KEY).collect::<String>()
        )));
    }
    Ok(())
}

/// A day's fire count of one reply: at most [`MAX_FIRES_PER_DAY`] (more is not a
/// person firing).
pub fn fires(count: u32, day: &str) -> Result<(), Error> {
    if count > MAX_FIRES_PER_DAY {
        return Err(bad(format!(
            "{count} fires of one reply on {day} is more than a person can fire in a day \
             (at most {MAX_FIRES_PER_DAY}): the report was refused"
        )));
    }
    Ok(())
}

/// A search that found nothing, exactly as [`quickreply_proto::api::missed_query`]
/// normalises it (clients send nothing else).
pub fn missed_query(query: &str) -> Result<(), Error> {
    if quickreply_proto::api::missed_query(query).as_deref() == Some(query) {
        Ok(())
    } else {
        Err(bad(format!(
            "“{}” is not a search as clients count it: trimmed, lower case, 1–{} characters, \
             no @ and no run of five digits",
            query
                .chars()
                .take(quickreply_proto::api::MAX_MISSED_QUERY)
                .collect::<String>(),
            quickreply_proto::api::MAX_MISSED_QUERY
        )))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// A calendar date written `YYYY-MM-DD` (years 0001–9999), e.g. `2024-02-29`.
pub fn day(day: &str) -> Result<(), Error> {
    let invalid = || bad(format!("“{day}” is not a date written YYYY-MM-DD"));
    let b = day.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(invalid());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, Error> {
        day.get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(invalid)
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(invalid());
    }
    Ok(())
}

/// The UTC date (`YYYY-MM-DD`) `days` days after the Unix epoch (negative: before).
pub fn date_of_epoch_day(days: i64) -> String {
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A display name (device, user, library): trimmed, non-empty, at most [`MAX_NAME`] chars.
pub fn name(what: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(bad(format!("{what} must not be empty")));
    }
    if v.chars().count() > MAX_NAME {
        return Err(bad(format!("{what} is longer than {MAX_NAME} characters")));
    }
    Ok(v.to_string())
}

/// Longest app version string (bytes).
pub const MAX_APP_VERSION: usize = 100;

/// The app version a device reports (joining, signing in, status reports).
pub fn app_version(app_version: &str) -> Result<(), Error> {
    if app_version.len() > MAX_APP_VERSION {
        return Err(bad(format!(
            "app_version is longer than {MAX_APP_VERSION} bytes"
        )));
    }
    Ok(())
}

/// The skipped items of a status report's cursors: at most
/// [`MAX_SKIPPED_REPORTED`](quickreply_proto::api::MAX_SKIPPED_REPORTED) per library, each
/// with a key and texts of bounded length (they are stored and shown on the lead's board).
pub fn skipped(cursors: &[quickreply_proto::api::Cursor]) -> Result<(), Error> {
    use quickreply_proto::api::{MAX_SKIPPED_REPORTED, MAX_SKIPPED_TEXT};
    for c in cursors {
        if c.skipped.len() > MAX_SKIPPED_REPORTED {
            return Err(bad(format!(
                "at most {MAX_SKIPPED_REPORTED} skipped items per library in a status report \
                 (skipped_total counts the rest)"
            )));
        }
        for s in &c.skipped {
            key(&s.key)?;
            if s.title.chars().count() > MAX_SKIPPED_TEXT
                || s.reason.chars().count() > MAX_SKIPPED_TEXT
            {
                return Err(bad(format!(
                    "a skipped item's title and reason are at most {MAX_SKIPPED_TEXT} characters"
                )));
            }
        }
    }
    Ok(())
}

/// The names a joining computer gives, checked: (device name, member name if any).
pub fn newcomer(
    device_name: &str,
    user_name: Option<&str>,
    app_version: &str,
) -> Result<(String, Option<String>), Error> {
    let device_name = name("device_name", device_name)?;
    let user_name = match user_name.map(str::trim) {
        Some(n) if !n.is_empty() => Some(name("user_name", n)?),
        _ => None,
    };
    self::app_version(app_version)?;
    Ok((device_name, user_name))
}

/// An item key from a path.
pub fn key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(bad(format!("item keys are 1–{MAX_KEY} bytes")));
    }
    Ok(())
}

/// A write's op id.
pub fn op(op: &str) -> Result<(), Error> {
    if op.trim().is_empty() || op.len() > MAX_KEY {
        return Err(bad(format!(
            "op must be 1–{MAX_KEY} bytes (a client-chosen write id)"
        )));
    }
    Ok(())
}

/// A `PUT` body for the item `key`.
pub fn put(key: &str, put: &PutItem) -> Result<(), Error> {
    self::key(key)?;
    op(&put.op)?;
    let doc_key = put.doc.key();
    if doc_key != key {
        return Err(bad(format!(
            "the document belongs under the key “{doc_key}”, not “{key}”"
        )));
    }
    doc(&put.doc)
}

/// One write of a batch: what [`put`] (a document) or a `DELETE` (none) checks.
pub fn batch_item(item: &BatchItem) -> Result<(), Error> {
    if item.if_match < 0 {
        return Err(bad(format!(
            "if_match must be an item version (0 or more), not {}",
            item.if_match
        )));
    }
    match &item.doc {
        Some(doc) => {
            self::key(&item.key)?;
            op(&item.op)?;
            let doc_key = doc.key();
            if doc_key != item.key {
                return Err(bad(format!(
                    "the document belongs under the key “{doc_key}”, not “{}”",
                    item.key
                )));
            }
            self::doc(doc)
        }
        None => {
            self::key(&item.key)?;
            op(&item.op)
        }
    }
}

/// A document's content: [`quickreply_proto::check::doc`], the validator the client
/// runs before it queues a change, so both sides refuse the same things.
pub fn doc(doc: &ItemDoc) -> Result<(), Error> {
    quickreply_proto::check::doc(doc).map_err(|e| bad(e.en()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickreply_proto::Part;
    use quickreply_proto::SnippetDoc;
    use uuid::Uuid;

    fn snippet(title: &str, parts: Vec<Part>, code: Option<&str>) -> ItemDoc {
        ItemDoc::Snippet(SnippetDoc {
            id: Uuid::nil(),
            folder_id: None,
            title: title.into(),
            code: code.map(str::to_string),
            tags: vec![],
            parts,
            apps: vec![],
            position: 0,
            starts_at: None,
            ends_at: None,
        })
    }

    fn text(s: &str) -> Part {
        Part::Text { body: s.into() }
    }

    #[test]
    fn snippets_are_checked() {
        assert!(doc(&snippet("发货", vec![text("亲")], Some("fh"))).is_ok());
        assert!(doc(&snippet(" ", vec![text("亲")], None)).is_err());
        assert!(doc(&snippet(&"长".repeat(201), vec![text("亲")], None)).is_err());
        assert!(doc(&snippet("t", vec![], None)).is_err());
        assert!(doc(&snippet("t", vec![text("")], None)).is_err());
        assert!(doc(&snippet("t", vec![text("x")], Some("FH"))).is_err());
        let image = |sha: &str| Part::Image {
            sha256: sha.into(),
            mime: "image/png".into(),
            width: 1,
            height: 1,
        };
        assert!(doc(&snippet("t", vec![image(&"a".repeat(64))], None)).is_ok());
        assert!(doc(&snippet("t", vec![image("../../etc/passwd")], None)).is_err());
    }

    #[test]
    fn days_are_real_dates() {
        for ok in ["2024-02-29", "2023-12-31", "2000-02-29", "0001-01-01"] {
            assert!(day(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-4-01",
            "2024/04/01",
            "2024-04-01T",
            "+024-04-01",
            "",
            "0000-01-01",
        ] {
            assert!(day(bad).is_err(), "{bad}");
        }
        assert_eq!(date_of_epoch_day(0), "1970-01-01");
        assert_eq!(date_of_epoch_day(-1), "1969-12-31");
        assert_eq!(date_of_epoch_day(19_782), "2024-02-29");
        assert_eq!(date_of_epoch_day(19_783), "2024-03-01");
        assert_eq!(date_of_epoch_day(-719_162), "0001-01-01");
        assert!(usage_key("k").is_ok());
        assert!(usage_key("").is_err());
        assert!(usage_key(&"长".repeat(100)).is_ok());
        assert!(usage_key(&"长".repeat(101)).is_err());
    }

    #[test]
    fn skipped_items_in_status_reports_are_bounded() {
        use quickreply_proto::api::{Cursor, MAX_SKIPPED_REPORTED, MAX_SKIPPED_TEXT, SkippedItem};
        let item = |title: String| SkippedItem {
            key: Uuid::nil().to_string(),
            version: 1,
            title,
            reason: "missing".into(),
        };
        let cursor = |skipped: Vec<SkippedItem>| Cursor {
            library_id: Uuid::nil(),
            cursor: 3,
            skipped_total: skipped.len() as u32,
            skipped,
        };
        let some = vec![item("尺码表".into()); MAX_SKIPPED_REPORTED];
        assert!(skipped(&[cursor(some.clone())]).is_ok());
        let mut too_many = some;
        too_many.push(item("色卡".into()));
        assert!(skipped(&[cursor(too_many)]).is_err());
        assert!(skipped(&[cursor(vec![item("长".repeat(MAX_SKIPPED_TEXT + 1))])]).is_err());
        let mut no_key = item("t".into());
        no_key.key.clear();
        assert!(skipped(&[cursor(vec![no_key])]).is_err());
    }

    #[test]
    fn keys_must_match_documents() {
        let put_ = PutItem {
            op: "o".into(),
            doc: snippet("t", vec![text("x")], None),
        };
        assert!(put(&Uuid::nil().to_string(), &put_).is_ok());
        assert!(put("other", &put_).is_err());
        let no_op = PutItem {
            op: " ".into(),
            ..put_
        };
        assert!(put(&Uuid::nil().to_string(), &no_op).is_err());
    }
}
