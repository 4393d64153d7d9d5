//! The search evaluation set (`benches/search-eval.toml`, run by `cargo xtask eval search`)
//! stays usable: it parses, is as large as promised, cites a source for every group and
//! names only replies that exist in the built-in zh-CN library. The hit rates themselves
//! are a measurement, not a test.
#![allow(clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashSet;

use quickreply_core::eval::Dataset;

#[test]
fn evaluation_data_is_sound() {
    let text = include_str!("../benches/search-eval.toml");
    let data = Dataset::parse(text).expect("search-eval.toml parses");
    let pack = quickreply_core::builtin::pack("zh-CN")
        .expect("a built-in zh-CN pack")
        .expect("it reads");
    let titles: HashSet<String> = pack.snippets.iter().map(|s| s.title.clone()).collect();
    let problems = data.problems(&titles);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let questions = data.question_cases().count();
    let keywords = data.keyword_cases().count();
    assert!(questions >= 150, "only {questions} questions");
    assert!(keywords >= 100, "only {keywords} keywords");
    let heldout = data.heldout_cases().count();
    assert!(heldout >= 40, "only {heldout} held-out questions");
}
