//! The regression corpus of nasty inputs (`tests/corpus/`): every file is refused with
//! an error that names it, nothing is written, nothing panics, and no file makes the
//! reader allocate its decompressed size.

use std::path::PathBuf;

use quickreply_core::Store;
use quickreply_core::packs::{self, Policy};
use quickreply_core::store::PERSONAL;

#[test]
fn every_corpus_file_is_refused_and_nothing_is_written() {
    quickreply_core::i18n::set_lang(quickreply_core::i18n::Lang::En);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus has {} files", files.len());
    let data = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(data.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let mut report = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = packs::read_path(f, None)
            .and_then(|r| packs::import(&mut store, &r.pack, &lib, Policy::KeepBoth));
        match result {
            Ok(r) => report.push(format!("{name}: accepted ({r:?})")),
            Err(e) => {
                let msg = e.to_string();
                if !msg.contains(&name) {
                    report.push(format!("{name}: error does not name the file: {msg}"));
                }
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert!(
        store.snippets(None).expect("list").is_empty(),
        "nothing written"
    );
}
