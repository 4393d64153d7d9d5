//! The offline side of suggestions: queued with the version this computer had, refused
//! for libraries that take none, kept while the server cannot be reached, withdrawn
//! locally while queued, and the server's outcome shown offline once stored.

use quickreply_core::store::{self, NewSnippet, Store};
use quickreply_proto::api::{Me, Role, Suggestion, SuggestionStatus};
use quickreply_proto::{LibraryKind, Part};
use uuid::Uuid;

use super::*;
use crate::accounts::account_by_id;
use crate::links::link;
use crate::model::Account;

fn joined(store: &Store) -> Result<Account> {
    let id = tables::add_account(
        store.conn(),
        // Nothing listens here: every request fails as a network error.
        "http://127.0.0.1:9",
        &Me {
            user_id: Uuid::now_v7(),
            user_name: "小王".into(),
            device_id: Uuid::now_v7(),
            device_name: "客服1号机".into(),
            team_id: Uuid::now_v7(),
            team_name: "店铺".into(),
            role: Role::Agent,
            personal_library: Uuid::now_v7(),
        },
    )?;
    account_by_id(store, id)?.ok_or(SyncError::NotJoined)
}

fn text(body: &str) -> Vec<Part> {
    vec![Part::Text { body: body.into() }]
}

/// A store with a team library (read-only here) holding one reply the server sent at
/// version 3.
fn setup(dir: &std::path::Path) -> Result<(Store, Account, Uuid, SnippetDoc)> {
    let mut store = Store::open(dir)?;
    let acc = joined(&store)?;
    let team = store.create_library("团队话术", LibraryKind::Team)?;
    let s = store.add_snippet(
        &team,
        NewSnippet {
            title: "发货时间".into(),
            parts: text("亲，48小时内发货"),
            ..Default::default()
        },
    )?;
    link(&mut store, acc.id, team.id, Uuid::now_v7(), false, false)?;
    let doc = reply_doc(&store, team.id, s.id)?;
    tables::set_shadow(
        store.conn(),
        team.id,
        &s.id.to_string(),
        3,
        Some(&quickreply_proto::api::ItemDoc::Snippet(doc.clone())),
    )?;
    Ok((store, acc, team.id, doc))
}

#[test]
fn a_suggestion_is_queued_offline_with_the_version_this_computer_had() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let (store, acc, team, doc) = setup(dir.path())?;
    let changed = SnippetDoc {
        parts: text("亲，24小时内发货"),
        ..doc.clone()
    };
    let id = suggest(&store, team, changed.clone(), " 仓库提速了 ")?;
    let fresh = SnippetDoc {
        id: Uuid::now_v7(),
        title: "周末发货吗".into(),
        ..changed.clone()
    };
    let new_id = suggest(&store, team, fresh, "")?;
    assert!(has_unsent(&store, acc.id)?);
    let all = suggestions(&store)?;
    let edit = all
        .iter()
        .find(|s| s.id == id)
        .ok_or(SyncError::NotJoined)?;
    assert_eq!(edit.state, SuggestionState::Queued);
    assert_eq!(edit.base_version, 3);
    assert_eq!(edit.note, "仓库提速了");
    assert_eq!(edit.doc, changed);
    assert_eq!(edit.library_name, "团队话术");
    assert!(edit.mine);
    let new = all
        .iter()
        .find(|s| s.id == new_id)
        .ok_or(SyncError::NotJoined)?;
    assert_eq!(new.base_version, 0, "a reply the server never sent is new");
    // The reply itself is untouched and nothing is in the outbox.
    assert_eq!(reply_doc(&store, team, doc.id)?, doc);
    assert!(!tables::has_pending(store.conn(), acc.id)?);
    // Found by its short id (the random end; the two were made together, so their first
    // digits are alike) and by its whole id.
    assert_eq!(find_suggestion(&store, &short_id(id))?.id, id);
    assert_eq!(find_suggestion(&store, &new_id.to_string())?.id, new_id);
    Ok(())
}

#[test]
fn an_unreachable_server_keeps_the_queue_and_a_queued_one_is_withdrawn_here() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let (store, acc, team, doc) = setup(dir.path())?;
    let id = suggest(&store, team, doc.clone(), "")?;
    let client = Client::new(&acc.server, Some("t".into()))?;
    let err = sync(&store, &client, acc.id);
    assert!(matches!(err, Err(SyncError::Http { .. })), "{err:?}");
    assert_eq!(suggestions(&store)?[0].state, SuggestionState::Queued);
    assert!(has_unsent(&store, acc.id)?);
    // Withdrawn while queued: forgotten here, nothing asked of the server.
    assert_eq!(withdraw(&store, id)?, None);
    assert!(suggestions(&store)?.is_empty());
    assert!(!has_unsent(&store, acc.id)?);
    // Deciding needs the suggestion on the server.
    let id = suggest(&store, team, doc, "")?;
    let err = accept(&store, id, None, None);
    assert!(matches!(err, Err(SyncError::Unavailable(_))), "{err:?}");
    Ok(())
}

#[test]
fn personal_and_unsynced_libraries_take_no_suggestion() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let (mut store, acc, _, doc) = setup(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    link(
        &mut store,
        acc.id,
        personal.id,
        acc.personal_remote,
        true,
        false,
    )?;
    let err = suggest(&store, personal.id, doc.clone(), "");
    assert!(matches!(err, Err(SyncError::Unavailable(_))), "{err:?}");
    let other = store.create_library("本地团队", LibraryKind::Team)?;
    let err = suggest(&store, other.id, doc, "");
    assert!(matches!(err, Err(SyncError::Unavailable(_))), "{err:?}");
    Ok(())
}

#[test]
fn the_outcome_is_kept_and_shown_offline() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let (store, acc, team, doc) = setup(dir.path())?;
    let id = suggest(&store, team, doc.clone(), "")?;
    // What a round stores from the server's list.
    let answer = Suggestion {
        id,
        library_id: Uuid::now_v7(),
        key: doc.id.to_string(),
        base_version: 3,
        doc: doc.clone(),
        note: String::new(),
        author_user: acc.user_id,
        author_name: "小王".into(),
        author_device: "客服1号机".into(),
        created_at: 1,
        status: SuggestionStatus::Declined,
        comment: Some("先不改".into()),
        decided_by: Some(Uuid::now_v7()),
        decided_by_name: Some("老板".into()),
        decided_at: Some(2),
        result_version: None,
        base: None,
        current: None,
        current_version: None,
    };
    rows::store_server(store.conn(), acc.id, team, &answer)?;
    // A lead's inbox entry by someone else.
    let theirs = Suggestion {
        id: Uuid::now_v7(),
        author_user: Uuid::now_v7(),
        status: SuggestionStatus::Pending,
        comment: None,
        ..answer.clone()
    };
    rows::store_server(store.conn(), acc.id, team, &theirs)?;
    assert!(!has_unsent(&store, acc.id)?);
    let all = suggestions(&store)?;
    let mine = all
        .iter()
        .find(|s| s.id == id)
        .ok_or(SyncError::NotJoined)?;
    assert_eq!(mine.state, SuggestionState::Declined);
    assert_eq!(
        mine.server.as_ref().and_then(|s| s.comment.as_deref()),
        Some("先不改")
    );
    assert!(mine.mine);
    let other = all
        .iter()
        .find(|s| s.id == theirs.id)
        .ok_or(SyncError::NotJoined)?;
    assert!(!other.mine);
    assert_eq!(other.state, SuggestionState::Pending);
    // A later list without it forgets it; the queued-and-refused stay.
    rows::forget_unlisted(store.conn(), acc.id, &[id])?;
    assert_eq!(suggestions(&store)?.len(), 1);
    Ok(())
}
