//! The on-disk search cache (`Store::search_cached`, `store::search_cache`): the same
//! results as `Store::search`, kept correct when the library changes — in this process,
//! through another connection (another process), and when the file is damaged.
#![allow(clippy::expect_used, clippy::panic)] // a test fails by panicking

use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::{CACHE_FILE, PERSONAL};
use quickreply_core::{NewSnippet, SearchOptions, SnippetEdit, Store};

fn queries() -> Vec<&'static str> {
    let mut q: Vec<&str> = quickreply_core::corpus::QUERIES.to_vec();
    // Empty (usage order), a code, a full question, traditional and full-width forms.
    q.extend(["", "c0", "c10", "快递几天能到", "發貨", "ＦＨ", "退货 c20"]);
    q
}

/// Every query, over everything and over one library, ranks alike both ways.
fn same_everywhere(store: &Store, libraries: &[Option<uuid::Uuid>]) {
    for q in queries() {
        for &library in libraries {
            for limit in [1, 15, 50] {
                let opts = SearchOptions { library, limit };
                let a = store.search(q, &opts).expect("store search");
                let b = store.search_cached(q, &opts).expect("cached search");
                assert_eq!(a, b, "query {q:?} library {library:?} limit {limit}");
            }
        }
    }
}

fn reply(title: &str, body: &str) -> NewSnippet {
    NewSnippet {
        title: title.into(),
        parts: vec![Part::Text { body: body.into() }],
        ..NewSnippet::default()
    }
}

#[test]
fn cached_search_ranks_exactly_like_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
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
    // Folded text (traditional characters, full-width letters) and usage boosts.
    store
        .add_snippet(&lib, reply("發貨時間ＦＨ", "親，現貨４８小時內發出"))
        .expect("add folded");
    for _ in 0..5 {
        store.record_fire(ids[17]).expect("fire");
    }
    store.record_fire(ids[900]).expect("fire");
    same_everywhere(&store, &[None, Some(lib.id), Some(team.id)]);
    assert!(
        dir.path().join(CACHE_FILE).is_file(),
        "the cache was written"
    );
    // The usage boost is read at every search, not cached.
    store.record_fire(ids[2_000]).expect("fire");
    same_everywhere(&store, &[None]);
}

/// The built-in replies have real titles and tags (the topic bonus and the bound the
/// cache keeps of them matter there): keywords, initials, pinyin and questions rank alike.
#[test]
fn cached_search_ranks_like_the_store_over_the_built_in_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let pack = quickreply_core::builtin::pack("zh-CN")
        .expect("zh-CN is built in")
        .expect("the built-in pack reads");
    quickreply_core::packs::import(
        &mut store,
        &pack,
        &lib,
        quickreply_core::packs::Policy::KeepBoth,
    )
    .expect("import");
    for q in [
        "发票",
        "fp",
        "kaifapiao",
        "退货",
        "th",
        "tuihuo",
        "物流",
        "wl",
        "尺码",
        "cm",
        "发火",
        "fh",
        "优惠券",
        "yhq",
        "破损",
        "什么时候发货",
        "可以开发票吗",
        "ts",
        "投诉",
        "差评",
    ] {
        for limit in [1, 3, 15] {
            let opts = SearchOptions {
                library: None,
                limit,
            };
            let a = store.search(q, &opts).expect("store search");
            let b = store.search_cached(q, &opts).expect("cached search");
            assert!(!a.is_empty(), "{q:?} finds something");
            assert_eq!(a, b, "query {q:?} limit {limit}");
        }
    }
}

#[test]
fn a_change_by_any_writer_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let ids = store
        .add_snippets(&lib, quickreply_core::corpus::replies(400, 3))
        .expect("add");
    let opts = SearchOptions {
        library: None,
        limit: 20,
    };
    assert!(
        store
            .search_cached("zhanbaoxian", &opts)
            .expect("search")
            .is_empty()
    );

    // Another connection (as another process would) adds, edits and removes replies.
    let mut other = Store::open(dir.path()).expect("open again");
    let added = other
        .add_snippet(&lib, reply("展包险说明", "展包险是什么呢"))
        .expect("add");
    let hits = store.search_cached("zhanbaoxian", &opts).expect("search");
    assert_eq!(hits.first().map(|h| h.key), Some(added.id));
    other
        .edit_snippet(
            added.id,
            SnippetEdit {
                title: Some("运费说明".into()),
                ..SnippetEdit::default()
            },
        )
        .expect("edit");
    assert!(
        store
            .search_cached("zhanbaoxian", &opts)
            .expect("search")
            .is_empty(),
        "the old title is gone"
    );
    assert_eq!(
        store
            .search_cached("yunfeishuoming", &opts)
            .expect("search")[0]
            .key,
        added.id
    );
    other.remove_snippet(ids[0]).expect("remove");
    other.remove_snippet(added.id).expect("remove");
    let team = other
        .create_library("售后", LibraryKind::Team)
        .expect("team");
    other
        .add_snippets(&team, quickreply_core::corpus::replies(50, 4))
        .expect("add");
    same_everywhere(&store, &[None, Some(team.id)]);
    // A folder removed with its replies (a cascade), then a whole library (as sync does
    // when a team library goes away).
    let folder = quickreply_core::corpus::replies(1, 4)[0].folder.clone();
    assert!(
        other
            .remove_folder(&team, &folder, true)
            .expect("remove folder")
            > 0
    );
    same_everywhere(&store, &[None, Some(team.id)]);
    other
        .conn()
        .execute("DELETE FROM libraries WHERE id = ?1", [team.id.to_string()])
        .expect("remove library");
    same_everywhere(&store, &[None, Some(team.id)]);
    assert!(
        store
            .search_cached("", &opts)
            .expect("search")
            .iter()
            .all(|h| h.key != ids[0] && h.key != added.id)
    );
}

#[test]
fn a_damaged_or_foreign_cache_file_is_made_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    store
        .add_snippets(&lib, quickreply_core::corpus::replies(300, 5))
        .expect("add");
    let opts = SearchOptions {
        library: None,
        limit: 10,
    };
    let want = store.search("发货", &opts).expect("search");
    assert_eq!(store.search_cached("发货", &opts).expect("cached"), want);
    let path = dir.path().join(CACHE_FILE);
    let good = std::fs::read(&path).expect("read cache");
    // Truncated, flipped bytes in the text and the records, garbage, empty.
    let mut damaged = vec![
        good[..good.len() / 2].to_vec(),
        Vec::new(),
        b"not a cache".to_vec(),
    ];
    for at in [good.len() - 3, good.len() / 2, 200] {
        let mut b = good.clone();
        b[at] ^= 0xff;
        damaged.push(b);
    }
    for bytes in damaged {
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(store.search_cached("发货", &opts).expect("cached"), want);
        assert_eq!(
            store.search_cached("fh", &opts).expect("cached"),
            store.search("fh", &opts).expect("search")
        );
    }
    // Another store's cache (another database) is not taken for this one's.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let mut other = Store::open(other_dir.path()).expect("open");
    let olib = other.library(PERSONAL).expect("personal");
    other
        .add_snippets(&olib, quickreply_core::corpus::replies(300, 6))
        .expect("add");
    other.search_cached("发货", &opts).expect("cached");
    std::fs::copy(other_dir.path().join(CACHE_FILE), &path).expect("copy");
    assert_eq!(store.search_cached("发货", &opts).expect("cached"), want);
}
