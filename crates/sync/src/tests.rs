//! Tests of the sync client against its own store, without a server.

use crate::accounts::{account, account_by_id, accounts, choose_account};
use crate::links::{
    link, link_libraries, linked, may_publish, other_teams_libraries, set_library_account,
};
use crate::tables;
use crate::*;
use quickreply_core::Error;
use quickreply_core::store::{self, Store};
use quickreply_proto::api::*;
use quickreply_proto::{LibraryKind, Part};
use store::NewSnippet;
use uuid::Uuid;

#[test]
fn version_text_shows_a_reply_version_and_nothing_for_a_deletion() {
    let doc = quickreply_proto::SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: None,
        title: "退货地址".into(),
        code: None,
        tags: Vec::new(),
        parts: vec![
            Part::Text {
                body: "亲，退货请寄到".into(),
            },
            Part::Image {
                sha256: "ab".repeat(32),
                mime: "image/png".into(),
                width: 1,
                height: 1,
            },
            Part::Text {
                body: "售后部".into(),
            },
        ],
        apps: Vec::new(),
        position: 0,
        starts_at: None,
        ends_at: None,
    };
    let mut v = ItemVersion {
        version: 3,
        deleted: false,
        doc: Some(ItemDoc::Snippet(doc)),
        updated_at: 0,
        user_id: Uuid::now_v7(),
        user_name: "王主管".into(),
        device_name: "lead-pc".into(),
        suggested_by: None,
        suggested_by_name: None,
    };
    assert_eq!(
        version_text(&v),
        Some(("退货地址".into(), "亲，退货请寄到\n\n售后部".into(), 1))
    );
    v.deleted = true;
    assert_eq!(version_text(&v), None);
}

fn reply(title: &str, folder: &str) -> NewSnippet {
    NewSnippet {
        title: title.into(),
        folder: folder.into(),
        parts: vec![Part::Text {
            body: format!("{title}的回复"),
        }],
        ..Default::default()
    }
}

fn keys(store: &Store) -> Vec<String> {
    tables::outbox(store.conn())
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.key)
        .collect()
}

#[test]
fn edits_of_synced_libraries_are_queued_in_the_same_transaction() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    let before = store.add_snippet(&personal, reply("早安", ""))?;
    assert!(keys(&store).is_empty(), "not synced yet: nothing queued");
    link(&mut store, 1, personal.id, Uuid::now_v7(), true, true)?;
    assert_eq!(keys(&store), vec![before.id.to_string()], "linking uploads");

    let s = store.add_snippet(&personal, reply("发货时间", "物流"))?;
    store.set_var(&personal, "客服名", "小美")?;
    let k = keys(&store);
    assert!(k.contains(&s.id.to_string()));
    assert!(k.contains(&"var:客服名".to_string()));
    assert_eq!(
        k.len(),
        4,
        "the reply, its new folder and the variable: {k:?}"
    );

    // A second edit of the same item is one entry with a new revision.
    let rev = |store: &Store| {
        tables::outbox(store.conn())
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.key == s.id.to_string())
            .map(|p| (p.rev, p.op))
    };
    let r1 = rev(&store);
    store.edit_snippet(
        s.id,
        store::SnippetEdit {
            title: Some("发货时效".into()),
            ..Default::default()
        },
    )?;
    let r2 = rev(&store);
    assert_eq!(keys(&store).len(), 4);
    assert_ne!(r1, r2);

    // Writes in applying mode (from the server) are not queued.
    store.conn().execute("DELETE FROM outbox", [])?;
    tables::apply_doc(
        store.conn(),
        personal.id,
        &ItemDoc::Variable(quickreply_proto::api::VariableDoc {
            name: "店铺名".into(),
            value: "小店".into(),
            description: String::new(),
            overridable: false,
            example: false,
        }),
    )?;
    assert!(keys(&store).is_empty());
    assert_eq!(
        store.vars(&personal)?,
        vec![
            ("客服名".into(), "小美".into()),
            ("店铺名".into(), "小店".into())
        ]
    );

    // Deleting a folder queues its replies too (cascade).
    store.remove_folder(&personal, "物流", true)?;
    let k = keys(&store);
    assert!(k.contains(&s.id.to_string()), "{k:?}");
    assert_eq!(k.len(), 2, "{k:?}");
    Ok(())
}

#[test]
fn signing_out_removes_the_teams_libraries_but_no_unsent_edit() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    store.add_snippet(&personal, reply("早安", ""))?;
    let acc = fake_account(&store, "http://a.example/", "店铺A")?;
    link(&mut store, 1, personal.id, Uuid::now_v7(), true, false)?;
    let read_only = store.create_library("售后话术", LibraryKind::Team)?;
    store.add_snippet(&read_only, reply("退货地址", ""))?;
    link(&mut store, 1, read_only.id, Uuid::now_v7(), false, false)?;
    let edited = store.create_library("售前话术", LibraryKind::Team)?;
    link(&mut store, 1, edited.id, Uuid::now_v7(), true, false)?;
    store.add_snippet(&edited, reply("尺码", ""))?;
    assert!(!keys(&store).is_empty(), "an edit waits to be sent");

    assert_eq!(sign_out(&mut store, &acc)?, vec!["售后话术".to_string()]);
    assert!(accounts(&store)?.is_empty());
    let names: Vec<String> = store.libraries()?.into_iter().map(|l| l.name).collect();
    assert!(!names.contains(&"售后话术".to_string()), "{names:?}");
    assert!(names.contains(&"售前话术".to_string()), "{names:?}");
    assert_eq!(store.snippets(Some(&personal))?.len(), 1);
    assert_eq!(store.snippets(Some(&edited))?.len(), 1);
    assert!(linked(&store)?.is_empty() && keys(&store).is_empty());
    // The kept library is an ordinary local one now: edits are not refused.
    store.add_snippet(&edited, reply("洗涤", ""))?;
    Ok(())
}

/// An account as joining adds it (no server needed for what these tests check).
fn fake_account(store: &Store, server: &str, team: &str) -> Result<Account> {
    let id = tables::add_account(
        store.conn(),
        server,
        &Me {
            user_id: Uuid::now_v7(),
            user_name: "小李".into(),
            device_id: Uuid::now_v7(),
            device_name: "pc".into(),
            team_id: Uuid::now_v7(),
            team_name: team.into(),
            role: Role::Editor,
            personal_library: Uuid::now_v7(),
        },
    )?;
    account_by_id(store, id)?.ok_or(SyncError::NotJoined)
}

#[test]
fn several_accounts_keep_their_libraries_apart() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let a = fake_account(&store, "http://a.example/", "店铺A")?;
    let b = fake_account(&store, "http://b.example/", "店铺B")?;
    assert_eq!((a.id, b.id), (1, 2));
    assert_eq!(accounts(&store)?, vec![a.clone(), b.clone()]);
    assert_eq!(
        account(&store)?,
        Some(a.clone()),
        "the first joined is primary"
    );

    // --team by server (with or without scheme and slash), team name or number.
    assert_eq!(choose_account(&store, Some("b.example"))?, b);
    assert_eq!(choose_account(&store, Some("店铺A"))?, a);
    assert_eq!(choose_account(&store, Some("2"))?, b);
    let which = choose_account(&store, None).err().map(|e| e.to_string());
    assert!(which.is_some_and(|e| e.contains("店铺A") && e.contains("店铺B")));
    assert!(matches!(
        choose_account(&store, Some("店铺C")),
        Err(SyncError::NoSuchAccount { .. })
    ));
    let c = fake_account(&store, "http://c.example/", "店铺B")?;
    assert!(matches!(
        choose_account(&store, Some("店铺B")),
        Err(SyncError::WhichAccount(_))
    ));
    assert_eq!(choose_account(&store, Some("c.example"))?, c);
    let tx = store.conn_mut().transaction()?;
    tables::forget_account(&tx, c.id)?;
    tx.commit()?;

    let personal = store.library(store::PERSONAL)?;
    link(&mut store, a.id, personal.id, Uuid::now_v7(), true, false)?;
    let team_a = store.create_library("售前", LibraryKind::Team)?;
    link(&mut store, a.id, team_a.id, Uuid::now_v7(), false, false)?;
    let team_b = store.create_library("售前 (2)", LibraryKind::Team)?;
    link(&mut store, b.id, team_b.id, Uuid::now_v7(), false, false)?;
    let local = store.create_library("草稿", LibraryKind::Team)?;

    // Beside team B's chat window, team A's library is hidden, never the personal
    // or a local one.
    assert_eq!(
        other_teams_libraries(&store, "http://b.example")?,
        vec![team_a.id]
    );
    assert_eq!(
        other_teams_libraries(&store, "http://a.example/")?,
        vec![team_b.id]
    );

    // A local team library goes to the primary account unless chosen for another.
    assert!(may_publish(&store, local.id, &a, true)?);
    assert!(!may_publish(&store, local.id, &b, false)?);
    set_library_account(&store, local.id, Some(b.id))?;
    assert!(!may_publish(&store, local.id, &a, true)?);
    assert!(may_publish(&store, local.id, &b, false)?);

    // Leaving B: its team library stays here, for no other team to adopt or publish.
    let tx = store.conn_mut().transaction()?;
    tables::forget_account(&tx, b.id)?;
    tx.commit()?;
    assert_eq!(accounts(&store)?, vec![a.clone()]);
    assert!(linked(&store)?.iter().all(|l| l.account == a.id));
    assert!(!may_publish(&store, team_b.id, &a, true)?);
    assert!(!may_publish(&store, local.id, &a, true)?);
    assert_eq!(choose_account(&store, None)?, a);
    Ok(())
}

fn team_info(id: Uuid, name: &str, writable: bool) -> LibraryInfo {
    LibraryInfo {
        id,
        name: name.into(),
        kind: LibraryKind::Team,
        head: 0,
        writable,
    }
}

#[test]
fn a_library_id_another_teams_server_listed_is_matched_only_within_its_own_account() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let a = fake_account(&store, "http://a.example/", "店铺A")?;
    let b = fake_account(&store, "http://b.example/", "店铺B")?;
    // Team A's library, writable here, came from A's server with its own id.
    let x = Uuid::now_v7();
    let skipped = link_libraries(&mut store, &a, true, &[team_info(x, "售后", true)])?;
    assert!(skipped.is_empty(), "{skipped:?}");
    let team_a = store.library("售后")?;
    store.add_snippet(&team_a, reply("退货地址", ""))?;

    // B's server lists a library with the same id, read-only for this member there, and
    // one of its own.
    let y = Uuid::now_v7();
    let skipped = link_libraries(
        &mut store,
        &b,
        false,
        &[team_info(x, "售后", false), team_info(y, "售前", false)],
    )?;
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains("店铺A") && skipped[0].contains("店铺B") && skipped[0].contains("售后"),
        "{skipped:?}"
    );
    // A's library is still A's, writable, and takes edits; B's own library is linked.
    let links = linked(&store)?;
    let of_x: Vec<_> = links.iter().filter(|l| l.remote == x).collect();
    assert_eq!(of_x.len(), 1, "{links:?}");
    assert_eq!((of_x[0].account, of_x[0].writable), (a.id, true));
    store.add_snippet(&team_a, reply("发货时间", ""))?;
    assert!(
        links
            .iter()
            .any(|l| l.remote == y && l.account == b.id && !l.writable)
    );
    // Again on the next round: still left out, still A's.
    let again = link_libraries(&mut store, &b, false, &[team_info(x, "售后", false)])?;
    assert_eq!(again.len(), 1);
    assert!(linked(&store)?.iter().any(|l| l.remote == x && l.writable));

    // A's own server may still change its library's rights.
    link_libraries(&mut store, &a, true, &[team_info(x, "售后", false)])?;
    assert!(linked(&store)?.iter().any(|l| l.remote == x && !l.writable));

    // An id equal to a local library linked to another account, or to the personal
    // library, is refused too.
    let local_z = store.create_library("草稿", LibraryKind::Team)?;
    link(&mut store, a.id, local_z.id, Uuid::now_v7(), true, false)?;
    let personal = store.library(store::PERSONAL)?;
    let skipped = link_libraries(
        &mut store,
        &b,
        false,
        &[
            team_info(local_z.id, "草稿", true),
            team_info(personal.id, "个人", true),
        ],
    )?;
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped[1].contains("personal") || skipped[1].contains("个人话术库"));
    assert!(
        linked(&store)?
            .iter()
            .all(|l| l.account != b.id || l.remote == y)
    );
    Ok(())
}

#[test]
fn read_only_team_libraries_refuse_local_edits() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let team = store.create_library("团队", LibraryKind::Team)?;
    let s = store.add_snippet(&team, reply("退货地址", ""))?;
    link(&mut store, 1, team.id, team.id, false, false)?;
    let err = store.add_snippet(&team, reply("新话术", ""));
    assert!(matches!(err, Err(Error::ReadOnly)), "{err:?}");
    assert!(matches!(store.remove_snippet(s.id), Err(Error::ReadOnly)));
    assert!(matches!(
        store.set_var(&team, "店铺名", "x"),
        Err(Error::ReadOnly)
    ));
    assert_eq!(store.snippets(Some(&team))?.len(), 1, "nothing changed");
    assert!(keys(&store).is_empty());
    // Copying a team reply into the personal library still works.
    let personal = store.library(store::PERSONAL)?;
    store.copy_to(s.id, &personal)?;
    // The server may still change it.
    tables::apply_delete(store.conn(), team.id, &s.id.to_string())?;
    assert!(store.snippets(Some(&team))?.is_empty());
    Ok(())
}

#[test]
fn a_server_folder_merges_with_a_local_one_of_the_same_name() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    let s = store.add_snippet(&personal, reply("发货时间", "物流"))?;
    link(&mut store, 1, personal.id, Uuid::now_v7(), true, false)?;
    let remote = quickreply_proto::FolderDoc {
        id: Uuid::now_v7(),
        parent_id: None,
        name: "物流".into(),
        position: 0,
        starts_at: None,
        ends_at: None,
    };
    tables::apply_doc(store.conn(), personal.id, &ItemDoc::Folder(remote.clone()))?;
    let folders = store.folders(&personal)?;
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].id, remote.id);
    assert_eq!(store.snippet(s.id)?.folder, "物流");
    Ok(())
}

/// An unset variable (only an example for a value) goes to the server as such and comes
/// back as such: another computer never takes the example for the shop's value, and
/// setting it is a change that syncs like any other.
#[test]
fn an_unset_variable_syncs_as_unset_and_setting_it_is_a_change() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    link(&mut store, 1, personal.id, Uuid::now_v7(), true, true)?;
    let unset = quickreply_core::store::Variable {
        name: "快递公司".into(),
        value: "中通快递".into(),
        overridable: false,
        example: true,
    };
    store.save_variable(&personal, None, &unset)?;
    assert_eq!(keys(&store), vec!["var:快递公司".to_string()]);
    let doc = tables::local_doc(store.conn(), personal.id, "var:快递公司")?;
    let Some(ItemDoc::Variable(v)) = doc else {
        panic!("a variable document: {doc:?}");
    };
    assert!(v.example && v.value == "中通快递");

    // Applied on another computer: still unset there.
    let other_dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let other = Store::open(other_dir.path())?;
    let theirs = other.library(store::PERSONAL)?;
    tables::apply_doc(other.conn(), theirs.id, &ItemDoc::Variable(v.clone()))?;
    assert!(other.effective_vars(theirs.id)?.is_empty());
    assert_eq!(other.unset_vars(theirs.id)?["快递公司"], "中通快递");

    // Set here: the flag goes, the document changes, the change is queued.
    store.conn().execute("DELETE FROM outbox", [])?;
    store.set_var(&personal, "快递公司", "顺丰")?;
    assert_eq!(keys(&store), vec!["var:快递公司".to_string()]);
    let doc = tables::local_doc(store.conn(), personal.id, "var:快递公司")?;
    let Some(ItemDoc::Variable(set)) = doc else {
        panic!("a variable document: {doc:?}");
    };
    assert!(!set.example && set.value == "顺丰");
    tables::apply_doc(other.conn(), theirs.id, &ItemDoc::Variable(set))?;
    assert_eq!(other.effective_vars(theirs.id)?["快递公司"], "顺丰");
    assert!(other.unset_vars(theirs.id)?.is_empty());
    Ok(())
}

/// A teammate's client that writes folders in a loop (a folder inside itself, or two
/// moved into each other at the same time) must not hide them: the tree shows only what
/// the top leads to, so the loop is cut (its first folder by id moved to the top) and
/// every folder and reply stays in view.
#[test]
fn folders_in_a_loop_stay_in_the_tree_with_their_replies() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    let s = store.add_snippet(&personal, reply("发货时间", "物流"))?;
    let own = store.folders(&personal)?[0].id;
    link(&mut store, 1, personal.id, Uuid::now_v7(), true, false)?;
    let folder = |id: Uuid, parent: Option<Uuid>, name: &str| {
        ItemDoc::Folder(quickreply_proto::FolderDoc {
            id,
            parent_id: parent,
            name: name.into(),
            position: 0,
            starts_at: None,
            ends_at: None,
        })
    };
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    tables::apply_doc(store.conn(), personal.id, &folder(a, None, "售前"))?;
    tables::apply_doc(store.conn(), personal.id, &folder(b, Some(a), "尺码"))?;
    // Two moves made at once elsewhere: 售前 into 尺码, and 物流 into itself.
    tables::apply_doc(store.conn(), personal.id, &folder(a, Some(b), "售前"))?;
    tables::apply_doc(store.conn(), personal.id, &folder(own, Some(own), "物流"))?;
    // As after every pull: the loops are cut, as local changes that mend the server's copy.
    tables::fix_orphans(store.conn(), personal.id)?;
    let queued = keys(&store);
    assert!(queued.contains(&own.to_string()), "{queued:?}");
    assert!(
        queued.contains(&a.min(b).to_string()) && !queued.contains(&a.max(b).to_string()),
        "one cut per loop: {queued:?}"
    );
    let mut paths: Vec<String> = store
        .folders(&personal)?
        .into_iter()
        .map(|f| f.path)
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(paths.contains(&"物流".to_string()), "{paths:?}");
    let cut = if a < b {
        "售前/尺码"
    } else {
        "尺码/售前"
    };
    assert!(paths.iter().any(|p| p == cut), "{paths:?}");
    assert_eq!(store.snippet(s.id)?.folder, "物流");
    Ok(())
}

/// A teammate's client that files a team reply under a folder of another library (say of
/// another team both belong to) must not put it in that library's tree: it moves to the
/// top of its own library.
#[test]
fn a_reply_filed_under_another_librarys_folder_moves_to_its_own_top() -> Result<()> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    let mine = store.add_snippet(&personal, reply("发货时间", "物流"))?;
    let foreign = mine.folder_id.expect("a folder");
    let team = store.create_library("售后组", LibraryKind::Team)?;
    link(&mut store, 1, team.id, Uuid::now_v7(), true, false)?;
    let theirs = quickreply_proto::SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: Some(foreign),
        title: "退货地址".into(),
        code: None,
        tags: vec![],
        parts: vec![Part::Text {
            body: "亲，退货地址请看订单页～".into(),
        }],
        apps: vec![],
        position: 0,
        starts_at: None,
        ends_at: None,
    };
    tables::apply_doc(store.conn(), team.id, &ItemDoc::Snippet(theirs.clone()))?;
    tables::fix_orphans(store.conn(), team.id)?;
    let got = store.snippet(theirs.id)?;
    assert_eq!((got.folder_id, got.folder.as_str()), (None, ""));
    assert_eq!(store.folders(&personal)?[0].snippet_count, 1, "only mine");
    Ok(())
}
