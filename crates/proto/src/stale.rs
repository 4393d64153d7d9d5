//! Stale replies and the archive folder (`GET /v1/libraries/{id}/stale`,
//! `POST /v1/libraries/{id}/archive`): the replies of a library no one fired in the last
//! N days, for a lead to tidy away into the library's 归档 folder in one step.
//!
//! A reply is **stale** over N days when no device reported a fire of it on any of the
//! last N days (the team's dates, today included: see [`TEAM_UTC_OFFSET_MINUTES`]) and it
//! is older than those N days (created before the first of them), so a reply written last
//! week is never stale. Replies already in the archive folder are not listed again.
//!
//! Both endpoints are for those who may write the library (owners and editors for a team
//! library) and are new in this server version: an older server answers `404` (no such
//! endpoint), which clients report as "the server is too old for this".

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The name of a library's archive folder: a top-level folder with exactly this name. If
/// the library has several, the first (by position, then id) is the archive; if a lead
/// renames it, the next archive creates a new 归档 (the renamed folder is then an ordinary
/// folder, as the lead asked).
pub const ARCHIVE_FOLDER: &str = "归档";

/// The team's time zone as an offset from UTC in minutes: Beijing time (UTC+8, no summer
/// time), what a shop on a Chinese platform keeps its hours by. The days of "the last N
/// days" are this zone's dates, as the devices report their fires by their local date.
pub const TEAM_UTC_OFFSET_MINUTES: i64 = 8 * 60;

/// Most stale replies one answer lists ([`StaleQuery::limit`]); `total` counts them all.
pub const MAX_STALE_PAGE: usize = 1000;

/// Most replies one archive request moves (the batch limit, so one transaction stays small).
pub const MAX_ARCHIVE: usize = crate::api::MAX_BATCH;

/// Largest N of "no one fired in N days".
pub const MAX_STALE_DAYS: u32 = 366;

/// `GET /v1/libraries/{id}/stale?days=N&limit=L&offset=O` (every parameter optional:
/// 30 days, the first 200).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

/// One stale reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleReply {
    pub key: String,
    pub version: i64,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<Uuid>,
    /// The folder's name (`None`: at the top of the library, or a folder that is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// When it was created, Unix ms: its oldest kept version (the server keeps the newest
    /// 100 versions of an item, so for a reply edited more often it is that version's time).
    pub created_at: i64,
    /// The last day anyone fired it (the team's date, `YYYY-MM-DD`), before the period;
    /// `None`: never, as far as the server's usage counts go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_fired: Option<String>,
}

/// The answer to a [`StaleQuery`]: never-fired replies first, then those fired longest
/// ago, then the oldest; by key last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleReplies {
    pub days: u32,
    /// The first day of the period (`YYYY-MM-DD`, the team's date); the last is today.
    pub since_day: String,
    /// Replies created at or after this (Unix ms: the start of `since_day`) are not stale.
    pub created_before: i64,
    /// The first day the library has usage counts of (`None`: none at all). Fires before
    /// the team's computers reported usage were never counted: with this after
    /// `since_day`, "not fired in N days" means "not fired since this day".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_since: Option<String>,
    /// The library's archive folder, if it has one (its replies are not listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_folder: Option<Uuid>,
    /// Stale replies in all (`replies` is one page of them).
    pub total: u64,
    pub replies: Vec<StaleReply>,
}

/// `POST /v1/libraries/{id}/archive`: move these replies into the library's
/// [`ARCHIVE_FOLDER`] (created if it has none), all in one transaction: every move is an
/// ordinary write (a new version, history, the change feed, the compliance check, the
/// quota), and if any of them is refused nothing is written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRequest {
    /// Item keys of replies, at most [`MAX_ARCHIVE`].
    pub keys: Vec<String>,
}

/// What an [`ArchiveRequest`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveResult {
    /// The archive folder's id.
    pub folder_id: Uuid,
    /// It was created by this request.
    pub folder_created: bool,
    /// Keys moved into it now.
    pub moved: Vec<String>,
    /// Keys that were in it already (nothing written for them).
    pub already: Vec<String>,
    /// The library's head after the request.
    pub head: i64,
}
