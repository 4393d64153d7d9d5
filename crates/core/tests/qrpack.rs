//! The native `.qrpack` format: exact round trips and hostile archives.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::io::{Cursor, Write};
use std::path::Path;

use quickreply_core::packs::{self, qrpack};
use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Error, NewSnippet, Store};

fn png(w: u32, h: u32, c: u8) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([c, 255 - c, 7, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

fn seeded() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("a")).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let img_path = dir.path().join("card.png");
    std::fs::write(&img_path, png(30, 20, 9)).expect("png");
    let img = store.add_image(&img_path).expect("image");
    store.set_var(&lib, "店铺名", "小满家居").expect("var");
    store
        .add_snippets(
            &lib,
            vec![
                NewSnippet {
                    title: "尺码表".into(),
                    code: Some("cmb".into()),
                    tags: vec!["尺码".into(), "大小".into()],
                    apps: vec!["wechat".into()],
                    folder: "售前/尺码".into(),
                    parts: vec![
                        Part::Text {
                            body: "{店铺名}尺码：".into(),
                        },
                        img,
                        Part::Text {
                            body: "有问题找我".into(),
                        },
                    ],
                },
                NewSnippet {
                    title: "发货".into(),
                    folder: "物流".into(),
                    parts: vec![Part::Text {
                        body: "48小时内发货{{注意}}".into(),
                    }],
                    ..NewSnippet::default()
                },
            ],
        )
        .expect("add");
    (dir, store)
}

fn export(store: &Store) -> Vec<u8> {
    let lib = store.library(PERSONAL).expect("personal");
    let pack = packs::from_library(store, &lib).expect("pack");
    let mut out = Cursor::new(Vec::new());
    qrpack::write(
        &pack,
        &mut out,
        "2026-11-23T00:00:00Z",
        &qrpack::image_reader(Some(store.blobs())),
    )
    .expect("write");
    out.into_inner()
}

#[test]
fn library_round_trips_exactly_including_images() {
    let (dir, store) = seeded();
    let bytes = export(&store);
    assert_eq!(
        bytes,
        export(&store),
        "the same library gives the same bytes"
    );
    let (manifest, pack) = qrpack::read(Cursor::new(&bytes), Path::new("x.qrpack")).expect("read");
    assert_eq!(
        (
            manifest.counts.replies,
            manifest.counts.images,
            manifest.counts.folders
        ),
        (2, 1, 3)
    );

    let mut other = Store::open(&dir.path().join("b")).expect("open b");
    let team = other
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    let r = packs::import(&mut other, &pack, &team, packs::Policy::Overwrite).expect("import");
    assert_eq!((r.added, r.variables_added), (2, 1));
    let a: Vec<_> = store
        .snippets(None)
        .expect("a")
        .into_iter()
        .map(|s| (s.folder, s.title, s.code, s.tags, s.apps, s.parts))
        .collect();
    let b: Vec<_> = other
        .snippets(Some(&team))
        .expect("b")
        .into_iter()
        .map(|s| (s.folder, s.title, s.code, s.tags, s.apps, s.parts))
        .collect();
    assert_eq!(a, b);
    // Image bytes identical.
    let Part::Image { sha256, .. } = &a[0].5[1] else {
        panic!("image part")
    };
    assert_eq!(
        store.blobs().get(sha256).expect("a blob"),
        other.blobs().get(sha256).expect("b blob")
    );
    // Exporting the imported library gives the same library.json.
    let lib_b = packs::from_library(&other, &team).expect("pack b");
    let mut out = Cursor::new(Vec::new());
    qrpack::write(
        &lib_b,
        &mut out,
        "2026-11-23T00:00:00Z",
        &qrpack::image_reader(Some(other.blobs())),
    )
    .expect("write b");
    let (_, again) = qrpack::read(Cursor::new(out.into_inner()), Path::new("y")).expect("read b");
    assert_eq!(again.snippets.len(), 2);
    assert_eq!(
        packs::preview(&other, &again, &team, packs::Policy::Overwrite)
            .expect("preview")
            .iter()
            .filter(|i| i.status == packs::Status::Unchanged)
            .count(),
        2
    );
}

/// Build a zip by hand for hostile cases.
fn zip_of(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    for (name, data) in entries {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .expect("start");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn read_err(bytes: &[u8]) -> String {
    match qrpack::read(Cursor::new(bytes), Path::new("bad.qrpack")) {
        Ok(_) => panic!("a hostile pack was accepted"),
        Err(e) => e.to_string(),
    }
}

fn manifest_for(files: &[(&str, &[u8])], version: u32) -> Vec<u8> {
    let files: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|(n, d)| {
            (
                n.to_string(),
                serde_json::Value::String(quickreply_core::blob::sha256_hex(d)),
            )
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "format": "quickreply-pack", "format_version": version, "name": "x", "created": "2026-11-23T00:00:00Z",
        "counts": {"folders": 0, "replies": 0, "images": 0, "variables": 0}, "files": files
    }))
    .expect("json")
}

#[test]
fn hostile_and_broken_archives_are_refused_with_the_entry_named() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let lib = br#"{"folders": [], "replies": [{"title": "a", "parts": [{"type": "text", "body": "x"}]}]}"#;
    let ok = zip_of(
        &[
            ("manifest.json", &manifest_for(&[("library.json", lib)], 1)),
            ("library.json", lib),
        ],
        true,
    );
    assert!(qrpack::read(Cursor::new(&ok), Path::new("ok")).is_ok());

    // Not a zip at all.
    assert!(read_err(b"hello").contains("not a valid .qrpack"));
    // Path traversal and absolute names.
    for name in ["../evil.json", "/etc/x", "images/../../x", "a\\b"] {
        let z = zip_of(
            &[("manifest.json", &manifest_for(&[], 1)), (name, b"x")],
            false,
        );
        let e = read_err(&z);
        assert!(e.contains("unsafe path"), "{name}: {e}");
    }
    // A zip bomb: 50 MB of zeros compress to almost nothing.
    let zeros = vec![0u8; 50 * 1024 * 1024];
    let z = zip_of(
        &[
            ("manifest.json", &manifest_for(&[], 1)),
            ("library.json", &zeros),
        ],
        true,
    );
    let e = read_err(&z);
    assert!(e.contains("library.json") && e.contains("zip bomb"), "{e}");
    // A changed entry fails its checksum.
    let tampered = br#"{"folders": [], "replies": []}"#;
    let z = zip_of(
        &[
            ("manifest.json", &manifest_for(&[("library.json", lib)], 1)),
            ("library.json", tampered),
        ],
        true,
    );
    assert!(read_err(&z).contains("checksum mismatch"));
    // A newer format version asks for an upgrade.
    let z = zip_of(
        &[
            ("manifest.json", &manifest_for(&[("library.json", lib)], 99)),
            ("library.json", lib),
        ],
        true,
    );
    assert!(read_err(&z).contains("newer QuickReply"));
    // Broken JSON names the line.
    let broken = b"{\n  \"folders\": [,]\n}";
    let z = zip_of(
        &[
            (
                "manifest.json",
                &manifest_for(&[("library.json", broken)], 1),
            ),
            ("library.json", broken),
        ],
        true,
    );
    let e = read_err(&z);
    assert!(e.contains("library.json") && e.contains("line 2"), "{e}");
    // A reply referring to an image that is not there.
    let dangling = br#"{"folders": [], "replies": [{"title": "a", "parts": [{"type": "image", "sha256": "00", "mime": "image/png", "width": 1, "height": 1}]}]}"#;
    let z = zip_of(
        &[
            (
                "manifest.json",
                &manifest_for(&[("library.json", dangling)], 1),
            ),
            ("library.json", dangling),
        ],
        true,
    );
    assert!(read_err(&z).contains("not in the pack"));
    // An image entry that is not an image: reading works, importing refuses, nothing written.
    let fake = b"not a png";
    let name = format!("images/{}.png", quickreply_core::blob::sha256_hex(fake));
    let lib_img = format!(
        r#"{{"folders": [], "replies": [{{"title": "a", "parts": [{{"type": "image", "sha256": "{}", "mime": "image/png", "width": 1, "height": 1}}]}}]}}"#,
        quickreply_core::blob::sha256_hex(fake)
    );
    let z = zip_of(
        &[
            (
                "manifest.json",
                &manifest_for(&[("library.json", lib_img.as_bytes()), (&name, fake)], 1),
            ),
            ("library.json", lib_img.as_bytes()),
            (&name, fake),
        ],
        true,
    );
    let (_, pack) =
        qrpack::read(Cursor::new(&z), Path::new("img.qrpack")).expect("structurally fine");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let personal = store.library(PERSONAL).expect("personal");
    let e = packs::import(&mut store, &pack, &personal, packs::Policy::Overwrite);
    assert!(matches!(e, Err(Error::BadImage { .. })), "{e:?}");
    assert!(store.snippets(None).expect("list").is_empty());
}
