//! The apply loop never stops at a bad item: a property test over random mixes of items
//! that can and cannot be taken, over two pulls, then their retry once the images are
//! there; and unit tests of what counts as the item's fault.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use uuid::Uuid;

use quickreply_core::store::{self, Store};
use quickreply_proto::api::{Item, ItemDoc, VariableDoc};
use quickreply_proto::{FolderDoc, Part, SnippetDoc};

use super::*;
use crate::links::link;
use crate::model::Linked;
use crate::round::apply_items;

/// What one generated item is.
#[derive(Clone, Debug)]
enum Kind {
    /// A reply (with an image that is here when `image`), a folder or a variable.
    Reply {
        image: bool,
    },
    Folder,
    Variable,
    /// A reply whose image is not on this computer (the fetch found none).
    MissingImage,
    /// A reply whose image the fetch found unusable (garbage on the server).
    BadImage,
    /// A document under another key.
    WrongKey,
    /// A folder with the id of another library's folder, renamed onto its sibling's
    /// name there: the store refuses it (unique folder names).
    AlienFolder,
    /// The deletion of an item of the first pull.
    Delete,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => any::<bool>().prop_map(|image| Kind::Reply { image }),
        1 => Just(Kind::Folder),
        1 => Just(Kind::Variable),
        2 => Just(Kind::MissingImage),
        2 => Just(Kind::BadImage),
        1 => Just(Kind::WrongKey),
        1 => Just(Kind::AlienFolder),
        1 => Just(Kind::Delete),
    ]
}

fn png(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(1 + seed % 7, 1 + seed / 7, image::Rgb([9, 9, 9]));
    let mut out = Vec::new();
    let _ = image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    out
}

fn image_part(sha: &str) -> Part {
    Part::Image {
        sha256: sha.into(),
        mime: "image/png".into(),
        width: 1,
        height: 1,
    }
}

fn reply_doc(title: &str, parts: Vec<Part>) -> ItemDoc {
    let mut all = vec![Part::Text {
        body: format!("{title}的内容"),
    }];
    all.extend(parts);
    ItemDoc::Snippet(SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: None,
        title: title.into(),
        code: None,
        tags: Vec::new(),
        parts: all,
        apps: Vec::new(),
        position: 0,
        starts_at: None,
        ends_at: None,
    })
}

fn item(key: &str, version: i64, doc: Option<ItemDoc>) -> Item {
    Item {
        key: key.into(),
        version,
        seq: 0,
        deleted: doc.is_none(),
        doc,
        updated_at: 0,
        op: String::new(),
    }
}

/// A store with the personal library linked (account 1) and another library holding
/// two folders `x` and `y`; the images in `here` are stored.
struct World {
    _dir: tempfile::TempDir,
    store: Store,
    link: Linked,
    /// The other library's folder `x`.
    alien: Uuid,
    here: Vec<Vec<u8>>,
}

fn world() -> Result<World> {
    let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
    let mut store = Store::open(dir.path())?;
    let personal = store.library(store::PERSONAL)?;
    let remote = Uuid::now_v7();
    link(&mut store, 1, personal.id, remote, true, false)?;
    let other = store.create_library("别的库", quickreply_proto::LibraryKind::Team)?;
    let x = store.create_folder(&other, "x")?;
    store.create_folder(&other, "y")?;
    let here: Vec<Vec<u8>> = (0..3).map(png).collect();
    for bytes in &here {
        let info = quickreply_core::blob::inspect_image(bytes, std::path::Path::new("t"))?;
        store.put_image_bytes(bytes, &info)?;
    }
    let link = tables::linked(store.conn())?
        .into_iter()
        .find(|l| l.remote == remote)
        .ok_or(SyncError::NotJoined)?;
    Ok(World {
        _dir: dir,
        store,
        link,
        alien: x,
        here,
    })
}

/// One generated pull: the items, what the fetch found bad, and per key what must hold
/// afterwards (`Some(doc)` / `None` deleted) or that it is skipped at a version.
#[derive(Default)]
struct Expect {
    applied: BTreeMap<String, Option<ItemDoc>>,
    skipped: BTreeMap<String, i64>,
}

/// Turn kinds into a pull. `earlier`: keys of the first pull's items that were applied
/// (for deletions and new versions).
fn pull_of(
    w: &World,
    kinds: &[Kind],
    serial: &mut u32,
    earlier: &[String],
    version: i64,
) -> (Vec<Item>, Bad, Expect) {
    let mut items = Vec::new();
    let mut bad = Bad::new();
    let mut want = Expect::default();
    for (i, k) in kinds.iter().enumerate() {
        *serial += 1;
        let n = *serial;
        let title = format!("话术{n}");
        match k {
            Kind::Reply { image } => {
                let parts = if *image {
                    let bytes = &w.here[n as usize % w.here.len()];
                    vec![image_part(&quickreply_core::blob::sha256_hex(bytes))]
                } else {
                    Vec::new()
                };
                // Half the time a new version of an earlier item.
                let mut doc = reply_doc(&title, parts);
                let key = match (earlier.get(i), &mut doc) {
                    (Some(k), ItemDoc::Snippet(s)) if n % 2 == 0 && Uuid::parse_str(k).is_ok() => {
                        s.id = Uuid::parse_str(k).unwrap_or_default();
                        k.clone()
                    }
                    _ => doc.key(),
                };
                if want.applied.contains_key(&key) || want.skipped.contains_key(&key) {
                    continue;
                }
                want.applied.insert(key.clone(), Some(doc.clone()));
                items.push(item(&key, version, Some(doc)));
            }
            Kind::Folder => {
                let doc = ItemDoc::Folder(FolderDoc {
                    id: Uuid::now_v7(),
                    parent_id: None,
                    name: format!("文件夹{n}"),
                    position: 0,
                    starts_at: None,
                    ends_at: None,
                });
                want.applied.insert(doc.key(), Some(doc.clone()));
                items.push(item(&doc.key(), version, Some(doc)));
            }
            Kind::Variable => {
                let doc = ItemDoc::Variable(VariableDoc {
                    name: format!("变量{n}"),
                    value: format!("值{n}"),
                    description: String::new(),
                    overridable: false,
                    example: false,
                });
                want.applied.insert(doc.key(), Some(doc.clone()));
                items.push(item(&doc.key(), version, Some(doc)));
            }
            Kind::MissingImage | Kind::BadImage => {
                let sha = quickreply_core::blob::sha256_hex(&png(1000 + n));
                let doc = reply_doc(&title, vec![image_part(&sha)]);
                if matches!(k, Kind::BadImage) {
                    bad.insert((doc.key(), version), "garbage".into());
                }
                want.skipped.insert(doc.key(), version);
                items.push(item(&doc.key(), version, Some(doc)));
            }
            Kind::WrongKey => {
                let doc = reply_doc(&title, Vec::new());
                let key = Uuid::now_v7().to_string();
                want.skipped.insert(key.clone(), version);
                items.push(item(&key, version, Some(doc)));
            }
            Kind::AlienFolder => {
                let doc = ItemDoc::Folder(FolderDoc {
                    id: w.alien,
                    parent_id: None,
                    name: "y".into(),
                    position: 0,
                    starts_at: None,
                    ends_at: None,
                });
                if want.skipped.contains_key(&doc.key()) {
                    continue;
                }
                want.skipped.insert(doc.key(), version);
                items.push(item(&doc.key(), version, Some(doc)));
            }
            Kind::Delete => {
                let Some(key) = earlier.get(i) else { continue };
                if want.applied.contains_key(key) || want.skipped.contains_key(key) {
                    continue;
                }
                want.applied.insert(key.clone(), None);
                items.push(item(key, version, None));
            }
        }
    }
    (items, bad, want)
}

fn check(w: &World, want: &Expect, cursor: i64) -> std::result::Result<(), TestCaseError> {
    let conn = w.store.conn();
    let lib = w.link.local;
    for (key, doc) in &want.applied {
        let here =
            tables::local_doc(conn, lib, key).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&here, doc, "item {} as the server has it", key);
    }
    let skipped: HashMap<String, i64> = tables::skipped(conn, Some(lib))
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .into_iter()
        .map(|r| (r.key, r.version))
        .collect();
    for (key, version) in &want.skipped {
        prop_assert_eq!(
            skipped.get(key),
            Some(version),
            "{} is recorded as skipped",
            key
        );
    }
    for key in want.applied.keys() {
        prop_assert!(!skipped.contains_key(key), "{} applied, not skipped", key);
    }
    let now = tables::linked(conn)
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .into_iter()
        .find(|l| l.local == lib)
        .map(|l| l.cursor);
    prop_assert_eq!(now, Some(cursor), "the cursor moves past every item");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Two pulls of random items, some of which cannot be taken: both pulls succeed,
    /// every good item is applied, every bad one recorded (the newest version of its
    /// key), the cursor moves on. Once the missing images are here, the retry applies
    /// those items and only the items whose documents are at fault stay skipped.
    #[test]
    fn bad_items_never_stop_a_pull(
        first in proptest::collection::vec(kind(), 1..25),
        second in proptest::collection::vec(kind(), 0..25),
    ) {
        let run = || -> std::result::Result<(), TestCaseError> {
            let fail = |e: SyncError| TestCaseError::fail(e.to_string());
            let mut w = world().map_err(fail)?;
            let mut serial = 0;
            let (items, bad, want1) = pull_of(&w, &first, &mut serial, &[], 1);
            let link = w.link.clone();
            apply_items(&mut w.store, &link, &items, &bad, 10).map_err(fail)?;
            check(&w, &want1, 10)?;

            let earlier: Vec<String> = want1
                .applied
                .iter()
                .filter(|(_, d)| matches!(d, Some(ItemDoc::Snippet(_))))
                .map(|(k, _)| k.clone())
                .collect();
            let (items2, bad2, want2) = pull_of(&w, &second, &mut serial, &earlier, 2);
            apply_items(&mut w.store, &link, &items2, &bad2, 20).map_err(fail)?;
            check(&w, &want2, 20)?;
            // What the first pull applied and the second did not touch is still there.
            let untouched = Expect {
                applied: want1
                    .applied
                    .iter()
                    .filter(|(k, _)| !want2.applied.contains_key(*k) && !want2.skipped.contains_key(*k))
                    .map(|(k, d)| (k.clone(), d.clone()))
                    .collect(),
                skipped: BTreeMap::new(),
            };
            check(&w, &untouched, 20)?;

            // Every image turns up: the retry takes what only lacked its image. No
            // server is asked (the images are here), so the client points nowhere.
            let mut wanted_images = Vec::new();
            for it in items.iter().chain(&items2) {
                if let Some(doc) = &it.doc {
                    for sha in doc.blobs() {
                        wanted_images.push(sha.to_string());
                    }
                }
            }
            for seed in 1000..=1000 + serial {
                let bytes = png(seed);
                let sha = quickreply_core::blob::sha256_hex(&bytes);
                if wanted_images.contains(&sha) {
                    let info = quickreply_core::blob::inspect_image(&bytes, std::path::Path::new("t"))
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    w.store.put_image_bytes(&bytes, &info).map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
            }
            let nowhere = Client::new("http://127.0.0.1:9/", None).map_err(fail)?;
            retry(&mut w.store, &nowhere, &link).map_err(fail)?;
            let left: Vec<String> = tables::skipped(w.store.conn(), Some(link.local))
                .map_err(fail)?
                .into_iter()
                .map(|r| r.key)
                .collect();
            for it in items.iter().chain(&items2) {
                let doc_at_fault = it.doc.as_ref().is_some_and(|d| {
                    d.key() != it.key || matches!(d, ItemDoc::Folder(f) if f.id == w.alien)
                });
                if left.contains(&it.key) {
                    prop_assert!(doc_at_fault, "{} still skipped once its image is here", it.key);
                }
            }
            Ok(())
        };
        run()?;
    }
}

#[test]
fn only_the_items_faults_skip_it() {
    let server = |status: u16| SyncError::Server {
        status,
        code: "x".into(),
        message: "m".into(),
    };
    let sha = "ab".repeat(32);
    assert!(image_fault(&sha, server(404)).is_ok_and(|r| r.contains("abababababab")));
    assert!(image_fault(&sha, server(403)).is_ok());
    for not_its_fault in [401, 408, 429, 500, 503] {
        assert!(
            image_fault(&sha, server(not_its_fault)).is_err(),
            "{not_its_fault}"
        );
    }
    let offline = SyncError::Http {
        url: "http://x".into(),
        reason: "refused".into(),
    };
    assert!(image_fault(&sha, offline).is_err());
    let bad = SyncError::Core(quickreply_core::Error::BadImage {
        path: sha.clone().into(),
        reason: "not an image".into(),
    });
    assert!(image_fault(&sha, bad).is_ok_and(|r| r.contains("not an image")));
    // A full disk is this computer's trouble, not the item's.
    let full = SyncError::Core(quickreply_core::Error::Db(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
        None,
    )));
    assert!(apply_fault(&full).is_none());
    let constraint = SyncError::Core(quickreply_core::Error::Db(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
        None,
    )));
    assert!(apply_fault(&constraint).is_some());
}

/// A server item with the id of a reply or folder of another library here (a hostile
/// teammate who learnt a personal reply's id) is skipped: the reply stays where it is,
/// unchanged, and the folder keeps its name.
#[test]
fn an_item_with_the_id_of_another_librarys_reply_or_folder_is_not_taken() -> Result<()> {
    let mut w = world()?;
    let other = w.store.library("别的库")?;
    let mine = w.store.add_snippet(
        &other,
        quickreply_core::NewSnippet {
            title: "我的私房话术".into(),
            parts: vec![Part::Text {
                body: "只给老客户的优惠".into(),
            }],
            ..Default::default()
        },
    )?;
    let mut stolen = reply_doc("被改走的话术", Vec::new());
    if let ItemDoc::Snippet(s) = &mut stolen {
        s.id = mine.id;
    }
    let renamed = ItemDoc::Folder(FolderDoc {
        id: w.alien,
        parent_id: None,
        name: "被改名的文件夹".into(),
        position: 0,
        starts_at: None,
        ends_at: None,
    });
    let fine = reply_doc("正常话术", Vec::new());
    let items = vec![
        item(&stolen.key(), 1, Some(stolen)),
        item(&renamed.key(), 1, Some(renamed)),
        item(&fine.key(), 1, Some(fine.clone())),
    ];
    let link = w.link.clone();
    assert_eq!(apply_items(&mut w.store, &link, &items, &Bad::new(), 3)?, 1);
    let kept = w.store.snippet(mine.id)?;
    assert_eq!(
        (kept.library_id, kept.title.as_str()),
        (other.id, "我的私房话术")
    );
    let folders: Vec<String> = w
        .store
        .folders(&other)?
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(folders.contains(&"x".to_string()), "{folders:?}");
    let skipped = crate::skipped(&w.store)?;
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped.iter().all(|s| s.reason.contains("别的库")),
        "{skipped:?}"
    );
    Ok(())
}
