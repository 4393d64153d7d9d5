//! What agents' suggestions (`crate::suggestions`) keep: one row per suggestion in
//! `suggestions` (schema version 8 on both backends), by the client-made id. Both
//! backends implement [`SuggestStore`] with plain statements; who may do what, and the
//! accept that goes through the ordinary write path, are decided in `crate::suggestions`.

use quickreply_proto::SnippetDoc;
use quickreply_proto::api::{Suggestion, SuggestionStatus};
use uuid::Uuid;

use super::LibraryRow;
use super::rows::{Bad, Cells};
use crate::Error;

/// Most suggestions one list answers (newest first).
pub const MAX_LISTED: i64 = 500;

/// A suggestion to store, already checked.
#[derive(Clone, Debug)]
pub struct NewRow {
    pub id: Uuid,
    pub team_id: Uuid,
    pub library_id: Uuid,
    pub key: String,
    pub base_version: i64,
    /// The proposed reply as JSON.
    pub doc_json: String,
    pub note: String,
    pub author_user: Uuid,
    pub author_device: Uuid,
    pub now: i64,
}

/// A decision on a pending suggestion.
#[derive(Clone, Debug)]
pub struct Decided {
    pub status: SuggestionStatus,
    pub by: Uuid,
    pub comment: Option<String>,
    pub at: i64,
    pub result_version: Option<i64>,
}

/// A version written by accepting a suggestion: (version, the agent, the agent's name).
pub type Credit = (i64, Uuid, String);

/// The suggestions table, on each backend.
pub trait SuggestStore {
    /// Stores a suggestion unless one with its id exists; answers the stored one and
    /// whether it was stored now.
    fn insert_suggestion(&self, row: &NewRow) -> Result<(Suggestion, bool), Error>;

    /// A suggestion by id, with its team.
    fn suggestion(&self, id: Uuid) -> Result<Option<(Suggestion, Uuid)>, Error>;

    /// The team's suggestions (of `author` only, when given) that are pending or were
    /// decided at `decided_since` or later, newest first, at most [`MAX_LISTED`].
    fn suggestions(
        &self,
        team_id: Uuid,
        author: Option<Uuid>,
        decided_since: i64,
    ) -> Result<Vec<Suggestion>, Error>;

    /// How many suggestions of `author` wait for a lead.
    fn pending_by(&self, author: Uuid) -> Result<i64, Error>;

    /// Records a decision on a suggestion that is still pending (`false`: it is not).
    fn decide_suggestion(&self, id: Uuid, decided: &Decided) -> Result<bool, Error>;

    /// The versions of an item written by accepting a suggestion.
    fn suggestion_credits(&self, library_id: Uuid, key: &str) -> Result<Vec<Credit>, Error>;

    /// A library as stored (`None`: no such library), for the rules of `policy`.
    fn library_row(&self, id: Uuid) -> Result<Option<LibraryRow>, Error>;
}

/// Columns of a [`Suggestion`] (`s` the suggestion, `au`/`ad` its author's user and
/// device, `du` whoever decided), read by [`suggestion_from`]; the team is the last.
pub const SUGGESTION_COLUMNS: &str = "s.id, s.library_id, s.key, s.base_version, s.doc, s.note, \
     s.author_user, au.name, ad.name, s.created_at, s.status, s.comment, s.decided_by, du.name, \
     s.decided_at, s.result_version, s.team_id";

/// The joins [`SUGGESTION_COLUMNS`] read from.
pub const SUGGESTION_FROM: &str = "suggestions s JOIN users au ON au.id = s.author_user \
     JOIN devices ad ON ad.id = s.author_device LEFT JOIN users du ON du.id = s.decided_by";

/// Reads a row of [`SUGGESTION_COLUMNS`]: the suggestion and its team.
pub fn suggestion_from<C: Cells>(c: &C) -> Result<(Suggestion, Uuid), C::Error> {
    let doc_text = c.text(4)?;
    let doc: SnippetDoc = serde_json::from_str(&doc_text).map_err(|error| {
        c.bad(
            4,
            Bad::Json {
                what: "a stored suggestion does not parse",
                error,
            },
        )
    })?;
    let status_text = c.text(10)?;
    let status = SuggestionStatus::parse(&status_text).ok_or_else(|| {
        c.bad(
            10,
            Bad::Unknown {
                what: "suggestion status",
                value: status_text.clone(),
            },
        )
    })?;
    Ok((
        Suggestion {
            id: c.uuid(0)?,
            library_id: c.uuid(1)?,
            key: c.text(2)?,
            base_version: c.int(3)?,
            doc,
            note: c.text(5)?,
            author_user: c.uuid(6)?,
            author_name: c.text(7)?,
            author_device: c.text(8)?,
            created_at: c.int(9)?,
            status,
            comment: c.opt_text(11)?,
            decided_by: c.opt_uuid(12)?,
            decided_by_name: c.opt_text(13)?,
            decided_at: c.opt_int(14)?,
            result_version: c.opt_int(15)?,
            base: None,
            current: None,
            current_version: None,
        },
        c.uuid(16)?,
    ))
}
