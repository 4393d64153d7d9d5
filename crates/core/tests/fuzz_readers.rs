//! Property tests of the pack readers: arbitrary bytes never panic (they are read or
//! refused with an error), and libraries with awkward text (quotes, commas, braces, line
//! breaks, formula characters, Chinese) round-trip through CSV, XLSX and `.qrpack`.

use std::io::Cursor;
use std::path::Path;

use proptest::prelude::*;
use quickreply_core::packs::{interop, qrpack, table};
use quickreply_core::source::{self, Origin, Pack, PackFolder, PackPart, PackSnippet};

fn origin() -> Origin {
    Origin::Library { place: "p".into() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let p = Path::new("fuzz");
        let _ = table::read_csv(&bytes, p);
        let _ = table::read_xlsx(&bytes, p);
        let _ = qrpack::read(Cursor::new(&bytes), p);
        let _ = interop::read_raycast(&bytes, p);
        let _ = interop::read_textexpander(&bytes, p);
        let _ = interop::read_textexpander_plist(&bytes, p);
        let _ = interop::read_text(&bytes, p);
        let _ = interop::read_alfred(Cursor::new(&bytes), p);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let mut pack = Pack::default();
            let _ = source::parse_file(text, p, Path::new("/"), "f", &mut pack);
            let _ = quickreply_core::template::parse(text);
            let _ = interop::csv_kind(text);
        }
    }

    #[test]
    fn zip_shaped_garbage_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        let _ = qrpack::read(Cursor::new(&bytes), Path::new("z"));
        let _ = table::read_xlsx(&bytes, Path::new("z"));
    }

    #[test]
    fn awkward_text_round_trips_through_csv_xlsx_and_qrpack(
        rows in proptest::collection::vec(
            ("[a-z发货退款亲]{1,8}", "[a-z发货 ,\"=+@-]{1,12}", proptest::option::of("[a-z0-9]{1,6}"), "[a-zA-Z0-9 发货退款亲，。,\"'\n\r=+@-]{1,60}"),
            1..12,
        )
    ) {
        let mut pack = Pack::default();
        for (i, (folder, title, code, body)) in rows.into_iter().enumerate() {
            // Bodies keep their leading and trailing spaces and blank lines, and may start
            // like a formula (`-`, `=`, `+`, `@`): our CSV export reads back unchanged
            // (issue #18 item 10). Titles are one trimmed line.
            let body = body.replace('\r', "");
            let title = format!("{}{i}", title.trim());
            prop_assume!(!body.trim().is_empty());
            if !pack.folders.iter().any(|f: &PackFolder| f.path == folder) {
                pack.folders.push(PackFolder { path: folder.clone(), origin: origin(), starts_at: None, ends_at: None });
            }
            pack.snippets.push(PackSnippet {
                folder,
                title,
                code: code.map(|c| format!("c{c}")),
                tags: vec![],
                apps: vec![],
                parts: vec![PackPart::Text { body: body.replace('{', "{{").replace('}', "}}"), origin: origin() }],
                origin: origin(),
                starts_at: None,
                ends_at: None,
            });
        }
        let key = |p: &Pack| -> Vec<(String, String, Option<String>, Vec<String>)> {
            p.snippets.iter().map(|s| (s.folder.clone(), s.title.clone(), s.code.clone(), s.texts().into_iter().map(str::to_string).collect())).collect()
        };
        let mut csv = Vec::new();
        table::write_csv(&pack, &mut csv).expect("csv");
        let (back, skipped) = table::read_csv(&csv, Path::new("x.csv")).expect("read csv");
        prop_assert!(skipped.is_empty());
        prop_assert_eq!(key(&back), key(&pack));
        let (xlsx, _) = table::write_xlsx(&pack).expect("xlsx");
        let (back, _) = table::read_xlsx(&xlsx, Path::new("x.xlsx")).expect("read xlsx");
        prop_assert_eq!(key(&back), key(&pack));
        let mut zip = Cursor::new(Vec::new());
        qrpack::write(&pack, &mut zip, "2026-11-23T00:00:00Z", &qrpack::image_reader(None)).expect("qrpack");
        let (_, back) = qrpack::read(Cursor::new(zip.into_inner()), Path::new("x.qrpack")).expect("read qrpack");
        prop_assert_eq!(key(&back), key(&pack));
    }
}
