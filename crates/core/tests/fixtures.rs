//! Real-world-shaped files of every supported format (`tests/fixtures/`, written for
//! these tests) import with the replies, placeholders and skip reasons a user expects.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::path::PathBuf;

use quickreply_core::packs::{self, Format, Policy};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Rendered, Store};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// Import a fixture into a fresh store; returns (titles, reasons skipped, store).
fn import(
    name: &str,
    format: Option<Format>,
) -> (Vec<String>, Vec<String>, Store, tempfile::TempDir) {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let read = packs::read_path(&fixture(name), format).expect("read fixture");
    packs::import(&mut store, &read.pack, &lib, Policy::KeepBoth).expect("import");
    let titles = store
        .snippets(None)
        .expect("list")
        .into_iter()
        .map(|s| s.title)
        .collect();
    let skipped = read
        .skipped
        .iter()
        .map(|s| format!("{} {}", s.origin, s.reason))
        .collect();
    (titles, skipped, store, dir)
}

fn body(store: &Store, title: &str) -> String {
    let s = store.resolve(None, title).expect("reply");
    s.parts
        .iter()
        .filter_map(|p| p.text())
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn excel_csv_in_gb18030_with_crlf() {
    let (titles, skipped, store, _d) = import("店铺话术-Excel导出.csv", None);
    assert_eq!(
        titles,
        vec![
            "在的亲",
            "尺码怎么选",
            "发货时间",
            "快递一般3-5天到，偏远地区会慢",
            "破损补发"
        ]
    );
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].ends_with("店铺话术-Excel导出.csv:7 empty content"),
        "{skipped:?}"
    );
    assert_eq!(
        body(&store, "尺码怎么选"),
        "亲，按平时穿的尺码选就可以，\n身高体重发我帮您推荐～"
    );
    assert_eq!(
        store.resolve(None, "fh").expect("code lowercased").title,
        "发货时间"
    );
    let tags = store.resolve(None, "尺码怎么选").expect("reply").tags;
    assert_eq!(tags, vec!["备注:常用"]);
}

#[test]
fn xlsx_with_numbers_and_a_formula_cell() {
    let (titles, skipped, store, _d) = import("售后话术.xlsx", None);
    assert_eq!(titles, vec!["安抚", "补发"]);
    assert_eq!(
        store.resolve(None, "123").expect("numeric code").title,
        "补发"
    );
    assert_eq!(
        store.resolve(None, "安抚").expect("reply").tags,
        vec!["生气", "投诉"]
    );
    // The formula cell has no text value: listed, not dropped silently.
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0].contains("售后话术.xlsx:5"), "{skipped:?}");
}

#[test]
fn espanso_match_file_and_package() {
    let (titles, skipped, store, _d) = import("espanso/match/base.yml", None);
    assert_eq!(
        titles,
        vec![
            "在的亲，请问有什么可以帮您",
            "今天日期",
            "您的单号：{剪贴板}"
        ]
    );
    assert_eq!(body(&store, "今天日期"), "今天是 {日期}");
    assert_eq!(
        store.resolve(None, "dh").expect("code").tags,
        vec![":danhao"]
    );
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped.iter().any(|s| s.contains("shell")) && skipped.iter().any(|s| s.contains("regex"))
    );
    let rendered = store
        .render(
            &store.resolve(None, "dh").expect("code"),
            &Default::default(),
            Some(&|| Some("SF1234".to_string())),
        )
        .expect("render");
    assert_eq!(rendered, vec![Rendered::Text("您的单号：SF1234".into())]);

    let (titles, _, store, _d) = import("espanso/packages/shop-replies", None);
    assert_eq!(
        titles,
        vec!["In-stock orders ship within 2 business…", "Returns"]
    );
    assert_eq!(
        store.resolve(None, "ship").expect("code").folder,
        "Shop replies"
    );
}

#[test]
fn raycast_alfred_textexpander_and_plain_text() {
    let (titles, skipped, store, _d) = import("raycast-snippets.json", None);
    assert_eq!(titles, vec!["Order status", "Greeting", "Sign-off"]);
    assert_eq!(
        body(&store, "Greeting"),
        "Hello {?name}, how can I help today?"
    );
    assert_eq!(body(&store, "os"), "Hi! Your order {剪贴板} is on its way.");
    // {cursor} at the end is removed without a note (nothing was to be typed there).
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(body(&store, "Sign-off"), "Thanks for reaching out!");

    let (titles, _, store, _d) = import("客服短语.alfredsnippets", None);
    assert_eq!(titles, vec!["单号", "在吗"]);
    assert_eq!(body(&store, "dh"), "亲，您的快递单号是 {剪贴板}");

    let (titles, skipped, _, _d) = import("textexpander.csv", Some(Format::TextExpander));
    assert_eq!(titles, vec!["Thank you", "Confirm address"]);
    assert!(
        skipped.len() == 1 && skipped[0].contains("fill-ins"),
        "{skipped:?}"
    );

    let (titles, _, store, _d) = import("常用回复.txt", None);
    assert_eq!(titles, vec!["欢迎语", "稍等", "感谢您的耐心等待"]);
    assert_eq!(
        body(&store, "感谢您的耐心等待"),
        "感谢您的耐心等待，\n已经帮您确认好了～"
    );
}
