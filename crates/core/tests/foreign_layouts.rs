//! Other tools' files in their real layouts (`tests/fixtures/`, see its README): an
//! espanso config folder and multi-file packages, Raycast dates and cursors, Alfred
//! collections without `info.plist` and as folders. Each imports with the replies a
//! user expects, a second import of the same file changes nothing, and a file with
//! nothing to import is an error naming it.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::path::{Path, PathBuf};

use quickreply_core::packs::{self, Policy};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Rendered, Store};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

struct Imported {
    store: Store,
    read: packs::ReadPack,
    _dir: tempfile::TempDir,
}

fn import(path: &Path) -> Imported {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let read = packs::read_path(path, None).expect("read fixture");
    packs::import(&mut store, &read.pack, &lib, Policy::KeepBoth).expect("import");
    Imported {
        store,
        read,
        _dir: dir,
    }
}

impl Imported {
    /// (folder, body) of every reply, sorted.
    fn replies(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .store
            .snippets(None)
            .expect("list")
            .into_iter()
            .map(|s| {
                let body = s
                    .parts
                    .iter()
                    .filter_map(|p| p.text())
                    .collect::<Vec<_>>()
                    .join("|");
                (s.folder, body)
            })
            .collect();
        v.sort();
        v
    }

    fn body(&self, code: &str) -> String {
        let s = self.store.resolve(None, code).expect("reply");
        s.parts
            .iter()
            .filter_map(|p| p.text())
            .collect::<Vec<_>>()
            .join("|")
    }

    fn notes(&self) -> Vec<String> {
        self.read
            .skipped
            .iter()
            .map(|s| format!("{} {}", s.origin, s.reason))
            .collect()
    }
}

#[test]
fn espanso_config_folder_loads_every_match_file_like_espanso() {
    let i = import(&fixture("espanso-config"));
    let replies = i.replies();
    let folders: Vec<&str> = replies.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(replies.len(), 9, "{replies:#?}");
    // Files starting with _ are read only when imported.
    assert!(
        !replies.iter().any(|(_, b)| b.contains("手机端")),
        "{replies:#?}"
    );
    assert_eq!(i.body("xx"), "感谢您的耐心等待，祝您生活愉快！");
    // Folders: one per file, a package's by its manifest title, sub-folders kept.
    for f in ["base", "售后", "work/物流", "电商常用语"] {
        assert!(folders.contains(&f), "{f}: {folders:?}");
    }
    assert_eq!(i.store.resolve(None, "xx").expect("xx").folder, "售后");
    // global_vars of base.yml apply in 售后.yml: {{clipb}} is the clipboard.
    assert_eq!(
        i.body("th"),
        "亲，退货单号 {剪贴板} 已收到，我们会在 1-3 个工作日内处理退款。"
    );
    let th = i.store.resolve(None, "th").expect("th");
    let sent = i
        .store
        .render(
            &th,
            &Default::default(),
            Some(&|| Some("YT123".to_string())),
        )
        .expect("render");
    assert_eq!(
        sent,
        vec![Rendered::Text(
            "亲，退货单号 YT123 已收到，我们会在 1-3 个工作日内处理退款。".into()
        )]
    );
    // An echo global is its text; the cursor hint never stays in a body.
    assert_eq!(
        i.body("zdq"),
        "在的亲，欢迎光临小满家居，请问有什么可以帮您？"
    );
    assert!(!replies.iter().any(|(_, b)| b.contains("$|$")));
    // Dates keep their format: %d.%m.%Y, and tomorrow (offset 86400) with its own.
    assert_eq!(
        i.body("fhrq"),
        "亲，您的包裹已于 {日期:%d.%m.%Y} 发出，请留意物流信息。"
    );
    assert_eq!(
        i.body("mt"),
        "明天（{明天:%m月%d日}）下午 5 点前付款，当天发货。"
    );
    // The one cursor with text after it is noted, nothing else.
    let notes = i.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("售后.yml") && notes[0].contains("$|$"),
        "{notes:?}"
    );
    // The match folder itself reads the same.
    assert_eq!(import(&fixture("espanso-config/match")).replies(), replies);
}

#[test]
fn multi_file_espanso_package_and_its_global_vars() {
    let i = import(&fixture("espanso/packages/shop-multi"));
    assert_eq!(
        i.replies(),
        vec![
            (
                "多文件话术包".to_string(),
                "今天是 {日期:%Y年%m月%d日 %H:%M}".to_string()
            ),
            (
                "多文件话术包".to_string(),
                "您好，我是客服小满，很高兴为您服务。".to_string()
            ),
            (
                "多文件话术包".to_string(),
                "退款已原路退回，小满提醒您 1-3 个工作日到账。".to_string()
            ),
        ]
    );
    assert!(i.notes().is_empty(), "{:?}", i.notes());
}

#[test]
fn raycast_dates_keep_their_format_and_cursor_never_stays() {
    let i = import(&fixture("raycast-dates.json"));
    assert_eq!(
        i.body("fhsj"),
        "亲，您的订单已于 {日期:%Y-%m-%d, %H:%M} 发出"
    );
    assert_eq!(
        i.body("jt"),
        "今天{星期}，现在是 {日期} {时间}。有问题随时找我们！"
    );
    assert_eq!(
        i.body("cf"),
        "亲，您的订单还没付款，{明天:%-m月%-d日} 前付款可以赶上发货哦"
    );
    // A week number has no strftime-free equivalent here: a prompt, with a note.
    assert_eq!(i.body("zs"), "第 {?date format=\"ww\"} 周的活动");
    let notes = i.notes();
    // {day}, {datetime} (locale formats), the cursor before text, the week number.
    assert_eq!(notes.len(), 4, "{notes:#?}");
    // The untitled one got a readable title from its text.
    assert_eq!(
        i.store.resolve(None, "jt").expect("jt").title,
        "今天{星期}，现在是 {日期} {时间}"
    );
}

#[test]
fn alfred_collections_without_info_plist_and_as_folders() {
    // Detected from the content (no info.plist, no --format), old key, `\AA …` entry.
    let i = import(&fixture("alfred/旧版短语.alfredsnippets"));
    assert_eq!(
        i.replies(),
        vec![
            (
                "旧版短语".to_string(),
                "亲，今天 {日期} 已发货，单号 {剪贴板}".to_string()
            ),
            (
                "旧版短语".to_string(),
                "在的亲，请问有什么可以帮您？".to_string()
            ),
        ]
    );
    assert_eq!(
        i.notes().len(),
        1,
        "{{date:short}} is noted: {:?}",
        i.notes()
    );
    // A collection folder: its name is the folder, the keyword as typed is a tag.
    let i = import(&fixture("alfred/售前话术"));
    let cm = i.store.resolve(None, "cm").expect("cm");
    assert_eq!(cm.folder, "售前话术");
    assert_eq!(cm.tags, vec![";cm"]);
    assert_eq!(
        i.body("by"),
        "全场满 99 包邮（偏远地区除外），下单时间 {日期:%Y-%m-%d, %H:%M}"
    );
    // Alfred's snippets/ folder (a folder of collection folders) reads each of them.
    assert_eq!(import(&fixture("alfred")).replies().len(), 2);
}

#[test]
fn importing_any_fixture_twice_changes_nothing() {
    let mut files = vec![
        fixture("espanso-config"),
        fixture("espanso/packages/shop-multi"),
        fixture("espanso/packages/shop-replies"),
        fixture("alfred"),
    ];
    for e in std::fs::read_dir(fixture("")).expect("fixtures") {
        let p = e.expect("entry").path();
        if p.is_file() && p.extension().is_some_and(|x| x != "md") {
            files.push(p);
        }
    }
    files.push(fixture("espanso/match/base.yml"));
    files.push(fixture("alfred/旧版短语.alfredsnippets"));
    let mut failures = Vec::new();
    for f in &files {
        let mut i = import(f);
        let lib = i.store.library(PERSONAL).expect("personal");
        let n = i.read.pack.snippets.len();
        // A note is a remark on a reply that was imported; a skipped line names none.
        for r in &i.read.skipped {
            let imported = i.read.pack.snippets.iter().any(|s| s.origin == r.origin);
            if r.is_note() && !imported {
                failures.push(format!(
                    "{}: a note on nothing imported: {r:?}",
                    f.display()
                ));
            }
        }
        let plan = packs::preview(&i.store, &i.read.pack, &lib, Policy::KeepBoth).expect("plan");
        let again =
            packs::import(&mut i.store, &i.read.pack, &lib, Policy::KeepBoth).expect("import");
        if again.added != 0
            || again.updated != 0
            || again.unchanged != n
            || plan.iter().any(|p| p.status != packs::Status::Unchanged)
        {
            failures.push(format!("{}: {again:?} of {n}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn replies_without_a_title_are_matched_by_content() {
    // Two untitled replies whose made-up titles are the same, and one whose text
    // changed since the first import: the unchanged ones are not duplicated.
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "亲，我们家所有商品都是正品，支持专柜验货，";
    let text = format!("{long}放心购买\n\n{long}假一赔十\n");
    let path = dir.path().join("回复.txt");
    std::fs::write(&path, &text).expect("write");
    let mut i = import(&path);
    let lib = i.store.library(PERSONAL).expect("personal");
    assert_eq!(i.replies().len(), 2);
    std::fs::write(&path, format!("{text}\n{long}七天无理由\n")).expect("write");
    let read = packs::read_path(&path, None).expect("read");
    let r = packs::import(&mut i.store, &read.pack, &lib, Policy::KeepBoth).expect("import");
    assert_eq!((r.added, r.updated, r.unchanged), (1, 0, 2), "{r:?}");
    assert_eq!(i.replies().len(), 3);
}

#[test]
fn nothing_to_import_is_an_error_naming_the_file() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let dir = tempfile::tempdir().expect("tempdir");
    let empty_json = dir.path().join("empty.json");
    std::fs::write(&empty_json, "[]").expect("write");
    let private_only = dir.path().join("match");
    std::fs::create_dir(&private_only).expect("mkdir");
    std::fs::write(
        private_only.join("_private.yml"),
        "matches:\n  - trigger: \":a\"\n    replace: \"b\"\n",
    )
    .expect("write");
    let all_skipped = dir.path().join("regex.yml");
    std::fs::write(
        &all_skipped,
        "matches:\n  - regex: \"a(?P<x>.*)\"\n    replace: \"{{x}}\"\n",
    )
    .expect("write");
    let empty_dir = dir.path().join("空文件夹");
    std::fs::create_dir(&empty_dir).expect("mkdir");
    for (path, says) in [
        (&empty_json, "no replies to import"),
        (&private_only, "no espanso .yml match files"),
        (&all_skipped, "regex triggers cannot be converted"),
        (&empty_dir, "no replies to import"),
    ] {
        let e = packs::read_path(path, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let name = path.file_name().expect("name").to_string_lossy();
        assert!(
            e.contains(name.as_ref()) && e.contains(says),
            "{}: {e}",
            path.display()
        );
    }
}

#[test]
fn over_long_and_multi_line_titles_are_fitted_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("long.json");
    let long = "很长的标题".repeat(60);
    std::fs::write(
        &path,
        serde_json::json!([
            {"name": long, "text": "内容一"},
            {"name": "两行\n标题", "text": "内容二"}
        ])
        .to_string(),
    )
    .expect("write");
    let i = import(&path);
    let titles: Vec<String> = i
        .store
        .snippets(None)
        .expect("list")
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert!(titles[0].chars().count() <= 200, "{titles:?}");
    assert_eq!(titles[1], "两行 标题");
    assert_eq!(i.notes().len(), 2, "{:?}", i.notes());
}
