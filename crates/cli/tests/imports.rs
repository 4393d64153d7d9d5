//! `qreply import` on other tools' files in their real layouts (`tests/fixtures/`, see
//! its README): each imports, a second import of the same file reports every reply
//! unchanged (and its preview lists every one as unchanged), and a file with nothing
//! to import fails with a message naming it.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

mod common;

use std::path::PathBuf;

use common::Qr;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

#[test]
fn every_foreign_fixture_imports_once_then_is_unchanged() {
    for (name, replies) in [
        ("espanso-config", 9),
        ("espanso-config/match", 9),
        ("espanso/match/base.yml", 3),
        ("espanso/packages/shop-multi", 3),
        ("espanso/packages/shop-replies", 2),
        ("raycast-snippets.json", 3),
        ("raycast-dates.json", 4),
        ("客服短语.alfredsnippets", 2),
        ("alfred/旧版短语.alfredsnippets", 2),
        ("alfred/售前话术", 2),
        ("常用回复.txt", 3),
    ] {
        let q = Qr::new();
        let path = fixture(name);
        let p = path.to_str().expect("utf8");
        let first = q.ok(["import", p]);
        assert!(
            first.contains(&format!("{replies} added, 0 updated, 0 unchanged")),
            "{name}: {first}"
        );
        let preview = q.run(["import", p, "--preview"]);
        assert_eq!(preview.code, 0, "{name}: {}", preview.stderr);
        let lines: Vec<&str> = preview
            .stdout
            .lines()
            .filter(|l| !l.starts_with("skipped\t"))
            .collect();
        assert_eq!(lines.len(), replies, "{name}: {}", preview.stdout);
        assert!(
            lines.iter().all(|l| l.starts_with("unchanged\t")),
            "{name}: {}",
            preview.stdout
        );
        let again = q.ok(["import", p]);
        assert!(
            again.contains(&format!("0 added, 0 updated, {replies} unchanged")),
            "{name}: {again}"
        );
    }
}

#[test]
fn alfred_collection_without_info_plist_needs_no_format() {
    let q = Qr::new();
    let path = fixture("alfred/旧版短语.alfredsnippets");
    let out = q.ok(["import", path.to_str().expect("utf8")]);
    assert!(out.contains("2 added"), "{out}");
    let shown = q.ok(["ls"]);
    assert!(shown.contains("在吗"), "{shown}");
    assert!(!shown.contains("{cursor}"), "{shown}");
}

#[test]
fn nothing_to_import_exits_non_zero_naming_the_file() {
    let q = Qr::new();
    let empty = q.dir.path().join("空的.json");
    std::fs::write(&empty, "[]").expect("write");
    let folder = q.dir.path().join("match");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::write(folder.join("_only-private.yml"), "matches: []\n").expect("write");
    for path in [&empty, &folder] {
        for preview in [false, true] {
            let mut args = vec!["import", path.to_str().expect("utf8")];
            if preview {
                args.push("--preview");
            }
            let r = q.run(&args);
            let name = path.file_name().expect("name").to_string_lossy();
            assert_ne!(r.code, 0, "{}: {}", path.display(), r.stdout);
            assert!(
                r.stderr.contains(name.as_ref())
                    && (r.stderr.contains("no replies") || r.stderr.contains("no espanso")),
                "{}",
                r.stderr
            );
        }
    }
    assert_eq!(q.ok(["ls"]).trim(), "", "nothing was written");
}
