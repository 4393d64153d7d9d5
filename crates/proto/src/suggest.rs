//! Agents' suggestions (建议修改 / 建议新增): a member who may read a team library but not
//! write it proposes a changed or a new reply; a lead (owner or editor) accepts it (it
//! becomes an ordinary write of the lead's, credited to the agent in the item's history),
//! edits then accepts it, or declines it with a comment. Re-exported by [`crate::api`],
//! whose endpoint table lists the routes.
//!
//! Suggestions are about replies only (never folders or variables). The proposed reply
//! is a whole [`SnippetDoc`]; its id is the item key it changes (建议修改) or the key the
//! new reply will have (建议新增, `base_version` 0). The suggestion's own id is made by
//! the client, so a queued offline suggestion sent again is the same suggestion.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::SnippetDoc;

/// Longest note of an agent, and longest comment of a lead (characters).
pub const MAX_SUGGESTION_NOTE: usize = 500;

/// Most suggestions one member may have waiting for a lead; one more is refused (`409`)
/// until some are decided or withdrawn.
pub const MAX_PENDING_SUGGESTIONS: i64 = 100;

/// Decided suggestions are listed this long after their decision (30 days, in ms);
/// pending ones always.
pub const SUGGESTION_LIST_DECIDED_MS: i64 = 30 * 24 * 3600 * 1000;

/// Where a suggestion stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionStatus {
    /// Waiting for a lead.
    Pending,
    /// A lead wrote it (as proposed, or as they edited it).
    Accepted,
    /// A lead declined it (with a comment).
    Declined,
    /// Its author took it back before a lead decided.
    Withdrawn,
}

impl SuggestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionStatus::Pending => "pending",
            SuggestionStatus::Accepted => "accepted",
            SuggestionStatus::Declined => "declined",
            SuggestionStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(SuggestionStatus::Pending),
            "accepted" => Some(SuggestionStatus::Accepted),
            "declined" => Some(SuggestionStatus::Declined),
            "withdrawn" => Some(SuggestionStatus::Withdrawn),
            _ => None,
        }
    }
}

/// `POST /v1/libraries/{id}/suggestions`: propose a changed or a new reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSuggestion {
    /// Made by the client (a UUID): sending the same suggestion again answers the stored
    /// one, so a queued suggestion is safe to retry.
    pub id: Uuid,
    /// The reply as the agent proposes it; `doc.id` is the item key.
    pub doc: SnippetDoc,
    /// The version of the reply the agent saw (0: a new reply, 建议新增).
    pub base_version: i64,
    /// Why (optional, at most [`MAX_SUGGESTION_NOTE`] characters).
    #[serde(default)]
    pub note: String,
}

/// A suggestion as the server keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: Uuid,
    pub library_id: Uuid,
    /// The item key (the reply's id).
    pub key: String,
    /// The version the agent saw (0: 建议新增).
    pub base_version: i64,
    /// The proposed reply.
    pub doc: SnippetDoc,
    #[serde(default)]
    pub note: String,
    pub author_user: Uuid,
    pub author_name: String,
    pub author_device: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub status: SuggestionStatus,
    /// The lead's comment (a decline always has one; an accept may).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<i64>,
    /// The item version an accept wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_version: Option<i64>,
    /// Pending suggestions, as listed: the reply at `base_version` (`None`: new, or no
    /// longer in the server's history) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<SnippetDoc>,
    /// … and the reply now, with its version (`None`: it does not exist or is deleted),
    /// so the lead's client shows current vs proposed when the reply changed meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<SnippetDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl Suggestion {
    /// A proposal of a new reply (建议新增) rather than a change (建议修改).
    pub fn is_new(&self) -> bool {
        self.base_version == 0
    }

    /// Whether the reply changed since the agent saw it (listed pending suggestions only).
    pub fn changed_since_base(&self) -> bool {
        self.current_version.unwrap_or(0) != self.base_version
    }
}

/// `POST /v1/suggestions/{id}/accept`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptSuggestion {
    /// The version of the reply the lead saw (the listed `current_version`, 0 for a new
    /// reply): written with it as `If-Match`, so a reply changed meanwhile is a `412`
    /// carrying the current item.
    pub if_match: i64,
    /// The reply as the lead edited it (`None`: as proposed). Its id must be the
    /// suggestion's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<SnippetDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `POST /v1/suggestions/{id}/decline`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclineSuggestion {
    /// Why (required, at most [`MAX_SUGGESTION_NOTE`] characters).
    pub comment: String,
}

/// Data of the SSE `event: suggestion` (no `id:`, so it never moves a stream's
/// `Last-Event-ID`): a suggestion was made, decided or withdrawn. Sent to the author's
/// devices and the team's leads, never to other agents; clients list suggestions again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionEvent {
    pub id: Uuid,
    pub library_id: Uuid,
    pub status: SuggestionStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_unknown_fields_are_ignored() {
        for s in [
            SuggestionStatus::Pending,
            SuggestionStatus::Accepted,
            SuggestionStatus::Declined,
            SuggestionStatus::Withdrawn,
        ] {
            assert_eq!(SuggestionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(SuggestionStatus::parse("maybe"), None);
        let accept: AcceptSuggestion =
            serde_json::from_str(r#"{"if_match":3,"from_the_future":true}"#).unwrap_or_default();
        assert_eq!(accept.if_match, 3);
        assert!(accept.doc.is_none());
    }
}
