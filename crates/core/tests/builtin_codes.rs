//! The built-in zh-CN replies' shortcut codes follow one rule an agent can guess: the
//! pinyin initials of the title (`发什么快递` → `fsmkd`), or their beginning for the
//! most-used replies (`发货时间` → `fh`). README "Shortcut codes" explains it to users.
#![allow(clippy::expect_used, clippy::panic)] // a test fails by panicking

use quickreply_core::search::pinyin_of;

/// Titles where the pinyin crate reads a polyphonic character differently from how the
/// word is said (延长 is yán**cháng**, 便宜 is **pián**yi); the code follows the speech.
const SPOKEN: &[(&str, &str)] = &[("延长收货时间", "ycshsj"), ("别家更便宜", "bjgpy")];

fn initials(title: &str) -> String {
    if let Some((_, code)) = SPOKEN.iter().find(|(t, _)| *t == title) {
        return (*code).to_string();
    }
    pinyin_of(title)
        .1
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

#[test]
fn built_in_codes_are_the_titles_initials() {
    let pack = quickreply_core::builtin::pack("zh-CN")
        .expect("zh-CN is built in")
        .expect("zh-CN parses");
    let mut wrong = Vec::new();
    let mut with_code = 0;
    for s in &pack.snippets {
        let Some(code) = &s.code else { continue };
        with_code += 1;
        let want = initials(&s.title);
        if !want.starts_with(code.as_str()) {
            wrong.push(format!("{} — code {code}, initials {want}", s.title));
        }
    }
    assert!(
        with_code > 100,
        "only {with_code} built-in replies have a code"
    );
    assert!(
        wrong.is_empty(),
        "codes that are not the title's initials (or their beginning):\n{}",
        wrong.join("\n")
    );
}
