//! Campaign dates through packs: a library's reply and folder dates go out in a .qrpack
//! and come back on import (into a fresh library, and onto an undated one), a keep-both
//! import leaves the library's dates alone, and lint of the pack sees them.
#![allow(clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;

use quickreply_core::packs::{self, qrpack};
use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::PERSONAL;
use quickreply_core::{NewSnippet, Store};

const ENDS: &str = "2026-11-12T00:00:00+08:00";
const STARTS: &str = "2026-10-24T20:00:00+08:00";
const HOLIDAY: &str = "2027-02-01T00:00:00+08:00";

fn reply(title: &str, folder: &str) -> NewSnippet {
    NewSnippet {
        title: title.into(),
        folder: folder.into(),
        parts: vec![Part::Text {
            body: format!("{title}：亲，看这里"),
        }],
        ..NewSnippet::default()
    }
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
fn dates_go_out_in_a_qrpack_and_come_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("a")).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let presale = store
        .add_snippet(&lib, reply("预售说明", "双11"))
        .expect("add");
    store
        .add_snippet(&lib, reply("春节通知", "节日"))
        .expect("add");
    store.add_snippet(&lib, reply("发货时间", "")).expect("add");
    store
        .set_reply_dates(presale.id, Some(STARTS), Some(ENDS))
        .expect("dates");
    let holiday = store
        .folders(&lib)
        .expect("folders")
        .into_iter()
        .find(|f| f.path == "节日")
        .expect("节日");
    store
        .set_folder_dates(holiday.id, None, Some(HOLIDAY))
        .expect("folder dates");

    let bytes = export(&store);
    let (_, pack) = qrpack::read(Cursor::new(&bytes), Path::new("x.qrpack")).expect("read");
    let p = pack
        .snippets
        .iter()
        .find(|s| s.title == "预售说明")
        .expect("in pack");
    assert_eq!(
        (p.starts_at.as_deref(), p.ends_at.as_deref()),
        (Some(STARTS), Some(ENDS))
    );
    let f = pack
        .folders
        .iter()
        .find(|f| f.path == "节日")
        .expect("folder");
    assert_eq!(f.ends_at.as_deref(), Some(HOLIDAY));
    // Lint of the pack: dates that read, in order; an expired one is only a warning.
    let now = quickreply_core::proto::schedule::now_ms();
    let found = quickreply_core::lint::dates::dates(&pack, now);
    assert!(found.iter().all(|f| f.warning), "{found:?}");

    // Into a fresh team library: the reply and folder are dated as they were.
    let mut other = Store::open(&dir.path().join("b")).expect("open b");
    let team = other
        .create_library("团队", LibraryKind::Team)
        .expect("team");
    packs::import(&mut other, &pack, &team, packs::Policy::Overwrite).expect("import");
    let back = other.resolve(Some(&team), "预售说明").expect("reply");
    assert_eq!(
        (back.starts_at.as_deref(), back.ends_at.as_deref()),
        (Some(STARTS), Some(ENDS))
    );
    let notice = other.resolve(Some(&team), "春节通知").expect("reply");
    assert_eq!(notice.ends_at, None, "the folder holds the date");
    let window = other.reply_window(notice.id).expect("window");
    assert_eq!(
        window.end,
        quickreply_core::proto::schedule::parse_instant(HOLIDAY)
    );
    let undated = other.resolve(Some(&team), "发货时间").expect("reply");
    assert!(other.reply_window(undated.id).expect("window").is_open());

    // Importing the same pack again onto a library where the lead changed a date: the
    // same reply (unchanged) takes the pack's dates again.
    other
        .set_reply_dates(back.id, None, Some(HOLIDAY))
        .expect("dates");
    packs::import(&mut other, &pack, &team, packs::Policy::Overwrite).expect("import again");
    let again = other.snippet(back.id).expect("reply");
    assert_eq!(again.ends_at.as_deref(), Some(ENDS));

    // keep-both on a changed reply: the library's version and dates stay.
    other
        .edit_snippet(
            back.id,
            quickreply_core::SnippetEdit {
                parts: Some(vec![Part::Text {
                    body: "改过的预售说明".into(),
                }]),
                ..Default::default()
            },
        )
        .expect("edit");
    other
        .set_reply_dates(back.id, None, Some(HOLIDAY))
        .expect("dates");
    packs::import(&mut other, &pack, &team, packs::Policy::KeepBoth).expect("keep both");
    assert_eq!(
        other.snippet(back.id).expect("reply").ends_at.as_deref(),
        Some(HOLIDAY)
    );
}
