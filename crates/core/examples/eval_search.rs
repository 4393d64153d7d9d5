//! `eval_search [DATA_FILE]`: import the built-in zh-CN library into a throwaway store the
//! way the app seeds it on first run, run every question and keyword of the search
//! evaluation set (default `crates/core/benches/search-eval.toml`) through the panel's
//! search and `qreply search`'s, and print the top-1 / top-3 hit rates and every miss.
//! Used by `cargo xtask eval search`; see `quickreply_core::eval`.

use std::collections::HashSet;
use std::path::PathBuf;

use quickreply_core::eval::{self, Dataset, Engine};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Store, packs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/search-eval.toml")
        });
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let data = Dataset::parse(&text)?;
    let pack = quickreply_core::builtin::pack("zh-CN").ok_or("no built-in zh-CN pack")??;
    let titles: HashSet<String> = pack.snippets.iter().map(|s| s.title.clone()).collect();
    let problems = data.problems(&titles);
    // `tests/search_eval_data.rs` keeps the shipped data sound; here a problem is only
    // shown, so that an edited library or data file can still be measured.
    for p in &problems {
        eprintln!("warning: {}: {p}", path.display());
    }
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let lib = store.library(PERSONAL)?;
    // As `App::open` does on first run.
    packs::import(&mut store, &pack, &lib, packs::Policy::KeepBoth)?;
    println!(
        "search evaluation: {} questions, {} keywords, {} held-out questions ({}) over the built-in zh-CN library ({} replies)\n",
        data.question_cases().count(),
        data.keyword_cases().count(),
        data.heldout_cases().count(),
        path.display(),
        pack.snippets.len()
    );
    let panel = eval::run(&store, &data, Engine::Panel)?;
    print!(
        "{}",
        eval::render(&panel, "desktop panel (SearchIndex, 20 results)")
    );
    let cli = eval::run(&store, &data, Engine::Cli)?;
    if cli.same_top3(&panel) {
        println!("\n== qreply search (Store::search, 10 results): the same top 3 for every case");
    } else {
        println!();
        print!(
            "{}",
            eval::render(&cli, "qreply search (Store::search, 10 results)")
        );
    }
    println!("\ntarget: top-3 ≥ 95 % for questions and for keywords, top-1 ≥ 80 %");
    println!(
        "held-out: questions from pages the search was never tuned on; their rates are the honest estimate"
    );
    Ok(())
}
