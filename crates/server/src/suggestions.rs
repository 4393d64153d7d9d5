//! Agents' suggestions (建议修改 / 建议新增, `quickreply_proto::suggest`): the routes and
//! who may do what. The table is `store::suggest`.
//!
//! - Any member who reads a team library may suggest a changed or a new reply for it
//!   (leads too; the point is agents, who may not write it). The client makes the id, so
//!   a queued suggestion sent again is answered with the stored one.
//! - A lead (a writer of the library) lists every pending suggestion of the team and the
//!   recently decided ones; anyone else lists only their own, so agents never see each
//!   other's. A suggestion someone may not see does not exist for them (`404`).
//! - Accepting writes the reply through the ordinary write path as the lead's write
//!   (`If-Match` = the version the lead saw, validation, the compliance check, the
//!   quota, history), with the op `suggestion:<id>`, so a retried accept is a replay;
//!   the item's history credits the author (`ItemVersion::suggested_by`). A reply that
//!   changed since the lead looked is `412` with the current item: the lead's client shows
//!   current vs proposed (a listed pending suggestion carries base, current and proposed).
//! - Declining needs a comment; the author may withdraw while it is pending.
//! - Live: `event: suggestion` goes to the author's devices and the team's leads, never
//!   to other agents (`SuggestionNotice::heard_by`). It is sent by the instance that took
//!   the request: with several PostgreSQL instances a stream on another instance learns
//!   of it at its next list (the app lists again on every sync round).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use quickreply_proto::api::{
    AcceptSuggestion, DeclineSuggestion, ItemDoc, ItemVersion, MAX_PENDING_SUGGESTIONS,
    MAX_SUGGESTION_NOTE, Me, NewSuggestion, SUGGESTION_LIST_DECIDED_MS, Suggestion,
    SuggestionEvent, SuggestionStatus,
};
use quickreply_proto::{LibraryKind, SnippetDoc};
use uuid::Uuid;

use crate::extract::{ApiPath, Auth, JsonBody};
use crate::state::{AppState, Notice};
use crate::store::suggest::{Decided, NewRow};
use crate::store::{ItemWrite, LibraryRow, Store, WriteOutcome, policy};
use crate::{Error, validate};

/// The routes (merged into the API by `http::router`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/libraries/{id}/suggestions", post(create))
        .route("/v1/suggestions", get(list))
        .route("/v1/suggestions/{id}/accept", post(accept))
        .route("/v1/suggestions/{id}/decline", post(decline))
        .route("/v1/suggestions/{id}/withdraw", post(withdraw))
}

/// A suggestion made, decided or withdrawn, as live subscribers hear of it.
#[derive(Clone, Debug)]
pub(crate) struct SuggestionNotice {
    team_id: Uuid,
    author: Uuid,
    /// The event's JSON ([`SuggestionEvent`]).
    pub json: Arc<str>,
}

impl SuggestionNotice {
    /// The suggestion's author and the team's leads hear of it; other agents never do.
    pub fn heard_by(&self, me: &Me) -> bool {
        me.team_id == self.team_id && (me.user_id == self.author || me.role.can_write_team())
    }
}

fn announce(st: &AppState, team_id: Uuid, s: &Suggestion) {
    let event = SuggestionEvent {
        id: s.id,
        library_id: s.library_id,
        status: s.status,
    };
    match serde_json::to_string(&event) {
        Ok(json) => {
            let _ = st.events.send(Notice::Suggestion(SuggestionNotice {
                team_id,
                author: s.author_user,
                json: Arc::from(json),
            }));
        }
        Err(e) => tracing::error!(error = %e, "cannot encode a suggestion event"),
    }
}

fn no_suggestion() -> Error {
    Error::NotFound("no such suggestion".into())
}

/// A note or comment: at most [`MAX_SUGGESTION_NOTE`] characters.
fn check_text(what: &str, text: &str) -> Result<(), Error> {
    let n = text.chars().count();
    if n > MAX_SUGGESTION_NOTE {
        return Err(Error::BadRequest(format!(
            "the {what} has {n} characters: at most {MAX_SUGGESTION_NOTE}"
        )));
    }
    Ok(())
}

fn check_doc(doc: &SnippetDoc) -> Result<(), Error> {
    validate::doc(&ItemDoc::Snippet(doc.clone()))
}

/// The suggestion with its library, if `me` may see it: a writer of the library sees
/// every one, anyone else only their own.
fn visible(s: &dyn Store, me: &Me, id: Uuid) -> Result<(Suggestion, LibraryRow), Error> {
    let Some((sugg, team)) = s.suggestion(id)? else {
        return Err(no_suggestion());
    };
    if team != me.team_id {
        return Err(no_suggestion());
    }
    let lib = policy::check_read(me, s.library_row(sugg.library_id)?)?;
    if sugg.author_user != me.user_id && !policy::can_write(me, &lib) {
        return Err(no_suggestion());
    }
    Ok((sugg, lib))
}

/// A decision on a suggestion that is no longer pending.
fn decided_already(s: &Suggestion) -> Error {
    let (zh, en) = match s.status {
        SuggestionStatus::Accepted => ("已被采纳", "accepted"),
        SuggestionStatus::Declined => ("已被拒绝", "declined"),
        SuggestionStatus::Withdrawn => ("已被撤回", "withdrawn"),
        SuggestionStatus::Pending => ("仍在等待", "pending"),
    };
    Error::Conflict(format!("this suggestion was {en} already (这条建议{zh})"))
}

/// Fills `base`, `current` and `current_version` of pending suggestions from the items'
/// history (read once per item).
fn with_versions(s: &dyn Store, me: &Me, list: &mut [Suggestion]) -> Result<(), Error> {
    let mut histories: HashMap<(Uuid, String), Vec<ItemVersion>> = HashMap::new();
    for sugg in list
        .iter_mut()
        .filter(|x| x.status == SuggestionStatus::Pending)
    {
        let place = (sugg.library_id, sugg.key.clone());
        if !histories.contains_key(&place) {
            let versions = match s.history(me, sugg.library_id, &sugg.key) {
                Ok(v) => v,
                Err(Error::NotFound(_)) => Vec::new(),
                Err(e) => return Err(e),
            };
            histories.insert(place.clone(), versions);
        }
        let versions = histories.get(&place).map(Vec::as_slice).unwrap_or_default();
        let snippet = |v: &ItemVersion| match &v.doc {
            Some(ItemDoc::Snippet(d)) if !v.deleted => Some(d.clone()),
            _ => None,
        };
        if let Some(newest) = versions.first() {
            sugg.current_version = Some(newest.version);
            sugg.current = snippet(newest);
        }
        if sugg.base_version > 0 {
            sugg.base = versions
                .iter()
                .find(|v| v.version == sugg.base_version)
                .and_then(snippet);
        }
    }
    Ok(())
}

/// Credits the versions of an item that were written by accepting a suggestion (the
/// history answer's `suggested_by`).
pub(crate) fn credit(
    s: &dyn Store,
    library_id: Uuid,
    key: &str,
    versions: &mut [ItemVersion],
) -> Result<(), Error> {
    let credits = s.suggestion_credits(library_id, key)?;
    for v in versions.iter_mut() {
        if let Some((_, user, name)) = credits.iter().find(|(n, _, _)| *n == v.version) {
            v.suggested_by = Some(*user);
            v.suggested_by_name = Some(name.clone());
        }
    }
    Ok(())
}

/// `POST /v1/libraries/{id}/suggestions`.
async fn create(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(library_id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<NewSuggestion>,
) -> Result<Json<Suggestion>, Error> {
    if body.id.is_nil() {
        return Err(Error::BadRequest(
            "a suggestion's id must be a UUID the client made, not nil".into(),
        ));
    }
    if body.base_version < 0 {
        return Err(Error::BadRequest(
            "base_version is the version you saw (0 for a new reply), never negative".into(),
        ));
    }
    check_text("note", &body.note)?;
    check_doc(&body.doc)?;
    let now = st.now();
    let (sugg, new, team) = st
        .db(move |s| {
            let lib = policy::check_read(&me, s.library_row(library_id)?)?;
            if lib.kind != LibraryKind::Team {
                return Err(Error::BadRequest(
                    "suggestions are for team libraries: write your personal library directly"
                        .into(),
                ));
            }
            // A suggestion sent again is answered whatever the count; a new one only
            // while its author has fewer than the most waiting.
            if s.suggestion(body.id)?.is_none() {
                let waiting = s.pending_by(me.user_id)?;
                if waiting >= MAX_PENDING_SUGGESTIONS {
                    return Err(Error::Conflict(format!(
                        "you have {waiting} suggestions waiting for a lead, the most one member may have: wait until some are decided, or withdraw some (你有 {waiting} 条建议在等主管审核，已到上限：等一些处理完或撤回一些再提)"
                    )));
                }
            }
            let doc_json = serde_json::to_string(&body.doc)
                .map_err(|e| Error::internal(format!("cannot encode a document: {e}")))?;
            let (sugg, new) = s.insert_suggestion(&NewRow {
                id: body.id,
                team_id: lib.team_id,
                library_id,
                key: body.doc.id.to_string(),
                base_version: body.base_version,
                doc_json,
                note: body.note.clone(),
                author_user: me.user_id,
                author_device: me.device_id,
                now,
            })?;
            let same = sugg.author_user == me.user_id
                && sugg.library_id == library_id
                && sugg.doc == body.doc
                && sugg.base_version == body.base_version;
            if !new && !same {
                return Err(Error::Conflict(
                    "another suggestion has this id: make a new id for a new suggestion".into(),
                ));
            }
            Ok((sugg, new, lib.team_id))
        })
        .await?;
    if new {
        announce(&st, team, &sugg);
    }
    Ok(Json(sugg))
}

/// `GET /v1/suggestions`.
async fn list(State(st): State<AppState>, Auth(me): Auth) -> Result<Json<Vec<Suggestion>>, Error> {
    let since = st.now() - SUGGESTION_LIST_DECIDED_MS;
    let list = st
        .db(move |s| {
            let author = (!me.role.can_write_team()).then_some(me.user_id);
            let mut list = s.suggestions(me.team_id, author, since)?;
            with_versions(s, &me, &mut list)?;
            Ok(list)
        })
        .await?;
    Ok(Json(list))
}

/// `POST /v1/suggestions/{id}/accept`.
async fn accept(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<AcceptSuggestion>,
) -> Result<Json<Suggestion>, Error> {
    if let Some(c) = &body.comment {
        check_text("comment", c)?;
    }
    if let Some(doc) = &body.doc {
        check_doc(doc)?;
    }
    if body.if_match < 0 {
        return Err(Error::BadRequest(
            "if_match is the version of the reply you saw (0 for a new reply)".into(),
        ));
    }
    let now = st.now();
    let quota = st.member_quota;
    let events = st.events.clone();
    let shared = st.clone();
    let (sugg, team) = st
        .db(move |s| {
            let (sugg, lib) = visible(s, &me, id)?;
            policy::check_write(&me, Some(lib.clone()))?;
            match sugg.status {
                SuggestionStatus::Pending => {}
                SuggestionStatus::Accepted => return Ok((sugg, lib.team_id)),
                _ => return Err(decided_already(&sugg)),
            }
            let doc = body.doc.clone().unwrap_or_else(|| sugg.doc.clone());
            if doc.id.to_string() != sugg.key {
                return Err(Error::BadRequest(format!(
                    "the edited reply must keep the suggestion's id “{}”",
                    sugg.key
                )));
            }
            let write = ItemWrite {
                library_id: sugg.library_id,
                key: sugg.key.clone(),
                if_match: body.if_match,
                op: format!("suggestion:{id}"),
                doc: Some(ItemDoc::Snippet(doc)),
                now,
                quota,
            };
            let outcome = s.write_item(&me, &write, &|change, item| {
                let _ = events.send(Notice::change(*change, Some(item)));
            })?;
            let version = match outcome {
                WriteOutcome::Written(item, _) => {
                    shared.metrics.item_written();
                    item.version
                }
                WriteOutcome::Replay(item) => item.version,
                WriteOutcome::Conflict(current) => {
                    return Err(Error::VersionConflict(current.map(Box::new)));
                }
            };
            let decided = Decided {
                status: SuggestionStatus::Accepted,
                by: me.user_id,
                comment: body.comment.clone().filter(|c| !c.trim().is_empty()),
                at: now,
                result_version: Some(version),
            };
            s.decide_suggestion(id, &decided)?;
            let (sugg, _) = s.suggestion(id)?.ok_or_else(no_suggestion)?;
            if sugg.status != SuggestionStatus::Accepted {
                return Err(decided_already(&sugg));
            }
            Ok((sugg, lib.team_id))
        })
        .await?;
    announce(&st, team, &sugg);
    Ok(Json(sugg))
}

/// `POST /v1/suggestions/{id}/decline`.
async fn decline(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<DeclineSuggestion>,
) -> Result<Json<Suggestion>, Error> {
    let comment = body.comment.trim().to_string();
    if comment.is_empty() {
        return Err(Error::BadRequest(
            "say why the suggestion is declined: the comment is shown to its author".into(),
        ));
    }
    check_text("comment", &comment)?;
    let now = st.now();
    decide(&st, me, id, move |me, _, lib| {
        policy::check_write(me, Some(lib.clone()))?;
        Ok(Decided {
            status: SuggestionStatus::Declined,
            by: me.user_id,
            comment: Some(comment.clone()),
            at: now,
            result_version: None,
        })
    })
    .await
}

/// `POST /v1/suggestions/{id}/withdraw`.
async fn withdraw(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Suggestion>, Error> {
    let now = st.now();
    decide(&st, me, id, move |me, sugg, _| {
        if sugg.author_user != me.user_id {
            return Err(Error::Forbidden(
                "only its author may withdraw a suggestion (a lead declines it)".into(),
            ));
        }
        Ok(Decided {
            status: SuggestionStatus::Withdrawn,
            by: me.user_id,
            comment: None,
            at: now,
            result_version: None,
        })
    })
    .await
}

/// Records a decline or withdrawal that `rule` allows on a pending suggestion.
async fn decide(
    st: &AppState,
    me: Me,
    id: Uuid,
    rule: impl FnOnce(&Me, &Suggestion, &LibraryRow) -> Result<Decided, Error> + Send + 'static,
) -> Result<Json<Suggestion>, Error> {
    let (sugg, team) = st
        .db(move |s| {
            let (sugg, lib) = visible(s, &me, id)?;
            let decided = rule(&me, &sugg, &lib)?;
            if sugg.status != SuggestionStatus::Pending || !s.decide_suggestion(id, &decided)? {
                let (now, _) = s.suggestion(id)?.ok_or_else(no_suggestion)?;
                return Err(decided_already(&now));
            }
            let (sugg, _) = s.suggestion(id)?.ok_or_else(no_suggestion)?;
            Ok((sugg, lib.team_id))
        })
        .await?;
    announce(st, team, &sugg);
    Ok(Json(sugg))
}
