//! Issue #18 item 2, "preview said yes, import said no": the preview and the import run
//! one plan with the store's own checks, so every reply, folder or variable the store
//! would refuse is already a skipped line of the preview, the import reports exactly the
//! preview's lines, skips those lines and writes the rest in one transaction, and a
//! preview that succeeds never leads to a refused import.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::collections::BTreeMap;

use proptest::prelude::*;
use quickreply_core::packs::{self, Policy, Status};
use quickreply_core::proto::Part;
use quickreply_core::source::{
    ImageRef, Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet, VarDef,
};
use quickreply_core::store::PERSONAL;
use quickreply_core::{NewSnippet, Store};

fn origin(line: usize) -> Origin {
    Origin::File {
        path: "话术.csv".into(),
        line,
    }
}

fn text(line: usize, body: &str) -> PackPart {
    PackPart::Text {
        body: body.into(),
        origin: origin(line),
    }
}

fn reply(
    line: usize,
    folder: &str,
    title: &str,
    code: Option<&str>,
    parts: Vec<PackPart>,
) -> PackSnippet {
    PackSnippet {
        folder: folder.into(),
        title: title.into(),
        code: code.map(str::to_string),
        tags: Vec::new(),
        apps: Vec::new(),
        parts,
        origin: origin(line),
        starts_at: None,
        ends_at: None,
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    (dir, store)
}

/// One pack with every kind of problem the store refuses, next to good replies.
fn troubled_pack() -> Pack {
    let long = "长".repeat(230);
    Pack {
        meta: PackMeta {
            name: "问题包".into(),
            variables: BTreeMap::from([
                (
                    "店铺名".to_string(),
                    VarDef {
                        default: "小满的店".into(),
                        ..VarDef::default()
                    },
                ),
                (
                    "店 铺".to_string(),
                    VarDef {
                        default: "空格不行".into(),
                        ..VarDef::default()
                    },
                ),
            ]),
            ..PackMeta::default()
        },
        folders: vec![
            PackFolder {
                path: "售前".into(),
                origin: origin(1),
                starts_at: None,
                ends_at: None,
            },
            PackFolder {
                path: format!("售后/{long}"),
                origin: origin(1),
                starts_at: None,
                ends_at: None,
            },
        ],
        snippets: vec![
            reply(
                2,
                "售前",
                "发货时间",
                Some("fh"),
                vec![text(2, "亲，{店铺名}48小时内发货")],
            ),
            reply(3, "", &long, None, vec![text(3, "标题太长")]),
            reply(4, "", "两行\n标题", None, vec![text(4, "标题有换行")]),
            reply(5, "", "  ", None, vec![text(5, "没有标题")]),
            reply(6, "", "没有内容", None, Vec::new()),
            reply(
                7,
                "",
                "空段落",
                None,
                vec![text(7, "第一段"), text(7, "  \n ")],
            ),
            reply(8, "", "花括号", None, vec![text(8, "满200减{20")]),
            reply(9, "", "太大", None, vec![text(9, &"亲".repeat(400_000))]),
            reply(
                10,
                "物流\n快递",
                "文件夹换行",
                None,
                vec![text(10, "文件夹名有换行")],
            ),
            reply(
                11,
                &format!("售后/{long}"),
                "文件夹太长",
                None,
                vec![text(11, "文件夹名太长")],
            ),
            reply(
                12,
                "",
                "编码不合规",
                Some("/FH!"),
                vec![text(12, "编码丢掉，话术照样导入")],
            ),
            reply(
                13,
                "",
                "退货",
                Some("th"),
                vec![text(13, "退货请点申请售后")],
            ),
        ],
    }
}

#[test]
fn every_problem_is_a_preview_line_and_the_import_reports_the_same_lines() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let pack = troubled_pack();
    for policy in [Policy::KeepBoth, Policy::Overwrite, Policy::Skip] {
        let (_d, mut store) = open();
        let lib = store.library(PERSONAL).expect("personal");
        let preview = packs::preview(&store, &pack, &lib, policy).expect("preview");
        let line = |n: usize| -> Vec<&packs::PlanItem> {
            preview
                .iter()
                .filter(|i| i.origin.to_string() == format!("话术.csv:{n}"))
                .collect()
        };
        let skipped_because = |n: usize, why: &str| {
            let items = line(n);
            assert_eq!(items.len(), 1, "line {n}: {preview:#?}");
            assert_eq!(items[0].status, Status::Skipped, "line {n}: {:?}", items[0]);
            let note = items[0].note.as_deref().unwrap_or_default();
            assert!(note.contains(why), "line {n}: {note}");
        };
        skipped_because(3, "at most 200 characters, this one has 230");
        skipped_because(4, "line break");
        skipped_because(5, "must not be empty");
        skipped_because(6, "must not be empty");
        skipped_because(7, "must not be empty");
        skipped_because(8, "never closed");
        skipped_because(9, "over the sync limit");
        skipped_because(10, "line break");
        skipped_because(11, "at most 200 characters");
        // The pack's folder list (line 1) holds one good and one refused folder.
        let folders: Vec<_> = line(1);
        assert_eq!(folders.len(), 1, "{preview:#?}");
        assert_eq!(folders[0].status, Status::Skipped);
        let var = preview
            .iter()
            .find(|i| i.origin.to_string().contains("{店 铺}"))
            .expect("the refused variable is a line");
        assert_eq!(var.status, Status::Skipped);
        assert!(
            var.note
                .as_deref()
                .unwrap_or_default()
                .contains("invalid variable name"),
            "{var:?}"
        );
        // Imported replies keep their notes (a code that cannot be kept).
        assert_eq!(line(12)[0].status, Status::New);
        assert!(
            line(12)[0]
                .note
                .as_deref()
                .unwrap_or_default()
                .contains("invalid")
        );
        assert_eq!(line(2)[0].status, Status::New);

        let report = packs::import(&mut store, &pack, &lib, policy).expect("import is not refused");
        assert_eq!(
            report.items, preview,
            "{policy:?}: the import's lines are the preview's"
        );
        assert_eq!(report.skipped, 11, "{report:?}");
        assert_eq!(report.added, 3, "{report:?}");
        assert_eq!(report.variables_added, 1, "{report:?}");
        let mut titles: Vec<String> = store
            .snippets(Some(&lib))
            .expect("list")
            .into_iter()
            .map(|s| s.title)
            .collect();
        titles.sort();
        assert_eq!(titles, ["发货时间", "编码不合规", "退货"]);
        let folders: Vec<String> = store
            .folders(&lib)
            .expect("folders")
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert_eq!(folders, ["售前"], "the refused folder was not created");
        // Importing again: the good replies are unchanged, the bad lines the same.
        let again = packs::import(&mut store, &pack, &lib, policy).expect("again");
        assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
        assert_eq!(
            again.items,
            packs::preview(&store, &pack, &lib, policy).expect("preview")
        );
    }
}

/// A reply kept beside the library's (keep-both) gets "… (imported)": a title near the
/// limit is cut so that the copy's title still fits, instead of refusing the import.
#[test]
fn a_keep_both_copy_of_a_long_title_fits_the_limit() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let title = format!(
        "{}and then some more",
        "Delivery details for orders. ".repeat(6)
    );
    let room = 200 - " (imported)".chars().count();
    assert!((room + 1..=200).contains(&title.chars().count()));
    store
        .add_snippet(
            &lib,
            NewSnippet {
                title: title.clone(),
                parts: vec![Part::Text {
                    body: "old text".into(),
                }],
                ..NewSnippet::default()
            },
        )
        .expect("add");
    let pack = Pack {
        snippets: vec![reply(2, "", &title, None, vec![text(2, "new text")])],
        ..Pack::default()
    };
    let preview = packs::preview(&store, &pack, &lib, Policy::KeepBoth).expect("preview");
    assert_eq!(preview[0].status, Status::Changed);
    let report = packs::import(&mut store, &pack, &lib, Policy::KeepBoth).expect("import");
    assert_eq!(report.items, preview);
    assert_eq!(report.added, 1);
    let copy = store
        .snippets(Some(&lib))
        .expect("list")
        .into_iter()
        .find(|s| s.title.ends_with(" (imported)"))
        .expect("the copy");
    assert!(copy.title.chars().count() <= 200, "{}", copy.title);
    assert!(
        copy.title.starts_with("Delivery details for orders."),
        "{}",
        copy.title
    );
    assert!(
        preview[0]
            .note
            .as_deref()
            .unwrap_or_default()
            .contains(&copy.title),
        "the preview names the copy's title: {preview:?}"
    );
}

/// A broken image is refused for the whole file, by the preview and the import alike,
/// with the same message (an archive with a broken image is a damaged archive).
#[test]
fn a_broken_image_refuses_preview_and_import_with_the_same_message() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let (_d, mut store) = open();
    let lib = store.library(PERSONAL).expect("personal");
    let pack = Pack {
        snippets: vec![
            reply(2, "", "好的", None, vec![text(2, "没问题")]),
            reply(
                3,
                "",
                "尺码图",
                None,
                vec![PackPart::Image {
                    image: ImageRef::Bytes {
                        name: "images/size.png".into(),
                        data: b"not a png".to_vec().into(),
                    },
                    origin: origin(3),
                }],
            ),
        ],
        ..Pack::default()
    };
    let p = packs::preview(&store, &pack, &lib, Policy::KeepBoth).expect_err("preview refuses");
    let i = packs::import(&mut store, &pack, &lib, Policy::KeepBoth).expect_err("import refuses");
    assert_eq!(p.to_string(), i.to_string());
    assert!(p.to_string().contains("images/size.png"), "{p}");
    assert!(store.snippets(None).expect("list").is_empty());
}

// ----- property: random small packs with random bad fields ----------------------------

fn title() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[发货退货尺码优惠][a-z]{0,3}".prop_map(|s| s),
        1 => Just("长".repeat(201)),
        1 => Just("两行\n标题".to_string()),
        1 => Just(" ".to_string()),
        1 => Just(String::new()),
    ]
}

fn folder() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(String::new()),
        3 => Just("售前".to_string()),
        1 => Just("售后/退换".to_string()),
        1 => Just("物流\n快递".to_string()),
        1 => Just(format!("售后/{}", "夹".repeat(201))),
    ]
}

fn code() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        2 => Just(Some("fh".to_string())),
        2 => "[a-z]{1,3}".prop_map(Some),
        1 => Just(Some("/FH!".to_string())),
        1 => Just(Some("x".repeat(17))),
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "亲[，。a-z0-9]{0,12}".prop_map(|s| s),
        1 => Just("{店铺名}欢迎您".to_string()),
        1 => Just("满200减{20".to_string()),
        1 => Just("多余的}".to_string()),
        1 => Just(" \n ".to_string()),
        1 => Just("{}".to_string()),
    ]
}

fn snippet(line: usize) -> impl Strategy<Value = PackSnippet> {
    (
        folder(),
        title(),
        code(),
        prop::collection::vec(body(), 0..3),
    )
        .prop_map(move |(folder, title, code, bodies)| PackSnippet {
            folder,
            title,
            code,
            tags: Vec::new(),
            apps: Vec::new(),
            parts: bodies.iter().map(|b| text(line, b)).collect(),
            origin: origin(line),
            starts_at: None,
            ends_at: None,
        })
}

fn pack() -> impl Strategy<Value = Pack> {
    (
        prop::collection::vec(any::<u8>(), 1..8),
        prop::collection::vec(folder(), 0..3),
        prop::collection::vec(
            prop_oneof![Just("店铺名"), Just("店 铺"), Just("?问"), Just("发货时间")],
            0..3,
        ),
    )
        .prop_flat_map(|(n, folders, vars)| {
            let snippets: Vec<_> = (0..n.len()).map(|i| snippet(i + 2)).collect();
            (snippets, Just(folders), Just(vars))
        })
        .prop_map(|(snippets, folders, vars)| Pack {
            meta: PackMeta {
                name: "随机".into(),
                variables: vars
                    .into_iter()
                    .map(|v| {
                        (
                            v.to_string(),
                            VarDef {
                                default: "值".into(),
                                ..VarDef::default()
                            },
                        )
                    })
                    .collect(),
                ..PackMeta::default()
            },
            folders: folders
                .into_iter()
                .map(|path| PackFolder {
                    path,
                    origin: origin(1),
                    starts_at: None,
                    ends_at: None,
                })
                .collect(),
            snippets,
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::KeepBoth),
        Just(Policy::Overwrite),
        Just(Policy::Skip)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever a pack holds, into an empty library or one that already has replies
    /// with the same titles and codes: when the preview succeeds the import succeeds,
    /// reports exactly the preview's lines, and writes what they say.
    #[test]
    fn a_preview_that_succeeds_never_leads_to_a_refused_import(
        pack in pack(),
        policy in policy(),
        populated in any::<bool>(),
    ) {
        let (_d, mut store) = open();
        let lib = store.library(PERSONAL).expect("personal");
        if populated {
            for (title, code, folder) in [("发货", Some("fh"), ""), ("退货", None, "售前")] {
                store
                    .add_snippet(&lib, NewSnippet {
                        title: title.into(),
                        code: code.map(str::to_string),
                        folder: folder.into(),
                        parts: vec![Part::Text { body: "库里原有的".into() }],
                        ..NewSnippet::default()
                    })
                    .expect("add");
            }
        }
        let before = store.snippets(Some(&lib)).expect("list").len();
        let preview = packs::preview(&store, &pack, &lib, policy);
        let report = packs::import(&mut store, &pack, &lib, policy);
        let (preview, report) = match (preview, report) {
            (Ok(p), Ok(r)) => (p, r),
            (p, r) => {
                prop_assert!(false, "preview {p:?} but import {r:?}");
                unreachable!()
            }
        };
        prop_assert_eq!(&report.items, &preview);
        prop_assert_eq!(preview.len() >= pack.snippets.len(), true);
        let new = preview.iter().filter(|i| i.status == Status::New).count();
        let skipped = preview.iter().filter(|i| i.status == Status::Skipped).count();
        prop_assert_eq!(report.skipped, skipped);
        let after = store.snippets(Some(&lib)).expect("list").len();
        prop_assert_eq!(after - before, report.added);
        // Every new line is a written reply (keep-both copies of changed ones on top).
        prop_assert!(report.added >= new, "{report:?}");
        for i in preview.iter().filter(|i| i.status == Status::Skipped) {
            prop_assert!(i.note.is_some(), "a skipped line says why: {i:?}");
        }
    }
}
