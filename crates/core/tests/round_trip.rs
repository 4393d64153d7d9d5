//! Issue #18, proof: export a library, import the file into an empty library, and get
//! the same replies back, for random libraries.
//!
//! * `.qrpack` carries everything: folders (empty ones too), titles, codes, tags, apps,
//!   every part in order (text and images, the images' bytes), and variables.
//! * CSV and XLSX carry folders (of replies), titles, codes, tags and the text parts.
//!   A reply of several text parts is one cell, its parts joined by a blank line, the
//!   way a spreadsheet user reads it; our own export also writes the parts' lengths in
//!   its `QuickReply-CSV-1` mark column, so importing it splits the cell back into the
//!   same parts (a cell edited since, whose lengths no longer fit, is one part). They do
//!   not carry images (the export says so), apps, variables, empty folders, a tag
//!   containing a list separator (`,` `，` `;` `；`), a folder named `未分组` (Qianniu's
//!   "no group", read as the top level), or carriage returns (line ends are `\n`).
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use quickreply_core::packs::{self, Format, Policy};
use quickreply_core::proto::Part;
use quickreply_core::store::PERSONAL;
use quickreply_core::{NewSnippet, Store};

/// A reply as generated: folder, title, code, tags, apps, parts (text, or an image as
/// (width, height, colour)).
#[derive(Clone, Debug)]
struct Reply {
    folder: String,
    title: String,
    code: Option<String>,
    tags: Vec<String>,
    apps: Vec<String>,
    parts: Vec<Gen>,
}

#[derive(Clone, Debug)]
enum Gen {
    Text(String),
    Image(u32, u32, [u8; 3]),
}

fn body() -> impl Strategy<Value = String> {
    // Leading formula characters, apostrophes, spaces and blank lines, variables and
    // escaped braces: everything an export might mangle.
    let piece = prop_oneof![
        4 => "[亲您好发货退换尺码a-zA-Z0-9，。！?]{1,8}".prop_map(|s| s),
        1 => Just(" ".to_string()),
        1 => Just("  ".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\n\n".to_string()),
        1 => Just("{店铺名}".to_string()),
        1 => Just("{{".to_string()),
        1 => Just("}}".to_string()),
        1 => Just("\t".to_string()),
    ];
    (
        prop_oneof![
            Just(""),
            Just("-"),
            Just("="),
            Just("+"),
            Just("@"),
            Just("'"),
            Just("'="),
            Just("  ")
        ],
        prop::collection::vec(piece, 1..6),
        "[a-z亲]{1,3}",
    )
        .prop_map(|(lead, pieces, tail)| format!("{lead}{tail}{}", pieces.concat()))
        .prop_filter("a text part is not blank", |b| !b.trim().is_empty())
}

fn reply(images: bool) -> impl Strategy<Value = Reply> {
    let part = if images {
        prop_oneof![
            4 => body().prop_map(Gen::Text),
            1 => (1u32..6, 1u32..6, any::<[u8; 3]>()).prop_map(|(w, h, c)| Gen::Image(w, h, c)),
        ]
        .boxed()
    } else {
        body().prop_map(Gen::Text).boxed()
    };
    (
        prop_oneof![
            Just(String::new()),
            Just("售前".to_string()),
            Just("售后/退换".to_string()),
            Just("-促销".to_string()),
            Just("Sale  Items".to_string()),
        ],
        "[-=发货退货尺码优惠a-z]{1,6}( {1,2}[a-z0-9]{1,4})?",
        prop::option::of("[a-z0-9]{1,6}"),
        prop::collection::vec("[a-z大小码#]{1,5}", 0..3),
        prop::collection::vec(
            prop_oneof![Just("wechat"), Just("qianniu"), Just("jd")],
            0..2,
        ),
        prop::collection::vec(part, 1..4),
    )
        .prop_map(|(folder, title, code, tags, apps, parts)| Reply {
            folder,
            title,
            code,
            tags,
            apps: apps.into_iter().map(str::to_string).collect(),
            parts,
        })
}

fn png(w: u32, h: u32, c: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(c));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A library holding `replies` (titles made unique, codes unique), `vars` and one
/// empty folder.
fn library(dir: &Path, replies: &[Reply], vars: &BTreeMap<String, String>) -> Store {
    let mut store = Store::open(dir).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    store.create_folder(&lib, "空的文件夹").expect("folder");
    let mut codes = std::collections::HashSet::new();
    for (i, r) in replies.iter().enumerate() {
        let parts = r
            .parts
            .iter()
            .map(|p| match p {
                Gen::Text(t) => Part::Text { body: t.clone() },
                Gen::Image(w, h, c) => store
                    .add_image_bytes(&png(*w, *h, *c), "图.png")
                    .expect("image"),
            })
            .collect();
        store
            .add_snippet(
                &lib,
                NewSnippet {
                    title: format!("{}{i}", r.title),
                    code: r.code.clone().filter(|c| codes.insert(c.clone())),
                    tags: r.tags.clone(),
                    apps: r.apps.clone(),
                    folder: r.folder.clone(),
                    parts,
                },
            )
            .expect("add");
    }
    for (k, v) in vars {
        store.set_var(&lib, k, v).expect("var");
    }
    store
}

type Seen = (
    String,
    String,
    Option<String>,
    Vec<String>,
    Vec<String>,
    Vec<Part>,
);

/// The replies of a library as comparable rows (sorted).
fn replies_of(store: &Store, apps: bool, images: bool) -> Vec<Seen> {
    let mut rows: Vec<Seen> = store
        .snippets(None)
        .expect("list")
        .into_iter()
        .map(|s| {
            (
                s.folder,
                s.title,
                s.code,
                s.tags,
                if apps { s.apps } else { Vec::new() },
                s.parts
                    .into_iter()
                    .filter(|p| images || matches!(p, Part::Text { .. }))
                    .collect(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    rows
}

/// Export the personal library of `from` as `format`, import the file into an empty
/// store; returns that store (and its folder, kept alive).
fn export_import(from: &Store, format: Format, ext: &str) -> (tempfile::TempDir, Store) {
    let lib = from.library(PERSONAL).expect("personal");
    let pack = packs::from_library(from, &lib).expect("as a pack");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("导出.{ext}"));
    packs::write_path(&pack, Some(from.blobs()), &file, format).expect("export");
    let mut to = Store::open(&dir.path().join("data")).expect("open");
    let lib = to.library(PERSONAL).expect("personal");
    let read = packs::read_path(&file, None).expect("read the export");
    assert!(
        read.skipped.is_empty(),
        "our own export reads without remarks: {:?}",
        read.skipped
    );
    let report = packs::import(&mut to, &read.pack, &lib, Policy::KeepBoth).expect("import");
    assert_eq!(report.skipped, 0, "{report:?}");
    // A second import of the same file changes nothing.
    let again = packs::import(&mut to, &read.pack, &lib, Policy::KeepBoth).expect("again");
    assert_eq!((again.added, again.updated), (0, 0), "{again:?}");
    (dir, to)
}

fn vars() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[店铺名发货时间客服]{2,4}", "[a-z小满旗舰店 ]{1,8}", 0..3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn qrpack_gives_back_the_same_library(
        replies in prop::collection::vec(reply(true), 1..8),
        vars in vars(),
    ) {
        let d = tempfile::tempdir().expect("tempdir");
        let from = library(d.path(), &replies, &vars);
        let (_d2, to) = export_import(&from, Format::Qrpack, "qrpack");
        prop_assert_eq!(replies_of(&to, true, true), replies_of(&from, true, true));
        let (a, b) = (from.library(PERSONAL).expect("l"), to.library(PERSONAL).expect("l"));
        prop_assert_eq!(to.variables(&b).expect("vars"), from.variables(&a).expect("vars"));
        let folders = |s: &Store, l| -> Vec<String> {
            let mut f: Vec<String> = s.folders(l).expect("folders").into_iter().map(|f| f.path).collect();
            f.sort();
            f
        };
        prop_assert_eq!(folders(&to, &b), folders(&from, &a));
        // The images themselves came along.
        for (.., parts) in replies_of(&to, true, true) {
            for p in parts {
                if let Part::Image { sha256, .. } = p {
                    prop_assert!(to.blobs().get(&sha256).is_ok(), "image {sha256}");
                }
            }
        }
    }

    #[test]
    fn csv_gives_back_what_it_carries(replies in prop::collection::vec(reply(false), 1..8)) {
        let d = tempfile::tempdir().expect("tempdir");
        let from = library(d.path(), &replies, &BTreeMap::new());
        let (_d2, to) = export_import(&from, Format::Csv, "csv");
        prop_assert_eq!(replies_of(&to, false, false), replies_of(&from, false, false));
    }

    #[test]
    fn xlsx_gives_back_what_it_carries(replies in prop::collection::vec(reply(false), 1..6)) {
        let d = tempfile::tempdir().expect("tempdir");
        let from = library(d.path(), &replies, &BTreeMap::new());
        let (_d2, to) = export_import(&from, Format::Xlsx, "xlsx");
        prop_assert_eq!(replies_of(&to, false, false), replies_of(&from, false, false));
    }
}
