//! Shortcut codes that cannot be kept are notes on their line, never a refused file
//! (issue #18 item 3): a code the validator refuses, two replies of one file with the
//! same code, and a code the library already uses, under every policy.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use quickreply_core::packs::{self, Policy, Status};
use quickreply_core::source::{Origin, Pack, PackPart, PackSnippet};
use quickreply_core::store::PERSONAL;
use quickreply_core::{NewSnippet, Store};

fn reply(line: usize, title: &str, code: Option<&str>, body: &str) -> PackSnippet {
    let origin = Origin::File {
        path: "话术.csv".into(),
        line,
    };
    PackSnippet {
        folder: String::new(),
        title: title.into(),
        code: code.map(str::to_string),
        tags: Vec::new(),
        apps: Vec::new(),
        parts: vec![PackPart::Text {
            body: body.into(),
            origin: origin.clone(),
        }],
        origin,
        starts_at: None,
        ends_at: None,
    }
}

#[test]
fn codes_that_cannot_be_kept_are_per_line_notes_under_every_policy() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let pack = Pack {
        snippets: vec![
            reply(2, "无效编码", Some("/FH!"), "亲，编码不合规也照样导入"),
            reply(3, "发货", Some("fh"), "亲，今天发货"),
            reply(4, "发货二", Some("fh"), "亲，明天发货"),
            reply(5, "退货", Some("th"), "退货请点申请售后"),
        ],
        ..Pack::default()
    };
    for policy in [Policy::KeepBoth, Policy::Overwrite, Policy::Skip] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("open");
        let lib = store.library(PERSONAL).expect("personal");
        store
            .add_snippet(
                &lib,
                NewSnippet {
                    title: "已有的退货".into(),
                    code: Some("th".into()),
                    parts: vec![quickreply_core::proto::Part::Text {
                        body: "旧的退货说明".into(),
                    }],
                    ..NewSnippet::default()
                },
            )
            .expect("add");
        let items = packs::preview(&store, &pack, &lib, policy).expect("preview");
        let note = |line: usize| {
            items
                .iter()
                .find(|i| i.origin.to_string() == format!("话术.csv:{line}"))
                .and_then(|i| i.note.clone())
                .unwrap_or_default()
        };
        assert!(
            note(2).contains("\"/FH!\" is invalid"),
            "{policy:?}: {items:?}"
        );
        assert!(note(4).contains("fh"), "{policy:?}: {items:?}");
        assert!(note(5).contains("th"), "{policy:?}: {items:?}");
        assert_eq!(items[0].status, Status::New);
        // The import runs the same plan: it succeeds and does what the preview said.
        let r = packs::import(&mut store, &pack, &lib, policy).expect("import");
        let all = store.snippets(None).expect("list");
        let code_of = |title: &str| {
            all.iter()
                .find(|s| s.title == title)
                .map(|s| s.code.clone())
        };
        assert_eq!(code_of("无效编码"), Some(None), "{policy:?}");
        assert_eq!(code_of("发货"), Some(Some("fh".into())), "{policy:?}");
        match policy {
            Policy::KeepBoth => {
                assert_eq!(r.added, 4);
                assert_eq!(code_of("发货二"), Some(None));
                assert_eq!(code_of("退货"), Some(None));
                assert_eq!(code_of("已有的退货"), Some(Some("th".into())));
            }
            Policy::Overwrite => {
                assert_eq!(code_of("退货"), Some(Some("th".into())));
                assert_eq!(code_of("已有的退货"), Some(None));
            }
            Policy::Skip => {
                assert_eq!(code_of("发货二"), None);
                assert_eq!(code_of("退货"), None);
                assert_eq!(code_of("已有的退货"), Some(Some("th".into())));
            }
        }
        // A second import of the same pack changes nothing.
        let again = packs::import(&mut store, &pack, &lib, policy).expect("again");
        assert_eq!(
            (again.added, again.updated),
            (0, 0),
            "{policy:?}: {again:?}"
        );
    }
}

/// Remarks on rows that were imported (a shortcut kept as a tag, a title cut) are notes;
/// rows that were not imported (empty content) are skipped. The CLI and the app label
/// them by this kind.
#[test]
fn remarks_say_whether_their_row_was_imported() {
    use quickreply_core::packs::common::Remark;
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("话术.csv");
    let long = "很长的标题".repeat(50);
    std::fs::write(
        &file,
        format!("标题,快捷编码,内容\n好的,发货,好的亲\n空的,kk,\n{long},cc,内容\n"),
    )
    .expect("write");
    let read = packs::read_path(&file, None).expect("read");
    let kinds: Vec<(String, Remark)> = read
        .skipped
        .iter()
        .map(|s| (s.origin.to_string(), s.kind))
        .collect();
    let at = |line: usize| format!("{}:{line}", file.display());
    assert_eq!(
        kinds,
        vec![
            (at(2), Remark::Note),
            (at(3), Remark::Skipped),
            (at(4), Remark::Note),
        ],
        "{:?}",
        read.skipped
    );
    assert_eq!(read.pack.snippets.len(), 2);
    assert!(
        read.skipped.iter().filter(|s| s.is_note()).all(|s| read
            .pack
            .snippets
            .iter()
            .any(|r| r.origin == s.origin))
    );
}
