//! The built-in library (`snippets/`) imported into a fresh store answers the questions
//! buyers ask every day: each typical query finds a fitting reply in the top 3.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::path::PathBuf;

use quickreply_core::packs;
use quickreply_core::store::PERSONAL;
use quickreply_core::{SearchOptions, Store};

fn snippets(lang: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../snippets")
        .join(lang)
}

/// Import a built-in pack; returns the store and how many replies it has.
fn load(lang: &str) -> (tempfile::TempDir, Store, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let pack = packs::read_path(&snippets(lang), None)
        .expect("read pack")
        .pack;
    let r = packs::import(&mut store, &pack, &lib, packs::Policy::Overwrite).expect("import");
    (dir, store, r.added)
}

/// For each query, one of the words must be in the title or tags of a top-3 hit.
fn check(store: &Store, cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (query, words) in cases {
        let hits = store
            .search(
                query,
                &SearchOptions {
                    library: None,
                    limit: 3,
                },
            )
            .expect("search");
        let found: Vec<String> = hits
            .iter()
            .map(|h| {
                let s = store.snippet(h.key).expect("hit");
                format!("{} [{}]", s.title, s.tags.join(","))
            })
            .collect();
        if !found.iter().any(|f| {
            words
                .iter()
                .any(|w| f.to_lowercase().contains(&w.to_lowercase()))
        }) {
            failures.push(format!("{query:?} → {found:?} (wanted one of {words:?})"));
        }
    }
    assert!(
        failures.is_empty(),
        "queries without a fitting reply in the top 3:\n{}",
        failures.join("\n")
    );
}

#[test]
fn chinese_library_answers_twenty_typical_questions() {
    let (_d, store, n) = load("zh-CN");
    assert!(
        n >= 500,
        "the Chinese library has {n} replies, fewer than 500"
    );
    check(
        &store,
        &[
            ("什么时候发货", &["发货"]),
            ("fh", &["发货"]),
            ("可以便宜点吗", &["便宜", "优惠", "价", "砍"]),
            ("有优惠券吗", &["券"]),
            ("怎么退货", &["退货", "退换"]),
            ("tuihuo", &["退货"]),
            ("衣服偏大还是偏小", &["尺码", "偏大", "偏小", "大小"]),
            ("是正品吗", &["正品"]),
            ("物流一直不更新", &["物流", "快递", "更新"]),
            ("能开发票吗", &["发票"]),
            ("我想改一下收货地址", &["地址"]),
            ("收到的东西坏了", &["破损", "损坏", "坏", "质量"]),
            ("运费险", &["运费险"]),
            ("还有货吗", &["库存", "现货", "有货", "缺货", "补货"]),
            ("定金能退吗", &["定金"]),
            ("发错货了", &["错发", "发错"]),
            ("退款多久到账", &["退款"]),
            ("在吗", &["在吗", "问候", "欢迎", "您好", "你好"]),
            (
                "晚上有人吗",
                &[
                    "下班",
                    "非工作",
                    "夜间",
                    "工作时间",
                    "休息",
                    "不在线",
                    "在吗",
                    "晚上",
                ],
            ),
            ("给个好评", &["好评", "评价"]),
            ("京豆", &["京豆"]),
            ("拼单", &["拼单"]),
        ],
    );
}

#[test]
fn english_library_answers_typical_questions() {
    let (_d, store, n) = load("en");
    assert!(
        n >= 150,
        "the English library has {n} replies, fewer than 150"
    );
    check(
        &store,
        &[
            ("shipping time", &["ship"]),
            ("where is my order", &["track", "order", "where", "parcel"]),
            ("refund", &["refund"]),
            ("return", &["return"]),
            ("size", &["size"]),
            ("discount", &["discount", "coupon", "price", "promo"]),
            ("damaged", &["damage", "defect", "broken"]),
            ("customs", &["customs", "duties", "import"]),
            ("hello", &["greet", "hello", "welcome", "hi"]),
            ("cancel order", &["cancel"]),
        ],
    );
}

#[test]
fn built_in_packs_ship_as_qrpack_exports() {
    use quickreply_core::packs::qrpack;
    for lang in ["zh-CN", "en"] {
        let pack = packs::read_path(&snippets(lang), None).expect("read").pack;
        let mut out = std::io::Cursor::new(Vec::new());
        qrpack::write(
            &pack,
            &mut out,
            "2026-11-23T00:00:00Z",
            &qrpack::image_reader(None),
        )
        .expect("write");
        let (manifest, back) = qrpack::read(
            std::io::Cursor::new(out.into_inner()),
            std::path::Path::new("x.qrpack"),
        )
        .expect("read back");
        assert_eq!(manifest.counts.replies, pack.snippets.len());
        assert!(manifest.counts.images >= 1, "{lang} has picture replies");
        assert_eq!(back.meta.variables, pack.meta.variables);
        assert_eq!(back.snippets.len(), pack.snippets.len());
    }
}

/// folder, title, code, texts, image count.
type ReplyKey = (String, String, Option<String>, Vec<String>, usize);

#[test]
fn embedded_packs_equal_the_snippets_folder() {
    assert_eq!(quickreply_core::builtin::languages(), vec!["en", "zh-CN"]);
    for lang in ["zh-CN", "en"] {
        let on_disk = packs::read_path(&snippets(lang), None).expect("read").pack;
        let embedded = quickreply_core::builtin::pack(lang)
            .expect("a built-in pack")
            .expect("parses");
        assert_eq!(embedded.meta, on_disk.meta);
        let key = |p: &quickreply_core::source::Pack| -> Vec<ReplyKey> {
            p.snippets
                .iter()
                .map(|s| {
                    (
                        s.folder.clone(),
                        s.title.clone(),
                        s.code.clone(),
                        s.texts().into_iter().map(str::to_string).collect(),
                        s.images(),
                    )
                })
                .collect()
        };
        let (mut a, mut b) = (key(&embedded), key(&on_disk));
        a.sort();
        b.sort();
        assert_eq!(a, b, "{lang}");
        // Embedded images import like files do.
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("open");
        let lib = store.library(PERSONAL).expect("personal");
        let r =
            packs::import(&mut store, &embedded, &lib, packs::Policy::KeepBoth).expect("import");
        assert_eq!(r.added, on_disk.snippets.len());
    }
    assert!(quickreply_core::builtin::pack("xx").is_none());
}
