//! Campaign dates (生效 / 失效) of a reply or a folder: a 双11 预售 script, a holiday
//! notice. Outside its dates a reply is hidden from the panel, listed under 未生效 /
//! 已过期 in the editor, flagged by lint and listed on the admin page.
//!
//! **Stored** (in [`crate::SnippetDoc`] and [`crate::FolderDoc`], synced as is): two
//! optional RFC 3339 instants with their offset, `starts_at` and `ends_at`, e.g.
//! `2026-11-11T00:00:00+08:00`. `starts_at` is the first instant the reply shows
//! (inclusive); `ends_at` the first instant it no longer shows (exclusive). A folder's
//! dates apply to everything inside it, sub-folders too: the window that counts is the
//! intersection of the reply's own and those of each folder above it.
//!
//! **Entered and shown** as dates in the team's time zone, Beijing time (UTC+08:00,
//! [`TEAM_OFFSET_MINUTES`]): a lead who types 失效 2026-11-12 means the reply still shows
//! on 11-12 and is gone from 11-13 00:00, so a date alone as an end is stored as the next
//! day's midnight ([`parse_end_input`]), and an end at midnight is shown as the day
//! before ([`display_end`]); with a time (`2026-11-12 18:00`) the end is that instant.
//! The zone is fixed rather than a setting: the shops this is for sell in mainland China,
//! whose campaigns run on Beijing time with no daylight saving, and the instants carry
//! their offset, so a computer set to another zone still hides and shows at the right
//! moment. The personal library uses the same zone.

use std::fmt;

/// The team's time zone as an offset from UTC, in minutes: Beijing time.
pub const TEAM_OFFSET_MINUTES: i32 = 8 * 60;

const MS_PER_DAY: i64 = 86_400_000;

/// Why a date is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not a date this program reads (the text given).
    Unreadable(String),
    /// The end is not after the start (both as given).
    Order { start: String, end: String },
}

impl DateError {
    /// The message in Simplified Chinese.
    pub fn zh(&self) -> String {
        match self {
            DateError::Unreadable(s) => {
                format!("日期「{s}」无法识别：请写成 2026-11-11 或 2026-11-11 20:00（北京时间）")
            }
            DateError::Order { start, end } => {
                format!("失效时间（{end}）必须晚于生效时间（{start}）")
            }
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        match self {
            DateError::Unreadable(s) => format!(
                "the date “{s}” cannot be read: write it as 2026-11-11 or 2026-11-11 20:00 (Beijing time)"
            ),
            DateError::Order { start, end } => {
                format!("the end ({end}) must be after the start ({start})")
            }
        }
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for DateError {}

/// Where a window stands at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Shown now.
    Active,
    /// Not yet: its start is still to come (未生效).
    Upcoming,
    /// Over: its end has passed (已过期).
    Expired,
}

impl Status {
    /// 未生效 / 已过期 / 生效中.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Active => "生效中",
            Status::Upcoming => "未生效",
            Status::Expired => "已过期",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Upcoming => "not yet started",
            Status::Expired => "expired",
        }
    }
}

/// When something shows, as Unix milliseconds: from `start` (inclusive) until `end`
/// (exclusive); `None` is open on that side. The default window is always open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Window {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Window {
    /// The window of stored dates (`starts_at`, `ends_at`), each an RFC 3339 instant.
    /// An end not after the start is refused.
    pub fn of(starts_at: Option<&str>, ends_at: Option<&str>) -> Result<Window, DateError> {
        let read = |s: Option<&str>| -> Result<Option<i64>, DateError> {
            s.map(|s| parse_instant(s).ok_or_else(|| DateError::Unreadable(s.to_string())))
                .transpose()
        };
        let w = Window {
            start: read(starts_at)?,
            end: read(ends_at)?,
        };
        if let (Some(s), Some(e)) = (w.start, w.end)
            && e <= s
        {
            return Err(DateError::Order {
                start: display_start(starts_at.unwrap_or_default()),
                end: display_end(ends_at.unwrap_or_default()),
            });
        }
        Ok(w)
    }

    /// The window of stored dates where an unreadable date is left open (what the
    /// panel and the server's listing do with a date the validator would refuse: such a
    /// document can only come from an older or foreign writer, and lint flags it).
    pub fn lenient(starts_at: Option<&str>, ends_at: Option<&str>) -> Window {
        Window {
            start: starts_at.and_then(parse_instant),
            end: ends_at.and_then(parse_instant),
        }
    }

    /// Whether neither side is bounded.
    pub fn is_open(self) -> bool {
        self.start.is_none() && self.end.is_none()
    }

    /// What is inside both (a reply inside a folder): the later start, the earlier end.
    pub fn intersect(self, other: Window) -> Window {
        let pick = |a: Option<i64>, b: Option<i64>, later: bool| match (a, b) {
            (Some(a), Some(b)) => Some(if later { a.max(b) } else { a.min(b) }),
            (a, b) => a.or(b),
        };
        Window {
            start: pick(self.start, other.start, true),
            end: pick(self.end, other.end, false),
        }
    }

    /// Where the window stands at `now` (Unix ms). A window whose end is not after its
    /// start never shows: it counts as expired once its end has passed, upcoming before.
    pub fn status(self, now: i64) -> Status {
        if self.end.is_some_and(|e| now >= e) {
            Status::Expired
        } else if self.start.is_some_and(|s| now < s)
            || self.start.zip(self.end).is_some_and(|(s, e)| e <= s)
        {
            Status::Upcoming
        } else {
            Status::Active
        }
    }

    /// Whether it shows at `now`.
    pub fn contains(self, now: i64) -> bool {
        self.status(now) == Status::Active
    }
}

/// The current instant as Unix milliseconds (what "now" is for a window).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD` (also `/` or `.` between, one-digit month and day allowed).
fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let mut it = s.split(['-', '/', '.']);
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    let (y, m, d) = (i64::from(num(y)?), num(m)?, num(d)?);
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

/// `HH:MM` or `HH:MM:SS` (a fraction of a second is allowed and dropped), as seconds.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.split_once('.').map_or(s, |(a, f)| {
        if f.bytes().all(|b| b.is_ascii_digit()) {
            a
        } else {
            "x"
        }
    });
    let mut it = s.split(':');
    let (h, m) = (it.next()?, it.next()?);
    let sec = it.next();
    if it.next().is_some() || h.len() > 2 || m.len() != 2 || sec.is_some_and(|s| s.len() != 2) {
        return None;
    }
    let (h, m, sec) = (num(h)?, num(m)?, sec.map_or(Some(0), num)?);
    (h < 24 && m < 60 && sec < 60)
        .then_some(i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec))
}

/// `Z`, `+08:00`, `-05:30` as minutes east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    if s.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (num(h)?, num(m)?);
    (h < 24 && m < 60).then_some(sign * (h as i32 * 60 + m as i32))
}

/// An RFC 3339 instant with its offset (`2026-11-11T00:00:00+08:00`, `…Z`) as Unix ms;
/// `None` for anything else, a date without an offset included.
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let (y, m, d) = parse_date(date).filter(|_| date.len() == 10 && date.contains('-'))?;
    let at = rest.find(['Z', 'z', '+', '-'])?;
    let (time, offset) = rest.split_at(at);
    let secs = parse_time(time)?;
    let offset = parse_offset(offset)?;
    Some((days_from_civil(y, m, d) * 86_400 + secs - i64::from(offset) * 60) * 1000)
}

/// An instant (Unix ms) as RFC 3339 at an offset (minutes east of UTC), whole seconds:
/// `2026-11-11T00:00:00+08:00`.
pub fn format_instant(ms: i64, offset_minutes: i32) -> String {
    let local = ms.div_euclid(1000) + i64::from(offset_minutes) * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// What a lead types: `2026-11-11`, `2026/11/11`, `2026-11-11 20:00`, or a whole RFC
/// 3339 instant. Returns the instant (Unix ms) and whether a time was given.
fn parse_input(s: &str) -> Result<(i64, bool), DateError> {
    let t = s.trim();
    let bad = || DateError::Unreadable(t.to_string());
    if let Some(ms) = parse_instant(t) {
        return Ok((ms, true));
    }
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, tm)) => (d, Some(tm.trim())),
        None => (t, None),
    };
    let (y, m, d) = parse_date(date).ok_or_else(bad)?;
    let secs = match time {
        Some(tm) => parse_time(tm).ok_or_else(bad)?,
        None => 0,
    };
    let local = days_from_civil(y, m, d) * 86_400 + secs;
    Ok((
        (local - i64::from(TEAM_OFFSET_MINUTES) * 60) * 1000,
        time.is_some(),
    ))
}

/// A start as typed (empty: none) to the stored form, in the team's zone: a date alone
/// starts at its midnight.
pub fn parse_start_input(s: &str) -> Result<Option<String>, DateError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let (ms, _) = parse_input(s)?;
    Ok(Some(format_instant(ms, TEAM_OFFSET_MINUTES)))
}

/// An end as typed (empty: none) to the stored form: a date alone is the last day shown,
/// so the reply is gone from the next day's midnight; with a time, from that instant.
pub fn parse_end_input(s: &str) -> Result<Option<String>, DateError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let (ms, timed) = parse_input(s)?;
    let ms = if timed { ms } else { ms + MS_PER_DAY };
    Ok(Some(format_instant(ms, TEAM_OFFSET_MINUTES)))
}

/// Both ends as typed, checked together (see [`parse_start_input`], [`parse_end_input`]).
pub fn parse_inputs(start: &str, end: &str) -> Result<(Option<String>, Option<String>), DateError> {
    let (s, e) = (parse_start_input(start)?, parse_end_input(end)?);
    Window::of(s.as_deref(), e.as_deref())?;
    Ok((s, e))
}

/// A local date and time in the team's zone: `2026-11-11` at midnight, else
/// `2026-11-11 20:00` (seconds only when not whole minutes).
fn display_local(ms: i64) -> String {
    let full = format_instant(ms, TEAM_OFFSET_MINUTES);
    let (date, time) = (&full[..10], &full[11..19]);
    if time == "00:00:00" {
        date.to_string()
    } else if time.ends_with(":00") {
        format!("{date} {}", &time[..5])
    } else {
        format!("{date} {time}")
    }
}

/// A stored start as a lead reads and types it (the team's zone); an unreadable one as
/// it is.
pub fn display_start(stored: &str) -> String {
    parse_instant(stored).map_or_else(|| stored.to_string(), display_local)
}

/// A stored end as a lead reads and types it: an end at midnight is shown as the last
/// day it shows (the day before), any other as its instant.
pub fn display_end(stored: &str) -> String {
    match parse_instant(stored) {
        Some(ms) => {
            let local = ms.div_euclid(1000) + i64::from(TEAM_OFFSET_MINUTES) * 60;
            if local.rem_euclid(86_400) == 0 {
                display_local(ms - MS_PER_DAY)
            } else {
                display_local(ms)
            }
        }
        None => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        parse_instant(s).unwrap_or(i64::MIN)
    }

    #[test]
    fn instants_read_with_their_offset() {
        assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ms("1970-01-01T08:00:00+08:00"), 0);
        assert_eq!(ms("2026-11-11T00:00:00+08:00"), ms("2026-11-10T16:00:00Z"));
        assert_eq!(ms("2026-11-10T11:00:00-05:00"), ms("2026-11-10T16:00:00Z"));
        assert_eq!(
            ms("2026-11-11T00:00:00.250+08:00"),
            ms("2026-11-11T00:00:00+08:00")
        );
        assert_eq!(parse_instant("2026-11-11"), None, "no time, no offset");
        assert_eq!(parse_instant("2026-11-11T00:00:00"), None, "no offset");
        assert_eq!(parse_instant("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_instant("2026-11-11T24:00:00Z"), None);
        assert_eq!(parse_instant("双十一"), None);
        assert!(
            parse_instant("2028-02-29T12:00:00+08:00").is_some(),
            "leap day"
        );
    }

    #[test]
    fn instants_format_back_the_same() {
        for s in [
            "2026-11-11T00:00:00+08:00",
            "1999-12-31T23:59:59+08:00",
            "2028-02-29T12:30:05+08:00",
            "1969-07-20T20:17:40+08:00",
        ] {
            assert_eq!(format_instant(ms(s), TEAM_OFFSET_MINUTES), s);
        }
        assert_eq!(format_instant(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_instant(0, -330), "1969-12-31T18:30:00-05:30");
    }

    #[test]
    fn a_typed_end_date_is_the_last_day_shown() {
        assert_eq!(
            parse_start_input("2026-11-11"),
            Ok(Some("2026-11-11T00:00:00+08:00".into()))
        );
        assert_eq!(
            parse_end_input("2026-11-12"),
            Ok(Some("2026-11-13T00:00:00+08:00".into()))
        );
        assert_eq!(
            parse_end_input("2026/11/12 18:00"),
            Ok(Some("2026-11-12T18:00:00+08:00".into()))
        );
        assert_eq!(parse_end_input("  "), Ok(None));
        assert_eq!(
            parse_end_input("2026-12-31"),
            Ok(Some("2027-01-01T00:00:00+08:00".into())),
            "over the year's end"
        );
        // Shown back as typed.
        assert_eq!(display_end("2026-11-13T00:00:00+08:00"), "2026-11-12");
        assert_eq!(display_end("2026-11-12T18:00:00+08:00"), "2026-11-12 18:00");
        assert_eq!(display_start("2026-11-11T00:00:00+08:00"), "2026-11-11");
        assert_eq!(
            display_start("2026-11-10T16:00:00Z"),
            "2026-11-11",
            "shown in Beijing time"
        );
        assert_eq!(display_start("not a date"), "not a date");
        // The last day shown is in, the next day's midnight out.
        let w = Window::of(
            None,
            parse_end_input("2026-11-12").ok().flatten().as_deref(),
        )
        .unwrap_or_default();
        assert!(w.contains(ms("2026-11-12T23:59:59+08:00")));
        assert!(!w.contains(ms("2026-11-13T00:00:00+08:00")));
    }

    #[test]
    fn typed_dates_that_do_not_read_are_refused() {
        for s in [
            "11-12",
            "2026-13-01",
            "2026-02-29",
            "2026-11-12 25:00",
            "明天",
        ] {
            assert_eq!(
                parse_start_input(s),
                Err(DateError::Unreadable(s.to_string())),
                "{s}"
            );
        }
        let e = parse_inputs("2026-11-12", "2026-11-11");
        assert_eq!(
            e,
            Err(DateError::Order {
                start: "2026-11-12".into(),
                end: "2026-11-11".into()
            })
        );
        assert!(e.err().is_some_and(|e| e.zh().contains("必须晚于")));
        // One day only: start and last day the same is fine.
        assert!(parse_inputs("2026-11-11", "2026-11-11").is_ok());
    }

    #[test]
    fn the_start_is_inclusive_and_the_end_exclusive() {
        let w = Window::of(
            Some("2026-11-11T00:00:00+08:00"),
            Some("2026-11-12T00:00:00+08:00"),
        )
        .unwrap_or_default();
        let (s, e) = (
            ms("2026-11-11T00:00:00+08:00"),
            ms("2026-11-12T00:00:00+08:00"),
        );
        assert_eq!(w.status(s - 1), Status::Upcoming);
        assert_eq!(w.status(s), Status::Active);
        assert_eq!(w.status(e - 1), Status::Active);
        assert_eq!(w.status(e), Status::Expired);
        assert!(Window::default().contains(0));
        assert!(Window::default().is_open());
    }

    #[test]
    fn a_folder_window_narrows_its_replies() {
        let folder = Window {
            start: Some(100),
            end: Some(200),
        };
        let reply = Window {
            start: Some(150),
            end: None,
        };
        assert_eq!(
            reply.intersect(folder),
            Window {
                start: Some(150),
                end: Some(200)
            }
        );
        assert_eq!(Window::default().intersect(folder), folder);
        // Disjoint: never shown; expired once the earlier end passed.
        let late = Window {
            start: Some(300),
            end: None,
        };
        let both = late.intersect(folder);
        assert_eq!(both.status(250), Status::Expired);
        assert_eq!(both.status(50), Status::Upcoming);
        assert!(!both.contains(150));
    }

    #[test]
    fn stored_dates_are_checked() {
        assert!(Window::of(Some("2026-11-11"), None).is_err());
        assert_eq!(
            Window::lenient(Some("2026-11-11"), Some("2026-11-12T00:00:00+08:00")),
            Window {
                start: None,
                end: Some(ms("2026-11-12T00:00:00+08:00"))
            }
        );
    }
}
