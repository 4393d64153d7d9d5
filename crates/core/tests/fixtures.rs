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
            "快递一般3-5天到，偏远地区会慢一些",
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
        vec![":dh", ":danhao"],
        "every trigger as espanso had it stays searchable"
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

/// Qianniu's own quick-phrase export (`千牛快捷短语-导出.csv`, GB18030 with CRLF, header
/// `快捷短语编码,快捷短语,快捷短语分组`; the layout tools that read Qianniu exports check
/// for, e.g. `QnShortcutImporter.IsFileType` on GitHub): code, phrase, group. Issue #18
/// item 1: the header is not a reply, the phrase is the text (over several lines, with
/// quotes), its title comes from the text, `/fh` becomes the code `fh` and stays a tag,
/// `未分组` and empty groups are the top level; a code that cannot be kept or is taken
/// costs the reply its code, never the file its import (item 3).
#[test]
fn qianniu_quick_phrase_export_csv() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let read = packs::read_path(&fixture("千牛快捷短语-导出.csv"), None).expect("read");
    let notes: Vec<String> = read
        .skipped
        .iter()
        .map(|s| format!("{} {}", s.origin, s.reason))
        .collect();
    // `/发货` cannot be a code: a note on its line, the reply is still imported.
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("千牛快捷短语-导出.csv:7")
            && notes[0].contains("\"/发货\" cannot be a shortcut code"),
        "{notes:?}"
    );
    let (titles, _, store, _d) = import("千牛快捷短语-导出.csv", None);
    assert_eq!(titles.len(), 6, "{titles:?}");
    assert!(!titles.iter().any(|t| t.contains("快捷短语")), "{titles:?}");
    let fh = store.resolve(None, "fh").expect("code fh");
    assert_eq!(fh.folder, "物流");
    assert_eq!(fh.tags, vec!["/fh"]);
    assert_eq!(
        body(&store, "fh"),
        "亲，现货付款后48小时内发出，\n急单请在订单里留言备注哦～"
    );
    assert!(!fh.title.contains('\n'), "{}", fh.title);
    assert_eq!(
        body(&store, "kd"),
        "默认发中通快递，需要顺丰请补差价，谢谢亲\"理解\"！"
    );
    assert_eq!(store.resolve(None, "th").expect("th").folder, "售后");
    let all = store.snippets(None).expect("list");
    let top: Vec<&str> = all
        .iter()
        .filter(|s| s.folder.is_empty())
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(
        top.len(),
        2,
        "no group and 未分组 are the top level: {top:?}"
    );
    let cui = all
        .iter()
        .find(|s| s.tags == vec!["/发货"])
        .expect("/发货 kept as a tag");
    assert_eq!(cui.code, None);
    // `/FH` folds to `fh`, which the first row holds: imported without a code.
    let presale = all
        .iter()
        .find(|s| s.parts[0].text().is_some_and(|t| t.contains("预售")))
        .expect("the /FH reply");
    assert_eq!(presale.code, None);
    assert_eq!(presale.folder, "售后");
}

/// The same export as XLSX, with the header spelling `快捷编码,快捷短语,快捷短语分组` other
/// Qianniu versions (and tools that mimic them, e.g. `QuickPhraseController` on GitHub)
/// write, a sheet named 默认表单, inline strings, a full-width `；` sigil.
#[test]
fn qianniu_quick_phrase_export_xlsx() {
    let (titles, skipped, store, _d) = import("千牛快捷短语-导出.xlsx", None);
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert_eq!(
        body(&store, "dd"),
        "亲，您的订单已经打包好了，\n今天下午由快递揽收。"
    );
    assert_eq!(store.resolve(None, "dd").expect("dd").folder, "物流");
    assert_eq!(store.resolve(None, "xh").expect("xh").folder, "");
    let yh = store.resolve(None, "yh").expect("full-width sigil");
    assert_eq!(yh.folder, "售前/优惠");
    assert_eq!(yh.tags, vec!["；yh"]);
}

/// TextExpander CSV whose quoted fields escape quotes with a backslash (`\"`), no header
/// (item 7): read without `--format`, quotes come back as quotes, abbreviations like
/// `;hello` become codes (the original kept as a tag), the cursor `%|` is removed and a
/// date format becomes a prompt with a note.
#[test]
fn textexpander_csv_with_backslash_escapes_detected_by_content() {
    let (titles, skipped, store, _d) = import("textexpander-backslash.csv", None);
    assert_eq!(titles, vec!["Greeting", "Tracking", "Returns", "Ship date"]);
    assert_eq!(
        body(&store, "track"),
        "Your order is marked \"shipped\"; tracking number: {剪贴板}"
    );
    assert_eq!(
        body(&store, "ret"),
        "Returns: reply \"RETURN\" and we email a prepaid label."
    );
    assert_eq!(
        body(&store, "shipdate"),
        "Shipped on {?日期 %Y-%m-%d}, arriving in 3-5 days."
    );
    assert_eq!(
        store.resolve(None, "hello").expect("code").tags,
        vec![";hello"]
    );
    assert!(
        skipped.len() == 1 && skipped[0].contains("%Y-%m-%d"),
        "{skipped:?}"
    );
    // The older fixture (no backslashes, one `;`) is recognised by content too.
    let (titles, _, _, _d) = import("textexpander.csv", None);
    assert_eq!(titles, vec!["Thank you", "Confirm address"]);
}

/// A `.textexpander` group ("Save a Copy of Group": an XML property list with
/// `groupInfo`/`groupName` and `snippetsTE2`, the layout `textexpander-to-alfred3` and
/// other converters read): the group is the folder, plain and formatted snippets come in
/// (formatting noted), a script snippet is listed as not convertible.
#[test]
fn textexpander_plist_group() {
    let (titles, skipped, store, _d) = import("客服常用.textexpander", None);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert_eq!(titles[0], "快递单号");
    assert!(titles[1].starts_with("感谢亲的五星好评"), "{titles:?}");
    assert_eq!(
        body(&store, "dh"),
        "亲，您的快递单号是 {剪贴板} ，可以在淘宝物流里查看哦"
    );
    let dh = store.resolve(None, "dh").expect("dh");
    assert_eq!(dh.folder, "客服常用");
    assert_eq!(dh.tags, vec![";dh"]);
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped.iter().any(|s| s.contains("formatting")),
        "{skipped:?}"
    );
    assert!(skipped.iter().any(|s| s.contains("script")), "{skipped:?}");
}
