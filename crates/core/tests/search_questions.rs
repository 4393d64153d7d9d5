//! Buyer questions pasted whole into search over the built-in zh-CN library (#20): no
//! query finds nothing only because of its punctuation or politeness, and questions rank
//! by their words. Both search paths are checked: the store's streaming search (`qreply
//! search`) and the app's in-memory index.
#![allow(clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::PathBuf;

use quickreply_core::packs;
use quickreply_core::store::PERSONAL;
use quickreply_core::{SearchIndex, SearchOptions, Store};
use uuid::Uuid;

fn load() -> (tempfile::TempDir, Store, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../snippets/zh-CN");
    let pack = packs::read_path(&path, None).expect("read pack").pack;
    packs::import(&mut store, &pack, &lib, packs::Policy::Overwrite).expect("import");
    let titles = pack.snippets.iter().map(|s| s.title.clone()).collect();
    (dir, store, titles)
}

fn store_search(store: &Store, q: &str, limit: usize) -> Vec<Uuid> {
    store
        .search(
            q,
            &SearchOptions {
                library: None,
                limit,
            },
        )
        .expect("search")
        .into_iter()
        .map(|h| h.key)
        .collect()
}

fn index_search(index: &SearchIndex, q: &str, limit: usize) -> Vec<Uuid> {
    index
        .search(q, None, limit)
        .into_iter()
        .map(|h| h.key)
        .collect()
}

fn titles(store: &Store, ids: &[Uuid]) -> Vec<String> {
    ids.iter()
        .map(|id| store.snippet(*id).expect("hit").title)
        .collect()
}

#[test]
fn punctuation_and_politeness_never_make_a_query_find_nothing() {
    let (_d, store, all) = load();
    let index = store.search_index().expect("index");
    let mut failures = Vec::new();
    for title in &all {
        let forms = [
            format!("{title}？"),
            format!("{title}?"),
            format!("{title}！"),
            format!("{title}。"),
            format!("{title}~"),
            format!("亲，{title}"),
            format!("请问{title}？"),
        ];
        for q in &forms {
            if index_search(&index, q, 20).is_empty() {
                failures.push(format!("{q:?} found nothing"));
            }
        }
        // The exact title with a question mark finds that reply in the top 3, in both
        // search paths alike.
        let q = &forms[0];
        let ids = store_search(&store, q, 3);
        if ids != index_search(&index, q, 3) {
            failures.push(format!("{q:?}: store and index rank differently"));
        }
        let top = titles(&store, &ids);
        if !top.contains(title) {
            failures.push(format!("{q:?} → {top:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} titles failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn pasted_questions_from_the_issue_find_fitting_replies() {
    let (_d, store, _) = load();
    let index = store.search_index().expect("index");
    // (query, one of these words in a top-3 title)
    let cases: &[(&str, &[&str])] = &[
        ("什么时候发货？", &["发货"]),
        ("发什么快递？", &["快递", "物流"]),
        ("发货了吗？", &["发货"]),
        ("请问什么时候发货", &["发货"]),
        ("什么时候发货呀", &["发货"]),
        ("亲，什么时候发货", &["发货"]),
        ("什麼時候發貨？", &["发货"]),
        ("在吗？", &["在吗"]),
        ("我要投诉", &["投诉", "差评"]),
    ];
    let mut failures = Vec::new();
    for (q, words) in cases {
        let ids = store_search(&store, q, 3);
        assert_eq!(ids, index_search(&index, q, 3), "{q}: store vs index");
        let top = titles(&store, &ids);
        if !top.iter().any(|t| words.iter().any(|w| t.contains(w))) {
            failures.push(format!("{q:?} → {top:?} (wanted one of {words:?})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Punctuation changes nothing: `在吗？` ranks as `在吗` does.
    assert_eq!(
        store_search(&store, "在吗？", 5),
        store_search(&store, "在吗", 5)
    );
    // A question's scattered characters in an unrelated reply no longer come first.
    for q in ["在吗？", "我要投诉"] {
        let top = titles(&store, &store_search(&store, q, 3));
        assert!(!top.iter().any(|t| t.contains("夸奖")), "{q:?} → {top:?}");
    }
}

#[test]
fn a_librarys_synonym_variable_extends_the_table() {
    let (_d, mut store, _) = load();
    let lib = store.library(PERSONAL).expect("personal");
    let q = "能发顺丰不";
    let before = titles(&store, &store_search(&store, q, 3));
    store
        .set_var(
            &lib,
            quickreply_core::search::SYNONYMS_VARIABLE,
            "顺丰 快递 物流",
        )
        .expect("set");
    let after = titles(&store, &store_search(&store, q, 3));
    assert!(
        after
            .iter()
            .any(|t| t.contains("快递") || t.contains("物流")),
        "{before:?} → {after:?}"
    );
    let index = store.search_index().expect("index");
    assert_eq!(
        titles(&store, &index_search(&index, q, 3)),
        after,
        "the index reads the variable too"
    );
}

#[test]
fn traditional_and_full_width_replies_are_found_and_old_stores_are_brought_up_to_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = {
        let mut store = Store::open(dir.path()).expect("open");
        let lib = store.library(PERSONAL).expect("personal");
        let s = store
            .add_snippet(
                &lib,
                quickreply_core::NewSnippet {
                    title: "發貨時間".into(),
                    code: None,
                    tags: vec!["ＶＩＰ".into()],
                    apps: vec![],
                    folder: String::new(),
                    parts: vec![quickreply_core::proto::Part::Text {
                        body: "付款後４８小時內發出".into(),
                    }],
                },
            )
            .expect("add");
        for q in ["发货", "发货时间？", "fahuo", "vip", "48小时", "發貨"] {
            assert_eq!(store_search(&store, q, 5), vec![s.id], "{q}");
            let index = store.search_index().expect("index");
            assert_eq!(index_search(&index, q, 5), vec![s.id], "{q} (index)");
        }
        // A store written by the program before normalisation: derived columns of the
        // raw text (the title's mask lacks 发 and 货).
        store
            .conn()
            .execute_batch(
                "UPDATE sync_mode SET applying = 1;
                 UPDATE snippets SET mask0 = 0, mask1 = 0, mask2 = 0, mask3 = 0, search_fold = 0,
                                     search_pinyin = '', search_initials = '';
                 UPDATE sync_mode SET applying = 0;
                 UPDATE search_columns_version SET version = 0;",
            )
            .expect("age the store");
        assert!(store_search(&store, "发货", 5).is_empty());
        s.id
    };
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store_search(&store, "发货", 5), vec![id]);
    assert_eq!(store_search(&store, "fhsj", 5), vec![id]);
}
