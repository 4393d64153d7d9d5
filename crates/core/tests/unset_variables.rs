//! Variables without a real value yet: a built-in pack's `example =` imports them unset,
//! and no render ever sends the example (issue #19, item 2).
#![allow(clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashMap;

use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Error, Library, NewSnippet, Rendered, Store, packs};

fn text(s: &str) -> Part {
    Part::Text {
        body: s.to_string(),
    }
}

fn reply(title: &str, body: &str) -> NewSnippet {
    NewSnippet {
        title: title.into(),
        parts: vec![text(body)],
        ..NewSnippet::default()
    }
}

/// A store with the built-in Chinese pack in the personal library, as the app seeds it.
fn seeded() -> (tempfile::TempDir, Store, Library) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let pack = quickreply_core::builtin::pack("zh-CN")
        .expect("a zh-CN pack")
        .expect("it reads");
    let personal = store.library(PERSONAL).expect("personal");
    packs::import(&mut store, &pack, &personal, packs::Policy::KeepBoth).expect("import");
    (dir, store, personal)
}

fn texts(parts: &[Rendered]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            Rendered::Text(t) => Some(t.as_str()),
            Rendered::Image { .. } => None,
        })
        .collect()
}

const INVENTED: [(&str, &str); 6] = [
    ("客服名", "小满"),
    ("快递公司", "中通快递"),
    ("包邮门槛", "满99元"),
    ("优惠券", "满199减20元"),
    ("活动名称", "店庆活动"),
    ("发货时间", "48小时"),
];

#[test]
fn the_built_in_pack_imports_shop_facts_unset_with_their_examples_as_hints() {
    let (_dir, store, personal) = seeded();
    let set = store.effective_vars(personal.id).expect("vars");
    let unset = store.unset_vars(personal.id).expect("unset");
    for (name, example) in INVENTED {
        assert!(!set.contains_key(name), "{name} has no value: {set:?}");
        assert_eq!(unset.get(name).map(String::as_str), Some(example), "{name}");
    }
    // Values true for every shop stay values.
    assert_eq!(set["店铺名"], "本店");
    assert_eq!(set["退换期限"], "7天");
    assert!(!unset.contains_key("店铺名"));
    // The editor still lists them, flagged.
    let listed = store.variable_list(&personal).expect("list");
    let courier = listed
        .iter()
        .find(|v| v.name == "快递公司")
        .expect("listed");
    assert!(courier.example && courier.value == "中通快递");
    // `vars` (what the CLI lists as values, what lint counts as set) leaves them out.
    assert!(
        store
            .vars(&personal)
            .expect("vars")
            .iter()
            .all(|(k, _)| k != "快递公司")
    );
}

#[test]
fn firing_a_reply_with_an_unset_variable_is_refused_by_name_and_never_sends_the_example() {
    let (_dir, mut store, personal) = seeded();
    let s = store
        .add_snippet(
            &personal,
            reply(
                "发什么快递",
                "亲，{店铺名}默认发{快递公司}，{包邮门槛}包邮哦",
            ),
        )
        .expect("add");
    let none = HashMap::new();
    let err = store.render(&s, &none, None).expect_err("refused");
    match &err {
        Error::UnsetVariables(names) => assert_eq!(names, &["快递公司", "包邮门槛"]),
        other => panic!("wrong error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("{快递公司}") && msg.contains("qreply vars set 快递公司"),
        "{msg}"
    );
    assert!(
        !msg.contains("中通快递"),
        "the example is no message: {msg}"
    );
    // Asked for, like a prompt: the answers fill them in for this fire. A blank answer
    // is no answer.
    let answers = HashMap::from([
        ("快递公司".to_string(), "顺丰".to_string()),
        ("包邮门槛".to_string(), "  ".to_string()),
    ]);
    assert!(matches!(
        store.render(&s, &answers, None),
        Err(Error::UnsetVariables(n)) if n == ["包邮门槛"]
    ));
    let answers = HashMap::from([
        ("快递公司".to_string(), "顺丰".to_string()),
        ("包邮门槛".to_string(), "满59元".to_string()),
    ]);
    let out = texts(&store.render(&s, &answers, None).expect("answered"));
    assert_eq!(out, "亲，本店默认发顺丰，满59元包邮哦");
    // The preview marks them instead of showing the example.
    let preview = texts(
        &store
            .render_preview(s.library_id, &s.parts, &none, None)
            .expect("preview"),
    );
    assert_eq!(preview, "亲，本店默认发【快递公司】，【包邮门槛】包邮哦");
    // The save-time check does not call them unknown: they are declared.
    assert_eq!(
        store
            .unknown_variables(s.library_id, &s.parts)
            .expect("unknown"),
        Vec::<String>::new()
    );
    assert_eq!(
        store.unset_used(s.library_id, &s.parts).expect("used"),
        vec![
            ("快递公司".to_string(), "中通快递".to_string()),
            ("包邮门槛".to_string(), "满99元".to_string())
        ]
    );
    // Set once (what "remember" and `qreply vars set` do), never asked again.
    store.set_var(&personal, "快递公司", "顺丰").expect("set");
    store.set_var(&personal, "包邮门槛", "满59元").expect("set");
    assert_eq!(
        texts(&store.render(&s, &none, None).expect("set now")),
        "亲，本店默认发顺丰，满59元包邮哦"
    );
    assert!(
        !store
            .variable_list(&personal)
            .expect("list")
            .iter()
            .any(|v| v.name == "快递公司" && v.example)
    );
}

#[test]
fn an_unset_row_gives_way_to_a_real_value_in_either_library() {
    let (_dir, mut store, personal) = seeded();
    let team = store
        .create_library("售后组", LibraryKind::Team)
        .expect("team");
    let pack = quickreply_core::builtin::pack("zh-CN")
        .expect("pack")
        .expect("reads");
    // A lead imports the pack into the team library: its shop facts are unset there too.
    packs::import(&mut store, &pack, &team, packs::Policy::KeepBoth).expect("import");
    assert!(
        store
            .unset_vars(team.id)
            .expect("unset")
            .contains_key("快递公司")
    );
    // The agent's own value fills a name the team has not set…
    store.set_var(&personal, "快递公司", "韵达").expect("set");
    assert_eq!(
        store.effective_vars(team.id).expect("vars")["快递公司"],
        "韵达"
    );
    // …and once the lead sets it, the team's fixed value wins again, as before.
    store.set_var(&team, "快递公司", "顺丰").expect("set");
    assert_eq!(
        store.effective_vars(team.id).expect("vars")["快递公司"],
        "顺丰"
    );
    // A team value under an unset personal row is used as is.
    store.set_var(&team, "包邮门槛", "满79元").expect("set");
    assert_eq!(
        store.effective_vars(team.id).expect("vars")["包邮门槛"],
        "满79元"
    );
    assert!(
        !store
            .unset_vars(team.id)
            .expect("unset")
            .contains_key("包邮门槛")
    );
    // In the personal library, the same name is still unset.
    assert!(
        store
            .unset_vars(personal.id)
            .expect("unset")
            .contains_key("包邮门槛")
    );
}

#[test]
fn exports_keep_an_example_an_example() {
    let (dir, store, personal) = seeded();
    let pack = packs::from_library(&store, &personal).expect("pack");
    let courier = &pack.meta.variables["快递公司"];
    assert!(courier.is_example() && courier.example == "中通快递" && courier.default.is_empty());
    let path = dir.path().join("out.qrpack");
    packs::write_qrpack(&pack, Some(store.blobs()), &path).expect("write");
    let back = packs::read_path(&path, None).expect("read");
    assert_eq!(back.pack.meta.variables["快递公司"], *courier);
    assert_eq!(back.pack.meta.variables["店铺名"].default, "本店");
}

#[test]
fn an_older_store_gets_the_invented_built_in_values_flagged_as_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let version = {
        let mut store = Store::open(dir.path()).expect("open");
        let personal = store.library(PERSONAL).expect("personal");
        let team = store
            .create_library("售后组", LibraryKind::Team)
            .expect("team");
        // What an earlier version's import left: invented facts as real values.
        store.set_var(&personal, "客服名", "小满").expect("set");
        store
            .set_var(&personal, "快递公司", "中通快递")
            .expect("set");
        store.set_var(&personal, "包邮门槛", "满59元").expect("set"); // the agent's own
        store.set_var(&team, "快递公司", "中通快递").expect("set"); // a lead's choice
        let version: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        store
            .conn()
            // The five migrations since: the example column, the search columns'
            // normalisation flag, the search cache's stamp, then campaign dates and agents' suggestions.
            .execute_batch(&format!(
                "DROP INDEX snippets_dated;
                 DROP INDEX folders_dated;
                 ALTER TABLE snippets DROP COLUMN starts_at;
                 ALTER TABLE snippets DROP COLUMN ends_at;
                 ALTER TABLE folders DROP COLUMN starts_at;
                 ALTER TABLE folders DROP COLUMN ends_at;
                 DROP TABLE sync_suggestions;
                 DROP TRIGGER search_stamp_insert;
                 DROP TRIGGER search_stamp_update;
                 DROP TRIGGER search_stamp_delete;
                 DROP TABLE search_stamp;
                 ALTER TABLE variables DROP COLUMN example;
                 ALTER TABLE snippets DROP COLUMN search_fold;
                 DROP TABLE search_columns_version;
                 PRAGMA user_version = {};",
                version - 5
            ))
            .expect("back to the schema before the example column");
        version
    };
    let store = Store::open(dir.path()).expect("migrated");
    let v: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(v, version);
    let personal = store.library(PERSONAL).expect("personal");
    let team = store.library("售后组").expect("team");
    let unset = store.unset_vars(personal.id).expect("unset");
    assert!(unset.contains_key("客服名") && unset.contains_key("快递公司"));
    assert_eq!(
        store.effective_vars(personal.id).expect("vars")["包邮门槛"],
        "满59元"
    );
    // A team library's values are its lead's: left alone.
    assert_eq!(store.vars(&team).expect("vars")[0].1, "中通快递");
}
