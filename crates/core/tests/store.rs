//! Integration tests of the local store through the public API.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::collections::HashMap;
use std::path::Path;

use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::PERSONAL;
use quickreply_core::{
    Error, NewSnippet, Rendered, SearchOptions, SnippetEdit, Store, packs, source,
};

fn text(s: &str) -> Part {
    Part::Text {
        body: s.to_string(),
    }
}

fn new(title: &str, code: Option<&str>, folder: &str, body: &str) -> NewSnippet {
    NewSnippet {
        title: title.into(),
        code: code.map(str::to_string),
        folder: folder.into(),
        parts: vec![text(body)],
        ..NewSnippet::default()
    }
}

fn png(path: &Path, w: u32, h: u32) {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 200, 90, 255]));
    img.save(path).expect("write test png");
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}

#[test]
fn add_list_edit_remove_with_folders_and_order() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal exists");
    let a = store
        .add_snippet(&lib, new("发货时间", Some("fh"), "物流", "48小时内发货"))
        .expect("add a");
    let b = store
        .add_snippet(&lib, new("快递公司", Some("kd"), "物流", "默认中通"))
        .expect("add b");
    let c = store
        .add_snippet(&lib, new("尺码推荐", None, "售前/尺码", "按平时穿的选"))
        .expect("add c");
    assert_eq!(a.folder, "物流");
    assert_eq!(c.folder, "售前/尺码");
    let titles: Vec<_> = store
        .snippets(Some(&lib))
        .expect("list")
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(titles, vec!["发货时间", "快递公司", "尺码推荐"]);
    let folders: Vec<_> = store
        .folders(&lib)
        .expect("folders")
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(folders, vec!["物流", "售前", "售前/尺码"]);

    let e = store
        .edit_snippet(
            b.id,
            SnippetEdit {
                title: Some("快递".into()),
                code: Some(None),
                ..Default::default()
            },
        )
        .expect("edit");
    assert_eq!(
        (e.title.as_str(), e.code.as_deref(), e.version),
        ("快递", None, 2)
    );

    store.remove_snippet(a.id).expect("rm");
    assert!(matches!(store.snippet(a.id), Err(Error::NoSuchSnippet(_))));
    assert!(matches!(
        store.remove_folder(&lib, "售前", false),
        Err(Error::FolderNotEmpty(_, 1))
    ));
    assert_eq!(store.remove_folder(&lib, "售前", true).expect("rm -r"), 1);
    assert_eq!(store.snippets(Some(&lib)).expect("list").len(), 1);
}

#[test]
fn codes_are_unique_per_library_and_validated() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let team = store
        .create_library("售后组", LibraryKind::Team)
        .expect("team");
    store
        .add_snippet(&lib, new("发货时间", Some("fh"), "", "x"))
        .expect("add");
    let e = store.add_snippet(&lib, new("发货说明", Some("fh"), "", "y"));
    assert!(matches!(e, Err(Error::CodeTaken { ref title, .. }) if title == "发货时间"));
    // Another library may reuse it.
    store
        .add_snippet(&team, new("发货时间", Some("fh"), "", "z"))
        .expect("team add");
    assert!(matches!(
        store.add_snippet(&lib, new("x", Some("F H"), "", "y")),
        Err(Error::InvalidCode(_))
    ));
    // Same code in two libraries: ambiguous without --library, fine with it.
    assert!(matches!(
        store.resolve(None, "fh"),
        Err(Error::AmbiguousSnippet(..))
    ));
    assert_eq!(
        store.resolve(Some(&team), "fh").expect("team fh").library,
        "售后组"
    );
    assert!(matches!(
        store.create_library("售后组", LibraryKind::Team),
        Err(Error::LibraryExists(_))
    ));
}

#[test]
fn bad_replies_are_refused_and_change_nothing() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    for bad in [
        new("", None, "", "x"),
        new("a\nb", None, "", "x"),
        new("t", None, "", "   "),
        new("t", None, "", "亲{店铺名"),
        new("t", None, "a\nb", "x"),
        NewSnippet {
            title: "t".into(),
            ..NewSnippet::default()
        },
    ] {
        assert!(store.add_snippet(&lib, bad).is_err());
    }
    // A batch with one bad reply writes none.
    let batch = vec![
        new("好的", None, "新文件夹", "x"),
        new("坏的", None, "", "}"),
    ];
    assert!(store.add_snippets(&lib, batch).is_err());
    assert!(store.snippets(None).expect("list").is_empty());
    assert!(store.folders(&lib).expect("folders").is_empty());
}

#[test]
fn a_team_value_gives_way_to_a_personal_one_only_where_the_lead_allows_it() {
    let (_d, mut store) = open();
    let personal = store.library(PERSONAL).expect("personal");
    let team = store
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    store.set_var(&team, "店铺名", "团队旗舰店").expect("set");
    store.set_var(&team, "发货时间", "48小时").expect("set");
    store.set_var(&team, "欢迎语", "您好").expect("set");
    assert!(
        store
            .set_var_overridable(&team, "发货时间", true)
            .expect("flag")
    );
    assert!(
        store
            .set_var_overridable(&team, "欢迎语", true)
            .expect("flag")
    );
    assert!(
        !store
            .set_var_overridable(&team, "没有", true)
            .expect("flag")
    );
    store.set_var(&personal, "店铺名", "我的小店").expect("set");
    store.set_var(&personal, "发货时间", "24小时").expect("set");
    let s = store
        .add_snippet(
            &team,
            new("发货", None, "", "{欢迎语}，{店铺名}{发货时间}内发货"),
        )
        .expect("add");
    let none = HashMap::new();
    assert_eq!(
        store.render(&s, &none, None).expect("render"),
        vec![Rendered::Text("您好，团队旗舰店24小时内发货".into())],
        "fixed team value, personal override, overridable team value without a personal one"
    );
    assert_eq!(
        store.overridable_vars(&team).expect("list"),
        ["发货时间".to_string(), "欢迎语".to_string()].into()
    );
    // The lead fixes it again: the team value applies.
    store
        .set_var_overridable(&team, "发货时间", false)
        .expect("flag");
    assert_eq!(
        store.render(&s, &none, None).expect("render"),
        vec![Rendered::Text("您好，团队旗舰店48小时内发货".into())]
    );
}

#[test]
fn variables_team_over_personal_and_rendering() {
    let (_d, mut store) = open();
    let personal = store.library(PERSONAL).expect("personal");
    let team = store
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    store.set_var(&personal, "客服名", "小美").expect("set");
    store.set_var(&personal, "店铺名", "我的小店").expect("set");
    store.set_var(&team, "店铺名", "团队旗舰店").expect("set");
    assert!(matches!(
        store.set_var(&team, "a b", "x"),
        Err(Error::InvalidVariableName(_))
    ));
    let s = store
        .add_snippet(
            &team,
            new(
                "欢迎",
                None,
                "",
                "{?买家昵称}您好，{店铺名}客服{客服名}为您服务",
            ),
        )
        .expect("add");
    assert_eq!(
        Store::prompts_of(&s).expect("prompts"),
        vec!["买家昵称".to_string()]
    );
    let prompts = HashMap::from([("买家昵称".to_string(), "阿花".to_string())]);
    let out = store.render(&s, &prompts, None).expect("render");
    assert_eq!(
        out,
        vec![Rendered::Text(
            "阿花您好，团队旗舰店客服小美为您服务".into()
        )]
    );
    // Personal replies see personal values.
    let p = store
        .add_snippet(&personal, new("欢迎2", None, "", "{店铺名}"))
        .expect("add");
    assert_eq!(
        store.render(&p, &prompts, None).expect("render"),
        vec![Rendered::Text("我的小店".into())]
    );
    // Unknown variables never render raw.
    let u = store
        .add_snippet(&personal, new("坏", None, "", "{不存在}"))
        .expect("add");
    assert!(store.render(&u, &prompts, None).is_err());
    // … and are named before firing: the editor's warning when such a reply is saved.
    let parts = vec![
        text("{不存在}，{店铺名}，{日期}，{日期:%m月%d日}，{?买家昵称}"),
        text("{{字面}}{客服名}{也没有}{不存在}"),
    ];
    assert_eq!(
        store
            .unknown_variables(personal.id, &parts)
            .expect("unknown"),
        vec!["不存在".to_string(), "也没有".to_string()]
    );
    assert_eq!(
        store.unknown_variables(team.id, &s.parts).expect("unknown"),
        Vec::<String>::new()
    );
    store.set_var(&personal, "不存在", "有了").expect("set");
    assert_eq!(
        store
            .unknown_variables(personal.id, &parts)
            .expect("unknown"),
        vec!["也没有".to_string()]
    );
    store.unset_var(&personal, "不存在").expect("unset");
    assert!(store.unset_var(&team, "店铺名").expect("unset"));
    assert_eq!(
        store.render(&s, &prompts, None).expect("render"),
        vec![Rendered::Text("阿花您好，我的小店客服小美为您服务".into())]
    );
}

#[test]
fn images_are_checked_deduplicated_and_rendered() {
    let (d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let img = d.path().join("card.png");
    png(&img, 40, 30);
    let part = store.add_image(&img).expect("image");
    let again = store.add_image(&img).expect("image again");
    assert_eq!(part, again);
    let Part::Image {
        sha256,
        width,
        height,
        ..
    } = &part
    else {
        panic!("not an image part")
    };
    assert_eq!((*width, *height), (40, 30));
    let s = store
        .add_snippet(
            &lib,
            NewSnippet {
                title: "尺码表".into(),
                parts: vec![text("看图"), part.clone(), text("谢谢")],
                ..Default::default()
            },
        )
        .expect("add");
    let out = store.render(&s, &HashMap::new(), None).expect("render");
    assert_eq!(out.len(), 3);
    assert!(matches!(&out[1], Rendered::Image { path, .. } if path.ends_with(sha256)));
    // A damaged blob is reported, not sent.
    std::fs::write(store.blobs().path_of(sha256), b"garbage").expect("damage");
    assert!(store.render(&s, &HashMap::new(), None).is_err());

    let not_image = d.path().join("x.png");
    std::fs::write(&not_image, "hello").expect("write");
    assert!(matches!(
        store.add_image(&not_image),
        Err(Error::BadImage { .. })
    ));
}

#[test]
fn search_ranks_title_code_pinyin_and_usage() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let ids = store
        .add_snippets(
            &lib,
            vec![
                new("发货时间", Some("fh"), "物流", "付款后48小时内发货"),
                new(
                    "退货流程",
                    Some("th"),
                    "售后",
                    "订单页申请退货，填写快递单号",
                ),
                new("换货说明", None, "售后", "换货请先申请退货再重新下单"),
                new("放心购买", None, "售前", "正品保障，假一赔三"),
            ],
        )
        .expect("add");
    let top = |q: &str, store: &Store| {
        store
            .search(q, &SearchOptions::default())
            .expect("search")
            .into_iter()
            .map(|h| store.snippet(h.key).expect("hit").title)
            .collect::<Vec<_>>()
    };
    assert_eq!(top("fh", &store)[0], "发货时间");
    assert_eq!(top("tuihuo", &store)[0], "退货流程");
    assert_eq!(top("退货", &store)[0], "退货流程");
    assert_eq!(top("huanhuo", &store), vec!["换货说明"]);
    assert_eq!(top("假一赔三", &store), vec!["放心购买"]);
    assert!(top("zzzz", &store).is_empty());
    // Usage lifts a close match: both mention 退货; fire 换货说明 often.
    let before = top("申请退货", &store);
    assert_eq!(before[0], "退货流程");
    for _ in 0..30 {
        store.record_fire(ids[2]).expect("fire");
    }
    assert_eq!(store.fires(ids[2], 30).expect("fires"), 30);
    let empty = top("", &store);
    assert_eq!(
        empty[0], "换货说明",
        "empty query lists the most used first"
    );
    // Only this library.
    let team = store
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    let hits = store
        .search(
            "发货",
            &SearchOptions {
                library: Some(team.id),
                limit: 10,
            },
        )
        .expect("search");
    assert!(hits.is_empty());
}

#[test]
fn reopening_keeps_everything_and_newer_schemas_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut store = Store::open(dir.path()).expect("open");
        let lib = store.library(PERSONAL).expect("personal");
        store
            .add_snippet(&lib, new("a", Some("a"), "f", "x"))
            .expect("add");
    }
    {
        let mut store = Store::open(dir.path()).expect("reopen");
        assert_eq!(store.snippets(None).expect("list").len(), 1);
        assert!(store.check_integrity().expect("check").is_empty());
        store
            .transaction(|tx| Ok(tx.pragma_update(None, "user_version", 99)?))
            .ok();
    }
    let store = Store::open(dir.path());
    assert!(matches!(store, Err(Error::StoreTooNew { found: 99, .. })));
}

#[test]
fn corrupt_database_file_gives_a_specific_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("quickreply.db");
    std::fs::write(&db, vec![0x42u8; 8192]).expect("write garbage");
    let e = Store::open(dir.path());
    assert!(matches!(e, Err(Error::CorruptStore { .. })), "{e:?}");
    assert_eq!(
        std::fs::read(&db).expect("read"),
        vec![0x42u8; 8192],
        "file untouched"
    );
}

/// Issue #17: a database file emptied by a full disk or a crash is not silently taken
/// for a new, empty store: the open says so, the empty file is kept aside, and the next
/// open starts afresh. An empty file that was just made (another process creating the
/// store this moment) is left to its maker.
#[test]
fn an_emptied_database_file_is_named_kept_aside_and_not_taken_for_a_new_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("quickreply.db");
    std::fs::write(&db, b"").expect("write");
    std::fs::write(dir.path().join("quickreply.db-wal"), b"stale").expect("write wal");
    let file = std::fs::File::options()
        .write(true)
        .open(&db)
        .expect("open");
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .expect("age the file");
    drop(file);
    let e = Store::open(dir.path());
    let Err(Error::EmptyStore { path, kept }) = e else {
        panic!("not an EmptyStore error: {e:?}");
    };
    assert_eq!(path, db);
    assert!(!db.exists(), "the empty file was moved aside");
    assert_eq!(std::fs::read(&kept).expect("kept").len(), 0);
    let kept_wal = std::path::PathBuf::from(format!("{}-wal", kept.display()));
    assert_eq!(std::fs::read(kept_wal).expect("kept wal"), b"stale");
    let msg = Error::EmptyStore { path, kept }.to_string();
    assert!(msg.contains("0"), "{msg}");
    // The next open starts an empty store with the personal library.
    let store = Store::open(dir.path()).expect("a new store");
    assert!(store.is_empty().expect("empty"));
    drop(store);

    // Just made by another process: not touched, and opened as the new store it is.
    let fresh = tempfile::tempdir().expect("tempdir");
    std::fs::write(fresh.path().join("quickreply.db"), b"").expect("write");
    Store::open(fresh.path()).expect("a store being created is opened");
}

#[test]
fn source_pack_imports_idempotently_and_atomically() {
    let (d, mut store) = open();
    let root = d.path().join("pack");
    std::fs::create_dir_all(root.join("images")).expect("mkdir");
    std::fs::create_dir_all(root.join("02-售后")).expect("mkdir");
    png(&root.join("images/steps.png"), 20, 20);
    std::fs::write(
        root.join("pack.toml"),
        "name = \"测试包\"\n[variables.\"店铺名\"]\ndefault = \"本店\"\n[variables.\"客服名\"]\ndefault = \"小满\"\nscope = \"personal\"\n",
    )
    .expect("toml");
    std::fs::write(
        root.join("01-物流.md"),
        "## 发货时间\ncode: fh\ntags: 几天发\n\n{店铺名}48小时内发货\n",
    )
    .expect("md");
    std::fs::write(
        root.join("02-售后/01-退货.md"),
        "## 退货步骤\n\n{客服名}教您退货：\n![步骤](images/steps.png)\n+++\n有问题再找我\n",
    )
    .expect("md");
    let pack = source::read_dir(&root).expect("read pack");
    assert_eq!(pack.snippets.len(), 2);
    let team = store
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    let r = packs::import(&mut store, &pack, &team, packs::Policy::Overwrite).expect("import");
    assert_eq!(
        (r.added, r.updated, r.unchanged, r.variables_added),
        (2, 0, 0, 2)
    );
    let r =
        packs::import(&mut store, &pack, &team, packs::Policy::Overwrite).expect("import again");
    assert_eq!(
        (r.added, r.updated, r.unchanged, r.variables_added),
        (0, 0, 2, 0)
    );
    let s = store.resolve(Some(&team), "退货步骤").expect("find");
    assert_eq!(s.folder, "售后/退货");
    assert_eq!(s.parts.len(), 3);
    let personal = store.library(PERSONAL).expect("personal");
    assert_eq!(
        store.vars(&personal).expect("vars"),
        vec![("客服名".to_string(), "小满".to_string())]
    );
    // A lead's value is never overwritten by a re-import.
    store.set_var(&team, "店铺名", "旗舰店").expect("set");
    packs::import(&mut store, &pack, &team, packs::Policy::Overwrite).expect("import 3");
    assert_eq!(
        store.vars(&team).expect("vars"),
        vec![("店铺名".to_string(), "旗舰店".to_string())]
    );
    // A changed body is an update; a broken image aborts everything.
    std::fs::write(
        root.join("01-物流.md"),
        "## 发货时间\ncode: fh\ntags: 几天发\n\n{店铺名}24小时内发货\n## 新的\n\n新内容\n",
    )
    .expect("md");
    std::fs::write(root.join("images/steps.png"), "not a png").expect("break");
    let pack = source::read_dir(&root).expect("read pack");
    assert!(packs::import(&mut store, &pack, &team, packs::Policy::Overwrite).is_err());
    assert_eq!(store.snippets(Some(&team)).expect("list").len(), 2);
    png(&root.join("images/steps.png"), 20, 20);
    let pack = source::read_dir(&root).expect("read pack");
    let r = packs::import(&mut store, &pack, &team, packs::Policy::Overwrite).expect("import 4");
    assert_eq!((r.added, r.updated, r.unchanged), (1, 1, 1));
}

#[test]
fn in_memory_index_ranks_exactly_like_the_store() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let team = store
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    let ids = store
        .add_snippets(&lib, quickreply_core::corpus::replies(3_000, 1))
        .expect("add");
    store
        .add_snippets(&team, quickreply_core::corpus::replies(500, 2))
        .expect("add");
    for _ in 0..5 {
        store.record_fire(ids[17]).expect("fire");
    }
    let index = store.search_index().expect("index");
    assert_eq!(index.len(), 3_500);
    for q in quickreply_core::corpus::QUERIES.iter().chain(&["", "c0"]) {
        for library in [None, Some(team.id)] {
            let a = store
                .search(q, &SearchOptions { library, limit: 15 })
                .expect("store search");
            let b = index.search(q, library, 15);
            assert_eq!(a, b, "query {q:?} library {library:?}");
        }
    }
    assert_eq!(index.search("", None, 1)[0].key, ids[17]);
}

#[test]
fn import_policies_for_changed_replies_and_taken_codes() {
    use quickreply_core::packs::{Policy, Status};
    use quickreply_core::source::{Origin, Pack, PackPart, PackSnippet};
    let snip = |title: &str, code: Option<&str>, body: &str| PackSnippet {
        folder: "物流".into(),
        title: title.into(),
        code: code.map(str::to_string),
        tags: vec![],
        apps: vec![],
        parts: vec![PackPart::Text {
            body: body.into(),
            origin: Origin::Library { place: "t".into() },
        }],
        origin: Origin::Library { place: "t".into() },
        starts_at: None,
        ends_at: None,
    };
    // The pack changes 发货 and brings 快递, whose code kd is taken locally by 快递说明.
    let pack = Pack {
        snippets: vec![
            snip("发货", Some("fh"), "包里的新说法"),
            snip("快递", Some("kd"), "默认中通"),
        ],
        ..Pack::default()
    };
    let setup = || {
        let (d, mut store) = open();
        let lib = store.library(PERSONAL).expect("personal");
        store
            .add_snippet(&lib, new("发货", Some("fh"), "物流", "我自己改过的说法"))
            .expect("add");
        store
            .add_snippet(&lib, new("快递说明", Some("kd"), "物流", "本地的快递说明"))
            .expect("add");
        (d, store, lib)
    };
    let state = |store: &Store| {
        store
            .snippets(None)
            .expect("list")
            .into_iter()
            .map(|s| {
                (
                    s.title,
                    s.code,
                    s.parts[0].text().unwrap_or_default().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let t =
        |a: &str, c: Option<&str>, b: &str| (a.to_string(), c.map(str::to_string), b.to_string());

    let (_d, mut store, lib) = setup();
    let items = packs::preview(&store, &pack, &lib, Policy::Skip).expect("preview");
    assert_eq!(
        items.iter().map(|i| i.status).collect::<Vec<_>>(),
        vec![Status::Changed, Status::Conflicting]
    );
    let r = packs::import(&mut store, &pack, &lib, Policy::Skip).expect("skip");
    assert_eq!((r.added, r.updated, r.kept, r.conflicts), (0, 0, 2, 1));
    assert_eq!(
        state(&store),
        vec![
            t("发货", Some("fh"), "我自己改过的说法"),
            t("快递说明", Some("kd"), "本地的快递说明")
        ]
    );

    let (_d, mut store, lib) = setup();
    let r = packs::import(&mut store, &pack, &lib, Policy::Overwrite).expect("overwrite");
    assert_eq!((r.added, r.updated, r.conflicts), (1, 1, 1));
    assert_eq!(
        state(&store),
        vec![
            t("发货", Some("fh"), "包里的新说法"),
            t("快递说明", None, "本地的快递说明"),
            t("快递", Some("kd"), "默认中通")
        ]
    );

    let (_d, mut store, lib) = setup();
    let r = packs::import(&mut store, &pack, &lib, Policy::KeepBoth).expect("keep both");
    assert_eq!((r.added, r.updated, r.conflicts), (2, 0, 1));
    assert_eq!(
        state(&store),
        vec![
            t("发货", Some("fh"), "我自己改过的说法"),
            t("快递说明", Some("kd"), "本地的快递说明"),
            t("发货（导入）", None, "包里的新说法"),
            t("快递", None, "默认中通"),
        ]
    );
    // Again: nothing new (the copy exists, 快递 is unchanged apart from its code).
    let again = packs::import(&mut store, &pack, &lib, Policy::KeepBoth).expect("again");
    assert_eq!(again.added, 0);
}

#[test]
fn reorder_moves_replies_within_and_across_folders_atomically() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let ids = store
        .add_snippets(
            &lib,
            vec![
                new("甲", None, "售前", "a"),
                new("乙", None, "售前", "b"),
                new("丙", None, "售前", "c"),
                new("丁", None, "物流", "d"),
            ],
        )
        .expect("add");
    // 丙 first, then 甲; 乙 moves to 物流 before 丁.
    store
        .reorder(&lib, "售前", &[ids[2], ids[0]])
        .expect("reorder");
    store
        .reorder(&lib, "物流", &[ids[1], ids[3]])
        .expect("move");
    let order = |store: &Store, folder: &str| -> Vec<String> {
        let mut v: Vec<_> = store
            .snippets(Some(&lib))
            .expect("list")
            .into_iter()
            .filter(|s| s.folder == folder)
            .collect();
        v.sort_by_key(|s| s.position);
        v.into_iter().map(|s| s.title).collect()
    };
    assert_eq!(order(&store, "售前"), vec!["丙", "甲"]);
    assert_eq!(order(&store, "物流"), vec!["乙", "丁"]);
    // A moved reply is a changed reply (sync sees it); a reordered one keeps its version.
    assert_eq!(store.snippet(ids[1]).expect("b").version, 2);
    assert_eq!(store.snippet(ids[2]).expect("c").version, 1);
    // An unknown id changes nothing.
    let before = order(&store, "售前");
    assert!(
        store
            .reorder(&lib, "售前", &[ids[0], uuid::Uuid::nil()])
            .is_err()
    );
    assert_eq!(order(&store, "售前"), before);
}

/// `snippets` lists a library in tree order: root replies first, then each folder as
/// `folders` lists it (a subfolder right after its parent), each folder by position.
#[test]
fn snippets_are_listed_in_tree_order_then_position() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let team = store
        .create_library("售后组", LibraryKind::Team)
        .expect("team");
    let ids = store
        .add_snippets(
            &lib,
            vec![
                new("物流一", None, "物流", "a"),
                new("根一", None, "", "b"),
                new("尺码一", None, "售前/尺码", "c"),
                new("售前一", None, "售前", "d"),
                new("物流二", None, "物流", "e"),
                new("根二", None, "", "f"),
                new("尺码二", None, "售前/尺码", "g"),
            ],
        )
        .expect("add");
    store
        .add_snippets(
            &team,
            vec![
                new("团队根", None, "", "h"),
                new("团队物流", None, "物流", "i"),
            ],
        )
        .expect("team add");
    // 物流二 before 物流一, 根二 before 根一.
    store
        .reorder(&lib, "物流", &[ids[4], ids[0]])
        .expect("reorder");
    store
        .reorder(&lib, "", &[ids[5], ids[1]])
        .expect("reorder root");
    let listed: Vec<(String, String)> = store
        .snippets(Some(&lib))
        .expect("list")
        .into_iter()
        .map(|s| (s.folder, s.title))
        .collect();
    // What `folders` and each reply's position say, worked out independently.
    let mut expected = Vec::new();
    let all = store.snippets(Some(&lib)).expect("list");
    let tree: Vec<String> = std::iter::once(String::new())
        .chain(
            store
                .folders(&lib)
                .expect("folders")
                .into_iter()
                .map(|f| f.path),
        )
        .collect();
    for folder in &tree {
        let mut here: Vec<_> = all.iter().filter(|s| &s.folder == folder).collect();
        here.sort_by_key(|s| s.position);
        expected.extend(
            here.into_iter()
                .map(|s| (s.folder.clone(), s.title.clone())),
        );
    }
    assert_eq!(listed, expected);
    let titles: Vec<&str> = listed.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "根二",
            "根一",
            "物流二",
            "物流一",
            "售前一",
            "尺码一",
            "尺码二"
        ]
    );
    // Every library: each reply once, each library's own replies in the same order.
    let every = store.snippets(None).expect("every");
    assert_eq!(every.len(), 9);
    let personal_order: Vec<String> = every
        .iter()
        .filter(|s| s.library_id == lib.id)
        .map(|s| s.title.clone())
        .collect();
    assert_eq!(personal_order, titles);
}

#[test]
fn copying_a_team_reply_to_personal_leaves_the_original_alone() {
    let (_d, mut store) = open();
    let personal = store.library(PERSONAL).expect("personal");
    let team = store
        .create_library("售后组", LibraryKind::Team)
        .expect("team");
    let orig = store
        .add_snippet(
            &team,
            new(
                "退货流程",
                Some("th"),
                "售后",
                "亲，{店铺名}支持七天无理由～",
            ),
        )
        .expect("add");
    store
        .add_snippet(&personal, new("别的", Some("th"), "", "x"))
        .expect("taken code");
    let copy = store.copy_to(orig.id, &personal).expect("copy");
    assert_eq!(
        (copy.library.as_str(), copy.folder.as_str()),
        (PERSONAL, "售后")
    );
    assert_eq!(copy.title, "退货流程");
    assert_eq!(copy.parts, orig.parts);
    assert_eq!(copy.code, None, "the personal library already uses th");
    // A second copy gets a distinct title; the team reply is unchanged.
    let again = store.copy_to(orig.id, &personal).expect("copy again");
    assert_ne!(again.title, copy.title);
    store
        .edit_snippet(
            copy.id,
            SnippetEdit {
                parts: Some(vec![text("我的版本")]),
                ..SnippetEdit::default()
            },
        )
        .expect("edit copy");
    assert_eq!(store.snippet(orig.id).expect("orig"), orig);
}

#[test]
fn reindex_follows_this_process_own_changes() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let mut index = store.search_index().expect("index");
    let s = store
        .add_snippet(
            &lib,
            new("开学季发货提醒", Some("kxj"), "物流", "付款后按顺序发出"),
        )
        .expect("add");
    assert!(index.search("kxjfh", None, 5).is_empty());
    store.reindex(&mut index, &[s.id]).expect("reindex");
    assert_eq!(
        index.search("kxjfh", None, 5).first().map(|h| h.key),
        Some(s.id)
    );
    store.remove_snippet(s.id).expect("remove");
    store.reindex(&mut index, &[s.id]).expect("reindex");
    assert!(index.search("kxjfh", None, 5).is_empty());
}

#[test]
fn pasted_image_bytes_are_checked_before_they_are_stored() {
    let (dir, store) = open();
    let bad = store.add_image_bytes(b"not an image at all", "clipboard.png");
    assert!(matches!(bad, Err(Error::BadImage { .. })), "{bad:?}");
    let png_path = dir.path().join("x.png");
    png(&png_path, 3, 2);
    let bytes = std::fs::read(&png_path).expect("read");
    let part = store
        .add_image_bytes(&bytes, "clipboard.png")
        .expect("store");
    let Part::Image {
        sha256,
        width,
        height,
        ..
    } = part
    else {
        panic!("not an image part");
    };
    assert_eq!((width, height), (3, 2));
    assert!(store.blobs().verify(&sha256));
}

#[test]
fn import_reports_progress_up_to_every_reply_written() {
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let pack = quickreply_core::builtin::pack("zh-CN")
        .expect("built-in pack")
        .expect("readable");
    let mut seen: Vec<(usize, usize)> = Vec::new();
    let report = packs::import_with_progress(
        &mut store,
        &pack,
        &lib,
        packs::Policy::KeepBoth,
        &mut |d, t| seen.push((d, t)),
    )
    .expect("import");
    let total = report.added;
    assert!(total >= 500);
    assert_eq!(seen.first(), Some(&(0, total)));
    assert_eq!(seen.last(), Some(&(total, total)));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert!(
        seen.len() > 3,
        "progress comes in steps, not only at the end"
    );
}

/// Processes that open a new (or older) store at the same moment — the app starting while
/// `qreply` runs, two commands from a script — must all open it: the one that wins the
/// write lock migrates, the others find it migrated. (Each of them used to read the
/// schema version before taking the lock and then ran the migrations again, failing with
/// "table already exists", reported as a damaged database.)
#[test]
fn stores_opened_at_the_same_moment_all_open_and_migrate_once() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tmp");
        let gate = std::sync::Arc::new(std::sync::Barrier::new(6));
        let opened: Vec<_> = (0..6)
            .map(|_| {
                let path = dir.path().to_path_buf();
                let gate = std::sync::Arc::clone(&gate);
                std::thread::spawn(move || {
                    gate.wait();
                    Store::open(&path).map(|_| ())
                })
            })
            .collect();
        for t in opened {
            t.join().expect("thread").expect("every store opens");
        }
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            store
                .libraries()
                .expect("libraries")
                .iter()
                .filter(|l| l.name == PERSONAL)
                .count(),
            1
        );
    }
}
